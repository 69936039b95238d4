"""Journeys between capabilities in the wizard (Pilot): no secret follows the user to another
provider or protocol (issue 21 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.api_servers import serve_api
from tests.ui_helpers import SIZE, make_app, type_text
from tests.waiting import eventually
from tui.core.carry import settings_for_choice
from tui.core.providers import get_provider
from tui.core.settings import Settings
from tui.screens.fields import FieldsScreen
from tui.screens.provider import Choice

APP_PASSWORD = "abcd efgh ijkl mnop"


def own_server() -> Settings:
    settings = Settings(provider="custom")
    settings.smtp.host = "mail.example.org"
    settings.smtp.port = 587
    settings.smtp.username = "shop@example.org"
    settings.sender.address = "shop@example.org"
    settings.sender.reply_to = "orders@example.org"
    return settings


def gmail() -> Settings:
    settings = settings_for_choice(Choice(get_provider("gmail")), None)
    settings.smtp.username = "me@gmail.com"
    return settings


async def test_send_with_http_api_gets_no_password_and_the_relay_no_key(tmp_path: Path) -> None:
    """Saved SMTP settings with a stored password -> "Send with: HTTP API" -> a test against a
    local relay that logs what it receives: the key field is empty, no Authorization header
    arrives, and the password is nowhere in the request; the transcript says no key was
    sent. Back on SMTP, the password typed for it is there again."""
    with serve_api("open-relay") as relay:
        app = make_app(tmp_path, own_server(), stored_password=APP_PASSWORD)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            assert fields.query_one("#password", Input).value == APP_PASSWORD
            fields.query_one("#protocol").focus()
            await pilot.press("right")
            await pilot.pause()
            assert fields.draft().protocol == "http"
            assert fields.query_one("#password", Input).value == ""  # not the app password
            fields.query_one("#url", Input).focus()
            await type_text(pilot, f"http://127.0.0.1:{relay.port}/send")
            await pilot.press("ctrl+n")
            from tui.screens.test_send import TestSendScreen

            await eventually(lambda: isinstance(app.screen, TestSendScreen))
            screen = app.screen
            assert isinstance(screen, TestSendScreen)
            if screen.state == "ready":
                await pilot.press("enter")
            await eventually(lambda: screen.state in ("ok", "failed"))
            assert screen.state == "ok", screen.record.transcript
            transcript = "\n".join(line.text for line in screen.record.transcript)
            assert "no API key sent" in transcript
            await pilot.press("escape")
            await eventually(lambda: app.screen is fields)
            fields.query_one("#protocol").focus()
            await pilot.press("left")
            await pilot.pause()
            assert fields.query_one("#password", Input).value == APP_PASSWORD
        assert relay.received
        for seen in relay.received:
            assert "authorization" not in seen.headers
            assert APP_PASSWORD.encode() not in seen.body
            assert APP_PASSWORD not in " ".join(seen.headers.values())


async def test_another_provider_gets_neither_the_password_nor_another_mailbox(
    tmp_path: Path,
) -> None:
    """Gmail's username and app password do not carry into Yahoo (Esc, pick Yahoo)."""
    app = make_app(tmp_path, gmail(), stored_password=APP_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape")  # the picker
        from tui.screens.provider import ProviderScreen

        assert isinstance(app.screen, ProviderScreen)
        app.screen.post_message(ProviderScreen.Chosen(Choice(get_provider("yahoo"))))
        await eventually(lambda: not isinstance(app.screen, ProviderScreen))
        if not isinstance(app.screen, FieldsScreen):
            await pilot.press("enter")  # past Yahoo's app-password guidance
        await eventually(lambda: isinstance(app.screen, FieldsScreen))
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.draft().provider == "yahoo"
        assert fields.query_one("#username", Input).value == ""
        assert fields.query_one("#password", Input).value == ""


def test_a_username_stays_only_where_it_is_the_same_mailbox() -> None:
    base = own_server()
    base.smtp.username = "me@contoso.com"  # a domain of the user's own: any host may serve it
    microsoft = settings_for_choice(Choice(get_provider("microsoft365")), base)
    assert microsoft.smtp.username == "me@contoso.com"
    assert settings_for_choice(Choice(get_provider("yahoo")), gmail()).smtp.username == ""
    ses = own_server()
    ses.provider = "amazon-ses"
    ses.smtp.username = "AKIAIOSFODNN7EXAMPLE"
    postmark = settings_for_choice(Choice(get_provider("postmark")), ses)
    assert postmark.smtp.username == ""


async def test_a_kept_username_is_said_on_the_form(tmp_path: Path) -> None:
    base = own_server()
    base.smtp.username = "me@contoso.com"
    app = make_app(tmp_path, base, stored_password=APP_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape")
        from tui.screens.provider import ProviderScreen

        assert isinstance(app.screen, ProviderScreen)
        app.screen.post_message(ProviderScreen.Chosen(Choice(get_provider("fastmail"))))
        await eventually(lambda: not isinstance(app.screen, ProviderScreen))
        if not isinstance(app.screen, FieldsScreen):
            await pilot.press("enter")
        await eventually(lambda: isinstance(app.screen, FieldsScreen))
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.query_one("#username", Input).value == "me@contoso.com"
        assert fields.query_one("#password", Input).value == ""
        said = str(fields.query_one("#changes", Static).render())
        assert "kept from before" in said and "me@contoso.com" in said


# ------------------------------------------------------------------ open and save: same meaning


def _kinds() -> dict[str, Settings]:
    """Every kind of settings file mailwiz writes."""
    kinds: dict[str, Settings] = {}
    password = own_server()
    password.sender.address = ""  # the username is the address: the form asks for none
    password.password.store = "keyring"
    kinds["smtp-password-keyring"] = password
    in_file = own_server()
    in_file.smtp.username = "shop"  # not an address: the sender address is asked for
    in_file.password.store = "file"
    in_file.local.admin = "ops@example.org"
    in_file.local.aliases = {"www-data": "web@example.org"}
    kinds["smtp-password-file-local"] = in_file
    no_login = Settings(provider="custom")
    no_login.smtp.host, no_login.smtp.port, no_login.smtp.security = "localhost", 25, "none"
    no_login.sender.address = "root@localhost"
    kinds["smtp-no-login"] = no_login
    for family, provider in (("microsoft", "microsoft365"), ("google", "gmail")):
        oauth = settings_for_choice(Choice(get_provider(provider)), None)
        oauth.smtp.username = "me@contoso.com"
        oauth.smtp.auth = "oauth2"
        oauth.oauth.provider = family  # type: ignore[assignment]
        oauth.oauth.client_id = "11111111-2222-3333-4444-555555555555"
        if family == "google":
            oauth.oauth.client_secret = "GOCSPX-client-secret"
        oauth.password.store = "file"
        kinds[f"oauth-{family}"] = oauth
    app = settings_for_choice(Choice(get_provider("microsoft365")), None)
    app.smtp.username = "alerts@contoso.com"
    app.smtp.auth = "oauth2"
    app.oauth.client_id = "11111111-2222-3333-4444-555555555555"
    app.oauth.grant = "app"
    app.oauth.tenant = "contoso.onmicrosoft.com"
    app.password.store = "file"
    kinds["oauth-app-grant"] = app
    for store in ("keyring", "file", "none"):
        relay = Settings(protocol="http", provider="http")
        relay.http.url = "https://relay.example.org/send"
        relay.sender.address = "shop@example.org"
        relay.sender.reply_to = "orders@example.org"
        relay.password.store = store  # type: ignore[assignment]
        kinds[f"relay-{store}"] = relay
    for api in ("postmark", "mailgun", "sendgrid", "resend"):
        settings = Settings(protocol="http", provider=api)
        settings.http.api = api  # type: ignore[assignment]
        settings.http.domain = "mg.example.org" if api == "mailgun" else ""
        settings.sender.address = "shop@example.org"
        settings.password.store = "file"
        kinds[f"api-{api}"] = settings
    return kinds


KINDS = _kinds()


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_open_and_save_without_a_change_keeps_the_meaning(tmp_path: Path, kind: str) -> None:
    """Load a file, open it in the wizard, save without touching anything: the file means
    what it meant (an OAuth file keeps auth = "oauth2" and [oauth], an API stays that API, a
    relay's key store stays)."""
    from tui.core.settings import load_settings
    from tui.core.settings import save_settings as write_plain
    from tui.screens.save import SaveScreen

    path = tmp_path / "settings.toml"
    write_plain(KINDS[kind], path)
    before = load_settings(path).settings
    signs_in = ("oauth-microsoft", "oauth-google")  # a person's sign-in: no stored password
    stored = None if kind.startswith((*signs_in, "smtp-no-login", "relay-none")) else "s3cret"
    app = make_app(tmp_path, before, stored_password=stored)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen)
        await pilot.press("ctrl+s")
        await eventually(lambda: isinstance(app.screen, SaveScreen))
        save = app.screen
        assert isinstance(save, SaveScreen)
        await eventually(lambda: not save.probing)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")  # "not tested: save anyway?"
        await eventually(lambda: save.saved or save.query_one("#status", Static).display)
        assert save.saved, save.query_one("#status", Static).render()
    after = load_settings(path).settings
    assert after == before


async def test_an_oauth_file_opens_as_a_sign_in_not_a_password(tmp_path: Path) -> None:
    """A person's sign-in file opens without asking for a password ("type it in")."""
    app = make_app(tmp_path, KINDS["oauth-microsoft"], stored_password=None)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.signs_in
        assert not fields.query_one("#password-row").display
        assert "type it in" not in fields.password_note
        assert fields.draft().smtp.auth == "oauth2"
