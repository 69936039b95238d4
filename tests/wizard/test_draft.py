"""The wizard's draft: the line under the password field says where the password was looked
for, in its own words, never a piece cut out of the core's explanation (saving says that)."""

from __future__ import annotations

from pathlib import Path

from tui.core.credentials.store import load_password
from tui.core.settings import Settings
from tui.wizard.draft import password_note


def own_server(store: str) -> Settings:
    settings = Settings(protocol="smtp", provider="custom")
    settings.smtp.host, settings.smtp.username = "mail.example.org", "me@example.org"
    settings.password.store = store  # type: ignore[assignment]
    return settings


def test_a_missing_password_file_is_named_in_the_wizards_words(tmp_path: Path) -> None:
    lookup = load_password(own_server("file"), tmp_path / "settings.toml", env={})
    assert lookup.password is None and lookup.problem
    note = password_note(lookup)
    assert note == "The password file could not be used: type it in."
    assert lookup.problem not in note


def test_a_keyring_without_the_password_is_named_in_the_wizards_words(tmp_path: Path) -> None:
    lookup = load_password(own_server("keyring"), tmp_path / "settings.toml", env={})
    assert lookup.password is None and lookup.problem
    assert password_note(lookup) == "The system keyring gave no password: type it in."


def test_an_unusable_environment_password_is_named(tmp_path: Path) -> None:
    env = {"MAILWIZ_PASSWORD": "two\nlines"}
    lookup = load_password(own_server("keyring"), tmp_path / "settings.toml", env=env)
    assert password_note(lookup) == "MAILWIZ_PASSWORD is set but cannot be used: type it in."


def test_a_found_password_says_where_it_came_from(tmp_path: Path) -> None:
    lookup = load_password(own_server("none"), tmp_path / "s.toml", env={"MAILWIZ_PASSWORD": "x"})
    assert password_note(lookup).startswith("From MAILWIZ_PASSWORD;")
