"""One SMTP send's live state: the connection, the recorder, the deadline, TLS or not.

Every stage step (network.py, dialogue.py) and every probe works on a Session. Lines sent
and received go to the transcript with their direction (-> <- in clear, ~> <~ in TLS);
the recorder redacts and escapes them.
"""

from __future__ import annotations

from typing import NamedTuple

from tui.core.events import Direction
from tui.core.keys import Key
from tui.core.settings import Settings
from tui.core.transports.smtp.classify import refusal
from tui.core.transports.smtp.connection import Connection
from tui.core.transports.smtp.reply import Reply, ReplyParser
from tui.core.transports.stages import Deadline, StageRecorder, Stop


class Target(NamedTuple):
    """Where the send goes: the host as configured, then the address connected to."""

    host: str
    port: int
    family: int = 0
    sockaddr: tuple[object, ...] = ()
    ip: str = ""


class Session:
    def __init__(self, settings: Settings, rec: StageRecorder, deadline: Deadline) -> None:
        self.settings = settings
        self.rec = rec
        self.deadline = deadline
        self.conn: Connection | None = None
        self.tls = False
        self.target = Target(settings.smtp.host.strip(), settings.smtp.port)
        self.accepted: Reply | None = None  # the DATA acceptance, once the message is sent
        self.recipients: tuple[str, ...] = ()

    @property
    def security(self) -> str:
        return self.settings.smtp.security

    def note(self, text: str) -> None:
        self.rec.note(text)

    def direction(self, sent: bool) -> Direction:
        if self.tls:
            return "~>" if sent else "<~"
        return "->" if sent else "<-"

    async def send_line(self, text: str, shown: str | None = None) -> None:
        """Send one command; the transcript shows `shown` instead when given (secrets)."""
        assert self.conn is not None
        self.rec.line(self.direction(sent=True), text if shown is None else shown)
        await self.conn.write(text.encode("utf-8") + b"\r\n")

    async def read_reply(self) -> Reply:
        assert self.conn is not None
        parser = ReplyParser()
        while True:
            raw = await self.conn.read_line()
            text = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            self.rec.line(self.direction(sent=False), text)
            reply = parser.feed(text)
            if reply is not None:
                return reply

    def expect(
        self,
        reply: Reply,
        *codes: int,
        detail: str = "",
        location: str = "",
        field: Key | None = None,
    ) -> None:
        """Return when the reply is one of `codes`; else stop the send with its failure."""
        if reply.code in codes:
            return
        stage = self.rec.stage
        assert stage is not None
        raise Stop(refusal(stage, reply, codes, detail=detail, location=location, field=field))

    def abort(self) -> None:
        if self.conn is not None:
            self.conn.abort()
