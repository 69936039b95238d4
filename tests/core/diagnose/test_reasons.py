"""diagnose(): the engine's reasons, and the failures that are not the server's."""

from __future__ import annotations

import pytest

from tests.core.diagnose.diagnosing import (
    smtp_settings,
)
from tui.core.diagnose.handlers import (
    diagnose,
)
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.providers import catalogue

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
