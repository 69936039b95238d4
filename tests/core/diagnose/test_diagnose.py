"""diagnose(): every failure class becomes a title, a cause, a fix and the field concerned."""

# The server fixtures are imported to register them, then named as test parameters.
# ruff: noqa: F811

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from tests.servers import (  # noqa: F401  (fixtures are registered by importing them)
    PASSWORD,
    RECIPIENT,
    SENDER,
    USERNAME,
    Script,
    SmtpServer,
    SocketServer,
    certs,
    refused_port,
    scripted_server,
    smtp_server,
    socket_server,
    starttls_server,
    tls_server,
)
from tui.core.diagnose.handlers import (
    Audience,
    Diagnosis,
    diagnose,
    explain_token_error,
    general_steps,
)
from tui.core.events import CertificateInfo, Failure, FailureKind, Reason, SendFinished
from tui.core.keys import Key
from tui.core.message import Outgoing
from tui.core.providers import catalogue, get_provider
from tui.core.settings import Settings
from tui.core.transports.smtp.engine import send_smtp


def smtp_settings(
    provider: str = "custom",
    host: str = "mail.example.org",
    port: int = 587,
    security: str = "starttls",
    username: str = "me@example.org",
    **sender: str,
) -> Settings:
    s = Settings(protocol="smtp", provider=provider)
    s.smtp.host = host
    s.smtp.port = port
    s.smtp.security = security  # type: ignore[assignment]
    s.smtp.username = username
    s.sender.address = sender.get("address", "")
    s.sender.copy_to = sender.get("copy_to", "")
    return s


def http_settings(url: str = "https://relay.example.org/send") -> Settings:
    s = Settings(protocol="http", provider="http")
    s.http.url = url
    s.sender.address = "me@example.org"
    s.sender.reply_to = "me@example.org"
    return s


def text(d: Diagnosis) -> str:
    return f"{d.title}\n{d.cause}\n{d.fix}"


# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize("kind", list(FailureKind))
@pytest.mark.parametrize("stage", ["resolve", "connect", "tls", "greeting", "auth", "data", ""])
@pytest.mark.parametrize("protocol", ["smtp", "http"])
def test_every_failure_gets_a_complete_diagnosis(
    kind: FailureKind, stage: str, protocol: str
) -> None:
    settings = smtp_settings() if protocol == "smtp" else http_settings()
    d = diagnose(Failure(kind=kind, stage=stage, detail="boom"), settings)
    assert d.title and d.cause and d.fix
    assert d.title.endswith(".")
    assert d.field == "" or isinstance(d.field, Key)
    assert text(d).isascii()


def test_general_steps_are_the_seeds_four() -> None:
    steps = general_steps(smtp_settings())
    assert len(steps) == 4
    joined = " ".join(steps).lower()
    for word in ("port", "app password", "firewall", "antivirus", "thunderbird"):
        assert word in joined


# --------------------------------------------------------------------------- network


def test_dns_shows_the_host_typed_and_the_providers_server() -> None:
    s = smtp_settings(provider="gmail", host="smtp.gmial.com", port=465, security="tls")
    d = diagnose(Failure(FailureKind.DNS, "resolve"), s)
    assert '"smtp.gmial.com"' in d.title
    assert "spelling" in d.fix
    assert "smtp.gmail.com" in d.fix
    assert d.field == "smtp.host"


def test_dns_points_out_a_scheme_typed_in_the_host_field() -> None:
    d = diagnose(Failure(FailureKind.DNS, "resolve"), smtp_settings(host="smtp://mail.x.org"))
    assert "without a scheme" in d.fix


def test_dns_for_the_relay_points_at_the_url() -> None:
    d = diagnose(Failure(FailureKind.DNS, "resolve"), http_settings("https://rleay.example/x"))
    assert "rleay.example" in d.title
    assert d.field == "http.url"


def test_refused_names_the_port_and_the_providers_usual_ports() -> None:
    s = smtp_settings(provider="gmail", host="smtp.gmail.com", port=2525, security="starttls")
    d = diagnose(Failure(FailureKind.REFUSED, "connect", detail="[Errno 111] refused"), s)
    assert "2525" in d.title
    assert "465" in d.fix and "587" in d.fix
    assert d.field == "smtp.port"


def test_refused_without_provider_suggests_465_and_587() -> None:
    d = diagnose(Failure(FailureKind.REFUSED, "connect"), smtp_settings(port=26))
    assert "465" in d.fix and "587" in d.fix
    assert "nothing accepts connections" in d.cause


def test_network_unreachable_is_told_apart() -> None:
    f = Failure(
        FailureKind.REFUSED,
        "connect",
        detail="[Errno 101] Network is unreachable",
        reason=Reason.NETWORK_UNREACHABLE,
    )
    d = diagnose(f, smtp_settings())
    assert "cannot reach" in d.title
    refused = diagnose(
        Failure(FailureKind.REFUSED, "connect", detail="unreachable"), smtp_settings()
    )
    assert "cannot reach" not in refused.title  # the words alone decide nothing


def test_no_route_is_a_reason_and_a_refusal_is_not() -> None:
    import errno

    from tui.core.transports.stages import unreachable_reason

    assert unreachable_reason(OSError(errno.ENETUNREACH, "Network is unreachable")) == (
        Reason.NETWORK_UNREACHABLE
    )
    assert unreachable_reason(OSError(errno.EHOSTUNREACH, "No route to host")) == (
        Reason.NETWORK_UNREACHABLE
    )
    assert unreachable_reason(ConnectionRefusedError(errno.ECONNREFUSED, "refused")) is None


def test_timeout_on_port_25_blames_blocked_outbound_smtp() -> None:
    s = smtp_settings(port=25, security="starttls")
    s.smtp.timeout = 20
    d = diagnose(Failure(FailureKind.TIMEOUT, "connect"), s)
    assert "20 seconds" in d.title
    assert "587" in d.fix and "465" in d.fix
    assert "block" in d.fix and "firewall" in d.fix.lower()
    assert "timeout" in d.fix.lower()
    assert d.field == "smtp.port"


def test_timeout_waiting_for_greeting_on_465_means_tls_is_expected() -> None:
    s = smtp_settings(port=465, security="starttls")
    d = diagnose(Failure(FailureKind.TIMEOUT, "greeting"), s)
    assert "465" in d.title and "TLS" in d.title
    assert "Set Encryption to TLS" in d.fix
    assert d.field == "smtp.security"


def test_timeout_late_in_the_send_does_not_claim_it_was_not_sent() -> None:
    d = diagnose(Failure(FailureKind.TIMEOUT, "data"), smtp_settings())
    assert "not known whether" in d.cause
    assert "data" in d.title
    # The fix names the timeout, which the form keeps under "Advanced": it says so, and its
    # field is the timeout, so "Edit settings" opens the fold on it.
    assert "Timeout (under Advanced)" in d.fix
    assert d.field == "smtp.timeout"


def test_tls_spoken_to_a_starttls_port() -> None:
    f = Failure(FailureKind.TLS, "tls", detail="[SSL: WRONG_VERSION_NUMBER] wrong version number")
    d = diagnose(f, smtp_settings(port=587, security="tls"))
    assert "STARTTLS" in d.fix and "465" in d.fix
    assert d.field == "smtp.security"


def test_plain_text_spoken_to_an_implicit_tls_port() -> None:
    f = Failure(FailureKind.TLS, "greeting", detail="Connection lost")
    d = diagnose(f, smtp_settings(port=465, security="starttls"))
    assert "Set Encryption to TLS" in d.fix and "587" in d.fix
    assert d.field == "smtp.security"


# --------------------------------------------------------------------------- certificates


def test_certificate_for_another_name_when_an_ip_address_was_typed() -> None:
    cert = CertificateInfo(
        names=("mail.example.org", "smtp.example.org"),
        not_before="Jan  1 00:00:00 2025 GMT",
        not_after="Jan  1 00:00:00 2099 GMT",
        issuer="Example CA",
        reason="IP address mismatch, certificate is not valid for '192.0.2.7'.",
    )
    s = smtp_settings(host="192.0.2.7")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
    assert "another name" in d.title
    assert "mail.example.org" in d.cause and "smtp.example.org" in d.cause
    assert "IP address" in d.fix and "host name" in d.fix and "mail.example.org" in d.fix
    assert "2099" in d.cause
    assert d.field == "smtp.host"


def test_certificate_name_mismatch_is_found_from_the_names_alone() -> None:
    cert = CertificateInfo(names=("*.shared-host.net",), reason="certificate verify failed")
    d = diagnose(
        Failure(FailureKind.CERTIFICATE, "starttls", certificate=cert),
        smtp_settings(host="mail.mydomain.org"),
    )
    assert "another name" in d.title
    assert "*.shared-host.net" in d.fix


def test_wildcard_certificate_covering_the_host_is_not_a_mismatch() -> None:
    cert = CertificateInfo(names=("*.example.org",), reason="self-signed certificate")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "not trusted" in d.title


def test_expired_certificate_shows_its_dates() -> None:
    cert = CertificateInfo(
        names=("mail.example.org",),
        not_before="Jan  1 00:00:00 2020 GMT",
        not_after="Jan  1 00:00:00 2021 GMT",
        reason="certificate has expired",
    )
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "expired on Jan  1 00:00:00 2021 GMT" in d.title
    assert "2020" in d.cause
    assert "clock" in d.fix and "renew" in d.fix


def test_expired_is_found_from_the_date_even_without_a_reason() -> None:
    cert = CertificateInfo(names=("mail.example.org",), not_after="2001-01-01T00:00:00Z")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "expired" in d.title


def test_self_signed_on_own_server_offers_ca_file_then_the_risky_option() -> None:
    cert = CertificateInfo(
        names=("mail.example.org",), issuer="mail.example.org", reason="self-signed certificate"
    )
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "not trusted" in d.title
    assert "CA file" in d.fix
    assert "Do not validate TLS certificate" in d.fix
    assert "Warning" in d.fix
    assert d.fix.index("CA file") < d.fix.index("Do not validate")
    assert d.field == "smtp.ca_file"


@pytest.mark.parametrize("provider", ["gmail", "yahoo", "microsoft365", "icloud"])
def test_never_suggest_disabling_checks_for_a_catalogue_provider(provider: str) -> None:
    p = get_provider(provider)
    s = smtp_settings(provider=provider, host=p.host, port=p.port, security=p.security)
    for reason, names in [
        ("self-signed certificate in certificate chain", (p.host,)),
        ("unable to get local issuer certificate", (p.host,)),
        ("Hostname mismatch", ("proxy.corp.local",)),
        ("certificate has expired", (p.host,)),
    ]:
        cert = CertificateInfo(names=names, reason=reason, issuer="Corp Proxy CA")
        d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
        assert "Do not validate" not in text(d)
        assert "ca file" not in text(d).lower()
    assert "intercept" in text(d)


def test_untrusted_catalogue_certificate_blames_interception() -> None:
    p = get_provider("gmail")
    s = smtp_settings(provider="gmail", host=p.host, port=465, security="tls")
    cert = CertificateInfo(names=(p.host,), reason="self-signed certificate in certificate chain")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
    assert "antivirus" in d.fix
    assert "Do not turn off certificate checks" in d.fix


# --------------------------------------------------------------------------- STARTTLS, auth


def test_starttls_not_offered_suspects_stripping_and_suggests_465() -> None:
    d = diagnose(Failure(FailureKind.NO_STARTTLS, "ehlo"), smtp_settings())
    assert "password was not sent" in d.title
    assert "antivirus" in d.cause and "firewall" in d.cause
    assert "465" in d.fix and "TLS" in d.fix
    assert d.field == "smtp.security"


def test_starttls_refused_quotes_the_reply() -> None:
    f = Failure(FailureKind.NO_STARTTLS, "starttls", code=454, reply="454 4.7.0 TLS not available")
    d = diagnose(f, smtp_settings())
    assert '"454 4.7.0 TLS not available"' in d.cause


def test_535_for_gmail_explains_the_app_password() -> None:
    reply = "535 5.7.8 Username and Password not accepted. For more information, go to ..."
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.8", reply=reply)
    d = diagnose(f, smtp_settings(provider="gmail", host="smtp.gmail.com", port=465))
    assert "username or password" in d.title
    assert "app password" in d.cause
    assert "2-Step Verification" in d.fix
    assert "Security > App passwords" in d.fix
    assert "5.7.8 Username and Password not accepted" in d.cause
    assert d.field == "password"


@pytest.mark.parametrize(
    ("provider", "words"),
    [
        ("yahoo", "login.yahoo.com/account/security"),
        ("icloud", "App-Specific Passwords"),
        ("fastmail", "Manage app passwords"),
    ],
)
def test_535_per_provider_app_password_wording(provider: str, words: str) -> None:
    p = get_provider(provider)
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.8", reply="535 5.7.8 nope")
    d = diagnose(f, smtp_settings(provider=provider, host=p.host, port=p.port), p)
    assert words in d.fix
    assert d.field == "password"


def test_535_for_a_custom_server_is_generic() -> None:
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.8", reply="535 5.7.8 Bad")
    d = diagnose(f, smtp_settings())
    assert "one of them is wrong" in d.cause
    assert "me@example.org" in d.fix
    assert "Gmail" not in text(d)


def test_gmail_534_579_needs_an_app_password() -> None:
    reply = "534 5.7.9 Application-specific password required. For more information, go to ..."
    f = Failure(FailureKind.AUTH, "auth", code=534, enhanced="5.7.9", reply=reply)
    d = diagnose(f, smtp_settings(provider="gmail", host="smtp.gmail.com", port=465))
    assert "app password" in d.title
    assert "2-Step Verification" in d.fix and "App passwords" in d.fix
    assert d.field == "password"


def test_gmail_app_password_text_is_recognised_without_an_enhanced_code() -> None:
    reply = "534 Application-specific password required"
    f = Failure(FailureKind.AUTH, "auth", code=534, reply=reply)
    d = diagnose(f, smtp_settings(provider="custom", host="smtp.gmail.com", port=465))
    assert "app password" in d.title


def test_gmail_5714_web_login_required() -> None:
    reply = "534 5.7.14 <https://accounts.google.com/signin/continue?...> Please log in via your "
    f = Failure(FailureKind.AUTH, "auth", code=534, enhanced="5.7.14", reply=reply)
    d = diagnose(f, smtp_settings(provider="gmail", host="smtp.gmail.com", port=465))
    assert "browser" in d.title
    assert "App passwords" in d.fix


@pytest.mark.parametrize("enhanced", ["5.7.139", "5.7.3"])
def test_microsoft_smtp_auth_disabled(enhanced: str) -> None:
    reply = f"535 {enhanced} Authentication unsuccessful, SmtpClientAuthentication is disabled"
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced=enhanced, reply=reply)
    d = diagnose(f, smtp_settings(provider="microsoft365", host="smtp.office365.com"))
    assert "Authenticated SMTP" in d.fix
    assert "administrator" in d.fix
    assert "Security defaults" in d.fix
    assert "SmtpClientAuthentication is disabled" in d.cause


def test_microsoft_recognised_by_host_when_provider_is_custom() -> None:
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.139", reply="535 5.7.139 x")
    d = diagnose(f, smtp_settings(host="smtp.office365.com"))
    assert "Authenticated SMTP" in d.fix


def test_outlook_com_password_sign_in_retired() -> None:
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.139", reply="535 5.7.139 x")
    d = diagnose(f, smtp_settings(provider="outlook", host="smtp-mail.outlook.com"))
    assert "Outlook.com" in d.title
    assert "HTTP relay" in d.fix


def test_no_auth_offered_suggests_the_submission_port() -> None:
    f = Failure(FailureKind.AUTH, "auth", detail="No suitable authentication method found.")
    d = diagnose(f, smtp_settings(port=25))
    assert "587" in d.fix
    assert d.field == "smtp.port"


# --------------------------------------------------------------------------- envelope, data


def test_sender_refused_points_at_the_sender_address() -> None:
    reply = "553 5.7.1 <boss@example.com>: Sender address rejected: not owned by user"
    f = Failure(FailureKind.SENDER, "mail", code=553, enhanced="5.7.1", reply=reply)
    s = smtp_settings(username="me@example.org", address="boss@example.com")
    d = diagnose(f, s)
    assert "boss@example.com" in d.title
    assert "alias" in d.fix and '"me@example.org"' in d.fix
    assert "not owned by user" in d.cause
    assert d.field == "sender.address"


def test_recipient_refused_points_at_the_recipient() -> None:
    reply = "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown"
    f = Failure(FailureKind.RECIPIENT, "rcpt", code=550, enhanced="5.1.1", reply=reply)
    d = diagnose(f, smtp_settings())
    assert "recipient address" in d.title
    assert "User unknown" in d.cause
    assert d.field == "recipient"


def test_copy_address_refused_points_at_copy_to() -> None:
    reply = "550 5.1.1 <archive@example.net>: Recipient address rejected: User unknown"
    f = Failure(
        FailureKind.RECIPIENT,
        "rcpt",
        code=550,
        enhanced="5.1.1",
        reply=reply,
        field=Key.COPY_TO,
        location="archive@example.net",
    )
    d = diagnose(f, smtp_settings(copy_to="archive@example.net"))
    assert "copy address" in d.title
    assert d.field == "sender.copy_to"


def test_relay_denied_for_an_anonymous_send_asks_for_a_sign_in() -> None:
    reply = "554 5.7.1 <x@example.net>: Relay access denied"
    f = Failure(FailureKind.RECIPIENT, "rcpt", code=554, enhanced="5.7.1", reply=reply)
    d = diagnose(f, smtp_settings(port=25, security="none", username=""))
    assert "sign in" in d.fix
    assert d.field == "smtp.username"


@pytest.mark.parametrize(
    ("code", "enhanced", "stage"),
    [(421, "4.3.2", "greeting"), (451, "4.7.1", "rcpt"), (450, "", "mail")],
)
def test_temporary_failures_say_try_again_later(code: int, enhanced: str, stage: str) -> None:
    f = Failure(FailureKind.TEMPORARY, stage, code=code, enhanced=enhanced, reply=f"{code} busy")
    d = diagnose(f, smtp_settings())
    assert "try again later" in d.title
    assert "nothing is necessarily wrong with your settings" in d.cause
    assert f'"{code} busy"' in d.cause
    assert d.field == ""


def test_temporary_failure_at_auth_warns_about_lockout() -> None:
    f = Failure(FailureKind.TEMPORARY, "auth", code=454, enhanced="4.7.0", reply="454 4.7.0 x")
    d = diagnose(f, smtp_settings())
    assert "sign-in" in d.title
    assert "Wait" in d.fix


def test_connection_dropped_during_data() -> None:
    f = Failure(FailureKind.MESSAGE, "data", detail="Connection lost")
    d = diagnose(f, smtp_settings())
    assert "not sent" in d.title
    assert "too large" in d.cause or "larger" in d.cause
    assert "filter" in d.cause


def test_message_too_large() -> None:
    reply = "552 5.3.4 Message size exceeds fixed limit"
    f = Failure(FailureKind.MESSAGE, "data", code=552, enhanced="5.3.4", reply=reply)
    assert "too large" in diagnose(f, smtp_settings()).title


def test_microsoft_send_as_denied_points_at_the_sender() -> None:
    reply = (
        "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"
    )
    f = Failure(FailureKind.MESSAGE, "data", code=554, enhanced="5.2.0", reply=reply)
    d = diagnose(f, smtp_settings(provider="microsoft365", address="boss@corp.example"))
    assert d.field == "sender.address"


# --------------------------------------------------------------------------- http


@pytest.mark.parametrize(
    ("status", "words", "field"),
    [
        (401, "not allowed", "http.url"),
        (403, "not allowed", "http.url"),
        (404, "No relay at this URL", "http.url"),
        (500, "right now", ""),
        (503, "right now", ""),
        (429, "right now", ""),
        (400, "refused the message", ""),
    ],
)
def test_http_status_wording(status: int, words: str, field: str) -> None:
    # The engine makes 429 and 5xx TEMPORARY (exit 20); the words follow the kind.
    kind = FailureKind.TEMPORARY if status == 429 or status >= 500 else FailureKind.HTTP
    f = Failure(kind, "response", code=status, reply=f"{status} body text here")
    d = diagnose(f, http_settings())
    assert words in d.title
    assert str(status) in d.title
    assert f'The relay said: "{status} body text here".' in d.cause
    assert d.field == field


def test_http_redirect_to_plain_http_refused() -> None:
    reply = "301 Moved Permanently; Location: http://relay.example.org/send"
    f = Failure(
        FailureKind.HTTP,
        "response",
        code=301,
        reply=reply,
        location="http://relay.example.org/send",
    )
    d = diagnose(f, http_settings())
    assert "unencrypted" in d.title
    assert "http://relay.example.org/send" in d.cause
    assert d.field == "http.url"


def test_http_redirect_to_https_asks_to_update_the_url() -> None:
    reply = "308 Permanent Redirect; Location: https://new.example.org/send"
    f = Failure(
        FailureKind.HTTP, "response", code=308, reply=reply, location="https://new.example.org/send"
    )
    d = diagnose(f, http_settings())
    assert "moved" in d.title
    assert "https://new.example.org/send" in d.fix


def test_http_bad_url() -> None:
    f = Failure(FailureKind.HTTP, "resolve", reply="http:// is allowed only for this computer")
    d = diagnose(f, http_settings("http://relay.example.org/"))
    assert "https://" in d.cause
    assert d.field == "http.url"


# --------------------------------------------------------------------------- other


def test_no_password() -> None:
    s = smtp_settings()
    d = diagnose(Failure(FailureKind.NO_PASSWORD, ""), s)
    assert "me@example.org at mail.example.org" in d.cause
    assert "MAILWIZ_PASSWORD" in d.cause and "MAILWIZ_PASSWORD" in d.fix
    assert "mailwiz password" in d.fix
    assert d.field == "password"


def test_internal_error_says_what_to_report() -> None:
    f = Failure(FailureKind.INTERNAL, "ehlo", detail="KeyError: 'x'")
    d = diagnose(f, smtp_settings())
    assert "bug" in d.title
    assert "KeyError" in d.cause and "ehlo" in d.cause
    assert "report" in d.fix.lower() and "--json" in d.fix


def test_provider_comes_from_the_settings_when_not_given() -> None:
    f = Failure(FailureKind.REFUSED, "connect")
    d = diagnose(f, smtp_settings(provider="yahoo", host="smtp.mail.yahoo.com", port=2525))
    assert "Yahoo" in d.fix


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
    """No form the password travelled in (see _secret_forms) is in any of `texts`."""
    for t in texts:
        for form in _secret_forms(username, password):
            assert form not in t


@pytest.mark.parametrize("username", ["u@x.io", USERNAME, "someone.with.a.long.name@example.org"])
async def test_e2e_wrong_password_535_echoed_by_the_server(
    smtp_server: Callable[..., SmtpServer], username: str
) -> None:
    """The server echoes the password it was sent, in all its forms: neither the events nor
    the diagnosis (given the password, as the wizard and the CLI do) may show any of them."""
    sent = "not the password"
    echo = " ".join(_secret_forms(username, sent))
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


# --------------------------------------------------------------------------- the texts as data


def _code_strings() -> tuple[dict[str, set[str]], set[str], set[str]]:
    """From the diagnosis code: the ids named in make()/part()/sub() calls, every string
    constant, and the fixed prefixes of f-strings (f"where-{store}" gives "where-")."""
    import ast
    from pathlib import Path

    import tui.core.diagnose as package
    import tui.screens.guidance as guidance_screen
    import tui.screens.troubleshoot as troubleshoot_screen

    files = [*Path(package.__path__[0]).glob("*.py")]
    files += [Path(str(guidance_screen.__file__)), Path(str(troubleshoot_screen.__file__))]
    calls: dict[str, set[str]] = {"make": set(), "part": set(), "sub": set()}
    constants: set[str] = set()
    prefixes: set[str] = set()
    for file in files:
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    prefixes.add(first.value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in calls
                and node.args
            ):
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if len(args) == len(node.args) and all(isinstance(a, str) for a in args):
                    calls[node.func.attr].add(".".join(str(a) for a in args))
    return calls, constants, prefixes


def _toml_references() -> set[str]:
    """Names the texts themselves use: "@name" steps, d = "..." in the tables, page marks."""
    import re
    from pathlib import Path

    import tui.core.diagnose as package
    from tui.core.diagnose.texts import data

    found = set(re.findall(r'"@([a-z0-9-]+)"', str(data()).replace("'", '"')))
    for table in ("reply", "token"):
        found |= {rule["d"] for rule in data()[table]}
    for page in Path(package.__path__[0], "guidance").glob("*.md"):
        found |= set(re.findall(r"<!--\s*steps:\s*([a-z0-9-]+)\s*-->", page.read_text()))
    return found


def test_every_text_the_code_names_exists() -> None:
    from tui.core.diagnose.texts import data

    calls, _, _ = _code_strings()
    texts = data()
    assert calls["make"] and calls["part"] and calls["sub"]
    assert calls["make"] <= set(texts["d"]), calls["make"] - set(texts["d"])
    assert calls["part"] <= set(texts["part"]), calls["part"] - set(texts["part"])
    for pair in calls["sub"]:
        diagnosis, name = pair.split(".")
        assert name in texts["d"][diagnosis], pair
    named_steps = _toml_references() - set(texts["d"])
    assert named_steps <= set(texts["step"]) | set(texts["steps"]) | {"app-password"}


def test_every_text_is_used() -> None:
    from tui.core.diagnose.texts import data

    calls, constants, prefixes = _code_strings()
    used = constants | _toml_references() | {p.split(".")[0] for p in calls["sub"]}

    def is_used(name: str) -> bool:
        return name in used or any(prefix and name.startswith(prefix) for prefix in prefixes)

    texts = data()
    for table in ("d", "part", "step", "steps"):
        unused = [name for name in texts[table] if not is_used(name)]
        assert not unused, f"[{table}] texts nothing uses: {unused}"
    for name, entry in texts["d"].items():
        extra = set(entry) - {"title", "cause", "fix"}
        unused = [key for key in extra if f"{name}.{key}" not in calls["sub"] and not is_used(key)]
        assert not unused, f"[d.{name}] pieces nothing uses: {unused}"
    # Each app-password step list belongs to a guidance key of the catalogue, or is generic.
    keys = {p.guidance for p in catalogue() if p.guidance}
    for name in texts["app_password"]["letters"]:
        assert name in keys, name


# --------------------------------------------------------------------------- provider replies


def microsoft(provider: str = "microsoft365", **kw: str) -> Settings:
    host = get_provider(provider).host
    return smtp_settings(provider=provider, host=host, port=587, **kw)


@pytest.mark.parametrize("provider", ["gmail", "yahoo", "icloud", "fastmail", "custom"])
def test_534_579_from_any_provider_asks_for_an_app_password(provider: str) -> None:
    p = get_provider(provider)
    reply = "534-5.7.9 Application-specific password required. Learn more at ..."
    f = Failure(FailureKind.AUTH, "auth", code=534, enhanced="5.7.9", reply=reply)
    s = smtp_settings(provider=provider, host=p.host or "mail.example.org", port=p.port)
    d = diagnose(f, s)
    assert "app password" in d.title
    assert d.field == Key.PASSWORD
    assert "sign-in method" not in d.title
    if provider == "custom":
        assert "security settings" in d.fix and d.title.startswith("Your email provider")
    else:
        assert p.name in d.title


def test_gmail_535_with_a_password_that_is_not_16_letters_looks_like_the_account_one() -> None:
    reply = "535-5.7.8 Username and Password not accepted."
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.8", reply=reply)
    s = smtp_settings(provider="gmail", host="smtp.gmail.com", port=465, security="tls")
    d = diagnose(f, s, password="Summer2026!")
    assert "account password" in d.title
    assert "16 letters" in d.cause
    assert "apppasswords" in d.fix
    assert d.field == Key.PASSWORD
    # An app password, with Google's spaces or without, is not called the account password.
    for typed in ("abcd efgh ijkl mnop", "abcdefghijklmnop"):
        d = diagnose(f, s, password=typed)
        assert "account password" not in d.title
        assert d.title == "The server refused the username or password."
    assert "account password" not in diagnose(f, s).title  # nothing known about it


def test_app_password_steps_are_written_once() -> None:
    """The diagnosis and the guidance page give the very same Gmail steps."""
    from tui.core.diagnose.guidance import page

    f = Failure(FailureKind.AUTH, "auth", code=534, enhanced="5.7.9", reply="534 5.7.9 x")
    d = diagnose(f, smtp_settings(provider="gmail", host="smtp.gmail.com", port=465))
    markdown = page("gmail", "Gmail").replace("**", "").replace("`", "")
    for line in d.fix.splitlines():
        assert line in markdown
    assert "4 groups of 4" in d.fix and "spaces do not matter" in d.fix


@pytest.mark.parametrize("where", ["Tenant", "Mailbox"])
def test_microsoft_smtp_client_authentication_disabled_gives_the_admin_steps(where: str) -> None:
    reply = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        f"{where}. Visit https://aka.ms/smtp_auth_disabled for more information."
    )
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.139", reply=reply)
    d = diagnose(f, microsoft())
    assert "SMTP AUTH" in d.title
    assert "Exchange admin center > Recipients > Mailboxes" in d.fix
    assert "Manage email apps" in d.fix and "Authenticated SMTP" in d.fix
    assert "Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false" in d.fix
    assert "Set-TransportConfig -SmtpClientAuthenticationDisabled $false" in d.fix


@pytest.mark.parametrize(
    ("code", "enhanced", "reply"),
    [
        (
            535,
            "5.7.139",
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        ),
        (550, "5.7.30", "550 5.7.30 Basic authentication is not supported for Client Submission."),
    ],
)
@pytest.mark.parametrize("provider", ["microsoft365", "outlook", "custom"])
def test_microsoft_basic_auth_off_says_sign_in_with_microsoft(
    code: int, enhanced: str, reply: str, provider: str
) -> None:
    f = Failure(FailureKind.AUTH, "auth", code=code, enhanced=enhanced, reply=reply)
    s = microsoft(provider) if provider != "custom" else smtp_settings(host="smtp.office365.com")
    d = diagnose(f, s)
    assert d.title == "This account no longer accepts passwords: sign in with Microsoft."
    assert d.field == Key.AUTH
    cli = diagnose(f, s, audience=Audience.CLI)
    assert "`mailwiz login`" in cli.fix and 'smtp.auth = "oauth2"' in cli.fix


def test_microsoft_5_7_3_credentials_or_token_rejected() -> None:
    reply = "535 5.7.3 Authentication unsuccessful"
    f = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.3", reply=reply)
    d = diagnose(f, microsoft())
    assert "rejected" in d.title
    assert "token" in d.cause
    assert d.field == Key.PASSWORD


def test_microsoft_send_as_denied_5_2_252() -> None:
    reply = (
        "554 5.2.252 SendAsDenied; boss@corp.example not allowed to send as ceo@corp.example; "
        "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"
    )
    f = Failure(FailureKind.MESSAGE, "data", code=554, enhanced="5.2.252", reply=reply)
    d = diagnose(f, microsoft(address="ceo@corp.example"))
    assert "ceo@corp.example" in d.title
    assert "signed-in mailbox" in d.fix and "Send As" in d.fix
    assert d.field == Key.SENDER_ADDRESS


def test_microsoft_530_5_7_57_not_authenticated() -> None:
    reply = "530 5.7.57 Client not authenticated to send mail. [PR3P191CA0001]"
    f = Failure(FailureKind.SENDER, "mail", code=530, enhanced="5.7.57", reply=reply)
    d = diagnose(f, microsoft(username=""))
    assert "not signed in" in d.title
    assert d.field == Key.USERNAME


def test_starttls_closed_is_a_tls_failure_not_starttls_missing() -> None:
    for kind in (FailureKind.TLS, FailureKind.NO_STARTTLS):
        f = Failure(kind, "starttls", reason=Reason.STARTTLS_CLOSED, detail="Connection lost")
        d = diagnose(f, smtp_settings())
        assert "hung up when asked to start encryption" in d.title
        assert "did not offer" not in text(d)
        assert d.field == Key.SECURITY


def test_non_ascii_address_at_a_server_without_smtputf8() -> None:
    f = Failure(
        FailureKind.RECIPIENT,
        "mail",
        field=Key.RECIPIENT,
        location="josé@example.com",
        reason=Reason.SMTPUTF8_NOT_OFFERED,
    )
    d = diagnose(f, smtp_settings())
    assert "josé@example.com" in d.title
    assert "SMTPUTF8" in d.cause and "stopped before sending" in d.cause
    assert d.field == Key.RECIPIENT


# --------------------------------------------------------------------------- who reads it


@pytest.mark.parametrize(
    ("failure", "settings", "cli_key", "wizard_label"),
    [
        (
            Failure(FailureKind.CERTIFICATE, "tls", certificate=CertificateInfo(reason="x")),
            smtp_settings(),
            "smtp.ca_file",
            "CA file",
        ),
        (
            Failure(FailureKind.CERTIFICATE, "tls", certificate=CertificateInfo(reason="x")),
            smtp_settings(),
            "smtp.verify_certificate = false",
            "Do not validate TLS certificate",
        ),
        (
            Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.8", reply="535 no"),
            smtp_settings(),
            "mailwiz password",
            "Show password",
        ),
        (
            Failure(FailureKind.TIMEOUT, "greeting"),
            smtp_settings(port=2525),
            "smtp.security",
            "Encryption",
        ),
    ],
)
def test_fixes_name_the_settings_key_on_the_command_line(
    failure: Failure, settings: Settings, cli_key: str, wizard_label: str
) -> None:
    wizard = diagnose(failure, settings)
    cli = diagnose(failure, settings, audience=Audience.CLI)
    assert wizard_label in wizard.fix and cli_key not in wizard.fix
    assert cli_key in cli.fix and wizard_label not in cli.fix
    assert wizard.field == cli.field


@pytest.mark.parametrize("kind", list(FailureKind))
@pytest.mark.parametrize("reason", [None, *Reason])
def test_every_reason_and_kind_reads_well_on_the_command_line(
    kind: FailureKind, reason: Reason | None
) -> None:
    f = Failure(kind=kind, stage="auth", code=535, reply="x", reason=reason, field=Key.COPY_TO)
    for settings in (smtp_settings(), http_settings()):
        d = diagnose(f, settings, audience=Audience.CLI)
        assert d.title.endswith(".") and d.cause and d.fix
        assert "Show password" not in d.fix and " field" not in d.fix


def test_the_relays_troubleshooting_has_no_smtp_steps() -> None:
    steps = " ".join(general_steps(http_settings())).lower()
    for smtp_word in ("starttls", "port 465", "smtp", "app password", "thunderbird"):
        assert smtp_word not in steps
    assert "https://" in steps


# --------------------------------------------------------------------------- blocked ports


@pytest.mark.parametrize("port", [465, 587])
@pytest.mark.parametrize("kind", [FailureKind.TIMEOUT, FailureKind.REFUSED])
def test_blocked_submission_port_names_the_clouds_and_what_works(
    port: int, kind: FailureKind
) -> None:
    provider = get_provider("sendgrid")
    s = smtp_settings(provider="sendgrid", host=provider.host, port=port)
    d = diagnose(Failure(kind, "connect", detail="[Errno 111] refused"), s)
    for cloud in ("AWS", "Google Cloud", "Azure", "DigitalOcean", "Hetzner", "Linode"):
        assert cloud in d.fix
    assert f"port 2525 ({provider.host})" in d.fix  # the catalogue's alternate port
    assert 'http.api = "sendgrid"' in d.fix
    assert d.field == Key.PORT


def test_blocked_port_without_2525_or_api_suggests_a_service_that_has_them() -> None:
    s = smtp_settings(port=587)
    d = diagnose(Failure(FailureKind.TIMEOUT, "connect"), s)
    assert "2525" in d.fix and "SMTP2GO" in d.fix
    assert "http.api" not in d.fix


def test_a_refused_uncommon_port_does_not_blame_the_hosting_provider() -> None:
    d = diagnose(Failure(FailureKind.REFUSED, "connect"), smtp_settings(port=2526))
    assert "cloud" not in d.fix


# --------------------------------------------------------------------------- HTTP APIs


def api_settings(api: str = "postmark") -> Settings:
    s = http_settings("https://api.postmarkapp.com")
    s.http.api = api  # type: ignore[assignment]
    return s


@pytest.mark.parametrize("code", [401, 403])
def test_api_key_refused_names_the_key(code: int) -> None:
    reply = f'{code} {{"ErrorCode": 10, "Message": "The Server Token you provided was invalid."}}'
    f = Failure(
        FailureKind.AUTH,
        "response",
        code=code,
        reply=reply,
        field=Key.PASSWORD,
        reason=Reason.API_KEY_REFUSED,
    )
    d = diagnose(f, api_settings())
    assert d.title == f"The API key was refused ({code})."
    assert "Postmark" in d.cause and "Server Token you provided was invalid" in d.cause
    assert d.field == Key.PASSWORD
    assert "mailwiz password" in diagnose(f, api_settings(), audience=Audience.CLI).fix


def test_api_validation_error_shows_the_providers_words_with_a_fix() -> None:
    reply = (
        '422 {"ErrorCode": 400, "Message": '
        "\"The 'From' address you supplied is not a Sender Signature\"}"
    )
    f = Failure(FailureKind.HTTP, "response", code=422, reply=reply)
    d = diagnose(f, api_settings())
    assert d.title == "Postmark refused the message (422)."
    assert "is not a Sender Signature" in d.cause
    assert "verified" in d.fix


@pytest.mark.parametrize("code", [429, 500, 503])
def test_api_busy_is_temporary(code: int) -> None:
    f = Failure(FailureKind.TEMPORARY, "response", code=code, reply=f"{code} slow down")
    d = diagnose(f, api_settings("sendgrid"))
    assert "right now" in d.title and str(code) in d.title
    assert "Wait a few minutes" in d.fix


def test_yahoo_guidance_two_step_verification_first_then_16_letters_without_spaces() -> None:
    from tui.core.diagnose.guidance import page

    text = page("yahoo", "Yahoo Mail")
    assert text.index("two-step verification") < text.index("Generate app password")
    assert "16-letter" in text and "without spaces" in text


def test_gmail_guidance_warns_the_password_must_look_like_the_app_password() -> None:
    from tui.core.diagnose.guidance import page

    text = page("gmail", "Gmail")
    assert "4 groups of 4" in text and "not your Gmail password" in text


# --------------------------------------------------------------------------- OAuth tokens


def oauth_settings() -> Settings:
    s = microsoft()
    s.smtp.auth = "oauth2"
    return s


@pytest.mark.parametrize(
    ("error", "description", "title_words", "fix_words"),
    [
        ("invalid_grant", "AADSTS70000: The provided grant is invalid.", "refused", "login"),
        (
            "invalid_grant",
            "AADSTS700082: The refresh token has expired due to inactivity.",
            "not used for a long time",
            "mailwiz login",
        ),
        (
            "invalid_grant",
            "AADSTS50173: The provided grant has expired due to it being revoked.",
            "password was changed",
            "mailwiz login",
        ),
        (
            "unauthorized_client",
            "AADSTS7000112: Application is disabled.",
            "disabled",
            "Enterprise applications",
        ),
        (
            "invalid_grant",
            "AADSTS53003: Access has been blocked by Conditional Access policies.",
            "Conditional Access",
            "mailwiz login --browser",
        ),
    ],
)
def test_token_endpoint_errors_are_explained(
    error: str, description: str, title_words: str, fix_words: str
) -> None:
    d = explain_token_error(error, description, oauth_settings())
    assert title_words in d.title
    assert fix_words in d.fix
    assert description in d.cause
    assert d.field == Key.AUTH
    # The same words for a send whose refresh was refused (the engine's Failure).
    f = Failure(
        FailureKind.AUTH,
        "token",
        reply=f"{error}: {description}",
        reason=Reason.TOKEN_REFUSED,
    )
    assert diagnose(f, oauth_settings(), audience=Audience.CLI) == d


def test_token_endpoint_unreachable_is_temporary_and_hides_the_query() -> None:
    s = oauth_settings()
    s.oauth.token_url = "https://login.example.org/token?secret=hunter22"
    f = Failure(
        FailureKind.TEMPORARY, "token", detail="ConnectError", reason=Reason.TOKEN_UNAVAILABLE
    )
    d = diagnose(f, s)
    assert "could not reach the sign-in service" in d.title
    assert "https://login.example.org/token" in text(d)
    assert "hunter22" not in text(d)


# --------------------------------------------------------------------------- secrets


def _secret_forms(username: str, password: str) -> list[str]:
    """Every form a password travels in: plain, base64 (AUTH LOGIN), AUTH PLAIN's blob."""
    b64 = base64.b64encode
    return [
        password,
        b64(password.encode()).decode(),
        b64(f"\0{username}\0{password}".encode()).decode(),
        b64(f"{username}\0{username}\0{password}".encode()).decode(),
    ]


@pytest.mark.parametrize("username", ["a@b.c", "me@example.org", "a.much.longer.name@example.org"])
def test_a_reply_echoing_the_password_is_never_quoted(username: str) -> None:
    password = "Tr0ub4dor&3-horse"
    forms = _secret_forms(username, password)
    reply = "535 5.7.8 rejected: " + " ".join(forms)
    s = smtp_settings(username=username)
    for kind in FailureKind:
        f = Failure(kind, "auth", code=535, reply=reply, detail=f"echo {forms[2]}")
        d = diagnose(f, s, password=password)
        for form in forms:
            assert form not in text(d), (kind, form)


@pytest.mark.parametrize("kind", list(FailureKind))
@pytest.mark.parametrize("stage", ["resolve", "connect", "tls", "post", "response", ""])
def test_the_relay_urls_key_never_appears_in_a_diagnosis(kind: FailureKind, stage: str) -> None:
    url = "https://relay.example.org/send?key=sekrit-key-123&to=x"
    f = Failure(
        kind,
        stage,
        code=403 if stage == "response" else None,
        reply=f"403 forbidden for {url}",
        detail=f"ConnectError: {url}",
    )
    d = diagnose(f, http_settings(url))
    assert "sekrit-key-123" not in text(d)
    if "relay.example.org/send" in text(d):
        assert "key=[redacted]" in text(d) or "[redacted]" in text(d)


def test_the_fields_screen_can_warn_about_a_password_that_is_no_app_password() -> None:
    from tui.core.diagnose.passwords import app_password_warning

    gmail = get_provider("gmail")
    assert "16 letters" in app_password_warning(gmail, "Summer2026!")
    assert app_password_warning(gmail, "abcd efgh ijkl mnop") == ""
    assert app_password_warning(gmail, "") == ""
    assert app_password_warning(get_provider("custom"), "anything") == ""


# --------------------------------------------------------------------------- the engine's reasons


@pytest.mark.parametrize(
    ("failure", "field", "words"),
    [
        (
            Failure(FailureKind.NO_PASSWORD, "auth", field=Key.PASSWORD, reason=Reason.SETTINGS),
            Key.PASSWORD,
            "No password is available.",
        ),
        (
            Failure(FailureKind.NO_STARTTLS, "auth", field=Key.SECURITY, reason=Reason.SETTINGS),
            Key.SECURITY,
            "mailwiz will not send a password without encryption.",
        ),
        (
            Failure(
                FailureKind.DNS,
                "resolve",
                detail="the server host name is empty or invalid",
                field=Key.HOST,
                reason=Reason.SETTINGS,
            ),
            Key.HOST,
            "Server (host name) cannot be used",
        ),
        (
            Failure(FailureKind.TIMEOUT, "greeting", reason=Reason.IMPLICIT_TLS_PORT),
            Key.SECURITY,
            "expects TLS from the first byte",
        ),
        (
            Failure(FailureKind.TLS, "tls", reason=Reason.PLAIN_TEXT_PORT),
            Key.SECURITY,
            "does not speak TLS from the first byte",
        ),
        (
            Failure(FailureKind.TLS, "starttls", reason=Reason.STARTTLS_INJECTION),
            Key.SECURITY,
            "tampered",
        ),
        (
            Failure(FailureKind.AUTH, "auth", field=Key.AUTH, reason=Reason.AUTH_NOT_OFFERED),
            Key.PORT,
            "does not offer a way to sign in",
        ),
        (
            Failure(FailureKind.AUTH, "auth", code=535, reason=Reason.TOKEN_REJECTED),
            Key.AUTH,
            "refused the sign-in token",
        ),
    ],
)
def test_each_engine_reason_gets_its_own_diagnosis(
    failure: Failure, field: Key, words: str
) -> None:
    d = diagnose(failure, smtp_settings(port=465 if failure.reason else 587, security="none"))
    assert words in d.title
    assert d.field == field
    if field is Key.HOST:
        assert "plain address" not in d.fix  # only address fields get the address example


def test_an_app_password_from_the_catalogues_own_steps() -> None:
    """Providers whose steps live in the catalogue (Yandex, QQ...) give those steps."""
    p = next(p for p in catalogue() if p.steps and p.protocol == "smtp" and not p.guidance)
    f = Failure(FailureKind.AUTH, "auth", code=534, enhanced="5.7.9", reply="534 5.7.9 x")
    d = diagnose(f, smtp_settings(provider=p.id, host=p.host, port=p.port))
    assert p.steps[0] in d.fix
