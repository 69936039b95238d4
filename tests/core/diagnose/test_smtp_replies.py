"""diagnose(): what an SMTP server's replies mean (STARTTLS, login, envelope, data), per
provider."""

from __future__ import annotations

import pytest

from tests.core.diagnose.diagnosing import (
    microsoft,
    smtp_settings,
    text,
)
from tui.core.diagnose.handlers import (
    Audience,
    diagnose,
)
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.providers import get_provider

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


# --------------------------------------------------------------------------- provider replies


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
