"""A local HTTP(S) relay that records every request as received on the socket, and servers
that misbehave (one that never answers, one that answers garbage): shared by the HTTP tests,
the test screen's and sendmail's tests."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.api_servers import TlsHttpServer, serving
from tui.core.settings import Settings

PDF = b"%PDF-1.4\r\n%\xe2\xe3\xcf\xd3\r\n1 0 obj << >> endobj\n\x00\xff--not-a-boundary\r\n%%EOF"


# --------------------------------------------------------------------------- servers


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    echo: bool = False  # answer with the request line and Authorization header, as sent


class Relay(TlsHttpServer):
    def __init__(self, reply: Reply, context: ssl.SSLContext | None = None) -> None:
        super().__init__(_Handler, context)
        self.reply = reply
        self.received: list[Received] = []


class _Handler(BaseHTTPRequestHandler):
    server: Relay

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.append(
            Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        reply = self.server.reply
        body = reply.body
        if reply.echo:  # a hostile or careless relay that repeats what it was sent
            body = f"refused POST {self.path} {self.headers.get('Authorization')}".encode()
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST


def serve(
    reply: Reply | None = None, context: ssl.SSLContext | None = None
) -> contextlib.AbstractContextManager[Relay]:
    return serving(Relay(reply or Reply(), context))


class SilentServer:
    """Accepts connections and reads, but never answers (a relay that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.closed_by_client = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.sock.accept()
            with conn:
                while conn.recv(65536):
                    pass
                self.closed_by_client.set()

    def close(self) -> None:
        self.sock.close()


class OneShotServer:
    """Answers every connection with fixed bytes and closes (not HTTP, for example)."""

    def __init__(self, answer: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()


def parse_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """An independent reading of multipart/form-data: [(part headers, part bytes)]."""
    boundary = content_type.split("boundary=", 1)[1].strip().encode()
    chunks = body.split(b"--" + boundary)
    assert chunks[0] == b""
    assert chunks[-1] == b"--\r\n"
    parts = []
    for chunk in chunks[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        parts.append((headers, data))
    return parts


def disposition(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for item in headers["content-disposition"].split(";")[1:]:
        key, _, value = item.strip().partition("=")
        out[key] = value.strip('"')
    return out


def relay_settings(url: str, timeout: float = 10) -> Settings:
    s = Settings(protocol="http", provider="http")
    s.http.url = url
    s.http.timeout = timeout
    s.sender.address = "shop@example.org"
    s.sender.name = "Corner Shop"
    s.sender.reply_to = "orders@example.org"
    return s
