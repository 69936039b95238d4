"""Typing as people type: keys in a burst land where they were meant to go."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.ui_helpers import SIZE, burst, make_app
from tui.core.providers import catalogue
from tui.screens.fields import FieldsScreen

TRIES = 4


async def _settle(pilot: object, widget: Input, value: str) -> None:
    for _ in range(200):
        if widget.value == value:
            return
        await pilot.pause()  # type: ignore[attr-defined]


async def test_username_tab_password_in_one_burst_fills_both_fields(tmp_path: Path) -> None:
    """A password manager's auto-type: Username, Tab, password with no pause, 4 of 4 times."""
    for _ in range(TRIES):
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "enter")  # Gmail, then past its guidance
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            username = fields.query_one("#username", Input)
            password = fields.query_one("#password", Input)
            await pilot.pause()
            assert username.has_focus, fields.focused
            burst(pilot, *"user@x.com", "tab", *"abcd efgh ijkl mnop")
            await _settle(pilot, password, "abcd efgh ijkl mnop")
            assert username.value == "user@x.com"
            assert password.value == "abcd efgh ijkl mnop"


async def test_enter_moves_on_before_the_next_keys(tmp_path: Path) -> None:
    """Enter in a field goes to the next one; what is typed after it goes there too."""
    for _ in range(TRIES):
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "enter")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            password = fields.query_one("#password", Input)
            await pilot.pause()
            burst(pilot, *"user@x.com", "enter", *"secret")
            await _settle(pilot, password, "secret")
            username = fields.query_one("#username", Input)
            assert (username.value, password.value) == ("user@x.com", "secret")
            # Back with shift+tab: the field's text is selected, so what is typed replaces it.
            burst(pilot, "shift+tab", *"me@x.com")
            await _settle(pilot, username, "me@x.com")
            assert (username.value, password.value) == ("me@x.com", "secret")


async def test_every_form_starts_in_its_first_empty_field(tmp_path: Path) -> None:
    ids = [provider.id for provider in catalogue()]
    expected = {"gmail": "username", "custom": "host", "http": "url"}
    for provider_id, first in expected.items():
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(*["down"] * ids.index(provider_id), "enter")
            if not isinstance(app.screen, FieldsScreen):
                await pilot.press("enter")  # past the guidance
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            assert fields.focused is not None and fields.focused.id == first, provider_id
            burst(pilot, *"abc")
            await _settle(pilot, fields.query_one(f"#{first}", Input), "abc")
