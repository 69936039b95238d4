"""`mailwiz queue [--flush | --run]` (and `mailq`, `sendmail -q`): the system-mail queue.

Without options it lists queued, deferred and failed messages with their last error.
--flush tries every queued message now, ignoring the retry schedule (like postqueue -f),
and exits 75 (EX_TEMPFAIL) when some stay deferred;
--run is what the systemd timer / cron line runs: the drop folder, then what is due.
Exit codes are sysexits.h, like the sendmail entry's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.exits import SysExit
from tui.core.mta import places

if TYPE_CHECKING:
    from tui.core.mta.spool import Envelope, Folder


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """`queue`, and the help line of `sendmail` (whose own options bypass argparse: tui/cli.py
    hands `mailwiz sendmail ...` to tui.commands.sendmail before parsing)."""
    commands.add_parser(
        "sendmail",
        parents=parents,
        help="this machine's sendmail (see mailwiz sendmail --help)",
        description="Queue the message on standard input and send it (sendmail options).",
    )
    queue = commands.add_parser(
        "queue",
        parents=parents,
        help="the system-mail queue: list it, or deliver what is waiting",
        description="List the messages the sendmail entry has queued (queued, deferred, "
        "failed, with their last error), or deliver them now.",
    )
    what = queue.add_mutually_exclusive_group()
    what.add_argument(
        "--flush", action="store_true", help="try every queued message now, ignoring backoff"
    )
    what.add_argument(
        "--run",
        dest="due",
        action="store_true",
        help="deliver what is due (for the timer or cron)",
    )
    queue.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path | None) -> int:
    from tui.commands.sendmail import Stop

    explicit = Path(args.config).expanduser() if getattr(args, "config", None) else None
    try:
        if args.flush or args.due:
            return flush_queue(explicit, force=bool(args.flush), quiet=bool(args.due))
        return list_queue(places.spool_path(), explicit or places.settings_path())
    except Stop as stop:
        if args.due:  # the runner's own failure: where an admin looks for it
            from tui.core.mta import syslog

            syslog.trouble(stop.message)
        print(f"mailwiz: {stop.message}", file=sys.stderr)
        return int(stop.code)


def _clean(text: str) -> str:
    import unicodedata

    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in text)


def _when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment)) if moment else "-"


def sign_in_header(config_path: Path | None) -> None:
    """A sign-in that stopped working (or soon will) comes first: the reason and the fix."""
    if config_path is None:
        return
    from tui.core.settings import SettingsError, load_settings
    from tui.core.status import sign_in_notice

    try:
        settings = load_settings(config_path).settings
    except (SettingsError, OSError):
        return  # the queue is listed anyway; `mailwiz status` says what is wrong
    notice = sign_in_notice(settings, config_path)
    if notice:
        print(_clean_lines(notice) + "\n")


def _clean_lines(text: str) -> str:
    return "\n".join(_clean(line) for line in text.splitlines())


def list_queue(spool_path: Path, config_path: Path | None = None) -> int:
    from tui.commands.sendmail import Stop
    from tui.core.message import human_size
    from tui.core.mta.spool import Envelope, Spool

    sign_in_header(config_path)

    spool = Spool(spool_path)
    for folder in (spool.queue, spool.failed):
        if folder.exists() and not os.access(folder, os.R_OK | os.X_OK):
            raise Stop(SysExit.NOPERM, f"cannot read the queue {spool_path}: run this as root")
    rows: list[tuple[str, Envelope]] = []
    for name in ("queue", "failed"):
        where: Folder = "queue" if name == "queue" else "failed"
        for message_id in spool.ids(where):
            envelope = spool.envelope(message_id, where) or Envelope(
                message_id, [], 0.0, last_error="(its envelope file cannot be read)"
            )
            status = (
                "failed" if where == "failed" else ("deferred" if envelope.attempts else "queued")
            )
            rows.append((status, envelope))
    if not rows:
        print(f"The mail queue is empty ({spool_path}).")
        return int(SysExit.OK)
    counts = {
        s: sum(1 for status, _e in rows if status == s) for s in ("queued", "deferred", "failed")
    }
    print(
        f"Mail queue {spool_path}: {counts['queued']} queued, {counts['deferred']} deferred, "
        f"{counts['failed']} failed"
    )
    for status, envelope in rows:
        print(
            f"\n{envelope.id}  {status:<8}  {human_size(envelope.size):>10}  "
            f"{_when(envelope.created)}  from {_clean(envelope.user or '?')}"
        )
        print(f"    to: {_clean(', '.join(envelope.recipients) or '(none)')}")
        if envelope.subject:
            print(f"    subject: {_clean(envelope.subject)[:200]}")
        if envelope.last_error:
            print(f"    last error: {_clean(envelope.last_error)}")
        if status == "deferred":
            print(f"    attempts: {envelope.attempts}; next try {_when(envelope.next_try)}")
    return int(SysExit.OK)


def flush_queue(config_path: Path | None, force: bool, quiet: bool = False) -> int:
    """Deliver the queue (the drop folder first). --flush says what happened to each."""
    from tui.commands.sendmail import Stop, load_system
    from tui.core.mta.runner import FlushResult, flush
    from tui.core.mta.spool import Spool, SpoolError

    spool = Spool(places.spool_path())
    system = load_system(config_path or places.settings_path(), spool, need_password=True)
    if not places.is_system_spool(spool.root):
        try:
            spool.ensure()
        except SpoolError as error:
            raise Stop(SysExit.CANTCREAT, str(error.strerror)) from None
    if not spool.writable():
        raise Stop(SysExit.CANTCREAT, f"cannot write to the queue {spool.root} (run as root?)")
    import asyncio

    async def deliver() -> list[FlushResult]:
        from tui.core.credentials.health import MonitoredSource, keep_alive

        if isinstance(system.password, MonitoredSource):
            # Even with nothing to send: a sign-in refreshed daily never ends by inactivity.
            await keep_alive(system.password, system.config_path)
        return await flush(spool, system.settings, system.password, system.resolver(), force=force)

    results = asyncio.run(deliver())
    if results:
        from tui.core.credentials.health import note_send

        last = results[-1]
        note_send(system.config_path, last.outcome == "sent", last.attempt.error)
    if not quiet:
        for result in results:
            why = f": {_clean(result.attempt.error)}" if result.attempt.error else ""
            print(f"{result.id}  {result.outcome}{why}")
        if not results:
            print("Nothing to deliver.")
    if force and any(result.outcome == "deferred" for result in results):
        if not quiet:
            print(
                "Some messages stay deferred (see above): they are tried again on the retry "
                "schedule; mailwiz queue lists them.",
                file=sys.stderr,
            )
        return int(SysExit.TEMPFAIL)  # --flush did not empty the queue: 75, as sendmail -q
    return int(SysExit.OK)
