"""What every transport shares: the stage recorder, the Stop exception, the whole-send
Deadline, and `stream_events`, which runs a send in its own task and relays its events.

A transport (SMTP today; the HTTP relay and the HTTP APIs next) is written like this:

    async def send_x(settings, outgoing) -> AsyncIterator[SendEvent]:
        redactor = Redactor(secrets=[api_key], username="")
        async for event in stream_events(lambda rec: _run(rec, settings), redactor):
            yield event

    async def _run(rec: StageRecorder, settings) -> Failure | None:
        deadline = Deadline(settings.http.timeout)
        async with deadline:                   # raises TimeoutError when it passes
            rec.begin("post")                  # StageStarted
            rec.line("->", "POST /email")      # TranscriptLine, cleaned by the Redactor
            rec.note("the server answered 202") # a "**" line
            rec.end("202 Accepted")            # StageEnded with its time, ok=True
            raise Stop(Failure(...))           # ends the send with this failure
        return None                            # success

`stream_events` catches Stop (and a bug: any other exception becomes an INTERNAL failure
naming the file and line), ends the open stage as failed, and always yields exactly one
SendFinished last. Everything the recorder emits is cleaned by its Redactor: redacted, then
escaped, then truncated (see tui.core.redact). Cancelling the consuming task, or closing
the generator, cancels the send's task and waits for it to close its connections.
"""

from __future__ import annotations

import asyncio
import errno
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType

from tui.core.events import (
    Direction,
    Failure,
    FailureKind,
    Reason,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.redact import Redactor

LINE_LIMIT = 1000  # characters of one transcript line
REPLY_LIMIT = 4000  # characters of a stage's reply (EHLO lists many lines)
FAILURE_REPLY_LIMIT = 1000  # characters of Failure.reply


class Stop(Exception):
    """End the send with this failure."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail or failure.kind.name)
        self.failure = failure


class Deadline:
    """The whole send's time limit, as one absolute moment on the event loop's clock.

    `async with deadline:` starts it (the first time) and raises TimeoutError when it passes;
    `remaining()` says how long is left; `cap(s)` gives a short side task at most `s` seconds
    and never more than what is left; `expired` says whether it was the deadline that fired.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.at: float | None = None
        self._timeout: asyncio.Timeout | None = None

    def start(self) -> None:
        if self.at is None:
            self.at = asyncio.get_running_loop().time() + self.seconds

    def remaining(self) -> float:
        if self.at is None:
            return self.seconds
        return self.at - asyncio.get_running_loop().time()

    def cap(self, seconds: float, margin: float = 0.2) -> float:
        return min(seconds, max(self.remaining() - margin, 0.01))

    @property
    def expired(self) -> bool:
        return self._timeout is not None and self._timeout.expired()

    async def __aenter__(self) -> Deadline:
        self.start()
        assert self.at is not None
        self._timeout = asyncio.timeout_at(self.at)
        await self._timeout.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._timeout is not None
        await self._timeout.__aexit__(kind, exc, tb)
        return None


class StageRecorder:
    """Emits a send's events, each cleaned by `redactor`, and keeps the stage clock.

    `stage` is the open stage (None between stages); `last_stage` the most recent one.
    """

    def __init__(self, emit: Callable[[SendEvent], None], redactor: Redactor) -> None:
        self._emit = emit
        self.redactor = redactor
        self.started = time.perf_counter()
        self.stage: str | None = None
        self.last_stage = ""
        self.target = ""
        self._stage_started = 0.0
        self.finished = False

    def begin(self, stage: str, target: str = "") -> None:
        """Start `stage` (ending an open one as ok). `target`: what it concerns when the
        stage repeats, e.g. the recipient of one `rcpt` stage."""
        if self.stage is not None:
            self.end()
        self.stage = self.last_stage = stage
        self.target = target
        self._stage_started = time.perf_counter()
        self._emit(StageStarted(stage, target=self.redactor.clean(target, LINE_LIMIT)))

    def end(self, reply: str = "", ok: bool = True) -> None:
        """End the open stage with the server's reply (no-op when none is open)."""
        if self.stage is None:
            return
        ms = round((time.perf_counter() - self._stage_started) * 1000, 1)
        reply = self.redactor.clean(reply, REPLY_LIMIT, multiline=True)
        target = self.redactor.clean(self.target, LINE_LIMIT)
        self._emit(StageEnded(self.stage, ok, ms, reply, target=target))
        self.stage = None
        self.target = ""

    def line(self, direction: Direction, text: str) -> None:
        """A transcript line: -> sent, <- received, ~> <~ inside TLS, ** a note."""
        self._emit(TranscriptLine(direction, self.redactor.clean(text, LINE_LIMIT)))

    def note(self, text: str) -> None:
        self.line("**", text)

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)

    def clean_failure(self, failure: Failure) -> Failure:
        clean = self.redactor.clean
        return failure._replace(
            reply=clean(failure.reply, FAILURE_REPLY_LIMIT, multiline=True),
            detail=clean(failure.detail, REPLY_LIMIT, multiline=True),
            location=clean(failure.location, LINE_LIMIT),
        )

    def finish(
        self,
        failure: Failure | None = None,
        reply: str = "",
        recipients: tuple[str, ...] = (),
    ) -> None:
        """The one SendFinished: ends an open stage as failed first."""
        if failure is not None:
            failure = self.clean_failure(failure)
            self.end(failure.reply, ok=False)
        self.finished = True
        self._emit(
            SendFinished(
                ok=failure is None,
                total_ms=self.elapsed_ms(),
                failure=failure,
                reply=self.redactor.clean(reply, REPLY_LIMIT, multiline=True),
                recipients=recipients if failure is None else (),
            )
        )


def describe_bug(exc: BaseException) -> str:
    """An internal error in one line: type, message, the file and line it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"internal error: {type(exc).__name__}: {exc}{where}"


Outcome = tuple[Failure | None, str, tuple[str, ...]] | Failure | None
"""What a send's work returns: None (sent), a Failure, or (failure, final reply, recipients)."""


async def stream_events(
    work: Callable[[StageRecorder], Awaitable[Outcome]],
    redactor: Redactor,
    name: str = "mailwiz-send",
) -> AsyncIterator[SendEvent]:
    """Run `work(recorder)` in its own task and yield what it records, then one SendFinished.

    `work` returns None (sent), a Failure, or (failure, final reply, recipients); it may
    raise Stop. The task is the unit the deadline and a cancel act on, so a slow consumer
    cannot stretch the deadline.
    """
    queue: asyncio.Queue[SendEvent | None] = asyncio.Queue()
    recorder = StageRecorder(queue.put_nowait, redactor)
    task = asyncio.create_task(_run(work, recorder), name=name)
    task.add_done_callback(lambda _task: queue.put_nowait(None))
    try:
        while True:
            event = await queue.get()
            if event is None:  # the task ended without a SendFinished: a bug
                yield _bug_finish(task, recorder)
                break
            yield event
            if isinstance(event, SendFinished):
                break
    finally:
        if not task.done():
            task.cancel()
            # asyncio.wait does not re-raise the task's CancelledError, so closing the
            # generator (GeneratorExit) stays clean.
            await asyncio.wait({task})


async def _run(work: Callable[[StageRecorder], Awaitable[Outcome]], rec: StageRecorder) -> None:
    reply = ""
    recipients: tuple[str, ...] = ()
    try:
        outcome = await work(rec)
    except Stop as stop:
        outcome = stop.failure
    except Exception as exc:  # a bug: report it, never the password
        outcome = Failure(
            FailureKind.INTERNAL, rec.stage or rec.last_stage, detail=describe_bug(exc)
        )
    if outcome is None or isinstance(outcome, Failure):  # a Failure is a NamedTuple too
        failure = outcome
    else:
        failure, reply, recipients = outcome
    rec.finish(failure, reply, recipients)


def _bug_finish(task: asyncio.Task[None], rec: StageRecorder) -> SendFinished:
    detail = "the send stopped without a result"
    if not task.cancelled() and task.exception() is not None:
        detail = describe_bug(task.exception() or Exception())
    failure = Failure(FailureKind.INTERNAL, rec.stage or rec.last_stage, detail=detail)
    return SendFinished(ok=False, total_ms=rec.elapsed_ms(), failure=rec.clean_failure(failure))


__all__ = [
    "Deadline",
    "StageRecorder",
    "Stop",
    "describe_bug",
    "stream_events",
]


def unreachable_reason(error: OSError) -> Reason | None:
    """No route at all (a network or host unreachable), as opposed to a refusal by the host."""
    return Reason.NETWORK_UNREACHABLE if error.errno in _UNREACHABLE else None


_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})
