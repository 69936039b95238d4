"""The wizard's flow: picker -> guidance -> fields -> test -> save, back and quit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, Markdown, OptionList, Static

from tests.memory_keyring import MemoryKeyring
from tests.ui_helpers import SIZE, make_app, type_text
from tests.waiting import eventually
from tui.app import run_wizard
from tui.core.carry import settings_for_choice
from tui.core.providers import catalogue, get_provider
from tui.core.settings import SenderSettings, Settings, SmtpSettings, save_settings
from tui.dialogs.confirm import ConfirmDialog, KeysDialog
from tui.screens.fields import FieldsScreen
from tui.screens.guidance import GuidanceScreen, links_in
from tui.screens.provider import Choice, ProviderScreen
from tui.wizard.quitting import EXIT_NO_SETTINGS


def shop_settings() -> Settings:
    return Settings(
        protocol="smtp",
        provider="custom",
        smtp=SmtpSettings(host="mail.example.org", port=2525, security="starttls", username="shop"),
        sender=SenderSettings(address="shop@example.org", copy_to="archive@example.org"),
    )


async def test_gmail_path_through_the_guidance_to_the_fields(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # Gmail is first in the list
        assert isinstance(app.screen, GuidanceScreen)
        text = app.screen.query_one(Markdown).source
        # The seed's steps, in order: 2-step verification first, then the app password.
        two_step = text.index("2-Step Verification")
        app_passwords = text.index("App passwords")
        instead = text.index("instead of your normal Gmail password")
        assert two_step < app_passwords < instead
        assert "https://myaccount.google.com/apppasswords" in text
        server = str(app.screen.query_one("#server-line", Static).render())
        assert "smtp.gmail.com" in server
        # The link can be copied (OSC 52 through the app's clipboard).
        await pilot.press("c")
        assert app.clipboard == "https://myaccount.google.com/apppasswords"
        await pilot.press("enter")
        assert isinstance(app.screen, FieldsScreen)
        fields = app.screen
        settings = fields.draft()
        assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
            "smtp.gmail.com",
            465,
            "tls",
        )
        help_line = str(fields.query_one("#password-help", Static).render())
        assert "app password" in help_line
        # ctrl+g shows the guidance again; Enter comes back to the same form.
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, GuidanceScreen)
        await pilot.press("enter")
        assert app.screen is fields


async def test_yahoo_guidance_follows_the_seed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await type_text(pilot, "shop@yahoo.com")
        await pilot.press("enter")
        assert isinstance(app.screen, GuidanceScreen)
        text = app.screen.query_one(Markdown).source
        steps = [
            "https://login.yahoo.com/account/security",
            "Generate app password",
            "Other app",
            "Generate password",
            "paste it into the Password field",
        ]
        positions = [text.index(step) for step in steps]
        assert positions == sorted(positions)
        assert links_in(text) == ["https://login.yahoo.com/account/security"]


async def test_escape_goes_back_without_losing_what_was_typed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        ids = ["custom"]
        providers = app.screen.query_one("#providers", OptionList)
        assert isinstance(app.screen, ProviderScreen)
        providers.highlighted = app.screen.index_of(ids[0])  # headings take places too
        await pilot.press("enter")
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        await type_text(pilot, "mail.example.org")  # the host has the focus
        fields.query_one("#username", Input).focus()
        await type_text(pilot, "office@example.org")
        await pilot.press("escape")
        assert isinstance(app.screen, ProviderScreen)
        await pilot.press("enter")  # the same provider again
        assert isinstance(app.screen, FieldsScreen)
        assert app.screen.query_one("#host", Input).value == "mail.example.org"
        assert app.screen.query_one("#username", Input).value == "office@example.org"
        # Escape from the guidance screen goes back to the list, too.
        await pilot.press("escape")
        providers = app.screen.query_one("#providers", OptionList)
        assert isinstance(app.screen, ProviderScreen)
        providers.highlighted = app.screen.index_of("gmail")
        await pilot.press("enter")
        assert isinstance(app.screen, GuidanceScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ProviderScreen)
        assert app.screen.query_one("#providers", OptionList).highlighted == app.screen.index_of(
            "gmail"
        )


async def test_another_provider_takes_its_server_and_no_other_mailbox(tmp_path: Path) -> None:
    base = shop_settings()
    choice = Choice(get_provider("fastmail"))
    settings = settings_for_choice(choice, base)
    assert settings.provider == "fastmail"
    assert (settings.smtp.host, settings.smtp.port) == ("smtp.fastmail.com", 465)
    assert settings.smtp.username == ""  # "shop" is the old server's login, not a mailbox
    assert settings.sender.copy_to == "archive@example.org"
    again = settings_for_choice(Choice(get_provider("custom")), base, keep_server=True)
    assert again.smtp.host == "mail.example.org" and again.smtp.port == 2525


async def test_an_existing_settings_file_opens_on_its_fields(tmp_path: Path) -> None:
    app = make_app(tmp_path, shop_settings(), stored_password="s3cret")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.query_one("#host", Input).value == "mail.example.org"
        assert fields.query_one("#port-other", Input).value == "2525"
        assert fields.query_one("#address", Input).value == "shop@example.org"
        assert fields.query_one("#copy-to", Input).value == "archive@example.org"
        # The stored password is filled in (masked), and said so.
        assert fields.query_one("#password", Input).value == "s3cret"
        assert fields.query_one("#password", Input).password
        note = str(fields.query_one("#password-help", Static).render())
        assert "From the system keyring" in note
        assert not app.has_unsaved_changes()
        # Escape reaches the picker, with the current provider highlighted.
        await pilot.press("escape")
        assert isinstance(app.screen, ProviderScreen)
        options = app.screen.query_one("#providers", OptionList)
        highlighted = options.get_option_at_index(options.highlighted or 0)
        assert highlighted.id == "custom"


async def test_without_a_stored_password_the_field_says_why(tmp_path: Path) -> None:
    app = make_app(tmp_path, shop_settings(), stored_password=None)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.query_one("#password", Input).value == ""
        note = str(fields.query_one("#password-message", Static).render())
        assert "Enter the password" in note
        help_line = str(fields.query_one("#password-help", Static).render())
        assert "The system keyring gave no password: type it in." in help_line


async def test_a_valid_form_goes_to_the_test_screen(tmp_path: Path) -> None:
    from tui.screens.test_send import TestOutcome, TestSendScreen

    app = make_app(tmp_path, shop_settings(), stored_password="s3cret")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, TestSendScreen)
        assert app.screen.settings.smtp.host == "mail.example.org"
        # The test screen sends the user back to the field concerned.
        app.screen.dismiss(TestOutcome(ok=False, action="edit", field="password"))
        await pilot.pause()
        await pilot.pause()
        assert app.screen is fields
        assert fields.query_one("#password", Input).has_focus


async def test_save_without_testing_goes_to_the_save_screen(tmp_path: Path) -> None:
    from tui.screens.save import SaveScreen

    app = make_app(tmp_path, shop_settings(), stored_password="s3cret")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveScreen)
        assert app.screen.tested is False
        # Unchanged password and account: the stored password is kept as it is.
        assert app.screen.password is None


async def test_quit_asks_first_when_something_was_typed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")  # Gmail, past the guidance
        assert isinstance(app.screen, FieldsScreen)
        await type_text(pilot, "me@gmail.com")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, FieldsScreen)
        assert app.screen.query_one("#username", Input).value == "me@gmail.com"
        await pilot.press("ctrl+q")
        await pilot.press("y")
    assert app.return_value == EXIT_NO_SETTINGS


async def test_quit_without_changes_does_not_ask(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_value == EXIT_NO_SETTINGS


def test_a_broken_settings_file_is_reported_not_overwritten(tmp_path: Path, capsys: object) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('version = 1\nprotocol = "smtp"\nbogus = 3\n', encoding="utf-8")
    assert run_wizard(path) == 2
    assert path.read_text(encoding="utf-8").endswith("bogus = 3\n")


def test_settings_file_round_trip_fixture(tmp_path: Path) -> None:
    """The settings used above are valid for the core (so the tests test the screens)."""
    path = tmp_path / "settings.toml"
    save_settings(shop_settings(), path)
    assert path.exists()


async def test_practice_run_sends_through_the_practice_server(tmp_path: Path) -> None:
    from tui.app import MailwizApp
    from tui.core.practice import PracticeServer
    from tui.screens.save import SaveScreen
    from tui.screens.test_send import TestSendScreen

    with PracticeServer(folder=tmp_path) as server:
        app = MailwizApp(server.folder / "settings.toml", practice_server=server)
        async with app.run_test(size=SIZE) as pilot:
            options = app.screen.query_one("#providers", OptionList)
            assert options.get_option_at_index(0).id == "practice"
            await pilot.press("enter")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            settings = fields.draft()
            assert settings.smtp.port == server.port
            assert settings.smtp.ca_file == str(server.ca_file)
            assert fields.password == server.password
            assert fields.query_one("#ca-file", Input).display
            await pilot.press("ctrl+n")
            assert isinstance(app.screen, TestSendScreen)
            await pilot.press("enter")  # send to the address shown
            await eventually(lambda: app.screen.state in ("ok", "failed"))
            assert app.screen.state == "ok"
            assert len(server.messages) == 1
            await pilot.press("enter")  # on to saving
            assert isinstance(app.screen, SaveScreen)
            assert app.screen.tested is True


async def test_wrong_password_troubleshooting_leads_back_to_the_password(tmp_path: Path) -> None:
    from tui.app import MailwizApp
    from tui.core.practice import PracticeServer
    from tui.screens.test_send import TestSendScreen
    from tui.screens.troubleshoot import TroubleshootScreen

    with PracticeServer(fail="auth", folder=tmp_path) as server:
        app = MailwizApp(server.folder / "settings.toml", practice_server=server)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "ctrl+n")
            test_screen = app.screen
            assert isinstance(test_screen, TestSendScreen)
            await pilot.press("enter")
            await eventually(lambda: test_screen.state in ("ok", "failed"))
            assert test_screen.state == "failed"
            await pilot.press("t")
            assert isinstance(app.screen, TroubleshootScreen)
            assert app.screen.field == "password"
            await pilot.press("f")  # straight to the field concerned
            await pilot.pause()
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            assert fields.query_one("#password", Input).has_focus


#: What the first screen (`mailwiz` with no settings yet) must not load: each waits until a
#: run needs it (issue 16). Prefixes of module names.
NOT_AT_FIRST_SCREEN = (
    "textual.widgets._markdown",  # the guidance
    "markdown_it",
    "aiosmtplib",  # the send engines
    "httpx",
    "keyring",
    "email_validator",  # plain addresses are checked without it
    "tomli_w",  # only saving writes TOML
    "idna",  # only a non-ASCII domain needs IDNA
    "tui.core.transports",
    "tui.core.discover",
    "tui.core.credentials",
    "tui.screens.fields",  # the other screens and dialogs load when pushed
    "tui.screens.guidance",
    "tui.screens.discover",
    "tui.screens.test_send",
    "tui.screens.save",
    "tui.screens.signin",
    "tui.screens.troubleshoot",
    "tui.dialogs.confirm",
    "tui.widgets.choice_row",  # the form widgets
    "tui.widgets.field_row",
    "tui.widgets.toggles",
    "tui.commands.",  # a wizard start builds no subcommand parser (tui.commands.base aside)
)
#: What a wizard start loads from tui/commands: the shared base (the pipe-safe stdout) and
#: the parser class that reads --config and --practice.
COMMANDS_AT_FIRST_SCREEN = ("tui.commands.base", "tui.commands.parsing")

#: Runs the real entry point (`mailwiz --config PATH`) headless until the picker is shown, and
#: writes what it saw and loaded to the file named second (stdout is the terminal).
FIRST_SCREEN = """
import sys
import tui.app
from tui.cli import main

seen = []

async def leave(pilot):
    await pilot.pause()
    seen.append(type(pilot.app.screen).__name__)
    pilot.app.exit()

def headless(app):
    app.run(headless=True, size=(80, 24), auto_pilot=leave)
    return 0

tui.app._run = headless
main(["--config", sys.argv[1]])
loaded = sorted(m for m, module in sys.modules.items() if module is not None)
with open(sys.argv[2], "w") as out:
    print(seen[0], *loaded, file=out)
"""


def test_the_first_screen_does_not_import_the_heavy_parts(tmp_path: Path) -> None:
    """The picker, shown through the real entry point, loads none of NOT_AT_FIRST_SCREEN.
    (A None entry in sys.modules is a module marked absent, tui/__init__.py: not loaded.)"""
    import os
    import pty
    import subprocess
    import sys

    # The wizard starts only on a terminal: give it one, as a person running it would.
    terminal, wizard_side = pty.openpty()
    out = tmp_path / "first-screen.txt"
    try:
        subprocess.run(
            [sys.executable, "-c", FIRST_SCREEN, str(tmp_path / "settings.toml"), str(out)],
            stdin=wizard_side,
            stdout=wizard_side,
            stderr=subprocess.PIPE,
            check=True,
            timeout=120,
        )
    finally:
        os.close(wizard_side)
        os.close(terminal)
    screen, *loaded = out.read_text().split()
    assert screen == "ProviderScreen"
    assert "tui.screens.provider" in loaded and "tui.commands.base" in loaded  # it can see
    heavy = [
        name
        for name in loaded
        if name.startswith(NOT_AT_FIRST_SCREEN) and name not in COMMANDS_AT_FIRST_SCREEN
    ]
    assert heavy == []


# ---------------------------------------------------------------------- snapshots (80x24)


def test_snapshot_provider_picker(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE)


def test_snapshot_picker_with_an_address(snap_compare: Any, tmp_path: Path) -> None:
    keys = ["tab", *"office@example.org"]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=keys)


def test_snapshot_gmail_guidance(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["enter"])


def test_snapshot_gmail_fields(snap_compare: Any, tmp_path: Path) -> None:
    keys = ["enter", "enter", *"shop@gmail.com"]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=keys)


def test_snapshot_fields_blocked_with_messages(snap_compare: Any, tmp_path: Path) -> None:
    """Other SMTP server, nothing filled in, Test pressed: every message, focus on the host."""
    ids = [provider.id for provider in catalogue()]
    keys = [*["down"] * ids.index("custom"), "enter", "ctrl+n"]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=keys)


def test_snapshot_existing_settings(snap_compare: Any, tmp_path: Path) -> None:
    app = make_app(tmp_path, shop_settings(), stored_password="s3cret")
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_quit_confirmation(snap_compare: Any, tmp_path: Path) -> None:
    keys = ["enter", "enter", *"me@gmail.com", "ctrl+q"]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=keys)


async def test_quit_after_opening_a_file_without_edits_does_not_ask(tmp_path: Path) -> None:
    save_settings(shop_settings(), tmp_path / "settings.toml")
    app = make_app(tmp_path, shop_settings(), stored_password="s3cret")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen)
        await pilot.press("escape")  # back to the list, nothing changed, then quit
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
    assert app.return_value == 0


async def test_every_way_of_quitting_asks_the_same_question(tmp_path: Path) -> None:
    questions = []
    for key in ("ctrl+q", "q"):
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "enter", *"me@gmail.com", "tab")  # leave the field
            await pilot.press("escape")  # back to the list with a draft
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ConfirmDialog), key
            questions.append((app.screen.question, app.screen.detail))
            await pilot.press("n")
    assert (
        questions[0]
        == questions[1]
        == (
            "Quit mailwiz?",
            "Your changes are not saved yet and will be lost.",
        )
    )


async def test_question_mark_and_f1_show_the_keys_of_the_screen(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        assert isinstance(app.screen, FieldsScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, KeysDialog)
        text = str(app.screen.query_one("#detail", Static).visual)
        assert "Test" in text and "Save untested" in text and "^g" in text
        assert "Move cursor" not in text  # the screen's keys, not an input's
        await pilot.press("escape")
        assert isinstance(app.screen, FieldsScreen)
        app.screen.query_one("#test").focus()  # not typing in a field: ? is a key
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeysDialog)


async def test_the_keys_list_what_the_footer_shows_and_how_to_move(tmp_path: Path) -> None:
    from textual.widgets import Footer

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # Typing in the address field makes "?" text: the footer names F1.
        footer_keys = {item.key for item in app.screen.query_one(Footer).query("FooterKey")}
        assert "f1" in footer_keys
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, KeysDialog)
        text = str(app.screen.query_one("#detail", Static).visual)
        for key, words in [("⏎", "Choose"), ("]", "Next group"), ("↑ ↓", "Move")]:
            assert key in text and words in text
        assert "← →" in text and "at once" in text and "Space" in text and "F1" in text


async def test_a_value_changed_on_load_is_said(tmp_path: Path) -> None:
    """security "none" with a username becomes STARTTLS; the screen says so."""
    settings = shop_settings()
    settings.smtp.security = "none"
    app = make_app(tmp_path, settings, stored_password="s3cret")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        fields = app.screen
        assert isinstance(fields, FieldsScreen)
        assert fields.draft().smtp.security == "starttls"
        changes = fields.query_one("#changes", Static)
        assert changes.display and "Encryption is now STARTTLS" in str(changes.visual)


async def test_practice_never_touches_the_real_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """`mailwiz --practice` with an address typed at the picker: the password is saved in the
    practice folder; the keyring entry already there for that account is left alone."""
    from tui.app import MailwizApp
    from tui.core.practice import PracticeServer
    from tui.screens.save import SaveScreen

    account = ("mailwiz", "jane@gmail.com@smtp.gmail.com")
    memory_keyring.entries[account] = "the real one"
    with PracticeServer(folder=tmp_path) as server:
        app = MailwizApp(server.folder / "settings.toml", practice_server=server)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("tab", *"jane@gmail.com", "enter")
            await pilot.pause()
            if isinstance(app.screen, GuidanceScreen):
                await pilot.press("enter")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            fields.query_one("#password", Input).value = "abcdabcdabcdabcd"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, SaveScreen)
            text = " ".join(str(w.visual) for w in app.screen.query(Static) if w.display)
            assert "nothing goes into your real settings or keyring" in text
            assert "Provider:      practice" not in text
            await eventually(lambda: not app.screen.probing)
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("y")  # untested: save anyway
            await eventually(lambda: app.screen.saved)
            assert app.screen.saved
            password_file = server.folder / "settings.toml.password"
            assert password_file.read_text(encoding="utf-8").strip() == "abcdabcdabcdabcd"
    assert memory_keyring.entries == {account: "the real one"}


def test_snapshot_fields_16_colours(snap_compare: Any, tmp_path: Path) -> None:
    """TERM=xterm: the terminal's own 16 colours; states in glyphs, errors in red and bold."""
    ids = [provider.id for provider in catalogue()]
    keys = [*["down"] * ids.index("custom"), "enter", *"mail.example.org", "ctrl+n"]
    app = make_app(tmp_path, sixteen_colours=True)
    assert snap_compare(app, terminal_size=SIZE, press=keys)


async def test_f1_is_named_wherever_question_mark_is_typed_as_text(tmp_path: Path) -> None:
    from textual.widgets import Footer

    from tui.screens.test_send import TestSendScreen

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TestSendScreen(shop_settings(), "secret", tmp_path / "settings.toml"))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.focused, Input)  # the recipient: "?" would be typed there

        def footer_keys() -> set[str]:
            return {key.key for key in app.screen.query_one(Footer).query("FooterKey")}

        assert "f1" in footer_keys()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, KeysDialog)
