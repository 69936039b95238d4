"""Postmark: `POST /email` with a JSON message, the server token in `X-Postmark-Server-Token`.

https://postmarkapp.com/developer/api/email-api. Attachments go base64 in `Attachments`
(Name, Content, ContentType); the copy goes as `Bcc`. Postmark answers 200 with
`{"ErrorCode": 0, "Message": "OK", "MessageID": ...}`; a wrong or missing token is 401; a
message it cannot take (an unconfirmed sender signature, say) is 422 with its own `Message`
and `ErrorCode`.
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
        "From": sender_mailbox(settings),
        "To": outgoing.to.strip(),
        "Subject": outgoing.subject,
        "TextBody": text,
        "HtmlBody": html_body(outgoing, text),
        "MessageStream": "outbound",
    }
    if settings.sender.reply_to.strip():
        payload["ReplyTo"] = settings.sender.reply_to.strip()
    if settings.sender.copy_to.strip():
        payload["Bcc"] = settings.sender.copy_to.strip()
    if outgoing.attachments:
        payload["Attachments"] = [
            {"Name": a.filename, "Content": Base64(a), "ContentType": content_type_of(a)}
            for a in outgoing.attachments
        ]
    auth = ("X-Postmark-Server-Token", key or "")
    return json_request(join_path(base, "/email"), payload, outgoing, auth, key)


def message(status: int, body: bytes, headers: Mapping[str, str]) -> str:
    if 200 <= status < 300:
        message_id = json_field(body, "MessageID")
        return f"MessageID {message_id}" if message_id else ""
    words = json_field(body, "Message")
    code = json_field(body, "ErrorCode")
    return f"{words} (ErrorCode {code})" if words and code else words


API = HttpApi(APIS["postmark"], build=build, message=message)
