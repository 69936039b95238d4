"""Handlers for the HTTP side: the relay's answers and the HTTP APIs' (Postmark, Mailgun...)."""

from __future__ import annotations

from tui.core.diagnose.context import Ctx, Diagnosis
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
    if code == 429 or code >= 500:
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
    if code == 429 or code >= 500:
        return c.make("api-busy", what=c.part("api-5xx", api=c.value("api")))
    return c.make("api-refused", c.failure.field or "")


def api_key(c: Ctx) -> Diagnosis:
    """Reason.API_KEY_REFUSED (kind AUTH, field PASSWORD): the API key was refused."""
    return c.make("api-key", c.failure.field or Key.PASSWORD)


def temporary(c: Ctx) -> Diagnosis | None:
    """429/5xx from an HTTP API (kind TEMPORARY); None for the SMTP side."""
    return api(c) if is_api(c) and c.failure.code is not None else None
