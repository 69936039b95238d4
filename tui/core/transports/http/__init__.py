"""HTTP transports: one generic staged sender (engine.py) and one thin module per format.

    relay     the original program's multipart relay (the default)
    postmark  Postmark's /email JSON API
    mailgun   Mailgun's /v3/{domain}/messages form API
    sendgrid  SendGrid's /v3/mail/send JSON API
    resend    Resend's /emails JSON API

A format module defines `API`, an `api.HttpApi`: how to build the request from the settings
and the message, and how to read the provider's words from its answer. Its facts (name,
title, default URL, key, idempotency header) are written once in tui.core.http_apis. Adding
an API is a new module here, its facts there, and a test against a local stand-in server
(tests/api_servers.py); the engine does not change.

Nothing heavy is imported here (no httpx), so `settings` and `show` may read `API_NAMES`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from tui.core.http_apis import API_NAMES as API_NAMES
from tui.core.http_apis import facts_of

if TYPE_CHECKING:
    from tui.core.events import SendEvent
    from tui.core.message import Outgoing
    from tui.core.settings import Settings
    from tui.core.transports.http.api import HttpApi


#: The variable that, when set, holds the secret (as for the SMTP password).
KEY_ENV = "MAILWIZ_PASSWORD"


def api_for(name: str) -> HttpApi:
    """The format module's API for an `[http] api` value; ValueError for an unknown one."""
    if name not in API_NAMES:
        raise ValueError(f"unknown HTTP API {name!r} (known: {', '.join(API_NAMES)})")
    module = importlib.import_module(f"{__name__}.{name}")
    api: HttpApi = module.API
    return api


def key_required(settings: Settings) -> bool:
    """Whether these settings cannot send without a key (every API but the relay)."""
    return settings.protocol == "http" and facts_of(settings.http.api).key_required


async def send_http(
    settings: Settings, outgoing: Outgoing, key: str | None = None, **kw: Any
) -> AsyncIterator[SendEvent]:
    """Send with the API `settings.http.api` names (see engine.send_with for `kw`).

    `key` is the secret from the store (the relay's optional key too); when the caller has
    none, MAILWIZ_PASSWORD is used, as for an SMTP password, so that a script can send
    through an API without a keyring.
    """
    from tui.core.transports.http.engine import send_with

    if key is None:
        key = os.environ.get(KEY_ENV) or None
    async for event in send_with(api_for(settings.http.api), settings, outgoing, key, **kw):
        yield event
