"""Sign in with Microsoft, Google or another OAuth server, from the wizard.

The device code flow by default: the address and the code are shown large enough to read over
SSH at 80x24, `c` copies the code to the clipboard of the terminal the user sits at (OSC 52),
a bar shows the time left, Esc cancels. The browser flow (`b`, and always for Google): the
address to open, and a field to paste the address the browser was sent to (over SSH the page
at 127.0.0.1 does not load; the address is enough). When the browser runs on this machine
the redirect is caught directly. The sign-in is kept in the store at once; the screen
dismisses `SignedIn`, or None when cancelled.

The flows are the core's (`tui.core.credentials.oauth_flows`); this screen only renders them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import Worker

from tui.core.credentials.oauth import (
    Endpoints,
    TokenRecord,
    endpoints_for,
    provider_name,
    with_username,
)
from tui.core.credentials.tokens import TokenError
from tui.core.settings import Settings

if TYPE_CHECKING:
    from tui.core.providers import Provider


GUIDE_PAGES = {"microsoft": "microsoft-entra", "google": "google-oauth"}
"""The guidance page (guidance/<key>.md) on registering mailwiz, per OAuth provider."""


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a sign-in: who, and where the sign-in is kept (never the token)."""

    username: str
    stored_in: str


def spaced(code: str) -> str:
    """A user code spread out to read aloud and type: "ABCD-EFGH" -> "A B C D - E F G H"."""
    return " ".join(code)


class SignInScreen(Screen[SignedIn | None]):
    CSS_PATH = "signin.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("c,ctrl+o", "copy", "Copy"),  # ctrl+o also works while typing in the field
        Binding("b", "browser", "Use a browser instead"),
        Binding("r,ctrl+r", "retry", "Try again"),
        Binding("enter", "use_stored", "Use this sign-in"),
        Binding("s", "sign_in_again", "Sign in again"),
        Binding("g", "guide", "How to get a client ID"),
    ]

    def __init__(self, settings: Settings, config_path: Path, *, browser: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.config_path = config_path
        self.endpoints: Endpoints = endpoints_for(settings)
        self.browser = browser or not self.endpoints.has_device_flow
        self.provider = provider_name(settings.oauth.provider)
        self.user_code = ""
        self.address = ""
        self.failed = False
        self._pasted: asyncio.Queue[str] = asyncio.Queue()
        self._deadline = 0.0
        self._lifetime = 0.0
        self._worker: Worker[None] | None = None
        self.stored: SignedIn | None = None  # a sign-in already kept for these settings

    # --- layout

    def compose(self) -> ComposeResult:
        with Vertical(id="signin"):
            title = f"Sign in with {self.provider}" if self.provider[0].isupper() else "Sign in"
            yield Static(title, id="signin-title", markup=False)
            yield Static("Asking the sign-in server for a code…", id="signin-step", markup=False)
            yield Static("", id="signin-address", markup=False)
            yield Static("", id="signin-code-label", markup=False)
            yield Static("", id="signin-code", markup=False)
            yield ProgressBar(id="signin-progress", show_eta=False, show_percentage=False)
            yield Static("", id="signin-wait", markup=False)
            yield Static("", id="signin-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#signin-code").display = False
        self.set_interval(1, self._tick)
        self._worker = self.run_worker(self._stored_or_start(), exit_on_error=False)

    async def _stored_or_start(self) -> None:
        """A sign-in kept already is offered first (Enter uses it); else sign in now."""
        from tui.core.credentials.oauth_store import (
            TokenStoreError,
            describe_token_store,
            load_tokens,
        )

        try:
            record = await asyncio.to_thread(load_tokens, self.settings, self.config_path)
        except TokenStoreError:
            record = None
        if record is None or not record.refresh_token:
            self._start()
            return
        username = record.username or self.settings.smtp.username
        self.stored = SignedIn(username, describe_token_store(self.settings, self.config_path))
        self._show("#signin-step", f"Already signed in as {username or 'this account'}.")
        self._show(
            "#signin-code-label", "Enter uses this sign-in; s signs in again (another account)."
        )
        self.refresh_bindings()

    def _start(self) -> None:
        self.stored = None
        self.refresh_bindings()
        self.failed = False
        self.user_code = ""
        self._show("#signin-message", "")
        work = self._browser_sign_in() if self.browser else self._device_sign_in()
        self._worker = self.run_worker(work, exit_on_error=False, group="signin")

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
        self._show("#signin-wait", f"Waiting for you to approve… {minutes}:{seconds:02d} left")

    # --- the two flows (workers)

    async def _device_sign_in(self) -> None:
        from tui.core.credentials.oauth_flows import poll_device_flow, start_device_flow

        device = await start_device_flow(self.endpoints)
        self.user_code, self.address = device.user_code, device.verification_uri
        self._lifetime, self._deadline = device.expires_in, time.monotonic() + device.expires_in
        self._show("#signin-step", "On any device (your phone will do), open:")
        self._show("#signin-address", device.verification_uri)
        self._show("#signin-code-label", "and enter this code (c copies it):")
        self._show("#signin-code", spaced(device.user_code))
        self.query_one("#signin-code").display = True
        self._tick()
        await self._keep(await poll_device_flow(self.endpoints, device))

    async def _browser_sign_in(self) -> None:
        from tui.core.credentials.oauth_flows import (
            BROWSER_SIGN_IN_TIME,
            LoopbackReceiver,
            RedirectProblem,
            code_from_redirect,
            finish_browser_flow,
            start_browser_flow,
        )

        async with LoopbackReceiver() as receiver:
            sign_in = start_browser_flow(self.endpoints, receiver.port)
            self.address = sign_in.url
            self._lifetime = BROWSER_SIGN_IN_TIME
            self._deadline = time.monotonic() + BROWSER_SIGN_IN_TIME
            self._show("#signin-step", "Open this address in a web browser (ctrl+o copies it):")
            self._show("#signin-address", sign_in.url)
            self._show(
                "#signin-code-label",
                f"After you sign in, the browser goes to {sign_in.redirect_uri}… and may show "
                "an error page: copy that whole address and paste it here.",
            )
            paste = Input(
                placeholder="Paste the address the browser was sent to, then Enter",
                id="signin-paste",
            )
            # Mounted only now: in the device variant no field takes the keys (c copies).
            await self.query_one("#signin").mount(paste, before="#signin-progress")
            paste.focus()
            self._tick()
            while True:
                address = await self._next_address(receiver.addresses)
                try:
                    code = code_from_redirect(address, sign_in.state)
                except RedirectProblem as problem:
                    self._show("#signin-message", f"Not accepted: {problem}.")
                    continue
                await self._keep(await finish_browser_flow(self.endpoints, sign_in, code))
                return

    async def _next_address(self, browser: asyncio.Queue[str]) -> str:
        reads = [asyncio.ensure_future(browser.get()), asyncio.ensure_future(self._pasted.get())]
        try:
            left = max(0.0, self._deadline - time.monotonic())
            done, _ = await asyncio.wait(reads, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for read in reads:
                if not read.done():
                    read.cancel()
        if not done:
            raise TokenError("login_timeout", "")
        # A read that finished too is put back: nothing pasted or received is lost.
        first, *others = [read.result() for read in reads if read in done]
        for other in others:
            self._pasted.put_nowait(other)
        return first

    async def _keep(self, record: TokenRecord) -> None:
        from tui.core.credentials.oauth_store import describe_token_store, save_tokens

        record = with_username(record, self.settings.smtp.username)
        await asyncio.to_thread(save_tokens, self.settings, self.config_path, record)
        where = describe_token_store(self.settings, self.config_path)
        self.dismiss(SignedIn(record.username, where))

    # --- outcomes and keys

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.worker.error is None:
            return
        from tui.commands.login import explain, printable
        from tui.core.credentials.oauth_store import TokenStoreError

        error = event.worker.error
        self.failed = True
        self._deadline = 0.0
        if isinstance(error, TokenError):
            cause, fix = explain(error, self.settings, wizard=True)
            text = f"Not signed in: {cause}\n{fix}"
        elif isinstance(error, TokenStoreError):
            text = f"Signed in, but {error}"
        else:
            text = f"Not signed in: {printable(str(error)) or type(error).__name__}"
        self._show("#signin-wait", "")
        self._show("#signin-message", text + "\nPress r to try again, Esc to go back.")

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
        what = "The code" if self.user_code else "The address"
        self.notify(f"{what} went to your clipboard (if your terminal allows it).", title="Copied")

    def action_cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self.dismiss(None)

    def action_browser(self) -> None:
        if self.browser:
            return
        if self._worker is not None:
            self._worker.cancel()
        self.browser = True
        self.query_one("#signin-code").display = False
        self._start()

    def _guide_provider(self) -> Provider | None:
        """The provider with its OAuth set-up page as guidance (Entra, Google Cloud)."""
        from tui.core.providers import get_provider

        key = GUIDE_PAGES.get(self.settings.oauth.provider)
        if key is None:
            return None
        try:
            provider = get_provider(self.settings.provider)
        except KeyError:
            provider = get_provider("custom")
        return provider._replace(guidance=key)

    def action_guide(self) -> None:
        provider = self._guide_provider()
        if provider is not None:
            from tui.screens.guidance import GuidanceScreen

            self.app.push_screen(GuidanceScreen(provider, continue_label="Return"))

    def action_use_stored(self) -> None:
        if self.stored is not None:
            self.dismiss(self.stored)

    def action_sign_in_again(self) -> None:
        if self.stored is not None:
            self._show("#signin-code-label", "")
            self._start()

    def action_retry(self) -> None:
        if self.failed:
            self._start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("use_stored", "sign_in_again"):
            return self.stored is not None
        if action == "guide":
            return self.settings.oauth.provider in GUIDE_PAGES
        if action == "browser":
            usable = not self.browser and bool(self.endpoints.authorization_url)
            return usable and self.stored is None
        if action == "retry":
            return self.failed
        return True
