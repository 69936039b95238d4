"""The live state of one HTTP send, shared by its parts (preflight, request, classify,
probes): what is sent, to which host, through which recorder, under which deadline.

Every part reports through `start`/`end`/`note` (the shared StageRecorder, which redacts)
and ends the send by raising `fail(...)` (a Stop carrying the Failure).
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from tui.core.events import Direction, Failure, FailureKind
from tui.core.message import Outgoing
from tui.core.redact import Redactor
from tui.core.settings import Settings
from tui.core.transports.http.api import HttpApi
from tui.core.transports.stages import Deadline, StageRecorder, Stop


class HttpSession:
    """One send's state. `seen` holds the stages reported so far (and "response-headers");
    `streams` every TCP stream opened, closed again at the end."""

    def __init__(
        self,
        api: HttpApi,
        settings: Settings,
        outgoing: Outgoing,
        key: str | None,
        redactor: Redactor,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.api = api
        self.settings = settings
        self.outgoing = outgoing
        self.key = key
        self.redactor = redactor
        self.transport = transport
        self.verify = verify
        self.rec: StageRecorder | None = None
        self.deadline = Deadline(settings.http.timeout)
        self.seen: set[str] = set()
        self.secure = True
        self.host = ""
        self.port = 0
        self.streams: list[Any] = []
        self.what = api.facts.what  # "the relay", "the Postmark API"

    @property
    def recorder(self) -> StageRecorder:
        assert self.rec is not None, "used before the send started"
        return self.rec

    @property
    def stage(self) -> str:
        return self.recorder.stage or ""

    @property
    def where(self) -> str:
        """host:port, once the URL is known ("" before)."""
        return f"{self.host}:{self.port}" if self.host else ""

    def start(self, stage: str) -> None:
        self.seen.add(stage)
        self.recorder.begin(stage)

    def end(self, ok: bool, reply: str = "") -> None:
        self.recorder.end(reply, ok=ok)

    def note(self, direction: Direction, text: str) -> None:
        self.recorder.line(direction, text)

    def fail(self, kind: FailureKind, **kw: Any) -> Stop:
        rec = self.recorder
        return Stop(Failure(kind, rec.stage or rec.last_stage or "resolve", **kw))
