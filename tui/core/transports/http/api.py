"""What one HTTP API format gives the generic sender: how to build the request, how to read
the answer. A format module (relay.py, postmark.py, ...) defines one `HttpApi` named `API`.

The sender (engine.py) does everything else the same way for every format: the URL checks,
the stages and their timing, the one deadline, TLS, redirects, redaction and the mapping of
a status to a failure kind (classify.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from tui.core.http_apis import ApiFacts, say
from tui.core.keys import Key
from tui.core.message import Outgoing, RawOutgoing
from tui.core.settings import Settings
from tui.core.transports.http.body import Body, Html, Json, Pieces, Plain, json_body


class ApiSettingsError(ValueError):
    """The settings cannot make a request for this API (raised by `build`, before any
    traffic): `field` names the setting to fix."""

    def __init__(self, field: Key, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Request:
    """One POST, ready to send. `secrets` lists every form the key takes in it (plain, base64,
    "Bearer ..."), so that none of them is ever shown."""

    url: httpx.URL
    headers: Mapping[str, str]
    body: Body  # sent in pieces, with its length (body.py)
    summary: str  # the transcript's words after the path: "JSON, 1 attachment"
    secrets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # told in the transcript before sending


@dataclass(frozen=True)
class HttpApi:
    """One HTTP API format. `facts` are its name, title, default URL and so on, written once
    in tui.core.http_apis. `build(base, settings, outgoing, key)` makes the request for the
    base URL (settings.http.url, else the default URL); `message` (status, body, headers)
    reads the provider's words from an answer (an id when accepted, an error otherwise; ""
    when it has none). Whether a 401/403 means the key is the same rule for every API
    (classify.py: a 401 always, a 403 unless its words are about the sender)."""

    facts: ApiFacts
    build: Callable[[httpx.URL, Settings, Outgoing, str | None], Request]
    message: Callable[[int, bytes, Mapping[str, str]], str]

    @property
    def name(self) -> str:
        return self.facts.name

    @property
    def title(self) -> str:
        return self.facts.title

    @property
    def default_url(self) -> str:
        return self.facts.default_url

    @property
    def key_required(self) -> bool:
        return self.facts.key_required


# --------------------------------------------------------------------------- encoders


def join_path(base: httpx.URL, path: str) -> httpx.URL:
    """`path` appended to the base URL's own path (a private gateway may add a prefix)."""
    prefix = base.path.rstrip("/")
    return base.copy_with(path=prefix + path)


def sender_mailbox(settings: Settings) -> str:
    """`Name <address>` (or just the address), as the JSON APIs take the sender."""
    address = settings.from_address
    name = settings.sender.name.strip()
    if not name:
        return address
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def message_text(outgoing: Outgoing) -> Pieces:
    """The message's text, in pieces: a queued message's (RawOutgoing without a text) is
    read from it, its file in the queue, each time it is sent (tui.core.formed_text)."""
    if isinstance(outgoing, RawOutgoing) and not outgoing.text:
        from tui.core.formed_text import formed_text

        return formed_text(outgoing.data)
    return Plain(outgoing.text)


def html_body(outgoing: Outgoing, text: Pieces) -> Html:
    """The HTML body: Outgoing.html, or the plain `text` escaped with its lines kept."""
    return Html(text, outgoing.html)


def json_request(
    url: httpx.URL, payload: Json, outgoing: Outgoing, auth: tuple[str, str], key: str | None
) -> Request:
    """A JSON POST (its large strings in pieces, see body.py) whose key goes in one header
    (`auth`: its name and value, which is kept secret, as is the key itself)."""
    name, value = auth
    return Request(
        url=url,
        headers={"Accept": "application/json", "Content-Type": "application/json", name: value},
        body=json_body(payload),
        summary=f"JSON, {counted(len(outgoing.attachments), 'attachment')}, {key_note(name)}",
        secrets=tuple(dict.fromkeys(secret for secret in (value, key or "") if secret)),
    )


KEY_MASK = "*" * 8


def key_note(header: str | None) -> str:
    """The transcript's word on the key: that one was sent and in which header, masked; or
    that none was (the relay without a key). Never the key."""
    return say("key-sent", header=header, mask=KEY_MASK) if header else say("key-not-sent")


def counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- answers


def json_of(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None


def json_field(body: bytes, *names: str) -> str:
    """The first of `names` that the answer's JSON object holds as text (or a number)."""
    data = json_of(body)
    if isinstance(data, dict):
        for name in names:
            value = data.get(name)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
    return ""
