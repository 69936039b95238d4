"""Layer 3: SRV records _submissions._tcp (implicit TLS), then _submission._tcp (STARTTLS),
RFC 8314 / RFC 6186; a target of "." means "no service"."""

from __future__ import annotations

import asyncio

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
from dns.rdtypes.IN.SRV import SRV

from tui.core.discover.dnsquery import Dns, host_text
from tui.core.discover.model import (
    Outcome,
    Security,
    Suggestion,
    Target,
)
from tui.core.keys import SECURITY_WORDS
from tui.core.providers import (
    CUSTOM_ID,
    normalise_domain,
    provider_for_host,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

# -- layer 3: SRV records -----------------------------------------------------------------


def _inside(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


async def srv_layer(target: Target, dns_client: Dns, lifetime: float) -> Outcome:
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
            problem = say("srv.no-record") if answer.nxdomain else answer.problem
            details.append(f"{label}: {problem}")
            continue
        records = [record for record in answer.records if isinstance(record, SRV)]
        usable = [r for r in records if r.target != dns.name.root and r.port != 0]
        if not usable:
            if any(record.target == dns.name.root for record in records):
                details.append(say("srv.no-service", label=label))
            else:
                details.append(say("srv.unusable", label=label))
            continue
        best = min(usable, key=lambda r: (r.priority, -r.weight, host_text(r.target)))
        host = normalise_domain(host_text(best.target))
        if host is None or "." not in host:
            details.append(say("srv.not-host", label=label, host=host_text(best.target)))
            continue
        inside = _inside(host, domain)
        provider = provider_for_host(host)
        words = SECURITY_WORDS[security]
        if inside:
            why = say("srv.why", domain=domain, name=name, host=host, port=best.port, words=words)
            details.append(f"{label}: {host}:{best.port}")
        else:
            why = say("srv.outside", name=name, host=host, domain=domain)
            details.append(
                say("srv.outside-detail", label=label, host=host, port=best.port, domain=domain)
            )
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
    return Outcome(bool(suggestions), "; ".join(details), tuple(suggestions))
