"""`mailwiz login`: sign in with Microsoft, Google or another OAuth server, and keep the sign-in.

By default the device code flow, where the provider has one: mailwiz prints an address and a
code, the user approves on any device, mailwiz polls. `--browser` (and always for Google, and
for a custom server without a device URL): the authorization code flow with PKCE and a
loopback redirect; the redirect is caught on 127.0.0.1 when the browser runs here, or the user
pastes the address the browser was sent to. `--json` prints one line before waiting (address,
code, expiry) and one result line. Exit codes come from `tui.core.exits.Exit`: 0 signed in,
16 refused, 12 the code or the wait expired, 20 the sign-in server could not be reached.

No token is ever printed: only the account, where the sign-in is kept, and the server's words
about a refusal (with control characters removed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands.base import SubParsers
from tui.core.exits import Exit

if TYPE_CHECKING:  # asyncio too: `mailwiz --help` must not pay for it
    import asyncio

    from tui.core.credentials.oauth import Endpoints, TokenRecord
    from tui.core.credentials.oauth_flows import BrowserSignIn, DeviceCode
    from tui.core.credentials.tokens import TokenError


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    """Register `login` on the command line's subparsers (called by tui/cli.py)."""
    login = commands.add_parser(
        "login",
        parents=parents,
        help="sign in with Microsoft, Google or your OAuth server (for smtp.auth = oauth2)",
        description="Sign in for sending (OAuth 2.0) and keep the sign-in where [password] "
        "store says. By default: a code to enter on any device (works over SSH).",
    )
    login.add_argument(
        "--browser",
        action="store_true",
        help="sign in in a web browser instead (PKCE); over SSH, paste back the address the "
        "browser was sent to",
    )
    login.add_argument("--json", action="store_true", help="one JSON object per line")
    login.set_defaults(run=cmd_login)


# ------------------------------------------------------------------------------ output


def printable(text: str, limit: int = 400) -> str:
    """A server's words made safe for a terminal: no control characters, one line, bounded."""
    import unicodedata

    cleaned = "".join(
        "?" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in " ".join(text.split())
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class Output:
    """What `login` prints: readable lines, or one JSON object per line."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode

    def emit(self, record: dict[str, Any]) -> None:
        from tui.commands.base import emit

        emit(record)

    def device(self, device: DeviceCode, provider: str) -> None:
        from datetime import UTC, datetime, timedelta

        expires_at = datetime.now(UTC) + timedelta(seconds=device.expires_in)
        if self.json_mode:
            record: dict[str, Any] = {
                "verification_uri": device.verification_uri,
                "user_code": device.user_code,
                "expires_in": int(device.expires_in),
                "expires_at": expires_at.isoformat(timespec="seconds"),
            }
            if device.verification_uri_complete:
                record["verification_uri_complete"] = device.verification_uri_complete
            self.emit(record)
            return
        with_whom = f" with {provider}" if provider in ("Microsoft", "Google") else ""
        print(
            f"To sign in{with_whom}, open this address in a browser, on any device:\n\n"
            f"    {device.verification_uri}\n\n"
            f"and enter the code:\n\n"
            f"    {device.user_code}\n\n"
            f"Waiting for the approval (the code expires in {_minutes(device.expires_in)}; "
            "Ctrl+C cancels)...",
            flush=True,
        )

    def browser(self, sign_in: BrowserSignIn, expires_in: float, interactive: bool) -> None:
        if self.json_mode:
            self.emit(
                {
                    "authorization_url": sign_in.url,
                    "verification_uri": sign_in.url,
                    "redirect_uri": sign_in.redirect_uri,
                    "expires_in": int(expires_in),
                }
            )
            return
        print(
            "To sign in, open this address in a web browser:\n\n"
            f"{sign_in.url}\n\n"
            "If the browser runs on this computer, the sign-in finishes by itself. Otherwise "
            "(over SSH), after you sign in the browser goes to an address that starts with\n"
            f"{sign_in.redirect_uri} and may show an error page: that is expected. Copy that "
            "whole address from the address bar and paste it here"
            + (", then press Enter:" if interactive else " (on standard input)."),
            flush=True,
        )

    def note(self, text: str) -> None:
        if self.json_mode:
            self.emit({"note": text})
        else:
            print(f"mailwiz: {text}", file=sys.stderr, flush=True)

    def ok(self, username: str, where: str) -> None:
        if self.json_mode:
            self.emit({"result": "ok", "exit": 0, "username": username, "stored_in": where})
            return
        who = f" as {username}" if username else ""
        print(f"\nSigned in{who}. The sign-in is kept in {where}.")
        print("Next: mailwiz test   (a live test send with it)")

    def failed(self, code: int, error: str, cause: str, fix: str) -> int:
        if self.json_mode:
            self.emit(
                {
                    "result": "failed",
                    "stage": "login",
                    "exit": code,
                    "error": error,
                    "cause": cause,
                    "fix": fix,
                }
            )
        else:
            print(f"\nNot signed in: {cause}", file=sys.stderr)
            print(f"\nWhat to do: {fix}", file=sys.stderr)
        return code


# ------------------------------------------------------------------------ explanations


def login_exit(error: TokenError) -> Exit:
    """The exit code of a failed sign-in."""
    if error.error in ("expired_token", "login_timeout"):
        return Exit.TIMEOUT
    if error.temporary:
        return Exit.TEMPORARY
    return Exit.AUTH


# mailwiz's own outcomes (not a server's answer), and answers the diagnosis table lacks.
_OWN_WORDS = ("login_timeout", "invalid_state", "invalid_scope", "store_failed")
_SAME_AS = {"authorization_declined": "access_denied"}  # Microsoft's word in the device flow


def explain(error: TokenError, settings: Any, *, wizard: bool = False) -> tuple[str, str]:
    """(cause, fix) for a refused sign-in: the diagnosis of token errors (AADSTS codes and
    all, `tui.core.diagnose`) for a server's answer, mailwiz's own words for the rest."""
    if not error.temporary and error.error not in _OWN_WORDS:
        from tui.core.diagnose.handlers import Audience, explain_token_error

        code = _SAME_AS.get(error.error, error.error)
        audience = Audience.WIZARD if wizard else Audience.CLI  # controls' names, or keys
        diagnosis = explain_token_error(code, error.description, settings, audience=audience)
        return diagnosis.cause, diagnosis.fix
    return _own_words(error)


def _own_words(error: TokenError) -> tuple[str, str]:
    said = printable(error.description)
    server_said = f' The server said: "{said}".' if said else ""
    retry = "Run `mailwiz login` again"
    texts = {
        "access_denied": (
            "the sign-in was declined (on the approval page, or by an administrator).",
            f"{retry} and approve it. If your organisation has to consent to the app first, "
            "ask an administrator to grant admin consent (SMTP.Send, offline_access).",
        ),
        "authorization_declined": (  # Microsoft's word for it in the device flow
            "the sign-in was declined on the approval page.",
            f"{retry} and approve it.",
        ),
        "invalid_client": (
            "the sign-in server does not accept the client ID in [oauth] client_id.",
            "Check oauth.client_id against your app registration. For Microsoft Entra, the "
            'app must have "Allow public client flows" turned on.',
        ),
        "unauthorized_client": (
            "the app registration may not use this way of signing in.",
            'For Microsoft Entra, turn on "Allow public client flows" in the app\'s '
            "Authentication page, or use `mailwiz login --browser`.",
        ),
        "expired_token": (
            "the code expired before it was approved.",
            f"{retry} and approve the new code sooner.",
        ),
        "login_timeout": (
            "no sign-in came back from the browser in time.",
            f"{retry}, then paste the address the browser was sent to.",
        ),
        "invalid_state": (
            "the address pasted did not belong to this sign-in, so it was refused.",
            f"{retry} and paste the address the browser was sent to for that attempt.",
        ),
        "invalid_scope": (
            "the sign-in server refused the permissions asked for.",
            "Check oauth.scope (empty = the provider's default), and that the app "
            "registration has the delegated permissions SMTP.Send and offline_access.",
        ),
        "invalid_grant": (
            "the sign-in server refused the sign-in (the code was used, expired or revoked).",
            f"{retry}.",
        ),
    }
    if error.temporary:
        return (
            f"the sign-in server could not be reached or failed ({error.error}).{server_said}",
            "Check the network and the URLs in [oauth], then try again.",
        )
    cause, fix = texts.get(
        error.error, (f"the sign-in server refused it ({error.error}).", f"{retry}.")
    )
    return cause + server_said, fix


# ---------------------------------------------------------------------------- the flows


async def device_login(endpoints: Endpoints, out: Output, provider: str) -> TokenRecord:
    from tui.core.credentials.oauth_flows import poll_device_flow, start_device_flow

    device = await start_device_flow(endpoints)
    out.device(device, provider)
    return await poll_device_flow(endpoints, device)


def _read_lines(queue: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop) -> None:
    """Hand each line of standard input to the queue, None at its end (a daemon thread: a
    terminal that is never answered does not keep mailwiz from exiting)."""
    try:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
    except (OSError, ValueError):
        pass
    loop.call_soon_threadsafe(queue.put_nowait, None)


def _open_browser(url: str) -> None:
    """Open the address in a browser, only where a graphical one can show it (never a text
    browser that would take over this terminal over SSH)."""
    graphical = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform == "darwin":
        graphical = True
    if not graphical or os.environ.get("SSH_CONNECTION") or not sys.stdout.isatty():
        return
    import webbrowser

    try:
        webbrowser.get()  # raises when only text browsers are known
        webbrowser.open(url)
    except webbrowser.Error:
        pass


async def _arrivals(
    browser: asyncio.Queue[str], pasted: asyncio.Queue[str | None], deadline: float
) -> AsyncGenerator[str | None, None]:
    """Addresses as they come, from the loopback listener or pasted; None once, when standard
    input ends. TokenError("login_timeout") at the deadline."""
    import asyncio

    from tui.core.credentials.tokens import TokenError

    queues: dict[str, asyncio.Queue[Any]] = {"browser": browser, "pasted": pasted}
    # One pending read per source, kept across turns: a read cancelled after it took an
    # address would lose that address.
    reads = {name: asyncio.ensure_future(queue.get()) for name, queue in queues.items()}
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
                    address: str | None = read.result()
                    if address is None:
                        del reads[name]  # standard input ended: only the browser is left
                    else:
                        reads[name] = asyncio.ensure_future(queues[name].get())
                    yield address
    finally:
        for read in reads.values():
            read.cancel()


async def browser_login(
    endpoints: Endpoints, out: Output, wait: float | None = None
) -> TokenRecord:
    import asyncio

    from tui.core.credentials.oauth_flows import (
        BROWSER_SIGN_IN_TIME,
        LoopbackReceiver,
        RedirectProblem,
        code_from_redirect,
        finish_browser_flow,
        start_browser_flow,
    )
    from tui.core.credentials.tokens import TokenError

    wait = BROWSER_SIGN_IN_TIME if wait is None else wait
    pasted: asyncio.Queue[str | None] = asyncio.Queue()
    async with LoopbackReceiver() as receiver:
        sign_in = start_browser_flow(endpoints, receiver.port)
        interactive = sys.stdin.isatty()
        out.browser(sign_in, wait, interactive)
        _open_browser(sign_in.url)
        import threading  # (imported here: `mailwiz --help` loads this module)

        reader = threading.Thread(
            target=_read_lines, args=(pasted, asyncio.get_running_loop()), daemon=True
        )
        reader.start()
        refused = False
        arrivals = _arrivals(receiver.addresses, pasted, time.monotonic() + wait)
        async with contextlib.aclosing(arrivals):
            async for address in arrivals:
                if address is None:
                    if refused:  # a wrong address, and nothing else will be pasted
                        raise TokenError("invalid_state", "")
                    continue
                if not address.strip():
                    continue
                try:
                    code = code_from_redirect(address, sign_in.state)
                except RedirectProblem as problem:
                    refused = True
                    out.note(f"{problem}." + (" Paste it again:" if interactive else ""))
                    continue
                return await finish_browser_flow(endpoints, sign_in, code)
    raise TokenError("login_timeout", "")  # not reached: the arrivals end only by raising


# ---------------------------------------------------------------------------- the command


def cmd_login(args: argparse.Namespace, config_path: Path) -> int:
    import asyncio

    from tui.commands.base import UsageError, load_or_explain, require_valid
    from tui.core.credentials.oauth import (
        endpoints_for,
        provider_name,
        uses_oauth,
        with_username,
    )
    from tui.core.credentials.tokens import TokenError

    out = Output(bool(args.json))
    loaded = load_or_explain(config_path)
    settings = require_valid(loaded)
    if not uses_oauth(settings):
        raise UsageError(
            'these settings sign in with a password, not OAuth: set auth = "oauth2" in '
            "[smtp] (and the [oauth] table), or run mailwiz to choose the sign-in"
        )
    if settings.oauth.grant == "app":
        raise UsageError(
            '[oauth] grant = "app": the app signs in itself, so nobody logs in. Keep its '
            "client secret with `mailwiz password` (or set [oauth] certificate, or "
            "service_account for Google), then prove it with `mailwiz test`"
        )
    if settings.password.store == "none":
        raise UsageError(
            '[password] store = "none" keeps no secrets, so a sign-in cannot be kept: set '
            'store = "keyring" (or "file", a 0600 file beside the settings)'
        )
    endpoints = endpoints_for(settings)
    provider = provider_name(settings.oauth.provider)
    use_browser = bool(args.browser) or not endpoints.has_device_flow
    if not args.browser and use_browser:
        who = "Google" if settings.oauth.provider == "google" else "This sign-in server"
        out.note(f"{who} has no sign-in with a code here: signing in in a web browser.")
    try:
        if use_browser:
            record = asyncio.run(browser_login(endpoints, out))
        else:
            record = asyncio.run(device_login(endpoints, out, provider))
    except TokenError as error:
        cause, fix = explain(error, settings)
        return out.failed(int(login_exit(error)), error.error, cause, fix)
    return _keep(settings, loaded.path, with_username(record, settings.smtp.username), out)


def _keep(settings: Any, config_path: Path, record: TokenRecord, out: Output) -> int:
    from tui.commands.base import NotReady
    from tui.core.credentials.oauth_store import (
        TokenStoreError,
        describe_token_store,
        save_tokens,
    )

    try:
        save_tokens(settings, config_path, record)
    except TokenStoreError as error:
        raise NotReady(f"signed in, but {error}") from None
    out.ok(record.username, describe_token_store(settings, config_path))
    return int(Exit.OK)


def sign_in_rows(settings: Any, config_path: Path) -> list[tuple[str, str]]:
    """`mailwiz show`'s lines about an OAuth sign-in: who, until when, kept where. No token."""
    from tui.core.credentials.oauth import endpoints_for, provider_name
    from tui.core.credentials.oauth_store import TokenStoreError, describe_token_store, load_tokens

    oauth = settings.oauth
    endpoints = endpoints_for(settings)
    rows = [("sign-in", f"OAuth 2.0 with {provider_name(oauth.provider)} (smtp.auth = oauth2)")]
    rows.append(("client ID", oauth.client_id or "(none: set oauth.client_id)"))
    if oauth.provider == "microsoft":
        rows.append(("tenant", oauth.tenant or "organizations"))
    rows.append(("token URL", endpoints.token_url or "(none: set oauth.token_url)"))
    try:
        record = load_tokens(settings, config_path)
    except TokenStoreError as error:
        rows.append(("signed in", f"CANNOT TELL: {error}"))
        record = None
    else:
        if record is None:
            rows.append(("signed in", "NO: run `mailwiz login`"))
    if record is not None:
        rows.append(("signed in as", record.username or settings.smtp.username or "(unknown)"))
        left = record.live_for(time.time())
        if left == float("inf"):
            state = "******** (no expiry given: renewed when the server refuses it)"
        elif left > 0:
            state = f"******** (valid for {_minutes(left)} more)"
        else:
            state = "******** (expired: renewed at the next send)"
        rows.append(("access token", state))
    rows.append(("sign-in kept in", describe_token_store(settings, config_path)))
    return rows
