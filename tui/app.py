"""The wizard: which provider -> (guidance) -> fields -> test send -> save.

Screens stack up as the user goes forward, so Escape always returns to the previous one
with everything still typed in. The app only wires the screens together: each screen
posts a message or dismisses with a result, and the app decides what comes next.

Heavy screens (Markdown guidance, the test send, saving) are imported when first needed,
so the first screen appears fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

from tui.core.carry import username_carries
from tui.core.exits import Exit
from tui.core.providers import CUSTOM_ID, PROVIDER_APIS, get_provider
from tui.core.settings import OAuthSettings, Settings, command_for, looks_like_address
from tui.screens.provider import Choice, ProviderScreen

if TYPE_CHECKING:
    from tui.core.credentials import PasswordLookup
    from tui.core.discover import Suggestion
    from tui.core.practice import PracticeServer, ReceivedMessage
    from tui.core.providers import Provider
    from tui.screens.discover import Discovered
    from tui.screens.fields import FieldsScreen, FormResult
    from tui.screens.test_send import TestOutcome

PasswordLookupFn = Callable[[Settings, Path], "PasswordLookup"]

# Exit codes of the wizard, from the one table.
EXIT_OK = int(Exit.OK)
EXIT_BAD_SETTINGS = int(Exit.USAGE)
EXIT_NO_SETTINGS = int(Exit.NOT_READY)

QUIT_QUESTION = "Quit mailwiz?"
SCREEN_NAMES = {
    "ProviderScreen": "choosing a provider",
    "GuidanceScreen": "the provider's guide",
    "DiscoverScreen": "looking up the settings",
    "FieldsScreen": "the settings",
    "TestSendScreen": "the test send",
    "TroubleshootScreen": "troubleshooting",
    "SaveScreen": "saving",
}
QUIT_UNSAVED = "Your changes are not saved yet and will be lost."
CARRIED_USERNAME = (
    "Username {username} kept from before: the same mailbox. The password was not: type the "
    "one for this provider."
)


def _default_lookup(settings: Settings, config_path: Path) -> PasswordLookup:
    from tui.core.credentials import load_password

    return load_password(settings, config_path)


def settings_for_choice(
    choice: Choice, base: Settings | None, *, keep_server: bool = False
) -> Settings:
    """The settings to open the fields with after a provider was chosen.

    What the user typed before (addresses, name) is kept, the username only where it is the
    same mailbox (tui.core.carry), never a secret; the server, port and security come from
    the provider's preset unless `keep_server` (same provider again).
    """
    provider = choice.provider
    settings = base.copy() if base is not None else Settings()
    settings.provider = provider.id
    settings.protocol = provider.protocol
    smtp = settings.smtp
    if not keep_server:
        # No secret follows the user to another provider: the sign-in settings go too, and
        # the username stays only where it is the same mailbox (tui.core.carry); a fixed
        # username (SendGrid's apikey) is _fixed_username's.
        settings.oauth = OAuthSettings()
        if not provider.username and not username_carries(smtp.username, provider):
            smtp.username = ""
    if provider.protocol == "smtp" and not keep_server:
        if provider.host:
            smtp.host, smtp.port, smtp.security = provider.host, provider.port, provider.security
        else:
            smtp.host = choice.suggested_host
            smtp.port, smtp.security = provider.port, provider.security
    if provider.certificate_checks_required:
        smtp.verify_certificate = True
        smtp.ca_file = ""
    if provider.protocol == "http" and provider.id in PROVIDER_APIS:
        settings.http.api = provider.id  # type: ignore[assignment]  # one API's entry: that API
    if not keep_server:
        # Microsoft no longer takes passwords for most accounts: sign-in is the default there.
        smtp.auth = "oauth2" if provider.id in ("microsoft365", "outlook") else "password"
        if provider.id in ("microsoft365", "outlook"):
            settings.oauth.provider = "microsoft"
            if provider.id == "outlook" and settings.oauth.tenant == "organizations":
                settings.oauth.tenant = "consumers"  # personal accounts
        elif provider.id in ("gmail", "google-workspace"):
            settings.oauth.provider = "google"
    if choice.address:
        if provider.protocol == "smtp":
            smtp.username = choice.address
            settings.sender.address = ""
        elif not settings.sender.reply_to:
            settings.sender.reply_to = choice.address
    if provider.protocol == "smtp" and not keep_server:
        _fixed_username(settings, provider, base, choice.address)
    return settings


def _fixed_username(
    settings: Settings, provider: Provider, base: Settings | None, address: str
) -> None:
    """A provider whose SMTP username is fixed (SendGrid's `apikey`) gets it filled in, the
    address then being the sender's; another provider's fixed username is not carried over."""
    smtp = settings.smtp
    if provider.username:
        if looks_like_address(smtp.username) and not settings.sender.address:
            settings.sender.address = smtp.username
        smtp.username = provider.username
        return
    before = provider_or_custom(base.provider) if base is not None else None
    if before is not None and before.username and smtp.username == before.username:
        smtp.username = address


def provider_or_custom(provider_id: str) -> Provider:
    try:
        return get_provider(provider_id)
    except KeyError:
        return get_provider(CUSTOM_ID)


def settings_for_suggestion(
    suggestion: Suggestion, address: str, base: Settings | None
) -> Settings:
    """The settings to open the fields with after discovery found a server for `address`.

    The server, port and security are the suggestion's; the username is its hint; the
    sender address is asked for (filled with `address`) only when that hint is not one.
    """
    provider = provider_or_custom(suggestion.provider_id)
    settings = settings_for_choice(Choice(provider, address), base)
    smtp = settings.smtp
    smtp.host, smtp.port, smtp.security = suggestion.host, suggestion.port, suggestion.security
    smtp.username = suggestion.username_hint or address
    settings.sender.address = "" if looks_like_address(smtp.username) else address
    return settings


PRACTICE_NOTES = (
    "A real mail server that mailwiz runs on this computer for this session only. "
    "Everything is filled in, password included: press ctrl+n for a test send."
)


def practice_provider(server: PracticeServer) -> Provider:
    """The picker entry for the practice server (not part of the catalogue)."""
    from tui.core.practice import PROVIDER_ID
    from tui.core.providers import Provider

    return Provider(
        id=PROVIDER_ID,
        name="Practice server",
        hint="A mail server on this computer: try mailwiz safely",
        protocol="smtp",
        host=server.host,
        port=server.port,
        security="starttls",
        alternatives=(),
        domains=(),
        mx_suffixes=(),
        app_password=False,
        guidance="",
        certificate_checks_required=True,
        notes=PRACTICE_NOTES,
    )


def password_note(lookup: PasswordLookup) -> str:
    """A line under the password field saying where the filled-in password came from."""
    if lookup.password is not None:
        where = {
            "env": "From MAILWIZ_PASSWORD",
            "keyring": "From the system keyring",
            "file": "From the password file",
        }.get(lookup.source, "Stored password")
        note = f"{where}; type over it to change it."
        return f"{note} {lookup.warning}" if lookup.warning else note
    if lookup.problem:
        # The first statement only: the whole explanation comes again when saving.
        first = lookup.problem.split(". ")[0].split(": ")[0].rstrip(".")
        return f"{first}: type it in."
    return ""


class MailwizApp(App[int]):
    """The mailwiz wizard. `settings` is the configuration being edited, or None for a new one."""

    TITLE = "mailwiz"
    ENABLE_COMMAND_PALETTE = False
    # The first screen's rules load with the app's: a screen that brings a CSS file Textual
    # has not read makes it re-parse every source (uncached) and restyle every node when the
    # screen is pushed. ProviderScreen names its file too; Textual reads it only once.
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "screens/provider.tcss"]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("q", "quit", "Quit", show=False),
        # In a text field "?" is typed as text: the footer names F1 there.
        Binding("f1", "keys_in_field", "Keys"),
        Binding("f1,question_mark", "show_keys", "Keys", show=False),
        # Tab moves on in the app's own queue, before the keys typed after it are handed out:
        # a burst (a password manager's auto-type, a paste with a tab) would otherwise reach
        # the field it left, as the field passes Tab up to the screen only afterwards.
        Binding("tab", "focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(
        self,
        config_path: Path,
        settings: Settings | None = None,
        *,
        password_lookup: PasswordLookupFn | None = None,
        load_warnings: Sequence[str] = (),
        practice_server: PracticeServer | None = None,
        discover_options: Mapping[str, object] | None = None,
        sixteen_colours: bool = False,
    ) -> None:
        """`discover_options`: keyword arguments for tui.core.discover.engine.discover (tests give
        a resolver and a hosts table on 127.0.0.1); None: the real network.
        `sixteen_colours`: use the terminal's own 16 colours (an ANSI theme), for terminals
        without 256 colours and for NO_COLOR (see `few_colours()`)."""
        super().__init__(ansi_color=True if sixteen_colours else None)
        self.sixteen_colours = sixteen_colours
        self.config_path = config_path
        self.initial = settings.copy() if settings is not None else None
        self.password_lookup = password_lookup or _default_lookup
        self.load_warnings = list(load_warnings)
        self.practice_server = practice_server
        self.practice = practice_server is not None
        self.discover_options = dict(discover_options or {})

        # What the user has typed so far, kept when they go back to the provider list.
        self.draft: Settings | None = None
        self.password = ""
        self.stored_password: str | None = None  # the password read from the store, if any
        self.password_note = ""
        self.password_read = settings is None
        self.carried = ""  # what was kept from the provider before, said on the form
        self.draft_dirty = False
        self.saved = False
        self.last_result: FormResult | None = None
        self.test_to = ""

        self.fields: FieldsScreen | None = None

    # ------------------------------------------------------------------ start

    def on_mount(self) -> None:
        if self.sixteen_colours:
            self.theme = "ansi-dark"
        current = self.initial.provider if self.initial is not None else ""
        extra: list[Provider] = []
        if self.practice_server is not None:
            extra.append(practice_provider(self.practice_server))
            current = current or extra[0].id
            self.practice_server.on_message(self._practice_message)
            self.notify(
                "Nothing you do here touches your real settings or keyring. "
                "Choose Practice server to try a test send.",
                title="Practice run",
                timeout=4,
            )
        self.push_screen(ProviderScreen(current=current, extra=extra))
        if self.initial is not None and _signs_in(self.initial):
            self.password_read = True  # a sign-in: no password to read or to ask for
            self.open_fields(self.initial, check_all=True)
        elif self.initial is not None:
            self.password_note = "Reading the stored password…"
            self.open_fields(self.initial, check_all=True)
            self.run_worker(
                self._read_password,
                thread=True,
                name="read-password",
                exit_on_error=False,
            )
        if self.initial is not None:
            from tui.widgets.sign_in_notice import notify_sign_in

            notify_sign_in(self, self.initial, self.config_path)
        for warning in self.load_warnings:
            self.notify(warning, title="Settings file", severity="warning", timeout=10)

    def _practice_message(self, message: ReceivedMessage) -> None:
        """Called in the practice server's thread for each message it accepts."""
        self.call_from_thread(
            self.notify,
            message.summary(),
            title="The practice server received a message",
            markup=False,
            timeout=8,
        )

    def _read_password(self) -> PasswordLookup:
        assert self.initial is not None
        return self.password_lookup(self.initial, self.config_path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "read-password":
            return
        if event.state == WorkerState.SUCCESS:
            lookup = event.worker.result
            assert lookup is not None
            self.password_read = True
            self.stored_password = lookup.password
            if not self._editing_initial_provider():
                # The user moved to another provider meanwhile: not its password.
                if self.fields is not None:
                    self.fields.set_stored_password(None, "")
                return
            self.password_note = password_note(lookup)
            if lookup.password is not None and not self.password:
                self.password = lookup.password
            if self.fields is not None:
                self.fields.set_stored_password(lookup.password, self.password_note)
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.password_read = True
            self.password_note = "The stored password could not be read: type it in."
            if self.fields is not None:
                self.fields.set_stored_password(None, self.password_note)

    def _editing_initial_provider(self) -> bool:
        """Whether the form in use is still for the provider the settings file names."""
        current = self.fields.initial if self.fields is not None else self.draft or self.initial
        initial = self.initial
        return (
            current is not None
            and initial is not None
            and (current.provider, current.protocol) == (initial.provider, initial.protocol)
        )

    # ------------------------------------------------------------------ provider -> fields

    @on(ProviderScreen.Chosen)
    def _provider_chosen(self, message: ProviderScreen.Chosen) -> None:
        choice = message.choice
        if choice.address and choice.provider.id == CUSTOM_ID:
            # A domain the catalogue does not know: look its settings up first.
            self._discover(choice)
            return
        base = self.draft or self.initial
        same = base is not None and base.provider == choice.provider.id
        settings = settings_for_choice(choice, base, keep_server=same)
        if not same:
            self._forget_secret(base, settings)
        if (
            self.practice_server is not None
            and choice.provider.id == practice_provider(self.practice_server).id
        ):
            if not same:
                settings = self.practice_server.settings()
                self.password = self.practice_server.password
            self.open_fields(settings, provider=choice.provider)
            return
        self._guidance_then_fields(
            choice.provider, settings, check_all=same and self.initial is not None
        )

    def _forget_secret(self, base: Settings | None, settings: Settings) -> None:
        """Another provider: the password (or key) typed or stored for the one before is not
        offered to it; a username kept from before is said on the form."""
        self.password = ""
        self.password_note = ""
        self.carried = ""
        username = settings.smtp.username
        if base is not None and username and base.smtp.username == username:
            self.carried = CARRIED_USERNAME.format(username=username)

    def _guidance_then_fields(
        self,
        provider: Provider,
        settings: Settings,
        *,
        check_all: bool = False,
        shown: Provider | None = None,
    ) -> None:
        """The provider's guidance first when it has some (app passwords...), then the
        fields. `shown`: the provider as the fields should present it (with a note)."""
        from tui.screens.guidance import has_guidance

        if has_guidance(provider):
            from tui.screens.guidance import GuidanceScreen

            def after_guidance(go_on: bool | None) -> None:
                if go_on:
                    self.open_fields(settings, check_all=check_all, provider=shown)

            self.push_screen(GuidanceScreen(shown or provider), after_guidance)
        else:
            self.open_fields(settings, check_all=check_all, provider=shown)

    def _discover(self, choice: Choice) -> None:
        from tui.screens.discover import DiscoverScreen

        def found(result: Discovered | None) -> None:
            if result is not None:
                self._discovered(choice, result)

        self.push_screen(DiscoverScreen(choice.address, self.discover_options), found)

    def _discovered(self, choice: Choice, result: Discovered) -> None:
        """Fill the fields from what discovery found (or its fallback), saying where from."""
        base = self.draft or self.initial
        suggestion = result.suggestion
        if suggestion is None:
            provider = get_provider(CUSTOM_ID)
            settings = settings_for_choice(choice, base)
            settings.smtp.host = result.fallback_host
        else:
            provider = provider_or_custom(suggestion.provider_id)
            settings = settings_for_suggestion(suggestion, choice.address, base)
        self._forget_secret(None, settings)
        notes = " ".join(part for part in (result.note, provider.notes) if part)
        shown = provider._replace(notes=notes)
        if provider.host:
            # The guidance names the server it fills in: the one found (a region's, say).
            smtp = settings.smtp
            shown = shown._replace(host=smtp.host, port=smtp.port, security=smtp.security)
        self._guidance_then_fields(provider, settings, shown=shown)

    def open_fields(
        self, settings: Settings, *, check_all: bool = False, provider: Provider | None = None
    ) -> None:
        from tui.screens.fields import FieldsScreen

        self.fields = FieldsScreen(
            settings,
            self.password,
            check_all=check_all,
            password_note=self.password_note,
            password_pending=not self.password_read,
            provider=provider,
            carried=self.carried,
        )
        self.carried = ""
        self.push_screen(self.fields, self._fields_closed)

    def _fields_closed(self, result: FormResult | None) -> None:
        """Escape on the fields: keep the draft for when a provider is chosen again."""
        self.fields = None
        if result is None:
            return
        if result.dirty:
            self.draft_dirty = True
        self.draft = result.settings
        self.password = result.password

    # ------------------------------------------------------------------ fields -> test -> save

    def on_fields_screen_guide_requested(self, message: FieldsScreen.GuideRequested) -> None:
        from tui.screens.guidance import GuidanceScreen, has_guidance

        if has_guidance(message.provider):
            self.push_screen(GuidanceScreen(message.provider, continue_label="Return"))

    def on_fields_screen_submitted(self, message: FieldsScreen.Submitted) -> None:
        result = message.result
        self.last_result = result
        self.password = result.password
        if result.action == "save":
            self.open_save(result, tested=False)
        elif result.settings.smtp.auth == "oauth2" and result.settings.oauth.grant == "user":
            self.sign_in(result.settings, lambda: self.open_test(result))  # (the app: no person)
        else:
            self.open_test(result)

    def open_test(self, result: FormResult) -> None:
        from tui.screens.test_send import TestSendScreen

        self.push_screen(
            TestSendScreen(result.settings, result.password, self.config_path, to=self.test_to),
            self._test_done,
        )

    def sign_in(self, settings: Settings, then: Callable[[], None]) -> None:
        """The OAuth sign-in (tui/screens/signin.py, `SignInScreen(settings, config_path)`,
        a Screen[bool] that dismisses True once a token is stored), then `then()`."""
        import importlib

        try:
            screen_class = importlib.import_module("tui.screens.signin").SignInScreen
        except (ImportError, AttributeError):
            login = command_for(self.config_path, "login")
            self.notify(
                "Signing in from the wizard is not available in this version: run "
                f"`{login}` after saving, or choose Password.",
                title="Sign-in",
                severity="error",
            )
            return

        def signed_in(ok: bool | None) -> None:
            if ok:
                then()

        self.push_screen(screen_class(settings, self.config_path), signed_in)

    def _test_done(self, outcome: TestOutcome | None) -> None:
        if outcome is None:
            return
        if outcome.to:
            self.test_to = outcome.to
        if outcome.action == "save" and self.last_result is not None:
            self.open_save(self.last_result, tested=outcome.ok)
        elif outcome.action == "edit" and outcome.field and self.fields is not None:
            self.fields.focus_field(outcome.field)

    def password_to_save(self, result: FormResult) -> str | None:
        """None (keep the stored one) when the password and its keyring entry are unchanged."""
        from tui.core.credentials import keyring_account

        if result.settings.protocol == "smtp" and result.settings.smtp.auth == "oauth2":
            if result.settings.oauth.grant == "app" and result.password:
                return result.password  # an app's client secret, kept like a password
            return None  # no password: the sign-in stored its token already
        if (
            self.initial is not None
            and self.stored_password is not None
            and result.password == self.stored_password
            and result.settings.password.store == self.initial.password.store
            and keyring_account(result.settings) == keyring_account(self.initial)
        ):
            return None
        return result.password

    def open_save(self, result: FormResult, *, tested: bool) -> None:
        from tui.screens.save import SaveScreen

        settings = result.settings
        if self.practice:
            # Practice never touches the real keyring: the password goes into a file in the
            # practice folder, which is deleted when mailwiz ends.
            settings = settings.copy()
            settings.password.store = "file"
        screen = SaveScreen(
            settings,
            self.password_to_save(result),
            self.config_path,
            tested,
            practice=self.practice,
        )
        self.push_screen(screen, self._save_done)

    def _save_done(self, saved: bool | None) -> None:
        if saved:
            self.saved = True
            self.exit(EXIT_OK)

    # ------------------------------------------------------------------ quitting

    def has_unsaved_changes(self) -> bool:
        if self.saved:
            return False
        if self.draft_dirty:
            return True
        return self.fields is not None and self.fields.is_dirty()

    def exit_code(self) -> int:
        if self.saved or self.practice or self.config_path.exists():
            return EXIT_OK
        return EXIT_NO_SETTINGS

    async def action_quit(self) -> None:
        """Every way of quitting comes here: one question, asked only when something the
        user typed would be lost."""
        from tui.dialogs.confirm import ConfirmDialog

        if isinstance(self.screen, ConfirmDialog):
            return
        if not self.has_unsaved_changes():
            self.exit(self.exit_code())
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit(self.exit_code())

        self.push_screen(
            ConfirmDialog(QUIT_QUESTION, QUIT_UNSAVED, yes="Quit", no="Keep editing"), answered
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keys_in_field":
            from textual.widgets import Input

            return isinstance(self.focused, Input)
        return True

    def action_keys_in_field(self) -> None:
        self.action_show_keys()

    def action_show_keys(self) -> None:
        """`?` / F1: the keys of the screen in front, in a dialog."""
        from tui.dialogs.confirm import KeysDialog, screen_keys

        if isinstance(self.screen, KeysDialog):
            return
        keys = screen_keys(self)
        title = "Keys: " + SCREEN_NAMES.get(type(self.screen).__name__, "this screen")
        self.push_screen(KeysDialog(title, keys))


def _signs_in(settings: Settings) -> bool:
    """A person's sign-in: no stored password to read (an app's sign-in has its secret)."""
    from tui.core.credentials import uses_oauth_sign_in  # only with settings to edit

    return uses_oauth_sign_in(settings) and settings.oauth.grant != "app"


def few_colours() -> bool:
    """True on a terminal with 16 colours or fewer, or with NO_COLOR set: the wizard then
    draws with the terminal's own ANSI colours rather than approximations of its theme.
    Call before the App is made (Textual removes NO_COLOR from the environment)."""
    import os

    from rich.console import Console

    if os.environ.get("NO_COLOR") is not None:
        return True
    system = Console(force_terminal=True).color_system
    return system not in ("256", "truecolor")


def run_wizard(config_path: Path, practice: bool = False) -> int:
    """Run the wizard on `config_path` (edited if it exists); returns the exit code.

    `practice`: a practice run. A practice server (tui.core.practice) runs on this computer
    for the session and is offered first in the list; the settings file is a temporary one
    beside the server's CA file, so nothing touches the real settings, and the practice
    settings keep no password (store "none"), so nothing touches the keyring.
    """
    if practice:
        return _run_practice()
    from tui.core.settings import SettingsError, SettingsMissing, load_settings

    settings: Settings | None = None
    warnings: list[str] = []
    try:
        loaded = load_settings(config_path)
    except SettingsMissing:
        pass
    except SettingsError as error:
        print(f"mailwiz: {error}", file=sys.stderr)
        print(
            "mailwiz: fix the file (or move it away to start afresh) and run mailwiz again; "
            "the wizard never overwrites a file it cannot read.",
            file=sys.stderr,
        )
        return EXIT_BAD_SETTINGS
    else:
        settings = loaded.settings
        warnings = loaded.warnings
    app = MailwizApp(config_path, settings, load_warnings=warnings, sixteen_colours=few_colours())
    return _run(app)


def _run_practice() -> int:
    from tui.core.practice import PracticeServer

    with PracticeServer() as server:
        app = MailwizApp(
            server.folder / "settings.toml", practice_server=server, sixteen_colours=few_colours()
        )
        code = _run(app)
        reports = sorted(path.name for path in server.folder.glob("mailwiz-report-*"))
    if reports:
        print(
            f"mailwiz: the practice folder was deleted, and with it the support report "
            f"written there ({', '.join(reports)}).",
            file=sys.stderr,
        )
    return code


def _run(app: MailwizApp) -> int:
    code = app.run()
    if app.return_code:
        return app.return_code
    return code if code is not None else EXIT_OK
