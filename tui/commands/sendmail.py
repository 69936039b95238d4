"""`mailwiz sendmail` (also invoked as `sendmail`, and `mailq` = -bp): the system's mail.

Thin: it parses the command line, hands the message to the core's submit use case
(tui.core.mta.submit) and says what it returned. Exit codes follow sysexits.h, as cron,
PHP and mail(1) expect. Messages go to stderr; nothing is printed when all is well (cron
would mail it back).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tui.core.exits import SysExit

if TYPE_CHECKING:
    import argparse

    from tui.core.events import SendEvent
    from tui.core.mta import Invocation


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The help line of `sendmail` (its own options bypass argparse: tui/cli.py hands
    `mailwiz sendmail ...` to main() below before parsing)."""
    commands.add_parser(
        "sendmail",
        parents=parents,
        help="this machine's sendmail (see mailwiz sendmail --help)",
        description="Queue the message on standard input and send it (sendmail options).",
    )


def main(argv: Sequence[str], program: str = "sendmail") -> int:
    from tui.core.mta import MtaError, say

    for signum in (signal.SIGTERM, signal.SIGHUP):  # stopped mid-message: keep nothing
        signal.signal(signum, _interrupt)
    try:
        return run(list(argv), program)
    except MtaError as stop:
        print(f"{program}: {stop.message}", file=sys.stderr)
        return int(stop.code)
    except KeyboardInterrupt:
        print(f"{program}: {say('interrupted')}", file=sys.stderr)
        return int(SysExit.TEMPFAIL)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(argv: list[str], program: str) -> int:
    from tui.core.mta import (
        Invocation,
        MtaError,
        OptionsError,
        parse,
        say,
        spool_path,
        submit_message,
    )

    try:
        if program in ("mailq", "newaliases"):  # what Postfix's and sendmail's do
            invocation = Invocation(mode="list" if program == "mailq" else "initialize")
        else:
            invocation = parse(argv)
    except OptionsError as error:
        raise MtaError.of(SysExit.USAGE, "usage-error", error=error, program=program) from None
    if invocation.mode == "help":
        print(say("usage"))
        return int(SysExit.OK)
    if invocation.mode == "initialize":  # -bi, newaliases: the aliases are read each time
        return int(SysExit.OK)
    if invocation.mode in ("list", "flush"):
        from tui.commands import queue

        if invocation.mode == "list":
            from tui.core.mta import settings_path

            return queue.mailq(spool_path(), settings_path())
        return queue.flush_queue(None, force=True, quiet=not invocation.verbose)
    submitted = submit_message(invocation, sys.stdin.buffer, _printer(invocation))
    for note in submitted.notes:
        print(f"{program}: {note}", file=sys.stderr)
    if invocation.verbose:
        lines = submitted.verbose or (
            say("left-for-runner" if submitted.where == "drop" else "queued-as",
                id=submitted.id, folder=submitted.folder),
        )  # fmt: skip
        for line in lines:
            print(f"{program}: {line}", file=sys.stderr)
    return int(SysExit.OK)


def _printer(invocation: Invocation) -> Callable[[SendEvent], None] | None:
    """-v: each stage and the (already redacted) dialogue on stderr."""
    if not invocation.verbose:
        return None
    from tui.core.events import StageEnded, TranscriptLine

    def show(event: SendEvent) -> None:
        if isinstance(event, StageEnded):
            mark = "ok" if event.ok else "FAILED"
            print(f"  {mark:<6} {event.stage:<9} {event.ms:8.1f} ms", file=sys.stderr)
        elif isinstance(event, TranscriptLine):
            print(f"      {event.direction} {event.text}", file=sys.stderr)

    return show
