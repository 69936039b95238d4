"""Mailgun: `POST /v3/{domain}/messages`, multipart form, basic auth `api:KEY`.

https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages. Fields
`from`, `to`, `bcc` (the copy), `subject`, `text`, `html`, `h:Reply-To`, one `attachment` file
part per attachment. The domain is `[http] domain`; an EU domain uses the base URL
https://api.eu.mailgun.net (`[http] url`). Mailgun answers 200 with
`{"id": "<...>", "message": "Queued. Thank you."}`, 401 "Forbidden" for a wrong key, and
400/404 with `{"message": ...}` for a message or domain it cannot take.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import quote

import httpx

from tui.core.http_apis import APIS, say
from tui.core.keys import Key
from tui.core.message import Outgoing
from tui.core.providers import normalise_domain
from tui.core.settings import Settings
from tui.core.transports.http.api import (
    ApiSettingsError,
    HttpApi,
    Request,
    counted,
    html_body,
    join_path,
    json_field,
    key_note,
    message_text,
    sender_mailbox,
)
from tui.core.transports.http.body import Field, multipart_body

#: The base URL for domains in Mailgun's EU region.
EU_URL = "https://api.eu.mailgun.net"


def sending_domain(settings: Settings) -> str:
    """The Mailgun sending domain: `[http] domain`, else the sender address's domain."""
    text = settings.http.domain.strip() or settings.from_address.rpartition("@")[2]
    domain = normalise_domain(text) if text else None
    if not domain:
        raise ApiSettingsError(Key.DOMAIN, say("mailgun-domain"))
    return domain


def build(base: httpx.URL, settings: Settings, outgoing: Outgoing, key: str | None) -> Request:
    domain = sending_domain(settings)
    text = message_text(outgoing)
    fields: list[Field] = [
        ("from", sender_mailbox(settings)),
        ("to", outgoing.to.strip()),
        ("subject", outgoing.subject),
        ("text", text),
        ("html", html_body(outgoing, text)),
    ]
    if settings.sender.copy_to.strip():
        fields.append(("bcc", settings.sender.copy_to.strip()))
    if settings.sender.reply_to.strip():
        fields.append(("h:Reply-To", settings.sender.reply_to.strip()))
    boundary, body = multipart_body(fields, outgoing.attachments, "attachment")
    token = base64.b64encode(f"api:{key or ''}".encode()).decode("ascii")
    return Request(
        url=join_path(base, f"/v3/{quote(domain, safe='')}/messages"),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Basic {token}",
        },
        body=body,
        summary=(
            f"multipart, {counted(len(outgoing.attachments), 'attachment')}, "
            f"{key_note('Authorization')}"
        ),
        secrets=(f"Basic {token}", token, key or ""),
    )


def message(status: int, body: bytes, headers: Mapping[str, str]) -> str:
    if 200 <= status < 300:
        message_id = json_field(body, "id")
        return f"id {message_id}" if message_id else json_field(body, "message")
    return json_field(body, "message")


API = HttpApi(APIS["mailgun"], build=build, message=message)
