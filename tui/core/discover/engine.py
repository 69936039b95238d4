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
  tui.core.tls.system_context(), host names checked);
- `http`: an httpx.AsyncClient for the autoconfig fetch (it then decides the trust).

One module per layer: catalogue.py, mx.py and srv.py (over dnsquery.py), autoconfig.py,
probe.py; model.py holds what they share (the events, Suggestion, the target and options).
This module runs the layers in order and re-exports the public names.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncGenerator, Mapping, Sequence

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
import httpx

from tui.core.discover.autoconfig import (
    AutoconfigError,
    OutgoingServer,
    autoconfig_layer,
    parse_autoconfig,
)
from tui.core.discover.catalogue import catalogue_layer
from tui.core.discover.dnsquery import Dns
from tui.core.discover.model import (
    DEADLINE,
    DEFAULT_PORTS,
    DNS_TIMEOUT,
    HTTP_TIMEOUT,
    LAYERS,
    PROBE_TIMEOUT,
    AddressError,
    DiscoveryEvent,
    DiscoveryFinished,
    Layer,
    LayerEnded,
    LayerStarted,
    Options,
    Outcome,
    ProbePorts,
    Suggestion,
    Target,
    event_as_dict,
    parse_target,
    split_address,
)
from tui.core.discover.mx import mx_layer
from tui.core.discover.probe import (
    ProbeOutcome,
    ProbeReport,
    ProbeResult,
    probe_hosts_for,
    probe_layer,
    probe_servers,
)
from tui.core.discover.srv import srv_layer
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

__all__ = [
    "LAYERS",
    "AddressError",
    "AutoconfigError",
    "DiscoveryEvent",
    "DiscoveryFinished",
    "LayerEnded",
    "LayerStarted",
    "OutgoingServer",
    "ProbeOutcome",
    "ProbePorts",
    "ProbeReport",
    "ProbeResult",
    "Suggestion",
    "discover",
    "event_as_dict",
    "parse_autoconfig",
    "probe_servers",
    "split_address",
]

# ---------------------------------------------------------------------------------------
# Discovery


def discover(
    address: str,
    *,
    resolver: dns.asyncresolver.Resolver | None = None,
    http: httpx.AsyncClient | None = None,
    ssl_context: ssl.SSLContext | None = None,
    addresses: Mapping[str, str] | None = None,
    https_port: int = 443,
    probe_hosts: Sequence[str] | None = None,
    ports: ProbePorts = DEFAULT_PORTS,
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
    target = parse_target(address)
    for name, value in (
        ("deadline", deadline),
        ("dns_timeout", dns_timeout),
        ("http_timeout", http_timeout),
        ("probe_timeout", probe_timeout),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    options = Options(
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


def _description(layer: Layer, target: Target, options: Options) -> str:
    domain = target.domain
    if layer == "catalogue":
        return say("engine.catalogue", domain=domain)
    if layer in ("mx", "srv", "autoconfig"):
        return say(f"engine.{layer}", domain=domain)
    hosts = say("engine.hosts-and").join(probe_hosts_for(target, options))
    ports = options.ports
    return say("engine.probe", hosts=hosts, tls=ports.tls, starttls=ports.starttls)


async def _discover(target: Target, options: Options) -> AsyncGenerator[DiscoveryEvent, None]:
    loop = asyncio.get_running_loop()
    end = loop.time() + options.deadline
    dns_client = Dns(options.resolver)
    tried: list[str] = []
    not_run: list[tuple[str, str]] = []
    chosen: Suggestion | None = None
    unconfirmed: Suggestion | None = None

    for layer in LAYERS:
        description = _description(layer, target, options)
        remaining = end - loop.time()
        if remaining <= 0:
            why = say("engine.not-tried", deadline=options.deadline)
            not_run.append((description, why))
            tried.append(f"{description}: {why}")
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
        dns_failures=tuple(dns_client.failures),
        not_run=tuple(not_run),
    )


async def _run_layer(
    layer: Layer, target: Target, options: Options, dns_client: Dns, remaining: float
) -> Outcome:
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
                return catalogue_layer(target)
            if layer == "mx":
                return await mx_layer(target, dns_client, min(options.dns_timeout, limit))
            if layer == "srv":
                return await srv_layer(target, dns_client, min(options.dns_timeout, limit))
            if layer == "autoconfig":
                return await autoconfig_layer(target, options)
            return await probe_layer(target, options, min(options.probe_timeout, limit))
    except TimeoutError:
        if layer in ("mx", "srv"):
            dns_client.failed(target.domain, layer.upper(), say("timed-out"))
        return Outcome(False, say("timed-out"))
