"""The provider catalogue: known email providers and the look-ups that find one.

The data lives in providers.toml beside this module (package data, read through
importlib.resources) and is validated when loaded: an unknown key, a missing key or a
wrong type raises CatalogueError naming the provider and the key (providers_file.py).

Look-ups take user input (an address, a domain, a host name): they are case-insensitive,
ignore one trailing dot and compare IDNA (UTS 46) forms, the way email-validator and DNS
see a domain. Input that is not a valid domain simply matches nothing (None).

Domain patterns in the catalogue (see the header of providers.toml):
- "gmail.com": exactly that domain;
- "yahoo.*": the label "yahoo" followed by a country-style suffix, which is "com", a
  two-letter country code, or "co."/"com." plus a two-letter country code. So yahoo.com,
  yahoo.fr, yahoo.co.uk and yahoo.com.au match; yahoo.xyz, notyahoo.com, mail.yahoo.com
  and yahoo.com.evil.org do not. This stands in for "yahoo.<public suffix>" without a
  public-suffix list;
- "*.onmicrosoft.com": any subdomain of onmicrosoft.com, not the domain itself.
Exact domains win over patterns; `excluded_domains` lets a provider give up a domain
its pattern would otherwise claim (yahoo.co.jp is Yahoo! JAPAN, a different service).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tui.core.hosts import is_loopback_host
from tui.core.provider_model import (
    CUSTOM_ID,
    GROUPS,
    HTTP_ID,
    PROTOCOLS,
    PROVIDER_APIS,
    SECURITIES,
    CatalogueError,
    Endpoint,
    Group,
    Protocol,
    Provider,
    Security,
    domain_matches,
    normalise_domain,
)

# The records come from provider_model; this module is the face the rest of mailwiz imports.
__all__ = [
    "CUSTOM_ID",
    "GROUPS",
    "HTTP_ID",
    "PROTOCOLS",
    "PROVIDER_APIS",
    "SECURITIES",
    "CatalogueError",
    "Endpoint",
    "Group",
    "Protocol",
    "Provider",
    "Security",
    "alternate_endpoint",
    "catalogue",
    "domain_matches",
    "find_by_domain",
    "find_by_host",
    "find_by_mx",
    "find_provider",
    "get_provider",
    "grouped",
    "load_catalogue",
    "normalise_domain",
    "parse_catalogue",
    "provider_for_address",
    "provider_for_domain",
    "provider_for_host",
    "provider_for_mx",
    "steps_markdown",
]

_RESOURCE = "providers.toml"


def _suffix_matches(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


# ---------------------------------------------------------------------------------------
# Loading (the file's checks live in providers_file.py)


def parse_catalogue(text: str, source: str = _RESOURCE) -> tuple[Provider, ...]:
    """Parse and validate catalogue TOML; `source` names it in error messages."""
    from tui.core.providers_file import parse

    return parse(text, source)


def load_catalogue(path: str | os.PathLike[str]) -> tuple[Provider, ...]:
    """Read and validate a catalogue file (the packaged one is read by `catalogue()`)."""
    from tui.core.providers_file import load

    return load(path)


# ---------------------------------------------------------------------------------------
# The packaged catalogue and its look-ups


@functools.cache
def catalogue() -> tuple[Provider, ...]:
    """Every provider, in picker order, from the packaged providers.toml (read once)."""
    try:  # beside this module in an installed package: importlib.resources costs ~5 ms
        text = (Path(__file__).parent / _RESOURCE).read_text(encoding="utf-8")
    except OSError:  # a zip or another loader
        from importlib import resources

        text = resources.files("tui.core").joinpath(_RESOURCE).read_text(encoding="utf-8")
    return parse_catalogue(text, source=f"tui/core/{_RESOURCE}")


@functools.cache
def _by_id() -> dict[str, Provider]:
    return {provider.id: provider for provider in catalogue()}


def get_provider(provider_id: str) -> Provider:
    """The provider with this id; KeyError naming the known ids when there is none."""
    try:
        return _by_id()[provider_id]
    except KeyError:
        known = ", ".join(_by_id())
        raise KeyError(
            f"no provider with id {provider_id!r} in the catalogue (known ids: {known})"
        ) from None


def find_provider(provider_id: str) -> Provider | None:
    """The provider with this id, or None: settings may name one the catalogue lacks."""
    return _by_id().get(provider_id)


def find_by_domain(providers: tuple[Provider, ...], domain: str) -> Provider | None:
    """`provider_for_domain` over any catalogue (exact domains first, then patterns)."""
    normal = normalise_domain(domain)
    if normal is None:
        return None
    for provider in providers:
        if normal in provider.domains:
            return provider
    for provider in providers:
        if normal in provider.excluded_domains:
            continue
        if any(domain_matches(normal, pattern) for pattern in provider.domains):
            return provider
    return None


def find_by_mx(providers: tuple[Provider, ...], mx_host: str) -> Provider | None:
    """`provider_for_mx` over any catalogue: the longest matching suffix wins."""
    normal = normalise_domain(mx_host)
    if normal is None:
        return None
    best: tuple[int, Provider] | None = None
    for provider in providers:
        for suffix in provider.mx_suffixes:
            if _suffix_matches(normal, suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), provider)
    return None if best is None else best[1]


def find_by_host(providers: tuple[Provider, ...], smtp_host: str) -> Provider | None:
    """`provider_for_host` over any catalogue: the first entry using that exact host.

    A loopback address names no provider: Proton Mail Bridge listens on 127.0.0.1, but so do
    a local relay, the practice server and every test server."""
    normal = normalise_domain(smtp_host)
    if normal is None or is_loopback_host(normal):
        return None
    for provider in providers:
        if any(endpoint.host == normal for endpoint in provider.endpoints):
            return provider
    return None


def provider_for_domain(domain: str) -> Provider | None:
    """The provider serving addresses at `domain` (e.g. "gmail.com"), or None."""
    return find_by_domain(catalogue(), domain)


def provider_for_address(address: str) -> Provider | None:
    """The provider serving `address`, judged by the part after its last "@", or None."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return None
    return provider_for_domain(domain)


def provider_for_mx(mx_host: str) -> Provider | None:
    """The provider whose mail exchanger `mx_host` is (e.g. "aspmx.l.google.com."), or None.

    For discovery behind a custom domain: Gmail's own MX hosts answer Google Workspace,
    so look the domain up with `provider_for_domain` first.
    """
    return find_by_mx(catalogue(), mx_host)


def provider_for_host(smtp_host: str) -> Provider | None:
    """The catalogue entry that uses `smtp_host` as its server or an alternative, or None.

    smtp.gmail.com answers Gmail (the first entry using it), though Google Workspace
    uses it too; both require certificate checks. "custom" and "http" never match.
    """
    return find_by_host(catalogue(), smtp_host)


def alternate_endpoint(provider: Provider) -> Endpoint | None:
    """The endpoint on the provider's alternate port (2525...), for networks that block
    465 and 587; None when it has none."""
    if provider.alternate_port is None:
        return None
    return next((e for e in provider.endpoints if e.port == provider.alternate_port), None)


def grouped(providers: tuple[Provider, ...]) -> list[tuple[Group, list[Provider]]]:
    """The providers by picker group (personal, business, transactional, other), each
    group in catalogue order; empty groups left out."""
    out: list[tuple[Group, list[Provider]]] = []
    for group in GROUPS:
        members = [provider for provider in providers if provider.group == group]
        if members:
            out.append((group, members))
    return out


def steps_markdown(provider: Provider) -> str:
    """The provider's steps for its secret as Markdown (for a guidance screen), or ""."""
    if not provider.steps:
        return ""
    what = provider.secret_label or "password"
    lines = [f"# {provider.name}: the {what.lower()}", ""]
    lines += [f"{number}. {step}" for number, step in enumerate(provider.steps, start=1)]
    if provider.username:
        lines += ["", f"The username is `{provider.username}`."]
    if provider.notes:
        lines += ["", provider.notes]
    return "\n".join(lines) + "\n"
