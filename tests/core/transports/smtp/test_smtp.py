"""The staged SMTP send against real servers on 127.0.0.1 (aiosmtpd + trustme, and
plain-socket servers that misbehave). Every send is checked for well-formed events and
for the password, plain or base64, appearing nowhere in what was yielded."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.servers import (
    PASSWORD,
    RECIPIENT,
    SENDER,
    USERNAME,
    Certs,
    Script,
    ScriptedServerFactory,
    SmtpServer,
    SmtpServerFactory,
    SocketServer,
)

# The server fixtures (tls_server, smtp_server, blackhole...) come from tests.servers,
# registered for every module by tests/conftest.py.
from tests.waiting import eventually
from tui.core.events import (
    Failure,
    FailureKind,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.message import Attachment, Outgoing, test_outgoing
from tui.core.settings import Settings
from tui.core.tls import peer_certificate_info
from tui.core.transports.smtp.engine import certificate_info, send_smtp

COPY = "archive@example.com"
REPLY_TO = "replies@example.com"


def secret_forms(password: str, username: str = USERNAME) -> list[str]:
    forms = [password]
    for raw in (password, f"\0{username}\0{password}", f"{username}\0{password}"):
        forms.append(base64.b64encode(raw.encode()).decode())
    return forms


@dataclass
class Result:
    events: list[SendEvent]

    @property
    def finished(self) -> SendFinished:
        last = self.events[-1]
        assert isinstance(last, SendFinished)
        return last

    @property
    def failure(self) -> Failure:
        assert self.finished.failure is not None, self.transcript
        return self.finished.failure

    @property
    def stages(self) -> list[tuple[str, bool]]:
        return [(e.stage, e.ok) for e in self.events if isinstance(e, StageEnded)]

    @property
    def lines(self) -> list[TranscriptLine]:
        return [e for e in self.events if isinstance(e, TranscriptLine)]

    @property
    def transcript(self) -> str:
        return "\n".join(f"{line.direction} {line.text}" for line in self.lines)

    def targets(self, stage: str) -> list[str]:
        started = [
            e.target for e in self.events if isinstance(e, StageStarted) and e.stage == stage
        ]
        ended = [e.target for e in self.events if isinstance(e, StageEnded) and e.stage == stage]
        assert started == ended
        return started

    def sent(self) -> list[str]:
        return [line.text for line in self.lines if line.direction in ("->", "~>")]


def check_events(events: list[SendEvent], password: str) -> None:
    """Exactly one SendFinished, last; every stage started is ended before the next one;
    a failed send ends its failing stage as failed; no form of the password anywhere."""
    finished = [e for e in events if isinstance(e, SendFinished)]
    assert len(finished) == 1 and events[-1] is finished[0]
    open_stage: str | None = None
    for event in events:
        if isinstance(event, StageStarted):
            assert open_stage is None, f"{event.stage} started inside {open_stage}"
            open_stage = event.stage
        elif isinstance(event, StageEnded):
            assert event.stage == open_stage
            assert event.ms >= 0
            open_stage = None
    assert open_stage is None
    outcome = finished[0]
    if not outcome.ok:
        assert outcome.failure is not None
        ended = [e for e in events if isinstance(e, StageEnded)]
        if ended and ended[-1].stage == outcome.failure.stage:
            assert not ended[-1].ok
    text = repr(events)
    for form in secret_forms(password):
        assert form not in text, f"secret form {form!r} leaked"


async def run(
    settings: Settings,
    password: str | None = PASSWORD,
    outgoing: Outgoing | None = None,
    **kwargs: str,
) -> Result:
    outgoing = outgoing or test_outgoing(settings, RECIPIENT, hostname="testhost")
    events = [e async for e in send_smtp(settings, password, outgoing, **kwargs)]
    check_events(events, password or "never-used-password")
    return Result(events)


def header_text(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


# ---------------------------------------------------------------------------------------
# Success


async def test_implicit_tls_send_arrives_with_reply_to_and_hidden_copy(
    tls_server: SmtpServer,
) -> None:
    settings = tls_server.settings(reply_to=REPLY_TO, copy_to=COPY)
    result = await run(settings)

    assert result.finished.ok, result.transcript
    assert result.stages == [
        ("connect", True),
        ("tls", True),
        ("greeting", True),
        ("ehlo", True),
        ("auth", True),
        ("mail", True),
        ("rcpt", True),
        ("rcpt", True),
        ("data", True),
        ("quit", True),
    ]
    # The copy address is a visible stage of its own, each rcpt naming its address.
    assert result.targets("rcpt") == [RECIPIENT, COPY]
    assert result.finished.reply.startswith("250 2.0.0")
    assert result.finished.recipients == (RECIPIENT, COPY)
    (received,) = tls_server.received
    assert received.login == USERNAME.encode()
    assert received.mail_from == SENDER
    assert received.rcpt_tos == [RECIPIENT, COPY]
    message = received.message
    assert message["Reply-To"] == REPLY_TO
    assert message["To"] == RECIPIENT
    assert message["Bcc"] is None
    assert COPY not in header_text(received.data)
    assert COPY not in received.data.decode("ascii")  # nor in the body of the test message
    assert message["Date"] and message["Message-ID"].endswith("@example.com>")
    # Everything after the handshake is inside TLS; the login is redacted.
    assert all(line.direction in ("~>", "<~", "**") for line in result.lines)
    assert "AUTH PLAIN [redacted]" in result.sent()
    assert any("verified" in line.text for line in result.lines if line.direction == "**")


async def test_starttls_send_by_host_name_resolves_and_encrypts_before_login(
    starttls_server: SmtpServer,
) -> None:
    result = await run(starttls_server.settings(host="localhost", copy_to=COPY))

    assert result.finished.ok, result.transcript
    assert [stage for stage, _ in result.stages] == [
        "resolve",
        "connect",
        "greeting",
        "ehlo",
        "starttls",
        "ehlo",
        "auth",
        "mail",
        "rcpt",
        "rcpt",
        "data",
        "quit",
    ]
    # In clear up to STARTTLS, inside TLS from the second EHLO on.
    sent = [(line.direction, line.text) for line in result.lines if line.direction in "->~>"]
    assert sent[0][0] == "->" and sent[0][1].startswith("EHLO ")
    assert sent[1] == ("->", "STARTTLS")
    assert all(direction == "~>" for direction, _ in sent[2:])
    (received,) = starttls_server.received
    assert received.rcpt_tos == [RECIPIENT, COPY]
    assert "Bcc" not in header_text(received.data)
    assert COPY not in header_text(received.data)


async def test_auth_login_when_plain_is_not_offered(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("starttls", exclude_auth=("PLAIN",))
    result = await run(server.settings())

    assert result.finished.ok, result.transcript
    assert server.authenticator is not None and server.authenticator.mechanisms == ["LOGIN"]
    sent = result.sent()
    index = sent.index("AUTH LOGIN")
    assert sent[index + 1 : index + 3] == ["[redacted]", "[redacted]"]
    notes = [line.text for line in result.lines if line.direction == "**"]
    assert any("the server asks for: User Name" in note for note in notes)  # decoded 334
    assert server.received[0].login == USERNAME.encode()


async def test_plain_relay_without_login(plain_server: SmtpServer) -> None:
    result = await run(plain_server.settings(), password=None)

    assert result.finished.ok, result.transcript
    assert [stage for stage, _ in result.stages] == [
        "connect",
        "greeting",
        "ehlo",
        "mail",
        "rcpt",
        "data",
        "quit",
    ]
    assert all(line.direction in ("->", "<-", "**") for line in result.lines)
    assert plain_server.received[0].login is None


async def test_pdf_attachment_and_non_ascii_subject_arrive_intact(tls_server: SmtpServer) -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n.\n..\n%%EOF\n"
    outgoing = Outgoing(
        to=RECIPIENT,
        subject="Facture n° 42 – réglée",
        text="Bonjour,\n.\nvoici la facture.\n",
        attachments=(Attachment("facture-42.pdf", "application/pdf", pdf),),
    )
    result = await run(tls_server.settings(name="Zoë Müller"), outgoing=outgoing)

    assert result.finished.ok, result.transcript
    message = tls_server.received[0].message
    assert message["Subject"] == "Facture n° 42 – réglée"
    assert message["From"].addresses[0].display_name == "Zoë Müller"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "facture-42.pdf"
    assert attachment.get_content() == pdf
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "Bonjour,\n.\nvoici la facture.\n"
    assert any("more lines of the message not shown" in line.text for line in result.lines)


async def test_verification_off_accepts_an_untrusted_certificate(
    smtp_server: SmtpServerFactory,
) -> None:
    server: SmtpServer = smtp_server("tls", cert="untrusted")
    result = await run(server.settings(verify_certificate=False, ca_file=""))

    assert result.finished.ok, result.transcript
    assert any("NOT verified" in line.text for line in result.lines)


async def test_local_hostname_is_used_in_ehlo(plain_server: SmtpServer) -> None:
    result = await run(plain_server.settings(), local_hostname="client.example.net")
    assert "EHLO client.example.net" in result.sent()


# ---------------------------------------------------------------------------------------
# Authentication


async def test_wrong_password_is_one_plain_attempt_and_never_shown(tls_server: SmtpServer) -> None:
    wrong = "Wr0ng-Passw0rd?"
    result = await run(tls_server.settings(), password=wrong)

    failure = result.failure
    assert failure.kind == FailureKind.AUTH and failure.exit_code == 16
    assert failure.stage == "auth"
    assert (failure.code, failure.enhanced) == (535, "5.7.8")
    assert result.stages[-1] == ("auth", False)
    assert tls_server.authenticator is not None
    assert tls_server.authenticator.mechanisms == ["PLAIN"]  # no LOGIN retry
    assert not tls_server.received


async def test_wrong_password_with_login_is_one_attempt(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", exclude_auth=("PLAIN",))
    wrong = "Wr0ng-Passw0rd?"
    result = await run(server.settings(), password=wrong)

    assert result.failure.kind == FailureKind.AUTH
    assert result.failure.code == 535
    assert server.authenticator is not None and server.authenticator.mechanisms == ["LOGIN"]
    assert result.sent().count("[redacted]") == 2


async def test_gmail_app_password_required(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server(
        "starttls",
        auth_reply="534-5.7.9 Application-specific password required. Learn more at\r\n"
        "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
    )
    result = await run(server.settings())

    failure = result.failure
    assert (failure.kind, failure.stage, failure.code, failure.enhanced) == (
        FailureKind.AUTH,
        "auth",
        534,
        "5.7.9",
    )
    assert failure.reply.splitlines()[0].startswith("534-5.7.9 Application-specific")
    assert "InvalidSecondFactor" in failure.reply


async def test_microsoft_smtp_auth_disabled(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server(
        "starttls",
        auth_reply="535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication "
        "is disabled for the Tenant.",
    )
    result = await run(server.settings())

    assert (result.failure.kind, result.failure.enhanced) == (FailureKind.AUTH, "5.7.139")


async def test_a_server_echoing_the_password_is_redacted(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", auth_reply=f"535 5.7.8 password {PASSWORD} is wrong")
    result = await run(server.settings())  # run() asserts the password is nowhere

    assert result.failure.kind == FailureKind.AUTH
    assert "[redacted]" in result.failure.reply


async def test_no_supported_auth_mechanism(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", exclude_auth=("PLAIN", "LOGIN"))
    result = await run(server.settings())

    assert (result.failure.kind, result.failure.stage) == (FailureKind.AUTH, "auth")
    assert server.authenticator is not None and server.authenticator.mechanisms == []


# ---------------------------------------------------------------------------------------
# Envelope and message refusals


async def test_sender_refused(tls_server: SmtpServer) -> None:
    tls_server.handler.mail_reply = "553 5.7.1 Sender address rejected: not owned by user"
    result = await run(tls_server.settings())

    failure = result.failure
    assert (failure.kind, failure.stage, failure.code) == (FailureKind.SENDER, "mail", 553)
    assert failure.exit_code == 17
    assert failure.enhanced == "5.7.1"
    # After a refusal the client still says goodbye (in the transcript, not as a stage).
    assert result.sent()[-1] == "QUIT"
    assert result.stages[-1] == ("mail", False)


async def test_recipient_refused(tls_server: SmtpServer) -> None:
    tls_server.handler.rcpt_reply = "550 5.1.1 User unknown"
    result = await run(tls_server.settings())

    assert (result.failure.kind, result.failure.stage, result.failure.code) == (
        FailureKind.RECIPIENT,
        "rcpt",
        550,
    )
    assert RECIPIENT in result.failure.detail
    assert result.finished.recipients == ()


async def test_copy_address_refused_is_a_recipient_failure(tls_server: SmtpServer) -> None:
    tls_server.handler.rcpt_replies[COPY] = "550 5.1.1 No such mailbox"
    result = await run(tls_server.settings(copy_to=COPY))

    assert result.failure.kind == FailureKind.RECIPIENT
    assert COPY in result.failure.detail
    assert not tls_server.received


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("451 4.3.0 Mail server temporarily rejected message", FailureKind.TEMPORARY),
        ("554 5.6.0 Message rejected: content", FailureKind.MESSAGE),
        ("552 5.3.4 Message size exceeds fixed limit", FailureKind.MESSAGE),
    ],
)
async def test_message_refused_at_data(
    tls_server: SmtpServer, reply: str, kind: FailureKind
) -> None:
    tls_server.handler.data_reply = reply
    result = await run(tls_server.settings())

    assert (result.failure.kind, result.failure.stage) == (kind, "data")
    assert result.failure.code == int(reply[:3])
    assert not result.finished.ok


async def test_greylisting_at_mail_is_temporary(tls_server: SmtpServer) -> None:
    tls_server.handler.mail_reply = "451 4.7.1 Greylisted, try again later"
    result = await run(tls_server.settings())

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TEMPORARY, "mail")
    assert result.failure.exit_code == 20


async def test_busy_server_421_at_greeting(scripted_server: ScriptedServerFactory) -> None:
    server: SocketServer = scripted_server(
        Script(greeting="421 4.3.2 Service not available, closing", close_after_greeting=True)
    )
    result = await run(server.settings(), password=None)

    assert (result.failure.kind, result.failure.stage, result.failure.code) == (
        FailureKind.TEMPORARY,
        "greeting",
        421,
    )


async def test_hang_up_during_data(scripted_server: ScriptedServerFactory) -> None:
    server: SocketServer = scripted_server(Script(hang_up_in_data=True))
    result = await run(server.settings(), password=None)

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.MESSAGE, "data")
    assert failure.exit_code == 19
    assert "not sent" in failure.detail


async def test_message_larger_than_the_advertised_size(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(Script(ehlo=("250-tiny.example.com", "250 SIZE 100")))
    result = await run(server.settings(), password=None)

    assert (result.failure.kind, result.failure.stage) == (FailureKind.MESSAGE, "mail")
    assert not any(command.startswith("MAIL") for command in server.commands)


# ---------------------------------------------------------------------------------------
# STARTTLS


async def test_starttls_not_offered_stops_before_auth(smtp_server: SmtpServerFactory) -> None:
    # No TLS context: aiosmtpd offers neither STARTTLS nor (without TLS) AUTH.
    server: SmtpServer = smtp_server("none")
    result = await run(server.settings(security="starttls"))

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.NO_STARTTLS, "starttls")
    assert failure.exit_code == 15
    assert not any(text.startswith("AUTH") for text in result.sent())
    assert server.authenticator is not None and server.authenticator.mechanisms == []
    assert not server.received


async def test_starttls_answered_454_stops_before_auth(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(
        Script(ehlo=("250-mx.example.com", "250-STARTTLS", "250 AUTH PLAIN LOGIN"))
    )
    result = await run(server.settings(security="starttls", username=USERNAME))

    failure = result.failure
    assert (failure.kind, failure.stage, failure.code) == (FailureKind.NO_STARTTLS, "starttls", 454)
    assert not any(command.startswith(("AUTH", "MAIL")) for command in server.commands)


async def test_data_injected_after_starttls_220_is_refused(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(
        Script(
            ehlo=("250-mx.example.com", "250 STARTTLS"),
            replies={"STARTTLS": "220 2.0.0 Ready to start TLS\r\n250-AUTH PLAIN"},
        )
    )
    result = await run(server.settings(security="starttls", username=USERNAME))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TLS, "starttls")
    assert "after its 220" in result.failure.detail  # caught before the handshake
    assert not any(command.startswith("AUTH") for command in server.commands)


# ---------------------------------------------------------------------------------------
# Certificates and the wrong security mode


async def test_expired_certificate(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("starttls", cert="expired")
    result = await run(server.settings())

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.CERTIFICATE, "starttls")
    assert failure.exit_code == 14
    assert failure.certificate is not None
    assert "expired" in failure.certificate.reason
    assert failure.certificate.names == ("localhost", "127.0.0.1")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert failure.certificate.not_before < failure.certificate.not_after < now
    assert server.authenticator is not None and server.authenticator.mechanisms == []


async def test_certificate_for_another_name(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", cert="wrong_name")
    result = await run(server.settings())

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.CERTIFICATE, "tls")
    assert failure.certificate is not None
    assert failure.certificate.names == ("mail.example.org",)
    assert "mismatch" in failure.certificate.reason.lower()
    assert "mailwiz test CA" in failure.certificate.issuer


async def test_certificate_from_an_untrusted_ca(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", cert="untrusted")
    result = await run(server.settings())

    failure = result.failure
    assert failure.kind == FailureKind.CERTIFICATE
    assert failure.certificate is not None
    assert "someone else's CA" in failure.certificate.issuer
    assert failure.certificate.not_before and failure.certificate.not_after


async def test_without_the_ca_file_the_test_ca_is_not_trusted(tls_server: SmtpServer) -> None:
    result = await run(tls_server.settings(ca_file=""))
    assert result.failure.kind == FailureKind.CERTIFICATE


async def test_unreadable_ca_file_refuses_before_connecting(
    tls_server: SmtpServer, tmp_path: Path
) -> None:
    result = await run(tls_server.settings(ca_file=str(tmp_path / "missing.pem")))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.CERTIFICATE, "tls")
    assert result.stages == []


async def test_plain_text_greeting_on_a_port_used_as_implicit_tls(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(Script())
    result = await run(server.settings(security="tls", username=USERNAME))

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.TLS, "tls")
    assert failure.exit_code == 13
    assert failure.reply.startswith("220 scripted.example.com")
    assert "plain text" in failure.detail


async def test_implicit_tls_port_used_with_starttls(tls_server: SmtpServer) -> None:
    # The TLS port waits for a ClientHello; the client waits for a greeting. A second
    # connection finds out that the port speaks TLS, well before the deadline.
    result = await run(tls_server.settings(security="starttls", timeout=6))

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.TLS, "greeting")
    assert "implicit TLS" in failure.detail
    assert tls_server.authenticator is not None and tls_server.authenticator.mechanisms == []


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
# Certificate parsing


@pytest.mark.parametrize("name", ["good", "expired", "wrong_name", "untrusted"])
def test_certificate_info_matches_the_ssl_module(certs: Certs, name: str, tmp_path: Path) -> None:
    pem = certs.cert_pems[name]
    path = tmp_path / "cert.pem"
    path.write_bytes(pem)
    # CPython's own decoder (used by its test suite) as the reference.
    decoded = ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]
    info = certificate_info(ssl.PEM_cert_to_DER_cert(pem.decode()), reason="why")

    expected_names = tuple(
        value if kind == "DNS" else value.rstrip() for kind, value in decoded["subjectAltName"]
    )
    assert info.names == expected_names
    assert info.reason == "why"

    def iso(text: str) -> str:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(text), UTC).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )

    assert info.not_before == iso(decoded["notBefore"])
    assert info.not_after == iso(decoded["notAfter"])
    issuer_org = dict(pair for rdn in decoded["issuer"] for pair in rdn)["organizationName"]
    assert f"O={issuer_org}" in info.issuer


@pytest.mark.parametrize("name", ["good", "expired", "wrong_name", "untrusted"])
def test_the_verified_peer_dict_reads_as_cryptography_does(
    certs: Certs, name: str, tmp_path: Path
) -> None:
    # A successful handshake describes the certificate from getpeercert()'s dict (no
    # cryptography loaded); it must say what the DER reading says.
    pem = certs.cert_pems[name]
    path = tmp_path / "cert.pem"
    path.write_bytes(pem)
    decoded = ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]
    expected = certificate_info(ssl.PEM_cert_to_DER_cert(pem.decode()), reason="why")

    assert peer_certificate_info(decoded, reason="why") == expected
    assert expected.names and expected.issuer and expected.not_after  # not two empties


def test_the_peer_dict_reading_escapes_and_never_raises() -> None:
    evil = {
        "subject": ((("commonName", "evil\x1b]0;owned\x07"),),),
        "issuer": ((("commonName", "ca\x1b[2J"),), (("organizationName", "Org"),)),
        "notAfter": "not a date",
    }
    info = peer_certificate_info(evil, reason="r")
    assert info.names == ("evil\\x1b]0;owned\\x07",)
    assert info.issuer == "CN=ca\\x1b[2J, O=Org"
    assert (info.not_after, info.reason) == ("", "r")
    assert peer_certificate_info(None) == peer_certificate_info({})


async def test_a_verified_send_names_the_certificate_in_the_transcript(
    starttls_server: SmtpServer,
) -> None:
    result = await run(starttls_server.settings())

    assert result.finished.ok, result.transcript
    assert "verified (names: localhost, 127.0.0.1; issuer: O=mailwiz test CA" in (result.transcript)
    assert "valid until ?" not in result.transcript


def test_certificate_info_never_raises_on_garbage() -> None:
    assert certificate_info(b"\x30\x82\xff\xff", reason="r").reason == "r"
    assert certificate_info(b"", reason="").names == ()


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
