"""diagnose() of real failures from the SMTP engine against the servers of tests/servers.py,
and of what the engine refuses before it connects."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.core.diagnose.diagnosing import (
    smtp_settings,
    text,
)
from tests.leaks import leak_forms
from tests.servers import (
    PASSWORD,
    RECIPIENT,
    SENDER,
    USERNAME,
    Script,
    SmtpServer,
    SocketServer,
)
from tui.core.diagnose.handlers import (
    Audience,
    diagnose,
)
from tui.core.events import CertificateInfo, Failure, FailureKind, Reason, SendFinished
from tui.core.keys import Key
from tui.core.message import Outgoing
from tui.core.settings import Settings
from tui.core.transports.smtp.engine import send_smtp

# --------------------------------------------------------------------------- end to end
# Real failures from the SMTP engine against the servers of tests/servers.py, then diagnosed.


async def _fail(settings: Settings, password: str | None = PASSWORD) -> tuple[Failure, str]:
    """Run a real send; return its failure and everything it said (for the password check)."""
    out = Outgoing(to=RECIPIENT, subject="Test", text="Hello")
    events = [e async for e in send_smtp(settings, password, out)]
    finished = events[-1]
    assert isinstance(finished, SendFinished)
    assert not finished.ok and finished.failure is not None
    return finished.failure, repr(events)


def _no_secret(username: str, password: str, *texts: str) -> None:
    """No form the password travelled in (see tests/leaks.py) is in any of `texts`."""
    for t in texts:
        for form in leak_forms(password, usernames=[username]):
            assert form not in t


@pytest.mark.parametrize("username", ["u@x.io", USERNAME, "someone.with.a.long.name@example.org"])
async def test_e2e_wrong_password_535_echoed_by_the_server(
    smtp_server: Callable[..., SmtpServer], username: str
) -> None:
    """The server echoes the password it was sent, in all its forms: neither the events nor
    the diagnosis (given the password, as the wizard and the CLI do) may show any of them."""
    sent = "not the password"
    echo = " ".join(leak_forms(sent, usernames=[username]))
    server = smtp_server("starttls", auth_reply=f"535 5.7.8 Bad credentials: {echo}")
    settings = server.settings()
    settings.smtp.username = username
    failure, said = await _fail(settings, sent)
    assert (failure.kind, failure.stage, failure.code) == (FailureKind.AUTH, "auth", 535)
    d = diagnose(failure, settings, password=sent)
    assert d.title == "The server refused the username or password."
    assert d.field == "password"
    assert "535" in d.cause
    _no_secret(username, sent, said, text(d))


async def test_e2e_gmail_app_password_required(smtp_server: Callable[..., SmtpServer]) -> None:
    reply = "534 5.7.9 Application-specific password required. For more information, go to"
    server = smtp_server("starttls", auth_reply=reply)
    settings = server.settings()
    settings.provider = "gmail"
    failure, said = await _fail(settings)
    assert failure.kind == FailureKind.AUTH and failure.enhanced == "5.7.9"
    d = diagnose(failure, settings)
    assert "app password" in d.title
    assert "App passwords" in d.fix
    _no_secret(settings.smtp.username, PASSWORD, said, text(d))


async def test_e2e_microsoft_smtp_auth_disabled(smtp_server: Callable[..., SmtpServer]) -> None:
    reply = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled"
    server = smtp_server("starttls", auth_reply=reply)
    settings = server.settings()
    settings.provider = "microsoft365"
    failure, _ = await _fail(settings)
    d = diagnose(failure, settings)
    assert "Authenticated SMTP" in d.fix


async def test_e2e_tls_spoken_to_a_starttls_port(starttls_server: SmtpServer) -> None:
    settings = starttls_server.settings(security="tls")
    failure, _ = await _fail(settings)
    assert failure.kind == FailureKind.TLS
    d = diagnose(failure, settings)
    assert d.field == "smtp.security"
    assert "STARTTLS" in d.fix


async def test_e2e_plain_text_spoken_to_an_implicit_tls_port(tls_server: SmtpServer) -> None:
    settings = tls_server.settings(security="starttls")
    failure, _ = await _fail(settings)
    d = diagnose(failure, settings)
    assert "expects TLS from the first byte" in d.title
    assert d.field == "smtp.security"


@pytest.mark.parametrize(
    ("cert", "title", "field"),
    [
        ("expired", "expired on", ""),
        ("wrong_name", "another name", "smtp.host"),
        ("untrusted", "not trusted", "smtp.ca_file"),
    ],
)
async def test_e2e_certificates(
    smtp_server: Callable[..., SmtpServer], cert: str, title: str, field: str
) -> None:
    server = smtp_server("tls", cert=cert)
    settings = server.settings()
    failure, said = await _fail(settings)
    assert failure.kind == FailureKind.CERTIFICATE
    assert failure.certificate is not None and failure.certificate.names
    d = diagnose(failure, settings)
    assert title in d.title
    assert d.field == field
    for name in failure.certificate.names:
        assert name in d.cause
    if cert == "wrong_name":  # the user typed 127.0.0.1
        assert "IP address" in d.fix and "mail.example.org" in d.fix
    # The certificate failed, so no sign-in may have been tried: no AUTH line sent.
    assert not re.search(r"direction='[-~]>', text='AUTH", said, re.IGNORECASE)


async def test_e2e_starttls_not_offered(scripted_server: Callable[[Script], SocketServer]) -> None:
    server = scripted_server(Script())
    settings = server.settings(security="starttls", username=USERNAME)
    failure, said = await _fail(settings)
    assert failure.kind == FailureKind.NO_STARTTLS
    d = diagnose(failure, settings)
    assert "password was not sent" in d.title
    assert "465" in d.fix
    assert not any(c.upper().startswith("AUTH") for c in server.commands)
    assert not re.search(r"direction='[-~]>', text='AUTH", said, re.IGNORECASE)


async def test_e2e_sender_and_recipient_refused(starttls_server: SmtpServer) -> None:
    starttls_server.handler.mail_reply = "553 5.7.1 Sender address rejected: not owned by user"
    settings = starttls_server.settings()
    failure, _ = await _fail(settings)
    assert diagnose(failure, settings).field == "sender.address"

    starttls_server.handler.mail_reply = None
    starttls_server.handler.rcpt_replies["archive@example.com"] = "550 5.1.1 User unknown"
    settings = starttls_server.settings(copy_to="archive@example.com")
    failure, _ = await _fail(settings)
    d = diagnose(failure, settings)
    assert failure.kind == FailureKind.RECIPIENT
    assert d.field == "sender.copy_to"


async def test_e2e_temporary_and_dropped_data(
    scripted_server: Callable[[Script], SocketServer],
) -> None:
    busy = scripted_server(Script(replies={"MAIL": "451 4.3.0 Try again later"}))
    settings = busy.settings(security="none")
    failure, _ = await _fail(settings, None)
    d = diagnose(failure, settings)
    assert failure.kind == FailureKind.TEMPORARY
    assert "try again later" in d.title

    dropping = scripted_server(Script(hang_up_in_data=True))
    settings = dropping.settings(security="none")
    failure, _ = await _fail(settings, None)
    d = diagnose(failure, settings)
    assert failure.kind == FailureKind.MESSAGE
    assert "not sent" in d.title


async def test_e2e_refused_port(refused_port: int) -> None:
    settings = smtp_settings(host="127.0.0.1", port=refused_port, username="")
    settings.smtp.security = "none"
    settings.sender.address = SENDER
    failure, _ = await _fail(settings, None)
    d = diagnose(failure, settings)
    assert failure.kind == FailureKind.REFUSED
    assert str(refused_port) in d.title


def test_untrusted_with_a_ca_file_says_the_file_does_not_vouch_for_it() -> None:
    s = smtp_settings()
    s.smtp.ca_file = "/etc/mail/our-ca.pem"
    cert = CertificateInfo(names=("mail.example.org",), issuer="Other CA", reason="x")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
    assert '("/etc/mail/our-ca.pem") does not vouch' in d.fix
    assert "Other CA" in d.fix
    assert d.field == "smtp.ca_file"


def test_unreadable_ca_file() -> None:
    s = smtp_settings()
    s.smtp.ca_file = "/nope.pem"
    f = Failure(FailureKind.CERTIFICATE, "starttls", detail="[Errno 2] No such file")
    d = diagnose(f, s)
    assert "CA file cannot be used" in d.title
    assert "No such file" in d.cause
    assert d.field == "smtp.ca_file"


def test_security_none_with_a_username_is_refused_before_connecting() -> None:
    s = smtp_settings(security="none", port=25)
    d = diagnose(Failure(FailureKind.NO_STARTTLS, "auth", detail="security is none"), s)
    assert "without encryption" in d.title
    assert d.field == "smtp.security"


def test_530_authentication_required_at_mail_asks_for_a_username() -> None:
    f = Failure(
        FailureKind.AUTH,
        "mail",
        code=530,
        enhanced="5.7.0",
        reply="530 5.7.0 Authentication required",
    )
    d = diagnose(f, smtp_settings(security="none", username="", port=25))
    assert "sign in" in d.title
    assert d.field == "smtp.username"


def test_530_must_issue_starttls_asks_for_encryption() -> None:
    f = Failure(
        FailureKind.NO_STARTTLS,
        "mail",
        code=530,
        enhanced="5.7.0",
        reply="530 5.7.0 Must issue a STARTTLS command first",
    )
    d = diagnose(f, smtp_settings(security="none", username="", port=25))
    assert "requires encryption" in d.title
    assert d.field == "smtp.security"


def test_size_limit_announced_by_the_server() -> None:
    f = Failure(
        FailureKind.MESSAGE,
        "mail",
        detail="the message is 5000 bytes; at most 100",
        reason=Reason.SIZE_LIMIT,
    )
    d = diagnose(f, smtp_settings())
    assert "too large" in d.title


def test_a_setting_refused_before_connecting_names_its_field() -> None:
    f = Failure(
        FailureKind.MESSAGE,
        "data",
        detail="contains a line break",
        field=Key.REPLY_TO,
        reason=Reason.SETTINGS,
    )
    d = diagnose(f, smtp_settings())
    assert d.field == Key.REPLY_TO
    assert "line break" in d.cause
    assert "Receive replies at a different address" in d.title
    cli = diagnose(f, smtp_settings(), audience=Audience.CLI)
    assert "sender.reply_to" in cli.title


def test_a_bad_sender_refused_before_connecting_is_not_a_server_refusal() -> None:
    """Issue 10's bug: the engine's detail has no "field: " prefix, and the diagnosis said the
    server refused the sender although nothing connected. The reason and field decide."""
    f = Failure(
        FailureKind.SENDER,
        "mail",
        detail="is empty or contains spaces or angle brackets",
        field=Key.SENDER_ADDRESS,
        reason=Reason.SETTINGS,
    )
    d = diagnose(f, smtp_settings(address="me @example.org"))
    assert d.field == Key.SENDER_ADDRESS
    assert "refused" not in d.title
    assert "before connecting" in d.cause and "Nothing was sent" in d.cause
    assert "angle brackets" in d.cause


def test_hang_up_at_greeting_is_not_called_a_refused_connection() -> None:
    f = Failure(FailureKind.REFUSED, "greeting", detail="the connection was closed by the server")
    d = diagnose(f, smtp_settings(port=2525))
    assert "hung up" in d.title
    assert d.field == "smtp.port"


def test_certificate_dates_in_the_smtp_engines_format() -> None:
    cert = CertificateInfo(names=("mail.example.org",), not_after="2001-02-03 04:05:06 UTC")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "expired on 2001-02-03 04:05:06 UTC" in d.title
