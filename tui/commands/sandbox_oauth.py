"""`mailwiz sandbox --oauth`: rehearse OAuth sign-in with no account.

A local authorization server (device code, browser + PKCE, refresh with rotation) and the
practice SMTP server accepting only its tokens, with a ready settings file in the practice
folder. Device codes are approved on the server's page, or by typing the code here.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from tui.commands.base import printable, say
from tui.core.exits import Exit


def _approve_from_terminal(practice: object, stop: threading.Event) -> None:
    """Each line typed is a user code to approve (`deny CODE` refuses it)."""
    from tui.core.oauth_practice import OAuthPractice

    assert isinstance(practice, OAuthPractice)
    server = practice.authorization
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            approve = words[0].lower() != "deny"
            code = words[-1]
            if server.decide(code, approve):
                print(
                    say(f"sandbox-oauth.{'approved' if approve else 'denied'}", code=code),
                    flush=True,
                )
            else:
                waiting = ", ".join(server.pending_codes()) or say("sandbox-oauth.none-waiting")
                print(say("sandbox-oauth.not-waiting", code=code, waiting=waiting), flush=True)
    except (OSError, ValueError):
        pass


def cmd_sandbox_oauth(args: argparse.Namespace) -> int:
    from tui.core.oauth_practice import OAuthPractice
    from tui.core.settings import command_for, save_settings

    stop = threading.Event()
    # Before anything is printed (a caller may signal as soon as it reads the first line):
    # on kill or a closed terminal, as on Ctrl+C, the with-block removes the practice folder.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    with OAuthPractice() as practice:
        person = practice.settings()
        # Where the sign-in is kept is not chosen yet, so the rehearsal asks it first, as a
        # server without a keyring does (`--store file` keeps it in the practice folder).
        person.password.store = "none"
        config = save_settings(person, practice.smtp.folder / "settings.toml")
        print(say("sandbox-oauth.running"))
        rows = practice.rows()
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")
        folder = practice.smtp.folder
        apps = [
            save_settings(
                practice.authorization.settings_for_app(practice.settings(), how, folder),
                folder / f"app-{how.replace('_', '-')}.toml",
            )
            for how in ("certificate", "service_account")
        ]
        app_lines = "".join(
            say("sandbox-oauth.app-line", test=command_for(app, "test")) for app in apps
        )
        url = practice.authorization.verification_url
        commands = {
            "login": command_for(config, "login"),
            "login_file": command_for(config, "login", "--store", "file"),
            "login_browser": command_for(config, "login", "--browser", "--store", "file"),
            "test": command_for(config, "test"),
        }
        print(say("sandbox-oauth.try-it", apps=app_lines, url=url, **commands))
        print(say("sandbox-oauth.received"), flush=True)
        practice.smtp.on_message(
            lambda message: print(f"  {printable(message.summary())}", flush=True)
        )
        threading.Thread(target=_approve_from_terminal, args=(practice, stop), daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        print(say("sandbox-oauth.stopped"))
    return int(Exit.OK)
