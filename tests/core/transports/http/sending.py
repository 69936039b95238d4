"""Sending through the HTTP engine and reading its events: shared by this folder's tests."""

from __future__ import annotations

import socket
from typing import Any

from tests.relay_server import PDF
from tui.core.events import (
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.message import Attachment, Outgoing
from tui.core.settings import Settings
from tui.core.transports.http import send_http

OUT = Outgoing(
    to="customer@example.net",
    subject="Invoice 42 — ünïcode",
    text="Dear customer,\nplease find <the> invoice attached & paid.",
    attachments=(Attachment("Invoice 42 ü.pdf", "application/pdf", PDF),),
)


async def collect(
    settings: Settings, outgoing: Outgoing = OUT, **kw: Any
) -> tuple[list[SendEvent], SendFinished]:
    events = [event async for event in send_http(settings, outgoing, **kw)]
    finished = [e for e in events if isinstance(e, SendFinished)]
    assert len(finished) == 1 and events[-1] is finished[0]
    return events, finished[0]


def stages(events: list[SendEvent]) -> list[tuple[str, bool]]:
    return [(e.stage, e.ok) for e in events if isinstance(e, StageEnded)]


def started(events: list[SendEvent]) -> list[str]:
    return [e.stage for e in events if isinstance(e, StageStarted)]


def transcript(events: list[SendEvent]) -> list[str]:
    return [f"{e.direction} {e.text}" for e in events if isinstance(e, TranscriptLine)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
