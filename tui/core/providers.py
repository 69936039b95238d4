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
import re
from pathlib import Path
from typing import Literal, NamedTuple

from tui.core.hosts import is_loopback_host
from tui.core.http_apis import APIS

Protocol = Literal["smtp", "http"]
Security = Literal["tls", "starttls", "none"]

Group = Literal["personal", "business", "transactional", "other"]

PROTOCOLS: tuple[Protocol, ...] = ("smtp", "http")
SECURITIES: tuple[Security, ...] = ("tls", "starttls", "none")
#: The picker's groups, in order, with their headings.
GROUPS: dict[Group, str] = {
    "personal": "Personal mail",
    "business": "Business mail",
    "transactional": "Transactional senders",
    "other": "Other",
}
#: The `[http] api` values a provider's `api` may name (the relay is not a provider's API).
PROVIDER_APIS = tuple(name for name, facts in APIS.items() if facts.key_required)

#: The catalogue id of the "type it in yourself" SMTP entry.
CUSTOM_ID = "custom"
#: The catalogue id of the HTTP relay entry.
HTTP_ID = "http"

_RESOURCE = "providers.toml"
_COUNTRY_RE = re.compile(r"[a-z]{2}")
# A domain IDNA leaves as it is (once lower-cased): ASCII letters, digits and single inner
# hyphens, so no "xn--" label and no hyphen in the 3rd and 4th place. Most domains are.
_PLAIN_LABEL = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_PLAIN_DOMAIN_RE = re.compile(rf"(?:{_PLAIN_LABEL}\.)*{_PLAIN_LABEL}", re.ASCII)


class CatalogueError(ValueError):
    """The provider catalogue cannot be used: the message names the file, provider and key."""


# Records are NamedTuples, not frozen dataclasses: the same fields, immutability, equality
# and hashing, for a fifth of the class creation cost at import (a wizard start pays it).
class Endpoint(NamedTuple):
    """One way to reach a provider's SMTP server."""

    host: str
    port: int
    security: Security
    label: str


class Provider(NamedTuple):
    """One catalogue entry. `host` is "" when the user types the server (custom, http).
    A changed copy: `provider._replace(notes=...)`."""

    id: str
    name: str
    hint: str
    protocol: Protocol
    host: str
    port: int
    security: Security
    alternatives: tuple[Endpoint, ...]
    domains: tuple[str, ...]
    mx_suffixes: tuple[str, ...]
    app_password: bool
    guidance: str
    certificate_checks_required: bool
    notes: str
    excluded_domains: tuple[str, ...] = ()
    group: Group = "other"
    alternate_port: int | None = None  # a port besides 465/587 (2525...) for blocked networks
    api: str = ""  # the `[http] api` that speaks this provider's HTTP API, or ""
    username: str = ""  # the fixed SMTP username ("apikey"), or "" when it is the user's own
    secret_label: str = ""  # what the password is called there ("API key", "App password")
    steps: tuple[str, ...] = ()  # how to get that secret, one step a line, links as text

    @property
    def endpoint(self) -> Endpoint:
        """The recommended endpoint as an Endpoint (label "Recommended")."""
        return Endpoint(self.host, self.port, self.security, "Recommended")

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """The recommended endpoint first, then the alternatives; empty without a host."""
        if not self.host:
            return ()
        return (self.endpoint, *self.alternatives)


# ---------------------------------------------------------------------------------------
# Domain handling


def normalise_domain(domain: str) -> str | None:
    """The ASCII (IDNA, lower case) form of `domain`, or None when it is not a domain.

    Surrounding spaces and one trailing dot (as in "mx.example.com.") are ignored.
    """
    text = domain.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text or text.startswith(".") or "@" in text:
        return None
    lower = text.lower() if text.isascii() else ""
    plain = len(lower) <= 253 and _PLAIN_DOMAIN_RE.fullmatch(lower) is not None
    if plain and all(len(label) <= 63 for label in lower.split(".")):
        return lower  # what idna gives, without importing it (~3 ms) or its ~0.1 ms a call
    import idna

    try:
        ascii_form = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    return ascii_form.lower()


def _is_country_suffix(labels: list[str]) -> bool:
    """True for "com", "fr", "co.uk", "com.au": what the "name.*" pattern accepts."""
    if len(labels) == 1:
        return labels[0] == "com" or _COUNTRY_RE.fullmatch(labels[0]) is not None
    if len(labels) == 2:
        return labels[0] in ("co", "com") and _COUNTRY_RE.fullmatch(labels[1]) is not None
    return False


def domain_matches(domain: str, pattern: str) -> bool:
    """Whether a normalised `domain` matches one catalogue domain `pattern`."""
    if pattern.startswith("*."):
        return domain.endswith(pattern[1:])
    if pattern.endswith(".*"):
        first, _, rest = domain.partition(".")
        return first == pattern[:-2] and bool(rest) and _is_country_suffix(rest.split("."))
    return domain == pattern


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
