"""`mailwiz login`: sign in with Microsoft, Google or another OAuth server, and keep the sign-in.

The use case is the core's (`tui.core.credentials.sign_in`, the same as the wizard's); this
command only prints what it is told and reads what the user pastes. By default the device
code flow, where the provider has one; `--browser` (and always for Google) the browser flow
with PKCE, whose redirect is caught on 127.0.0.1 or pasted back on standard input. `--store
file|keyring` says where the sign-in is kept (asked before signing in: a machine without a
keyring is told so before anyone approves anything). `--json` prints one line before waiting
(address, code, expiry) and one result line. Exit codes (`tui.core.exits.Exit`): 0 signed in,
2 usage, 3 the sign-in cannot be kept here, 12 the code or the wait expired, 16 refused, 20
the sign-in server could not be reached or failed.

No token is ever printed: only the account, where the sign-in is kept, and the server's words
about a refusal (secrets of the request removed, control characters made visible).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands.base import SubParsers, say
from tui.core.exits import Exit

if TYPE_CHECKING:  # asyncio too: `mailwiz --help` must not pay for it
    import asyncio

    from tui.core.credentials import (
        BrowserShown,
        DeviceShown,
        RedirectProblem,
        SignedIn,
        TokenError,
    )
    from tui.core.settings import Settings


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    """Register `login` on the command line's subparsers (called by tui/cli.py)."""
    login = commands.add_parser(
        "login",
        parents=parents,
        help="sign in with Microsoft, Google or your OAuth server (for smtp.auth = oauth2)",
        description="Sign in for sending (OAuth 2.0) and keep the sign-in where [password] "
        "store says (or --store). By default: a code to enter on any device (works over SSH).",
    )
    login.add_argument(
        "--browser",
        action="store_true",
        help="sign in in a web browser instead (PKCE); over SSH, paste back the address the "
        "browser was sent to",
    )
    login.add_argument(
        "--store",
        choices=("keyring", "file"),
        help="keep the sign-in in the system keyring, or in a file beside the settings that "
        "only you can read (saved in [password] store)",
    )
    login.add_argument("--json", action="store_true", help="one JSON object per line")
    login.set_defaults(run=cmd_login)


def _say(*path: str, **values: Any) -> str:
    from tui.core.diagnose import say

    return say("signin", *path, **values)


def _minutes(seconds: float) -> str:
    count = max(1, round(seconds / 60))
    return say("login.minutes" if count != 1 else "login.minute", count=count)


class Output:
    """What `login` prints (readable lines, or one JSON object per line): the command line's
    `SignInView`. `answers` is where the user's typed lines arrive (standard input)."""

    def __init__(self, json_mode: bool, answers: asyncio.Queue[str | None] | None = None) -> None:
        self.json_mode = json_mode
        self.answers = answers
        self.interactive = sys.stdin.isatty()
        self.provider = ""  # "Microsoft", "Google": named in the device flow's lines
        self.config_path: Path | None = None  # named in the next command it suggests

    def emit(self, record: dict[str, Any]) -> None:
        from tui.commands.base import emit

        emit(record)

    def device(self, shown: DeviceShown) -> None:
        from datetime import UTC, datetime, timedelta

        expires_at = datetime.now(UTC) + timedelta(seconds=shown.expires_in)
        if self.json_mode:
            record: dict[str, Any] = {
                "verification_uri": shown.verification_uri,
                "user_code": shown.user_code,
                "expires_in": int(shown.expires_in),
                "expires_at": expires_at.isoformat(timespec="seconds"),
            }
            if shown.verification_uri_complete:
                record["verification_uri_complete"] = shown.verification_uri_complete
            self.emit(record)
            return
        provider = self.provider
        with_whom = (
            say("login.with-whom", provider=provider) if provider in ("Microsoft", "Google") else ""
        )
        # The address and the code each alone on a line, not indented: a mouse copy (tmux,
        # a terminal over SSH) takes exactly what the sign-in page accepts.
        text = _say(
            "device",
            with_whom=with_whom,
            uri=shown.verification_uri,
            code=shown.user_code,
            minutes=_minutes(shown.expires_in),
        )
        print(text, flush=True)

    def browser(self, shown: BrowserShown) -> None:
        if self.json_mode:
            self.emit(
                {
                    "authorization_url": shown.url,
                    "verification_uri": shown.url,
                    "redirect_uri": shown.redirect_uri,
                    "expires_in": int(shown.expires_in),
                }
            )
            return
        then = _say("browser-then-tty" if self.interactive else "browser-then-pipe")
        print(_say("browser", url=shown.url, redirect=shown.redirect_uri, then=then), flush=True)
        _open_browser(shown.url)

    def refused(self, problem: RedirectProblem) -> None:
        self.note(f"{problem}." + (_say("paste-again") if self.interactive else ""))

    async def confirm(self, account: str, username: str) -> bool:
        """Asked on a terminal only; a script's sign-in of another account is not kept."""
        if not self.interactive or self.json_mode or self.answers is None:
            return False
        print(_say("confirm", account=account, username=username), end="", flush=True)
        answer = await self.answers.get()
        return (answer or "").strip().lower() in ("y", "yes")

    def note(self, text: str) -> None:
        if self.json_mode:
            self.emit({"note": text})
        else:
            print(f"mailwiz: {text}", file=sys.stderr, flush=True)

    def ok(self, signed_in: SignedIn) -> None:
        if self.json_mode:
            self.emit(
                {
                    "result": "ok",
                    "exit": 0,
                    "username": signed_in.username,
                    "stored_in": signed_in.stored_in,
                }
            )
            return
        as_whom = say("login.as-whom", username=signed_in.username) if signed_in.username else ""
        print("\n" + _say("signed-in", as_whom=as_whom, where=signed_in.stored_in))
        print(_say("next", config_path=self.config_path))

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
            print("\n" + _say("not-signed-in", cause=cause), file=sys.stderr)
            print("\n" + _say("what-to-do", fix=fix), file=sys.stderr)
        return code


def login_exit(error: TokenError) -> Exit:
    """The exit code of a failed sign-in."""
    if error.error in ("expired_token", "login_timeout"):
        return Exit.TIMEOUT
    if error.temporary:
        return Exit.TEMPORARY
    return Exit.AUTH


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


async def _sign_in(settings: Settings, out: Output, browser: bool) -> Any:
    import asyncio
    import threading

    from tui.core.credentials import sign_in

    out.answers = asyncio.Queue()
    reader = threading.Thread(
        target=_read_lines, args=(out.answers, asyncio.get_running_loop()), daemon=True
    )
    reader.start()
    return await sign_in(settings, out, out.answers, browser=browser)


def cmd_login(args: argparse.Namespace, config_path: Path) -> int:
    import asyncio

    from tui.commands.base import UsageError, load_or_explain, require_valid
    from tui.core import credentials
    from tui.core.diagnose import Audience, explain_not_kept, explain_sign_in

    out = Output(bool(args.json))
    loaded = load_or_explain(config_path)
    out.config_path = loaded.path
    settings = require_valid(loaded)
    if not credentials.uses_oauth_sign_in(settings):
        raise UsageError(_say("not-oauth"))
    if settings.oauth.grant == "app":
        raise UsageError(_say("app-grant", config_path=loaded.path))
    chosen = credentials.with_store(settings, args.store) if args.store else settings
    problem = credentials.keep_problem(chosen)
    if problem:  # said before anyone signs in: nothing would keep the sign-in
        fix = explain_not_kept(
            problem, settings, audience=Audience.CLI, config_path=loaded.path
        ).fix
        return out.failed(int(Exit.NOT_READY), "cannot_keep", f"{problem}.", fix)
    out.provider = credentials.who_signs_in(settings)
    browser = bool(args.browser)
    if credentials.method_for(settings, browser=browser) == "browser" and not browser:
        who = "google" if settings.oauth.provider == "google" else "other"
        out.note(_say("no-device-flow", who=_say(f"no-device-flow-{who}")))
    try:
        record = asyncio.run(_sign_in(settings, out, browser))
    except credentials.TokenError as error:
        values: dict[str, object] = {"username": settings.smtp.username or "?"}
        diagnosis = explain_sign_in(
            error.error,
            error.description,
            settings,
            temporary=error.temporary,
            values=values,
            config_path=loaded.path,
        )
        return out.failed(int(login_exit(error)), error.error, diagnosis.cause, diagnosis.fix)
    try:
        signed_in = credentials.keep_sign_in(chosen, loaded.path, record)
        if chosen.password.store != settings.password.store:
            _save_store(chosen, loaded.path)
    except credentials.TokenStoreError as error:
        diagnosis = explain_not_kept(
            str(error), settings, audience=Audience.CLI, config_path=loaded.path
        )
        return out.failed(int(Exit.NOT_READY), "store_failed", diagnosis.cause, diagnosis.fix)
    out.ok(signed_in)
    return int(Exit.OK)


def _save_store(settings: Settings, path: Path) -> None:
    """Write the new `[password] store` into the settings file (the sign-in is kept there
    already); the sign-in is forgotten again when the settings cannot be written."""
    from tui.core import credentials
    from tui.core.settings import SettingsError, save_settings

    try:
        save_settings(settings, path)
    except (OSError, SettingsError) as error:
        credentials.delete_tokens(settings, path)
        raise credentials.TokenStoreError(_say("settings-not-saved", reason=error)) from None
