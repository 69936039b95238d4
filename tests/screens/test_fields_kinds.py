"""The fields screen for each kind of set-up: the HTTP relay and APIs, switching protocol,
the Advanced fold, sign-in choices, and the form at 80x24."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Collapsible, Input, Label, Markdown, Static

from tests.screens.forms import (
    Host,
    focus,
    heading_of,
    message_of,
    preset,
    visible,
)
from tests.ui_helpers import SIZE, type_text
from tui.core.keys import Key
from tui.core.providers import get_provider
from tui.core.settings import SenderSettings, Settings
from tui.screens.fields import FieldsScreen
from tui.widgets import ChoiceRow


async def test_http_relay_needs_the_url_and_the_reply_address() -> None:
    app = Host(FieldsScreen(Settings(protocol="http", provider="http")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert not visible(screen, "host")
        assert visible(screen, "url")
        assert visible(screen, "reply-to")  # required for a relay: no checkbox
        assert not screen.query_one("#reply-on").display
        assert not screen.query_one("#copy-on").display
        assert visible(screen, "password")  # the relay's optional API key
        help_text = str(screen.query_one("#password-help", Static).render())
        assert "leave empty if your relay takes none" in help_text
        await pilot.press("ctrl+n")
        assert app.submitted == []
        assert screen.query_one("#url", Input).has_focus
        assert "https://" in message_of(screen, "url")
        assert "replies" in message_of(screen, "reply-to")
        await type_text(pilot, "https://relay.example.org/send")
        await focus(pilot, screen, "reply-to")
        await type_text(pilot, "office@example.org")
        await pilot.press("ctrl+n")
        assert len(app.submitted) == 1
        assert app.submitted[0].settings.sender.reply_to == "office@example.org"


async def test_switching_protocol_keeps_the_smtp_provider() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org", username="me")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        await focus(pilot, screen, "protocol")
        await pilot.press("right")
        assert screen.draft().protocol == "http"
        assert screen.draft().provider == "http"
        assert screen.draft().http.api == "relay"  # "Other SMTP server" has no API: a relay
        assert not visible(screen, "host")
        await pilot.press("left")
        assert screen.draft().provider == "custom"
        assert screen.query_one("#host", Input).value == "mail.example.org"


async def test_mailbox_providers_offer_no_http_api() -> None:
    # Gmail and Yahoo have no HTTP API: "Send with" is not offered at all.
    for provider in ("gmail", "yahoo"):
        app = Host(FieldsScreen(preset(provider, username=f"me@{provider}.com")))
        async with app.run_test(size=SIZE):
            assert not visible(app.fields, "protocol"), provider


async def test_http_api_from_a_transactional_provider_opens_its_own_api_form() -> None:
    for provider, title in (
        ("postmark", "Postmark"),
        ("mailgun", "Mailgun"),
        ("sendgrid", "SendGrid"),
        ("resend", "Resend"),
    ):
        app = Host(FieldsScreen(preset(provider)))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.fields
            assert visible(screen, "protocol")
            await focus(pilot, screen, "protocol")
            await pilot.press("right")
            assert screen.draft().http.api == provider
            assert screen.query_one("#api", ChoiceRow).value == title
            assert f"{title} API" in heading_of(screen) and "relay" not in heading_of(screen)
            # Only the relay needs a reply-to: an API offers it as a box to tick.
            assert screen.query_one("#reply-on").display and not visible(screen, "reply-to")
            assert Key.REPLY_TO not in screen.problems()


async def test_the_heading_follows_the_api_chosen() -> None:
    app = Host(FieldsScreen(Settings(protocol="http", provider="http")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert "HTTP relay" in heading_of(screen)
        help_text = str(screen.query_one("#reply-to-help", Static).render())
        assert "Required by the relay" in help_text
        await focus(pilot, screen, "api")
        await pilot.press("right")  # Postmark
        assert "Postmark API" in heading_of(screen)
        assert not visible(screen, "reply-to")


async def test_focus_field_goes_to_the_field_concerned() -> None:
    settings = preset("gmail", username="me@gmail.com")
    app = Host(FieldsScreen(settings, "pw"))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert screen.focus_field("password")
        await pilot.pause()
        assert screen.query_one("#password", Input).has_focus
        # A field behind a checkbox is revealed first.
        assert screen.focus_field("sender.copy_to")
        await pilot.pause()
        assert screen.query_one("#copy-to", Input).has_focus
        assert screen.focus_field("smtp.port")
        await pilot.pause()
        assert screen.query_one("#port", ChoiceRow).has_focus
        # Not on this form: nothing happens.
        assert not screen.focus_field("recipient")


async def test_the_focused_field_is_scrolled_into_view() -> None:
    settings = preset("custom", host="mail.example.org", username="shop")
    settings.sender = SenderSettings(address="", copy_to="a@example.org", reply_to="b@example.org")
    app = Host(FieldsScreen(settings, "pw", check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        for widget_id in ("ca-file", "host", "reply-to", "protocol"):
            await focus(pilot, screen, widget_id)
            await pilot.pause()
            widget = screen.query_one(f"#{widget_id}")
            form = screen.query_one("#form")
            assert form.region.contains_region(widget.region), widget_id


async def test_a_problem_without_a_field_on_screen_is_shown_below_and_blocks() -> None:
    settings = preset("gmail", username="me@gmail.com")
    settings.password.store = "vault"  # type: ignore[assignment]  # only in a file; no widget
    app = Host(FieldsScreen(settings, "abcdabcdabcdabcd", check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        general = app.fields.query_one("#general-message", Static)
        assert general.display
        assert "Password storage" in str(general.render())
        await pilot.press("ctrl+n")
        assert app.submitted == []


async def test_timeout_lives_under_advanced_and_is_refused_out_of_range() -> None:
    """The whole-send timeout (which the fix for a silent server names) is a field, folded
    away until it needs fixing; outside 1..600 it is refused beside the field."""
    settings = preset("gmail", username="me@gmail.com")
    settings.smtp.timeout = 0.0001
    app = Host(FieldsScreen(settings, "abcdabcdabcdabcd", check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert not screen.query_one("#advanced", Collapsible).collapsed  # opened: it is wrong
        assert "between 1 and 600" in message_of(screen, "timeout")
        await pilot.press("ctrl+n")
        assert app.submitted == []
        assert screen.query_one("#timeout", Input).has_focus
        for bad in ("0", "601", "1e30", ""):
            screen.query_one("#timeout", Input).value = bad
            await pilot.pause()
            assert "between 1 and 600" in message_of(screen, "timeout"), bad
        screen.query_one("#timeout", Input).value = "45"
        await pilot.pause()
        assert message_of(screen, "timeout") == ""
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.submitted[-1].settings.smtp.timeout == 45


async def test_timeout_fold_starts_closed_and_opens_with_enter() -> None:
    app = Host(FieldsScreen(preset("gmail", username="me@gmail.com"), "abcdabcdabcdabcd"))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        fold = screen.query_one("#advanced", Collapsible)
        assert fold.collapsed
        fold.query_one("CollapsibleTitle").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not fold.collapsed
        assert screen.query_one("#timeout", Input).value == "30"


async def test_other_port_does_not_keep_the_none_that_port_25_set_on_the_way() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org")))  # 587, STARTTLS
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        await focus(pilot, screen, "port")
        await pilot.press("right")  # 25: no username yet, so None
        assert screen.draft().smtp.security == "none"
        await pilot.press("right")  # Other: back to what was chosen before
        assert screen.draft().smtp.security == "starttls"
        await type_text(pilot, "465")  # a usual port typed: its usual security
        assert screen.draft().smtp.security == "tls"


async def test_gmail_warns_when_the_password_is_not_an_app_password() -> None:
    app = Host(FieldsScreen(preset("gmail", username="me@gmail.com"), check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        password = screen.query_one("#password", Input)
        password.value = "hunter2-my-normal-one"
        await pilot.pause()
        from tui.core.diagnose.passwords import app_password_warning

        warning = app_password_warning(get_provider("gmail"), "hunter2-my-normal-one")
        assert warning and warning in message_of(screen, "password")
        password.value = "abcd efgh ijkl mnop"  # as Google shows it: spaces do not count
        await pilot.pause()
        assert message_of(screen, "password") == ""
        password.value = "hunter2-my-normal-one"
        await pilot.pause()
        await pilot.press("ctrl+n")  # a warning, not a refusal
        assert len(app.submitted) == 1


async def test_microsoft_offers_sign_in_with_its_app_registration() -> None:
    settings = preset("microsoft365", username="me@contoso.com")
    settings.smtp.auth = "oauth2"
    app = Host(FieldsScreen(settings, check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert screen.query_one("#auth", ChoiceRow).value.startswith("Sign in with Microsoft")
        assert visible(screen, "client-id") and visible(screen, "tenant")
        assert not visible(screen, "password") and not visible(screen, "client-secret")
        assert "client ID" in message_of(screen, "client-id")
        screen.query_one("#client-id", Input).value = "11111111-2222-3333-4444-555555555555"
        screen.query_one("#tenant", Input).value = "contoso.onmicrosoft.com"
        await pilot.pause()
        await pilot.press("ctrl+n")
        result = app.submitted[-1]
        assert result.settings.smtp.auth == "oauth2"
        assert result.settings.oauth.provider == "microsoft"
        assert result.settings.oauth.client_id.startswith("11111111")
        assert result.settings.oauth.tenant == "contoso.onmicrosoft.com"
        assert result.password == ""
        await focus(pilot, screen, "auth")
        await pilot.press("right")  # Password, for tenants that still allow it
        assert visible(screen, "password") and not visible(screen, "client-id")
        assert screen.draft().smtp.auth == "password"


async def test_google_sign_in_asks_for_client_id_and_secret() -> None:
    app = Host(FieldsScreen(preset("gmail", username="me@gmail.com")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        assert screen.query_one("#auth", ChoiceRow).value == "App password"
        await focus(pilot, screen, "auth")
        await pilot.press("right")
        assert visible(screen, "client-id") and visible(screen, "client-secret")
        assert not visible(screen, "tenant")
        assert screen.draft().oauth.provider == "google"


async def test_the_guide_key_opens_the_sign_in_set_up_page_when_sign_in_is_chosen(
    tmp_path: Path,
) -> None:
    """In the wizard: ctrl+g with sign-in chosen shows how to register mailwiz (Entra, Google
    Cloud); with the password chosen, the provider's own page (app passwords...)."""
    from tests.ui_helpers import make_app
    from tui.screens.guidance import GuidanceScreen

    for provider_id, username, page, words, password_page in (
        ("microsoft365", "me@contoso.com", "microsoft-entra", "SMTP.Send", "microsoft365"),
        ("gmail", "me@gmail.com", "google-oauth", "Desktop app", "gmail"),
    ):
        settings = preset(provider_id, username=username, auth="oauth2")
        settings.sender.address = username
        app = make_app(tmp_path, settings)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            fields = app.screen
            assert isinstance(fields, FieldsScreen) and fields.signs_in
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert isinstance(app.screen, GuidanceScreen), provider_id
            assert app.screen.provider.guidance == page
            assert words in app.screen.query_one(Markdown).source
            await pilot.press("enter")  # back to the same form
            assert app.screen is fields
            await focus(pilot, fields, "auth")
            await pilot.press("left" if provider_id == "gmail" else "right")  # the password
            assert not fields.signs_in
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert isinstance(app.screen, GuidanceScreen)
            assert app.screen.provider.guidance == password_page


async def test_other_providers_have_no_sign_in_choice() -> None:
    app = Host(FieldsScreen(preset("custom", host="mail.example.org", username="me")))
    async with app.run_test(size=SIZE):
        assert not visible(app.fields, "auth")
        assert app.fields.draft().smtp.auth == "password"


async def test_http_apis_take_a_key_a_base_url_and_for_mailgun_a_domain() -> None:
    settings = Settings(protocol="http", provider="http")
    settings.sender = SenderSettings(address="shop@example.org", reply_to="shop@example.org")
    app = Host(FieldsScreen(settings, check_all=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        label_of = lambda row: str(screen.query_one(f"#{row}-row .field-label", Label).visual)  # noqa: E731
        assert screen.query_one("#api", ChoiceRow).value == "Relay"
        assert label_of("url") == "Relay URL" and label_of("password") == "API key"
        assert not visible(screen, "domain")
        await focus(pilot, screen, "api")
        await pilot.press("right", "right")  # Mailgun
        assert screen.query_one("#api", ChoiceRow).value == "Mailgun"
        assert visible(screen, "domain") and label_of("url") == "Base URL"
        assert message_of(screen, "url") == ""  # empty = the provider's default
        assert "API key" in message_of(screen, "password")
        screen.query_one("#password", Input).value = "key-123"
        screen.query_one("#domain", Input).value = "mg.example.org"
        screen.query_one("#url", Input).value = "https://api.eu.mailgun.net"
        await pilot.pause()
        await pilot.press("ctrl+n")
        result = app.submitted[-1]
        assert (result.settings.http.api, result.settings.http.domain) == (
            "mailgun",
            "mg.example.org",
        )
        assert result.settings.http.url == "https://api.eu.mailgun.net"
        assert result.password == "key-123"


async def test_the_form_fits_80x24_for_each_kind_of_setup() -> None:
    """The rows that apply, and nothing below the buttons: no scrolling for a usual setup."""
    cases = [
        preset("gmail", username="me@gmail.com"),
        preset("microsoft365", username="me@contoso.com", auth="oauth2"),
        Settings(protocol="http", provider="http"),
    ]
    for settings in cases:
        app = Host(FieldsScreen(settings))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            form = app.fields.query_one("#form")
            assert form.max_scroll_y == 0, settings.provider


async def test_a_fixed_username_is_filled_in_and_the_secret_has_the_provider_s_name() -> None:
    """SendGrid: username `apikey`, the password is the "API key", the typed address sends;
    QQ: the password is the "Authorization code"; back to Gmail: neither is carried over."""
    from tui.core.carry import settings_for_choice
    from tui.screens.provider import Choice

    sendgrid = settings_for_choice(Choice(get_provider("sendgrid"), "shop@example.org"), None)
    assert (sendgrid.smtp.username, sendgrid.sender.address) == ("apikey", "shop@example.org")
    gmail = settings_for_choice(Choice(get_provider("gmail")), sendgrid)
    assert gmail.smtp.username == "" and gmail.sender.address == "shop@example.org"
    again = settings_for_choice(Choice(get_provider("sendgrid")), gmail)
    assert again.smtp.username == "apikey"
    for settings, secret in (
        (sendgrid, "API key"),
        (preset("qq", username="12345@qq.com"), "Authorization code"),
        (gmail, "Password"),
    ):
        app = Host(FieldsScreen(settings))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.fields
            shown = str(screen.query_one("#password-row .field-label", Label).visual)
            assert " ".join(shown.split()) == secret, settings.provider
            assert screen.query_one("#form").max_scroll_y == 0, settings.provider  # still fits
            if settings is sendgrid:
                assert screen.query_one("#username", Input).value == "apikey"
                assert screen.query_one("#address", Input).value == "shop@example.org"
