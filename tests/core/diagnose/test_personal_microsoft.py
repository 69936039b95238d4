"""Personal Microsoft accounts (outlook.com, hotmail.com, live.com) cannot register an app of
their own since May 2026: where a user of one meets the sign-in, mailwiz says so, says what
works instead, and borrows no other program's client ID (issue 25, item 5)."""

from __future__ import annotations

import pytest

from tui.core.diagnose.guidance import page
from tui.core.diagnose.handlers import explain_token_error
from tui.core.providers import provider_for_address
from tui.core.settings import OAuthSettings, Settings, SmtpSettings


@pytest.mark.parametrize("address", ["me@outlook.com", "me@hotmail.co.uk", "me@live.com"])
def test_the_provider_and_its_page_say_it_where_the_user_meets_it(address: str) -> None:
    provider = provider_for_address(address)
    assert provider is not None and provider.id == "outlook"
    assert "cannot register an app" in provider.notes and "May 2026" in provider.notes
    text = page(provider.guidance, provider.name)
    assert "Since May 2026 a personal Microsoft account cannot register an app" in " ".join(
        text.split()
    )
    assert "never borrows another program's" in " ".join(text.split())
    assert "What works" in text  # and then says what does


def test_an_unknown_app_answer_names_personal_accounts_and_what_works_instead() -> None:
    settings = Settings(provider="outlook")
    settings.smtp = SmtpSettings(
        host="smtp-mail.outlook.com", port=587, security="starttls", username="me@outlook.com",
        auth="oauth2",
    )  # fmt: skip
    settings.oauth = OAuthSettings(provider="microsoft", client_id="x", tenant="consumers")
    diagnosis = explain_token_error(
        "unauthorized_client", "AADSTS700016: Application with identifier 'x' was not found",
        settings,
    )  # fmt: skip
    assert "no app registration" in diagnosis.title
    assert "Personal accounts (outlook.com, hotmail.com, live.com)" in diagnosis.fix
    assert "can no longer register an app" in diagnosis.fix
