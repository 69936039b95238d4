"""The fields screen for SMTP: presets, fields that come and go, the core's checks, focus."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, Static

from tests.screens.forms import (
    Host,
    focus,
    message_of,
    preset,
    visible,
)
from tests.ui_helpers import SIZE, type_text
from tui.screens.fields import FieldsScreen
from tui.widgets import ChoiceRow


async def test_gmail_preset_and_app_password_hint() -> None:
    app = Host(FieldsScreen(preset("gmail")))
    async with app.run_test(size=SIZE):
        screen = app.fields
        assert screen.query_one("#host", Input).value == "smtp.gmail.com"
        assert screen.query_one("#port", ChoiceRow).value == "465"
        assert screen.query_one("#security", ChoiceRow).value == "TLS"
        help_line = str(screen.query_one("#password-help", Static).render())
        assert "app password" in help_line
        # A catalogue provider: no way to turn certificate checks off, no CA file.
        assert not visible(screen, "no-verify")
        assert not visible(screen, "ca-file")
        # The first empty field waits for the user.
        assert screen.query_one("#username", Input).has_focus


async def test_choosing_a_port_sets_the_matching_security() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        await focus(pilot, screen, "port")
        # The cursor starts on the chosen port (587); left/right choose at once.
        await pilot.press("left")
        assert screen.draft().smtp.port == 465
        assert screen.draft().smtp.security == "tls"
        await pilot.press("right")
        assert screen.draft().smtp.port == 587
        assert screen.draft().smtp.security == "starttls"
        await pilot.press("right")  # 25 without a username: a plain local relay
        assert screen.draft().smtp.port == 25
        assert screen.draft().smtp.security == "none"
        assert "Port 25" in message_of(screen, "port")  # the core's warning, not blocking
        # With a username, port 25 keeps encryption: the password must not travel in clear.
        screen.query_one("#username", Input).value = "me@example.org"
        await focus(pilot, screen, "port")
        await pilot.press("left", "right")
        assert screen.draft().smtp.port == 25
        assert screen.draft().smtp.security == "starttls"
        # Security stays editable; down moves on to it.
        await focus(pilot, screen, "port")
        await pilot.press("down")
        assert screen.query_one("#security", ChoiceRow).has_focus
        await pilot.press("home")
        assert screen.draft().smtp.security == "tls"
        assert screen.draft().smtp.port == 25


async def test_other_port_takes_a_number_checked_by_the_core() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert not screen.query_one("#port-other").display
        await focus(pilot, screen, "port")
        await pilot.press("end")
        other = screen.query_one("#port-other", Input)
        assert other.display and other.has_focus
        await type_text(pilot, "99999")
        await pilot.press("tab")
        assert "between 1 and 65535" in message_of(screen, "port")
        await focus(pilot, screen, "port-other")
        await pilot.press("end", "backspace", "backspace", "backspace")
        await type_text(pilot, "25")
        assert screen.draft().smtp.port == 9925
        assert "between 1 and 65535" not in message_of(screen, "port")


async def test_email_address_field_only_when_the_username_is_not_an_address() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert not visible(screen, "address")
        await focus(pilot, screen, "username")
        await type_text(pilot, "shop42")
        assert visible(screen, "address")
        await pilot.press("tab")
        assert screen.query_one("#address", Input).has_focus
        await type_text(pilot, "shop@example.org")
        assert screen.draft().sender.address == "shop@example.org"
        await focus(pilot, screen, "username")
        await pilot.press("end")  # focus selects the whole value; keep it and add to it
        await type_text(pilot, "@example.org")
        assert not visible(screen, "address")
        # Hidden, so not part of the settings: the username is the From address.
        assert screen.draft().sender.address == ""
        assert screen.draft().from_address == "shop42@example.org"


async def test_copy_and_reply_checkboxes_reveal_their_fields() -> None:
    app = Host(FieldsScreen(preset("gmail", username="shop@gmail.com")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        for box, row, field in (
            ("copy-on", "copy-to", "copy_to"),
            ("reply-on", "reply-to", "reply_to"),
        ):
            assert not visible(screen, row)
            await focus(pilot, screen, box)
            await pilot.press("space")
            assert visible(screen, row)
            assert screen.query_one(f"#{row}", Input).has_focus
            await type_text(pilot, "archive@example.org")
            assert getattr(screen.draft().sender, field) == "archive@example.org"
            await focus(pilot, screen, box)
            await pilot.press("space")
            assert not visible(screen, row)
            assert getattr(screen.draft().sender, field) == ""
            # Ticking again brings back what was typed.
            await pilot.press("space")
            assert getattr(screen.draft().sender, field) == "archive@example.org"


async def test_tls_verification_can_be_turned_off_only_for_other_smtp_server() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org", username="me")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert visible(screen, "no-verify")
        help_line = str(screen.query_one("#no-verify-help", Static).render())
        assert "self-signed" in help_line
        await focus(pilot, screen, "no-verify")
        await pilot.press("space")
        assert screen.draft().smtp.verify_certificate is False
        assert "Only for your own server" in message_of(screen, "no-verify")
        assert screen.query_one("#no-verify", Checkbox).value


async def test_a_catalogue_provider_with_checks_off_shows_the_refusal() -> None:
    settings = preset("yahoo", username="me@yahoo.com", verify_certificate=False)
    app = Host(FieldsScreen(settings, "app-pass", check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        # Shown only so that it can be ticked off, with the core's refusal beside it.
        assert visible(screen, "no-verify")
        assert "can not be turned off" in message_of(screen, "no-verify")
        await pilot.press("ctrl+n")
        assert app.submitted == []
        assert screen.query_one("#no-verify", Checkbox).has_focus
        await pilot.press("space")
        await pilot.press("ctrl+n")
        assert len(app.submitted) == 1


async def test_invalid_form_blocks_and_focuses_the_first_invalid_field() -> None:
    app = Host(FieldsScreen(preset("custom")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        await focus(pilot, screen, "host")
        await type_text(pilot, "smtp.example.org:587")
        await pilot.press("ctrl+n")
        assert app.submitted == []
        assert screen.query_one("#host", Input).has_focus
        assert "Port field" in message_of(screen, "host")
        assert "Enter the username" in message_of(screen, "username")
        assert screen.query_one("#host-row").has_class("-invalid")
        # Fixing the host moves the focus to the next problem on the next try.
        await pilot.press(*["backspace"] * 4)
        assert message_of(screen, "host") == ""  # cleared as the user types
        await pilot.press("ctrl+n")
        assert screen.query_one("#username", Input).has_focus
        await type_text(pilot, "me@example.org")
        await pilot.press("ctrl+n")
        assert screen.query_one("#password", Input).has_focus
        assert "password" in message_of(screen, "password").lower()
        await type_text(pilot, "secret")
        await pilot.press("ctrl+n")
        assert len(app.submitted) == 1
        result = app.submitted[0]
        assert result.action == "test"
        assert result.password == "secret"
        assert result.settings.smtp.host == "smtp.example.org"
        assert result.settings.smtp.username == "me@example.org"


async def test_messages_appear_when_the_user_leaves_a_field() -> None:
    app = Host(FieldsScreen(preset("custom")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        await focus(pilot, screen, "host")
        assert message_of(screen, "host") == ""  # not before the user had a go
        await type_text(pilot, "http://mail.example.org")
        assert message_of(screen, "host") == ""
        await pilot.press("tab")
        assert 'Remove "http://"' in message_of(screen, "host")


async def test_show_password_key_reveals_and_hides() -> None:
    app = Host(FieldsScreen(preset("gmail", username="me@gmail.com"), "abcd"))
    async with app.run_test(size=SIZE) as pilot:
        password = app.fields.query_one("#password", Input)
        assert password.password
        await pilot.press("ctrl+r")
        assert not password.password
        assert app.fields.query_one("#show-password", Checkbox).value
        await pilot.press("ctrl+r")
        assert password.password
