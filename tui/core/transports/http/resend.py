"""Resend: `POST /emails` with a JSON message, `Authorization: Bearer KEY`.

https://resend.com/docs/api-reference/emails/send-email. `from` takes `Name <address>`; `to`
and `bcc` (the copy) are lists; `reply_to`, `text`, `html`; attachments go base64 with
`filename` and `content_type`. Resend answers 200 with `{"id": ...}`; errors are
`{"statusCode": ..., "name": ..., "message": ...}`: 401 missing_api_key, and today 401
validation_error "API key is invalid" for a wrong or expired key (the `invalid_api_key` name is
no longer returned), 403 validation_error for a sender domain it has not verified, 422 for a
message it cannot take, 429 rate_limit_exceeded. It takes an `Idempotency-Key` header
(https://resend.com/docs/dashboard/emails/idempotency-keys): the same key within 24 hours
sends nothing again and answers as the first time.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tui.core.http_apis import APIS
from tui.core.message import Outgoing
from tui.core.settings import Settings
from tui.core.transports.http.api import (
    HttpApi,
    Request,
    html_body,
    join_path,
    json_field,
    json_request,
    message_text,
    sender_mailbox,
)
from tui.core.transports.http.body import Base64, content_type_of


def build(base: httpx.URL, settings: Settings, outgoing: Outgoing, key: str | None) -> Request:
    text = message_text(outgoing)
    payload: dict[str, object] = {
        "from": sender_mailbox(settings),
        "to": [outgoing.to.strip()],
        "subject": outgoing.subject,
        "text": text,
        "html": html_body(outgoing, text),
    }
    if settings.sender.copy_to.strip():
        payload["bcc"] = [settings.sender.copy_to.strip()]
    if settings.sender.reply_to.strip():
        payload["reply_to"] = settings.sender.reply_to.strip()
    if outgoing.attachments:
        payload["attachments"] = [
            {"filename": a.filename, "content": Base64(a), "content_type": content_type_of(a)}
            for a in outgoing.attachments
        ]
    auth = ("Authorization", f"Bearer {key or ''}")
    return json_request(join_path(base, "/emails"), payload, outgoing, auth, key)


def message(status: int, body: bytes, headers: Mapping[str, str]) -> str:
    if 200 <= status < 300:
        message_id = json_field(body, "id")
        return f"id {message_id}" if message_id else ""
    words = json_field(body, "message")
    name = json_field(body, "name")
    return f"{words} ({name})" if words and name else words


API = HttpApi(APIS["resend"], build=build, message=message)
