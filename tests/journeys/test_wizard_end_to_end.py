"""The whole wizard, driven by keys as a user would, against real servers on 127.0.0.1:
from the provider list to a saved settings file and a stored password."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tests.memory_keyring import MemoryKeyring
from tests.servers import PASSWORD, USERNAME, SmtpServer
from tests.ui_helpers import SIZE, type_text
from tests.waiting import eventually
from tui.app import MailwizApp
from tui.core.providers import catalogue
from tui.core.settings import load_settings, save_settings
from tui.screens.fields import FieldsScreen
from tui.screens.save import SaveScreen
from tui.screens.test_send import TestSendScreen
from tui.screens.troubleshoot import TroubleshootScreen

# Downs to reach it in the picker (the group headings are skipped by the arrow keys).
OTHER_SMTP_SERVER = [provider.id for provider in catalogue()].index("custom")


async def finish_send(pilot: Pilot[object]) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, TestSendScreen)
    await eventually(lambda: screen.state in ("ok", "failed"))
    return str(screen.state)


async def fill_other_smtp_server(pilot: Pilot[object], server: SmtpServer, password: str) -> None:
    """Choose "Other SMTP server" and type every field, moving with Tab."""
    await pilot.press(*["down"] * OTHER_SMTP_SERVER, "enter")
    assert isinstance(pilot.app.screen, FieldsScreen)
    await type_text(pilot, "127.0.0.1")  # the host field has the focus
    await pilot.press("tab", "right", "right")  # port: 587 -> 25 -> Other, which opens its box
    await type_text(pilot, str(server.port))
    await pilot.press("tab", "tab")  # security stays STARTTLS
    await type_text(pilot, USERNAME)
    await pilot.press("tab")
    await type_text(pilot, password)
    ca_file = pilot.app.screen.query_one("#ca-file", Input)
    ca_file.focus()
    await type_text(pilot, str(server.ca_file))


async def test_other_smtp_server_from_the_list_to_a_saved_file_and_password(
    starttls_server: SmtpServer, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config = tmp_path / "settings.toml"
    app = MailwizApp(config)
    async with app.run_test(size=SIZE) as pilot:
        await fill_other_smtp_server(pilot, starttls_server, PASSWORD)
        await pilot.press("ctrl+n")  # test
        assert isinstance(app.screen, TestSendScreen)
        await pilot.press("enter")  # to the sender's own address
        assert await finish_send(pilot) == "ok"
        await pilot.press("enter")  # on to saving
        assert isinstance(app.screen, SaveScreen)
        await pilot.app.workers.wait_for_complete()  # the keyring check
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    saved = load_settings(config).settings
    assert saved.provider == "custom"
    assert (saved.smtp.host, saved.smtp.port, saved.smtp.security) == (
        "127.0.0.1",
        starttls_server.port,
        "starttls",
    )
    assert saved.smtp.ca_file == str(starttls_server.ca_file)
    assert memory_keyring.entries[("mailwiz", f"{USERNAME}@127.0.0.1")] == PASSWORD
    assert PASSWORD not in config.read_text()
    (received,) = starttls_server.received
    assert received.rcpt_tos == [USERNAME]


async def test_wrong_password_then_troubleshooting_then_fixed_then_success(
    starttls_server: SmtpServer, tmp_path: Path
) -> None:
    app = MailwizApp(tmp_path / "settings.toml")
    async with app.run_test(size=SIZE) as pilot:
        await fill_other_smtp_server(pilot, starttls_server, "not-the-password")
        await pilot.press("ctrl+n", "enter")
        assert await finish_send(pilot) == "failed"
        await pilot.press("t")
        assert isinstance(app.screen, TroubleshootScreen)
        await pilot.press("f")  # straight back to the field concerned
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        password = fields.query_one("#password", Input)
        assert password.has_focus
        await pilot.press("ctrl+u")  # clear what was typed
        password.value = ""
        await type_text(pilot, PASSWORD)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, TestSendScreen)
        await pilot.press("enter")
        assert await finish_send(pilot) == "ok"
    assert len(starttls_server.received) == 1


async def test_editing_keeps_the_stored_password_unless_it_is_changed(
    starttls_server: SmtpServer, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config = save_settings(starttls_server.settings(), tmp_path / "settings.toml")
    account = ("mailwiz", f"{USERNAME}@127.0.0.1")
    memory_keyring.entries[account] = PASSWORD
    settings = load_settings(config).settings
    app = MailwizApp(config, settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()  # the stored password is read
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        name = fields.query_one("#name", Input)
        name.focus()
        await type_text(pilot, "Shop")  # change something else than the password
        await pilot.press("ctrl+n", "enter")
        assert await finish_send(pilot) == "ok"  # the stored password was used
        await pilot.press("enter")
        assert isinstance(app.screen, SaveScreen)
        await pilot.app.workers.wait_for_complete()
        memory_keyring.entries[account] = "sentinel: must not be rewritten"
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert load_settings(config).settings.sender.name == "Shop"
    assert memory_keyring.entries[account] == "sentinel: must not be rewritten"
