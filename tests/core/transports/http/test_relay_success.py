"""The HTTP relay send against a real local relay: what it receives when all goes well."""

from __future__ import annotations

import httpx
import trustme

from tests.certificates import server_context, trusting
from tests.core.transports.http.sending import (
    collect,
    stages,
    started,
    transcript,
)
from tests.relay_server import (
    PDF,
    disposition,
    parse_multipart,
    relay_settings,
    serve,
)
from tui.core.events import (
    StageEnded,
)
from tui.core.message import Outgoing
from tui.core.settings import Settings
from tui.core.transports.http.relay import ATTACHMENT_FIELD

# --------------------------------------------------------------------------- success


async def test_posts_the_relay_fields_and_the_file_part() -> None:
    with serve() as relay:
        _events, done = await collect(relay_settings(f"http://127.0.0.1:{relay.port}/send"))
    assert done.ok, done.failure
    assert done.reply.startswith("200 OK")
    assert done.recipients == ("customer@example.net",)

    [req] = relay.received
    assert req.method == "POST" and req.path == "/send"
    assert "authorization" not in req.headers
    parts = parse_multipart(req.headers["content-type"], req.body)
    assert req.headers["content-type"].startswith("multipart/form-data; boundary=")
    text_parts = [(disposition(h)["name"], d.decode("utf-8")) for h, d in parts[:6]]
    assert text_parts == [
        ("from", "Corner Shop"),
        ("reply_to", "orders@example.org"),
        ("to", "customer@example.net"),
        ("subject", "Invoice 42 — ünïcode"),
        ("body", "Dear customer,<br>\nplease find &lt;the&gt; invoice attached &amp; paid."),
        ("from_address", "shop@example.org"),
    ]
    assert all("filename" not in disposition(h) for h, _ in parts[:6])
    headers, data = parts[6]
    assert disposition(headers) == {"name": ATTACHMENT_FIELD, "filename": "Invoice 42 ü.pdf"}
    assert headers["content-type"] == "application/pdf"
    assert data == PDF
    assert len(parts) == 7


async def test_stages_and_transcript_for_plain_http() -> None:
    with serve() as relay:
        events, done = await collect(relay_settings(f"http://127.0.0.1:{relay.port}/send"))
    assert done.ok
    assert started(events) == ["resolve", "connect", "post", "response"]
    assert stages(events) == [
        ("resolve", True),
        ("connect", True),
        ("post", True),
        ("response", True),
    ]
    lines = transcript(events)
    assert any(
        line.startswith("-> POST /send (multipart, 6 fields, 1 attachment,") for line in lines
    )
    assert "<- 200 OK" in lines
    assert all(e.ms >= 0 for e in events if isinstance(e, StageEnded))


async def test_https_with_a_verified_certificate(ca: trustme.CA) -> None:
    with serve(context=server_context(ca, "localhost")) as relay:
        settings = relay_settings(f"https://localhost:{relay.port}/relay/send")
        events, done = await collect(settings, verify=trusting(ca))
    assert done.ok, done.failure
    assert started(events) == ["resolve", "connect", "tls", "post", "response"]
    assert all(ok for _, ok in stages(events))
    tls = next(e for e in events if isinstance(e, StageEnded) and e.stage == "tls")
    assert tls.reply.startswith("TLSv1.")
    lines = transcript(events)
    assert any(line.startswith("~> POST /relay/send (multipart") for line in lines)
    assert "<~ 200 OK" in lines
    assert relay.received[0].path == "/relay/send"


async def test_html_body_is_sent_as_is_and_no_attachments_is_still_multipart() -> None:
    out = Outgoing(to="a@example.net", subject="Hi", text="plain", html="<p>Hello</p>")
    with serve() as relay:
        _, done = await collect(relay_settings(f"http://localhost:{relay.port}/"), out)
    assert done.ok
    [req] = relay.received
    parts = parse_multipart(req.headers["content-type"], req.body)
    assert [disposition(h)["name"] for h, _ in parts] == [
        "from",
        "reply_to",
        "to",
        "subject",
        "body",
        "from_address",
    ]
    assert parts[4][1] == b"<p>Hello</p>"


async def test_from_is_the_address_when_there_is_no_display_name() -> None:
    settings = Settings(protocol="http")
    settings.sender.address = "shop@example.org"
    settings.sender.reply_to = "orders@example.org"
    with serve() as relay:
        settings.http.url = f"http://127.0.0.1:{relay.port}/send"
        _, done = await collect(settings)
    assert done.ok
    parts = parse_multipart(relay.received[0].headers["content-type"], relay.received[0].body)
    assert parts[0][1] == b"shop@example.org"


async def test_copy_to_is_not_sent_and_the_transcript_says_so() -> None:
    settings = None
    with serve() as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        settings.sender.copy_to = "archive@example.org"
        events, done = await collect(settings)
    assert done.ok
    assert b"archive@example.org" not in relay.received[0].body
    assert any("no copy goes to archive@example.org" in line for line in transcript(events))


async def test_a_transport_that_reports_no_stages_gets_no_invented_ones() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, text="queued")

    settings = relay_settings("https://127.0.0.1/send")
    events, done = await collect(settings, transport=httpx.MockTransport(handler))
    assert done.ok and done.reply == "202 Accepted: queued"
    assert started(events) == ["resolve", "post", "response"]
    assert seen[0].headers["content-type"].startswith("multipart/form-data; boundary=")
