"""Without colour (NO_COLOR, TERM=linux) and on a small terminal: nothing is told by a
style alone, nothing essential is out of reach, no key in a footer is cut."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Footer, Input, OptionList

from tests.ui_helpers import make_app
from tui.screens.fields import FieldsScreen
from tui.widgets import ChoiceRow
from tui.widgets.choice_row import FOCUS_MARK


def footer_text(app: object) -> str:
    footer = app.screen.query_one(Footer)  # type: ignore[attr-defined]
    return " ".join(f"{key.key_display} {key.description}" for key in footer.query("FooterKey"))


async def test_the_focused_choice_group_is_marked_without_colour(tmp_path: Path) -> None:
    app = make_app(tmp_path, sixteen_colours=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "enter")
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        port = fields.query_one("#port", ChoiceRow)
        security = fields.query_one("#security", ChoiceRow)
        port.focus()
        await pilot.pause()
        assert str(port.render()).startswith(FOCUS_MARK)
        assert not str(security.render()).startswith(FOCUS_MARK)
        await pilot.press("down")
        assert str(security.render()).startswith(FOCUS_MARK)
        assert not str(port.render()).startswith(FOCUS_MARK)


async def test_a_heading_does_not_look_like_a_highlighted_provider(tmp_path: Path) -> None:
    app = make_app(tmp_path, sixteen_colours=True)
    async with app.run_test(size=(80, 24)):
        options = app.screen.query_one(OptionList)
        headings = [
            str(options.get_option_at_index(i).prompt)
            for i in range(options.option_count)
            if options.get_option_at_index(i).disabled
        ]
        assert headings and all(h.startswith("── ") and h.endswith(" ──") for h in headings)


async def test_at_60x20_the_address_field_is_reachable_and_no_key_is_cut(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, sixteen_colours=True)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        address = app.screen.query_one("#address", Input)
        assert app.screen.region.contains_region(address.region)
        assert address.region.height == 1
        footer = app.screen.query_one(Footer)
        keys = list(footer.query("FooterKey"))
        assert keys and max(key.region.right for key in keys) <= footer.region.right
        assert "Choose" in footer_text(app)
        await pilot.press("enter", "enter")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = list(footer.query("FooterKey"))
        assert max(key.region.right for key in keys) <= footer.region.right
        assert "Test" in footer_text(app)
