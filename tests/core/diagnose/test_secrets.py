"""No diagnosis quotes a secret, in any form it travelled in."""

from __future__ import annotations

import pytest

from tests.core.diagnose.diagnosing import (
    http_settings,
    smtp_settings,
    text,
)
from tests.leaks import leak_forms
from tui.core.diagnose.handlers import (
    diagnose,
)
from tui.core.events import Failure, FailureKind
from tui.core.providers import get_provider

# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("username", ["a@b.c", "me@example.org", "a.much.longer.name@example.org"])
def test_a_reply_echoing_the_password_is_never_quoted(username: str) -> None:
    password = "Tr0ub4dor&3-horse"
    forms = leak_forms(password, usernames=[username])
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
