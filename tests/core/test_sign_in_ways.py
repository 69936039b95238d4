"""The ways a provider offers to sign in, decided once in the core (tui.core.sign_in_ways)."""

from __future__ import annotations

from tui.core.settings import OAuthSettings, Settings, SmtpSettings
from tui.core.sign_in_ways import oauth_family, recommended_way, sign_in_way, sign_in_ways


def test_each_provider_with_oauth_offers_its_ways_in_order() -> None:
    assert sign_in_ways("outlook") == ("oauth2", "password")
    assert sign_in_ways("microsoft365") == ("oauth2", "password", "app")
    assert sign_in_ways("gmail") == ("password", "oauth2")
    assert sign_in_ways("google-workspace") == ("password", "oauth2", "app")
    assert oauth_family("gmail") == "google" and oauth_family("outlook") == "microsoft"
    assert oauth_family("fastmail") is None


def test_microsoft_recommends_its_sign_in_and_google_nothing() -> None:
    assert recommended_way("microsoft365") == "oauth2"
    assert recommended_way("gmail") is None


def test_the_way_a_settings_value_signs_in() -> None:
    assert sign_in_way(Settings()) == "password"
    person = Settings(smtp=SmtpSettings(auth="oauth2"))
    assert sign_in_way(person) == "oauth2"
    app = Settings(smtp=SmtpSettings(auth="oauth2"), oauth=OAuthSettings(grant="app"))
    assert sign_in_way(app) == "app"


def test_a_provider_without_oauth_recommends_no_sign_in() -> None:
    assert recommended_way("fastmail") is None
