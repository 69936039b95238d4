"""Typing as people type: keys in a burst land where they were meant to go."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.ui_helpers import SIZE, burst, make_app
from tests.waiting import eventually
from tui.core.providers import catalogue
from tui.screens.fields import FieldsScreen

TRIES = range(4)  # "4 of 4 tries" in the report: a race shows up in some runs only


@pytest.mark.parametrize("attempt", TRIES)
async def test_username_tab_password_in_one_burst_fills_both_fields(
    tmp_path: Path, attempt: int
) -> None:
    """A password manager's auto-type: Username, Tab, password with no pause."""
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")  # Gmail, then past its guidance
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        username = fields.query_one("#username", Input)
        password = fields.query_one("#password", Input)
        assert username.has_focus, fields.focused
        burst(pilot, *"user@x.com", "tab", *"abcd efgh ijkl mnop")
        await eventually(lambda: password.value == "abcd efgh ijkl mnop")
        assert username.value == "user@x.com"


@pytest.mark.parametrize("attempt", TRIES)
async def test_enter_moves_on_before_the_next_keys(tmp_path: Path, attempt: int) -> None:
    """Enter in a field goes to the next one; what is typed after it goes there too."""
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        username = fields.query_one("#username", Input)
        password = fields.query_one("#password", Input)
        burst(pilot, *"user@x.com", "enter", *"secret")
        await eventually(lambda: password.value == "secret")
        assert username.value == "user@x.com"
        # Back with shift+tab: the field's text is selected, so what is typed replaces it.
        burst(pilot, "shift+tab", *"me@x.com")
        await eventually(lambda: username.value == "me@x.com")
        assert password.value == "secret"


@pytest.mark.parametrize(
    ("provider_id", "first"), [("gmail", "username"), ("custom", "host"), ("http", "url")]
)
async def test_every_form_starts_in_its_first_empty_field(
    tmp_path: Path, provider_id: str, first: str
) -> None:
    """The relay form started in its (masked) key field: a URL typed first went into it."""
    ids = [provider.id for provider in catalogue()]
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*["down"] * ids.index(provider_id), "enter")
        if not isinstance(app.screen, FieldsScreen):
            await pilot.press("enter")  # past the guidance
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.focused is not None and fields.focused.id == first
        burst(pilot, *"abc")
        field = fields.query_one(f"#{first}", Input)
        await eventually(lambda: field.value == "abc")
