"""Helpers for the wizard's Pilot tests: a settings file, an app, typing like a user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

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


class ScreenHost(App[None]):
    """A bare app that shows one screen and keeps what it dismissed with (`results`).

    `screen` is the screen itself, or a function that makes it once the app runs (a screen
    that reads the app while it is built)."""

    TITLE = "Host"

    def __init__(
        self, screen: Screen[Any] | Callable[[], Screen[Any]], *, palette: bool = True
    ) -> None:
        self.ENABLE_COMMAND_PALETTE = palette
        super().__init__()
        self._make = screen if not isinstance(screen, Screen) else None
        self.screen_under_test: Screen[Any] | None = screen if isinstance(screen, Screen) else None
        self.results: list[Any] = []

    def on_mount(self) -> None:
        if self.screen_under_test is None:
            assert self._make is not None
            self.screen_under_test = self._make()
        self.push_screen(self.screen_under_test, self.results.append)


def visible_text(screen: Screen[Any]) -> str:
    """The text of every Static the user can see on `screen`."""
    return "\n".join(str(widget.visual) for widget in screen.query(Static) if widget.display)


async def settle(pilot: Pilot[Any]) -> None:
    """Let the screen's workers finish and their results reach the screen."""
    await pilot.app.workers.wait_for_complete()
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


async def finished(pilot: Pilot[Any]) -> None:
    """Wait until the screen's workers (a send, a look-up) are over, and the screen drawn."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
