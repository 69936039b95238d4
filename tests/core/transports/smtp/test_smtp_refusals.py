"""The SMTP server's refusals: authentication, the envelope and the message."""

from __future__ import annotations

import pytest

from tests.core.transports.smtp.sending import (
    COPY,
    run,
)
from tests.servers import (
    PASSWORD,
    RECIPIENT,
    Script,
    ScriptedServerFactory,
    SmtpServer,
    SmtpServerFactory,
    SocketServer,
)

# The server fixtures (tls_server, smtp_server, blackhole...) come from tests.servers,
# registered for every module by tests/conftest.py.
from tui.core.events import (
    FailureKind,
)

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
