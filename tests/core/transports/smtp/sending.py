"""Sending through the SMTP engine against the test servers and checking every event it
yields (well formed, no secret in any form): shared by this folder's tests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.leaks import leak_forms
from tests.servers import (
    PASSWORD,
    RECIPIENT,
    USERNAME,
)

# The server fixtures (tls_server, smtp_server, blackhole...) come from tests.servers,
# registered for every module by tests/conftest.py.
from tui.core.events import (
    Failure,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.message import Outgoing, test_outgoing
from tui.core.settings import Settings
from tui.core.transports.smtp.engine import send_smtp

COPY = "archive@example.com"
REPLY_TO = "replies@example.com"


@dataclass
class Result:
    events: list[SendEvent]

    @property
    def finished(self) -> SendFinished:
        last = self.events[-1]
        assert isinstance(last, SendFinished)
        return last

    @property
    def failure(self) -> Failure:
        assert self.finished.failure is not None, self.transcript
        return self.finished.failure

    @property
    def stages(self) -> list[tuple[str, bool]]:
        return [(e.stage, e.ok) for e in self.events if isinstance(e, StageEnded)]

    @property
    def lines(self) -> list[TranscriptLine]:
        return [e for e in self.events if isinstance(e, TranscriptLine)]

    @property
    def transcript(self) -> str:
        return "\n".join(f"{line.direction} {line.text}" for line in self.lines)

    def targets(self, stage: str) -> list[str]:
        started = [
            e.target for e in self.events if isinstance(e, StageStarted) and e.stage == stage
        ]
        ended = [e.target for e in self.events if isinstance(e, StageEnded) and e.stage == stage]
        assert started == ended
        return started

    def sent(self) -> list[str]:
        return [line.text for line in self.lines if line.direction in ("->", "~>")]


def check_events(events: list[SendEvent], password: str) -> None:
    """Exactly one SendFinished, last; every stage started is ended before the next one;
    a failed send ends its failing stage as failed; no form of the password anywhere."""
    finished = [e for e in events if isinstance(e, SendFinished)]
    assert len(finished) == 1 and events[-1] is finished[0]
    open_stage: str | None = None
    for event in events:
        if isinstance(event, StageStarted):
            assert open_stage is None, f"{event.stage} started inside {open_stage}"
            open_stage = event.stage
        elif isinstance(event, StageEnded):
            assert event.stage == open_stage
            assert event.ms >= 0
            open_stage = None
    assert open_stage is None
    outcome = finished[0]
    if not outcome.ok:
        assert outcome.failure is not None
        ended = [e for e in events if isinstance(e, StageEnded)]
        if ended and ended[-1].stage == outcome.failure.stage:
            assert not ended[-1].ok
    text = repr(events)
    for form in leak_forms(password, usernames=[USERNAME]):
        assert form not in text, f"secret form {form!r} leaked"


async def run(
    settings: Settings,
    password: str | None = PASSWORD,
    outgoing: Outgoing | None = None,
    **kwargs: str,
) -> Result:
    outgoing = outgoing or test_outgoing(settings, RECIPIENT, hostname="testhost")
    events = [e async for e in send_smtp(settings, password, outgoing, **kwargs)]
    check_events(events, password or "never-used-password")
    return Result(events)


def header_text(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
