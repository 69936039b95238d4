"""The wizard's sign-in screen, driven with Pilot at 80x24 against the real practice
authorization server: the device code shown and copied, approval kept in the store, Esc
cancels, the browser variant takes a pasted address and refuses a wrong state."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from textual.app import App
from textual.widgets import Input, Markdown, Static

from tests.ui_helpers import SIZE
from tests.waiting import eventually
from tui.core.credentials import load_tokens
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import load_settings, save_settings
from tui.screens.signin import SignedIn, SignInScreen


class Host(App[None]):
    """An app that shows only the sign-in screen and keeps what it dismissed."""

    def __init__(self, config: Path, browser: bool = False) -> None:
        super().__init__()
        self.config = config
        self.browser = browser
        self.results: list[SignedIn | None] = []

    def on_mount(self) -> None:
        settings = load_settings(self.config).settings
        screen = SignInScreen(settings, self.config, browser=self.browser)
        self.push_screen(screen, self.results.append)


def text(app: App[None], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_device_code_shown_copied_and_approved(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    app = Host(oauth_config)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: oauth_practice.authorization.pending_codes())
        code = oauth_practice.authorization.pending_codes()[0]
        await pilot.pause()
        # The code as the server accepts it (a mouse copy pastes exactly that), and the
        # address alone on its line from the first column.
        assert text(app, "#signin-code") == code
        assert text(app, "#signin-address") == oauth_practice.authorization.verification_url
        assert app.screen.query_one("#signin-address").region.x == 0
        # Everything fits an 80x24 terminal: the code is inside the screen.
        box = app.screen.query_one("#signin-code").region
        assert box.bottom <= SIZE[1] and box.right <= SIZE[0]
        await pilot.press("c")
        assert app.clipboard == code
        await eventually(lambda: "left" in text(app, "#signin-wait"))
        oauth_practice.authorization.approve(code)
        await eventually(lambda: app.results)
    result = app.results[0]
    assert result is not None and result.username == "practice@example.com"
    stored = load_tokens(load_settings(oauth_config).settings, oauth_config)
    assert (
        stored is not None and stored.refresh_token in oauth_practice.authorization.secrets_issued()
    )


async def test_escape_cancels_and_keeps_nothing(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    app = Host(oauth_config)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: oauth_practice.authorization.pending_codes())
        await pilot.press("escape")
        await eventually(lambda: app.results)
        # Nothing is left that could poll: an approval now must sign nobody in.
        await pilot.app.workers.wait_for_complete()
        assert all(worker.is_finished for worker in pilot.app.workers)
        polls = len(oauth_practice.authorization.polls)
        oauth_practice.authorization.approve(oauth_practice.authorization.pending_codes()[0])
        await pilot.pause()
        assert len(oauth_practice.authorization.polls) == polls
    assert app.results == [None]
    assert not oauth_config.with_name("settings.toml.token").exists()


async def test_a_declined_code_says_so_and_offers_a_retry(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    app = Host(oauth_config)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: oauth_practice.authorization.pending_codes())
        oauth_practice.authorization.deny(oauth_practice.authorization.pending_codes()[0])
        await eventually(lambda: "declined" in text(app, "#signin-message"))
        assert "r to try again" in text(app, "#signin-message")
        await pilot.press("r")
        await eventually(lambda: oauth_practice.authorization.pending_codes())
        assert app.results == []


async def test_browser_variant_takes_the_pasted_address(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    app = Host(oauth_config, browser=True)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: "/authorize?" in text(app, "#signin-address"))
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        url = screen.address
        approved = httpx.get(url + "&decision=approve", follow_redirects=False)
        redirected = approved.headers["location"]
        await pilot.pause()
        paste = app.screen.query_one("#signin-paste", Input)
        assert paste.has_focus
        paste.value = re.sub(r"state=[^&]+", "state=forged", redirected)
        await pilot.press("enter")
        await eventually(lambda: "state does not match" in text(app, "#signin-message"))
        assert app.results == []
        paste.value = redirected
        await pilot.press("enter")
        await eventually(lambda: app.results)
    assert app.results[0] is not None
    assert oauth_config.with_name("settings.toml.token").exists()


async def test_a_kept_sign_in_is_offered_first(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    first = Host(oauth_config)
    async with first.run_test(size=SIZE) as pilot:
        await eventually(lambda: oauth_practice.authorization.pending_codes())
        oauth_practice.authorization.approve(oauth_practice.authorization.pending_codes()[0])
        await eventually(lambda: first.results)
    again = Host(oauth_config)
    async with again.run_test(size=SIZE) as pilot:
        await eventually(lambda: "Already signed in" in text(again, "#signin-step"))
        assert "practice@example.com" in text(again, "#signin-step")
        assert oauth_practice.authorization.pending_codes() == []  # nothing asked yet
        await pilot.press("enter")
        await eventually(lambda: again.results)
    assert again.results[0] == first.results[0]


async def test_the_setup_guide_is_one_key_away(tmp_path: Path) -> None:
    """For Microsoft, `g` opens the Entra registration page (no network: a sign-in is kept,
    so nothing is asked of Microsoft)."""
    from tui.core.credentials import TokenRecord, save_tokens
    from tui.core.settings import Settings, save_settings
    from tui.screens.guidance import GuidanceScreen

    settings = Settings(provider="microsoft365")
    settings.smtp.host = "smtp.office365.com"
    settings.smtp.username = "me@contoso.example"
    settings.smtp.auth = "oauth2"
    settings.oauth.client_id = "00000000-0000-0000-0000-000000000000"
    settings.password.store = "file"
    config = save_settings(settings, tmp_path / "settings.toml")
    save_tokens(settings, config, TokenRecord("a-refresh-token", username="me@contoso.example"))
    app = Host(config)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: "Already signed in" in text(app, "#signin-step"))
        await pilot.press("g")
        await eventually(lambda: isinstance(app.screen, GuidanceScreen))
        assert isinstance(app.screen, GuidanceScreen)
        assert app.screen.provider.guidance == "microsoft-entra"
        page = " ".join(app.screen.query_one(Markdown).source.split())
        for step in ("Allow public client flows", "SMTP.Send", "offline_access", "admin consent"):
            assert step in page
        assert "Authenticated SMTP" in page  # SMTP AUTH must be on for the mailbox too


async def test_without_a_keyring_the_screen_offers_a_file_before_signing_in(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    """Issue 21 item 2: the place is settled first; `f` keeps the sign-in in a 0600 file."""
    from keyring.backends import fail

    from tests.memory_keyring import installed_keyring

    loaded = load_settings(oauth_config)
    loaded.settings.password.store = "keyring"
    save_settings(loaded.settings, oauth_config)
    with installed_keyring(fail.Keyring()):
        app = Host(oauth_config)
        async with app.run_test(size=SIZE) as pilot:
            await eventually(lambda: "Before you sign in" in text(app, "#signin-step"))
            assert "no system keyring" in text(app, "#signin-step").lower()
            assert oauth_practice.authorization.pending_codes() == []  # nothing asked yet
            await pilot.press("f")
            await eventually(lambda: oauth_practice.authorization.pending_codes())
            oauth_practice.authorization.approve(oauth_practice.authorization.pending_codes()[0])
            await eventually(lambda: app.results)
    result = app.results[0]
    assert result is not None and "settings.toml.token" in result.stored_in
    token = oauth_config.with_name("settings.toml.token")
    assert token.stat().st_mode & 0o077 == 0


async def test_the_browser_address_is_unindented_and_also_in_a_file(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    """Issue 21 item 11: a mouse copy of a wrapped address breaks it, so it is also written
    to a 0600 file beside the settings (removed when the sign-in is over)."""
    app = Host(oauth_config, browser=True)
    address_file = oauth_config.with_name("settings.toml.signin-address")
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: "/authorize?" in text(app, "#signin-address"))
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        assert app.screen.query_one("#signin-address").region.x == 0
        assert address_file.read_text() == screen.address + "\n"
        assert address_file.stat().st_mode & 0o077 == 0
        assert str(address_file) in text(app, "#signin-step")
        await pilot.press("escape")
        await eventually(lambda: app.results)
    assert not address_file.exists()


async def test_another_account_through_the_listener_is_kept_only_after_y(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    """Issue 22 item 4: the account that came back is shown and confirmed before it is kept."""
    loaded = load_settings(oauth_config)
    loaded.settings.smtp.username = "victim@example.com"
    save_settings(loaded.settings, oauth_config)
    token = oauth_config.with_name("settings.toml.token")
    for key, kept in (("n", False), ("y", True)):
        app = Host(oauth_config, browser=True)
        async with app.run_test(size=SIZE) as pilot:
            await eventually(lambda app=app: "/authorize?" in text(app, "#signin-address"))
            screen = app.screen
            assert isinstance(screen, SignInScreen)
            approved = httpx.get(screen.address + "&decision=approve", follow_redirects=False)
            async with httpx.AsyncClient() as client:  # the browser, on this machine
                assert (await client.get(approved.headers["location"])).status_code == 200
            await eventually(lambda app=app: "y keeps" in text(app, "#signin-message"))
            assert "practice@example.com" in text(app, "#signin-message")
            assert not token.exists()
            await pilot.press(key)
            if kept:
                await eventually(lambda app=app: app.results)
            else:
                await eventually(lambda app=app: "nothing was kept" in text(app, "#signin-message"))
        assert token.exists() is kept
