"""The staged SMTP send: one deadline, live events, a redacted transcript.

`send_smtp(settings, secret, outgoing)` is an async generator of `tui.core.events`: for
every stage that applies (token, resolve, connect, tls, greeting, ehlo, starttls, ehlo,
auth, mail, rcpt per recipient, data, quit) a StageStarted, the TranscriptLines exchanged,
and a StageEnded with its time and the server's reply; then exactly one SendFinished.
`secret` is the password (str), None (no login, or none available), or a TokenSource
(OAuth 2.0: XOAUTH2, or OAUTHBEARER where only that is offered). Network and protocol
problems never raise: they end the send with a Failure (see tui.core.exits for its exit
code). Cancelling the consuming task (or closing the generator) ends the send at once and
closes the socket; CancelledError propagates.

Why our own small client instead of driving aiosmtplib: `aiosmtplib.SMTP.connect()` does
the name lookup, the TCP connection, the TLS handshake and the greeting in one call, and
only hands back parsed replies. Then `resolve`, `connect`, `tls` and `greeting` could not be
timed or reported separately, an OSError or certificate error arrives re-wrapped, and the
transcript would be reconstructed rather than the lines actually exchanged. The dialogue a
test send needs is small (RFC 5321/3207/4954), so it is written on an asyncio Protocol,
which also lets us see every byte received before the TLS upgrade (STARTTLS injection).

The package, by job: connection (the Protocol), reply (parsing, line cap), esmtp (EHLO
extensions), auth (encoders and the mechanism table), preflight (checks before
connecting), network (resolve, connect, handshake), dialogue (the stage steps), classify
(reply -> Failure), probes (diagnostic second connections), session (the live state).
The recorder, Stop and Deadline are shared with the other transports (transports.stages).

Details worth knowing:
- With a TokenSource, the `token` stage comes first, before `resolve`: a refused sign-in is
  known before any mail server is contacted. When the server answers the token with its
  334 error challenge, the `auth` stage ends failed, a second `token` stage refreshes the
  token once, and `auth` is tried once more.
- `rcpt` is one stage per envelope recipient (the recipient, then the copy address), each
  with `target` = the address; a refused copy address fails the send too.
- Replies are kept as on the wire, one line per reply line, redacted and escaped.
- The whole send (token included) runs in its own task under one Deadline; the generator
  only relays events, so a slow consumer cannot stretch or break the deadline.
- Pre-flight refusals (before any connection) have no StageStarted and reason SETTINGS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from tui.core.credentials.tokens import TokenSource
from tui.core.events import Failure, FailureKind, SendEvent
from tui.core.message import Outgoing
from tui.core.redact import Redactor
from tui.core.settings import Settings
from tui.core.texts import Texts
from tui.core.tls import certificate_info
from tui.core.transports.smtp import dialogue, network
from tui.core.transports.smtp.classify import broken
from tui.core.transports.smtp.connection import Closed
from tui.core.transports.smtp.preflight import Credentials, Prepared, prepare
from tui.core.transports.smtp.reply import NotSmtp
from tui.core.transports.smtp.session import Session
from tui.core.transports.stages import Deadline, Outcome, StageRecorder, Stop, stream_events

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file


async def send_smtp(
    settings: Settings,
    password: str | TokenSource | None,
    outgoing: Outgoing,
    *,
    local_hostname: str | None = None,
) -> AsyncIterator[SendEvent]:
    """Send `outgoing` with `settings`, yielding events as the send goes; the last event
    is always one SendFinished. `password` is the password, None, or a TokenSource.
    `local_hostname` is the name given in EHLO (default: this machine's fully qualified
    name, or its address literal when it has none)."""
    credentials = Credentials.of(settings, password)
    redactor = Redactor(secrets=[credentials.password], username=credentials.username)
    send = SmtpSend(settings, credentials, outgoing, local_hostname)
    async for event in stream_events(send.run, redactor, name="mailwiz-smtp-send"):
        yield event


class SmtpSend:
    """One send: prepare, then the dialogue under the deadline, then the outcome."""

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        outgoing: Outgoing,
        local_hostname: str | None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.outgoing = outgoing
        self.local_hostname = local_hostname

    async def run(self, rec: StageRecorder) -> Outcome:
        args = (self.settings, self.credentials, self.outgoing, self.local_hostname)
        if self.outgoing.attachments:
            # Writing a large attachment into the spool takes a while: not on the event
            # loop, which the wizard's screen shares.
            prepared = await asyncio.to_thread(prepare, *args)
        else:
            prepared = prepare(*args)
        session = Session(self.settings, rec, Deadline(self.settings.smtp.timeout))
        try:
            failure = await self._under_deadline(session, prepared)
        finally:
            session.abort()
            prepared.message.close()
        accepted = session.accepted.wire if session.accepted else ""
        return failure, accepted, session.recipients

    async def _under_deadline(self, session: Session, prepared: Prepared) -> Failure | None:
        deadline = session.deadline
        try:
            async with deadline:
                try:
                    await self._dialogue(session, prepared)
                except Stop as stop:
                    session.rec.end(stop.failure.reply, ok=False)
                    await dialogue.polite_quit(session, stop.failure)
                    return stop.failure
        except TimeoutError:
            if not deadline.expired:
                raise
            return self._timed_out(session)
        return None

    def _timed_out(self, session: Session) -> Failure | None:
        rec = session.rec
        if session.accepted is not None:  # the message was accepted; QUIT was slow
            if rec.stage is not None:
                rec.note(say("engine.quit-unanswered"))
                rec.end("", ok=False)
            return None
        stage = rec.stage or "connect"
        seconds = session.deadline.seconds
        rec.note(say("engine.deadline-note", seconds=seconds, stage=stage))
        target = session.target
        return Failure(
            FailureKind.TIMEOUT,
            stage,
            detail=say(
                "engine.deadline", seconds=seconds, stage=stage, host=target.host, port=target.port
            ),
            location=f"{target.host}:{target.port}",
        )

    async def _dialogue(self, session: Session, prepared: Prepared) -> None:
        credentials = self.credentials
        try:
            if credentials.tokens is not None:
                await dialogue.token(session, credentials)
            await network.resolve_and_connect(session)
            if session.security == "tls":
                await network.handshake(session, "tls", prepared)
            await dialogue.greeting(session)
            await dialogue.ehlo(session, prepared)
            if session.security == "starttls":
                await dialogue.starttls(session, prepared)
                await dialogue.ehlo(session, prepared)
            if credentials.needed:
                await dialogue.auth(session, prepared, credentials)
            await dialogue.mail(session, prepared)
            await dialogue.rcpt(session, prepared)
            await dialogue.data(session, prepared)
            await dialogue.quit_(session)
        except (Closed, NotSmtp, OSError, EOFError) as exc:
            stage = session.rec.stage
            if stage is None:
                raise
            failure = broken(stage, exc, session.security)
            session.note(failure.detail)
            raise Stop(failure) from exc


__all__ = ["certificate_info", "send_smtp"]
