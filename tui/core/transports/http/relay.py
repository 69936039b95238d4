"""The original program's HTTP relay format (the default `[http] api = "relay"`).

`POST <url>` with `multipart/form-data` fields, in this order:

    from          the sender's display name (settings.sender.name, else the sender address)
    reply_to      the address replies go to (settings.sender.reply_to; required for the relay)
    to            the recipient
    subject       the subject
    body          the message as HTML (Outgoing.html, else the text escaped, lines joined by <br>)
    from_address  the sender address (settings.sender.address), in a field of its own; last,
                  so that the fields of the original format keep their places

and then one file part per attachment, each with the field name `attachment`, its file name
and its MIME type. When the caller hands a key (MAILWIZ_PASSWORD, else the optional key kept in
the store under `api:relay@HOST`, see credentials/store.py) it goes in
`Authorization: Bearer KEY`; without one no Authorization header is sent. Any 2xx answer means
the relay took the message; any other answer fails the send, by the one rule of classify.py
(401/403 after a key was sent: the key, exit 16; any other, 5xx included: refused, exit 21,
as the original relay's contract says), and its shortened body is shown.

The relay format has no copy field, so `sender.copy_to` is not applied; the transcript says so.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tui.core.http_apis import APIS, say
from tui.core.message import Outgoing
from tui.core.settings import Settings
from tui.core.transports.http.api import (
    HttpApi,
    Request,
    counted,
    html_body,
    key_note,
    message_text,
)
from tui.core.transports.http.body import Field, multipart_body

#: The multipart field name of every attachment part.
ATTACHMENT_FIELD = "attachment"


def relay_fields(settings: Settings, outgoing: Outgoing) -> list[Field]:
    """The relay's text fields, in protocol order (the body in pieces)."""
    sender = settings.sender
    return [
        ("from", sender.name.strip() or settings.from_address),
        ("reply_to", sender.reply_to.strip()),
        ("to", outgoing.to.strip()),
        ("subject", outgoing.subject),
        ("body", html_body(outgoing, message_text(outgoing))),
        ("from_address", settings.from_address),
    ]


def build(base: httpx.URL, settings: Settings, outgoing: Outgoing, key: str | None) -> Request:
    fields = relay_fields(settings, outgoing)
    attachments = outgoing.attachments
    boundary, body = multipart_body(fields, attachments, ATTACHMENT_FIELD)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    secrets: tuple[str, ...] = ()
    if key:
        headers["Authorization"] = f"Bearer {key}"
        secrets = (headers["Authorization"], key)
    notes: tuple[str, ...] = ()
    if settings.sender.copy_to.strip():
        notes = (say("relay-no-copy", copy=settings.sender.copy_to.strip()),)
    return Request(
        url=base,
        headers=headers,
        body=body,
        summary=(
            f"multipart, {len(fields)} fields, {counted(len(attachments), 'attachment')}, "
            f"{key_note('Authorization' if key else None)}"
        ),
        secrets=secrets,
        notes=notes,
    )


def message(status: int, body: bytes, headers: Mapping[str, str]) -> str:
    return ""  # a relay's answer has no agreed form: the engine shows its shortened body


API = HttpApi(APIS["relay"], build=build, message=message)
