"""Handlers for the HTTP side: the relay's answers and the HTTP APIs' (Postmark, Mailgun...).

What a status means is the engine's (transports/http/classify.py): a failure of kind
TEMPORARY (429, 5xx) is told as "could not take it right now" (exit 20), for the relay as for
the APIs; kind HTTP as a refusal (exit 21). The words follow the kind, never the code alone.
"""

from __future__ import annotations

from tui.core.diagnose.context import Ctx, Diagnosis
from tui.core.events import FailureKind
from tui.core.keys import Key


def is_api(c: Ctx) -> bool:
    return c.http and c.settings.http.api != "relay"


def http(c: Ctx) -> Diagnosis:
    f, code = c.failure, c.failure.code
    c.values.update(said=c.quote(f.reply, "the-relay"))
    if code is None and f.stage in ("resolve", ""):
        return c.make("relay-url", Key.URL)
    if code is None:
        return c.make("relay-nonsense", Key.URL)
    if is_api(c):
        return api(c)
    if 300 <= code < 400:
        return _redirect(c)
    if code in (401, 403):
        return c.make("relay-forbidden", Key.URL)
    if code in (404, 405, 410):
        return c.make("relay-not-found", Key.URL)
    if code == 413:
        return c.make("relay-too-large")
    if c.failure.kind is FailureKind.TEMPORARY:
        return c.make("relay-busy", what=c.part("relay-429" if code == 429 else "relay-5xx"))
    return c.make("relay-refused", c.failure.field or "")


def _redirect(c: Ctx) -> Diagnosis:
    location = c.failure.location
    if location.lower().startswith("http://"):
        return c.make("relay-downgrade", Key.URL, location=location)
    new = f": {location}" if location else ""
    location = location or c.sub("relay-moved", "elsewhere")
    return c.make("relay-moved", Key.URL, location=location, new=new)


def api(c: Ctx) -> Diagnosis:
    """An HTTP API's refusal: the key (401/403), busy (429, 5xx), or its own validation."""
    code = c.failure.code or 0
    c.values.update(said=c.quote(c.failure.reply, "the-server"))
    if code in (401, 403):
        return api_key(c)
    if c.failure.kind is FailureKind.TEMPORARY:
        return c.make("api-busy", what=c.part("api-5xx", api=c.value("api")))
    return c.make("api-refused", c.failure.field or "")


def api_key(c: Ctx) -> Diagnosis:
    """Reason.API_KEY_REFUSED (kind AUTH, field PASSWORD): the API key was refused."""
    return c.make("api-key", c.failure.field or Key.PASSWORD)


def temporary(c: Ctx) -> Diagnosis | None:
    """429/5xx from the relay or an HTTP API (kind TEMPORARY); None for the SMTP side."""
    return http(c) if c.http and c.failure.code is not None else None
