"""The connection: an asyncio Protocol with our own line buffer.

Everything received lands in `buffer`, so before a STARTTLS upgrade we can see whether the
server (or someone in the middle) sent more than its 220 line. After `start_tls` the same
object receives the decrypted bytes. A line longer than reply.MAX_LINE is refused (NotSmtp),
and reading pauses while more than MAX_BUFFER bytes wait, so a flooding server cannot make
us hold unbounded memory.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import cast

from tui.core.texts import Texts
from tui.core.transports.smtp.reply import MAX_LINE, NotSmtp

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

MAX_BUFFER = 1 << 20


class Closed(Exception):
    """The server closed the connection, or it broke, while we needed it."""


class Connection(asyncio.Protocol):
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
        if len(self.buffer) > MAX_BUFFER and self.transport and not self._reading_paused:
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
        self._release_drain()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._release_drain()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _release_drain(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # our side
    async def read_line(self) -> bytes:
        """One line with its LF; NotSmtp past MAX_LINE bytes, Closed at the end."""
        while True:
            end = self.buffer.find(b"\n", 0, MAX_LINE + 2)
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                self._maybe_resume()
                return line
            if len(self.buffer) > MAX_LINE:
                raise NotSmtp(say("connection.line-too-long", limit=MAX_LINE))
            if self.closed:
                raise Closed(say("connection.closed"))
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _maybe_resume(self) -> None:
        if self._reading_paused and len(self.buffer) < MAX_BUFFER // 2:
            self._reading_paused = False
            if self.transport is not None:
                self.transport.resume_reading()

    async def write(self, data: bytes | memoryview) -> None:
        """Write and wait while the transport's buffer is full (flow control)."""
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            raise Closed(say("connection.already-closed"))
        transport.write(data)
        while self._write_paused and not self.closed:
            self._drain = asyncio.get_running_loop().create_future()
            try:
                await self._drain
            finally:
                self._drain = None
        if self.closed:
            raise Closed(say("connection.closed"))

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        transport = await loop.start_tls(
            self.transport, self, context, server_hostname=server_hostname
        )
        if transport is None:  # pragma: no cover - only for a transport that refuses TLS
            raise ssl.SSLError(say("connection.no-upgrade"))
        self.transport = transport

    def ssl_object(self) -> ssl.SSLObject | None:
        if self.transport is None:
            return None
        return cast("ssl.SSLObject | None", self.transport.get_extra_info("ssl_object"))

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.closed = True


async def open_connection(family: int, sockaddr: tuple[object, ...]) -> Connection:
    """A TCP connection to one resolved address (no second name lookup)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # asyncio sets TCP_NODELAY only on sockets made with proto=IPPROTO_TCP. Without it,
        # a write that follows another unanswered one (DATA's end mark after the message)
        # waits for the server's delayed ACK: ~40 ms per send.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        await loop.sock_connect(sock, sockaddr)
        conn = Connection()
        await loop.create_connection(lambda: conn, sock=sock)
    except BaseException:
        sock.close()
        raise
    return conn
