"""The wizard: which provider -> (guidance) -> fields -> test send -> save.

Screens stack up as the user goes forward, so Escape always returns to the previous one
with everything still typed in. The app only wires the screens together: each screen
posts a message or dismisses with a result, and the app decides what comes next. Its other
jobs live in tui/wizard/: what was typed so far (`draft`), the keys dialog (`keys`),
quitting (`quitting`), the practice run (`practice`) and what is read before it starts
(`start`); the settings a provider choice opens with are the core's (tui.core.carry).

Heavy screens (Markdown guidance, the test send, saving) are imported when first needed,
so the first screen appears fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.worker import Worker, WorkerState

from tui.core.carry import (
    Choice,
    provider_as_found,
    settings_for_choice,
    settings_for_discovery,
)
from tui.core.providers import CUSTOM_ID
from tui.core.settings import Settings
from tui.core.texts import Texts
from tui.screens.provider import ProviderScreen
from tui.wizard import practice as practice_run
from tui.wizard import quitting
from tui.wizard.draft import Draft
from tui.wizard.keys import WizardKeys
from tui.wizard.quitting import EXIT_BAD_SETTINGS, EXIT_OK

if TYPE_CHECKING:
    from tui.core.credentials import PasswordLookup, SignedIn
    from tui.core.practice import PracticeServer
    from tui.core.providers import Provider
    from tui.screens.discover import Discovered
    from tui.screens.fields import FieldsScreen, FormResult
    from tui.screens.test_send import TestOutcome

PasswordLookupFn = Callable[[Settings, Path], "PasswordLookup"]
say = Texts("tui")


def _default_lookup(settings: Settings, config_path: Path) -> PasswordLookup:
    from tui.core.credentials import load_password

    return load_password(settings, config_path)


class MailwizApp(WizardKeys):
    """The mailwiz wizard. `settings` is the configuration being edited, or None for a new one."""

    TITLE = "mailwiz"
    ENABLE_COMMAND_PALETTE = False
    # The first screen's rules load with the app's: a screen that brings a CSS file Textual
    # has not read makes it re-parse every source (uncached) and restyle every node when the
    # screen is pushed. ProviderScreen names its file too; Textual reads it only once.
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "screens/provider.tcss"]

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
        without 256 colours and for NO_COLOR (see tui.wizard.start.few_colours)."""
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
        self.draft = Draft(self.initial, password_read=settings is None)
        self.fields: FieldsScreen | None = None

    # ------------------------------------------------------------------ start

    def on_mount(self) -> None:
        if self.sixteen_colours:
            self.theme = "ansi-dark"
        current = self.initial.provider if self.initial is not None else ""
        extra: list[Provider] = []
        if self.practice_server is not None:
            extra.append(practice_run.welcome(self, self.practice_server))
            current = current or extra[0].id
        self.push_screen(ProviderScreen(current=current, extra=extra))
        if self.initial is not None:
            self._open_initial(self.initial)
        for warning in self.load_warnings:
            title = say("wizard.settings_file_title")
            self.notify(warning, title=title, severity="warning", timeout=10)

    def _open_initial(self, initial: Settings) -> None:
        """The settings file's settings in the fields, its stored password read meanwhile
        (a person's sign-in has none to read or to ask for)."""
        from tui.core.credentials import uses_oauth_sign_in
        from tui.widgets.sign_in_notice import notify_sign_in

        stored_password = not (uses_oauth_sign_in(initial) and initial.oauth.grant != "app")
        self.draft.reading(stored_password)
        self.open_fields(initial, check_all=True)
        if stored_password:
            self.run_worker(
                self._read_password, thread=True, name="read-password", exit_on_error=False
            )
        notify_sign_in(self, initial, self.config_path)

    def _read_password(self) -> PasswordLookup:
        assert self.initial is not None
        return self.password_lookup(self.initial, self.config_path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "read-password":
            return
        if event.state == WorkerState.SUCCESS:
            lookup = event.worker.result
            assert lookup is not None
            # The user may have moved to another provider meanwhile: not its password.
            current = self.fields.initial if self.fields is not None else None
            password, note = self.draft.password_found(lookup, current)
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            password, note = None, self.draft.password_unreadable()
        else:
            return
        if self.fields is not None:
            self.fields.set_stored_password(password, note)

    # ------------------------------------------------------------------ provider -> fields

    @on(ProviderScreen.Chosen)
    def _provider_chosen(self, message: ProviderScreen.Chosen) -> None:
        choice = message.choice
        if choice.address and choice.provider.id == CUSTOM_ID:
            # A domain the catalogue does not know: look its settings up first.
            self._discover(choice)
            return
        base = self.draft.base
        same = base is not None and base.provider == choice.provider.id
        settings = settings_for_choice(choice, base, keep_server=same)
        if not same:
            self.draft.forget_secret(base, settings)
        server = self.practice_server
        if server is not None and practice_run.chosen(choice.provider):
            if not same:
                settings = server.settings()
                self.draft.password = server.password
            self.open_fields(settings, provider=choice.provider)
            return
        self._guidance_then_fields(
            choice.provider, settings, check_all=same and self.initial is not None
        )

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

            guide = GuidanceScreen(shown or provider, config_path=self.config_path)
            self.push_screen(guide, after_guidance)
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
        found = result.suggestion, result.fallback_host
        provider, settings = settings_for_discovery(choice, *found, self.draft.base)
        self.draft.forget_secret(None, settings)
        shown = provider_as_found(provider, settings, result.note)
        self._guidance_then_fields(provider, settings, shown=shown)

    def open_fields(
        self, settings: Settings, *, check_all: bool = False, provider: Provider | None = None
    ) -> None:
        from tui.screens.fields import FieldsScreen

        draft = self.draft
        self.fields = FieldsScreen(
            settings,
            draft.password,
            check_all=check_all,
            password_note=draft.password_note,
            password_pending=not draft.password_read,
            provider=provider,
            carried=draft.take_carried(),
        )
        self.push_screen(self.fields, self._fields_closed)

    def _fields_closed(self, result: FormResult | None) -> None:
        """Escape on the fields: keep the draft for when a provider is chosen again."""
        self.fields = None
        if result is not None:
            self.draft.form_closed(result)

    # ------------------------------------------------------------------ fields -> test -> save

    def on_fields_screen_guide_requested(self, message: FieldsScreen.GuideRequested) -> None:
        from tui.screens.guidance import GuidanceScreen, has_guidance

        if has_guidance(message.provider):
            label = say("wizard.guide_return")
            guide = GuidanceScreen(
                message.provider, continue_label=label, config_path=self.config_path
            )
            self.push_screen(guide)

    def on_fields_screen_submitted(self, message: FieldsScreen.Submitted) -> None:
        result = message.result
        self.draft.submitted(result)
        if result.action == "save":
            self.open_save(result, tested=False)
        elif result.settings.smtp.auth == "oauth2" and result.settings.oauth.grant == "user":
            self.sign_in(result.settings, lambda: self.open_test(result))  # (the app: no person)
        else:
            self.open_test(result)

    def open_test(self, result: FormResult) -> None:
        from tui.screens.test_send import TestSendScreen

        to = self.draft.test_to
        screen = TestSendScreen(result.settings, result.password, self.config_path, to=to)
        self.push_screen(screen, self._test_done)

    def sign_in(self, settings: Settings, then: Callable[[], None]) -> None:
        """The OAuth sign-in (tui/screens/signin.py), then `then()` once it is kept."""
        from tui.screens.signin import SignInScreen

        def signed_in(result: SignedIn | None) -> None:
            if result is not None:
                then()

        self.push_screen(SignInScreen(settings, self.config_path), signed_in)

    def _test_done(self, outcome: TestOutcome | None) -> None:
        if outcome is None:
            return
        if outcome.to:
            self.draft.test_to = outcome.to
        last = self.draft.last_result
        if outcome.action == "save" and last is not None:
            self.open_save(last, tested=outcome.ok)
        elif outcome.action == "edit" and outcome.field and self.fields is not None:
            self.fields.focus_field(outcome.field)

    def open_save(self, result: FormResult, *, tested: bool) -> None:
        from tui.screens.save import SaveScreen

        settings = result.settings
        if self.practice:
            settings = practice_run.settings_to_save(settings)
        secret = self.draft.secret_to_save(result)
        screen = SaveScreen(settings, secret, self.config_path, tested, practice=self.practice)
        self.push_screen(screen, self._save_done)

    def _save_done(self, saved: bool | None) -> None:
        if saved:
            self.draft.saved = True
            self.exit(EXIT_OK)

    # ------------------------------------------------------------------ quitting

    def has_unsaved_changes(self) -> bool:
        return self.draft.unsaved(self.fields)

    def exit_code(self) -> int:
        return quitting.exit_code(
            saved=self.draft.saved, practice=self.practice, config_path=self.config_path
        )


def run_wizard(config_path: Path, practice: bool = False) -> int:
    """Run the wizard on `config_path` (edited if it exists); returns the exit code.

    `practice`: a practice run. A practice server (tui.core.practice) runs on this computer
    for the session and is offered first in the list; the settings file is a temporary one
    beside the server's CA file, so nothing touches the real settings, and the practice
    settings keep no password (store "none"), so nothing touches the keyring.
    """
    from tui.wizard.start import CannotEdit, few_colours, settings_to_edit

    if practice:
        return _run_practice(few_colours())
    try:
        settings, warnings = settings_to_edit(config_path)
    except CannotEdit as refused:
        for line in refused.lines:
            print(line, file=sys.stderr)
        return EXIT_BAD_SETTINGS
    app = MailwizApp(config_path, settings, load_warnings=warnings, sixteen_colours=few_colours())
    return _run(app)


def _run_practice(sixteen_colours: bool) -> int:
    from tui.core.practice import PracticeServer

    with PracticeServer() as server:
        settings_path = server.folder / "settings.toml"
        app = MailwizApp(settings_path, practice_server=server, sixteen_colours=sixteen_colours)
        code = _run(app)
        lost = practice_run.reports_lost(server.folder)
    if lost:
        print(lost, file=sys.stderr)
    return code


def _run(app: MailwizApp) -> int:
    code = app.run()
    if app.return_code:
        return app.return_code
    return code if code is not None else EXIT_OK
