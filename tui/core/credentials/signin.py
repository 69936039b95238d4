"""The sign-in use case, once for every front end: `mailwiz login` and the wizard's sign-in
screen both call `sign_in()` and `keep_sign_in()`, and only show what they are told.

    record = await sign_in(settings, view, pasted, browser=False)
    signed_in = keep_sign_in(settings, config_path, record)

- The device code flow where the provider has one (it cannot be answered by another program
  on this computer); the browser flow (PKCE, loopback redirect, or the address pasted back)
  when asked for, and for providers without a device flow (Google).
- `view` is the front end (`SignInView`): it shows the address and the code it is given
  (already checked and cleaned by `oauth_flows`), says why a pasted address was refused, and
  answers `confirm(account)`.
- `pasted` is where the front end puts each address the user pastes (the command line: each
  line of standard input, then None at its end; the screen: each Enter in its field). The
  loopback listener's arrivals and the pasted ones are taken in turn, nothing is lost between
  them; an address of another sign-in is refused (pasted: the view says so; arriving at the
  listener: silently ignored, not counted and not fatal).
- A sign-in that came back through the listener as an account other than the one the settings
  send as is kept only when `view.confirm(account)` says yes: a local program that read the
  address (it is visible in `ps`) could have answered with its own sign-in.
- Where it is kept is the `[password] store` (`oauth_store`); `keep_plan()` says before the
  sign-in whether that place can keep it, so a front end offers the choice first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from tui.core.credentials.oauth import TokenRecord, with_username
from tui.core.credentials.oauth_endpoint import Endpoints, endpoints_for, provider_name
from tui.core.credentials.oauth_flows import (
    BROWSER_SIGN_IN_TIME,
    LoopbackReceiver,
    RedirectProblem,
    code_from_redirect,
    finish_browser_flow,
    poll_device_flow,
    start_browser_flow,
    start_device_flow,
)
from tui.core.credentials.oauth_store import (
    TokenStoreError,
    describe_token_store,
    load_tokens,
    save_tokens,
)
from tui.core.credentials.store import check_keyring
from tui.core.credentials.tokens import TokenError
from tui.core.diagnose.texts import say
from tui.core.records import replaced
from tui.core.settings import Settings


@dataclass(frozen=True)
class DeviceShown:
    """What the user is shown for the device flow: checked (https) and cleaned."""

    verification_uri: str
    user_code: str
    expires_in: float
    verification_uri_complete: str = ""


@dataclass(frozen=True)
class BrowserShown:
    """What the user is shown for the browser flow: the address to open, and where the
    browser will be sent back to (the start of the address to paste)."""

    url: str
    redirect_uri: str
    expires_in: float


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a sign-in: who, and where the sign-in is kept (never the token)."""

    username: str
    stored_in: str


class SignInView(Protocol):
    """What a front end does while a person signs in."""

    def device(self, shown: DeviceShown) -> None:
        """Show the address to open and the code to enter."""

    def browser(self, shown: BrowserShown) -> None:
        """Show the address to open in a browser; the user may paste the one it went to."""

    def refused(self, problem: RedirectProblem) -> None:
        """A pasted address was refused (str(problem) says why); the wait goes on."""

    async def confirm(self, account: str, username: str) -> bool:
        """Keep the sign-in of `account` although the settings send as `username`?"""
        ...


Method = Literal["device", "browser"]


def method_for(settings: Settings, *, browser: bool = False) -> Method:
    """The device flow where the provider has one, unless the browser is asked for."""
    has_device = endpoints_for(settings).has_device_flow
    return "browser" if browser or not has_device else "device"


def browser_possible(settings: Settings) -> bool:
    return bool(endpoints_for(settings).authorization_url)


def who_signs_in(settings: Settings) -> str:
    """The provider's name as the sign-in is titled ("Microsoft", "Google", ...)."""
    return provider_name(settings.oauth.provider)


async def sign_in(
    settings: Settings,
    view: SignInView,
    pasted: asyncio.Queue[str | None],
    *,
    browser: bool = False,
    wait: float | None = None,
) -> TokenRecord:
    """Sign in (see the module's description); TokenError when it fails or is refused."""
    endpoints = endpoints_for(settings)
    username = settings.smtp.username.strip()
    if method_for(settings, browser=browser) == "device":
        device = await start_device_flow(endpoints)
        view.device(
            DeviceShown(
                device.verification_uri,
                device.user_code,
                device.expires_in,
                device.verification_uri_complete,
            )
        )
        return with_username(await poll_device_flow(endpoints, device), username)
    wait = BROWSER_SIGN_IN_TIME if wait is None else wait
    record, through_listener = await _browser(endpoints, view, pasted, wait)
    account = record.username  # as the sign-in server said it, or "" (then unknown)
    other_account = through_listener and not _same_account(account, username)
    if other_account and not await view.confirm(account or "?", username or "?"):
        raise TokenError("not_confirmed", account or "?")
    return with_username(record, username)


def _same_account(account: str, username: str) -> bool:
    return bool(account) and account.strip().casefold() == username.strip().casefold()


async def _browser(
    endpoints: Endpoints,
    view: SignInView,
    pasted: asyncio.Queue[str | None],
    wait: float,
) -> tuple[TokenRecord, bool]:
    """The browser flow: (the tokens, whether the code came through the listener)."""
    async with LoopbackReceiver() as receiver:
        started = start_browser_flow(endpoints, receiver.port)
        receiver.state = started.state
        view.browser(BrowserShown(started.url, started.redirect_uri, wait))
        refused = False
        arrivals = _arrivals(receiver.addresses, pasted, time.monotonic() + wait)
        async with contextlib.aclosing(arrivals):
            async for source, address in arrivals:
                if address is None:  # nothing more will be pasted
                    if refused:
                        raise TokenError("invalid_state", "")
                    continue
                if not address.strip():
                    continue
                try:
                    code = code_from_redirect(address, started.state)
                except RedirectProblem as problem:
                    if source == "pasted":
                        refused = True
                        view.refused(problem)
                    continue  # the listener only offers this sign-in's addresses
                record = await finish_browser_flow(endpoints, started, code)
                return record, source == "browser"
    raise TokenError("login_timeout", "")  # not reached: the arrivals end only by raising


Source = Literal["browser", "pasted"]


async def _arrivals(
    browser: asyncio.Queue[str], pasted: asyncio.Queue[str | None], deadline: float
) -> AsyncGenerator[tuple[Source, str | None], None]:
    """Addresses as they come, from the loopback listener or pasted; (pasted, None) once,
    when nothing more will be pasted. TokenError("login_timeout") at the deadline.

    One pending read per source is kept across turns: a read cancelled after it took an
    address would lose that address."""
    queues: dict[Source, asyncio.Queue[str] | asyncio.Queue[str | None]] = {
        "browser": browser,
        "pasted": pasted,
    }
    reads: dict[Source, asyncio.Future[str | None]] = {
        name: asyncio.ensure_future(queue.get()) for name, queue in queues.items()
    }
    try:
        while True:
            done, _ = await asyncio.wait(
                reads.values(),
                timeout=max(0.0, deadline - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not done:
                raise TokenError("login_timeout", "")
            for name, read in list(reads.items()):
                if read in done:
                    address = read.result()
                    if address is None:
                        del reads[name]  # standard input ended: only the browser is left
                    else:
                        reads[name] = asyncio.ensure_future(queues[name].get())
                    yield name, address
    finally:
        for read in reads.values():
            read.cancel()


# --------------------------------------------------------------------------- over SSH

ADDRESS_FILE_SUFFIX = ".signin-address"


def address_file_path(config_path: Path) -> Path:
    """Where the browser sign-in's address is written for the user to copy from (a screen
    wraps a long address, and a mouse copy of wrapped lines breaks it)."""
    return config_path.with_name(config_path.name + ADDRESS_FILE_SUFFIX)


def write_address_file(config_path: Path, url: str) -> Path | None:
    """Write the address, alone on one line, to a 0600 file beside the settings; None when
    it cannot be written (the address is still shown)."""
    from tui.core import files

    path = address_file_path(config_path)
    try:
        files.make_private_folder(path.parent)
        files.write_atomically(path, (url + "\n").encode("utf-8"))
    except OSError:
        return None
    return path


def forget_address_file(config_path: Path) -> None:
    """Remove the address file (the sign-in it was for is over)."""
    with contextlib.suppress(OSError):
        address_file_path(config_path).unlink(missing_ok=True)


# --------------------------------------------------------------------------- keeping it


def keep_problem(settings: Settings, store: str | None = None) -> str:
    """Why `store` (default: the settings' `[password] store`) cannot keep a sign-in on this
    computer, in words; "" when it can. Asked BEFORE signing in, so the user chooses first."""
    store = store or settings.password.store
    if store == "none":
        return say("keep", "none")
    if store == "keyring":
        status = check_keyring()
        if not status.usable:
            return say("keep", "keyring", reason=status.reason or status.explanation)
    return ""


def keep_sign_in(settings: Settings, config_path: Path, record: TokenRecord) -> SignedIn:
    """Keep the sign-in where the settings say (TokenStoreError when it cannot be kept)."""
    save_tokens(settings, config_path, record)
    return SignedIn(record.username, describe_token_store(settings, config_path))


def stored_sign_in(settings: Settings, config_path: Path) -> SignedIn | None:
    """The sign-in kept already for these settings, if one can be read."""
    try:
        record = load_tokens(settings, config_path)
    except TokenStoreError:
        return None
    if record is None or not record.refresh_token:
        return None
    username = record.username or settings.smtp.username
    return SignedIn(username, describe_token_store(settings, config_path))


def with_store(settings: Settings, store: str) -> Settings:
    """The settings with the sign-in kept in `store` ("keyring" or "file")."""
    if store not in ("keyring", "file"):
        raise ValueError(f"a sign-in is kept in the keyring or a file, not {store!r}")
    where: Literal["keyring", "file"] = "keyring" if store == "keyring" else "file"
    return replaced(settings, password=replaced(settings.password, store=where))


# --------------------------------------------------------------------------- the state


@dataclass(frozen=True)
class SignInStatus:
    """What is known of the sign-in of these settings, without a token in it (for `show`,
    `status` and the wizard). `state` is "unknown" when the store could not be read
    (`problem` says why): a front end must not report that as fine."""

    provider: str  # "Microsoft", "Google", "the sign-in server"
    client_id: str
    tenant: str  # Microsoft's tenant, "" for others
    token_url: str  # with its query redacted
    state: Literal["signed-in", "not-signed-in", "unknown"]
    problem: str
    username: str
    seconds_left: float  # on the access token: 0 expired or none, inf when no expiry given
    stored_in: str


def sign_in_status(settings: Settings, config_path: Path, now: float | None = None) -> SignInStatus:
    from tui.core.redact import redact_url

    endpoints = endpoints_for(settings)
    problem, username, left = "", "", 0.0
    state: Literal["signed-in", "not-signed-in", "unknown"] = "not-signed-in"
    try:
        record = load_tokens(settings, config_path)
    except TokenStoreError as error:
        state, problem, record = "unknown", str(error), None
    if record is not None:
        state = "signed-in"
        username = record.username or settings.smtp.username
        left = record.live_for(time.time() if now is None else now)
    return SignInStatus(
        provider=provider_name(settings.oauth.provider),
        client_id=endpoints.client_id,
        tenant=(settings.oauth.tenant or "organizations")
        if settings.oauth.provider == "microsoft"
        else "",
        token_url=redact_url(endpoints.token_url),
        state=state,
        problem=problem,
        username=username,
        seconds_left=left,
        stored_in=describe_token_store(settings, config_path),
    )
