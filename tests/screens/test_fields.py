"""The fields screen: presets, fields that come and go, validation by the core, focus."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Checkbox, Collapsible, Input, Label, Markdown, Static

from tests.ui_helpers import SIZE, type_text
from tui.core.keys import Key
from tui.core.providers import get_provider
from tui.core.settings import SenderSettings, Settings, SmtpSettings
from tui.screens.fields import FieldsScreen, FormResult
from tui.widgets import ChoiceRow


class Host(App[None]):
    """Shows one fields screen and keeps what it submitted."""

    def __init__(self, screen: FieldsScreen) -> None:
        super().__init__()
        self.fields = screen
        self.submitted: list[FormResult] = []

    def on_mount(self) -> None:
        self.push_screen(self.fields)

    def on_fields_screen_submitted(self, message: FieldsScreen.Submitted) -> None:
        self.submitted.append(message.result)


def preset(provider_id: str, **smtp: object) -> Settings:
    provider = get_provider(provider_id)
    settings = Settings(protocol=provider.protocol, provider=provider.id)
    settings.smtp = SmtpSettings(host=provider.host, port=provider.port, security=provider.security)
    for name, value in smtp.items():
        setattr(settings.smtp, name, value)
    return settings


def message_of(screen: FieldsScreen, row: str) -> str:
    widget = screen.query_one(f"#{row}-message", Static)
    return str(widget.render()) if widget.display else ""


def visible(screen: FieldsScreen, widget_id: str) -> bool:
    return screen._row_visible(widget_id)


async def focus(pilot: Pilot[None], screen: FieldsScreen, widget_id: str) -> None:
    screen.query_one(f"#{widget_id}").focus()
    await pilot.pause()


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


def heading_of(screen: FieldsScreen) -> str:
    return str(screen.query_one("#heading", Static).render())


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
