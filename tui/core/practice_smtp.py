"""The practice server's SMTP side: aiosmtpd's hooks for each fail mode, the blackhole, the
listener thread with its own event loop, and what is kept of each accepted message.
`tui.core.practice.PracticeServer` puts these together and is what the rest of mailwiz uses."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import logging
import socket
import threading
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from typing import Any, Final, Protocol

from aiosmtpd.smtp import SMTP, Envelope, Session

from tui.core.message import human_size
from tui.core.texts import Texts

log = logging.getLogger("tui.core.practice")
say = Texts("tui.core")  # tui/core/texts.toml, [practice]

START_TIMEOUT = 10.0  # seconds for the listener thread to start or to stop

_SIMULATED = "(simulated by the mailwiz practice server)"
SIMULATED_REPLY: Final[dict[str, str]] = {
    "auth": f"535 5.7.8 Authentication credentials invalid {_SIMULATED}",
    "recipient": "550 5.1.1 <{address}>: Recipient address rejected: user unknown " + _SIMULATED,
    "temporary": f"451 4.3.0 Temporary server problem, try again later {_SIMULATED}",
}


class Owner(Protocol):
    """What the hooks need of the server that owns them."""

    @property
    def fail(self) -> str | None: ...

    def keep(self, message: ReceivedMessage) -> int: ...


@dataclass(frozen=True)
class ReceivedMessage:
    """A message the practice server accepted. Text fields are safe to print: control
    characters that could move a terminal's cursor are replaced."""

    sender: str  # the envelope sender (MAIL FROM)
    recipients: tuple[str, ...]  # the envelope recipients (RCPT TO), Bcc copies included
    subject: str
    attachments: tuple[tuple[str, str], ...]  # (filename, content type)
    size: int  # bytes, as received
    received_at: datetime  # local time, with its time zone
    from_header: str = ""  # the From: line as the recipient sees it

    def summary(self) -> str:
        """One line for a list: time, who to whom, subject, attachments, size."""
        to = ", ".join(self.recipients)
        line = f'{self.received_at:%H:%M:%S}  {self.sender} -> {to}  "{self.subject}"'
        if self.attachments:
            names = ", ".join(f"{name} ({kind})" for name, kind in self.attachments)
            count = len(self.attachments)
            line += f"  {count} attachment{'s' if count > 1 else ''}: {names}"
        return f"{line}  {human_size(self.size)}"


def _printable(text: str, limit: int = 200) -> str:
    """`text` with control and format characters replaced, so printing it is harmless."""
    cleaned = "".join(
        "?" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in " ".join(text.split())
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def parse_message(
    data: bytes, sender: str, recipients: tuple[str, ...], received_at: datetime | None = None
) -> ReceivedMessage:
    """What the practice server lists about a message it received."""
    message = message_from_bytes(data, policy=email.policy.default)
    attachments: list[tuple[str, str]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename is None and part.get_content_disposition() != "attachment":
            continue
        attachments.append((_printable(filename or "(no name)"), part.get_content_type()))

    def header(name: str) -> str:
        try:
            return _printable(str(message.get(name, "")))
        except (ValueError, IndexError, TypeError):  # a header the parser cannot decode
            return "(unreadable)"

    return ReceivedMessage(
        sender=_printable(sender),
        recipients=tuple(_printable(r) for r in recipients),
        subject=header("subject"),
        attachments=tuple(attachments),
        size=len(data),
        received_at=received_at or datetime.now().astimezone(),
        from_header=header("from"),
    )


# -------------------------------------------------------------------- the SMTP side


class PracticeHandler:
    """aiosmtpd's hooks: accept or refuse per the fail mode, and keep what arrives."""

    def __init__(self, owner: Owner) -> None:
        self._owner = owner

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self._owner.fail == "temporary":
            return SIMULATED_REPLY["temporary"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self._owner.fail == "recipient":
            return SIMULATED_REPLY["recipient"].format(address=_printable(address))
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if not data and isinstance(envelope.content, bytes):
            data = envelope.content
        received = parse_message(data, envelope.mail_from or "", tuple(envelope.rcpt_tos))
        number = self._owner.keep(received)
        return f"250 2.0.0 OK: kept as practice message {number}"

    async def handle_exception(self, error: Exception) -> str:
        log.debug("practice server: error in a session", exc_info=error)
        return f"421 4.3.0 The practice server hit an internal error ({type(error).__name__})"


class Blackhole(asyncio.Protocol):
    """The blackhole: accepts the connection, reads everything, never answers."""

    def __init__(self) -> None:
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class _DropDeprecation(logging.Filter):
    """aiosmtpd warns on every login that a field it sets itself is deprecated."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


def quiet_aiosmtpd_log() -> None:
    """Keep aiosmtpd's log off the terminal: with no handler anywhere, Python prints its
    warnings to stderr, right over the wizard's screen. Its records still reach any handler
    the application installs (minus a warning it repeats on each login)."""
    aiosmtpd_log = logging.getLogger("mail.log")
    if not any(isinstance(f, _DropDeprecation) for f in aiosmtpd_log.filters):
        aiosmtpd_log.addFilter(_DropDeprecation())
    if not any(isinstance(h, logging.NullHandler) for h in aiosmtpd_log.handlers):
        aiosmtpd_log.addHandler(logging.NullHandler())


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # A client giving up during a TLS handshake (as it should in "tls" mode) is not news;
    # the default handler would print it to stderr, over the wizard's screen.
    log.debug("practice server: %s", context.get("message"), exc_info=context.get("exception"))


class Listener:
    """An event loop in a thread serving connections on an already bound socket.

    aiosmtpd's Controller binds by host and port itself; binding here first (port 0) gives a
    free port with no window for another program to take it, and lets the blackhole share
    the same start and stop."""

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[asyncio.AbstractEventLoop], asyncio.BaseProtocol],
    ) -> None:
        self._sock = sock
        self._factory = factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._protocols: weakref.WeakSet[asyncio.BaseProtocol] = weakref.WeakSet()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mailwiz-practice", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError(say("practice.not-started"))
        if self._error is not None:
            raise RuntimeError(say("practice.could-not-start", error=self._error))

    def _make_protocol(self) -> asyncio.BaseProtocol:
        assert self._loop is not None
        protocol = self._factory(self._loop)
        self._protocols.add(protocol)
        return protocol

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(_quiet_exception_handler)
        try:
            server = loop.run_until_complete(
                loop.create_server(self._make_protocol, sock=self._sock)
            )
        except BaseException as error:  # reported by start()
            self._error = error
            self._sock.close()
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            # Stop accepting first, then let connections accepted just before the stop get
            # their transport: once server.close() has run, asyncio drops such a late
            # connection without closing its socket (3.11), and it would hang there.
            with contextlib.suppress(ValueError):  # ValueError: the socket is gone already
                loop.remove_reader(self._sock.fileno())
            for _ in range(3):
                loop.run_until_complete(asyncio.sleep(0))
            server.close()
            self._drop_connections()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            # From Python 3.12, wait_closed() waits for every connection to be gone.
            with contextlib.suppress(TimeoutError):
                loop.run_until_complete(asyncio.wait_for(server.wait_closed(), 5))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _drop_connections(self) -> None:
        for protocol in list(self._protocols):
            for name in ("transport", "_original_transport"):
                transport = getattr(protocol, name, None)
                if isinstance(transport, asyncio.BaseTransport):
                    if isinstance(transport, asyncio.WriteTransport):
                        transport.abort()
                    else:
                        transport.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already ended
            loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
        self._thread = None


# ------------------------------------------------------------------ abandoned folders
