"""The network's failures (name, refusal, deadline, cancel), refusals before connecting, odd
servers, and the data a failure carries."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import pytest

from tests.core.transports.smtp.sending import (
    run,
)
from tests.servers import (
    RECIPIENT,
    USERNAME,
    Script,
    ScriptedServerFactory,
    SmtpServer,
    SocketServer,
)

# The server fixtures (tls_server, smtp_server, blackhole...) come from tests.servers,
# registered for every module by tests/conftest.py.
from tests.waiting import eventually
from tui.core.events import (
    FailureKind,
    SendEvent,
    SendFinished,
    StageStarted,
)
from tui.core.message import Outgoing, test_outgoing
from tui.core.transports.smtp.engine import certificate_info, send_smtp

# ---------------------------------------------------------------------------------------
# Network: name, refusal, deadline, cancel


async def test_name_that_cannot_resolve(tls_server: SmtpServer) -> None:
    # An empty label fails in the encoder before any query leaves the machine.
    result = await run(tls_server.settings(host="smtp..example.com"))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.DNS, "resolve")
    assert result.failure.exit_code == 10
    assert result.stages == [("resolve", False)]


async def test_name_not_found(tls_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The system resolver answering "not found", without sending a query off this machine.
    def not_found(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", not_found)
    result = await run(tls_server.settings(host="smtp.nowhere.example"))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.DNS, "resolve")
    assert "not known" in result.failure.detail


async def test_connection_refused(tls_server: SmtpServer, refused_port: int) -> None:
    result = await run(tls_server.settings(port=refused_port))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.REFUSED, "connect")
    assert result.failure.exit_code == 11


async def test_blackhole_ends_at_the_deadline(blackhole: SocketServer) -> None:
    result = await run(blackhole.settings(timeout=1.5), password=None)

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TIMEOUT, "greeting")
    assert result.failure.exit_code == 12


async def test_blackhole_with_implicit_tls_ends_at_the_deadline(blackhole: SocketServer) -> None:
    result = await run(blackhole.settings(security="tls", username=USERNAME, timeout=1))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TIMEOUT, "tls")


async def test_trickled_banner_ends_at_the_deadline(trickle_server: SocketServer) -> None:
    result = await run(trickle_server.settings(timeout=2), password=None)

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TIMEOUT, "greeting")
    assert not any(line.direction == "<-" for line in result.lines)  # never a whole line


async def test_cancel_ends_the_send_and_closes_the_connection(blackhole: SocketServer) -> None:
    settings = blackhole.settings(timeout=60)
    seen: list[SendEvent] = []

    async def consume() -> None:
        async for event in send_smtp(settings, None, test_outgoing(settings, RECIPIENT)):
            seen.append(event)

    task = asyncio.create_task(consume())
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, blackhole.accepted.wait, 10)
    await eventually(
        lambda: any(isinstance(e, StageStarted) and e.stage == "greeting" for e in seen)
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await loop.run_in_executor(None, blackhole.client_closed.wait, 10)
    assert not any(isinstance(e, SendFinished) for e in seen)


async def test_leaving_the_loop_early_closes_the_connection(blackhole: SocketServer) -> None:
    settings = blackhole.settings(timeout=60)
    events = send_smtp(settings, None, test_outgoing(settings, RECIPIENT))
    async for event in events:
        if isinstance(event, StageStarted) and event.stage == "greeting":
            break
    await events.aclose()
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, blackhole.client_closed.wait, 10)


# ---------------------------------------------------------------------------------------
# Refusals before connecting, and odd servers


async def test_username_with_security_none_is_refused_before_connecting(
    blackhole: SocketServer,
) -> None:
    result = await run(blackhole.settings(security="none", username=USERNAME))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.NO_STARTTLS, "auth")
    assert result.stages == []
    assert not blackhole.accepted.wait(0.2)


async def test_missing_password_is_refused_before_connecting(blackhole: SocketServer) -> None:
    result = await run(blackhole.settings(security="tls", username=USERNAME), password=None)

    assert result.failure.kind == FailureKind.NO_PASSWORD
    assert result.failure.exit_code == 3
    assert not blackhole.accepted.wait(0.2)


@pytest.mark.parametrize(
    ("override", "kind"),
    [
        ({"copy_to": "a@example.com\r\nRCPT TO:<evil@example.com>"}, FailureKind.RECIPIENT),
        ({"reply_to": "a@example.com\nBcc: evil@example.com"}, FailureKind.MESSAGE),
        ({"address": "me@example.com>\r\nRSET"}, FailureKind.SENDER),
        ({"name": "=?UTF-8?Q?=0A?=Bcc: evil@example.com"}, FailureKind.SENDER),
    ],
)
async def test_injection_in_settings_is_refused_before_connecting(
    blackhole: SocketServer, override: dict[str, str], kind: FailureKind
) -> None:
    result = await run(blackhole.settings(**override), password=None)

    assert result.failure.kind == kind
    assert result.stages == []
    assert not blackhole.accepted.wait(0.2)


async def test_injection_in_subject_is_refused(blackhole: SocketServer) -> None:
    outgoing = Outgoing(to=RECIPIENT, subject="hi\r\nBcc: evil@example.com", text="x")
    result = await run(blackhole.settings(), password=None, outgoing=outgoing)

    assert result.failure.kind == FailureKind.MESSAGE
    assert not blackhole.accepted.wait(0.2)


async def test_a_port_that_does_not_speak_smtp(scripted_server: ScriptedServerFactory) -> None:
    server: SocketServer = scripted_server(Script(greeting="HTTP/1.1 400 Bad Request"))
    result = await run(server.settings(), password=None)

    assert (result.failure.kind, result.failure.stage) == (FailureKind.REFUSED, "greeting")
    assert "not SMTP" in result.failure.detail


async def test_control_characters_from_the_server_are_escaped(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(Script(greeting="220 evil\x1b[2J\x07.example.com"))
    result = await run(server.settings(), password=None)

    assert result.finished.ok, result.transcript
    assert "\x1b" not in result.transcript and "\x07" not in result.transcript
    assert "\\x1b[2J" in result.transcript


# ---------------------------------------------------------------------------------------
# Failures carry data


@pytest.mark.parametrize(
    "address", ["me @example.com", "<me@example.com>", "me@exa\u00admple..com"]
)
async def test_a_bad_sender_address_is_a_settings_problem_not_a_server_refusal(
    blackhole: SocketServer, address: str
) -> None:
    from tui.core.diagnose.handlers import diagnose
    from tui.core.events import Reason
    from tui.core.keys import Key

    settings = blackhole.settings(address=address)
    result = await run(settings, password=None)

    failure = result.failure
    assert (failure.field, failure.reason) == (Key.SENDER_ADDRESS, Reason.SETTINGS)
    assert failure.code is None and failure.reply == ""
    assert result.stages == []  # nothing started: refused before connecting
    assert not blackhole.accepted.wait(0.2)
    diagnosis = diagnose(failure, settings)
    assert diagnosis.field == "sender.address"
    assert "refused" not in diagnosis.title.lower()


def test_failure_kinds_are_not_exit_codes() -> None:
    from tui.core.exits import Exit, exit_code_for

    assert all(not isinstance(kind.value, int) for kind in FailureKind)
    assert FailureKind.AUTH != 16  # type: ignore[comparison-overlap]
    codes = [exit_code_for(kind) for kind in FailureKind]
    assert len(set(codes)) == len(codes)  # one code per kind
    assert set(codes) <= {int(code) for code in Exit}


def test_certificate_text_chosen_by_a_server_is_escaped() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "evil\x1b]0;owned\x07"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Org\x1b[2J"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now)
        .sign(key, hashes.SHA256())
    )
    info = certificate_info(cert.public_bytes(Encoding.DER), reason="r")

    assert info.names == ("evil\\x1b]0;owned\\x07",)
    assert info.issuer == "CN=evil\\x1b]0;owned\\x07, O=Org\\x1b[2J"


async def test_the_connection_sends_small_writes_at_once(starttls_server: SmtpServer) -> None:
    # Without TCP_NODELAY (asyncio sets it only for sockets made with proto=IPPROTO_TCP),
    # DATA's end mark, written after the message, waits for the server's delayed ACK.
    from tui.core.transports.smtp.connection import open_connection

    conn = await open_connection(socket.AF_INET, ("127.0.0.1", starttls_server.port))
    try:
        assert conn.transport is not None
        sock = conn.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        conn.abort()
