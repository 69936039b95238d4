"""A queued message goes to the HTTP relay and the APIs from its file in the queue, in pieces
(issue 24 item 8): each server gets exactly the bytes that the message's text in memory
gives (the email package's text, as before), with a Content-Length, never chunked."""

from __future__ import annotations

import base64
import html
import json
import os
import random
import re
from pathlib import Path

import pytest

from tests.api_servers import KEY, Seen, serve_api
from tests.core.transports.http.sending import collect
from tests.core.transports.http.test_http_apis import api_settings
from tests.relay_server import relay_settings
from tests.tricky_messages import MESSAGES, email_text, first_difference
from tui.core.message import Attachment, Outgoing, RawOutgoing
from tui.core.settings import Settings
from tui.core.wire import MessageFile

TO = "customer@example.net"


def settings_for(api: str, port: int) -> Settings:
    if api == "relay":
        return relay_settings(f"http://127.0.0.1:{port}/send")
    settings = api_settings(api, port)
    settings.http.url = f"http://127.0.0.1:{port}"
    return settings


def sent_bytes(seen: Seen) -> bytes:
    """The request body, its random multipart boundary made fixed."""
    found = re.search(r"boundary=(\S+)", seen.headers.get("content-type", ""))
    return seen.body.replace(found[1].encode(), b"BOUNDARY") if found else seen.body


@pytest.mark.parametrize("api", ["relay", "postmark", "mailgun", "sendgrid", "resend"])
@pytest.mark.parametrize("name", MESSAGES)
async def test_a_queued_message_sends_what_its_text_in_memory_sends(
    api: str, name: str, tmp_path: Path
) -> None:
    data = MESSAGES[name]
    path = tmp_path / "queued.msg"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        queued = RawOutgoing(TO, "Report", "", data=MessageFile(fd), recipients=(TO,))
        in_memory = Outgoing(TO, "Report", email_text(data))
        with serve_api(api) as server:
            settings = settings_for(api, server.port)
            outcomes = []
            for out in (queued, in_memory):
                outcomes.append((await collect(settings, out, key=KEY))[1].ok)
    finally:
        os.close(fd)
    assert outcomes[0] == outcomes[1]
    streamed, whole = server.received
    for seen in (streamed, whole):
        assert "transfer-encoding" not in seen.headers
        assert int(seen.headers["content-length"]) == len(seen.body)
    assert first_difference(sent_bytes(streamed), sent_bytes(whole)) is None
    # ...and that is what was sent before: json.dumps of the payload, the relay's HTML.
    if api in ("postmark", "sendgrid", "resend"):
        dumped = json.dumps(whole.json(), ensure_ascii=False).encode()
        assert first_difference(whole.body, dumped) is None
    if api == "relay":
        lines = email_text(data).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        body = [value for field, _, value in streamed.form() if field == "body"]
        expected = "<br>\n".join(html.escape(line) for line in lines).encode()
        assert len(body) == 1 and first_difference(body[0], expected) is None
    if email_text(data):
        assert outcomes[0], f"{api} refused the message"


@pytest.mark.parametrize("api", ["relay", "postmark", "mailgun", "sendgrid", "resend"])
async def test_an_attachment_from_a_file_is_sent_as_its_bytes_in_memory_are(
    api: str, tmp_path: Path
) -> None:
    """Read from its file in pieces (base64 by 57 KiB for the JSON APIs), never whole."""
    content = random.Random(3).randbytes(3 * 57 * 1024 + 2)  # several pieces, not by 3
    path = tmp_path / "report.bin"
    path.write_bytes(content)
    from_file = Attachment.from_path(path)
    in_memory = Attachment(from_file.filename, from_file.content_type, content)
    with serve_api(api) as server:
        settings = settings_for(api, server.port)
        for item in (from_file, in_memory):
            out = Outgoing(TO, "Report", "See the file.", attachments=(item,))
            assert (await collect(settings, out, key=KEY))[1].ok
    streamed, whole = server.received
    assert int(streamed.headers["content-length"]) == len(streamed.body)
    assert first_difference(sent_bytes(streamed), sent_bytes(whole)) is None
    assert content in whole.body or base64.b64encode(content) in whole.body
