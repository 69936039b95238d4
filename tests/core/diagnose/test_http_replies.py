"""diagnose(): the HTTP relay's and the APIs' answers, and the sign-in's token endpoint."""

from __future__ import annotations

import pytest

from tests.core.diagnose.diagnosing import (
    http_settings,
    microsoft,
    text,
)
from tui.core.diagnose.handlers import (
    Audience,
    diagnose,
    explain_token_error,
)
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.settings import Settings

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
