"""The practice server: a real SMTP server on this computer to try mailwiz without an account.

`PracticeServer` runs aiosmtpd on 127.0.0.1 with what a real submission server has: STARTTLS
required, a certificate made for this run (its authority written to a private PEM file that the
settings trust through `ca_file`), and AUTH PLAIN/LOGIN with a random password. Every accepted
message is kept and reported as it arrives. Told to misbehave (`fail=`), it reproduces one way
a real server fails, so that each troubleshooting path can be shown and rehearsed:

=============  =====================================================  ==========
fail           what the server does                                   exit code
=============  =====================================================  ==========
auth           answers every login with 535 5.7.8                     16
tls            presents a certificate from an authority not in        14
               `ca_file`, so verification fails
starttls       does not offer STARTTLS (so AUTH is not offered)       15
timeout        accepts the connection and never says a word           12
recipient      refuses every recipient with 550 5.1.1                 18
temporary      answers MAIL FROM with 451 4.3.0                       20
=============  =====================================================  ==========

The server runs in its own thread with its own event loop, so plain scripts, the command line
and the Textual app can all start and stop it synchronously. Callbacks registered with
`on_message` run in that thread: a Textual app hands them on with `call_from_thread`.

Only loopback: the server listens on 127.0.0.1 and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import tempfile
import threading
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any, Final, Literal, get_args

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tui.core.events import FailureKind
from tui.core.message import human_size
from tui.core.practice_certs import (
    SERVER_NAME as SERVER_NAME,  # the name in the greeting and in the certificate
)
from tui.core.practice_certs import (
    _issue_server_cert,
    _make_authority,
    _server_tls_context,
    _write_private,
)
from tui.core.running import Running
from tui.core.settings import PasswordSettings, SenderSettings, Settings, SmtpSettings

log = logging.getLogger(__name__)

FailMode = Literal["auth", "tls", "starttls", "timeout", "recipient", "temporary"]
FAIL_MODES: Final[tuple[str, ...]] = get_args(FailMode)

FAIL_DESCRIPTIONS: Final[dict[str, str]] = {
    "auth": "refuses every login (535 5.7.8), as a wrong password would be",
    "tls": "presents a certificate signed by an authority that is not the trusted one",
    "starttls": "does not offer encryption (no STARTTLS), so no password can be sent",
    "timeout": "accepts the connection and then never answers",
    "recipient": "refuses every recipient address (550 5.1.1, no such user)",
    "temporary": "answers with a temporary error (451 4.3.0): try again later",
}
"""What each misbehaviour looks like, for `--help` texts and the wizard."""

EXPECTED_FAILURE: Final[dict[str, FailureKind]] = {
    "auth": FailureKind.AUTH,
    "tls": FailureKind.CERTIFICATE,
    "starttls": FailureKind.NO_STARTTLS,
    "timeout": FailureKind.TIMEOUT,
    "recipient": FailureKind.RECIPIENT,
    "temporary": FailureKind.TEMPORARY,
}
"""The way a send to the practice server fails in each mode (its value is the exit code)."""

PROVIDER_ID: Final = "practice"
HOST: Final = "127.0.0.1"  # the certificate also covers "localhost" and ::1
USERNAME: Final = "practice"
DEFAULT_SENDER: Final = "practice@example.com"  # an ordinary address, for the demo
CA_FILENAME: Final = "practice-ca.pem"

_SIMULATED = "(simulated by the mailwiz practice server)"
_SIMULATED_REPLY: Final[dict[str, str]] = {
    "auth": f"535 5.7.8 Authentication credentials invalid {_SIMULATED}",
    "recipient": "550 5.1.1 <{address}>: Recipient address rejected: user unknown " + _SIMULATED,
    "temporary": f"451 4.3.0 Temporary server problem, try again later {_SIMULATED}",
}
_START_TIMEOUT = 10.0


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


class _Handler:
    """aiosmtpd's hooks: accept or refuse per the fail mode, and keep what arrives."""

    def __init__(self, owner: PracticeServer) -> None:
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
            return _SIMULATED_REPLY["temporary"]
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
            return _SIMULATED_REPLY["recipient"].format(address=_printable(address))
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if not data and isinstance(envelope.content, bytes):
            data = envelope.content
        received = parse_message(data, envelope.mail_from or "", tuple(envelope.rcpt_tos))
        number = self._owner._keep(received)
        return f"250 2.0.0 OK: kept as practice message {number}"

    async def handle_exception(self, error: Exception) -> str:
        log.debug("practice server: error in a session", exc_info=error)
        return f"421 4.3.0 The practice server hit an internal error ({type(error).__name__})"


class _Silent(asyncio.Protocol):
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


def _quiet_aiosmtpd_log() -> None:
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


class _Listener:
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
        if not self._ready.wait(_START_TIMEOUT):
            raise RuntimeError("The practice server did not start in time.")
        if self._error is not None:
            raise RuntimeError(f"The practice server could not start: {self._error}")

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
        thread.join(_START_TIMEOUT)
        self._thread = None


# ------------------------------------------------------------------ abandoned folders

FOLDER_PREFIX: Final = "mailwiz-practice-"
OWNER_FILENAME: Final = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def remove_abandoned_folders(parent: Path) -> list[Path]:
    """Remove practice folders whose owner process is gone (killed with -9, a crash):
    only ours (same user), only those with an owner file naming a dead process."""
    removed: list[Path] = []
    for folder in parent.glob(FOLDER_PREFIX + "*"):
        try:
            info = folder.lstat()
            if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
                continue
            pid = int((folder / OWNER_FILENAME).read_text().strip())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


# ------------------------------------------------------------------------ the server


class PracticeServer(Running):
    """A local SMTP server for practice; see the module's description.

    Use it as a context manager, or call start() and stop(). Connection details (`port`,
    `ca_file`) exist once started; `settings()` gives settings ready for a test send.
    A server runs once: create a new one to start again.
    """

    def __init__(self, fail: FailMode | str | None = None, folder: Path | None = None) -> None:
        if fail is not None and fail not in FAIL_MODES:
            raise ValueError(
                f"Unknown practice failure {fail!r}: choose one of {', '.join(FAIL_MODES)}."
            )
        self.fail: FailMode | None = fail  # type: ignore[assignment]  # checked just above
        self.host: str = HOST
        self.port: int = 0
        self.username: str = USERNAME
        self.password: str = secrets.token_urlsafe(16)
        self._parent = folder
        self._folder: Path | None = None
        self._ca_file: Path | None = None
        self._listener: _Listener | None = None
        self._state: Literal["new", "running", "stopped"] = "new"
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._callbacks: list[Callable[[ReceivedMessage], None]] = []
        self._signals: dict[int, Callable[[int, Any], None]] = {}

    # --- life cycle

    @property
    def running(self) -> bool:
        return self._state == "running"

    @property
    def folder(self) -> Path:
        """The private folder (0700) holding the CA file; removed by stop()."""
        if self._folder is None:
            raise RuntimeError("The practice server is not running: call start() first.")
        return self._folder

    @property
    def ca_file(self) -> Path:
        """The PEM file of the authority that signed the server's certificate, to trust
        through settings.smtp.ca_file. (In "tls" mode the server presents a certificate
        from ANOTHER authority, so verification fails.)"""
        if self._ca_file is None:
            raise RuntimeError("The practice server is not running: call start() first.")
        return self._ca_file

    def start(self) -> None:
        if self._state != "new":
            raise RuntimeError(
                "This practice server has already been started; create a new one to start again."
            )
        self._state = "running"
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        _quiet_aiosmtpd_log()
        if self._parent is not None:
            self._parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_folders(Path(self._parent or tempfile.gettempdir()))
        self._folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=self._parent))
        os.chmod(self._folder, 0o700)  # mkdtemp does this already; say it anyway
        _write_private(self._folder / OWNER_FILENAME, f"{os.getpid()}\n".encode())
        self._remove_on_signals()
        trusted = _make_authority("mailwiz practice CA")
        ca_file = self._folder / CA_FILENAME
        _write_private(ca_file, trusted.pem)
        self._ca_file = ca_file

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, 0))
            sock.listen(100)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]

        factory: Callable[[asyncio.AbstractEventLoop], asyncio.BaseProtocol]
        if self.fail == "timeout":
            factory = self._silent_factory
        else:
            tls: ssl.SSLContext | None = None
            if self.fail != "starttls":
                signer = (
                    _make_authority("mailwiz practice: an authority nobody trusts")
                    if self.fail == "tls"
                    else trusted
                )
                tls = _server_tls_context(_issue_server_cert(signer), self._folder)
            factory = self._smtp_factory(tls)
        self._listener = _Listener(sock, factory)
        self._listener.start()
        log.debug("practice server on %s port %d (fail: %s)", HOST, self.port, self.fail)

    @staticmethod
    def _silent_factory(loop: asyncio.AbstractEventLoop) -> asyncio.BaseProtocol:
        return _Silent()

    def _smtp_factory(
        self, tls: ssl.SSLContext | None
    ) -> Callable[[asyncio.AbstractEventLoop], asyncio.BaseProtocol]:
        handler = _Handler(self)

        def make(loop: asyncio.AbstractEventLoop) -> asyncio.BaseProtocol:
            return SMTP(
                handler,
                hostname=SERVER_NAME,
                ident="mailwiz practice server",
                tls_context=tls,
                require_starttls=tls is not None,
                auth_required=True,
                auth_require_tls=True,
                authenticator=self._authenticate,
                timeout=120,
                loop=loop,
            )

        return make

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if self.fail == "auth" or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False, message=_SIMULATED_REPLY["auth"])
        good = secrets.compare_digest(
            auth_data.login, self.username.encode()
        ) & secrets.compare_digest(auth_data.password, self.password.encode())
        if not good:  # a real mistake: the standard words
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data.login.decode("utf-8", "replace"))

    def stop(self) -> None:
        """Stop serving, close open connections, free the port and remove the private
        folder with the CA file. Safe to call more than once."""
        if self._state == "stopped":
            return
        self._state = "stopped"
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._restore_signals()
        # The paths stay readable after stop (they name files that are gone), for messages.

    def _remove_on_signals(self) -> None:
        """On SIGHUP (the terminal went away) and SIGTERM, remove the folder first, then
        end as the signal would have. Only where nobody else handles them (the sandbox
        command installs its own, which stops the server cleanly)."""
        if threading.current_thread() is not threading.main_thread():
            return
        folder = self._folder

        def remove_then_die(signum: int, frame: object) -> None:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        for signum in (signal.SIGHUP, signal.SIGTERM):
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, remove_then_die)
                self._signals[signum] = remove_then_die

    def _restore_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._signals.items():
            if signal.getsignal(signum) is handler:
                signal.signal(signum, signal.SIG_DFL)
        self._signals.clear()

    # --- messages

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The messages accepted so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def on_message(self, callback: Callable[[ReceivedMessage], None]) -> Callable[[], None]:
        """Call `callback` with each message as it arrives (in the server's thread, before
        the server answers 250). Returns a function that unregisters it."""
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return remove

    def _keep(self, message: ReceivedMessage) -> int:
        with self._lock:
            self._messages.append(message)
            number = len(self._messages)
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(message)
            except Exception:  # a broken listener must not make the server refuse mail
                log.exception("practice server: a message callback failed")
        return number

    # --- what the user needs

    def settings(self, sender: str = DEFAULT_SENDER, timeout: float | None = None) -> Settings:
        """Settings for a send through this server: host, port, STARTTLS, the username,
        certificate checks ON with the run's authority as `ca_file`. The password is not
        stored anywhere (store "none"): pass `self.password` to the send.

        `timeout` defaults to 30 seconds, or 10 in "timeout" mode so a demo does not drag."""
        if timeout is None:
            timeout = 10 if self.fail == "timeout" else 30
        return Settings(
            protocol="smtp",
            provider=PROVIDER_ID,
            smtp=SmtpSettings(
                host=self.host,
                port=self.port,
                security="starttls",
                username=self.username,
                verify_certificate=True,
                ca_file=str(self.ca_file),
                timeout=timeout,
            ),
            sender=SenderSettings(address=sender),
            password=PasswordSettings(store="none"),
        )

    def connection_rows(self) -> list[tuple[str, str]]:
        """What to type into any mail program to use this server, as (label, value) rows."""
        rows = [
            ("Server", self.host),
            ("Port", str(self.port)),
            ("Encryption", "STARTTLS (required)"),
            ("Username", self.username),
            ("Password", self.password),
            ("CA file", str(self.ca_file)),
        ]
        if self.fail is not None:
            rows.append(("Misbehaves", f"{self.fail}: {FAIL_DESCRIPTIONS[self.fail]}"))
        return rows
