"""`mailwiz sandbox`: a practice SMTP server on this machine, to try mailwiz without an account."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.commands.base import SubParsers, printable, say
from tui.core.exits import Exit

# Kept here, not imported from the practice module, so --help stays fast; a test checks
# that both list the same modes.
FAIL_MODE_HELP = {
    "auth": "refuse every login",
    "tls": "present an untrusted certificate",
    "starttls": "offer no encryption",
    "timeout": "never answer",
    "recipient": "refuse every recipient",
    "temporary": "answer with a temporary error",
}


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sandbox",
        parents=parents,
        help="a practice SMTP server on this machine, to try mailwiz without an account",
        description="Start a practice SMTP server on 127.0.0.1 (STARTTLS, login) and list "
        "every message it receives. Nothing leaves this machine.",
    )
    parser.add_argument(
        "--fail",
        metavar="MODE",
        choices=list(FAIL_MODE_HELP),
        help="misbehave on purpose, to rehearse troubleshooting: "
        + "; ".join(f"{mode} = {text}" for mode, text in FAIL_MODE_HELP.items()),
    )
    parser.add_argument(
        "--oauth",
        action="store_true",
        help="practise OAuth sign-in: a local sign-in server beside an SMTP server that "
        "accepts only its tokens (then mailwiz login, mailwiz test)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path) -> int:
    """Run the practice server until Ctrl+C, printing each message as it arrives."""
    if args.oauth:
        from tui.commands.sandbox_oauth import cmd_sandbox_oauth

        return cmd_sandbox_oauth(args)
    import shlex
    import signal
    import threading

    from tui.core.practice import PracticeServer
    from tui.core.settings import command_for, save_settings

    with PracticeServer(fail=args.fail) as server:
        stop = threading.Event()
        # Clean up on kill and on a closed terminal (SSH gone) as on Ctrl+C: the folder with
        # the certificate and settings is removed when the with-block ends. Installed before
        # anything is printed, so a caller that waits for the output can signal at once.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.set())
        practice_config = save_settings(server.settings(), server.folder / "settings.toml")
        print(say("sandbox.running"))
        width = max(len(label) for label, _ in server.connection_rows())
        for label, value in server.connection_rows():
            print(f"  {label:<{width}}  {value}")
        command = f"MAILWIZ_PASSWORD={shlex.quote(server.password)} " + command_for(
            practice_config, "test"
        )
        print(say("sandbox.try-it", command=command))
        print(say("sandbox.received"), flush=True)
        server.on_message(lambda message: print(f"  {printable(message.summary())}", flush=True))
        try:
            stop.wait()
            print(say("sandbox.stopped"))
        except KeyboardInterrupt:
            print(say("sandbox.stopped"))
    return Exit.OK
