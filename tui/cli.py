"""The command line: argument parsing, and subcommands that call the core.

Only the wizard imports Textual; `show`, `password`, `test` and `send` stay light so that
scripts and fleet tools pay nothing for the UI.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from tui.core.events import FailureKind, SendFinished, StageEnded, TranscriptLine
from tui.core.settings import (
    Loaded,
    Settings,
    SettingsError,
    SettingsFileError,
    SettingsMissing,
    address_problem,
    errors,
    header_problem,
    load_settings,
    resolve_config_path,
    save_settings,
    validate,
)

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_NO_SETTINGS = 3


class UsageError(Exception):
    """Bad input on the command line or in the settings: exit 2 with this one line."""


class NotReady(Exception):
    """No settings yet, or no password available: exit 3 with this message."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line a user can act on, instead of argparse's usage block.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> ArgumentParser:
    # --config is accepted before or after the subcommand; SUPPRESS keeps the subcommand's
    # default from overwriting a value given before it.
    config = ArgumentParser(add_help=False)
    config.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="settings file (default: $MAILWIZ_CONFIG, else the user config folder)",
    )
    parser = ArgumentParser(
        prog="mailwiz",
        description="Set up outgoing email, test it live, and send with it.",
        parents=[config],
    )
    parser.add_argument(
        "--practice",
        action="store_true",
        help="try the wizard against a practice server on this machine (no account needed; "
        "your real settings are not touched)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    test = commands.add_parser(
        "test", parents=[config], help="live test send with the saved settings"
    )
    test.add_argument("--to", metavar="ADDR", help="recipient (default: the sender address)")
    test.add_argument("--json", action="store_true", help="one JSON object per line")
    test.add_argument(
        "--transcript", action="store_true", help="also print the (redacted) SMTP dialogue"
    )

    send = commands.add_parser("send", parents=[config], help="send a message")
    send.add_argument("--to", metavar="ADDR", required=True, help="recipient")
    send.add_argument("--subject", metavar="S", default="", help="subject line")
    body = send.add_mutually_exclusive_group()
    body.add_argument("--body", metavar="TEXT", help="the message text")
    body.add_argument("--body-file", metavar="F", help="read the message text from F (- = stdin)")
    send.add_argument(
        "--attach", metavar="FILE", action="append", default=[], help="attach a file (repeatable)"
    )
    send.add_argument("--json", action="store_true", help="one JSON object per line")
    send.add_argument("--transcript", action="store_true", help="also print the SMTP dialogue")

    commands.add_parser(
        "show", parents=[config], help="the settings, password masked, and where it is stored"
    )

    password = commands.add_parser(
        "password", parents=[config], help="store the password for the current settings"
    )
    password.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (one line)"
    )
    password.add_argument(
        "--store",
        choices=["keyring", "file"],
        help="where to keep it: the system keyring, or a 0600 file beside the settings",
    )
    discover = commands.add_parser(
        "discover", parents=[config], help="find the SMTP settings for an email address"
    )
    discover.add_argument("address", metavar="ADDRESS", help="the email address to send from")
    discover.add_argument("--json", action="store_true", help="one JSON object per line")
    sandbox = commands.add_parser(
        "sandbox",
        help="a practice SMTP server on this machine, to try mailwiz without an account",
        description="Start a practice SMTP server on 127.0.0.1 (STARTTLS, login) and list "
        "every message it receives. Nothing leaves this machine.",
    )
    sandbox.add_argument(
        "--fail",
        metavar="MODE",
        choices=list(FAIL_MODE_HELP),
        help="misbehave on purpose, to rehearse troubleshooting: "
        + "; ".join(f"{mode} = {text}" for mode, text in FAIL_MODE_HELP.items()),
    )
    from tui.commands import install_mta, queue  # light: their work is imported when run

    queue.add_parser(commands, [config])  # and the help line of sendmail
    install_mta.add_parser(commands, [config])
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    program = Path(sys.argv[0]).name if argv is None and sys.argv else "mailwiz"
    if program in ("sendmail", "mailq") or words[:1] == ["sendmail"]:
        from tui.commands.sendmail import main as sendmail_main  # sendmail's own options

        as_itself = program in ("sendmail", "mailq")
        return sendmail_main(
            words if as_itself else words[1:], program if as_itself else "sendmail"
        )
    args = build_parser().parse_args(argv)
    from tui.commands import install_mta, queue

    config_path = resolve_config_path(getattr(args, "config", None))
    json_mode = bool(getattr(args, "json", False))
    try:
        if args.command is None:
            from tui.app import run_wizard  # the only path that imports Textual

            return run_wizard(config_path, practice=args.practice)
        handler = {
            "show": cmd_show,
            "password": cmd_password,
            "test": cmd_send,
            "send": cmd_send,
            "discover": cmd_discover,
            "sandbox": cmd_sandbox,
            "queue": queue.run,
            "install-mta": install_mta.run,
        }
        return handler[args.command](args, config_path)
    except KeyboardInterrupt:
        print("mailwiz: interrupted", file=sys.stderr)
        return 130
    except UsageError as error:
        return fail_before_send(json_mode, EXIT_USAGE, str(error))
    except NotReady as error:
        return fail_before_send(json_mode, EXIT_NO_SETTINGS, str(error))
    except Exception:
        return report_bug()


def fail_before_send(json_mode: bool, code: int, message: str) -> int:
    if json_mode:
        emit({"result": "failed", "stage": "settings", "exit": code, "cause": message, "fix": ""})
    print(f"mailwiz: {message}", file=sys.stderr)
    return code


def report_bug() -> int:
    """Exit 1: keep the traceback in a private file and point to it (DESIGN.md)."""
    fd, name = tempfile.mkstemp(prefix="mailwiz-bug-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        traceback.print_exc(file=handle)
    print(
        "mailwiz: an unexpected error happened (a bug in mailwiz, not in your settings).\n"
        f"The details are in {name}; please attach that file to a bug report.",
        file=sys.stderr,
    )
    return EXIT_BUG


def emit(obj: dict[str, Any], stream: IO[str] | None = None) -> None:
    print(json.dumps(obj, ensure_ascii=False), file=stream or sys.stdout, flush=True)


# ---------------------------------------------------------------------------- settings


def load_or_explain(config_path: Path) -> Loaded:
    try:
        loaded = load_settings(config_path)
    except SettingsMissing as missing:
        raise NotReady(f"{missing} (or pass --config PATH)") from None
    except SettingsFileError as error:
        raise UsageError(str(error)) from None
    except SettingsError as error:
        raise NotReady(str(error)) from None
    for warning in loaded.warnings:
        print(f"mailwiz: warning: {warning}", file=sys.stderr)
    return loaded


def require_valid(loaded: Loaded) -> Settings:
    problems = errors(loaded.settings)
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problem(s); run mailwiz to fix them)"
        raise UsageError(
            f"{loaded.path}: {first.field}: {first.message}{more if len(problems) > 1 else ''}"
        )
    return loaded.settings


# ---------------------------------------------------------------------------- show


def cmd_show(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.credentials.store import describe_store, load_password, password_needed

    loaded = load_or_explain(config_path)
    settings = loaded.settings
    print(f"Settings file: {loaded.path}")
    rows: list[tuple[str, str]] = [
        ("protocol", settings.protocol),
        ("provider", settings.provider),
    ]
    if settings.protocol == "smtp":
        smtp = settings.smtp
        rows += [
            ("host", smtp.host),
            ("port", str(smtp.port)),
            ("security", smtp.security),
            ("username", smtp.username or "(none)"),
            ("verify certificate", "yes" if smtp.verify_certificate else "NO"),
        ]
        if smtp.ca_file:
            rows.append(("CA file", smtp.ca_file))
        rows.append(("timeout", f"{smtp.timeout:g} s"))
    else:
        rows += [("relay URL", settings.http.url), ("timeout", f"{settings.http.timeout:g} s")]
    rows += [
        ("sender address", settings.from_address or "(none)"),
        ("sender name", settings.sender.name or "(none)"),
        ("replies to", settings.sender.reply_to or "(the sender address)"),
        ("copy of every email", settings.sender.copy_to or "(none)"),
    ]
    if password_needed(settings):
        lookup = load_password(settings, loaded.path)
        if lookup.password:
            where = {
                "env": "from $MAILWIZ_PASSWORD",
                "keyring": "stored",
                "file": "stored",
            }.get(lookup.source, "stored")
            rows.append(("password", f"******** ({where})"))
        else:
            rows.append(("password", f"NOT AVAILABLE: {lookup.problem}"))
        rows.append(("password kept in", describe_store(settings, loaded.path)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for problem in validate(settings):
        print(f"mailwiz: {problem.severity}: {problem.field}: {problem.message}", file=sys.stderr)
    return EXIT_OK


# ---------------------------------------------------------------------------- password


def read_new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password: pipe it in with --stdin")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again, to be sure: ") != password:
            raise UsageError("the two passwords differ; nothing was stored")
    if not password:
        raise UsageError("the password is empty; nothing was stored")
    return password


def cmd_password(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.credentials.store import (
        PasswordStoreError,
        describe_store,
        password_needed,
        save_password,
    )

    loaded = load_or_explain(config_path)
    settings = loaded.settings
    if not password_needed(settings):
        raise UsageError(
            "these settings use no password (no username, or an HTTP relay); nothing to store"
        )
    if args.store:
        settings.password.store = args.store
    if settings.password.store == "none":
        raise UsageError(
            'the settings say store = "none": the password is supplied at run time by '
            "$MAILWIZ_PASSWORD. To keep it instead, add --store keyring or --store file"
        )
    password = read_new_password(args.stdin)
    try:
        save_password(settings, loaded.path, password)
    except PasswordStoreError as error:
        hint = ""
        if settings.password.store == "keyring":
            hint = (
                "\nTo keep it in a file only you can read, beside the settings, run: "
                f"mailwiz password --store file{' --stdin' if args.stdin else ''}"
            )
        raise NotReady(f"the password was not stored. {error}{hint}") from None
    if args.store:
        save_settings(settings, loaded.path)
    print(f"Password stored in {describe_store(settings, loaded.path)}.")
    return EXIT_OK


# ---------------------------------------------------------------------- test and send


def cmd_send(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.credentials.store import load_password, password_needed
    from tui.core.message import Attachment, Outgoing, test_outgoing

    loaded = load_or_explain(config_path)
    settings = require_valid(loaded)
    to = (args.to or settings.from_address or settings.sender.reply_to).strip()
    problem = address_problem(to)
    if problem:
        raise UsageError(f"--to {to!r}: {problem}")
    if args.command == "test":
        outgoing = test_outgoing(settings, to)
    else:
        subject = args.subject or "Sent with mailwiz"
        if header_problem(subject):
            raise UsageError(f"--subject: {header_problem(subject)}")
        text = read_body(args)
        attachments = []
        for name in args.attach:
            try:
                attachments.append(Attachment.from_path(Path(name)))
            except OSError as error:
                raise UsageError(f"--attach {name}: cannot read it ({error.strerror})") from None
        outgoing = Outgoing(to=to, subject=subject, text=text, attachments=tuple(attachments))

    password: str | None = None
    if password_needed(settings):
        lookup = load_password(settings, loaded.path)
        if not lookup.password:
            raise NotReady(f"no password available. {lookup.problem}")
        password = lookup.password
    return asyncio.run(run_and_render(settings, password, outgoing, args.json, args.transcript))


def read_body(args: argparse.Namespace) -> str:
    if args.body is not None:
        return str(args.body)
    if args.body_file:
        if args.body_file == "-":
            return sys.stdin.read()
        try:
            return Path(args.body_file).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"--body-file {args.body_file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--body-file {args.body_file}: not UTF-8 text") from None
    return ""


def one_line(reply: str) -> str:
    """A multi-line reply (EHLO's list of extensions) shortened to its first line."""
    lines = reply.splitlines()
    return lines[0] + (" ..." if len(lines) > 1 else "") if lines else ""


def stage_mark(ok: bool) -> str:
    encoding = (getattr(sys.stdout, "encoding", None) or "ascii").lower()
    if "utf" in encoding:
        return "✓" if ok else "✗"
    return "ok" if ok else "FAILED"


async def run_and_render(
    settings: Settings,
    password: str | None,
    outgoing: Any,
    json_mode: bool,
    show_transcript: bool,
) -> int:
    from tui.core.diagnose.handlers import diagnose
    from tui.core.providers import get_provider
    from tui.core.send import run_send

    last_stage = ""
    finished: SendFinished | None = None
    async for event in run_send(settings, password, outgoing):
        if isinstance(event, StageEnded):
            last_stage = event.stage
            if json_mode:
                record: dict[str, Any] = {"stage": event.stage, "ok": event.ok, "ms": event.ms}
                if event.reply:
                    record["reply"] = event.reply
                emit(record)
            else:
                reply = f"  {one_line(event.reply)}" if event.reply else ""
                print(f"  {stage_mark(event.ok)} {event.stage:<9} {event.ms:8.1f} ms{reply}")
        elif isinstance(event, TranscriptLine) and show_transcript and not json_mode:
            print(f"      {event.direction} {event.text}")
        elif isinstance(event, SendFinished):
            finished = event
    if finished is None:  # the engines always end with SendFinished; this guards a bug
        raise RuntimeError("the send ended without a result")
    if finished.ok:
        if json_mode:
            emit({"result": "ok", "stage": last_stage, "exit": 0, "reply": finished.reply})
        else:
            to = ", ".join(finished.recipients) or outgoing.to
            print(
                f"Sent: the server accepted the message for {to}. "
                "Check the inbox (and the spam folder)."
            )
        return EXIT_OK
    failure = finished.failure
    assert failure is not None
    try:
        provider = get_provider(settings.provider)
    except KeyError:
        provider = None
    diagnosis = diagnose(failure, settings, provider)
    if json_mode:
        emit(
            {
                "result": "failed",
                "stage": failure.stage,
                "exit": failure.exit_code,
                "reply": failure.reply,
                "cause": diagnosis.cause,
                "fix": diagnosis.fix,
                "field": diagnosis.field,
            }
        )
    else:
        print(f"Not sent: {diagnosis.title}", file=sys.stderr)
        print(f"\nWhat happened: {diagnosis.cause}", file=sys.stderr)
        print(f"\nWhat to do: {diagnosis.fix}", file=sys.stderr)
    return failure.exit_code if failure.kind != FailureKind.INTERNAL else EXIT_BUG


# ---------------------------------------------------------------------------- discover


def cmd_discover(args: argparse.Namespace, config_path: Path) -> int:
    """Exit 0 with a suggestion, 2 for an address that is not one, 3 when nothing was found."""
    from tui.core.discover.engine import AddressError, discover

    try:
        events = discover(args.address)
    except AddressError as error:
        raise UsageError(str(error)) from None
    return asyncio.run(render_discovery(events, args.json))


async def render_discovery(events: Any, json_mode: bool) -> int:
    from tui.core.discover.engine import DiscoveryFinished, LayerEnded, LayerStarted, event_as_dict

    async for event in events:
        if json_mode:
            emit(event_as_dict(event))
        elif isinstance(event, LayerStarted):
            print(event.description)
        elif isinstance(event, LayerEnded):
            print(f"  {stage_mark(event.found) if event.found else '-'} {event.detail}")
        if isinstance(event, DiscoveryFinished):
            if not json_mode:
                print_suggestion(event)
            return EXIT_OK if event.suggestion else EXIT_NO_SETTINGS
    return EXIT_NO_SETTINGS


def print_suggestion(finished: Any) -> None:
    found = finished.suggestion
    if found is None:
        print(
            "\nNothing found. Ask your provider for its SMTP server, or try "
            f"{finished.fallback_host} with port 465 (TLS) or 587 (STARTTLS)."
        )
        return
    security = "TLS from the first byte" if found.security == "tls" else "STARTTLS"
    print(f"\nProposed: {found.host}, port {found.port}, {security}")
    print(f"  provider: {found.provider_id}; username: {found.username_hint}")
    print(f"  why: {found.why}")
    if found.needs_confirmation:
        print("  Check this before you use it: it points outside your domain.")


# ----------------------------------------------------------------------------- sandbox


def cmd_sandbox(args: argparse.Namespace, config_path: Path) -> int:
    """Run the practice server until Ctrl+C, printing each message as it arrives."""
    import shlex
    import signal
    import threading

    from tui.core.practice import PracticeServer

    with PracticeServer(fail=args.fail) as server:
        practice_config = save_settings(server.settings(), server.folder / "settings.toml")
        print("mailwiz practice server: running on this machine only. Ctrl+C stops it.\n")
        width = max(len(label) for label, _ in server.connection_rows())
        for label, value in server.connection_rows():
            print(f"  {label:<{width}}  {value}")
        command = (
            f"MAILWIZ_PASSWORD={shlex.quote(server.password)} "
            f"mailwiz test --config {shlex.quote(str(practice_config))}"
        )
        print(f"\nTry it from another terminal (your real settings are not touched):\n  {command}")
        print("\nMessages received:", flush=True)
        server.on_message(lambda message: print(f"  {message.summary()}", flush=True))
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # clean up on kill as on Ctrl+C
        try:
            stop.wait()
            print("\nPractice server stopped; its certificate and settings are deleted.")
        except KeyboardInterrupt:
            print("\nPractice server stopped; its certificate and settings are deleted.")
    return EXIT_OK
