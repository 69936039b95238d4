"""Submit: how a message handed to this machine's sendmail is taken in, once, for every
front end (`mailwiz sendmail`, a `sendmail` link, tests, scripts).

    submit_message(invocation, stream) -> Submitted     or raises MtaError (a sysexits code)

1. Read the header block; the body is read as it is written to the queue (or the drop
   folder), so memory does not grow with the message. A cut-off message (its caller died)
   or one over the limit is refused, never queued.
2. A caller who may not read the settings leaves it in the drop folder for the runner;
   settings that cannot be used (missing, invalid) never lose it either: it waits in the
   drop folder, the caller is told why, and it goes out once they are fixed.
3. Prepare it (tui.core.mta.rewrite); recipients that fail the envelope checks are
   refused at once (kept in failed/ with the reason), never deferred.
4. Queue it (tui.core.mta.spool), then deliver it in a detached background process: the
   caller never waits for the relay (-odq: queue only; -v: deliver now, showing the
   dialogue). `--no-queue` sends now or fails and keeps nothing.
Only what queueing needs is imported here; the delivery engine is loaded by the background
process, by -v and by --no-queue.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, NamedTuple

from tui.core.exits import SysExit
from tui.core.mta import places
from tui.core.mta.errors import MtaError
from tui.core.mta.ingest import fail_refused, queue, split_refused
from tui.core.mta.local import UnknownLocalName
from tui.core.mta.options import Invocation, OptionsError, parse, to_record
from tui.core.mta.places import spool_path
from tui.core.mta.reading import Reader
from tui.core.mta.rewrite import Head, MessageProblem, Prepared, prepare_head
from tui.core.mta.spool import Envelope, Held, Spool, SpoolError, new_id
from tui.core.mta.system import System, load_password, read_settings
from tui.core.mta.texts import commands, say

if TYPE_CHECKING:
    from tui.core.events import SendEvent

# The sendmail front end's whole view of the core: parse its command line, submit, say.
__all__ = [
    "Invocation",
    "MtaError",
    "OptionsError",
    "Submitted",
    "parse",
    "say",
    "spool_path",
    "submit_message",
]

OnEvent = Callable[["SendEvent"], None]
Where = Literal["queue", "drop", "sent"]


class Submitted(NamedTuple):
    """Where the message went: queued (and being delivered unless -odq), left in the drop
    folder for the runner, or sent (--no-queue, -v). `notes` are for the caller's stderr
    (why it waits; recipients refused at once); `verbose` lines only with -v."""

    where: Where
    id: str
    folder: Path
    notes: tuple[str, ...] = ()
    verbose: tuple[str, ...] = ()


def submit_message(
    invocation: Invocation, stream: BinaryIO, on_event: OnEvent | None = None
) -> Submitted:
    """Take the message on `stream` in. Raises MtaError with the sysexits code."""
    message = Incoming(invocation, stream)
    try:
        return _submit(invocation, message, on_event)
    except MtaError:
        message.drain()  # the caller may still be writing: let it finish, then tell it
        raise


def _submit(invocation: Invocation, message: Incoming, on_event: OnEvent | None) -> Submitted:
    config_path = places.settings_path()
    spool = Spool(places.spool_path())
    if os.path.lexists(config_path) and not os.access(config_path, os.R_OK):
        if invocation.no_queue:
            raise MtaError.of(SysExit.NOPERM, "no-queue-unreadable", path=config_path)
        return leave_in_drop(spool, invocation, message, config_path)
    try:
        settings = read_settings(config_path)
    except MtaError as broken:
        if invocation.no_queue:
            raise MtaError.of(broken.code, "no-queue-broken", reason=broken.message) from None
        return keep_until_fixed(spool, invocation, message, config_path, broken)
    system = System(settings, config_path, spool)
    head, refused = split_refused(prepare_or_refuse(message.head, invocation, system))
    if invocation.no_queue or refused:  # the whole message, in memory
        prepared = Prepared(head.recipients, head.data + message.whole_body(), head.subject)
        if invocation.no_queue:
            if refused:
                raise MtaError(SysExit.DATAERR, refused[0][1])
            return send_now(system, prepared, invocation, on_event)
        return _queue_refused(system, prepared, invocation, refused)
    if not spool_ready(spool):
        return leave_in_drop(spool, invocation, message, config_path)
    held = queue(spool, head, invocation, os.getuid(), message.prepared_chunks(head))
    if invocation.verbose:
        return deliver_now(held, system, on_event)
    if invocation.delivery == "queue":
        held.release()
    else:
        deliver_in_background(held, system)
    return Submitted("queue", held.id, spool.queue)


def _queue_refused(
    system: System, prepared: Prepared, invocation: Invocation, refused: list[tuple[str, str]]
) -> Submitted:
    """Some recipients refused by the envelope checks: failed/ at once for them, queued for
    the others; the caller hears about the refused ones (exit 65)."""
    spool = system.spool
    if not spool_ready(spool):
        raise MtaError(SysExit.DATAERR, refused[0][1])
    notes = _refuse_now(spool, prepared, invocation, refused)
    if not prepared.recipients:
        raise MtaError(SysExit.DATAERR, "; ".join(notes))
    held = queue(spool, prepared, invocation, os.getuid())
    held_id = held.id
    deliver_in_background(held, system)
    rest = say("bad-recipients-rest", refused="; ".join(notes))
    raise MtaError(SysExit.DATAERR, f"{rest} ({held_id} in {spool.queue})")


# ------------------------------------------------------------------------- reading


class Incoming:
    """The caller's message: its header block read at once, its body read as it is
    written to the queue (never held whole, unless --no-queue needs it so). A caller that
    died mid-message (its pipe closed early, we were left to init) leaves a cut-off
    message: refused, never queued."""

    def __init__(self, invocation: Invocation, stream: BinaryIO) -> None:
        self.stream = stream
        self.parent = os.getppid()
        self.reader = Reader(stream, invocation.ignore_dots)
        self.head = self._guarded(self.reader.head)

    def _guarded(self, read: Callable[[], bytes]) -> bytes:
        try:
            return read()
        except MessageProblem as problem:
            raise MtaError.of(SysExit.DATAERR, "nothing-queued", problem=problem) from None

    def body(self) -> Iterator[bytes]:
        """The body in chunks (CRLF); MtaError at its end when the caller died mid-way."""
        chunks = self.reader.body()
        while chunk := self._guarded(lambda: next(chunks, b"")):
            yield chunk
        cut = self.reader.last != b"\n" and self.parent != 1
        if cut and _is_pipe(self.stream) and _caller_gone(self.parent):
            raise MtaError.of(SysExit.DATAERR, "caller-gone")

    def raw_chunks(self) -> Iterator[bytes]:
        """The message for the drop folder: the header block as written, then the body."""
        yield self.head + b"\n"
        yield from self.body()

    def prepared_chunks(self, head: Head) -> Iterator[bytes]:
        yield head.data
        yield from self.body()

    def whole_body(self) -> bytes:
        return b"".join(self.body())

    def drain(self) -> None:
        with contextlib.suppress(MtaError, OSError):
            for _chunk in self.body():
                pass


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


# ----------------------------------------------------------------------- preparing


def prepare_or_refuse(head: bytes, invocation: Invocation, system: System) -> Head:
    try:
        return prepare_head(head, invocation, system.settings, system.resolver())
    except MessageProblem as problem:
        raise MtaError.of(SysExit.DATAERR, "nothing-queued", problem=problem) from None
    except UnknownLocalName as unknown:
        raise MtaError.of(
            SysExit.NOUSER, "unknown-local-name", name=unknown.name, path=system.config_path
        ) from None


# ------------------------------------------------------------------------ queueing


def _refuse_now(
    spool: Spool, prepared: Prepared, invocation: Invocation, refused: list[tuple[str, str]]
) -> list[str]:
    """Recipients the envelope checks refuse: failed/ at once, and a sentence each."""
    entries = fail_refused(spool, prepared, invocation, os.getuid(), refused)
    return [
        say(
            "bad-recipient",
            address=envelope.recipients[0],
            problem=problem,
            folder=spool.failed,
            id=envelope.id,
        )
        for envelope, (_address, problem) in zip(entries, refused, strict=True)
    ]


def spool_ready(spool: Spool) -> bool:
    """Whether this caller can queue directly (else: the drop folder, if there is one)."""
    if places.is_system_spool(spool.root):
        return spool.writable()
    try:
        spool.ensure()
    except SpoolError as error:
        raise MtaError.of(SysExit.CANTCREAT, "not-queued", error=error.strerror) from None
    return True


def leave_in_drop(
    spool: Spool, invocation: Invocation, message: Incoming, config_path: Path
) -> Submitted:
    """A caller who may not read the settings (PHP as www-data): the runner delivers it."""
    if not places.is_system_spool(spool.root):
        raise MtaError.of(
            SysExit.CONFIG, "no-system-queue", path=config_path, **commands(config_path)
        )
    message_id = _drop(spool, invocation, message)
    return Submitted("drop", message_id, spool.drop)


def keep_until_fixed(
    spool: Spool, invocation: Invocation, message: Incoming, config_path: Path, broken: MtaError
) -> Submitted:
    """Settings that cannot be used: the message waits in the drop folder (the system's,
    or the caller's own spool's) and the caller is told why."""
    if not places.is_system_spool(spool.root):
        spool_ready(spool)
    message_id = _drop(spool, invocation, message)
    note = say("kept-for-settings", reason=broken.message, id=message_id, **commands(config_path))
    return Submitted("drop", message_id, spool.drop, notes=(note,))


def _drop(spool: Spool, invocation: Invocation, message: Incoming) -> str:
    try:
        return spool.drop_add(to_record(invocation, time.time()), message.raw_chunks())
    except SpoolError as error:
        raise MtaError.of(SysExit.CANTCREAT, "not-queued", error=error.strerror) from None


# ---------------------------------------------------------------------- delivering


def deliver_in_background(held: Held, system: System) -> None:
    """Hand the held message to a detached child that delivers it; return at once. The
    child inherits the lock (flock belongs to the open file), so no flush takes the message
    meanwhile; it closes every descriptor it was given (stdin, stdout, stderr and any
    other), so a caller reading our output to its end (cron, PHP's popen) does not wait
    for it either."""
    try:
        pid = os.fork()
    except OSError:
        held.release()  # the runner delivers it
        return
    if pid:
        held.release()  # the child's copy of the descriptor keeps the lock
        return
    code = 0
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        # Any other descriptor the caller handed down (a pipe it reads to its end) too;
        # only the held message's stays.
        os.closerange(3, held.fd)
        os.closerange(held.fd + 1, 65536)
        _deliver_detached(held, system)
    except BaseException:  # a detached child has nobody to tell: the message stays queued
        code = 1
    finally:
        os._exit(code)


def _deliver_detached(held: Held, system: System) -> None:
    import asyncio

    from tui.core.credentials.health import note_send
    from tui.core.mta.runner import deliver_held

    password = load_password(system.settings, system.config_path)
    outcome, result = asyncio.run(deliver_held(held, system.settings, password))
    note_send(system.config_path, outcome == "sent", result.error)


def deliver_now(held: Held, system: System, on_event: OnEvent | None) -> Submitted:
    """-v: the first attempt now, its dialogue shown; the outcome is the exit code."""
    import asyncio

    from tui.core.mta.runner import deliver_held

    password = load_password(system.settings, system.config_path)
    queued = say("queued-as", id=held.id, folder=system.spool.queue)
    outcome, result = asyncio.run(deliver_held(held, system.settings, password, on_event))
    from tui.core.credentials.health import note_send

    note_send(system.config_path, outcome == "sent", result.error)
    spool = system.spool
    if outcome == "failed" and result.refused_recipients:
        raise MtaError.of(
            SysExit.UNAVAILABLE,
            "sent-except",
            refused=result.refused,
            error=result.error,
            folder=spool.failed,
            **commands(system.config_path),
        )
    if outcome == "failed":
        raise MtaError.of(
            SysExit.UNAVAILABLE,
            "refused-for",
            refused=result.refused,
            error=result.error,
            folder=spool.failed,
            id=held.id,
            **commands(system.config_path),
        )
    said = say("outcome", outcome=outcome, error=f": {result.error}" if result.error else "")
    return Submitted("queue", held.id, spool.queue, verbose=(queued, said))


def send_now(
    system: System, prepared: Prepared, invocation: Invocation, on_event: OnEvent | None
) -> Submitted:
    """--no-queue: one attempt, nothing kept; the outcome is the exit code."""
    import asyncio

    from tui.core.events import FailureKind
    from tui.core.mta.runner import attempt

    password = load_password(system.settings, system.config_path)
    # An id of its own: an API's idempotency key is made from it (runner.send_id), and two
    # messages sent this way must never share one (the second would be dropped as a retry).
    envelope = Envelope(
        f"direct-{new_id()}", list(prepared.recipients), 0.0, subject=prepared.subject
    )
    result = asyncio.run(attempt(system.settings, password, prepared.data, envelope, on_event))
    if result.outcome == "sent":
        return Submitted("sent", "direct", system.spool.root)
    if result.outcome == "failed":
        raise MtaError.of(
            SysExit.UNAVAILABLE, "refused-direct", refused=result.refused, error=result.error
        )
    auth = result.failure is not None and result.failure.kind == FailureKind.AUTH
    code = SysExit.NOPERM if auth else SysExit.TEMPFAIL
    raise MtaError.of(code, "try-later", error=result.error)
