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
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal, get_args

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tui.core.events import FailureKind
from tui.core.locations import PRACTICE_FOLDER_PREFIX
from tui.core.practice_certs import (
    SERVER_NAME as SERVER_NAME,  # the name in the greeting and in the certificate
)
from tui.core.practice_certs import (
    issue_server_cert,
    make_authority,
    server_tls_context,
    write_private,
)
from tui.core.practice_smtp import (
    SIMULATED_REPLY,
    Blackhole,
    Listener,
    PracticeHandler,
    quiet_aiosmtpd_log,
)
from tui.core.practice_smtp import ReceivedMessage as ReceivedMessage  # the face's type
from tui.core.running import Running
from tui.core.settings import PasswordSettings, SenderSettings, Settings, SmtpSettings
from tui.core.texts import Texts

log = logging.getLogger(__name__)

FailMode = Literal["auth", "tls", "starttls", "timeout", "recipient", "temporary"]
FAIL_MODES: Final[tuple[str, ...]] = get_args(FailMode)

say = Texts("tui.core")  # tui/core/texts.toml, [practice]; practice.fail.<mode> says
# what each misbehaviour looks like

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


FOLDER_PREFIX: Final = PRACTICE_FOLDER_PREFIX
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
                say("practice.unknown-failure", fail=fail, modes=", ".join(FAIL_MODES))
            )
        self.fail: FailMode | None = fail  # type: ignore[assignment]  # checked just above
        self.host: str = HOST
        self.port: int = 0
        self.username: str = USERNAME
        self.password: str = secrets.token_urlsafe(16)
        self._parent = folder
        self._folder: Path | None = None
        self._ca_file: Path | None = None
        self._listener: Listener | None = None
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
        quiet_aiosmtpd_log()
        if self._parent is not None:
            self._parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_folders(Path(self._parent or tempfile.gettempdir()))
        self._folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=self._parent))
        os.chmod(self._folder, 0o700)  # mkdtemp does this already; say it anyway
        write_private(self._folder / OWNER_FILENAME, f"{os.getpid()}\n".encode())
        self._remove_on_signals()
        trusted = make_authority("mailwiz practice CA")
        ca_file = self._folder / CA_FILENAME
        write_private(ca_file, trusted.pem)
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
                    make_authority("mailwiz practice: an authority nobody trusts")
                    if self.fail == "tls"
                    else trusted
                )
                tls = server_tls_context(issue_server_cert(signer), self._folder)
            factory = self._smtp_factory(tls)
        self._listener = Listener(sock, factory)
        self._listener.start()
        log.debug("practice server on %s port %d (fail: %s)", HOST, self.port, self.fail)

    @staticmethod
    def _silent_factory(loop: asyncio.AbstractEventLoop) -> asyncio.BaseProtocol:
        return Blackhole()

    def _smtp_factory(
        self, tls: ssl.SSLContext | None
    ) -> Callable[[asyncio.AbstractEventLoop], asyncio.BaseProtocol]:
        handler = PracticeHandler(self)

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
            return AuthResult(success=False, handled=False, message=SIMULATED_REPLY["auth"])
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

    def keep(self, message: ReceivedMessage) -> int:
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
            ("Encryption", say("practice.starttls-required")),
            ("Username", self.username),
            ("Password", self.password),
            ("CA file", str(self.ca_file)),
        ]
        if self.fail is not None:
            description = say(f"practice.fail.{self.fail}")
            rows.append(
                ("Misbehaves", say("practice.misbehaves", mode=self.fail, description=description))
            )
        return rows
