"""Layer 2: the domain's MX records point to a provider the catalogue knows."""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
from dns.rdtypes.ANY.MX import MX

from tui.core.discover.catalogue import security_of, usable
from tui.core.discover.dnsquery import Dns, host_text
from tui.core.discover.model import (
    Outcome,
    Suggestion,
    Target,
)
from tui.core.providers import (
    Endpoint,
    Provider,
    provider_for_mx,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

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


async def mx_layer(target: Target, dns_client: Dns, lifetime: float) -> Outcome:
    domain = target.domain
    answer = await dns_client.query(domain, "MX", lifetime)
    if answer.nxdomain:
        # "No such domain" is an answer about the address only if the DNS tells the truth
        # about names that exist: the root always does. A resolver that denies it too is
        # broken (a captive portal, a filter), and a typo is not the likely cause.
        root = await dns_client.query(".", "NS", lifetime)
        if root.nxdomain:
            dns_client.failed(domain, "MX", say("mx.wildcard"))
            return Outcome(False, say("mx.broken", domain=domain), stop=True)
        return Outcome(False, say("mx.no-domain", domain=domain), stop=True)
    if answer.problem:
        return Outcome(False, say("mx.no-mx") if answer.no_records else answer.problem)
    records = sorted(
        (record for record in answer.records if isinstance(record, MX)),
        key=lambda record: (record.preference, host_text(record.exchange)),
    )
    if not records:
        return Outcome(False, say("mx.no-mx"))
    if len(records) == 1 and records[0].exchange == dns.name.root:
        return Outcome(False, say("mx.null-mx", domain=domain))
    hosts = [host_text(record.exchange) for record in records]
    for mx_host in hosts:
        provider = usable(provider_for_mx(mx_host))
        if provider is None:
            continue
        endpoint = _regional_endpoint(provider, mx_host)
        region = "" if endpoint == provider.endpoint else f" ({endpoint.label})"
        suggestion = Suggestion(
            host=endpoint.host,
            port=endpoint.port,
            security=security_of(endpoint.security),
            provider_id=provider.id,
            username_hint=target.address,
            source="mx",
            why=say("mx.why", domain=domain, mx=mx_host, provider=provider.name, region=region),
            needs_confirmation=False,
        )
        return Outcome(True, f"{mx_host} -> {provider.name}{region}", (suggestion,))
    shown = ", ".join(hosts[:3]) + (", ..." if len(hosts) > 3 else "")
    return Outcome(False, say("mx.unknown", hosts=shown))
