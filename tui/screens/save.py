"""Save: a summary (password masked), where the settings and the password go, then Save.

Outside practice it also asks, optionally, for the admin address (`[local] admin`: where mail for
root and this server's other local names goes) and, once saved, offers the one command that makes
these settings the server's own mail (`sudo mailwiz install-mta --config PATH`).

The keyring is probed in a thread (it can take seconds, or hang on a locked desktop keyring);
saving runs in a thread too. With no working keyring the user chooses, explicitly, a password
file or no stored password. Dismisses with True once saved, False when the user went back.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, RadioSet, Static
from textual.worker import Worker, WorkerState

from tui.core.http_apis import facts_of, http_rows
from tui.core.settings import LocalSettings, PasswordStore, Settings, SettingsError, command_for
from tui.dialogs.confirm import ConfirmDialog
from tui.widgets import GlyphRadioButton
from tui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from tui.core.credentials import KeyringStatus

MASK = "●" * 8


@dataclass(frozen=True)
class _Probe:
    status: KeyringStatus | None  # None: no keyring needed
    where: str  # _describe_secret_store() for the current settings


@dataclass(frozen=True)
class _Saved:
    settings_path: Path
    store: PasswordStore
    where: str


def summary_rows(settings: Settings, password: str | None) -> list[tuple[str, str]]:
    """The settings as (label, value) rows, the password masked."""
    rows: list[tuple[str, str]] = [("Provider", _provider_name(settings))]
    sender = settings.sender
    if settings.protocol == "http":
        for label, value in http_rows(settings):
            if label != "HTTP API":  # the Provider row names the API already
                rows.append((label[0].upper() + label[1:], value))
    else:
        smtp = settings.smtp
        security = {
            "tls": "TLS from the first byte",
            "starttls": "encrypted with STARTTLS",
            "none": "NOT encrypted",
        }.get(smtp.security, smtp.security)
        rows.append(("Server", f"{smtp.host} port {smtp.port}, {security}"))
        rows.append(("Username", smtp.username or "(none: no login)"))
        if not smtp.username.strip():
            shown = "(none needed)"
        elif password is None:
            shown = "(not changed)"
        elif password == "":
            shown = "(empty)"
        else:
            shown = MASK
        if smtp.auth == "oauth2":
            who = {"microsoft": "Microsoft", "google": "Google"}.get(settings.oauth.provider, "")
            rows.append(("Sign-in", f"{who} sign-in (OAuth), client ID {settings.oauth.client_id}"))
        else:
            rows.append(("Password", shown))
        if not smtp.verify_certificate:
            rows.append(("Certificate", "NOT checked (Do not validate TLS certificate)"))
        if smtp.ca_file:
            rows.append(("Extra CA file", smtp.ca_file))
    from_address = settings.from_address
    if sender.name:
        from_address = f"{sender.name} <{from_address}>" if from_address else sender.name
    rows.append(("From", from_address or "(the relay's default)"))
    if sender.reply_to:
        rows.append(("Replies go to", sender.reply_to))
    if sender.copy_to:
        rows.append(("Copy of every email", sender.copy_to))
    return rows


def shell_lines(args: list[str], width: int) -> list[str]:
    """A command, quoted for the shell, indented and broken only between arguments (with a
    trailing backslash), so that no line wraps in the middle of a word and it pastes whole."""
    words = [shlex.quote(arg) for arg in args]
    lines: list[str] = []
    line = "  " + words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = "      " + word
        else:
            line += " " + word
    lines.append(line)
    return lines


def first_sentence(text: str) -> str:
    """The first sentence of an explanation (the rest is offered as choices on screen)."""
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.DOTALL)
    return match.group(1) if match else text.strip()


def admin_problem(admin: str, local: LocalSettings) -> str | None:
    """What is wrong with an admin address typed on the save screen (None: fine or empty)."""
    from tui.core.settings import local_problems

    problems = local_problems(LocalSettings(admin=admin, aliases=dict(local.aliases)))
    return next((p.message for p in problems if p.field == "local.admin"), None)


def _provider_name(settings: Settings) -> str:
    """The provider's name; for HTTP, the API's ("Postmark API", "HTTP relay")."""
    from tui.core.providers import get_provider

    if settings.protocol == "http":
        facts = facts_of(settings.http.api)
        return facts.title if facts.name == "relay" else f"{facts.title} API"
    provider_id = settings.provider

    try:
        return get_provider(provider_id).name
    except KeyError:
        return "Other SMTP server" if provider_id == "custom" else provider_id


def untested_dialog() -> ConfirmDialog:
    """Saving settings that did not pass a test send: ask first."""
    return ConfirmDialog(
        "These settings have not passed a test send.",
        "They may not work: emails sent with them could fail. Save them anyway?",
        yes="Yes, save",
        no="No, go back",
    )


class SaveScreen(Screen[bool]):
    """The last step: show everything, say where it goes, and save it."""

    CSS_PATH = "save.tcss"
    AUTO_FOCUS = "#save"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("enter", "finish", "Finish"),
        Binding("escape", "finish", "Finish", show=False),
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
        self.keyring: KeyringStatus | None = None
        self.probing = True
        self.saving = False
        self.saved = False
        self.choice: PasswordStore | None = None  # chosen when there is no working keyring

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("Save the settings", classes="screen-title")
        with VerticalScroll(id="body"):
            yield Static(self._summary(), id="summary")
            yield Static(
                "The certificate will NOT be checked: anyone between you and the server "
                "could read the password. Only for your own server.",
                id="certificate-warning",
            )
            yield Static(self._settings_where(), id="where-settings")
            yield Static(
                Content.assemble((self._where_label(), "bold"), "checking the system keyring…"),
                id="where-password",
            )
            yield Static("", id="keyring-problem")
            with RadioSet(id="store-choice", compact=True):
                yield GlyphRadioButton(
                    "Keep it in a file only you can read (0600), beside the settings",
                    id="store-file",
                )
                yield GlyphRadioButton(
                    "Do not store it: give it at each use in MAILWIZ_PASSWORD",
                    id="store-none",
                )
            if not self.practice:
                yield Static(
                    Content.assemble(
                        ("Admin address", "bold"),
                        " (optional, for this server's own mail): where mail for root, cron "
                        "and other local names goes",
                    ),
                    id="admin-label",
                )
                yield Input(
                    self.settings.local.admin,
                    placeholder="for example ops@example.com",
                    id="admin",
                    compact=True,
                )
            if not self.tested:
                yield Static(
                    "Not tested: these settings have not passed a test send (Save asks first).",
                    id="untested",
                )
        yield Static("", id="status")
        yield Static("", id="done")
        with Horizontal(id="buttons"):
            yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
        yield FittingFooter()

    def _settings_where(self) -> Content:
        if self.practice:
            return Content.assemble(
                ("Practice run: ", "bold"),
                "nothing goes into your real settings or keyring. The settings and the "
                "password go into a temporary practice folder, deleted when mailwiz ends.",
            )
        return Content.assemble(("Settings file: ", "bold"), str(self.config_path))

    def _summary(self) -> Content:
        rows = summary_rows(self.settings, self.password)
        if self.practice and rows[0][0] == "Provider" and rows[0][1] == "practice":
            rows[0] = ("Provider", "the practice server on this computer")
        width = max(len(label) for label, _ in rows) + 2
        lines = [
            Content.assemble((f"{label + ':':<{width}}", "bold"), value) for label, value in rows
        ]
        return Content("\n").join(lines)

    def on_mount(self) -> None:
        unchecked = self.settings.protocol == "smtp" and not self.settings.smtp.verify_certificate
        self.query_one("#certificate-warning").display = unchecked
        self.query_one("#store-choice").display = False
        self.query_one("#keyring-problem").display = False
        self.query_one("#done").display = False
        self.query_one("#status").display = False
        self.run_worker(self._probe, thread=True, name="keyring-probe", exit_on_error=False)

    # ------------------------------------------------------------------ keyring

    def _needs_keyring(self) -> bool:
        from tui.core.save import keyring_wanted

        return keyring_wanted(self.settings, self.password)

    def _probe(self) -> _Probe:
        from tui.core.credentials import check_keyring

        status = check_keyring() if self._needs_keyring() else None
        return _Probe(status, _describe_secret_store(self.settings, self.config_path))

    def _where_label(self) -> str:
        """A sign-in (OAuth) keeps a refresh token, not a password: say which it is."""
        if _signs_in(self.settings):
            return "Sign-in: "
        return "API key: " if self.settings.protocol == "http" else "Password: "

    def _probed(self, probe: _Probe) -> None:
        self.probing = False
        self.keyring = probe.status
        where = self.query_one("#where-password", Static)
        if probe.status is None or probe.status.usable:
            label = (self._where_label(), "bold")
            where.update(Content.assemble(label, self._password_where(probe)))
            return
        where.update(
            Content.assemble(
                (self._where_label(), "bold"), "no working keyring here; choose below."
            )
        )
        problem = self.query_one("#keyring-problem", Static)
        problem.update(
            Content.assemble(
                first_sentence(probe.status.explanation),
                ("\nWhere should the password go instead? (arrows, then Enter)", "bold"),
            )
        )
        problem.display = True
        choice = self.query_one("#store-choice", RadioSet)
        choice.display = True
        # Scroll only once the choice has its place: scrolling at focus time raced the layout
        # (the body sat at either of two offsets, whichever came first).
        choice.focus(scroll_visible=False)
        self.call_after_refresh(choice.scroll_visible, animate=False)

    def _password_where(self, probe: _Probe) -> str:
        if _signs_in(self.settings):
            return f"kept in {probe.where}"
        if self.password is None and self.settings.smtp.username.strip():
            return f"not changed; it stays in {probe.where}"
        return probe.where

    @on(RadioSet.Changed, "#store-choice")
    def _store_chosen(self, event: RadioSet.Changed) -> None:
        from tui.core.credentials import describe_store

        self.choice = "file" if event.pressed.id == "store-file" else "none"
        chosen = self.settings.copy()
        chosen.password.store = self.choice
        self.query_one("#where-password", Static).update(
            Content.assemble(
                (self._where_label(), "bold"), describe_store(chosen, self.config_path)
            )
        )
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
        if self.probing:
            self._say("Still checking the system keyring — press Save again in a moment.")
            return
        if self._needs_choice() and self.choice is None:
            self._say(
                "Choose where the password goes first: a file only you can read, or not "
                "stored (MAILWIZ_PASSWORD).",
                error=True,
            )
            self.query_one("#store-choice", RadioSet).focus()
            return
        problem = admin_problem(self._admin(), self.settings.local)
        if problem:
            self._say(f"Admin address: {problem}", error=True)
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

    def _needs_choice(self) -> bool:
        return self.keyring is not None and not self.keyring.usable

    def _confirmed(self, yes: bool | None) -> None:
        if yes:
            self._start_saving()

    def _start_saving(self) -> None:
        self.saving = True
        self._say("Saving…")
        self.query_one("#save", Button).disabled = True
        target = self.settings.copy()
        if self._needs_choice() and self.choice is not None:
            target.password.store = self.choice
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

        if isinstance(error, SettingsError | PasswordStoreError | ValueError):
            reason = str(error)
        elif isinstance(error, OSError):
            where = f" ({error.filename})" if error.filename else ""
            reason = f"{error.strerror or error}{where}."
        else:
            reason = f"an unexpected error ({type(error).__name__}: {error})."
        self._say(
            f"Not saved: {reason} Nothing is lost: fix that and press Save again.", error=True
        )

    def _show_saved(self, saved: _Saved) -> None:
        self.saving = False
        self.saved = True
        self._say("")  # "Saving…" is over
        self.settings.password.store = saved.store
        self.settings.local.admin = self._admin()
        self.query_one("#body").display = False
        self.query_one("#buttons").display = False
        done = self.query_one("#done", Static)
        done.update(self._practice_done() if self.practice else self._done_text(saved))
        done.display = True
        self.refresh_bindings()

    def _done_text(self, saved: _Saved) -> Content:
        width = max(self.size.width - 4, 40)

        def command(*args: str) -> Content:
            words = shlex.split(command_for(self.config_path, *args))
            return Content("\n".join(shell_lines(words, width))).stylize("bold")

        secret = "sign-in" if _signs_in(self.settings) else "password"

        return Content.assemble(
            ("Saved.", "bold"),
            " Press Enter to finish.\n\n",
            ("Settings file: ", "bold"),
            str(saved.settings_path),
            "\n",
            (self._where_label(), "bold"),
            self._password_where(_Probe(None, saved.where)),
            "\n\n",
            ("What next", "bold"),
            "\nSend a test message with the saved settings:\n",
            command("test"),
            "\nEmail a document to a customer:\n",
            command("send", "--to", "customer@example.com", "--attach", "invoice.pdf"),
            f"\nSee the settings and where the {secret} is:\n",
            command("show"),
            "\n",
            self._own_mail_offer(saved.settings_path, width),
        )

    def _own_mail_offer(self, settings_path: Path, width: int) -> Content:
        """The command that makes these settings this server's sendmail (README: "This
        server's own mail"); --config always, since under sudo the usual path is root's."""
        args = shlex.split(command_for(settings_path, "install-mta", sudo=True))
        admin = self.settings.local.admin
        return Content.assemble(
            "Use these settings for this server's own mail (cron, mail, PHP):\n",
            Content("\n".join(shell_lines(args, width))).stylize("bold"),
            f"\nMail for root goes to {admin}." if admin else "",
        )

    @staticmethod
    def _practice_done() -> Content:
        return Content.assemble(
            ("Saved in the practice folder.", "bold"),
            "\n\nThis was a practice run: nothing went into your real settings or keyring, "
            "and the practice folder is deleted when mailwiz ends.\n\n",
            ("What next", "bold"),
            "\nSet up your real email the same way:\n",
            ("  mailwiz", "bold"),
            "\n\nPress Enter to finish.",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == "keyring-probe":
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, _Probe):
                self._probed(worker.result)
            elif event.state == WorkerState.ERROR:
                self.probing = False
                self._say(f"Could not check the keyring: {worker.error}", error=True)
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


def _signs_in(settings: Settings) -> bool:
    return settings.protocol == "smtp" and settings.smtp.auth == "oauth2"


def _describe_secret_store(settings: Settings, config_path: Path) -> str:
    from tui.core.save import describe_secret

    return describe_secret(settings, config_path)
