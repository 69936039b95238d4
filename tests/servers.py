"""Real servers on 127.0.0.1 for the send tests: aiosmtpd with trustme certificates, and
plain-socket servers for what aiosmtpd will not do (blackhole, trickled banner, scripted
misbehaviour).

tests/conftest.py registers this module (`pytest_plugins = ["tests.servers"]`), so every
test module can use the fixtures below by name, and import the helpers it needs:

    from tests.servers import PASSWORD, USERNAME, Script, SmtpServer, SmtpServerFactory

Fixtures
- certs (session): a trustme CA whose PEM file is `certs.ca_file` (settings.smtp.ca_file),
  and server SSL contexts: good (localhost + 127.0.0.1), expired, wrong_name (only
  mail.example.org), untrusted (issued by another CA).
- smtp_server: factory `smtp_server(security="starttls" | "tls" | "none", *, auth=True,
  cert="good", auth_reply=None, exclude_auth=(), handler=None, **smtp_kwargs) -> SmtpServer`.
  `handler=OAuthHandler(live={...})` adds XOAUTH2/OAUTHBEARER that accept only live tokens.
  STARTTLS servers require STARTTLS and hide AUTH until TLS; implicit-TLS servers must
  use auth_require_tls=False (aiosmtpd does not count implicit TLS as TLS). The handler
  records every message (`server.received`) and can refuse: `server.handler.mail_reply`,
  `.rcpt_reply`, `.rcpt_replies[address]`, `.data_reply`. `auth_reply` makes every AUTH
  fail with that reply (e.g. Gmail's multi-line 534). `server.settings(**smtp_overrides)`
  gives Settings pointing at it, with USERNAME/SENDER and the CA file.
  Shorthands: starttls_server, tls_server, plain_server.
- socket_server: factory `socket_server(handler) -> SocketServer`, a thread per
  connection running handler(conn, server). Ready-made: blackhole (accepts, never
  speaks), trickle_server (banner one byte a second), scripted_server(Script(...)) (a tiny
  configurable SMTP server: greeting, EHLO lines, replies per verb, hang-up mid-DATA).
  `server.client_closed` is set when a client closes its side; `server.commands` lists
  the command lines received. stripping_server: STARTTLS stripped, AUTH offered in clear.
- refused_port: a port on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tui.core.records import field_names
from tui.core.settings import SenderSettings, Settings, SmtpSettings

HOST = "127.0.0.1"
USERNAME = "user@example.com"
# Non-ASCII and a space, so encoding mistakes show; long enough to be recognisable.
PASSWORD = "pä55 wörd-Secret!"
SENDER = "sender@example.com"
RECIPIENT = "rcpt@example.com"


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (aiosmtpd cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


_SENDER_FIELDS = set(field_names(SenderSettings))


def make_settings(smtp: dict[str, Any], overrides: dict[str, Any]) -> Settings:
    """Settings with a 10 s deadline, SENDER as the sender, then `overrides` applied to
    the smtp or sender table (by field name)."""
    smtp = {"timeout": 10, **smtp}
    sender: dict[str, Any] = {"address": SENDER}
    for key, value in overrides.items():
        (sender if key in _SENDER_FIELDS else smtp)[key] = value
    return Settings(smtp=SmtpSettings(**smtp), sender=SenderSettings(**sender))


# ---------------------------------------------------------------------------------------
# Certificates


@dataclass
class Certs:
    ca_file: Path
    good: ssl.SSLContext
    expired: ssl.SSLContext
    wrong_name: ssl.SSLContext
    untrusted: ssl.SSLContext
    cert_pems: dict[str, bytes]  # the leaf certificate of each context, PEM

    def context(self, name: str) -> ssl.SSLContext:
        return getattr(self, name)  # type: ignore[no-any-return]


def _server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA) -> Certs:
    folder = tmp_path_factory.mktemp("certs")
    other_ca = trustme.CA(organization_name="someone else's CA")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    now = datetime.now(UTC)
    leaves = {
        "good": ca.issue_cert("localhost", "127.0.0.1"),
        "expired": ca.issue_cert(
            "localhost",
            "127.0.0.1",
            not_before=now - timedelta(days=60),
            not_after=now - timedelta(days=2),
        ),
        "wrong_name": ca.issue_cert("mail.example.org"),
        "untrusted": other_ca.issue_cert("localhost", "127.0.0.1"),
    }
    return Certs(
        ca_file=ca_file,
        cert_pems={name: leaf.cert_chain_pems[0].bytes() for name, leaf in leaves.items()},
        **{name: _server_context(leaf) for name, leaf in leaves.items()},
    )


# ---------------------------------------------------------------------------------------
# aiosmtpd servers


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: bytes | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class RecordingHandler:
    """Records what arrives; each *_reply, when set, refuses that step with it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.mail_reply: str | None = None
        self.rcpt_reply: str | None = None
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address) or self.rcpt_reply
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        auth = session.auth_data
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(envelope.original_content or envelope.content),
                login=auth.login if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 2.0.0 OK queued as 42"


class Authenticator:
    """Accepts USERNAME/PASSWORD; counts the attempts; `reply` makes every attempt fail."""

    def __init__(self, username: str, password: str, reply: str | None = None) -> None:
        self.username = username.encode()
        self.password = password.encode()
        self.reply = reply
        self.mechanisms: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        if self.reply:
            return AuthResult(success=False, handled=False, message=self.reply)
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class OAuthHandler(RecordingHandler):
    """Adds XOAUTH2 and OAUTHBEARER (aiosmtpd auth_* hooks) that accept only a token in
    `live`; any other token gets the JSON error challenge, as Gmail and Microsoft send it,
    and the client's answer to it is recorded in `aborts`. `attempts`: (mechanism, user,
    token) per AUTH."""

    def __init__(self, live: set[str]) -> None:
        super().__init__()
        self.live = live
        self.attempts: list[tuple[str, str, str]] = []
        self.aborts: list[bytes] = []

    async def _token_auth(self, server: Any, args: list[str], name: str) -> AuthResult:
        if len(args) < 2:
            return AuthResult(success=False, handled=False, message="501 5.5.2 No response")
        from tui.core.oauth_practice.smtp import parse_oauthbearer, parse_xoauth2

        # Strict, as Gmail and Exchange Online are: a response without its closing ^A^A
        # (or otherwise malformed) is refused before any token is looked at.
        text = base64.b64decode(args[1]).decode("utf-8", "replace")
        user, token = (parse_xoauth2 if name == "XOAUTH2" else parse_oauthbearer)(text)
        self.attempts.append((name, user, token))
        if not token:
            return AuthResult(
                success=False, handled=False, message="501 5.5.2 Malformed token response"
            )
        if token in self.live:
            return AuthResult(
                success=True, handled=False, auth_data=LoginPassword(user.encode(), b"")
            )
        challenge = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})
        answer = await server.challenge_auth(challenge)
        self.aborts.append(answer if isinstance(answer, bytes) else b"<missing>")
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        return await self._token_auth(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> AuthResult:
        return await self._token_auth(server, args, "OAUTHBEARER")


@dataclass
class SmtpServer:
    security: str
    port: int
    handler: RecordingHandler
    authenticator: Authenticator | None
    ca_file: Path
    controller: Controller
    host: str = HOST

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def settings(self, **overrides: Any) -> Settings:
        """Settings for this server; keyword arguments override SmtpSettings or
        SenderSettings fields (e.g. security=, timeout=, copy_to=, reply_to=)."""
        return make_settings(
            {
                "host": self.host,
                "port": self.port,
                "security": self.security,
                "username": USERNAME if self.authenticator else "",
                "ca_file": str(self.ca_file),
            },
            overrides,
        )


SmtpServerFactory = Callable[..., SmtpServer]


@pytest.fixture
def smtp_server(certs: Certs) -> Iterator[SmtpServerFactory]:
    started: list[Controller] = []

    def start(
        security: str = "starttls",
        *,
        auth: bool = True,
        cert: str = "good",
        auth_reply: str | None = None,
        exclude_auth: tuple[str, ...] = (),
        handler: RecordingHandler | None = None,
        **smtp_kwargs: Any,
    ) -> SmtpServer:
        handler = handler or RecordingHandler()
        authenticator = Authenticator(USERNAME, PASSWORD, auth_reply) if auth else None
        kwargs: dict[str, Any] = {"auth_exclude_mechanism": list(exclude_auth)}
        if authenticator is not None:
            kwargs["authenticator"] = authenticator
        if security == "starttls":
            kwargs.update(
                tls_context=certs.context(cert), require_starttls=True, auth_require_tls=True
            )
        elif security == "tls":
            # aiosmtpd does not count implicit TLS as TLS: with auth_require_tls it hides AUTH.
            kwargs.update(ssl_context=certs.context(cert), auth_require_tls=False)
        kwargs.update(smtp_kwargs)
        port = free_port()
        controller = Controller(handler, hostname=HOST, port=port, **kwargs)
        controller.start()
        started.append(controller)
        return SmtpServer(security, port, handler, authenticator, certs.ca_file, controller)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def starttls_server(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_server("starttls")


@pytest.fixture
def tls_server(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_server("tls")


@pytest.fixture
def plain_server(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """No TLS, no AUTH: a local relay on a plain port."""
    return smtp_server("none", auth=False)


# ---------------------------------------------------------------------------------------
# Plain-socket servers


class SocketServer:
    """A TCP server on 127.0.0.1 running handler(conn, server) in a thread per connection."""

    def __init__(self, handler: Callable[[socket.socket, SocketServer], None]) -> None:
        self.handler = handler
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.accepted = threading.Event()
        self.client_closed = threading.Event()
        self.commands: list[str] = []
        self.connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> SocketServer:
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(0.2)
            with self._lock:
                self.connections.append(conn)
            self.accepted.set()
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self)
        except OSError:
            self.client_closed.set()
        finally:
            conn.close()

    def settings(self, security: str = "none", **overrides: Any) -> Settings:
        """Settings for this server (no login unless username= is given)."""
        return make_settings(
            {"host": HOST, "port": self.port, "security": security, "username": ""}, overrides
        )

    # helpers for handlers
    def recv_line(self, conn: socket.socket, pending: bytearray) -> str | None:
        """One line from the client; None when it closed (sets client_closed) or we stop."""
        while b"\n" not in pending:
            if self.stopping.is_set():
                return None
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                self.client_closed.set()
                return None
            pending += chunk
        end = pending.index(b"\n")
        line = bytes(pending[: end + 1])
        del pending[: end + 1]
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def wait_for_close(self, conn: socket.socket) -> None:
        """Read and drop everything until the client closes its side (or we stop)."""
        while not self.stopping.is_set():
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                self.client_closed.set()
                return

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()
        with self._lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def socket_server() -> Iterator[
    Callable[[Callable[[socket.socket, SocketServer], None]], SocketServer]
]:
    servers: list[SocketServer] = []

    def start(handler: Callable[[socket.socket, SocketServer], None]) -> SocketServer:
        server = SocketServer(handler).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _blackhole(conn: socket.socket, server: SocketServer) -> None:
    server.wait_for_close(conn)


def _trickle(conn: socket.socket, server: SocketServer) -> None:
    for byte in b"220 slow.example.com ESMTP at your service, eventually\r\n":
        if server.stopping.wait(1.0):
            return
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            server.client_closed.set()
            return
    server.wait_for_close(conn)


@pytest.fixture
def blackhole(socket_server: Callable[..., SocketServer]) -> SocketServer:
    """Accepts the TCP connection and never says a word."""
    return socket_server(_blackhole)


@pytest.fixture
def trickle_server(socket_server: Callable[..., SocketServer]) -> SocketServer:
    """Sends its greeting one byte per second."""
    return socket_server(_trickle)


@dataclass
class Script:
    """A tiny SMTP server's lines. A reply may hold several lines joined by CRLF."""

    greeting: str = "220 scripted.example.com ESMTP"
    ehlo: tuple[str, ...] = ("250-scripted.example.com", "250-SIZE 10000000", "250 8BITMIME")
    replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 OK queued"
    hang_up_in_data: bool = False  # close after the first lines of the message
    close_after_greeting: bool = False
    close_on: tuple[str, ...] = ()  # verbs answered by hanging up (e.g. "STARTTLS")

    def reply(self, verb: str) -> str:
        defaults = {
            "MAIL": "250 2.1.0 OK",
            "RCPT": "250 2.1.5 OK",
            "DATA": "354 End data with <CR><LF>.<CR><LF>",
            "QUIT": "221 2.0.0 Bye",
            "RSET": "250 OK",
            "NOOP": "250 OK",
            "STARTTLS": "454 4.7.0 TLS not available due to local problem",
            "AUTH": "504 5.5.4 Unrecognized authentication type",
        }
        return self.replies.get(verb, defaults.get(verb, "502 5.5.2 Command not recognized"))


def _scripted(script: Script) -> Callable[[socket.socket, SocketServer], None]:
    def serve(conn: socket.socket, server: SocketServer) -> None:
        def send(text: str) -> None:
            conn.sendall(text.encode() + b"\r\n")

        pending = bytearray()
        send(script.greeting)
        if script.close_after_greeting:
            return
        while True:
            line = server.recv_line(conn, pending)
            if line is None:
                return
            server.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb in script.close_on:
                conn.shutdown(socket.SHUT_RDWR)
                return
            if verb in ("EHLO", "HELO"):
                send("\r\n".join(script.ehlo))
            elif verb == "DATA":
                reply = script.reply("DATA")
                send(reply)
                if not reply.startswith("354"):
                    continue
                count = 0
                while (body := server.recv_line(conn, pending)) not in (None, "."):
                    count += 1
                    if script.hang_up_in_data and count >= 3:
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                if body is None:
                    return
                send(script.data_reply)
            else:
                send(script.reply(verb))
                if verb == "QUIT":
                    return

    return serve


ScriptedServerFactory = Callable[[Script], SocketServer]


@pytest.fixture
def scripted_server(socket_server: Callable[..., SocketServer]) -> ScriptedServerFactory:
    def start(script: Script) -> SocketServer:
        return socket_server(_scripted(script))

    return start


# A man in the middle that strips STARTTLS from the EHLO answer but leaves AUTH offered in
# clear: a client that "upgrades only if offered" (aiosmtplib's start_tls=None) would log in
# in plain text here. mailwiz must stop before any AUTH.
STRIPPED_STARTTLS = Script(
    ehlo=("250-mx.example.com", "250-SIZE 10000000", "250 AUTH PLAIN LOGIN"),
    replies={"STARTTLS": "502 5.5.2 Command not recognized"},
)


@pytest.fixture
def stripping_server(scripted_server: ScriptedServerFactory) -> SocketServer:
    """Offers AUTH PLAIN LOGIN in clear and no STARTTLS (see STRIPPED_STARTTLS)."""
    return scripted_server(STRIPPED_STARTTLS)


@pytest.fixture
def refused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connecting is refused)."""
    return free_port()
