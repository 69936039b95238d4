"""SendGrid: `POST /v3/mail/send`, JSON with `personalizations`, `Authorization: Bearer KEY`.

https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send. The recipient and
the copy (`bcc`) go in one personalization; `content` holds text/plain first, then
text/html; attachments go base64 with filename, type and disposition. SendGrid answers 202
with an empty body and the id in `X-Message-Id`; errors are
`{"errors": [{"message": ..., "field": ...}]}`: 401 for a bad key, 403 for a key without
the mail-send permission but also for a sender address it has not verified, 400 for a
message it cannot take. EU subusers use the base URL https://api.eu.sendgrid.com.
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
    json_of,
    json_request,
    message_text,
)
from tui.core.transports.http.body import Base64, Pieces, content_type_of, is_empty


def build(base: httpx.URL, settings: Settings, outgoing: Outgoing, key: str | None) -> Request:
    to = outgoing.to.strip()
    personalization: dict[str, object] = {"to": [{"email": to}]}
    copy = settings.sender.copy_to.strip()
    if copy and copy.lower() != to.lower():  # SendGrid refuses an address twice
        personalization["bcc"] = [{"email": copy}]
    sender: dict[str, str] = {"email": settings.from_address}
    if settings.sender.name.strip():
        sender["name"] = settings.sender.name.strip()
    # text/plain first; SendGrid refuses an empty value, so an empty body is one space.
    text = message_text(outgoing)
    values: tuple[tuple[str, Pieces], ...] = (
        ("text/plain", text),
        ("text/html", html_body(outgoing, text)),
    )
    content = [{"type": kind, "value": value} for kind, value in values if not is_empty(value)]
    content = content or [{"type": "text/plain", "value": " "}]
    payload: dict[str, object] = {
        "personalizations": [personalization],
        "from": sender,
        "subject": outgoing.subject,
        "content": content,
    }
    if settings.sender.reply_to.strip():
        payload["reply_to"] = {"email": settings.sender.reply_to.strip()}
    if outgoing.attachments:
        payload["attachments"] = [
            {
                "content": Base64(a),
                "filename": a.filename,
                "type": content_type_of(a),
                "disposition": "attachment",
            }
            for a in outgoing.attachments
        ]
    auth = ("Authorization", f"Bearer {key or ''}")
    return json_request(join_path(base, "/v3/mail/send"), payload, outgoing, auth, key)


def _errors(body: bytes) -> list[str]:
    data = json_of(body)
    items = data.get("errors") if isinstance(data, dict) else None
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            where = item.get("field")
            out.append(
                f"{item['message']} ({where})" if isinstance(where, str) else item["message"]
            )
    return out


def message(status: int, body: bytes, headers: Mapping[str, str]) -> str:
    if 200 <= status < 300:
        message_id = headers.get("x-message-id", "")
        return f"X-Message-Id {message_id}" if message_id else ""
    return "; ".join(_errors(body))


API = HttpApi(APIS["sendgrid"], build=build, message=message)
