"""The HTTP relay's network failures, and a send cancelled."""

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
    free_port,
    stages,
    transcript,
)
from tests.relay_server import (
    OneShotServer,
    SilentServer,
    relay_settings,
    serve,
)
from tui.core.diagnose.handlers import diagnose
from tui.core.events import (
    FailureKind,
    SendEvent,
    SendFinished,
    StageStarted,
)
from tui.core.transports.http import send_http

# --------------------------------------------------------------------------- network failures


async def test_refused_port() -> None:
    port = free_port()
    events, done = await collect(relay_settings(f"http://127.0.0.1:{port}/send"))
    assert done.failure is not None
    assert done.failure.kind == FailureKind.REFUSED
    assert done.failure.stage == "connect"
    assert stages(events) == [("resolve", True), ("connect", False)]


async def test_refused_on_every_address_of_localhost() -> None:
    port = free_port()
    _, done = await collect(relay_settings(f"http://localhost:{port}/send"))
    assert done.failure is not None and done.failure.kind == FailureKind.REFUSED


async def test_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    # No DNS traffic leaves this machine: the system resolver is replaced for the test.
    async def no_such_name(self: Any, host: str, *args: Any, **kw: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", no_such_name)
    settings = relay_settings("https://relay.nowhere.invalid/send")
    events, done = await collect(settings)
    assert done.failure is not None
    assert done.failure.kind == FailureKind.DNS
    assert done.failure.stage == "resolve"
    assert stages(events) == [("resolve", False)]
    assert "relay.nowhere.invalid" in diagnose(done.failure, settings).title


async def test_a_relay_that_never_answers_ends_at_the_deadline() -> None:
    server = SilentServer()
    try:
        settings = relay_settings(f"http://127.0.0.1:{server.port}/send", timeout=0.5)
        events, done = await collect(settings)
    finally:
        server.close()
    assert done.failure is not None
    assert done.failure.kind == FailureKind.TIMEOUT
    assert done.failure.stage == "response"
    assert stages(events)[-1] == ("response", False)
    assert "0.5 second" in diagnose(done.failure, settings).title


async def test_a_tls_port_that_never_handshakes_times_out_in_tls() -> None:
    server = SilentServer()
    try:
        settings = relay_settings(f"https://127.0.0.1:{server.port}/send", timeout=0.5)
        _, done = await collect(settings)
    finally:
        server.close()
    assert done.failure is not None
    assert (done.failure.kind, done.failure.stage) == (FailureKind.TIMEOUT, "tls")


async def test_an_answer_that_is_not_http() -> None:
    server = OneShotServer(b"220 mail.example.org ESMTP ready\r\n")
    try:
        settings = relay_settings(f"http://127.0.0.1:{server.port}/send")
        _, done = await collect(settings)
    finally:
        server.close()
    assert done.failure is not None
    assert done.failure.kind == FailureKind.HTTP
    assert done.failure.code is None
    assert done.failure.stage == "response"
    assert "not a valid web reply" in diagnose(done.failure, settings).title


async def test_a_2xx_whose_body_is_cut_short_still_counts_as_accepted() -> None:
    server = OneShotServer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nqueued")
    try:
        events, done = await collect(relay_settings(f"http://127.0.0.1:{server.port}/send"))
    finally:
        server.close()
    assert done.ok, done.failure
    assert any("could not be read" in line for line in transcript(events))


async def test_https_to_a_plain_http_port_is_a_tls_failure() -> None:
    with serve() as relay:
        _, done = await collect(relay_settings(f"https://127.0.0.1:{relay.port}/send"))
    assert done.failure is not None
    assert (done.failure.kind, done.failure.stage) == (FailureKind.TLS, "tls")


async def test_untrusted_certificate_names_its_names_and_dates(ca: trustme.CA) -> None:
    with serve(context=server_context(ca, "localhost", "127.0.0.1")) as relay:
        settings = relay_settings(f"https://localhost:{relay.port}/send")
        _events, done = await collect(settings)  # the default trust store: trustme's CA unknown
    assert done.failure is not None
    assert (done.failure.kind, done.failure.stage) == (FailureKind.CERTIFICATE, "tls")
    cert = done.failure.certificate
    assert cert is not None
    assert cert.names == ("localhost", "127.0.0.1")
    assert cert.not_before and cert.not_after
    assert "issuer" in cert.reason or "self" in cert.reason
    assert relay.received == []  # nothing was posted
    d = diagnose(done.failure, settings)
    assert "not trusted" in d.title and "localhost" in d.cause
    assert cert.not_after in d.cause


async def test_certificate_for_another_name(ca: trustme.CA) -> None:
    with serve(context=server_context(ca, "relay.example.org")) as relay:
        settings = relay_settings(f"https://localhost:{relay.port}/send")
        _, done = await collect(settings, verify=trusting(ca))
    assert done.failure is not None
    assert done.failure.kind == FailureKind.CERTIFICATE
    assert done.failure.certificate is not None
    assert done.failure.certificate.names == ("relay.example.org",)
    d = diagnose(done.failure, settings)
    assert "another name" in d.title
    assert "relay.example.org" in d.cause
    assert d.field == "http.url"


# --------------------------------------------------------------------------- cancel


async def test_cancel_ends_the_send_promptly_and_closes_the_connection() -> None:
    server = SilentServer()
    seen: list[SendEvent] = []
    waiting = asyncio.Event()

    async def run() -> None:
        settings = relay_settings(f"http://127.0.0.1:{server.port}/send", timeout=60)
        async for event in send_http(settings, OUT):
            seen.append(event)
            if isinstance(event, StageStarted) and event.stage == "response":
                waiting.set()

    task = asyncio.create_task(run())
    try:
        await asyncio.wait_for(waiting.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        closed = await asyncio.to_thread(server.closed_by_client.wait, 10)
    finally:
        server.close()
    assert closed, "the connection to the relay stayed open after cancel"
    assert not any(isinstance(e, SendFinished) for e in seen)
