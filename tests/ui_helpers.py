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


def burst(pilot: Pilot[object], *keys: str) -> None:
    """Hand keys to the app all at once, as a terminal does with a password manager's
    auto-type or a paste: no pause between them for the app to catch up (Pilot's `press`
    waits until the app is idle after every key)."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    assert app._driver is not None
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        char = key if len(key) == 1 else {"tab": "\t", "enter": "\r"}.get(key)
        event = events.Key(name, char)
        event.set_sender(app)
        app._driver.send_message(event)
