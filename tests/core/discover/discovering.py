"""The local servers discovery is tested against: an HTTPS server for autoconfig files, small
SMTP servers for the probe, and a way to run discovery with every name on loopback. Shared by
the modules of this folder (their fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import trustme

from tests.dns_server import Behaviour, DnsServer, Records
from tui.core.discover.engine import (
    DiscoveryEvent,
    DiscoveryFinished,
    LayerEnded,
    LayerStarted,
    ProbePorts,
    discover,
)

ADDRESS = "jane.doe@example.com"
NAMES = ("example.com", "autoconfig.example.com", "smtp.example.com", "mail.example.com")
ON_LOOPBACK = {name: "127.0.0.1" for name in NAMES}


# ---------------------------------------------------------------------------------------
# Certificates


@dataclass
class Certs:
    ca: trustme.CA
    client: ssl.SSLContext  # trusts the test CA, checks host names
    server: ssl.SSLContext  # a certificate for every name in NAMES
    wrong_name: ssl.SSLContext  # a valid certificate, for another name


# ---------------------------------------------------------------------------------------
# A small HTTPS server for autoconfig files


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False  # accept the request and never answer


class HttpsServer:
    """Answers GET requests from `pages`, keyed by (Host without port, path)."""

    def __init__(self, context: ssl.SSLContext, pages: Mapping[tuple[str, str], Page]) -> None:
        self.context = context
        self.pages = dict(pages)
        self.requests: list[tuple[str, str]] = []  # (Host header, request target)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._stop = asyncio.Event()

    async def __aenter__(self) -> HttpsServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode("latin-1").split()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode("latin-1").strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            target = request_line[1]
            host = headers.get("host", "")
            self.requests.append((host, target))
            page = self.pages.get((host.split(":")[0], target.split("?")[0]), Page(status=404))
            if page.hang:
                await self._stop.wait()
                return
            head = [f"HTTP/1.1 {page.status} X", f"Content-Length: {len(page.body)}"]
            head += [f"{name}: {value}" for name, value in page.headers.items()]
            head.append("Connection: close")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + page.body)
            await writer.drain()
        except (ConnectionError, ssl.SSLError, IndexError):
            pass
        finally:
            writer.transport.abort()


def autoconfig_xml(*servers: tuple[str, str, str, str], doctype: str = "") -> bytes:
    """A clientConfig with one outgoingServer per (hostname, port, socketType, username)."""
    outgoing = "".join(
        f"""
    <outgoingServer type="smtp">
      <hostname>{host}</hostname>
      <port>{port}</port>
      <socketType>{socket_type}</socketType>
      <authentication>password-cleartext</authentication>
      <username>{username}</username>
    </outgoingServer>"""
        for host, port, socket_type, username in servers
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>{outgoing}
  </emailProvider>
</clientConfig>
""".encode()


AUTOCONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"


# ---------------------------------------------------------------------------------------
# Small SMTP servers for the probe


class SmtpServer:
    """Speaks just enough SMTP for a probe and records every command it receives.

    implicit: TLS from the first byte; starttls: offers STARTTLS with this context;
    delay: seconds before the greeting; silent: accepts and never says a word.
    """

    def __init__(
        self,
        *,
        implicit: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
        delay: float = 0.0,
        silent: bool = False,
    ) -> None:
        self.implicit = implicit
        self.starttls = starttls
        self.delay = delay
        self.silent = silent
        self.commands: list[str] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._stop = asyncio.Event()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=self.implicit)
        return int(self._server.sockets[0].getsockname()[1])

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.silent:
                await self._stop.wait()
                return
            await asyncio.sleep(self.delay)
            writer.write(b"220 test.example.com ESMTP ready\r\n")
            upgraded = False
            while line := await reader.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                self.commands.append(command)
                verb = command.split(" ")[0].upper()
                if verb == "EHLO":
                    offer = self.starttls is not None and not upgraded
                    extensions = ["250-test.example.com", "250-SIZE 1000000"]
                    extensions += ["250-STARTTLS"] if offer else []
                    extensions += ["250 AUTH PLAIN LOGIN"]
                    writer.write(("\r\n".join(extensions) + "\r\n").encode())
                elif verb == "STARTTLS" and self.starttls is not None and not upgraded:
                    writer.write(b"220 2.0.0 go ahead\r\n")
                    await writer.drain()
                    await writer.start_tls(self.starttls)
                    upgraded = True
                elif verb == "QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"502 5.5.1 not here\r\n")
                await writer.drain()
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            writer.transport.abort()


def free_port() -> int:
    """A port where nothing listens (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def smtp_servers(
    tls: SmtpServer | None, starttls: SmtpServer | None
) -> AsyncIterator[ProbePorts]:
    """Start the servers for the implicit-TLS and the STARTTLS port (None: refused)."""
    started: list[SmtpServer] = []
    try:
        ports: list[int] = []
        for server in (tls, starttls):
            if server is None:
                ports.append(free_port())
            else:
                ports.append(await server.start())
                started.append(server)
        yield ProbePorts(tls=ports[0], starttls=ports[1])
    finally:
        for server in started:
            server.close()


# ---------------------------------------------------------------------------------------
# Running discovery


@dataclass
class Run:
    events: list[DiscoveryEvent]

    @property
    def finished(self) -> DiscoveryFinished:
        last = self.events[-1]
        assert isinstance(last, DiscoveryFinished)
        return last

    @property
    def ended(self) -> dict[str, LayerEnded]:
        return {e.layer: e for e in self.events if isinstance(e, LayerEnded)}

    @property
    def layers(self) -> list[str]:
        return [e.layer for e in self.events if isinstance(e, LayerStarted)]


async def run(
    records: Records,
    *,
    address: str = ADDRESS,
    behaviour: Mapping[str | tuple[str, str], Behaviour] | None = None,
    domain_exists: bool = True,
    **options: Any,
) -> Run:
    if domain_exists:  # example.com exists in DNS, with whatever else the test gives
        records = {"example.com": {"TXT": ['"v=spf1 -all"']}, **records}
    options.setdefault("addresses", {})  # nothing resolves unless a test says so
    options.setdefault("dns_timeout", 1.0)
    options.setdefault("probe_timeout", 2.0)
    async with DnsServer(records, behaviour=behaviour) as dns_server:
        events = [
            event async for event in discover(address, resolver=dns_server.resolver(1.0), **options)
        ]
    result = Run(events)
    # Every run: layers start and end in pairs, in order, and finish exactly once.
    starts = [e for e in events if isinstance(e, LayerStarted)]
    ends = [e for e in events if isinstance(e, LayerEnded)]
    assert [e.layer for e in starts] == [e.layer for e in ends]
    assert sum(isinstance(e, DiscoveryFinished) for e in events) == 1
    assert len(result.finished.tried) == len(starts) or "ran out" in result.finished.tried[-1]
    return result
