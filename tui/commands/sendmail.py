"""`mailwiz sendmail` (also invoked as `sendmail`, and `mailq` = -bp): the system's mail.

Exit codes follow sysexits.h (tui.core.exits.SysExit), as cron, PHP and mail(1) expect.
Messages to the caller go to stderr and say what happened and what to do; nothing is
printed when all is well (cron would mail it back).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tui.core.events import FailureKind, SendEvent, StageEnded, TranscriptLine
from tui.core.exits import SysExit
from tui.core.mta import places
from tui.core.mta.local import Resolver, UnknownLocalName, local_domains
from tui.core.mta.options import Invocation, OptionsError, parse
from tui.core.mta.rewrite import MessageProblem, Prepared, prepare, read_input
from tui.core.mta.spool import Envelope, Spool, SpoolError
from tui.core.settings import Settings, SettingsError, errors, load_settings

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource

USAGE = """\
usage: sendmail [-t] [-i] [-f sender] [-F name] [-v] [--no-queue] [--] [recipient ...]
       sendmail -bp | mailq          list the queue
       sendmail -q                   deliver the queue now
mailwiz's sendmail: the message on standard input is queued safely, then sent with
mailwiz's settings ($MAILWIZ_CONFIG, /etc/mailwiz/settings.toml, or yours)."""


class Stop(Exception):
    """End with this sysexits code and one message line (printed to stderr)."""

    def __init__(self, code: SysExit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class System:
    """The settings and spool a sendmail run uses."""

    settings: Settings
    config_path: Path
    spool: Spool
    password: str | TokenSource | None  # the credential (tui.core.credentials.choose)

    def resolver(self) -> Resolver:
        return Resolver(self.settings.local, local_domains())


def main(argv: Sequence[str], program: str = "sendmail") -> int:
    try:
        return run(list(argv), program)
    except Stop as stop:
        print(f"{program}: {stop.message}", file=sys.stderr)
        return int(stop.code)
    except KeyboardInterrupt:
        print(f"{program}: interrupted; nothing was queued that was not complete", file=sys.stderr)
        return int(SysExit.TEMPFAIL)


def run(argv: list[str], program: str) -> int:
    try:
        if program in ("mailq", "newaliases"):  # what Postfix's and sendmail's do
            invocation = Invocation(mode="list" if program == "mailq" else "initialize")
        else:
            invocation = parse(argv)
    except OptionsError as error:
        raise Stop(SysExit.USAGE, f"{error} (see {program} --help)") from None
    if invocation.mode == "help":
        print(USAGE)
        return int(SysExit.OK)
    if invocation.mode == "initialize":  # -bi, newaliases: the aliases are read each time
        return int(SysExit.OK)
    from tui.commands import queue

    if invocation.mode == "list":
        return queue.list_queue(places.spool_path())
    if invocation.mode == "flush":
        return queue.flush_queue(None, force=True, quiet=not invocation.verbose)
    return deliver(invocation, sys.stdin.buffer)


# ---------------------------------------------------------------------------- -bm


def deliver(invocation: Invocation, stream: BinaryIO) -> int:
    data = read_whole_message(invocation, stream)
    config_path = places.settings_path()
    spool = Spool(places.spool_path())
    if os.path.lexists(config_path) and not os.access(config_path, os.R_OK):
        return leave_in_drop(spool, invocation, data, config_path)
    system = load_system(config_path, spool, need_password=True)
    try:
        prepared = _prepare(data, invocation, system)
    except UnknownLocalName as unknown:
        raise Stop(
            SysExit.NOUSER,
            f"{unknown.name!r} is a local name with no alias, and there is no [local] admin "
            f'address in {config_path} to send it to. Add admin = "you@example.com" there.',
        ) from None
    if invocation.no_queue:
        return send_without_queue(system, prepared, invocation)
    if not _spool_ready(spool):
        return leave_in_drop(spool, invocation, data, config_path)
    from tui.core.mta.runner import deliver_held, submit

    try:
        held = submit(spool, prepared, invocation)
    except SpoolError as error:
        raise Stop(SysExit.CANTCREAT, f"{error.strerror}; the message was NOT queued") from None
    if invocation.verbose:
        print(f"{program_name()}: queued as {held.id} in {spool.queue}", file=sys.stderr)
    outcome, result = asyncio.run(
        deliver_held(held, system.settings, system.password, _printer(invocation))
    )
    if outcome == "failed" and result.refused_recipients:
        raise Stop(
            SysExit.UNAVAILABLE,
            f"sent, except to {result.refused}, refused: {result.error}. A copy for them is "
            f"kept in {spool.failed}; see mailwiz queue.",
        )
    if outcome == "failed":
        raise Stop(
            SysExit.UNAVAILABLE,
            f"refused for {result.refused}: {result.error}. The message is kept in "
            f"{spool.failed} ({held.id}); see mailwiz queue.",
        )
    if invocation.verbose:
        print(
            f"{program_name()}: {outcome}{': ' + result.error if result.error else ''}",
            file=sys.stderr,
        )
    return int(SysExit.OK)


def program_name() -> str:
    return Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "sendmail"


def read_whole_message(invocation: Invocation, stream: BinaryIO) -> bytes:
    """The message to its end. A caller that died mid-message (its pipe closed early and
    we were left to init) leaves a cut-off message: refused, never queued."""
    parent = os.getppid()
    try:
        data = read_input(stream, invocation.ignore_dots)
    except MessageProblem as problem:
        raise Stop(SysExit.DATAERR, f"{problem}; nothing was queued") from None
    cut = not data.endswith(b"\n") and parent != 1 and _is_pipe(stream)
    if cut and _caller_gone(parent):
        raise Stop(
            SysExit.DATAERR,
            "the program sending this message stopped before its end; nothing was queued",
        )
    return data


_PF_EXITING = 0x4  # include/linux/sched.h: set before a dying process's files are closed


def _caller_gone(parent: int) -> bool:
    """Whether the process that started us died (or is dying). Its pipe reaches EOF while
    it exits, before we are given to init, so also look at its state in /proc."""
    if os.getppid() != parent:
        return True
    try:
        fields = Path(f"/proc/{parent}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] in ("Z", "X", "x") or bool(int(fields[6]) & _PF_EXITING)
    except FileNotFoundError:
        return Path("/proc/self").exists()  # no such process any more (if /proc is there)
    except (OSError, IndexError, ValueError):
        return False


def _is_pipe(stream: BinaryIO) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def load_system(config_path: Path, spool: Spool, need_password: bool) -> System:
    """The settings (exit 78 when missing or invalid) and, when needed, the password."""
    try:
        loaded = load_settings(config_path)
    except SettingsError as error:
        raise Stop(SysExit.CONFIG, f"{error} (settings: $MAILWIZ_CONFIG or --config)") from None
    problems = errors(loaded.settings)
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Stop(
            SysExit.CONFIG,
            f"{config_path}: {first.field}: {first.message}{more} Run mailwiz to fix it.",
        )
    password: str | TokenSource | None = None
    if need_password:
        from tui.core.credentials.choose import NoCredential, credential_for

        # The same choice as `mailwiz test`: the sign-in of `mailwiz login`, MAILWIZ_PASSWORD
        # or the store. None: the message is queued, and the attempt says what is missing.
        with contextlib.suppress(NoCredential):
            password = credential_for(loaded.settings, config_path).secret
    return System(loaded.settings, config_path, spool, password)


def _prepare(data: bytes, invocation: Invocation, system: System) -> Prepared:
    try:
        return prepare(data, invocation, system.settings, system.resolver())
    except MessageProblem as problem:
        raise Stop(SysExit.DATAERR, f"{problem}; nothing was queued") from None


def _spool_ready(spool: Spool) -> bool:
    """Whether this caller can queue directly (else: the drop folder, if there is one)."""
    if places.is_system_spool(spool.root):
        return spool.writable()
    try:
        spool.ensure()
    except SpoolError as error:
        raise Stop(SysExit.CANTCREAT, f"{error.strerror}; the message was NOT queued") from None
    return True


def leave_in_drop(spool: Spool, invocation: Invocation, data: bytes, config_path: Path) -> int:
    """A caller who may not read the settings (PHP as www-data): the runner delivers it."""
    from tui.core.mta.runner import drop_header

    if not places.is_system_spool(spool.root):
        raise Stop(
            SysExit.CONFIG,
            f"cannot read the settings {config_path}, and there is no system queue to leave "
            "the message in. Run mailwiz install-mta as root, or send as a user who can.",
        )
    try:
        message_id = spool.drop_add(drop_header(invocation), data)
    except SpoolError as error:
        raise Stop(SysExit.CANTCREAT, f"{error.strerror}; the message was NOT queued") from None
    if invocation.verbose:
        print(f"{program_name()}: left for the queue runner as {message_id}", file=sys.stderr)
    return int(SysExit.OK)


def send_without_queue(system: System, prepared: Prepared, invocation: Invocation) -> int:
    """--no-queue: one attempt, nothing kept; the outcome is the exit code."""
    from tui.core.mta.runner import attempt

    envelope = Envelope("direct", list(prepared.recipients), 0.0, subject=prepared.subject)
    result = asyncio.run(
        attempt(system.settings, system.password, prepared.data, envelope, _printer(invocation))
    )
    if result.outcome == "sent":
        return int(SysExit.OK)
    if result.outcome == "failed":
        raise Stop(SysExit.UNAVAILABLE, f"refused for {result.refused}: {result.error}")
    auth = result.failure is not None and result.failure.kind == FailureKind.AUTH
    code = SysExit.NOPERM if auth else SysExit.TEMPFAIL
    raise Stop(code, f"not sent, try again later: {result.error}")


def _printer(invocation: Invocation) -> Callable[[SendEvent], None] | None:
    """-v: each stage and the (already redacted) dialogue on stderr."""
    if not invocation.verbose:
        return None

    def show(event: SendEvent) -> None:
        if isinstance(event, StageEnded):
            mark = "ok" if event.ok else "FAILED"
            print(f"  {mark:<6} {event.stage:<9} {event.ms:8.1f} ms", file=sys.stderr)
        elif isinstance(event, TranscriptLine):
            print(f"      {event.direction} {event.text}", file=sys.stderr)

    return show
