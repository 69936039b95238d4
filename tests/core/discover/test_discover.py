"""Discovery, layer by layer, against real local servers: a DNS server (tests/dns_server.py),
an HTTPS server for autoconfig files and small SMTP servers for the probe, all on loopback
with trustme certificates. Every test passes `addresses`, so no name ever leaves the
machine: a name that is not listed there does not resolve.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import trustme

from tests.certificates import server_context, trusting
from tests.dns_server import Behaviour, DnsServer, Records, refuse_real_dns
from tui.core.discover.engine import (
    AddressError,
    AutoconfigError,
    DiscoveryEvent,
    DiscoveryFinished,
    LayerEnded,
    LayerStarted,
    ProbePorts,
    discover,
    event_as_dict,
    parse_autoconfig,
    probe_servers,
    split_address,
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


@pytest.fixture(scope="module")
def certs(ca: trustme.CA) -> Certs:
    return Certs(
        ca,
        trusting(ca),
        server_context(ca, *NAMES),
        server_context(ca, "elsewhere.example.org"),
    )


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


# ---------------------------------------------------------------------------------------
# The address


@pytest.mark.parametrize(
    "text", ["", "jane", "@example.com", "jane@", "jane@localhost", "ja ne@example.com", "a@-.com"]
)
def test_a_text_that_is_not_an_address_is_refused_before_any_lookup(text: str) -> None:
    with pytest.raises(AddressError, match="not an email address"):
        discover(text)


def test_split_address_gives_the_ascii_domain() -> None:
    assert split_address("  Jane@Bücher.Example ") == ("Jane", "xn--bcher-kva.example")


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="probe_timeout"):
        discover(ADDRESS, probe_timeout=0)


# ---------------------------------------------------------------------------------------
# Layer 1: the catalogue


async def test_a_catalogue_domain_is_answered_without_any_network() -> None:
    async with DnsServer({}) as dns_server:
        events = [
            e
            async for e in discover(
                "someone@GMail.com", resolver=dns_server.resolver(), addresses={}
            )
        ]
        assert dns_server.queries == []
    result = Run(events)
    assert result.layers == ["catalogue"]
    assert result.ended["catalogue"].found
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == ("smtp.gmail.com", 465, "tls")
    assert suggestion.provider_id == "gmail"
    assert suggestion.source == "catalogue"
    assert suggestion.why == "gmail.com is served by Gmail."
    assert suggestion.username_hint == "someone@GMail.com"
    assert not suggestion.needs_confirmation


# ---------------------------------------------------------------------------------------
# Layer 2: MX records


async def test_mx_of_google_means_google_workspace() -> None:
    result = await run(
        {"example.com": {"MX": ["20 alt1.aspmx.l.google.com.", "10 aspmx.l.google.com."]}}
    )
    assert result.layers == ["catalogue", "mx"]
    assert result.ended["mx"].detail == "aspmx.l.google.com -> Google Workspace"
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert suggestion.provider_id == "google-workspace"
    assert (suggestion.host, suggestion.port, suggestion.security) == ("smtp.gmail.com", 465, "tls")
    assert suggestion.source == "mx"
    assert "aspmx.l.google.com" in suggestion.why and "Google Workspace" in suggestion.why
    assert suggestion.username_hint == ADDRESS
    assert not suggestion.needs_confirmation


async def test_mx_in_a_region_picks_that_regions_server() -> None:
    result = await run({"example.com": {"MX": ["10 mx.zoho.eu.", "20 mx2.zoho.eu."]}})
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.provider_id, suggestion.host) == ("zoho", "smtp.zoho.eu")
    assert "Europe" in suggestion.why


async def test_a_known_backup_mx_still_reveals_the_provider() -> None:
    result = await run(
        {
            "example.com": {
                "MX": ["10 filter.example.net.", "20 example-com.mail.protection.outlook.com."]
            }
        }
    )
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert suggestion.provider_id == "microsoft365"


async def test_mx_of_an_unknown_provider_falls_through_to_the_next_layers() -> None:
    result = await run({"example.com": {"MX": ["10 mx1.example.net.", "20 mx2.example.net."]}})
    assert result.layers == ["catalogue", "mx", "srv", "autoconfig", "probe"]
    mx = result.ended["mx"]
    assert not mx.found
    assert mx.detail == "mx1.example.net, mx2.example.net: not a provider mailwiz knows"
    assert result.finished.suggestion is None
    assert result.finished.fallback_host == "smtp.example.com"
    assert len(result.finished.tried) == 5
    assert result.finished.tried[1] == (
        "Looking up configuration: MX records of example.com:"
        " mx1.example.net, mx2.example.net: not a provider mailwiz knows"
    )


async def test_no_mx_records() -> None:
    result = await run({"example.com": {"A": ["127.0.0.1"]}})
    assert result.ended["mx"].detail == "no MX records"
    assert result.layers[-1] == "probe"


async def test_null_mx_is_reported_and_the_search_goes_on() -> None:
    result = await run({"example.com": {"MX": ["0 ."]}})
    assert result.ended["mx"].detail == "null MX: example.com says it receives no mail"
    assert result.layers[-1] == "probe"


async def test_a_dns_that_denies_every_name_is_broken_not_a_typo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = await run({}, domain_exists=False)
    assert result.layers == ["catalogue", "mx"]
    assert "the DNS looks broken" in result.ended["mx"].detail
    assert "typo" not in result.ended["mx"].detail
    assert result.finished.dns_failures  # so the command line prints its caveat
    from tui.commands.discover import print_suggestion

    print_suggestion(result.finished)
    assert "that may be the DNS failures" in capsys.readouterr().out


async def test_a_domain_that_does_not_exist_stops_the_search_with_a_typo_hint() -> None:
    result = await run({"example.org": {"MX": ["10 aspmx.l.google.com."]}}, domain_exists=False)
    assert result.layers == ["catalogue", "mx"]
    assert "example.com does not exist in DNS" in result.ended["mx"].detail
    assert "typo" in result.finished.tried[-1]
    assert result.finished.suggestion is None


@pytest.mark.parametrize(
    ("behaviour", "detail"),
    [
        ("timeout", "timed out"),
        # dnspython drops a reply it cannot parse (a forged one looks the same), so a
        # broken answer ends like a silent server.
        ("malformed", "timed out"),
        ("empty", "timed out"),
        ("servfail", "the DNS servers failed to answer"),
    ],
)
async def test_mx_lookup_that_fails_is_reported_and_the_search_goes_on(
    behaviour: Behaviour, detail: str
) -> None:
    result = await run(
        {"example.com": {"MX": ["10 aspmx.l.google.com."]}},
        behaviour={("example.com", "MX"): behaviour},
        dns_timeout=0.5,
    )
    assert result.ended["mx"].detail == detail
    assert not result.ended["mx"].found
    assert result.layers[-1] == "probe"


# ---------------------------------------------------------------------------------------
# Layer 3: SRV records


async def test_srv_submissions_inside_the_domain_is_trusted() -> None:
    result = await run(
        {
            "example.com": {"MX": ["10 mx1.example.net."]},
            "_submissions._tcp.example.com": {
                "SRV": ["10 1 465 backup.example.com.", "0 1 465 smtp.example.com."]
            },
            "_submission._tcp.example.com": {"SRV": ["0 1 587 smtp.example.com."]},
        }
    )
    assert result.layers == ["catalogue", "mx", "srv"]
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "smtp.example.com",
        465,
        "tls",
    )
    assert (suggestion.source, suggestion.provider_id) == ("srv", "custom")
    assert not suggestion.needs_confirmation
    assert "_submissions._tcp.example.com" in suggestion.why


async def test_srv_dot_target_means_no_service_so_starttls_record_is_used() -> None:
    result = await run(
        {
            "_submissions._tcp.example.com": {"SRV": ["0 0 0 ."]},
            "_submission._tcp.example.com": {"SRV": ["0 1 587 mail.example.com."]},
        }
    )
    srv = result.ended["srv"]
    assert srv.found
    assert '_submissions: "." (the domain says there is no such service)' in srv.detail
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "mail.example.com",
        587,
        "starttls",
    )


async def test_srv_dot_targets_only_fall_through() -> None:
    result = await run(
        {
            "_submissions._tcp.example.com": {"SRV": ["0 0 0 ."]},
            "_submission._tcp.example.com": {"SRV": ["0 0 0 ."]},
        }
    )
    assert not result.ended["srv"].found
    assert result.finished.suggestion is None


async def test_srv_pointing_elsewhere_needs_confirmation_and_is_offered_last() -> None:
    result = await run(
        {"_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.mailhost.example.net."]}}
    )
    # An unconfirmed answer does not stop the search: later layers may find a trusted one.
    assert result.layers == ["catalogue", "mx", "srv", "autoconfig", "probe"]
    assert result.ended["srv"].found
    assert "outside example.com: confirm it" in result.ended["srv"].detail
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert suggestion.host == "smtp.mailhost.example.net"
    assert suggestion.needs_confirmation
    assert "outside example.com" in suggestion.why


async def test_a_trusted_later_answer_wins_over_an_srv_pointing_elsewhere(
    certs: Certs,
) -> None:
    page = Page(autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%")))
    async with HttpsServer(
        certs.server, {("autoconfig.example.com", AUTOCONFIG_PATH): page}
    ) as web:
        result = await run(
            {"_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.mailhost.example.net."]}},
            addresses=ON_LOOPBACK,
            https_port=web.port,
            ssl_context=certs.client,
            probe_hosts=(),
        )
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.source, suggestion.host) == ("autoconfig", "smtp.example.com")
    assert not suggestion.needs_confirmation


async def test_srv_timeout() -> None:
    result = await run(
        {"_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.example.com."]}},
        behaviour={"_submissions._tcp.example.com": "timeout"},
        dns_timeout=0.5,
    )
    srv = result.ended["srv"]
    assert not srv.found
    assert srv.detail == "_submissions: timed out; _submission: no record"


# ---------------------------------------------------------------------------------------
# Layer 4: autoconfig


async def test_autoconfig_prefers_ssl_and_fills_placeholders(certs: Certs) -> None:
    xml = autoconfig_xml(
        ("smtp.%EMAILDOMAIN%", "587", "STARTTLS", "%EMAILADDRESS%"),
        ("smtp.%EMAILDOMAIN%", "465", "SSL", "%EMAILLOCALPART%"),
    )
    pages = {("autoconfig.example.com", AUTOCONFIG_PATH): Page(xml)}
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    assert result.layers == ["catalogue", "mx", "srv", "autoconfig"]
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "smtp.example.com",
        465,
        "tls",
    )
    assert suggestion.username_hint == "jane.doe"
    assert suggestion.source == "autoconfig"
    assert not suggestion.needs_confirmation
    assert f"https://autoconfig.example.com:{web.port}{AUTOCONFIG_PATH}" in suggestion.why
    host, target = web.requests[0]
    assert host == f"autoconfig.example.com:{web.port}"
    assert target == f"{AUTOCONFIG_PATH}?emailaddress=jane.doe%40example.com"


async def test_autoconfig_falls_back_to_the_well_known_address(certs: Certs) -> None:
    xml = autoconfig_xml(("mail.example.com", "587", "STARTTLS", "%EMAILADDRESS%"))
    pages = {("example.com", WELL_KNOWN_PATH): Page(xml)}
    async with (
        HttpsServer(certs.server, pages) as web,
        httpx.AsyncClient(verify=certs.client, trust_env=False) as client,
    ):
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, http=client)
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.security) == ("mail.example.com", "starttls")
    assert suggestion.username_hint == ADDRESS


def _autoconfig_page(body: bytes) -> dict[tuple[str, str], Page]:
    return {("autoconfig.example.com", AUTOCONFIG_PATH): Page(body)}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<clientConfig><emailProvider><outgoingServer type="smtp">
<hostname>&lol2;.example.com</hostname><port>465</port><socketType>SSL</socketType>
</outgoingServer></emailProvider></clientConfig>"""

EXTERNAL_ENTITY = autoconfig_xml(
    ("&host;", "465", "SSL", "%EMAILADDRESS%"),
    doctype='\n<!DOCTYPE clientConfig [<!ENTITY host SYSTEM "file:///etc/hostname">]>',
)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<clientConfig><emailProvider>", "bad XML"),
        (b"this is not xml at all", "bad XML"),
        (BILLION_LAUGHS, "refused: the file declares a DTD or entities"),
        (EXTERNAL_ENTITY, "refused: the file declares a DTD or entities"),
        (b"<html><body>Welcome</body></html>", "not an autoconfig file (root element <html>)"),
        (
            autoconfig_xml(("smtp.example.com", "25", "plain", "%EMAILADDRESS%")),
            "it offers only an unencrypted server, which mailwiz never suggests",
        ),
        (
            autoconfig_xml(("smtp.example.com", "99999", "SSL", "x")),
            "no usable SMTP server in the file",
        ),
        ("<clientConfig/>".encode("utf-16"), "not UTF-8 text"),
    ],
)
async def test_autoconfig_that_cannot_be_used_falls_through(
    certs: Certs, body: bytes, problem: str
) -> None:
    async with HttpsServer(certs.server, _autoconfig_page(body)) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    autoconfig = result.ended["autoconfig"]
    assert not autoconfig.found
    assert autoconfig.detail == f"autoconfig.example.com: {problem}; example.com: HTTP 404"
    assert result.layers[-1] == "probe"
    assert result.finished.suggestion is None


async def test_autoconfig_with_a_certificate_for_another_name_is_not_used(
    certs: Certs,
) -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%"))
    async with HttpsServer(certs.wrong_name, _autoconfig_page(xml)) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    detail = result.ended["autoconfig"].detail
    assert detail.startswith("autoconfig.example.com: certificate not valid (")
    assert "Hostname mismatch" in detail
    assert result.finished.suggestion is None


async def test_autoconfig_that_never_answers_times_out(certs: Certs) -> None:
    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(hang=True),
        ("example.com", WELL_KNOWN_PATH): Page(hang=True),
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run(
            {},
            addresses=ON_LOOPBACK,
            https_port=web.port,
            ssl_context=certs.client,
            http_timeout=0.5,
        )
    assert result.ended["autoconfig"].detail == "timed out"
    assert result.layers[-1] == "probe"


async def test_autoconfig_follows_https_redirects_but_not_plain_http(certs: Certs) -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%"))
    moved = "/moved/config-v1.1.xml"
    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(status=302, headers={"Location": moved}),
        ("autoconfig.example.com", moved): Page(xml),
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    assert result.finished.suggestion is not None
    assert result.finished.suggestion.source == "autoconfig"

    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(
            status=301, headers={"Location": "http://autoconfig.example.com/x.xml"}
        )
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    assert result.ended["autoconfig"].detail == (
        "autoconfig.example.com: redirects to plain http (not followed); example.com: HTTP 404"
    )


async def test_autoconfig_of_a_name_that_does_not_resolve() -> None:
    result = await run({})
    assert result.ended["autoconfig"].detail == (
        "autoconfig.example.com does not resolve; example.com does not resolve"
    )


def test_parse_autoconfig_keeps_unknown_placeholders_out_of_the_username() -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%REALNAME%"))
    server = parse_autoconfig(xml, "jane@example.com")
    assert server.username == "jane@example.com"


def test_parse_autoconfig_refuses_a_lowercase_doctype_too() -> None:
    with pytest.raises(AutoconfigError, match="DTD"):
        parse_autoconfig(b"<!doctype clientConfig><clientConfig/>", "jane@example.com")


def test_parse_autoconfig_ignores_a_server_with_a_bad_hostname() -> None:
    xml = autoconfig_xml(
        ("not a host", "465", "SSL", "%EMAILADDRESS%"),
        ("smtp.example.com", "587", "STARTTLS", "%EMAILADDRESS%"),
    )
    server = parse_autoconfig(xml, "jane@example.com")
    assert (server.host, server.port, server.security) == ("smtp.example.com", 587, "starttls")


# ---------------------------------------------------------------------------------------
# Layer 5: the probe


async def test_probe_prefers_implicit_tls_even_when_starttls_answers_first(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server, delay=0.3)
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(tls, starttls) as ports:
        result = await run(
            {},
            addresses={"smtp.example.com": "127.0.0.1"},
            ports=ports,
            ssl_context=certs.client,
        )
    probe = result.ended["probe"]
    assert probe.found
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "smtp.example.com",
        ports.tls,
        "tls",
    )
    assert (suggestion.source, suggestion.provider_id) == ("probe", "custom")
    assert "valid certificate" in suggestion.why
    assert f"mail.example.com:{ports.tls} does not resolve" in probe.detail


async def test_probe_uses_starttls_when_implicit_tls_is_refused(certs: Certs) -> None:
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(None, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert [r.outcome for r in report.results] == ["refused", "ok"]
    assert report.best is not None
    assert (report.best.port, report.best.security) == (ports.starttls, "starttls")
    assert starttls.commands[-1] == "QUIT"


async def test_probe_never_sends_credentials(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server)
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(tls, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
        # The STARTTLS probe may have been stopped early; let it run on its own too.
        alone = await probe_servers(
            ["smtp.example.com"],
            ports=ProbePorts(tls=free_port(), starttls=ports.starttls),
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert report.best is not None and alone.best is not None
    assert alone.best.security == "starttls"
    commands = tls.commands + starttls.commands
    assert "STARTTLS" in starttls.commands  # the STARTTLS path really ran
    verbs = {command.split(" ")[0].upper() for command in commands}
    assert verbs <= {"EHLO", "STARTTLS", "QUIT"}
    assert not any("AUTH" in command.upper() for command in commands)
    # EHLO names no host of this computer, only the connection's address.
    assert all(c in ("EHLO [127.0.0.1]", "STARTTLS", "QUIT") for c in commands)


async def test_a_blackholed_port_is_cut_off_at_the_deadline(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server, silent=True)
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(tls, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=1.5,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    tls_result, starttls_result = report.results
    assert tls_result.outcome == "timeout"
    assert tls_result.detail == "no answer within 1.5 s"
    assert starttls_result.outcome == "ok"
    assert report.best == starttls_result


async def test_a_probe_with_a_bad_certificate_is_reported_not_suggested(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.wrong_name)
    starttls = SmtpServer(starttls=certs.wrong_name)
    async with smtp_servers(tls, starttls) as ports:
        result = await run(
            {},
            addresses={"smtp.example.com": "127.0.0.1"},
            ports=ports,
            ssl_context=certs.client,
            probe_hosts=["smtp.example.com"],
        )
    assert result.finished.suggestion is None
    detail = result.ended["probe"].detail
    assert f"smtp.example.com:{ports.tls} certificate not valid (Hostname mismatch" in detail
    assert f"smtp.example.com:{ports.starttls} certificate not valid (Hostname mismatch" in detail


async def test_a_server_without_starttls_is_never_suggested(certs: Certs) -> None:
    plain = SmtpServer()  # speaks SMTP, offers no STARTTLS
    async with smtp_servers(None, plain) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert report.best is None
    assert report.results[1].outcome == "no-starttls"
    assert plain.commands == ["EHLO [127.0.0.1]"]  # nothing after: no STARTTLS, no AUTH


async def test_implicit_tls_probe_of_a_plain_port_fails_as_tls(certs: Certs) -> None:
    plain = SmtpServer(starttls=certs.server)
    async with smtp_servers(plain, None) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert report.results[0].outcome == "tls"
    assert report.best is None


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")
async def test_probe_prefers_smtp_host_then_mail_host(certs: Certs) -> None:
    """smtp.example.com on 127.0.0.1 fails verification; mail.example.com on ::1 works."""
    bad = SmtpServer(implicit=certs.wrong_name)
    good = SmtpServer(implicit=certs.server, delay=0.2)
    port = await bad.start()
    try:
        await good.start("::1", port)
        report = await probe_servers(
            ["smtp.example.com", "mail.example.com"],
            ports=ProbePorts(tls=port, starttls=free_port()),
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1", "mail.example.com": "::1"},
        )
    finally:
        bad.close()
        good.close()
    assert report.best is not None
    assert report.best.host == "mail.example.com"
    assert good.commands == ["EHLO [IPv6:::1]", "QUIT"]


async def test_less_preferred_probes_are_stopped_once_the_answer_is_known(
    certs: Certs,
) -> None:
    tls = SmtpServer(implicit=certs.server)
    starttls = SmtpServer(starttls=certs.server, silent=True)
    async with smtp_servers(tls, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=30,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert [r.outcome for r in report.results] == ["ok", "skipped"]


# ---------------------------------------------------------------------------------------
# The whole search


async def test_nothing_found_says_what_was_tried() -> None:
    result = await run({"example.com": {"MX": ["10 mx1.example.net."]}})
    finished = result.finished
    assert finished.suggestion is None
    assert finished.fallback_host == "smtp.example.com"
    assert [line.split(":")[0] for line in finished.tried] == [
        "Looking up configuration",
        "Looking up configuration",
        "Looking up configuration",
        "Looking up configuration",
        "Trying servers",
    ]
    assert "mx1.example.net" in finished.tried[1]
    assert "smtp.example.com:465 does not resolve" in finished.tried[4]


async def test_the_whole_search_stops_at_its_deadline(certs: Certs) -> None:
    result = await run(
        {"example.com": {"MX": ["10 aspmx.l.google.com."]}},
        behaviour={"example.com": "timeout"},
        deadline=0.4,
        dns_timeout=5,
    )
    assert result.ended["mx"].detail == "timed out"
    assert result.layers == ["catalogue", "mx"]
    assert result.finished.tried[-1].endswith(
        "not tried, the 0.4 s limit for the whole search ran out"
    )
    assert len(result.finished.tried) == 5


async def test_cancelling_discovery_propagates_and_closes_connections(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server, silent=True)
    starttls = SmtpServer(starttls=certs.server, silent=True)
    seen: list[DiscoveryEvent] = []

    async def consume(ports: ProbePorts, resolver: Any) -> None:
        async for event in discover(
            ADDRESS,
            resolver=resolver,
            addresses={"smtp.example.com": "127.0.0.1"},
            ports=ports,
            ssl_context=certs.client,
            probe_timeout=60,
            deadline=120,
        ):
            seen.append(event)

    records = {"example.com": {"MX": ["10 mx1.example.net."]}}
    async with DnsServer(records) as dns_server, smtp_servers(tls, starttls) as ports:
        task = asyncio.create_task(consume(ports, dns_server.resolver()))
        async with asyncio.timeout(10):
            while not (tls.connections and starttls.connections):
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
    assert isinstance(seen[-1], LayerStarted) and seen[-1].layer == "probe"


async def test_events_are_json_ready() -> None:
    result = await run({"example.com": {"MX": ["10 aspmx.l.google.com."]}})
    lines = [json.dumps(event_as_dict(event)) for event in result.events]
    assert json.loads(lines[0]) == {
        "event": "layer_started",
        "layer": "catalogue",
        "description": "Looking up configuration: mailwiz's list of providers, for example.com",
    }
    last = json.loads(lines[-1])
    assert last["event"] == "finished"
    assert last["suggestion"]["provider_id"] == "google-workspace"
    assert last["fallback_host"] == "smtp.example.com"


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_real_dns(monkeypatch)


# ---------------------------------------------------------------------------------------
# Issue 12 item 11 and issue 11 item 11: a redirected autoconfig, failed DNS look-ups


async def test_autoconfig_redirected_to_another_host_is_flagged_with_its_real_source(
    certs: Certs,
) -> None:
    hoster = "config.hoster.example.net"
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certs.ca.issue_cert(*NAMES, hoster).configure_cert(context)
    xml = autoconfig_xml(("smtp.hoster.example.net", "465", "SSL", "%EMAILADDRESS%"))
    async with HttpsServer(context, {(hoster, "/example.com/config.xml"): Page(xml)}) as web:
        moved = f"https://{hoster}:{web.port}/example.com/config.xml"
        web.pages[("autoconfig.example.com", AUTOCONFIG_PATH)] = Page(
            status=302, headers={"Location": moved}
        )
        result = await run(
            {},
            addresses={**ON_LOOPBACK, hoster: "127.0.0.1"},
            https_port=web.port,
            ssl_context=certs.client,
            probe_timeout=0.5,
        )
    assert "redirected to config.hoster.example.net" in result.ended["autoconfig"].detail
    suggestion = result.finished.suggestion
    assert suggestion is not None and suggestion.source == "autoconfig"
    assert suggestion.redirected
    assert suggestion.origin == moved
    assert suggestion.needs_confirmation  # outside example.com: the user decides
    assert f"from {moved}" in suggestion.why and "outside example.com" in suggestion.why


async def test_autoconfig_redirected_inside_the_same_host_is_not_flagged(certs: Certs) -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%"))
    moved = "/moved/config-v1.1.xml"
    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(status=302, headers={"Location": moved}),
        ("autoconfig.example.com", moved): Page(xml),
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert not suggestion.redirected and not suggestion.needs_confirmation


@pytest.mark.parametrize(
    ("behaviour", "problem"),
    [("timeout", "timed out"), ("servfail", "the DNS servers failed to answer")],
)
async def test_failed_dns_look_ups_are_data_on_the_finished_event(
    behaviour: Behaviour, problem: str
) -> None:
    result = await run(
        {},
        behaviour={("example.com", "MX"): behaviour},
        dns_timeout=0.5,
        probe_timeout=0.5,
    )
    assert f"MX example.com: {problem}" in result.finished.dns_failures
    assert event_as_dict(result.finished)["dns_failures"] == list(result.finished.dns_failures)


async def test_dns_that_answers_no_records_is_not_a_failure() -> None:
    result = await run({}, probe_timeout=0.5)
    assert result.finished.suggestion is None
    assert result.finished.dns_failures == ()
