"""Save: a summary (password masked), where the settings and the password go, then Save.

Outside practice it also asks, optionally, for the admin address (`[local] admin`: where mail for
root and this server's other local names goes) and, once saved, offers the one command that makes
these settings the server's own mail (`sudo mailwiz install-mta --config PATH`).

The screen only collects input and shows what happened; its parts, by job: the summary
(save_summary), the store choice with its keyring probe (save_store), what a save's end shows
(save_done). Saving itself is the core's use case (tui.core.save.save_settings), run in a
thread. Dismisses with True once saved, False when the user went back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, RadioSet, Static
from textual.worker import Worker, WorkerState

from tui.core.settings import LocalSettings, PasswordStore, Settings, SettingsError
from tui.core.texts import Texts
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.save_done import done_text, not_saved, practice_done
from tui.screens.save_store import Probe, SecretPlace
from tui.screens.save_summary import MASK, summary, summary_rows
from tui.widgets.footer import FittingFooter

__all__ = ["MASK", "SaveScreen", "admin_problem", "summary_rows", "untested_dialog"]

say = Texts(__package__ or "tui.screens", "save_texts.toml")


@dataclass(frozen=True)
class _Saved:
    settings_path: Path
    store: PasswordStore
    where: str


def admin_problem(admin: str, local: LocalSettings) -> str | None:
    """What is wrong with an admin address typed on the save screen (None: fine or empty)."""
    from tui.core.settings import local_problems

    problems = local_problems(LocalSettings(admin=admin, aliases=dict(local.aliases)))
    return next((p.message for p in problems if p.field == "local.admin"), None)


def untested_dialog() -> ConfirmDialog:
    """Saving settings that did not pass a test send: ask first."""
    return ConfirmDialog(
        say("untested_dialog.question"),
        say("untested_dialog.detail"),
        yes=say("untested_dialog.yes"),
        no=say("untested_dialog.no"),
    )


class SaveScreen(Screen[bool]):
    """The last step: show everything, say where it goes, and save it."""

    CSS_PATH = "save.tcss"
    AUTO_FOCUS = "#save"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", say("keys.back")),
        Binding("ctrl+s", "save", say("keys.save"), priority=True),
        Binding("enter", "finish", say("keys.finish")),
        Binding("escape", "finish", say("keys.finish"), show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        password: str | None,
        config_path: Path,
        tested: bool,
        *,
        practice: bool = False,
    ) -> None:
        """`practice`: a practice run; the settings and password go into the temporary
        practice folder, and the screen says so."""
        super().__init__()
        from tui.core.save import as_saved

        settings = as_saved(settings, password)  # an empty relay key: store = "none"
        self.practice = practice
        self.settings = settings
        self.password = password
        self.config_path = config_path
        self.tested = tested
        self.saving = False
        self.saved = False
        self._place = SecretPlace(settings, password, config_path)

    @property
    def probing(self) -> bool:
        """The keyring is still being checked."""
        return self._place.probing

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(say("title"), classes="screen-title")
        with VerticalScroll(id="body"):
            yield Static(
                summary(self.settings, self.password, practice=self.practice), id="summary"
            )
            yield Static(say("certificate_warning"), id="certificate-warning")
            yield Static(self._settings_where(), id="where-settings")
            yield self._place
            if not self.practice:
                yield Static(
                    Content.assemble((say("admin_label"), "bold"), say("admin_about")),
                    id="admin-label",
                )
                yield Input(
                    self.settings.local.admin,
                    placeholder=say("admin_placeholder"),
                    id="admin",
                    compact=True,
                )
            if not self.tested:
                yield Static(say("untested"), id="untested")
        yield Static("", id="status")
        yield Static("", id="done")
        with Horizontal(id="buttons"):
            yield Button(say("save_button"), id="save", variant="primary", compact=True)
        yield FittingFooter()

    def _settings_where(self) -> Content:
        if self.practice:
            return Content.assemble((say("practice_label"), "bold"), say("practice_where"))
        return Content.assemble((say("settings_label"), "bold"), str(self.config_path))

    def on_mount(self) -> None:
        unchecked = self.settings.protocol == "smtp" and not self.settings.smtp.verify_certificate
        self.query_one("#certificate-warning").display = unchecked
        self.query_one("#done").display = False
        self.query_one("#status").display = False
        self.run_worker(self._place.probe, thread=True, name="keyring-probe", exit_on_error=False)

    @on(RadioSet.Changed, "#store-choice")
    def _store_chosen(self) -> None:
        self._say("")

    # ------------------------------------------------------------------ saving

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back", "save"):
            return not self.saved
        if action == "finish":
            return self.saved
        return True

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_back(self) -> None:
        if not self.saving and not self.saved:
            self.dismiss(False)

    def action_finish(self) -> None:
        if self.saved:
            self.dismiss(True)

    def action_save(self) -> None:
        if self.saving or self.saved:
            return
        if self._place.probing:
            self._say(say("status.probing"))
            return
        if self._place.needs_choice and self._place.choice is None:
            self._say(say("status.choose_first"), error=True)
            self._place.focus_choice()
            return
        problem = admin_problem(self._admin(), self.settings.local)
        if problem:
            self._say(say("status.admin_problem", problem=problem), error=True)
            self.query_one("#admin", Input).focus()
            return
        if not self.tested:
            self.app.push_screen(untested_dialog(), self._confirmed)
            return
        self._start_saving()

    @on(Input.Submitted, "#admin")
    def _admin_submitted(self) -> None:
        self.query_one("#save", Button).focus()

    def _admin(self) -> str:
        if self.practice:
            return self.settings.local.admin
        return self.query_one("#admin", Input).value.strip()

    def _confirmed(self, yes: bool | None) -> None:
        if yes:
            self._start_saving()

    def _start_saving(self) -> None:
        self.saving = True
        self._say(say("status.saving"))
        self.query_one("#save", Button).disabled = True
        target = self.settings.copy()
        if self._place.needs_choice and self._place.choice is not None:
            target.password.store = self._place.choice
        target.local.admin = self._admin()
        self.run_worker(lambda: self._write(target), thread=True, name="save", exit_on_error=False)

    def _write(self, target: Settings) -> _Saved:
        """The save use case (tui.core.save): settings and secret under one lock."""
        from tui.core.save import save_settings

        saved = save_settings(target, self.password, None, self.config_path)
        return _Saved(saved.settings_path, saved.settings.password.store, saved.where)

    def _save_failed(self, error: BaseException | None) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        from tui.core.credentials import PasswordStoreError

        self._say(not_saved(error, (SettingsError, PasswordStoreError, ValueError)), error=True)

    def _show_saved(self, saved: _Saved) -> None:
        self.saving = False
        self.saved = True
        self._say("")  # "Saving…" is over
        self.settings.password.store = saved.store
        self.settings.local.admin = self._admin()
        self.query_one("#body").display = False
        self.query_one("#buttons").display = False
        done = self.query_one("#done", Static)
        done.update(practice_done() if self.practice else self._done_text(saved))
        done.display = True
        self.refresh_bindings()

    def _done_text(self, saved: _Saved) -> Content:
        from tui.core.credentials import uses_oauth_sign_in

        return done_text(
            settings_path=saved.settings_path,
            config_path=self.config_path,
            secret_where=(self._place.label, self._place.where_text(saved.where)),
            signs_in=uses_oauth_sign_in(self.settings),
            admin=self.settings.local.admin,
            width=self.size.width - 4,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == "keyring-probe":
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, Probe):
                self._place.probed(worker.result)
            elif event.state == WorkerState.ERROR:
                self._place.failed()
                self._say(say("status.probe_failed", error=worker.error), error=True)
        elif worker.name == "save":
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, _Saved):
                self._show_saved(worker.result)
            elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
                self._save_failed(worker.error)

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.set_class(error, "-error")
        status.update(Content(text))
        status.display = bool(text)
