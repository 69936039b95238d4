"""Sign in with Microsoft, Google or another OAuth server, from the wizard.

The use case is the core's (`tui.core.credentials.sign_in`, the same as `mailwiz login`'s);
this screen renders what it is told and feeds it what the user pastes.

- Where the sign-in will be kept is settled first: when the settings' place cannot keep it
  (no keyring on this machine), the screen says so and offers a file beside the settings that
  only the user can read (`f`), before anyone signs in.
- The device code flow by default: the address and the code each on a line of their own,
  as the server accepts them (a mouse copy over SSH pastes what works); `c` copies the code to
  the clipboard of the terminal the user sits at (OSC 52); a bar shows the time left.
- The browser flow (`b`, and always for Google): the address to open, unindented, also written
  to a file beside the settings (a long address wraps on screen, and a mouse copy of wrapped
  lines breaks it), and a field to paste the address the browser was sent to.
- A sign-in of another account than the settings' that came back through the listener is kept
  only after `y`.

The screen dismisses `SignedIn` once the sign-in is kept, or None when cancelled.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, ProgressBar, Static
from textual.worker import Worker

from tui.core import credentials
from tui.core.credentials import SignedIn
from tui.core.settings import Settings
from tui.core.texts import Texts
from tui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from tui.core.credentials import BrowserShown, DeviceShown, RedirectProblem
    from tui.core.providers import Provider

__all__ = ["GUIDE_PAGES", "SignInScreen", "SignedIn"]

say = Texts(__package__ or "tui.screens", "signin_texts.toml")

GUIDE_PAGES = {"microsoft": "microsoft-entra", "google": "google-oauth"}
"""The guidance page (guidance/<key>.md) on registering mailwiz, per OAuth provider."""


def _say(*path: str, **values: Any) -> str:
    from tui.core.diagnose import Audience
    from tui.core.diagnose import say as diagnose_say

    return diagnose_say("signin", "screen", *path, audience=Audience.WIZARD, **values)


def failure_text(error: BaseException, settings: Settings, config_path: Path | None = None) -> str:
    """What went wrong with a sign-in, and what to do (the core's diagnosis, for the wizard)."""
    from tui.core.diagnose import Audience, explain_not_kept, explain_sign_in
    from tui.core.redact import printable

    if isinstance(error, credentials.TokenError):
        diagnosis = explain_sign_in(
            error.error,
            error.description,
            settings,
            temporary=error.temporary,
            audience=Audience.WIZARD,
            values={"username": settings.smtp.username or "?"},
            config_path=config_path,
        )
        return _say("failed", cause=diagnosis.cause, fix=diagnosis.fix)
    if isinstance(error, credentials.TokenStoreError):
        diagnosis = explain_not_kept(
            str(error), settings, audience=Audience.WIZARD, config_path=config_path
        )
        return _say("not-kept", cause=diagnosis.cause, fix=diagnosis.fix)
    return _say("failed-other", what=printable(str(error)) or type(error).__name__)


def title(provider: str) -> str:
    """ "Sign in with Microsoft"; a server without a name of its own: "Sign in"."""
    return say("title", provider=provider) if provider[0].isupper() else say("title_plain")


def guide_provider(settings: Settings) -> Provider | None:
    """The provider with its OAuth set-up page as guidance (Entra, Google Cloud)."""
    from tui.core.providers import get_provider

    key = GUIDE_PAGES.get(settings.oauth.provider)
    if key is None:
        return None
    try:
        provider = get_provider(settings.provider)
    except KeyError:
        provider = get_provider("custom")
    return provider._replace(guidance=key)


class SignInScreen(Screen[SignedIn | None]):
    CSS_PATH = "signin.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", say("keys.cancel")),
        # ctrl+o also works while typing in the field
        Binding("c,ctrl+o", "copy", say("keys.copy")),
        Binding("b", "browser", say("keys.browser")),
        Binding("r,ctrl+r", "retry", say("keys.retry")),
        Binding("enter", "use_stored", say("keys.use_stored")),
        Binding("s", "sign_in_again", say("keys.sign_in_again")),
        Binding("f", "keep_in_file", say("keys.keep_in_file")),
        Binding("y", "confirm(True)", say("keys.keep")),
        Binding("n", "confirm(False)", say("keys.do_not_keep")),
        Binding("g", "guide", say("keys.guide")),
    ]

    def __init__(self, settings: Settings, config_path: Path, *, browser: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.config_path = config_path
        self.use_browser = browser or credentials.method_for(settings) == "browser"
        self.provider = credentials.who_signs_in(settings)
        self.user_code = ""
        self.address = ""
        self.failed = False
        self.keep_problem = ""  # why the settings' place cannot keep a sign-in, "" when it can
        self._pasted: asyncio.Queue[str | None] = asyncio.Queue()
        self._answer: asyncio.Future[bool] | None = None
        self._deadline = 0.0
        self._lifetime = 0.0
        self._worker: Worker[None] | None = None
        self.stored: SignedIn | None = None  # a sign-in already kept for these settings

    # --- layout

    def compose(self) -> ComposeResult:
        with Vertical(id="signin"):
            yield Static(title(self.provider), id="signin-title", markup=False)
            yield Static(_say("asking"), id="signin-step", markup=False)
            yield Static("", id="signin-address", markup=False)
            yield Static("", id="signin-code-label", markup=False)
            yield Static("", id="signin-code", markup=False)
            yield Input(placeholder=_say("paste-placeholder"), id="signin-paste")
            yield ProgressBar(id="signin-progress", show_eta=False, show_percentage=False)
            yield Static("", id="signin-wait", markup=False)
            yield Static("", id="signin-message", markup=False)
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#signin-code").display = False
        self._paste_field(False)
        self.set_interval(1, self._tick)
        self._worker = self.run_worker(self._stored_or_start(), exit_on_error=False)

    def on_unmount(self) -> None:
        credentials.forget_address_file(self.config_path)

    def _paste_field(self, shown: bool) -> None:
        paste = self.query_one("#signin-paste", Input)
        paste.display = shown
        paste.disabled = not shown
        if shown:
            paste.focus()

    async def _stored_or_start(self) -> None:
        """A sign-in kept already is offered first (Enter uses it); else, once the place to
        keep it is settled, sign in now."""
        self.stored = await asyncio.to_thread(
            credentials.stored_sign_in, self.settings, self.config_path
        )
        if self.stored is not None:
            self._show("#signin-step", _say("already", who=self.stored.username or "?"))
            self._show("#signin-code-label", _say("already-keys"))
            self.refresh_bindings()
            return
        await self._check_place()

    async def _check_place(self) -> None:
        self.keep_problem = await asyncio.to_thread(credentials.keep_problem, self.settings)
        if self.keep_problem:
            path = credentials.token_file_path(self.config_path)
            self._show("#signin-step", _say("cannot-keep", problem=self.keep_problem))
            self._show("#signin-code-label", _say("keep-choice", path=path))
            self.refresh_bindings()
            return
        self._start()

    def _start(self) -> None:
        self.stored = None
        self.keep_problem = ""
        self.failed = False
        self.user_code = ""
        self.refresh_bindings()
        self._show("#signin-message", "")
        self._show("#signin-code-label", "")
        self._show("#signin-step", _say("asking"))
        work = credentials.sign_in(self.settings, self, self._pasted, browser=self.use_browser)
        self._worker = self.run_worker(self._sign_in(work), exit_on_error=False, group="signin")

    async def _sign_in(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        record = await work
        kept = await asyncio.to_thread(
            credentials.keep_sign_in, self.settings, self.config_path, record
        )
        self.dismiss(kept)

    def _show(self, selector: str, text: str) -> None:
        self.query_one(selector, Static).update(text)

    def _tick(self) -> None:
        if not self._deadline or self.failed:
            return
        left = max(0.0, self._deadline - time.monotonic())
        self.query_one("#signin-progress", ProgressBar).update(
            total=self._lifetime, progress=self._lifetime - left
        )
        minutes, seconds = divmod(int(left), 60)
        self._show("#signin-wait", _say("waiting", left=f"{minutes}:{seconds:02d}"))

    def _waiting(self, lifetime: float) -> None:
        self._lifetime, self._deadline = lifetime, time.monotonic() + lifetime
        self._tick()

    # --- the core's SignInView

    def device(self, shown: DeviceShown) -> None:
        self.user_code, self.address = shown.user_code, shown.verification_uri
        self._show("#signin-step", _say("device-step"))
        self._show("#signin-address", shown.verification_uri)
        self._show("#signin-code-label", _say("device-code"))
        self._show("#signin-code", shown.user_code)
        self.query_one("#signin-code").display = True
        self._waiting(shown.expires_in)

    def browser(self, shown: BrowserShown) -> None:
        self.address = shown.url
        path = credentials.write_address_file(self.config_path, shown.url)
        self._show("#signin-step", _say("browser-step", path=path))
        self._show("#signin-address", shown.url)
        self._show("#signin-code-label", _say("browser-back", redirect=shown.redirect_uri))
        self._paste_field(True)
        self._waiting(shown.expires_in)

    def refused(self, problem: RedirectProblem) -> None:
        self._show("#signin-message", _say("not-accepted", problem=problem))

    async def confirm(self, account: str, username: str) -> bool:
        self._paste_field(False)
        self._answer = asyncio.get_running_loop().create_future()
        self._show("#signin-message", _say("confirm", account=account, username=username))
        self.refresh_bindings()
        try:
            return await self._answer
        finally:
            self._answer = None
            self.refresh_bindings()

    # --- outcomes and keys

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.worker.error is None:
            return
        error = event.worker.error
        self.failed = True
        self._deadline = 0.0
        self._paste_field(False)
        if isinstance(error, credentials.TokenStoreError):
            self.keep_problem = str(error)
        self._show("#signin-wait", "")
        self._show("#signin-message", failure_text(error, self.settings, self.config_path))
        self.refresh_bindings()

    @on(Input.Submitted, "#signin-paste")
    def _pasted_address(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._pasted.put_nowait(event.value)
            event.input.value = ""

    def action_copy(self) -> None:
        text = self.user_code or self.address
        if not text:
            return
        self.app.copy_to_clipboard(text)
        what = "code" if self.user_code else "address"
        self.notify(_say(f"copied-{what}"), title=_say("copied"))

    def action_cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self.dismiss(None)

    def action_browser(self) -> None:
        if self.use_browser:
            return
        if self._worker is not None:
            self._worker.cancel()
        self.use_browser = True
        self.query_one("#signin-code").display = False
        self._start()

    def action_keep_in_file(self) -> None:
        """Keep the sign-in in a 0600 file beside the settings (saved with the settings)."""
        if self.keep_problem:
            self.settings.password.store = "file"
            self._start()

    def action_confirm(self, keep: bool) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(keep)

    def action_guide(self) -> None:
        provider = guide_provider(self.settings)
        if provider is not None:
            from tui.screens.guidance import GuidanceScreen

            guide = GuidanceScreen(
                provider, continue_label=say("guide_return"), config_path=self.config_path
            )
            self.app.push_screen(guide)

    def action_use_stored(self) -> None:
        if self.stored is not None:
            self.dismiss(self.stored)

    def action_sign_in_again(self) -> None:
        if self.stored is not None:
            self.stored = None
            self._show("#signin-code-label", "")
            self.run_worker(self._check_place(), exit_on_error=False)

    def action_retry(self) -> None:
        if self.failed:
            self.run_worker(self._check_place(), exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("use_stored", "sign_in_again"):
            return self.stored is not None
        if action == "keep_in_file":
            return bool(self.keep_problem) and self.settings.password.store != "file"
        if action == "confirm":
            return self._answer is not None
        if action == "guide":
            return self.settings.oauth.provider in GUIDE_PAGES
        if action == "browser":
            usable = not self.use_browser and credentials.browser_possible(self.settings)
            return usable and self.stored is None
        if action == "retry":
            return self.failed
        return True
