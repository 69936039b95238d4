"""The HTTP relay's refusals, as the engine reports them."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import trustme

from tests.certificates import server_context, trusting
from tests.core.transports.http.sending import (
    OUT,
    collect,
    stages,
    started,
    transcript,
)
from tests.relay_server import (
    Reply,
    relay_settings,
    serve,
)
from tui.core.diagnose.handlers import diagnose
from tui.core.events import (
    FailureKind,
    SendFinished,
    TranscriptLine,
)
from tui.core.transports.http import send_http

# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("status", "body", "ctype", "shown"),
    [
        (
            422,
            b"reply_to is required",
            "text/plain",
            "422 Unprocessable Entity: reply_to is required",
        ),
        (
            401,
            b'{"error": "bad key"}',
            "application/json",
            '401 Unauthorized: {"error": "bad key"}',
        ),
        (
            500,
            b"<html><head><title>Oops</title><style>p{}</style></head>"
            b"<body><h1>Internal\x07 Error</h1></body></html>",
            "text/html; charset=utf-8",
            "500 Internal Server Error: Oops Internal Error",
        ),
    ],
)
async def test_non_2xx_fails_with_status_and_shortened_body(
    status: int, body: bytes, ctype: str, shown: str
) -> None:
    with serve(Reply(status, body, {"Content-Type": ctype})) as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        events, done = await collect(settings)
    assert not done.ok and done.failure is not None
    # Any non-2xx from the relay is its refusal (exit 21, the relay's contract), 5xx too;
    # its words must then not call it temporary (the queue still retries a 5xx).
    temporary = False
    assert done.failure.kind == FailureKind.HTTP
    assert done.failure.exit_code == 21
    assert done.failure.stage == "response"
    assert done.failure.code == status
    assert done.failure.reply == shown
    assert stages(events)[-1] == ("response", False)
    d = diagnose(done.failure, settings)
    assert str(status) in d.title
    assert ("right now" in d.title) == temporary  # the words say temporary iff the exit does


async def test_a_long_body_is_cut() -> None:
    with serve(Reply(503, b"x" * 5000, {"Content-Type": "text/plain"})) as relay:
        _, done = await collect(relay_settings(f"http://127.0.0.1:{relay.port}/send"))
    assert done.failure is not None
    assert done.failure.reply.endswith("...")
    assert len(done.failure.reply) < 340


async def test_redirect_to_plain_http_is_refused(ca: trustme.CA) -> None:
    reply = Reply(302, b"", {"Location": "http://relay.example.org/send"})
    with serve(reply, context=server_context(ca, "localhost")) as relay:
        settings = relay_settings(f"https://localhost:{relay.port}/send")
        events, done = await collect(settings, verify=trusting(ca))
    assert done.failure is not None
    assert done.failure.kind == FailureKind.HTTP
    assert done.failure.code == 302
    assert "Location: http://relay.example.org/send" in done.failure.reply
    assert len(relay.received) == 1  # not followed
    assert any("not encrypted" in line for line in transcript(events))
    assert "unencrypted" in diagnose(done.failure, settings).title


async def test_redirect_to_https_is_not_followed_and_names_the_new_address() -> None:
    with serve(Reply(308, b"", {"Location": "/v2/send"})) as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        _, done = await collect(settings)
    assert done.failure is not None and done.failure.code == 308
    assert f"Location: http://127.0.0.1:{relay.port}/v2/send" in done.failure.reply
    assert len(relay.received) == 1


async def test_plain_http_to_a_remote_host_is_refused_before_any_traffic() -> None:
    events, done = await collect(relay_settings("http://relay.example.org/send"))
    assert done.failure is not None
    assert done.failure.kind == FailureKind.HTTP
    assert done.failure.stage == "resolve"
    assert "only for a relay on this computer" in done.failure.reply
    assert started(events) == ["resolve"]
    assert not any(isinstance(e, TranscriptLine) for e in events)
    assert diagnose(done.failure, relay_settings("http://relay.example.org/send")).field == (
        "http.url"
    )


@pytest.mark.parametrize(
    "url", ["", "ftp://127.0.0.1/x", "https://", "https://user:pw@127.0.0.1/send"]
)
async def test_unusable_urls_are_refused(url: str) -> None:
    events, done = await collect(relay_settings(url))
    assert done.failure is not None
    assert done.failure.kind == FailureKind.HTTP
    assert done.failure.stage == "resolve"
    assert started(events) == ["resolve"]  # nothing was sent, so nothing could echo it


async def test_a_key_in_the_query_string_is_never_shown() -> None:
    # The relay echoes the request line: only redaction keeps the key off the screen
    # (this test fails when the query is not added to the secrets; checked once by hand).
    reply = Reply(403, b"", {"Content-Type": "text/plain"}, echo=True)
    with serve(reply) as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send?key=SeCrEtKeY123")
        events, done = await collect(settings)
    assert relay.received[0].path == "/send?key=SeCrEtKeY123"
    assert done.failure is not None and "refused POST /send?" in done.failure.reply
    assert "SeCrEtKeY123" not in repr(events)
    assert any(
        line.startswith("-> POST /send?[redacted] (multipart") for line in transcript(events)
    )


async def test_a_stored_key_goes_as_bearer_and_is_never_shown() -> None:
    key = "relay-K3y-0123456789"
    with serve(Reply(401, b"", {"Content-Type": "text/plain"}, echo=True)) as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        events = [e async for e in send_http(settings, OUT, key)]
    assert relay.received[0].headers["authorization"] == f"Bearer {key}"
    done = events[-1]
    assert isinstance(done, SendFinished) and done.failure is not None
    assert done.failure.kind == FailureKind.AUTH and done.failure.code == 401
    assert done.failure.field == "password"
    assert "refused POST /send" in done.failure.reply
    assert key not in repr(events)


async def test_without_a_key_a_401_is_the_relay_refusing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILWIZ_PASSWORD", raising=False)
    with serve(Reply(401, b"key required", {"Content-Type": "text/plain"})) as relay:
        _, done = await collect(relay_settings(f"http://127.0.0.1:{relay.port}/send"))
    assert "authorization" not in relay.received[0].headers
    assert done.failure is not None and done.failure.kind == FailureKind.HTTP


async def test_http_to_a_name_that_resolves_off_this_computer_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "relay.localhost" passes the name check; its address does not. Nothing may connect
    # (this test fails when the check after resolution is removed; checked once by hand).
    real = asyncio.BaseEventLoop.getaddrinfo

    async def elsewhere(self: Any, host: str, port: Any, *args: Any, **kw: Any) -> Any:
        if host == "relay.localhost":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.7", port))]
        return await real(self, host, port, *args, **kw)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", elsewhere)
    connected: list[str] = []

    async def no_connect(*args: Any, **kw: Any) -> Any:
        connected.append("connect")
        raise OSError("no connection may be made here")

    monkeypatch.setattr(asyncio, "open_connection", no_connect)
    settings = relay_settings("http://relay.localhost:8025/send")
    events, done = await collect(settings)
    assert done.failure is not None
    assert done.failure.kind == FailureKind.HTTP and done.failure.stage == "resolve"
    assert "192.0.2.7" in done.failure.reply and "not only this computer" in done.failure.reply
    assert started(events) == ["resolve"]
    assert connected == []
