"""A small real DNS server on 127.0.0.1 for tests, built with dnspython's message API.

It answers from a dict of records, over UDP and TCP (a UDP answer too big for the
client's buffer comes back truncated, so the client retries over TCP, as in real life):

    records = {
        "example.com": {"MX": ["10 mx1.example.net."]},
        "_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.example.com."]},
        "smtp.example.com": {"A": ["127.0.0.1"]},
    }
    async with DnsServer(records) as server:
        resolver = server.resolver(lifetime=1.0)

Names are written without the final dot; record data is dnspython's text form.
A name with no records at all is NXDOMAIN (unless it is the parent of a listed name:
then, like a real zone, it exists and has no data); a listed name without the asked
type gives an empty answer (NOERROR, no data).

Misbehaviour, per name or per (name, type), through `behaviour`:
    "timeout"   never answer (the client's lifetime runs out)
    "malformed" answer with the right message id and a header promising records that
                never come (a message cut short)
    "empty"     answer an empty datagram (or, over TCP, close the connection)
    "servfail"  answer SERVFAIL
Every question is recorded in `queries` as (name, type, transport).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, cast

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

Behaviour = Literal["timeout", "malformed", "empty", "servfail"]
Records = Mapping[str, Mapping[str, Sequence[str]]]

TTL = 60
# Flags of an answer, one question, five answers, then nothing: a message cut short.
MALFORMED_HEADER = b"\x84\x00\x00\x01\x00\x05\x00\x00\x00\x00"


def _key(name: str) -> str:
    return name.lower().rstrip(".")


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        reply = self.server.handle(data, "udp")
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class DnsServer:
    """An authoritative-looking DNS server for `records` on 127.0.0.1 (UDP and TCP)."""

    def __init__(
        self,
        records: Records,
        *,
        behaviour: Mapping[str | tuple[str, str], Behaviour] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.records = {
            _key(name): {rdtype.upper(): list(data) for rdtype, data in types.items()}
            for name, types in records.items()
        }
        self.behaviour: dict[str | tuple[str, str], Behaviour] = {}
        for key, value in (behaviour or {}).items():
            if isinstance(key, tuple):
                self.behaviour[(_key(key[0]), key[1].upper())] = value
            else:
                self.behaviour[_key(key)] = value
        self.host = host
        self.port = 0
        self.queries: list[tuple[str, str, str]] = []
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._stopped = asyncio.Event()

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on one free port, for both UDP and TCP."""
        loop = asyncio.get_running_loop()
        for _attempt in range(20):
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.host, 0)
            )
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:  # the TCP side of that port is taken: try another
                transport.close()
                continue
            self._udp = transport
            self.port = port
            return
        raise RuntimeError("no free port for the test DNS server")

    async def stop(self) -> None:
        self._stopped.set()
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    async def __aenter__(self) -> DnsServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def resolver(self, lifetime: float = 2.0) -> dns.asyncresolver.Resolver:
        """A dnspython resolver that asks this server only, with a short lifetime."""
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [self.host]
        resolver.port = self.port
        resolver.timeout = lifetime
        resolver.lifetime = lifetime
        return resolver

    # -- answering -----------------------------------------------------------------------

    def _behaviour(self, name: str, rdtype: str) -> Behaviour | None:
        return self.behaviour.get((name, rdtype)) or self.behaviour.get(name)

    def _exists(self, name: str) -> bool:
        if not name:  # the root: the parent of every listed name (a server with none denies all)
            return bool(self.records)
        return name in self.records or any(listed.endswith("." + name) for listed in self.records)

    def handle(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query in wire form, or None for no reply at all."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = _key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype, transport))

        behaviour = self._behaviour(name, rdtype)
        if behaviour == "timeout":
            return None
        if behaviour == "empty":
            return b""

        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if behaviour == "malformed":
            # The right message id, then a header that promises records which never come.
            return response.to_wire()[:2] + MALFORMED_HEADER
        if behaviour == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
        elif not self._exists(name):
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            data = self.records.get(name, {}).get(rdtype, [])
            if data:
                response.answer.append(
                    dns.rrset.from_text_list(
                        question.name, TTL, dns.rdataclass.IN, question.rdtype, data
                    )
                )
        if transport == "tcp":
            return response.to_wire()
        limit = max(512, query.payload if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.TC
            return truncated.to_wire()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                wire = await reader.readexactly(size)
                reply = self.handle(wire, "tcp")
                if reply is None:
                    await self._stopped.wait()  # never answer; the client gives up
                    break
                if not reply:
                    break  # "empty" over TCP: hang up
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def refuse_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any look-up through the system resolver fail loudly: it would reach the internet.
    Addresses given as numbers still pass (they need no look-up)."""
    original = socket.getaddrinfo

    def refuse(*args: Any, **kwargs: Any) -> Any:
        host = args[0] if args else kwargs.get("host")
        if host in ("127.0.0.1", "::1", None):
            return original(*args, **kwargs)
        raise AssertionError(f"a test tried to resolve {host!r} for real")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
