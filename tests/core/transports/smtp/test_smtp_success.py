"""The staged SMTP send that goes well, against real local servers."""

from __future__ import annotations

from tests.core.transports.smtp.sending import (
    COPY,
    REPLY_TO,
    header_text,
    run,
)
from tests.servers import (
    RECIPIENT,
    SENDER,
    USERNAME,
    SmtpServer,
    SmtpServerFactory,
)

# The server fixtures (tls_server, smtp_server, blackhole...) come from tests.servers,
# registered for every module by tests/conftest.py.
from tui.core.message import Attachment, Outgoing

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
