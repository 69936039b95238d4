"""The stage recorder every transport shares (tui.core.transports.stages): events cleaned
by the Redactor, exactly one SendFinished, Stop and bugs turned into failures, the open
stage ended as failed, and the Deadline."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.events import (
    Failure,
    FailureKind,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.keys import Key
from tui.core.redact import Redactor
from tui.core.transports.smtp.preflight import envelope_address
from tui.core.transports.stages import Deadline, Outcome, StageRecorder, Stop, stream_events

SECRET = "api-key-0123456789"


async def collect(work: object) -> list[SendEvent]:
    return [e async for e in stream_events(work, Redactor(secrets=[SECRET]))]  # type: ignore[arg-type]


async def test_a_send_that_stops_ends_its_open_stage_and_is_cleaned() -> None:
    async def work(rec: StageRecorder) -> Outcome:
        rec.begin("post", target="https://relay.example/x")
        rec.line("->", f"Authorization: Bearer {SECRET}\x1b[2J")
        raise Stop(Failure(FailureKind.HTTP, "post", reply=f"403 bad key {SECRET}"))

    events = await collect(work)
    started, line, ended, finished = events
    assert isinstance(started, StageStarted) and started.target == "https://relay.example/x"
    assert (
        isinstance(line, TranscriptLine) and line.text == "Authorization: Bearer [redacted]\\x1b[2J"
    )
    assert (
        isinstance(ended, StageEnded) and not ended.ok and ended.reply == "403 bad key [redacted]"
    )
    assert isinstance(finished, SendFinished) and finished.failure is not None
    assert SECRET not in repr(events)


async def test_a_bug_is_an_internal_failure_naming_where() -> None:
    async def work(rec: StageRecorder) -> Outcome:
        rec.begin("response")
        raise KeyError(SECRET)

    *_, finished = await collect(work)
    assert isinstance(finished, SendFinished) and finished.failure is not None
    assert finished.failure.kind == FailureKind.INTERNAL and finished.failure.stage == "response"
    assert "KeyError" in finished.failure.detail and "test_stages.py" in finished.failure.detail
    assert SECRET not in finished.failure.detail


async def test_success_carries_reply_and_recipients() -> None:
    async def work(rec: StageRecorder) -> Outcome:
        rec.begin("post")
        rec.end("202 Accepted")
        return None, "202 Accepted", ("a@example.com",)

    *_, finished = await collect(work)
    assert isinstance(finished, SendFinished) and finished.ok
    assert finished.recipients == ("a@example.com",) and finished.reply == "202 Accepted"


async def test_the_deadline_fires_and_says_so() -> None:
    deadline = Deadline(0.05)
    with pytest.raises(TimeoutError):
        async with deadline:
            await asyncio.sleep(1)
    assert deadline.expired and deadline.remaining() < 0
    assert deadline.cap(5) == 0.01


@given(address=st.text(max_size=60))
def test_envelope_addresses_are_accepted_or_refused_as_settings(address: str) -> None:
    try:
        checked = envelope_address(Key.RECIPIENT, address)
    except Stop as stop:
        assert stop.failure.field == Key.RECIPIENT and stop.failure.code is None
    else:
        assert "\r" not in checked.text and "\n" not in checked.text and checked.text
        assert checked.ascii is None or checked.ascii.isascii()
