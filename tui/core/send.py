"""One entry point for a send, whatever the protocol: the wizard and the command line use it.

`run_send` picks the SMTP or the HTTP engine from `settings.protocol` and passes their events
through unchanged. The engines are imported only when a send starts, so that showing the first
screen does not pay for them (httpx, ssl).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from tui.core.events import SendEvent

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.message import Outgoing
    from tui.core.settings import Settings


async def run_send(
    settings: Settings, password: str | TokenSource | None, outgoing: Outgoing
) -> AsyncIterator[SendEvent]:
    """Send `outgoing` with `settings`, yielding the engine's events (ends with SendFinished).

    `password` is the password (or API key), None when there is none, or for SMTP with
    `[smtp] auth = "oauth2"` a TokenSource (tui.core.credentials.tokens), which adds a
    `token` stage before `resolve` and signs in with XOAUTH2 / OAUTHBEARER.

    Network problems never raise: they end in a failed SendFinished. Cancelling the task that
    iterates raises CancelledError inside the engine, which closes its connection.
    """
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
    import sys

    return engine_module(settings) in sys.modules


def load_engine(settings: Settings) -> None:
    """Import the engine (about 0.1 to 0.7 s the first time): a front end can do it in a
    thread, as a stage the user sees, rather than inside the first send's clock."""
    import importlib

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
