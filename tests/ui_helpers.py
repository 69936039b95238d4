"""Helpers for the wizard's Pilot tests: a settings file, an app, typing like a user."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tui.app import MailwizApp
from tui.core.credentials.store import PasswordLookup
from tui.core.settings import Settings

SIZE = (80, 24)


def no_stored_password(settings: Settings, config_path: Path) -> PasswordLookup:
    return PasswordLookup(None, "keyring", "There is no password stored for this account yet.")


def make_app(
    tmp_path: Path,
    settings: Settings | None = None,
    stored_password: str | None = None,
    *,
    sixteen_colours: bool = False,
) -> MailwizApp:
    """The wizard on a settings file in tmp_path (`settings`: the file's content, loaded)."""

    def lookup(settings: Settings, config_path: Path) -> PasswordLookup:
        if stored_password is None:
            return no_stored_password(settings, config_path)
        return PasswordLookup(stored_password, "keyring", "")

    return MailwizApp(
        tmp_path / "settings.toml",
        settings,
        password_lookup=lookup,
        sixteen_colours=sixteen_colours,
    )


async def type_text(pilot: Pilot[object], text: str) -> None:
    """Type text key by key, as a user would."""
    await pilot.press(*text)
    await pilot.pause()
