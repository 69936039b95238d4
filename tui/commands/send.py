"""`mailwiz send`: send a message with the saved settings (and the shared body of `test`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.commands.base import (
    NotReady,
    SubParsers,
    UsageError,
    load_or_explain,
    printable,
    require_valid,
    say,
)


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "send",
        parents=parents,
        help="send a message",
        description="Send a message with the saved settings, showing each stage; "
        "the exit code says how it failed (see the README).",
    )
    parser.add_argument("--to", metavar="ADDR", required=True, help="recipient")
    parser.add_argument("--subject", metavar="S", default="", help="subject line")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--body", metavar="TEXT", help="the message text")
    body.add_argument("--body-file", metavar="F", help="read the message text from F (- = stdin)")
    parser.add_argument(
        "--attach", metavar="FILE", action="append", default=[], help="attach a file (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--transcript", action="store_true", help="also print the SMTP dialogue")
    parser.set_defaults(run=run)


def build_message(args: argparse.Namespace, to: str) -> Any:
    from tui.core.message import Attachment, Outgoing
    from tui.core.settings import header_problem

    subject = args.subject or say("send.default-subject")
    if header_problem(subject):
        raise UsageError(say("send.subject-refused", problem=header_problem(subject)))
    text = read_body(args)
    attachments = []
    for name in args.attach:
        try:
            attachments.append(Attachment.from_path(Path(name)))
        except OSError as error:
            raise UsageError(
                say("send.attach-unreadable", name=name, error=error.strerror)
            ) from None
    return Outgoing(to=to, subject=subject, text=text, attachments=tuple(attachments))


def run(args: argparse.Namespace, config_path: Path) -> int:
    """`send`, and `test` with the test message: validate, find the password, send."""
    import asyncio

    from tui.commands.render import run_and_render
    from tui.core.message import test_outgoing
    from tui.core.settings import address_note, address_problem, goes_to_big_provider

    loaded = load_or_explain(config_path)
    settings = require_valid(loaded)
    to = (args.to or settings.from_address or settings.sender.reply_to).strip()
    problem = address_problem(to)
    if problem:
        raise UsageError(say("send.to-refused", to=printable(to), problem=problem))
    note = address_note(to)
    if note and goes_to_big_provider(settings):
        print(say("send.to-note", note=note), file=sys.stderr)
    outgoing = test_outgoing(settings, to) if args.command == "test" else build_message(args, to)

    from tui.core.credentials import NoCredential, credential_for

    try:  # the one choice: the sign-in, MAILWIZ_PASSWORD, or the store
        credential = credential_for(settings, loaded.path)
    except NoCredential as missing:
        if missing.kind == "unusable":
            raise UsageError(str(missing)) from None  # MAILWIZ_PASSWORD is set but unusable
        raise NotReady(str(missing)) from None
    if credential.warning:
        print(say("base.warning", warning=credential.warning), file=sys.stderr)
    return asyncio.run(
        run_and_render(
            settings, credential.secret, outgoing, args.json, args.transcript, loaded.path
        )
    )


def read_body(args: argparse.Namespace) -> str:
    if args.body is not None:
        return str(args.body)
    if args.body_file:
        if args.body_file == "-":
            return sys.stdin.read()
        try:
            return Path(args.body_file).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(
                say("send.body-file-error", name=args.body_file, error=error.strerror)
            ) from None
        except UnicodeDecodeError:
            raise UsageError(say("send.body-file-not-utf8", name=args.body_file)) from None
    return ""
