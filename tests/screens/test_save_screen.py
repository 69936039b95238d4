"""The save screen: summary, where things go, the keyring probe and its explicit fallbacks."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from textual.widgets import RadioSet, Static

from tests.memory_keyring import MemoryKeyring, installed_keyring, memory_keyring  # noqa: F401
from tests.ui_helpers import ScreenHost, settle, visible_text
from tui.core.credentials.store import password_file_path
from tui.core.settings import Settings, SmtpSettings, load_settings
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.save import MASK, SaveScreen

PASSWORD = "app-pass-4711"
ACCOUNT = ("mailwiz", "shop@gmail.com@smtp.gmail.com")


def gmail() -> Settings:
    settings = Settings(provider="gmail")
    settings.smtp = SmtpSettings(
        host="smtp.gmail.com", port=465, security="tls", username="shop@gmail.com"
    )
    settings.sender.name = "Corner Shop"
    settings.sender.reply_to = "orders@cornershop.example.com"
    return settings


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A headless server: keyring finds no backend."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with installed_keyring(fail.Keyring()):
        yield


async def test_save_with_a_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    config = tmp_path / "mailwiz" / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = visible_text(screen)
        assert MASK in text and PASSWORD not in text
        assert "smtp.gmail.com port 465" in text
        assert f"Settings file: {config}" in text
        assert "the system keyring" in text and "shop@gmail.com@smtp.gmail.com" in text
        assert not screen.query_one("#store-choice").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = visible_text(screen)
        assert "Saved." in done
        assert "test" in done and "send --to customer@example.com --attach invoice.pdf" in done
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [True]
    assert memory_keyring.entries[ACCOUNT] == PASSWORD
    saved = load_settings(config).settings
    assert saved.smtp.host == "smtp.gmail.com" and saved.password.store == "keyring"
    assert PASSWORD not in config.read_text()


async def test_no_keyring_offers_file_or_nothing(tmp_path: Path, no_keyring: None) -> None:
    config = tmp_path / "settings.toml"
    settings = gmail()
    screen = SaveScreen(settings, PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = visible_text(screen)
        assert "No system keyring is available" in text
        choice = screen.query_one("#store-choice", RadioSet)
        assert choice.display and choice.has_focus
        # Saving before choosing is refused with a reason; nothing is written.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Choose where the password goes first" in visible_text(screen)
        assert not config.exists()
        # The first choice: a password file that only the user can read.
        await pilot.press("enter")
        await pilot.pause()
        assert "the password file" in visible_text(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved." in visible_text(screen)
    password_file = password_file_path(config)
    assert password_file.read_text().strip() == PASSWORD
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert load_settings(config).settings.password.store == "file"
    assert screen.settings.password.store == "file"  # the screen says where it went


async def test_no_keyring_and_no_stored_password(tmp_path: Path, no_keyring: None) -> None:
    config = tmp_path / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert "MAILWIZ_PASSWORD" in str(screen.query_one("#where-password", Static).visual)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved." in visible_text(screen)
    assert load_settings(config).settings.password.store == "none"
    assert not password_file_path(config).exists()


async def test_untested_settings_ask_first(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    config = tmp_path / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=False)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Not tested" in visible_text(screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and not config.exists()
        assert memory_keyring.entries == {}
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert "Saved." in visible_text(screen)
    assert config.exists() and memory_keyring.entries[ACCOUNT] == PASSWORD


async def test_unchanged_password_is_not_overwritten(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    memory_keyring.entries[ACCOUNT] = "the-stored-one"
    config = tmp_path / "settings.toml"
    screen = SaveScreen(gmail(), None, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = visible_text(screen)
        assert "(not changed)" in text and MASK not in text
        assert "not changed; it stays in the system keyring" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved." in visible_text(screen)
    assert memory_keyring.entries == {ACCOUNT: "the-stored-one"}
    assert config.exists()


async def test_save_error_is_explained_and_retry_works(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the settings folder should be")
    config = blocker / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = visible_text(screen)
        assert "Not saved:" in text and "press Save again" in text
        assert "Traceback" not in text
        assert not screen.saved and app.screen is screen
        # Fix the cause outside, press Save again: it works, nothing was lost.
        blocker.unlink()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved." in visible_text(screen)
    assert config.exists()


async def test_escape_goes_back(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    app = ScreenHost(SaveScreen(gmail(), PASSWORD, tmp_path / "settings.toml", tested=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [False]
    assert not (tmp_path / "settings.toml").exists()


def test_save_screen_snapshot(snap_compare: Any, no_keyring: None) -> None:
    """No keyring on a headless server, settings not tested: the explicit choices."""
    config = Path("/home/shop/.config/mailwiz/settings.toml")
    screen = SaveScreen(gmail(), PASSWORD, config, tested=False)

    async def probed(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(ScreenHost(screen), terminal_size=(80, 24), run_before=probed)


def own_server() -> Settings:
    settings = Settings(provider="custom")
    settings.smtp = SmtpSettings(
        host="mail.example.org", port=587, security="starttls", username="shop"
    )
    settings.sender.address = "shop@example.org"
    return settings


async def test_certificate_not_checked_is_said_before_saving(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """Certificate checks off: the summary says NOT checked, in the warning style; with checks
    on, it says nothing about it. (Removing the row from summary_rows fails this test.)"""
    unchecked = own_server()
    unchecked.smtp.verify_certificate = False
    for settings, warned in ((unchecked, True), (own_server(), False)):
        screen = SaveScreen(settings, PASSWORD, tmp_path / "settings.toml", tested=True)
        app = ScreenHost(screen)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            summary = screen.query_one("#summary", Static)
            text = str(summary.visual)
            assert ("Certificate:" in text and "NOT checked" in text) is warned
            warning = screen.query_one("#certificate-warning", Static)
            assert warning.display is warned
            if warned:
                assert "anyone between you and the server" in str(warning.visual)
                assert warning.region.bottom <= 24  # on screen, not below the fold


async def test_what_next_commands_never_break_inside_a_word(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    import tempfile

    # A path short enough for a line, with a space; the whole command is not.
    folder = Path(tempfile.mkdtemp(prefix="mw shop ", dir="/tmp"))
    screen = SaveScreen(gmail(), PASSWORD, folder / "settings.toml", tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = str(screen.query_one("#done", Static).visual)
        lines = done.splitlines()
        commands = [line for line in lines if line.startswith(("  mailwiz", "      "))]
        assert commands and all(len(line) <= 76 for line in commands)
        # Joined back, each command is whole and quoted for the shell.
        joined = " ".join(line.strip().rstrip("\\").strip() for line in commands)
        assert f"'{folder}/settings.toml' send --to customer@example.com" in joined
        assert screen.query_one("#done", Static).region.bottom <= 24
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


async def test_an_oauth_sign_in_shows_no_password_and_stores_none(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    settings = own_server()
    settings.provider = "microsoft365"
    settings.smtp.host, settings.smtp.username = "smtp.office365.com", "me@contoso.com"
    settings.smtp.auth = "oauth2"
    settings.oauth.client_id = "11111111-2222"
    screen = SaveScreen(settings, None, tmp_path / "settings.toml", tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = str(screen.query_one("#summary", Static).visual)
        assert "Microsoft sign-in (OAuth), client ID 11111111-2222" in summary
        assert "Password:" not in summary
        # Where the sign-in (its refresh token) is kept: oauth_store's entry, not a password's.
        where = " ".join(str(screen.query_one("#where-password", Static).visual).split())
        assert where == (
            "Sign-in: kept in the system keyring, entry mailwiz / "
            "me@contoso.com@smtp.office365.com#oauth"
        )
        assert "Password" not in visible_text(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.saved
        done = " ".join(str(screen.query_one("#done", Static).visual).split())
        assert "Sign-in: kept in the system keyring" in done and "#oauth" in done
        assert "where the sign-in is" in done and "Password" not in done
    assert memory_keyring.entries == {}
    assert load_settings(tmp_path / "settings.toml").settings.smtp.auth == "oauth2"


async def test_an_oauth_sign_in_in_a_file_names_the_token_file(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    from tui.core.credentials import token_file_path

    settings = own_server()
    settings.smtp.auth, settings.password.store = "oauth2", "file"
    config = tmp_path / "settings.toml"
    screen = SaveScreen(settings, None, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        where = " ".join(str(screen.query_one("#where-password", Static).visual).split())
        file = token_file_path(config)
        assert where == f"Sign-in: kept in the file {file} (readable only by you)"
        assert "stays in" not in visible_text(screen)


def _own_mail_folder() -> Path:
    import tempfile

    # Not the usual path, so every command carries --config (the longest the screen shows).
    return Path(tempfile.mkdtemp(prefix="mailwiz-own-mail-", dir="/tmp"))


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


async def test_admin_address_is_saved_and_the_own_mail_offer_fits(
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    folder = _own_mail_folder()
    config = folder / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Admin address" in visible_text(screen)
        await pilot.click("#admin")
        await pilot.press(*"ops@example.com", "enter")  # Enter in the field goes to Save
        await pilot.pause()
        assert screen.query_one("#save").has_focus
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = screen.query_one("#done", Static)
        text = str(done.visual)
        joined = " ".join(line.strip().rstrip("\\").strip() for line in text.splitlines())
        assert "this server's own mail (cron, mail, PHP)" in text
        assert f"sudo mailwiz --config {config} install-mta" in joined
        assert "Mail for root goes to ops@example.com." in text
        assert "Press Enter to finish." in text
        # All of it on screen at 80x24, above the footer (#done is as tall as its text).
        assert done.region.height >= len(text.splitlines()) + 1  # + the padding above
        assert done.region.bottom <= screen.query_one("Footer").region.y
        assert screen.settings.local.admin == "ops@example.com"
    saved = load_settings(config).settings
    assert saved.local.admin == "ops@example.com"
    _remove(folder)


async def test_a_local_name_as_admin_address_is_refused(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    config = tmp_path / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#admin")
        await pilot.press(*"root@localhost")
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = visible_text(screen)
        assert "Admin address: The admin address must be a real mailbox" in text
        assert not config.exists() and screen.query_one("#admin").has_focus
        await pilot.press(*(["backspace"] * len("localhost")), *"example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.saved
    assert load_settings(config).settings.local.admin == "root@example.org"


async def test_no_admin_address_keeps_no_local_table_but_still_offers_install_mta(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    config = tmp_path / "settings.toml"
    screen = SaveScreen(gmail(), PASSWORD, config, tested=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = str(screen.query_one("#done", Static).visual)
        assert "install-mta" in text and "Mail for root" not in text
    assert "[local]" not in config.read_text()


async def test_practice_neither_asks_for_an_admin_nor_offers_install_mta(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    settings = own_server()
    settings.password.store = "file"
    screen = SaveScreen(settings, PASSWORD, tmp_path / "settings.toml", tested=True, practice=True)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not screen.query("#admin") and "Admin address" not in visible_text(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = visible_text(screen)
        assert "Saved in the practice folder." in text and "install-mta" not in text
