"""One entry point for a send, whatever the protocol: the wizard and the command line use it.

`run_send` picks the SMTP or the HTTP engine from `settings.protocol` and passes their events
through unchanged. The engines are imported only when a send starts, so that showing the first
screen does not pay for them (httpx, ssl). A front end that shows the stages asks for the wait
on that import as a stage of its own, `engine` (`engine_stage=True`): the user's time is
shown and counted, not hidden before the first stage.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from tui.core.events import SendEvent, StageEnded, StageStarted

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.message import Outgoing
    from tui.core.settings import Settings


ENGINE_STAGE = "engine"  # waiting for the engine's import: a stage only when there is a wait
_loading = threading.Lock()  # one import at a time: a second caller waits for the first


async def run_send(
    settings: Settings,
    password: str | TokenSource | None,
    outgoing: Outgoing,
    *,
    engine_stage: bool = False,
) -> AsyncIterator[SendEvent]:
    """Send `outgoing` with `settings`, yielding the engine's events (ends with SendFinished).

    `password` is the password (or API key), None when there is none, or for SMTP with
    `[smtp] auth = "oauth2"` a TokenSource (tui.core.credentials.tokens), which adds a
    `token` stage before `resolve` and signs in with XOAUTH2 / OAUTHBEARER.

    With `engine_stage`, an engine not loaded yet is loaded first as the stage `engine`
    (StageStarted, then StageEnded with the time waited, the import a thread began earlier
    included), for the front ends that show every stage and a Total.

    Network problems never raise: they end in a failed SendFinished. Cancelling the task that
    iterates raises CancelledError inside the engine, which closes its connection.
    """
    if engine_stage and not engine_loaded(settings):
        import asyncio
        import time

        yield StageStarted(ENGINE_STAGE)
        began = time.monotonic()
        await asyncio.to_thread(load_engine, settings)
        yield StageEnded(ENGINE_STAGE, True, (time.monotonic() - began) * 1000)
    load_engine(settings)
    if settings.protocol == "http":
        from tui.core.transports.http import send_http

        key = password if isinstance(password, str) else None  # an API key, never a token
        async for event in send_http(settings, outgoing, key):
            yield event
    else:
        from tui.core.transports.smtp.engine import send_smtp

        async for event in send_smtp(settings, password, outgoing):
            yield event


def engine_module(settings: Settings) -> str:
    """The module that sends with these settings (imported when a send starts)."""
    if settings.protocol == "http":
        return "tui.core.transports.http"
    return "tui.core.transports.smtp.engine"


def engine_loaded(settings: Settings) -> bool:
    """Whether the engine is imported, completely (not still being imported by a thread)."""
    import sys

    module = sys.modules.get(engine_module(settings))
    return module is not None and not getattr(module.__spec__, "_initializing", False)


def load_engine(settings: Settings) -> None:
    """Import the engine (about 0.1 to 0.7 s the first time): a front end can begin it in a
    thread while the user reads the screen; a send that needs it waits here for the rest."""
    import importlib

    with _loading:
        importlib.import_module(engine_module(settings))


def planned_stages(settings: Settings) -> tuple[str, ...]:
    """The stages a successful send with these settings goes through, in order.

    Used for a progress bar's total; the engine may skip a stage that does not apply.
    """
    if settings.protocol == "http":
        secure = not settings.http.url.lower().startswith("http://")
        return ("resolve", "connect", *(("tls",) if secure else ()), "post", "response")
    smtp = settings.smtp
    oauth = smtp.auth == "oauth2"
    stages: list[str] = ["token"] if oauth else []
    stages += ["resolve", "connect"]
    if smtp.security == "tls":
        stages.append("tls")
    stages += ["greeting", "ehlo"]
    if smtp.security == "starttls":
        stages += ["starttls", "ehlo"]
    if smtp.username or oauth:
        stages.append("auth")
    stages += ["mail", "rcpt"]
    if settings.sender.copy_to.strip():
        stages.append("rcpt")  # the copy address is a stage of its own
    stages += ["data", "quit"]
    return tuple(stages)
