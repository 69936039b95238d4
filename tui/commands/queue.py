"""`mailwiz queue [--flush | --run | --delete ID | --hold ID | --requeue ID]` (and `mailq`,
`sendmail -q`): the system-mail queue.

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
from tui.core.mta import MtaError, is_system_spool, settings_path, spool_path
from tui.core.texts import Texts

if TYPE_CHECKING:
    from tui.core.mta import Action, Listing, Status

_say = Texts(__package__ or "tui.commands")  # tui/commands/texts.toml, [queue]


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """`queue` (the help line of `sendmail` is registered by tui.commands.sendmail)."""
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
    what.add_argument("--delete", metavar="ID", help="remove a message (queued, held or failed)")
    what.add_argument("--hold", metavar="ID", help="keep a queued message from being sent")
    what.add_argument("--requeue", metavar="ID", help="send a held or failed message again, now")
    queue.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path | None) -> int:

    explicit = Path(args.config).expanduser() if getattr(args, "config", None) else None
    try:
        if args.flush or args.due:
            return flush_queue(explicit, force=bool(args.flush), quiet=bool(args.due))
        actions: tuple[Action, ...] = ("delete", "hold", "requeue")
        for action in actions:
            if getattr(args, action, None):
                return administer_queue(action, getattr(args, action), explicit)
        return list_queue(spool_path(), explicit or settings_path())
    except MtaError as stop:
        if args.due:  # the runner's own failure: where an admin looks for it
            from tui.core.mta import trouble

            trouble(stop.message)
        print(f"mailwiz: {stop.message}", file=sys.stderr)
        return int(stop.code)


def _clean(text: str) -> str:
    import unicodedata

    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in text)


def _when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment)) if moment else "-"


def _listing(spool_path: Path) -> Listing:
    from tui.core.mta import Spool, Unreadable, read_listing

    try:
        return read_listing(Spool(spool_path))
    except Unreadable:
        raise MtaError.of(SysExit.NOPERM, "queue-unreadable", spool=spool_path) from None


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
        print("\n".join(_clean(line) for line in notice.splitlines()) + "\n")


def mailq(spool_path: Path, config_path: Path | None = None) -> int:
    """`mailq`, `sendmail -bp`: the waiting messages as sendmail and Postfix print them, so
    monitoring-plugins' check_mailq counts them with -M sendmail (the `Total Requests:`
    line) and with -M postfix (the last line). A sign-in problem is said first."""
    from tui.core.mta import commands, say

    sign_in_header(config_path)
    suggest = commands(config_path)
    found = _listing(spool_path)
    waiting = found.waiting
    if waiting:
        print(f"{spool_path} ({len(waiting)} request{'s' if len(waiting) != 1 else ''})")
        print("-----Q-ID---------------- --Size-- -----Q-Time----- ----Sender/Recipient----")
    for entry in waiting:
        when = time.strftime("%a %b %d %H:%M", time.localtime(entry.created))
        print(f"{entry.id:<25} {entry.size:>8} {when}  {_clean(entry.user or '?')}")
        if entry.private:
            detail = say("mailq-private")
        elif entry.status == "deferred":
            detail = _say("queue.mailq-deferred", error=_clean(entry.last_error)[:200])
        else:
            detail = say(f"mailq-{entry.status}", **suggest)
        print(f"      ({detail})")
        for recipient in entry.recipients:
            print(f"{'':41}<{_clean(recipient)}>")
    if found.failed:
        print(say("mailq-failed", count=len(found.failed), spool=spool_path, **suggest))
    if not found.drop_counted:
        print(say("mailq-drop-root-only"))
    if not waiting:
        print(_say("queue.mailq-empty"))
        return int(SysExit.OK)
    kbytes = -(-sum(e.size for e in waiting) // 1024)
    print(f"\t\tTotal Requests: {len(waiting)}")
    s = "s" if len(waiting) != 1 else ""
    print(_say("queue.mailq-total", kbytes=kbytes, count=len(waiting), s=s))
    return int(SysExit.OK)


def list_queue(spool_path: Path, config_path: Path | None = None) -> int:
    """`mailwiz queue`: every message with its state and last error, for a person; a
    sign-in problem first."""
    from tui.core.mta import say

    sign_in_header(config_path)
    from tui.core.message import human_size

    found = _listing(spool_path)
    if not found.entries:
        print(_say("queue.empty", spool=spool_path))
        return int(SysExit.OK)
    states: tuple[Status, ...] = ("queued", "deferred", "held", "dropped", "failed")
    counts = ", ".join(f"{found.count(s)} {s}" for s in states if found.count(s))
    print(_say("queue.summary", spool=spool_path, counts=counts))
    for entry in found.entries:
        print(
            f"\n{entry.id}  {entry.status:<8}  {human_size(entry.size):>10}  "
            f"{_when(entry.created)}  from {_clean(entry.user or '?')}"
        )
        if entry.private:
            print(say("queue-private"))
            continue
        to = ", ".join(entry.recipients) or _say("queue.no-recipients")
        print(_say("queue.to", to=_clean(to)))
        if entry.subject:
            print(_say("queue.subject", subject=_clean(entry.subject)[:200]))
        if entry.last_error:
            print(_say("queue.last-error", error=_clean(entry.last_error)))
        if entry.status == "deferred":
            print(_say("queue.attempts", attempts=entry.attempts, next=_when(entry.next_try)))
    if not found.drop_counted:
        print("\n" + say("queue-drop-root-only"))
    return int(SysExit.OK)


def administer_queue(action: Action, message_id: str, config_path: Path | None = None) -> int:
    """--delete, --hold, --requeue ID (root, for the system queue)."""
    from tui.core.mta import AdminRefused, Spool, administer

    spool = Spool(spool_path())
    if not spool.writable():
        raise MtaError.of(SysExit.NOPERM, "admin-not-root", spool=spool.root)
    try:
        print(administer(spool, action, message_id, config_path))
    except AdminRefused as refused:
        raise MtaError(SysExit.USAGE, str(refused)) from None
    return int(SysExit.OK)


def flush_queue(config_path: Path | None, force: bool, quiet: bool = False) -> int:
    """Deliver the queue (the drop folder first). --flush says what happened to each."""
    from tui.core.mta import FlushResult, Spool, SpoolError, commands, flush, load_system, say

    spool = Spool(spool_path())
    system = load_system(config_path or settings_path(), spool, need_password=True)
    try:
        spool.check_owner()
        # The system's queue as root: its folders' modes brought up to date (a monitoring
        # user may list queue/ since this version); anyone else's: created if missing.
        system_spool = is_system_spool(spool.root)
        if not system_spool or os.geteuid() == 0:
            spool.ensure(system=system_spool)
    except SpoolError as error:
        raise MtaError(SysExit.CANTCREAT, str(error.strerror)) from None
    if not spool.writable():
        raise MtaError(SysExit.CANTCREAT, _say("queue.cannot-write", spool=spool.root))
    import asyncio

    async def deliver() -> list[FlushResult]:
        from tui.core.credentials import MonitoredSource, keep_alive

        if isinstance(system.password, MonitoredSource):
            # Even with nothing to send: a sign-in refreshed daily never ends by inactivity.
            await keep_alive(system.password, system.config_path)
        return await flush(spool, system.settings, system.password, system.resolver(), force=force)

    results = asyncio.run(deliver())
    if results:
        from tui.core.credentials import note_send

        last = results[-1]
        note_send(system.config_path, last.outcome == "sent", last.attempt.error)
    if not quiet:
        for result in results:
            why = f": {_clean(result.attempt.error)}" if result.attempt.error else ""
            print(f"{result.id}  {result.outcome}{why}")
        if not results:
            print(_say("queue.nothing-to-deliver"))
    if force and any(result.outcome == "deferred" for result in results):
        if not quiet:
            print(say("flush-deferred", **commands(config_path)), file=sys.stderr)
        return int(SysExit.TEMPFAIL)  # --flush did not empty the queue: 75, as sendmail -q
    return int(SysExit.OK)
