"""The provider picker: the catalogue with hints, and an email address that picks for you."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Static

from tests.ui_helpers import SIZE, make_app, type_text
from tui.core.providers import catalogue
from tui.screens.fields import FieldsScreen
from tui.screens.guidance import GuidanceScreen
from tui.screens.provider import ProviderScreen, choice_for_address


def test_choice_for_address_uses_the_catalogue_domains() -> None:
    yahoo = choice_for_address("Shop@Yahoo.co.uk")
    assert yahoo is not None and yahoo.provider.id == "yahoo"
    icloud = choice_for_address(" me@icloud.com ")
    assert icloud is not None and icloud.provider.id == "icloud"
    assert icloud.address == "me@icloud.com"


def test_unknown_domain_is_other_smtp_server_with_a_suggested_host() -> None:
    choice = choice_for_address("office@example.org")
    assert choice is not None
    assert choice.provider.id == "custom"
    assert choice.suggested_host == "smtp.example.org"


def test_text_that_is_not_an_address_chooses_nothing() -> None:
    assert choice_for_address("gmail") is None
    assert choice_for_address("me@") is None
    assert choice_for_address("a@b.com, c@d.com") is None


async def test_the_list_shows_every_provider_with_its_hint(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, ProviderScreen)
        options = app.screen.query_one("#providers", OptionList)
        all_options = [options.get_option_at_index(i) for i in range(options.option_count)]
        choices = [option for option in all_options if not option.disabled]
        prompts = [str(option.prompt) for option in choices]
        assert len(prompts) == len(catalogue())
        for provider, prompt in zip(catalogue(), prompts, strict=True):
            assert provider.name in prompt and provider.hint in prompt
        headings = [str(option.prompt) for option in all_options if option.disabled]
        assert headings == [
            f"── {name} ──"
            for name in ("Personal mail", "Business mail", "Transactional senders", "Other")
        ]
        assert options.has_focus
        assert options.highlighted is not None
        assert all_options[options.highlighted].id == "gmail"


async def test_typing_a_gmail_address_picks_gmail_and_fills_the_username(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        assert app.screen.query_one("#address", Input).has_focus
        await type_text(pilot, "shop@gmail.com")
        feedback = str(app.screen.query_one("#address-feedback", Static).render())
        assert "Gmail" in feedback
        await pilot.press("enter")
        assert isinstance(app.screen, GuidanceScreen)
        assert app.screen.provider.id == "gmail"
        await pilot.press("enter")
        assert isinstance(app.screen, FieldsScreen)
        assert app.screen.query_one("#username", Input).value == "shop@gmail.com"
        assert app.screen.query_one("#host", Input).value == "smtp.gmail.com"
        # The username is an address: the separate address field stays hidden.
        assert not app.screen.query_one("#address-row").display


async def test_an_unknown_domain_says_it_will_be_looked_up(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await type_text(pilot, "office@example.org")
        feedback = str(app.screen.query_one("#address-feedback", Static).render())
        assert "looks up its settings" in feedback
        assert "Other SMTP server" in feedback and "smtp.example.org" in feedback
        # Enter starts discovery, which would use the real network here: the path from
        # Enter to the fields (found, or Other SMTP server with smtp.<domain>) is tested
        # against a local DNS server in tests/screens/test_discover_screen.py.


async def test_a_bad_address_says_why_and_stays(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await type_text(pilot, "me@gmail")
        await pilot.press("enter")
        assert isinstance(app.screen, ProviderScreen)
        feedback = str(app.screen.query_one("#address-feedback", Static).render())
        assert "not a valid email address" in feedback


async def test_choosing_from_the_list_with_the_keyboard(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        ids = [provider.id for provider in catalogue()]
        # The headings are skipped: one Down per provider.
        await pilot.press(*["down"] * ids.index("custom"), "enter")
        assert isinstance(app.screen, FieldsScreen)
        assert app.screen.provider.id == "custom"
        assert app.screen.query_one("#host", Input).value == ""


async def test_brackets_jump_between_groups(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        options = app.screen.query_one("#providers", OptionList)

        def current() -> str | None:
            assert options.highlighted is not None
            return options.get_option_at_index(options.highlighted).id

        assert current() == "gmail"
        await pilot.press("right_square_bracket")
        assert current() == "google-workspace"
        await pilot.press("right_square_bracket")
        assert current() == "sendgrid"
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert current() == "custom"
        await pilot.press("left_square_bracket")
        assert current() == "sendgrid"
        await pilot.press("down", "enter")
        assert isinstance(app.screen, FieldsScreen)
        assert app.screen.provider.id == "mailgun"


async def test_a_regional_address_picks_its_provider(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await type_text(pilot, "li@163.com")
        feedback = str(app.screen.query_one("#address-feedback", Static).render())
        assert "NetEase 163 Mail" in feedback


def test_snapshot_grouped_picker_scrolled_to_transactional(
    snap_compare: Any, tmp_path: Path
) -> None:
    keys = ["right_square_bracket", "right_square_bracket", "down"]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=keys)


async def test_a_provider_without_a_page_shows_its_catalogue_steps(tmp_path: Path) -> None:
    """AOL wants an app password and has no guidance page: its catalogue steps are shown
    before the fields (and again with ctrl+g), the secret named as AOL names it."""
    from textual.widgets import Markdown

    from tui.core.providers import get_provider

    aol = get_provider("aol")
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await type_text(pilot, "shop@aol.com")
        await pilot.press("enter")
        assert isinstance(app.screen, GuidanceScreen)
        text = app.screen.query_one(Markdown).source
        assert text.startswith(f"# {aol.name}: the app password")
        assert "1. " + aol.steps[0] in text
        await pilot.press("enter")
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, GuidanceScreen)
        await pilot.press("enter")
        assert app.screen is fields
