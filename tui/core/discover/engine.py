"""Find the outgoing-mail settings for an email address, one layer at a time, shown live.

    async for event in discover("me@example.com"):
        ...  # LayerStarted, LayerEnded, ..., then one DiscoveryFinished

The layers run in this order and discovery stops at the first trustworthy answer:

1. "catalogue"  mailwiz's provider list knows the domain (gmail.com -> Gmail);
2. "mx"         the domain's MX records point to a known provider (Google Workspace...);
3. "srv"        SRV records _submissions._tcp (implicit TLS), then _submission._tcp
                (STARTTLS), RFC 8314 / RFC 6186; a target of "." means "no service";
4. "autoconfig" a Thunderbird-format autoconfig file, over https only, from
                autoconfig.<domain>, then <domain>/.well-known; only its SMTP part is read;
5. "probe"      smtp.<domain> and mail.<domain> on 465 (implicit TLS) and 587 (STARTTLS),
                all at once, each only as far as the EHLO reply (and STARTTLS with its TLS
                handshake): no credentials are ever sent.

Every Suggestion says where it came from (`source`) and why we think so (`why`). A
suggestion that DNS alone vouches for and that leads outside the domain (an SRV record
pointing to another domain) has `needs_confirmation=True`: discovery then goes on looking
for a trustworthy answer and offers the unconfirmed one only when nothing better is found.
An unencrypted setting is never suggested, and a server whose certificate fails
verification is reported, never suggested.

Nothing here raises for a network problem: each layer ends with what happened in `detail`.
CancelledError propagates promptly (connections are aborted).

Injectables, so that tests and closed networks need no internet:
- `resolver`: a dnspython asynchronous resolver (for MX and SRV records);
- `addresses`: a private hosts table {name: IP address}. When given, it is the only way
  host names become addresses for the autoconfig fetch and the probe, and a name not
  listed counts as not resolving. Certificates are still checked against the name;
- `https_port`, `ports`: the port numbers of the autoconfig fetch and the probe;
- `ssl_context`: trust for the autoconfig fetch and the probe (default:
  ssl.create_default_context(), host names checked);
- `http`: an httpx.AsyncClient for the autoconfig fetch (it then decides the trust).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import ssl
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
import httpx
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.IN.SRV import SRV

from tui.core.providers import (
    CUSTOM_ID,
    Endpoint,
    Provider,
    normalise_domain,
    provider_for_domain,
    provider_for_host,
    provider_for_mx,
)

Layer = Literal["catalogue", "mx", "srv", "autoconfig", "probe"]
Security = Literal["tls", "starttls"]
Source = Layer

#: The layers, in the order they run.
LAYERS: tuple[Layer, ...] = ("catalogue", "mx", "srv", "autoconfig", "probe")

#: Default limits, in seconds.
DEADLINE = 15.0
DNS_TIMEOUT = 3.0
HTTP_TIMEOUT = 5.0
PROBE_TIMEOUT = 6.0

#: An autoconfig file larger than this is refused (real ones are a few kilobytes).
MAX_AUTOCONFIG_BYTES = 256 * 1024
MAX_REDIRECTS = 3
_MAX_REPLY_LINES = 100

_SECURITY_WORDS: dict[Security, str] = {"tls": "implicit TLS", "starttls": "STARTTLS"}
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\x9f]")
_PLACEHOLDER_RE = re.compile(r"%[A-Za-z]+%")


class AddressError(ValueError):
    """The text given to discover() is not an email address we can look up."""


# ---------------------------------------------------------------------------------------
# What discovery reports


@dataclass(frozen=True)
class Suggestion:
    """Proposed SMTP settings, with where they came from and why we think so."""

    host: str
    port: int
    security: Security
    provider_id: str  # a catalogue id, or "custom"
    username_hint: str  # what to put in the user name field
    source: Source
    why: str  # one plain sentence for the user
    needs_confirmation: bool  # True: show it, but let the user decide


@dataclass(frozen=True)
class LayerStarted:
    layer: Layer
    description: str  # "Looking up configuration: MX records of example.com"


@dataclass(frozen=True)
class LayerEnded:
    layer: Layer
    found: bool
    detail: str  # "aspmx.l.google.com -> Google Workspace", "no MX records", "timed out"
    seconds: float = 0.0


@dataclass(frozen=True)
class DiscoveryFinished:
    suggestion: Suggestion | None
    tried: tuple[str, ...]  # one line per layer run: "<description>: <detail>"
    fallback_host: str  # smtp.<domain>, for "Other SMTP server" when nothing was found


DiscoveryEvent = LayerStarted | LayerEnded | DiscoveryFinished


def event_as_dict(event: DiscoveryEvent) -> dict[str, object]:
    """A JSON-ready dict of an event, with its kind under "event"."""
    kinds = {
        LayerStarted: "layer_started",
        LayerEnded: "layer_ended",
        DiscoveryFinished: "finished",
    }
    data = dataclasses.asdict(event)
    if isinstance(event, DiscoveryFinished):
        data["tried"] = list(event.tried)
    return {"event": kinds[type(event)], **data}


# ---------------------------------------------------------------------------------------
# The address


@dataclass(frozen=True)
class _Target:
    address: str  # as typed, without surrounding spaces
    local: str
    domain_text: str  # the domain as typed, in lower case
    domain: str  # its ASCII (IDNA) form, used for every look-up


def split_address(address: str) -> tuple[str, str]:
    """(local part, ASCII domain) of `address`; AddressError when it is not an address."""
    target = _target(address)
    return target.local, target.domain


def _target(address: str) -> _Target:
    text = address.strip()
    local, at, domain_text = text.rpartition("@")
    if not at or not local or not domain_text:
        raise AddressError(f"{text!r} is not an email address: it needs a name, @ and a domain.")
    if _CONTROL_RE.search(local):
        raise AddressError(
            f"{text!r} is not an email address: the part before @ has spaces or control characters."
        )
    domain = normalise_domain(domain_text)
    if domain is None or "." not in domain:
        raise AddressError(
            f"{text!r} is not an email address: {domain_text!r} is not a domain like example.com."
        )
    return _Target(text, local, domain_text.lower().rstrip("."), domain)


# ---------------------------------------------------------------------------------------
# Discovery


@dataclass(frozen=True)
class ProbePorts:
    """The ports the probe tries (tests use free local ports)."""

    tls: int = 465
    starttls: int = 587


@dataclass(frozen=True)
class _Options:
    resolver: dns.asyncresolver.Resolver | None
    http: httpx.AsyncClient | None
    ssl_context: ssl.SSLContext | None
    addresses: Mapping[str, str] | None
    https_port: int
    probe_hosts: tuple[str, ...] | None
    ports: ProbePorts
    deadline: float
    dns_timeout: float
    http_timeout: float
    probe_timeout: float


@dataclass(frozen=True)
class _Outcome:
    found: bool
    detail: str
    suggestions: tuple[Suggestion, ...] = ()
    stop: bool = False  # nothing further can succeed (the domain does not exist)


def discover(
    address: str,
    *,
    resolver: dns.asyncresolver.Resolver | None = None,
    http: httpx.AsyncClient | None = None,
    ssl_context: ssl.SSLContext | None = None,
    addresses: Mapping[str, str] | None = None,
    https_port: int = 443,
    probe_hosts: Sequence[str] | None = None,
    ports: ProbePorts = ProbePorts(),
    deadline: float = DEADLINE,
    dns_timeout: float = DNS_TIMEOUT,
    http_timeout: float = HTTP_TIMEOUT,
    probe_timeout: float = PROBE_TIMEOUT,
) -> AsyncGenerator[DiscoveryEvent, None]:
    """Look for the SMTP settings of `address`, yielding each layer as it starts and ends,
    then exactly one DiscoveryFinished.

    Raises AddressError at once (before any look-up) when `address` is not an address.
    `deadline` bounds the whole discovery; `dns_timeout` each DNS query; `http_timeout` the
    autoconfig layer; `probe_timeout` the probe layer, all probes together. A layer cut
    off by its limit ends with "timed out"; layers that the deadline left no time for are
    listed in `tried` as not tried. `probe_hosts` defaults to smtp.<domain>, mail.<domain>.
    """
    target = _target(address)
    for name, value in (
        ("deadline", deadline),
        ("dns_timeout", dns_timeout),
        ("http_timeout", http_timeout),
        ("probe_timeout", probe_timeout),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    options = _Options(
        resolver=resolver,
        http=http,
        ssl_context=ssl_context,
        addresses=addresses,
        https_port=https_port,
        probe_hosts=None if probe_hosts is None else tuple(probe_hosts),
        ports=ports,
        deadline=deadline,
        dns_timeout=dns_timeout,
        http_timeout=http_timeout,
        probe_timeout=probe_timeout,
    )
    return _discover(target, options)


def _probe_hosts(target: _Target, options: _Options) -> tuple[str, ...]:
    if options.probe_hosts is not None:
        return options.probe_hosts
    return (f"smtp.{target.domain}", f"mail.{target.domain}")


def _description(layer: Layer, target: _Target, options: _Options) -> str:
    domain = target.domain
    if layer == "catalogue":
        return f"Looking up configuration: mailwiz's list of providers, for {domain}"
    if layer == "mx":
        return f"Looking up configuration: MX records of {domain}"
    if layer == "srv":
        return (
            f"Looking up configuration: SRV records _submissions._tcp.{domain}"
            f" and _submission._tcp.{domain}"
        )
    if layer == "autoconfig":
        return f"Looking up configuration: autoconfig file at autoconfig.{domain} and {domain}"
    hosts = " and ".join(_probe_hosts(target, options))
    return (
        f"Trying servers: {hosts} on ports {options.ports.tls} (implicit TLS)"
        f" and {options.ports.starttls} (STARTTLS)"
    )


async def _discover(target: _Target, options: _Options) -> AsyncGenerator[DiscoveryEvent, None]:
    loop = asyncio.get_running_loop()
    end = loop.time() + options.deadline
    dns_client = _Dns(options.resolver)
    tried: list[str] = []
    chosen: Suggestion | None = None
    unconfirmed: Suggestion | None = None

    for layer in LAYERS:
        description = _description(layer, target, options)
        remaining = end - loop.time()
        if remaining <= 0:
            tried.append(
                f"{description}: not tried, the {options.deadline:g} s limit for the whole"
                " search ran out"
            )
            continue
        yield LayerStarted(layer, description)
        started = loop.time()
        outcome = await _run_layer(layer, target, options, dns_client, remaining)
        yield LayerEnded(layer, outcome.found, outcome.detail, loop.time() - started)
        tried.append(f"{description}: {outcome.detail}")

        chosen = next((s for s in outcome.suggestions if not s.needs_confirmation), None)
        if chosen is not None:
            break
        if unconfirmed is None and outcome.suggestions:
            unconfirmed = outcome.suggestions[0]
        if outcome.stop:
            break

    yield DiscoveryFinished(
        suggestion=chosen or unconfirmed,
        tried=tuple(tried),
        fallback_host=f"smtp.{target.domain}",
    )


async def _run_layer(
    layer: Layer, target: _Target, options: _Options, dns_client: _Dns, remaining: float
) -> _Outcome:
    """One layer, cut off at `remaining` seconds (never yields, so the limit is safe)."""
    limits: dict[Layer, float] = {
        "catalogue": remaining,
        "mx": options.dns_timeout + 1,
        "srv": options.dns_timeout + 1,
        "autoconfig": options.http_timeout,
        "probe": options.probe_timeout + 1,
    }
    limit = min(limits[layer], remaining)
    try:
        async with asyncio.timeout(limit):
            if layer == "catalogue":
                return _catalogue(target)
            if layer == "mx":
                return await _mx(target, dns_client, min(options.dns_timeout, limit))
            if layer == "srv":
                return await _srv(target, dns_client, min(options.dns_timeout, limit))
            if layer == "autoconfig":
                return await _autoconfig(target, options)
            return await _probe(target, options, min(options.probe_timeout, limit))
    except TimeoutError:
        return _Outcome(False, "timed out")


# -- layer 1: the catalogue -------------------------------------------------------------


def _usable(provider: Provider | None) -> Provider | None:
    """The provider, if it names an encrypted SMTP server we can suggest."""
    if provider is None or provider.protocol != "smtp" or not provider.host:
        return None
    if provider.security == "none":
        return None
    return provider


def _catalogue(target: _Target) -> _Outcome:
    provider = _usable(provider_for_domain(target.domain))
    if provider is None:
        return _Outcome(False, f"{target.domain} is not in the list")
    suggestion = Suggestion(
        host=provider.host,
        port=provider.port,
        security=_security(provider.security),
        provider_id=provider.id,
        username_hint=target.address,
        source="catalogue",
        why=f"{target.domain} is served by {provider.name}.",
        needs_confirmation=False,
    )
    return _Outcome(True, f"{target.domain} -> {provider.name}", (suggestion,))


def _security(value: str) -> Security:
    if value == "tls":
        return "tls"
    if value == "starttls":
        return "starttls"
    raise ValueError(f"not an encrypted setting: {value!r}")  # callers filter "none" out


# -- DNS ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    records: tuple[object, ...] = ()
    problem: str = ""  # why there are no records: "no records", "timed out"...
    nxdomain: bool = False


class _Dns:
    """The resolver, created on first use (a system without one gets a clear problem)."""

    def __init__(self, resolver: dns.asyncresolver.Resolver | None) -> None:
        self._resolver = resolver
        self._problem = ""

    def _get(self) -> dns.asyncresolver.Resolver | None:
        if self._resolver is None and not self._problem:
            try:
                self._resolver = dns.asyncresolver.Resolver()
            except (dns.exception.DNSException, OSError) as error:
                self._problem = f"no DNS resolver is set up on this computer ({error})"
        return self._resolver

    async def query(self, name: str, rdtype: str, lifetime: float) -> _Answer:
        resolver = self._get()
        if resolver is None:
            return _Answer(problem=self._problem)
        try:
            qname = dns.name.from_text(name)
            answer = await resolver.resolve(qname, rdtype, search=False, lifetime=lifetime)
        except dns.resolver.NXDOMAIN:
            return _Answer(problem="the name does not exist", nxdomain=True)
        except dns.resolver.NoAnswer:
            return _Answer(problem="no records")
        except dns.exception.Timeout:
            return _Answer(problem="timed out")
        except dns.resolver.NoNameservers:
            return _Answer(problem="the DNS servers failed to answer")
        except dns.exception.DNSException as error:
            return _Answer(problem=f"the look-up failed ({type(error).__name__})")
        return _Answer(records=tuple(answer))


def _host_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


# -- layer 2: MX records ------------------------------------------------------------------


def _regional_endpoint(provider: Provider, mx_host: str) -> Endpoint:
    """The provider's endpoint in the same regional domain as its MX (mx.zoho.eu ->
    smtp.zoho.eu), else the recommended one."""
    matching = [
        suffix
        for suffix in provider.mx_suffixes
        if mx_host == suffix or mx_host.endswith("." + suffix)
    ]
    if matching:
        suffix = max(matching, key=len)
        for endpoint in provider.endpoints:
            if endpoint.security == "none":
                continue
            if endpoint.host == suffix or endpoint.host.endswith("." + suffix):
                return endpoint
    return provider.endpoint


async def _mx(target: _Target, dns_client: _Dns, lifetime: float) -> _Outcome:
    domain = target.domain
    answer = await dns_client.query(domain, "MX", lifetime)
    if answer.nxdomain:
        return _Outcome(
            False,
            f"{domain} does not exist in DNS: check the address for a typo",
            stop=True,
        )
    if answer.problem:
        return _Outcome(
            False, "no MX records" if answer.problem == "no records" else answer.problem
        )
    records = sorted(
        (record for record in answer.records if isinstance(record, MX)),
        key=lambda record: (record.preference, _host_text(record.exchange)),
    )
    if not records:
        return _Outcome(False, "no MX records")
    if len(records) == 1 and records[0].exchange == dns.name.root:
        return _Outcome(False, f"null MX: {domain} says it receives no mail")
    hosts = [_host_text(record.exchange) for record in records]
    for mx_host in hosts:
        provider = _usable(provider_for_mx(mx_host))
        if provider is None:
            continue
        endpoint = _regional_endpoint(provider, mx_host)
        region = "" if endpoint == provider.endpoint else f" ({endpoint.label})"
        suggestion = Suggestion(
            host=endpoint.host,
            port=endpoint.port,
            security=_security(endpoint.security),
            provider_id=provider.id,
            username_hint=target.address,
            source="mx",
            why=(
                f"The MX records of {domain} point to {mx_host}, a mail server of"
                f" {provider.name}, so {domain} uses {provider.name}{region}."
            ),
            needs_confirmation=False,
        )
        return _Outcome(True, f"{mx_host} -> {provider.name}{region}", (suggestion,))
    shown = ", ".join(hosts[:3]) + (", ..." if len(hosts) > 3 else "")
    return _Outcome(False, f"{shown}: not a provider mailwiz knows")


# -- layer 3: SRV records -----------------------------------------------------------------


def _inside(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


async def _srv(target: _Target, dns_client: _Dns, lifetime: float) -> _Outcome:
    domain = target.domain
    services: tuple[tuple[str, Security], ...] = (
        (f"_submissions._tcp.{domain}", "tls"),
        (f"_submission._tcp.{domain}", "starttls"),
    )
    answers = await asyncio.gather(
        *(dns_client.query(name, "SRV", lifetime) for name, _security in services)
    )
    suggestions: list[Suggestion] = []
    details: list[str] = []
    for (name, security), answer in zip(services, answers, strict=True):
        label = name.split(".", 1)[0]
        if answer.problem:
            problem = "no record" if answer.nxdomain else answer.problem
            details.append(f"{label}: {problem}")
            continue
        records = [record for record in answer.records if isinstance(record, SRV)]
        usable = [r for r in records if r.target != dns.name.root and r.port != 0]
        if not usable:
            if any(record.target == dns.name.root for record in records):
                details.append(f'{label}: "." (the domain says there is no such service)')
            else:
                details.append(f"{label}: no usable record")
            continue
        best = min(usable, key=lambda r: (r.priority, -r.weight, _host_text(r.target)))
        host = normalise_domain(_host_text(best.target))
        if host is None or "." not in host:
            details.append(f"{label}: {_host_text(best.target)!r} is not a host name")
            continue
        inside = _inside(host, domain)
        provider = provider_for_host(host)
        words = _SECURITY_WORDS[security]
        if inside:
            why = (
                f"{domain} names its mail submission server in DNS (SRV record {name}):"
                f" {host}, port {best.port}, with {words}."
            )
            details.append(f"{label}: {host}:{best.port}")
        else:
            why = (
                f"The SRV record {name} points to {host}, outside {domain}: use it only if"
                f" you know that {domain}'s mail is handled there."
            )
            details.append(f"{label}: {host}:{best.port} (outside {domain}: confirm it)")
        suggestions.append(
            Suggestion(
                host=host,
                port=best.port,
                security=security,
                provider_id=provider.id if provider is not None else CUSTOM_ID,
                username_hint=target.address,
                source="srv",
                why=why,
                needs_confirmation=not inside,
            )
        )
    return _Outcome(bool(suggestions), "; ".join(details), tuple(suggestions))


# -- layer 4: autoconfig ------------------------------------------------------------------


class AutoconfigError(ValueError):
    """An autoconfig file that cannot be used; the message says why in a few words."""


@dataclass(frozen=True)
class OutgoingServer:
    """The usable SMTP server of an autoconfig file, placeholders filled in."""

    host: str
    port: int
    security: Security
    username: str


def _fill(text: str, target: _Target) -> str:
    return (
        text.replace("%EMAILADDRESS%", target.address)
        .replace("%EMAILLOCALPART%", target.local)
        .replace("%EMAILDOMAIN%", target.domain_text)
    )


def parse_autoconfig(data: bytes, address: str) -> OutgoingServer:
    """The SMTP server an autoconfig file (Thunderbird's clientConfig 1.1) offers `address`.

    Only `emailProvider/outgoingServer[@type="smtp"]` is read; implicit TLS ("SSL") is
    preferred to STARTTLS and "plain" is never chosen. A file with a DTD or an entity
    declaration is refused before parsing (no entity expansion, no external fetches).
    Raises AutoconfigError (its message: why, in a few words).
    """
    target = _target(address)
    if len(data) > MAX_AUTOCONFIG_BYTES:
        raise AutoconfigError("file too large")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AutoconfigError("not UTF-8 text") from None
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise AutoconfigError("refused: the file declares a DTD or entities")
    try:
        # A str is parsed as it is: an encoding declaration cannot change what we checked.
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise AutoconfigError("bad XML") from None
    if root.tag != "clientConfig":
        raise AutoconfigError(f"not an autoconfig file (root element <{root.tag[:40]}>)")

    candidates: dict[Security, OutgoingServer] = {}
    plain = False
    for element in root.findall("./emailProvider/outgoingServer"):
        if element.get("type", "").lower() != "smtp":
            continue
        socket_type = (element.findtext("socketType") or "").strip().upper()
        security: Security
        if socket_type == "SSL":
            security = "tls"
        elif socket_type == "STARTTLS":
            security = "starttls"
        else:
            plain = plain or socket_type == "PLAIN"
            continue
        host = normalise_domain(_fill((element.findtext("hostname") or "").strip(), target))
        port_text = (element.findtext("port") or "").strip()
        if host is None or "." not in host or not port_text.isdigit():
            continue
        port = int(port_text)
        if not 1 <= port <= 65535:
            continue
        username = _fill((element.findtext("username") or "").strip(), target)
        if not username or _PLACEHOLDER_RE.search(username) or _CONTROL_RE.search(username):
            username = target.address
        candidates.setdefault(security, OutgoingServer(host, port, security, username))
    for security in ("tls", "starttls"):
        if security in candidates:
            return candidates[security]
    if plain:
        raise AutoconfigError("it offers only an unencrypted server, which mailwiz never suggests")
    raise AutoconfigError("no usable SMTP server in the file")


def _certificate_problem(error: BaseException) -> str | None:
    """The verify message of a certificate failure somewhere in `error`'s chain."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return str(link.verify_message or link.reason or "not valid")
    for link in chain:
        text = str(link)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            _before, _marker, reason = text.partition("certificate verify failed: ")
            return reason.split(" (_ssl.c")[0] or "not valid"
    return None


async def _fetch(
    client: httpx.AsyncClient, options: _Options, url: httpx.URL
) -> tuple[bytes | None, str]:
    """(file, "") or (None, what went wrong). Follows up to MAX_REDIRECTS https redirects."""
    for _hop in range(MAX_REDIRECTS + 1):
        host = url.host
        headers = {"Accept": "application/xml, text/xml"}
        extensions: dict[str, object] = {}
        request_url = url
        if options.addresses is not None:
            address = options.addresses.get(host)
            if address is None:
                return None, f"{host} does not resolve"
            request_url = url.copy_with(host=address)
            # The name still decides the Host header, SNI and the certificate check; a
            # fresh connection each time, so no connection made for one name serves another.
            headers["Host"] = url.netloc.decode("ascii")
            headers["Connection"] = "close"
            extensions["sni_hostname"] = host
        try:
            async with client.stream(
                "GET",
                request_url,
                headers=headers,
                extensions=extensions,
                follow_redirects=False,
            ) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    try:
                        next_url = url.join(location)
                    except httpx.InvalidURL:
                        return None, f"{host}: a redirect to a bad address"
                    if next_url.scheme != "https":
                        return None, f"{host}: redirects to plain http (not followed)"
                    url = next_url
                    continue
                if response.status_code != 200:
                    return None, f"{host}: HTTP {response.status_code}"
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_AUTOCONFIG_BYTES:
                        return None, f"{host}: file too large"
                return bytes(body), ""
        except httpx.TimeoutException:
            return None, f"{host}: timed out"
        except (httpx.HTTPError, ssl.SSLError, OSError) as error:
            problem = _certificate_problem(error)
            if problem is not None:
                return None, f"{host}: certificate not valid ({problem})"
            if isinstance(error, httpx.ConnectError):
                return None, f"{host}: could not connect"
            return None, f"{host}: request failed ({type(error).__name__})"
    return None, f"{url.host}: too many redirects"


async def _autoconfig_one(
    client: httpx.AsyncClient, options: _Options, target: _Target, url: httpx.URL
) -> tuple[Suggestion | None, str]:
    data, problem = await _fetch(client, options, url)
    if data is None:
        return None, problem
    shown = str(url.copy_with(query=None))
    try:
        server = parse_autoconfig(data, target.address)
    except AutoconfigError as error:
        return None, f"{url.host}: {error}"
    provider = provider_for_host(server.host)
    suggestion = Suggestion(
        host=server.host,
        port=server.port,
        security=server.security,
        provider_id=provider.id if provider is not None else CUSTOM_ID,
        username_hint=server.username,
        source="autoconfig",
        why=(
            f"The autoconfig file of {target.domain} ({shown}) names {server.host},"
            f" port {server.port}, with {_SECURITY_WORDS[server.security]}."
        ),
        needs_confirmation=False,
    )
    return suggestion, f"{url.host}: {server.host}:{server.port} ({server.security})"


async def _autoconfig(target: _Target, options: _Options) -> _Outcome:
    domain = target.domain
    port = "" if options.https_port == 443 else f":{options.https_port}"
    urls = (
        httpx.URL(
            f"https://autoconfig.{domain}{port}/mail/config-v1.1.xml",
            params={"emailaddress": target.address},
        ),
        httpx.URL(f"https://{domain}{port}/.well-known/autoconfig/mail/config-v1.1.xml"),
    )
    if options.http is not None:
        return await _autoconfig_with(options.http, options, target, urls)
    verify = options.ssl_context or ssl.create_default_context()
    async with httpx.AsyncClient(
        verify=verify,
        trust_env=options.addresses is None,
        timeout=options.http_timeout,
        follow_redirects=False,
    ) as client:
        return await _autoconfig_with(client, options, target, urls)


async def _autoconfig_with(
    client: httpx.AsyncClient, options: _Options, target: _Target, urls: Sequence[httpx.URL]
) -> _Outcome:
    # Both places are asked at once; the first one's answer wins when it has one.
    tasks = [asyncio.create_task(_autoconfig_one(client, options, target, url)) for url in urls]
    details: list[str] = []
    try:
        for task in tasks:
            suggestion, detail = await task
            details.append(detail)
            if suggestion is not None:
                return _Outcome(True, detail, (suggestion,))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return _Outcome(False, "; ".join(details))


# -- layer 5: the probe -------------------------------------------------------------------

ProbeOutcome = Literal[
    "ok",  # greeting, EHLO (and STARTTLS) answered, certificate valid
    "unresolved",  # the name does not resolve
    "refused",  # nothing listens there
    "timeout",  # no answer before the probe's deadline
    "tls",  # the TLS handshake failed (often: the port speaks the other mode)
    "certificate",  # the certificate failed verification
    "no-starttls",  # port 587 does not offer STARTTLS (or refused it)
    "not-smtp",  # the answers were not SMTP, or refused us
    "error",  # another network error
    "skipped",  # stopped early: a preferred server had already answered
]


@dataclass(frozen=True)
class ProbeResult:
    host: str
    port: int
    security: Security
    outcome: ProbeOutcome
    detail: str  # "answered with implicit TLS", "certificate not valid (...)", ...
    seconds: float

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class ProbeReport:
    best: ProbeResult | None  # the preferred server that answered, if any
    results: tuple[ProbeResult, ...]  # every probe, in order of preference
    seconds: float  # the whole probe


class _BadReply(Exception):
    pass


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """One SMTP reply (all its lines): (code, lines)."""
    lines: list[str] = []
    while True:
        raw = await reader.readline()
        if not raw:
            raise ConnectionResetError("the server closed the connection")
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] not in " -"):
            raise _BadReply(line[:80])
        lines.append(line)
        if len(line) == 3 or line[3] == " ":
            return int(line[:3]), lines
        if len(lines) >= _MAX_REPLY_LINES:
            raise _BadReply("a reply that never ends")


def _ehlo_name(writer: asyncio.StreamWriter) -> str:
    """Our side's address as an address literal: no host name of this computer is sent."""
    sockname = writer.get_extra_info("sockname")
    if isinstance(sockname, tuple) and sockname and isinstance(sockname[0], str):
        address = sockname[0]
        return f"[IPv6:{address}]" if ":" in address else f"[{address}]"
    return "[127.0.0.1]"


async def _probe_one(
    host: str,
    port: int,
    security: Security,
    context: ssl.SSLContext,
    addresses: Mapping[str, str] | None,
) -> ProbeResult:
    """Connect, read the greeting, EHLO (then STARTTLS and its handshake) and say QUIT.

    No credentials, no MAIL: nothing but EHLO, STARTTLS and QUIT is ever sent.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()

    def result(outcome: ProbeOutcome, detail: str) -> ProbeResult:
        return ProbeResult(host, port, security, outcome, detail, loop.time() - started)

    connect_to: str | None = host if addresses is None else addresses.get(host)
    if connect_to is None:
        return result("unresolved", "does not resolve")
    writer: asyncio.StreamWriter | None = None
    ok = False
    try:
        if security == "tls":
            reader, writer = await asyncio.open_connection(
                connect_to, port, ssl=context, server_hostname=host
            )
        else:
            reader, writer = await asyncio.open_connection(connect_to, port)
        code, _lines = await _read_reply(reader)
        if code != 220:
            return result("not-smtp", f"greeted with {code} instead of 220")
        writer.write(f"EHLO {_ehlo_name(writer)}\r\n".encode("ascii"))
        code, lines = await _read_reply(reader)
        if code != 250:
            return result("not-smtp", f"answered EHLO with {code}")
        if security == "starttls":
            keywords = {line[4:].strip().split(" ")[0].upper() for line in lines[1:]}
            if "STARTTLS" not in keywords:
                return result("no-starttls", "does not offer STARTTLS")
            writer.write(b"STARTTLS\r\n")
            code, _lines = await _read_reply(reader)
            if code != 220:
                return result("no-starttls", f"answered STARTTLS with {code}")
            await writer.start_tls(context, server_hostname=host)
        writer.write(b"QUIT\r\n")
        ok = True
        words = _SECURITY_WORDS[security]
        return result("ok", f"answered with {words}, valid certificate")
    except socket.gaierror:
        return result("unresolved", "does not resolve")
    except ssl.SSLCertVerificationError as error:
        reason = error.verify_message or error.reason or "not valid"
        return result("certificate", f"certificate not valid ({reason})")
    except ssl.SSLError as error:
        return result("tls", f"TLS failed ({error.reason or type(error).__name__})")
    except ConnectionRefusedError:
        return result("refused", "connection refused")
    except (ConnectionError, asyncio.IncompleteReadError):
        return result("error", "the server closed the connection")
    except (_BadReply, ValueError):
        return result("not-smtp", "did not answer like an SMTP server")
    except OSError as error:
        return result("error", error.strerror or type(error).__name__)
    finally:
        if writer is not None:
            if ok and security == "tls":
                writer.close()  # sends the queued QUIT, then closes the TLS session
            else:
                # After StreamWriter.start_tls, Python 3.11 logs a warning when the server's
                # end of the connection arrives; the QUIT is already on its way: just drop.
                writer.transport.abort()


async def probe_servers(
    hosts: Sequence[str],
    *,
    ports: ProbePorts = ProbePorts(),
    timeout: float = PROBE_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    addresses: Mapping[str, str] | None = None,
) -> ProbeReport:
    """Probe every host on the implicit-TLS and the STARTTLS port, all at once.

    Preference: implicit TLS before STARTTLS, then `hosts` in order. The probe ends as soon
    as the preferred answer is known (every more-preferred probe has failed), or at
    `timeout` seconds, whichever comes first; unfinished probes are then cut off.
    """
    context = ssl_context or ssl.create_default_context()
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout
    order: list[tuple[str, int, Security]] = [(host, ports.tls, "tls") for host in hosts]
    order += [(host, ports.starttls, "starttls") for host in hosts]
    tasks = [
        asyncio.create_task(_probe_one(host, port, security, context, addresses))
        for host, port, security in order
    ]

    def settled() -> bool:
        for task in tasks:
            if not task.done():
                return False
            if task.result().ok:
                return True
        return True

    timed_out = False
    try:
        while not settled():
            remaining = deadline - loop.time()
            if remaining <= 0:
                timed_out = True
                break
            await asyncio.wait(
                [task for task in tasks if not task.done()],
                timeout=remaining,
                return_when=asyncio.FIRST_COMPLETED,
            )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    results: list[ProbeResult] = []
    for (host, port, security), task in zip(order, tasks, strict=True):
        if not task.cancelled():
            results.append(task.result())
        elif timed_out:
            results.append(
                ProbeResult(
                    host, port, security, "timeout", f"no answer within {timeout:g} s", timeout
                )
            )
        else:
            results.append(
                ProbeResult(
                    host,
                    port,
                    security,
                    "skipped",
                    "not needed",
                    loop.time() - started,
                )
            )
    best = next((result for result in results if result.ok), None)
    return ProbeReport(best, tuple(results), loop.time() - started)


async def _probe(target: _Target, options: _Options, timeout: float) -> _Outcome:
    report = await probe_servers(
        _probe_hosts(target, options),
        ports=options.ports,
        timeout=timeout,
        ssl_context=options.ssl_context,
        addresses=options.addresses,
    )
    detail = "; ".join(f"{r.host}:{r.port} {r.detail}" for r in report.results)
    best = report.best
    if best is None:
        return _Outcome(False, detail)
    provider = provider_for_host(best.host)
    suggestion = Suggestion(
        host=best.host,
        port=best.port,
        security=best.security,
        provider_id=provider.id if provider is not None else CUSTOM_ID,
        username_hint=target.address,
        source="probe",
        why=(
            f"{best.host} answered on port {best.port} with {_SECURITY_WORDS[best.security]}"
            " and a valid certificate (mailwiz sent no password to find out)."
        ),
        needs_confirmation=False,
    )
    return _Outcome(True, detail, (suggestion,))
