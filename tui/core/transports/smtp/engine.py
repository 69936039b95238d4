"""The staged SMTP send: one deadline, live events, a redacted transcript.

`send_smtp(settings, password, outgoing)` is an async generator of `tui.core.events`:
for every stage that applies (resolve, connect, tls, greeting, ehlo, starttls, ehlo, auth,
mail, rcpt, data, quit) a StageStarted, the TranscriptLines exchanged, and a StageEnded with
its time and the server's reply; then exactly one SendFinished. Network and protocol
problems never raise: they end the send with a Failure whose kind is the exit code of
DESIGN.md. Cancelling the consuming task (or closing the generator) ends the send at once
and closes the socket; CancelledError propagates.

Why our own small client instead of driving aiosmtplib: `aiosmtplib.SMTP.connect()` does
the name lookup, the TCP connection, the TLS handshake and the greeting in one call, and
only hands back parsed replies. Then `resolve`, `connect`, `tls` and `greeting` could not be
timed or reported separately, an OSError or certificate error arrives re-wrapped, and the
transcript would be reconstructed rather than the lines actually exchanged. The dialogue a
test send needs is small (RFC 5321/3207/4954: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT,
DATA, QUIT), so it is written here on an asyncio Protocol, which also lets us see every
byte received before the TLS upgrade (STARTTLS response injection, see `_starttls`).

Details worth knowing:
- `rcpt` is ONE stage: one RCPT TO line per envelope recipient (the recipient, then the
  copy address); its reply is the replies joined by newlines.
- A reply is kept as on the wire, one line per reply line ("250-first\\n250 last"), in
  StageEnded.reply, Failure.reply and SendFinished.reply (the DATA acceptance).
  SendFinished.recipients: the envelope recipients accepted (empty when the send failed).
  A refused copy address fails the send too (RECIPIENT; Failure.detail names the address).
- The whole send runs in its own task under `asyncio.timeout(settings.smtp.timeout)`;
  the generator only relays events, so a slow consumer cannot stretch or break the deadline.
- Certificate failures: the certificate is fetched once more WITHOUT verification, over a
  second short connection that sends nothing but the handshake (and EHLO/STARTTLS for
  starttls), only to tell the user its names, dates and issuer.
- While waiting for the greeting with security starttls/none (not on port 25, where an
  early talker gets blocked by postscreen-style filters), after a short grace a second
  connection checks whether the port speaks TLS from the first byte, so "starttls on port
  465" fails with TLS (13) and a clear detail instead of waiting out the deadline.
- After an implicit-TLS handshake fails, a second connection reads the first line: if it
  is an SMTP greeting in plain text, the detail says so (the port wants starttls or none).
- Pre-flight refusals (before any connection) have no StageStarted: security none with a
  username (NO_STARTTLS, stage "auth": credentials are never sent in clear), a missing
  password (NO_PASSWORD, stage "auth"), a value that cannot go into the message or the
  envelope (SENDER / RECIPIENT / MESSAGE), an unreadable CA file (CERTIFICATE).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.policy
import ipaddress
import re
import socket
import ssl
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from tui.core.events import (
    CertificateInfo,
    Direction,
    Failure,
    FailureKind,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.message import (
    MessageError,
    Outgoing,
    ascii_address,
    build_email,
    envelope_recipients,
)
from tui.core.settings import Settings, header_problem

_MAX_LINE = 8192  # bytes in one reply line (RFC 5321 says 512; be generous, not unbounded)
_MAX_REPLY_LINES = 200
_MAX_BUFFER = 1 << 20  # stop reading from a server that floods us
_SHOWN_MESSAGE_LINES = 60  # message lines shown in the transcript; the rest is summarised
_SHOWN_TEXT = 1000  # characters of one transcript line / reply kept
_PROBE_SECONDS = 5.0  # cap for a second, diagnostic connection
_GREETING_GRACE = 3.0  # seconds without a greeting before checking for implicit TLS
_REDACTED = "[redacted]"

_REPLY_LINE = re.compile(r"^([2-5][0-9][0-9])([ -]|$)(.*)$", re.DOTALL)
_ENHANCED = re.compile(r"^([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:\s|$)")

# The kind of failure when a stage ends badly with a 5xx reply or a broken connection.
_STAGE_KIND = {
    "resolve": FailureKind.DNS,
    "connect": FailureKind.REFUSED,
    "tls": FailureKind.TLS,
    "greeting": FailureKind.REFUSED,
    "ehlo": FailureKind.REFUSED,
    "starttls": FailureKind.NO_STARTTLS,
    "auth": FailureKind.AUTH,
    "mail": FailureKind.SENDER,
    "rcpt": FailureKind.RECIPIENT,
    "data": FailureKind.MESSAGE,
    "quit": FailureKind.MESSAGE,
}


async def send_smtp(
    settings: Settings,
    password: str | None,
    outgoing: Outgoing,
    *,
    local_hostname: str | None = None,
) -> AsyncIterator[SendEvent]:
    """Send `outgoing` with `settings`, yielding events as the send goes; the last event
    is always one SendFinished. `local_hostname` is the name given in EHLO (default: this
    machine's fully qualified name, or its address literal when it has none)."""
    queue: asyncio.Queue[SendEvent | None] = asyncio.Queue()
    engine = _SmtpSend(settings, password, outgoing, local_hostname, queue.put_nowait)
    task = asyncio.create_task(engine.run(), name="mailwiz-smtp-send")
    task.add_done_callback(lambda _task: queue.put_nowait(None))
    try:
        while True:
            event = await queue.get()
            if event is None:  # the task ended without saying so: a bug
                yield engine.internal_finish(task)
                break
            yield event
            if isinstance(event, SendFinished):
                break
    finally:
        if not task.done():
            task.cancel()
            # Let the task close its socket. asyncio.wait does not re-raise the task's
            # CancelledError, so closing the generator (GeneratorExit) stays clean.
            await asyncio.wait({task})


# ---------------------------------------------------------------------------------------
# Certificates


def certificate_info(der: bytes, reason: str = "") -> CertificateInfo:
    """Names (subjectAltName, else the subject CN), dates and issuer of a DER certificate.

    A small DER reader, so that a certificate fetched WITHOUT verification (where Python's
    getpeercert() only gives bytes) can still be described. Never raises: what cannot be
    read is left empty.
    """
    try:
        return _parse_certificate(der, reason)
    except (IndexError, ValueError):
        return CertificateInfo(reason=reason)


_OID_NAMES = {
    bytes.fromhex("550403"): "CN",
    bytes.fromhex("550406"): "C",
    bytes.fromhex("550407"): "L",
    bytes.fromhex("550408"): "ST",
    bytes.fromhex("55040a"): "O",
    bytes.fromhex("55040b"): "OU",
    bytes.fromhex("0992268993f22c640119"): "DC",
    bytes.fromhex("2a864886f70d010901"): "emailAddress",
}
_OID_SUBJECT_ALT_NAME = bytes.fromhex("551d11")


def _der(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at `pos`."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _der_children(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    pos = start
    while pos < end:
        tag, child_start, child_end = _der(data, pos)
        yield tag, child_start, child_end
        pos = child_end


def _der_string(tag: int, raw: bytes) -> str:
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", "replace")
    if tag == 0x1C:  # UniversalString
        return raw.decode("utf-32-be", "replace")
    if tag == 0x14:  # T61String, close enough
        return raw.decode("latin-1")
    return raw.decode("utf-8", "replace")


def _der_name(data: bytes, start: int, end: int) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    for _set_tag, set_start, set_end in _der_children(data, start, end):
        for _seq_tag, seq_start, seq_end in _der_children(data, set_start, set_end):
            children = list(_der_children(data, seq_start, seq_end))
            if len(children) != 2:
                continue
            (_oid_tag, oid_start, oid_end), (value_tag, value_start, value_end) = children
            key = _OID_NAMES.get(data[oid_start:oid_end], "")
            if key:
                parts.append((key, _der_string(value_tag, data[value_start:value_end])))
    return parts


def _der_time(tag: int, raw: bytes) -> str:
    text = raw.decode("ascii")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    when = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _parse_certificate(der: bytes, reason: str) -> CertificateInfo:
    _tag, cert_start, cert_end = _der(der, 0)
    _tag, tbs_start, tbs_end = next(_der_children(der, cert_start, cert_end))
    fields = list(_der_children(der, tbs_start, tbs_end))
    if fields and fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    # serial, signature algorithm, issuer, validity, subject, public key, [1], [2], [3]
    issuer = _der_name(der, fields[2][1], fields[2][2])
    validity = list(_der_children(der, fields[3][1], fields[3][2]))
    not_before = _der_time(validity[0][0], der[validity[0][1] : validity[0][2]])
    not_after = _der_time(validity[1][0], der[validity[1][1] : validity[1][2]])
    subject = _der_name(der, fields[4][1], fields[4][2])
    names: list[str] = []
    for tag, start, _end in fields[6:]:
        if tag != 0xA3:
            continue
        _seq_tag, seq_start, seq_end = _der(der, start)
        for _ext_tag, ext_start, ext_end in _der_children(der, seq_start, seq_end):
            parts = list(_der_children(der, ext_start, ext_end))
            if der[parts[0][1] : parts[0][2]] != _OID_SUBJECT_ALT_NAME:
                continue
            _octet_tag, value_start, _value_end = parts[-1]
            _gn_tag, gn_start, gn_end = _der(der, value_start)
            for name_tag, name_start, name_end in _der_children(der, gn_start, gn_end):
                raw = der[name_start:name_end]
                if name_tag == 0x82:  # dNSName
                    names.append(raw.decode("ascii", "replace"))
                elif name_tag == 0x87 and len(raw) in (4, 16):  # iPAddress
                    names.append(str(ipaddress.ip_address(raw)))
    if not names:
        names = [value for key, value in subject if key == "CN"]
    return CertificateInfo(
        names=tuple(names),
        not_before=not_before,
        not_after=not_after,
        issuer=", ".join(f"{key}={value}" for key, value in issuer),
        reason=reason,
    )


# ---------------------------------------------------------------------------------------
# The connection: an asyncio Protocol with our own line buffer


class _Closed(Exception):
    """The server closed the connection, or it broke, while we needed it."""


class _NotSmtp(Exception):
    """What the server sent is not an SMTP reply."""


class _Stop(Exception):
    """End the send with this failure."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


class _Connection(asyncio.Protocol):
    """Bytes in, lines out. Everything received lands in `buffer`, so before a STARTTLS
    upgrade we can see whether the server (or someone in the middle) sent more than its
    220 line. After `start_tls` the same object receives the decrypted bytes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self._reading_paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _MAX_BUFFER and self.transport and not self._reading_paused:
            self.transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool | None:
        self.closed = True
        self._wake()
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # our side
    async def read_line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\n", 0, _MAX_LINE + 2)
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                if self._reading_paused and len(self.buffer) < _MAX_BUFFER // 2:
                    self._reading_paused = False
                    if self.transport is not None:
                        self.transport.resume_reading()
                return line
            if len(self.buffer) > _MAX_LINE:
                raise _NotSmtp(f"a line longer than {_MAX_LINE} bytes")
            if self.closed:
                raise _Closed("the server closed the connection")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def write(self, data: bytes) -> None:
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            raise _Closed("the connection is closed")
        transport.write(data)
        while self._write_paused and not self.closed:
            self._drain = asyncio.get_running_loop().create_future()
            try:
                await self._drain
            finally:
                self._drain = None
        if self.closed:
            raise _Closed("the server closed the connection")

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        transport = await loop.start_tls(
            self.transport, self, context, server_hostname=server_hostname
        )
        if transport is None:  # pragma: no cover - only for a transport that refuses TLS
            raise ssl.SSLError("the connection could not be upgraded to TLS")
        self.transport = transport

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.closed = True


async def _open(family: int, sockaddr: tuple[object, ...]) -> _Connection:
    """A TCP connection to one resolved address (no second name lookup)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, sockaddr)
        conn = _Connection()
        await loop.create_connection(lambda: conn, sock=sock)
    except BaseException:
        sock.close()
        raise
    return conn


# ---------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True)
class _Reply:
    code: int
    lines: tuple[str, ...]  # the text after "250-" / "250 ", one per line

    @property
    def wire(self) -> str:
        last = len(self.lines) - 1
        return "\n".join(
            f"{self.code}{' ' if i == last else '-'}{text}".rstrip()
            for i, text in enumerate(self.lines)
        )

    @property
    def enhanced(self) -> str:
        match = _ENHANCED.match(self.lines[0]) if self.lines else None
        return match.group(1) if match else ""


def _printable(text: str) -> str:
    """Control characters shown as escapes: a server must not drive our terminal."""
    if text.isprintable():  # the usual case, checked at C speed (False for \t, \u2028)
        return text if len(text) <= _SHOWN_TEXT else text[:_SHOWN_TEXT] + "…"
    out = "".join(
        c if c == "\t" or (c.isprintable() and c not in "\u2028\u2029") else f"\\x{ord(c):02x}"
        for c in text
    )
    return out if len(out) <= _SHOWN_TEXT else out[:_SHOWN_TEXT] + "…"


@dataclass
class _Target:
    """What one connection attempt needs."""

    host: str
    port: int
    family: int = 0
    sockaddr: tuple[object, ...] = ()
    ip: str = ""


@dataclass
class _Prepared:
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    context: ssl.SSLContext | None
    ehlo_name: str | None
    extensions: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# The send


class _SmtpSend:
    def __init__(
        self,
        settings: Settings,
        password: str | None,
        outgoing: Outgoing,
        local_hostname: str | None,
        emit: Callable[[SendEvent], None],
    ) -> None:
        self.settings = settings
        self.password = password
        self.outgoing = outgoing
        self.local_hostname = local_hostname
        self._emit = emit
        self._secrets = _secrets(settings.smtp.username, password)
        self.started = time.perf_counter()
        self.stage: str | None = None
        self.stage_started = 0.0
        self.conn: _Connection | None = None
        self.tls = False
        self.target = _Target(settings.smtp.host.strip(), settings.smtp.port)
        self.accepted: _Reply | None = None
        self.recipients: tuple[str, ...] = ()
        self.deadline = 0.0
        self.finished = False

    # -- events -------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _REDACTED)
        return text

    def emit(self, event: SendEvent) -> None:
        if isinstance(event, TranscriptLine):
            text = self.redact(event.text)
            if text is not event.text:
                event = TranscriptLine(event.direction, text)
        elif isinstance(event, StageEnded):
            event = replace(event, reply=self.redact(event.reply))
        elif isinstance(event, SendFinished):
            self.finished = True
            event = replace(event, reply=self.redact(event.reply))
            if event.failure is not None:
                failure = event.failure
                event = replace(
                    event,
                    failure=replace(
                        failure,
                        reply=self.redact(failure.reply)[:_SHOWN_TEXT],
                        detail=self.redact(failure.detail),
                    ),
                )
        self._emit(event)

    def line(self, direction: Direction, text: str) -> None:
        self.emit(TranscriptLine(direction, _printable(text)))

    def note(self, text: str) -> None:
        self.line("**", text)

    def begin(self, stage: str) -> None:
        self.stage = stage
        self.stage_started = time.perf_counter()
        self.emit(StageStarted(stage))

    def end(self, reply: str = "", ok: bool = True) -> None:
        assert self.stage is not None
        ms = (time.perf_counter() - self.stage_started) * 1000
        self.emit(StageEnded(self.stage, ok, round(ms, 1), reply))
        self.stage = None

    def internal_finish(self, task: asyncio.Task[None]) -> SendFinished:
        detail = "the send stopped without a result"
        if not task.cancelled() and task.exception() is not None:
            detail = _describe_bug(cast(BaseException, task.exception()))
        return SendFinished(
            ok=False,
            total_ms=self.elapsed_ms(),
            failure=Failure(FailureKind.INTERNAL, self.stage or "", detail=self.redact(detail)),
        )

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)

    def remaining(self) -> float:
        return self.deadline - asyncio.get_running_loop().time()

    # -- the whole send -----------------------------------------------------------------

    async def run(self) -> None:
        failure: Failure | None = None
        try:
            failure = await self._run()
        except asyncio.CancelledError:
            if self.conn is not None:
                self.conn.abort()
            raise
        except Exception as exc:  # a bug: report it, never the password
            failure = Failure(FailureKind.INTERNAL, self.stage or "", detail=_describe_bug(exc))
        finally:
            if self.conn is not None:
                self.conn.abort()
        if failure is not None and self.stage is not None:
            self.end(failure.reply, ok=False)
        self.emit(
            SendFinished(
                ok=failure is None,
                total_ms=self.elapsed_ms(),
                failure=failure,
                reply=self.accepted.wire if self.accepted else "",
                recipients=self.recipients if failure is None else (),
            )
        )

    async def _run(self) -> Failure | None:
        try:
            prepared = self._prepare()
        except _Stop as stop:
            return stop.failure
        timeout = float(self.settings.smtp.timeout)
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + timeout
        try:
            async with asyncio.timeout_at(self.deadline) as deadline:
                try:
                    await self._dialogue(prepared)
                except _Stop as stop:
                    if self.stage is not None:
                        self.end(stop.failure.reply, ok=False)
                    await self._polite_quit(stop.failure)
                    return stop.failure
        except TimeoutError:
            if not deadline.expired():
                raise
            if self.accepted is not None:  # the message was accepted; QUIT was slow
                if self.stage is not None:
                    self.note("no answer to QUIT before the deadline; the message was sent")
                    self.end("", ok=False)
                return None
            stage = self.stage or "connect"
            self.note(f"the {timeout:g} s deadline passed during {stage}")
            return Failure(
                FailureKind.TIMEOUT,
                stage,
                detail=f"no complete answer within the {timeout:g} s deadline "
                f"(during {stage}, {self.target.host} port {self.target.port})",
            )
        return None

    async def _polite_quit(self, failure: Failure) -> None:
        """After a refusal on a live SMTP connection, say QUIT (shown, not a stage)."""
        conn = self.conn
        if conn is None or conn.closed or failure.code is None or self.remaining() < 0.2:
            return
        try:
            async with asyncio.timeout(min(1.0, self.remaining() - 0.1)):
                await self.send_line("QUIT")
                await self.read_reply()
        except (TimeoutError, _Closed, _NotSmtp, OSError):
            pass

    # -- before connecting --------------------------------------------------------------

    def _prepare(self) -> _Prepared:
        smtp = self.settings.smtp
        security = smtp.security
        if security not in ("tls", "starttls", "none"):
            raise _Stop(
                Failure(FailureKind.TLS, "connect", detail=f"unknown security {security!r}")
            )
        if security == "none" and smtp.username:
            raise _Stop(
                Failure(
                    FailureKind.NO_STARTTLS,
                    "auth",
                    detail="security is none but a username is set: mailwiz never sends "
                    "a password without encryption, so it did not connect. Choose tls or "
                    "starttls, or clear the username for a relay that needs no login.",
                )
            )
        if smtp.username and not self.password:
            raise _Stop(
                Failure(
                    FailureKind.NO_PASSWORD,
                    "auth",
                    detail=f"no password is available for {smtp.username}",
                )
            )
        if not self.target.host or header_problem(self.target.host) or " " in self.target.host:
            raise _Stop(
                Failure(
                    FailureKind.DNS, "resolve", detail="the server host name is empty or invalid"
                )
            )
        if not 0 < int(smtp.port) < 65536:
            raise _Stop(
                Failure(FailureKind.REFUSED, "connect", detail=f"port {smtp.port} is not valid")
            )
        try:
            message = build_email(self.settings, self.outgoing)
        except MessageError as exc:
            kind, stage = _MESSAGE_FIELD_KIND.get(exc.field, (FailureKind.MESSAGE, "data"))
            raise _Stop(Failure(kind, stage, detail=str(exc))) from exc
        sender = _envelope_address("sender.address", self.settings.from_address)
        recipients = tuple(
            _envelope_address("recipient", address)
            for address in envelope_recipients(self.settings, self.outgoing)
        )
        # policy.SMTP: CRLF line ends. Bare CR or LF in the flattened text become CRLF, so
        # nothing in a body can be read as an end of DATA by a lenient server (SMTP
        # smuggling); then dot-stuffing (RFC 5321 4.5.2) and the final ".".
        raw = message.as_bytes(policy=email.policy.SMTP)
        raw = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
        if not raw.endswith(b"\r\n"):
            raw += b"\r\n"
        data = re.sub(rb"(?m)^\.", b"..", raw)
        context = self._tls_context() if security != "none" else None
        ehlo_name = self.local_hostname
        if ehlo_name is not None and (header_problem(ehlo_name) or " " in ehlo_name):
            ehlo_name = None
        return _Prepared(sender, recipients, data, context, ehlo_name)

    def _tls_context(self) -> ssl.SSLContext:
        smtp = self.settings.smtp
        stage = "tls" if smtp.security == "tls" else "starttls"
        # The system's trusted CAs, plus the extra ones of ca_file (create_default_context
        # with cafile= would REPLACE the system ones).
        context = ssl.create_default_context()
        if smtp.ca_file:
            try:
                context.load_verify_locations(cafile=smtp.ca_file)
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise _Stop(
                    Failure(
                        FailureKind.CERTIFICATE,
                        stage,
                        detail=f"the CA file {smtp.ca_file!r} could not be read: {exc}",
                    )
                ) from exc
        if not smtp.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    # -- the dialogue -------------------------------------------------------------------

    async def _dialogue(self, prepared: _Prepared) -> None:
        try:
            await self._connect()
            if self.settings.smtp.security == "tls":
                await self._handshake("tls", prepared)
            self.begin("greeting")
            greeting = await self._read_greeting()
            self.expect(greeting, 220)
            self.end(greeting.wire)
            await self._ehlo(prepared)
            if self.settings.smtp.security == "starttls":
                await self._starttls(prepared)
                await self._ehlo(prepared)
            if self.settings.smtp.username:
                await self._auth(prepared)
            await self._mail(prepared)
            await self._rcpt(prepared)
            await self._data(prepared)
            await self._quit()
        except (_Closed, _NotSmtp, OSError, EOFError) as exc:
            if self.stage is None:
                raise
            raise _Stop(await self._failure_from(exc, prepared)) from exc

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.target.host, self.target.port
        addresses: list[tuple[int, tuple[object, ...]]] = []
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        else:
            host = str(literal)
            self.target = replace(self.target, host=host)
        if literal is None:
            self.begin("resolve")
            try:
                infos = await loop.getaddrinfo(
                    host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                )
            except (OSError, UnicodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.note(f"{host} does not resolve: {reason}")
                raise _Stop(
                    Failure(FailureKind.DNS, "resolve", detail=f"{host}: {reason}")
                ) from exc
            for info in infos:
                resolved = (int(info[0]), cast(tuple[object, ...], info[4]))
                if resolved not in addresses:
                    addresses.append(resolved)
            if not addresses:
                raise _Stop(Failure(FailureKind.DNS, "resolve", detail=f"{host}: no address"))
            shown = ", ".join(str(address[0]) for _family, address in addresses)
            self.note(f"{host} resolves to {shown}")
            self.end(shown)
        else:
            addresses.append(
                (socket.AF_INET6 if literal.version == 6 else socket.AF_INET, (host, port))
            )

        self.begin("connect")
        last_error: OSError | None = None
        for family, sockaddr in addresses:
            ip = str(sockaddr[0])
            self.note(f"connecting to {ip} port {port}")
            try:
                self.conn = await _open(family, sockaddr)
            except OSError as exc:
                last_error = exc
                self.note(f"{ip} port {port}: {exc.strerror or exc}")
                continue
            self.target = replace(self.target, family=family, sockaddr=sockaddr, ip=ip)
            self.end(f"connected to {ip} port {port}")
            return
        assert last_error is not None
        kind = FailureKind.TIMEOUT if isinstance(last_error, TimeoutError) else FailureKind.REFUSED
        raise _Stop(
            Failure(
                kind,
                "connect",
                detail=f"{host} port {port}: {last_error.strerror or last_error}",
            )
        )

    async def _handshake(self, stage: str, prepared: _Prepared) -> None:
        """TLS on the current connection: the `tls` stage, or within `starttls`."""
        assert self.conn is not None and prepared.context is not None
        if stage == "tls":
            self.begin("tls")
        try:
            await self.conn.start_tls(prepared.context, self.target.host)
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or str(exc)
            self.note(f"TLS handshake failed: the certificate was not accepted: {reason}")
            info = await self._fetch_certificate(reason, prepared)
            raise _Stop(
                Failure(FailureKind.CERTIFICATE, stage, detail=str(exc), certificate=info)
            ) from exc
        except (ssl.SSLError, OSError, EOFError) as exc:
            self.note(f"TLS handshake failed: {exc}")
            failure = Failure(FailureKind.TLS, stage, detail=f"TLS handshake failed: {exc}")
            if stage == "tls":
                banner = await self._probe_banner()
                if banner is not None:
                    self.note(f"this port speaks plain SMTP: it greets with {banner!r}")
                    failure = replace(
                        failure,
                        reply=banner,
                        detail=f"port {self.target.port} answered in plain text ({banner!r}) "
                        "where TLS from the first byte was expected: it wants starttls "
                        f"(or none), not tls. {failure.detail}",
                    )
            raise _Stop(failure) from exc
        self.tls = True
        self.note(self._tls_summary())
        if stage == "tls":
            self.end(self._tls_short())

    def _tls_short(self) -> str:
        ssl_object = self._ssl_object()
        if ssl_object is None:  # pragma: no cover
            return "TLS"
        cipher = ssl_object.cipher()
        return f"{ssl_object.version()}, {cipher[0] if cipher else '?'}"

    def _tls_summary(self) -> str:
        ssl_object = self._ssl_object()
        short = self._tls_short()
        if not self.settings.smtp.verify_certificate:
            return f"{short}, certificate NOT verified (verify_certificate is off)"
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        info = certificate_info(der) if der else CertificateInfo()
        return (
            f"{short}, certificate for {self.target.host} verified "
            f"(names: {', '.join(info.names) or '?'}; issuer: {info.issuer or '?'}; "
            f"valid until {info.not_after or '?'})"
        )

    def _ssl_object(self) -> ssl.SSLObject | None:
        if self.conn is None or self.conn.transport is None:
            return None
        return cast("ssl.SSLObject | None", self.conn.transport.get_extra_info("ssl_object"))

    async def _read_greeting(self) -> _Reply:
        """The greeting; meanwhile, after a grace period, check for a TLS-only port."""
        smtp = self.settings.smtp
        reply_task = asyncio.ensure_future(self.read_reply())
        if smtp.security == "tls" or smtp.port == 25:
            return await reply_task
        probe: asyncio.Future[bool] | None = None
        try:
            grace = min(_GREETING_GRACE, float(smtp.timeout) / 3)
            done, _ = await asyncio.wait({reply_task}, timeout=grace)
            if not done:
                self.note(
                    f"no greeting after {grace:g} s; checking on a second connection "
                    "whether this port expects TLS from the first byte"
                )
                probe = asyncio.ensure_future(self._probe_speaks_tls())
                waiting: set[asyncio.Future[Any]] = {reply_task, probe}
                finished, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if reply_task not in finished and probe.result():
                    self.note(f"port {smtp.port} speaks TLS from the first byte")
                    raise _Stop(
                        Failure(
                            FailureKind.TLS,
                            "greeting",
                            detail=f"port {smtp.port} expects TLS from the first byte "
                            f"(implicit TLS) but security is {smtp.security}: "
                            "choose tls for this port, or the port that offers STARTTLS",
                        )
                    )
            return await reply_task
        finally:
            for task in (reply_task, probe):
                if task is not None and not task.done():
                    task.cancel()

    async def _ehlo(self, prepared: _Prepared) -> None:
        self.begin("ehlo")
        if prepared.ehlo_name is None:
            # getfqdn() may do a reverse lookup: never block the event loop (the wizard).
            fqdn = await asyncio.get_running_loop().run_in_executor(None, socket.getfqdn)
            prepared.ehlo_name = self._ehlo_name(fqdn)
        await self.send_line(f"EHLO {prepared.ehlo_name}")
        reply = await self.read_reply()
        self.expect(reply, 250)
        prepared.extensions = _extensions(reply)
        self.end(reply.wire)

    def _ehlo_name(self, name: str) -> str:
        """This machine's name when it is a usable domain, else its address literal."""
        if "." in name and name.isascii() and re.fullmatch(r"[A-Za-z0-9.-]+", name):
            return name
        transport = self.conn.transport if self.conn is not None else None
        sockname = transport.get_extra_info("sockname") if transport is not None else None
        address = str(sockname[0]) if sockname else "127.0.0.1"
        return f"[IPv6:{address}]" if ":" in address else f"[{address}]"

    async def _starttls(self, prepared: _Prepared) -> None:
        assert self.conn is not None
        self.begin("starttls")
        if "STARTTLS" not in prepared.extensions:
            self.note("the server does not offer STARTTLS; stopping before any login")
            raise _Stop(
                Failure(
                    FailureKind.NO_STARTTLS,
                    "starttls",
                    detail="the server's EHLO answer does not offer STARTTLS, so the "
                    "connection cannot be encrypted; nothing was sent in clear",
                )
            )
        await self.send_line("STARTTLS")
        reply = await self.read_reply()
        if reply.code != 220:
            self.note("STARTTLS was refused; stopping before any login")
        self.expect(reply, 220)
        if self.conn.buffer:
            # RFC 3207 5: the server says nothing between 220 and the handshake. Bytes here
            # were sent in clear, possibly injected, and would be read as if encrypted.
            self.note(f"{len(self.conn.buffer)} unexpected bytes after 220; stopping")
            raise _Stop(
                Failure(
                    FailureKind.TLS,
                    "starttls",
                    reply=reply.wire,
                    detail="the server sent data after its 220 answer to STARTTLS and "
                    "before encryption started (a sign of tampering); nothing more was sent",
                )
            )
        await self._handshake("starttls", prepared)
        self.end(reply.wire)

    async def _auth(self, prepared: _Prepared) -> None:
        self.begin("auth")
        if not self.tls:  # not an assert: it must hold under python -O too
            raise RuntimeError("refusing to send credentials outside TLS")
        username = self.settings.smtp.username
        password = self.password or ""
        offered = prepared.extensions.get("AUTH", "").upper().split()
        # One mechanism per attempt: PLAIN when offered, else LOGIN. Never a second try,
        # which would double the failure count towards a lockout.
        if "PLAIN" in offered:
            blob = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
            await self.send_line(f"AUTH PLAIN {blob}", shown="AUTH PLAIN [redacted]")
            reply = await self.read_reply()
            if reply.code == 334:  # it wants the response separately: we don't retry
                await self.send_line("*")
                await self.read_reply()
        elif "LOGIN" in offered:
            await self.send_line("AUTH LOGIN")
            reply = await self.read_reply()
            for secret in (username, password):
                if reply.code != 334:
                    break
                self._note_challenge(reply)
                await self.send_line(
                    base64.b64encode(secret.encode()).decode("ascii"), shown=_REDACTED
                )
                reply = await self.read_reply()
        else:
            what = " ".join(offered) if offered else "no login at all"
            self.note(f"the server offers {what}; mailwiz logs in with PLAIN or LOGIN")
            raise _Stop(
                Failure(
                    FailureKind.AUTH,
                    "auth",
                    detail=f"the server offers {what} (after EHLO); mailwiz can log in "
                    "with PLAIN or LOGIN only",
                )
            )
        self.expect(reply, 235)
        self.end(reply.wire)

    def _note_challenge(self, reply: _Reply) -> None:
        try:
            decoded = base64.b64decode(reply.lines[0].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, IndexError):
            return
        self.note(f"the server asks for: {decoded}")

    async def _mail(self, prepared: _Prepared) -> None:
        self.begin("mail")
        size = len(prepared.data)
        params = ""
        if "SIZE" in prepared.extensions:
            limit = prepared.extensions["SIZE"].strip()
            if limit.isdigit() and 0 < int(limit) < size:
                raise _Stop(
                    Failure(
                        FailureKind.MESSAGE,
                        "mail",
                        detail=f"the message is {size} bytes; the server accepts at most {limit}",
                    )
                )
            params = f" SIZE={size}"
        await self.send_line(f"MAIL FROM:<{prepared.sender}>{params}")
        reply = await self.read_reply()
        self.expect(reply, 250, 251)
        self.end(reply.wire)

    async def _rcpt(self, prepared: _Prepared) -> None:
        self.begin("rcpt")
        replies: list[str] = []
        for recipient in prepared.recipients:
            await self.send_line(f"RCPT TO:<{recipient}>")
            reply = await self.read_reply()
            replies.append(reply.wire)
            self.expect(reply, 250, 251, detail=f"RCPT TO:<{recipient}> was refused")
        self.recipients = prepared.recipients
        self.end("\n".join(replies))

    async def _data(self, prepared: _Prepared) -> None:
        assert self.conn is not None
        self.begin("data")
        await self.send_line("DATA")
        reply = await self.read_reply()
        self.expect(reply, 354)
        lines = prepared.data.split(b"\r\n")[:-1]
        direction: Direction = "~>" if self.tls else "->"
        for raw in lines[:_SHOWN_MESSAGE_LINES]:
            self.line(direction, raw.decode("ascii", "replace"))
        if len(lines) > _SHOWN_MESSAGE_LINES:
            self.note(
                f"{len(lines) - _SHOWN_MESSAGE_LINES} more lines of the message not shown "
                f"({len(prepared.data)} bytes in all)"
            )
        await self.conn.write(prepared.data + b".\r\n")
        self.line(direction, ".")
        reply = await self.read_reply()
        self.expect(reply, 250)
        self.accepted = reply
        self.end(reply.wire)

    async def _quit(self) -> None:
        self.begin("quit")
        try:
            await self.send_line("QUIT")
            reply = await self.read_reply()
        except (_Closed, _NotSmtp, OSError) as exc:
            # The message is already accepted: a rude goodbye is not a failure.
            self.note(f"no answer to QUIT ({exc}); the message was sent")
            self.end("", ok=False)
            return
        self.end(reply.wire, ok=reply.code == 221)

    # -- reading, writing, judging ------------------------------------------------------

    async def send_line(self, text: str, shown: str | None = None) -> None:
        assert self.conn is not None
        self.line("~>" if self.tls else "->", text if shown is None else shown)
        await self.conn.write(text.encode("utf-8") + b"\r\n")

    async def read_reply(self) -> _Reply:
        assert self.conn is not None
        code: str | None = None
        lines: list[str] = []
        while True:
            raw = await self.conn.read_line()
            text = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            self.line("<~" if self.tls else "<-", text)
            match = _REPLY_LINE.match(text)
            if match is None or (code is not None and match.group(1) != code):
                raise _NotSmtp(f"not an SMTP reply: {_printable(text)[:200]!r}")
            code = match.group(1)
            lines.append(match.group(3))
            if match.group(2) != "-":
                return _Reply(int(code), tuple(lines))
            if len(lines) >= _MAX_REPLY_LINES:
                raise _NotSmtp(f"a reply of more than {_MAX_REPLY_LINES} lines")

    def expect(self, reply: _Reply, *codes: int, detail: str = "") -> None:
        if reply.code in codes:
            return
        assert self.stage is not None
        stage = self.stage
        kind = _STAGE_KIND[stage]
        text = " ".join(reply.lines).upper()
        if reply.code == 421 or (400 <= reply.code < 500 and stage != "starttls"):
            kind = FailureKind.TEMPORARY
        elif reply.code == 552:
            kind = FailureKind.MESSAGE  # message too big, whatever the stage
        elif reply.code == 530 and stage in ("mail", "rcpt"):
            kind = FailureKind.NO_STARTTLS if "STARTTLS" in text else FailureKind.AUTH
        elif reply.code < 400:
            detail = detail or f"unexpected answer {reply.code} (expected {codes[0]})"
        raise _Stop(
            Failure(
                kind,
                stage,
                code=reply.code,
                enhanced=reply.enhanced,
                reply=reply.wire,
                detail=detail,
            )
        )

    async def _failure_from(self, exc: BaseException, prepared: _Prepared) -> Failure:
        """A broken connection or a non-SMTP answer during the current stage."""
        stage = self.stage or ""
        if isinstance(exc, _NotSmtp):
            detail = f"the server's answer is not SMTP: {exc}"
            if stage == "greeting":
                detail += "; this port may be for another service"
        else:
            detail = f"the connection was closed by the server ({exc})"
            if stage == "data":
                detail = f"the connection was lost during DATA: the message was not sent ({exc})"
            elif stage == "greeting" and self.settings.smtp.security != "tls":
                detail += " before its greeting"
        self.note(detail)
        return Failure(_STAGE_KIND.get(stage, FailureKind.INTERNAL), stage, detail=detail)

    # -- second, diagnostic connections ---------------------------------------------

    async def _side_connection(self) -> _Connection | None:
        if self.remaining() < 0.3 or not self.target.sockaddr:
            return None
        try:
            return await _open(self.target.family, self.target.sockaddr)
        except OSError:
            return None

    async def _probe_banner(self) -> str | None:
        """After a failed implicit-TLS handshake: does the port greet in plain text?"""
        try:
            async with asyncio.timeout(min(2.0, max(self.remaining() - 0.2, 0.01))):
                conn = await self._side_connection()
                if conn is None:
                    return None
                try:
                    line = (await conn.read_line()).rstrip(b"\r\n").decode("utf-8", "replace")
                finally:
                    conn.abort()
        except (TimeoutError, _Closed, _NotSmtp, OSError):
            return None
        return _printable(line)[:200] if _REPLY_LINE.match(line) else None

    async def _probe_speaks_tls(self) -> bool:
        """Does the port complete a TLS handshake from the first byte? (Never raises.)"""
        try:
            async with asyncio.timeout(min(_PROBE_SECONDS, max(self.remaining() - 0.2, 0.01))):
                conn = await self._side_connection()
                if conn is None:
                    return False
                try:
                    await conn.start_tls(_unverified_context(), self.target.host)
                    return True
                finally:
                    conn.abort()
        except (TimeoutError, _Closed, _NotSmtp, OSError, EOFError):
            return False

    async def _fetch_certificate(self, reason: str, prepared: _Prepared) -> CertificateInfo:
        """The certificate that failed, fetched again without verification to describe it
        (only the handshake is done; nothing is sent inside it)."""
        der: bytes | None = None
        try:
            async with asyncio.timeout(min(_PROBE_SECONDS, max(self.remaining() - 0.2, 0.01))):
                conn = await self._side_connection()
                if conn is not None:
                    try:
                        if self.settings.smtp.security == "starttls":
                            await _quiet_starttls(conn, prepared.ehlo_name or "localhost")
                        await conn.start_tls(_unverified_context(), self.target.host)
                        transport = conn.transport
                        ssl_object = transport.get_extra_info("ssl_object") if transport else None
                        if ssl_object is not None:
                            der = cast(ssl.SSLObject, ssl_object).getpeercert(binary_form=True)
                    finally:
                        conn.abort()
        except (TimeoutError, _Closed, _NotSmtp, OSError, EOFError):
            der = None
        if not der:
            return CertificateInfo(reason=reason)
        info = certificate_info(der, reason)
        self.note(
            f"the certificate (fetched again without verification to describe it): "
            f"names {', '.join(info.names) or '?'}; valid {info.not_before or '?'} to "
            f"{info.not_after or '?'}; issuer {info.issuer or '?'}"
        )
        return info


_MESSAGE_FIELD_KIND = {
    "sender.address": (FailureKind.SENDER, "mail"),
    "sender.name": (FailureKind.SENDER, "mail"),
    "sender.reply_to": (FailureKind.MESSAGE, "data"),
    "sender.copy_to": (FailureKind.RECIPIENT, "rcpt"),
    "recipient": (FailureKind.RECIPIENT, "rcpt"),
}


def _envelope_address(field_name: str, address: str) -> str:
    """An address fit for MAIL FROM / RCPT TO: one line, no brackets or spaces, ASCII."""
    kind, stage = _MESSAGE_FIELD_KIND[field_name]
    problem = header_problem(address)
    if problem is None and (not address or any(c in address for c in "<> \t")):
        problem = "is empty or contains spaces or angle brackets"
    if problem is None:
        try:
            address = ascii_address(address)
        except UnicodeError:
            problem = "has a domain that cannot be encoded"
        else:
            if not address.isascii():
                problem = "has non-ASCII characters before the @, which mailwiz cannot send"
    if problem is not None:
        raise _Stop(Failure(kind, stage, detail=f"{field_name} {address!r} {problem}"))
    return address


def _extensions(reply: _Reply) -> dict[str, str]:
    """EHLO keywords -> parameters ("AUTH" -> "PLAIN LOGIN"); old "AUTH=" lines merged."""
    extensions: dict[str, str] = {}
    for line in reply.lines[1:]:
        keyword, _, params = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword.startswith("AUTH="):
            params = f"{keyword[5:]} {params}".strip()
            keyword = "AUTH"
        if keyword in extensions and params:
            params = f"{extensions[keyword]} {params}"
        extensions[keyword] = params
    return extensions


def _secrets(username: str, password: str | None) -> list[str]:
    """Every form of the password that could appear: plain, base64, and the AUTH PLAIN
    blobs. Longest first, so a blob is redacted whole before its parts."""
    if not password:
        return []
    forms = {password}
    for raw in (
        password,
        f"\0{username}\0{password}",
        f"{username}\0{password}",
        f"\0{password}",
    ):
        forms.add(base64.b64encode(raw.encode()).decode("ascii"))
    return sorted(forms, key=len, reverse=True)


def _unverified_context() -> ssl.SSLContext:
    """For diagnostic side connections ONLY: they fetch a certificate or check whether a
    port speaks TLS, and send nothing inside the connection."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _quiet_starttls(conn: _Connection, ehlo_name: str) -> None:
    """Greeting, EHLO, STARTTLS on a side connection, up to the point of the handshake."""

    async def reply() -> int:
        while True:
            line = (await conn.read_line()).decode("utf-8", "replace")
            match = _REPLY_LINE.match(line.rstrip("\r\n"))
            if match is None:
                raise _NotSmtp(line[:80])
            if match.group(2) != "-":
                return int(match.group(1))

    if await reply() != 220:
        raise _Closed("no greeting")
    await conn.write(f"EHLO {ehlo_name}\r\n".encode())
    if await reply() != 250:
        raise _Closed("EHLO refused")
    await conn.write(b"STARTTLS\r\n")
    if await reply() != 220:
        raise _Closed("STARTTLS refused")


def _describe_bug(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"internal error: {type(exc).__name__}: {exc}{where}"


__all__ = ["certificate_info", "send_smtp"]
