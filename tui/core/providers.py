"""The provider catalogue: known email providers and the look-ups that find one.

The data lives in providers.toml beside this module (package data, read through
importlib.resources) and is validated when loaded: an unknown key, a missing key or a
wrong type raises CatalogueError naming the provider and the key.

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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, cast

import idna

Protocol = Literal["smtp", "http"]
Security = Literal["tls", "starttls", "none"]

PROTOCOLS: tuple[Protocol, ...] = ("smtp", "http")
SECURITIES: tuple[Security, ...] = ("tls", "starttls", "none")

#: The catalogue id of the "type it in yourself" SMTP entry.
CUSTOM_ID = "custom"
#: The catalogue id of the HTTP relay entry.
HTTP_ID = "http"

_RESOURCE = "providers.toml"
_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_GUIDANCE_RE = re.compile(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)?")
_LABEL_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_COUNTRY_RE = re.compile(r"[a-z]{2}")


class CatalogueError(ValueError):
    """The provider catalogue cannot be used: the message names the file, provider and key."""


@dataclass(frozen=True)
class Endpoint:
    """One way to reach a provider's SMTP server."""

    host: str
    port: int
    security: Security
    label: str


@dataclass(frozen=True)
class Provider:
    """One catalogue entry. `host` is "" when the user types the server (custom, http)."""

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
# Loading and validation


class _Table:
    """Typed, checked access to one TOML table of the catalogue."""

    def __init__(self, data: Mapping[str, object], where: str) -> None:
        self.data = data
        self.where = where

    def fail(self, key: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.where}: key '{key}' {problem}")

    def check_keys(self, required: frozenset[str], optional: frozenset[str]) -> None:
        unknown = sorted(set(self.data) - required - optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(unknown[0], f"is not a catalogue key (allowed: {allowed})")
        missing = sorted(required - set(self.data))
        if missing:
            raise self.fail(missing[0], "is missing")

    def text(self, key: str, *, default: str | None = None) -> str:
        if key not in self.data and default is not None:
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {_describe(value)}")
        if _CONTROL_RE.search(value):
            raise self.fail(key, "must be one line without control characters")
        if value != value.strip():
            raise self.fail(key, "must not start or end with spaces")
        return value

    def flag(self, key: str) -> bool:
        value = self.data[key]
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {_describe(value)}")
        return value

    def port(self, key: str) -> int:
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise self.fail(key, f"must be a whole number from 1 to 65535, not {_describe(value)}")
        return value

    def security(self, key: str) -> Security:
        value = self.text(key)
        if value not in SECURITIES:
            raise self.fail(key, f"must be one of {_choices(SECURITIES)}, not {value!r}")
        return value

    def host(self, key: str) -> str:
        value = self.text(key)
        if value and normalise_domain(value) != value:
            raise self.fail(key, f"must be a host name in lower-case ASCII, not {value!r}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, f"must be a list of strings, not {_describe(value)}")
        items = tuple(cast(list[str], value))
        if len(set(items)) != len(items):
            raise self.fail(key, "lists the same value twice")
        return items

    def tables(self, key: str) -> list[Mapping[str, object]]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(key, f"must be an array of tables ([[...]]), not {_describe(value)}")
        return cast(list[Mapping[str, object]], value)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{value}"' for value in values)


_PROVIDER_REQUIRED = frozenset(
    {
        "id",
        "name",
        "hint",
        "protocol",
        "host",
        "port",
        "security",
        "app_password",
        "guidance",
        "certificate_checks_required",
    }
)
_PROVIDER_OPTIONAL = frozenset(
    {"notes", "domains", "excluded_domains", "mx_suffixes", "alternatives"}
)
_ENDPOINT_KEYS = frozenset({"host", "port", "security", "label"})


def _check_domain_pattern(table: _Table, key: str, pattern: str) -> None:
    if pattern.startswith("*."):
        base = pattern[2:]
        if normalise_domain(base) != base or "." not in base:
            raise table.fail(key, f"has {pattern!r}: after '*.' must come a domain like 'x.com'")
    elif pattern.endswith(".*"):
        label = pattern[:-2]
        if _LABEL_RE.fullmatch(label) is None:
            raise table.fail(key, f"has {pattern!r}: before '.*' must come one lower-case label")
    elif normalise_domain(pattern) != pattern or "*" in pattern:
        raise table.fail(
            key,
            f"has {pattern!r}: write a lower-case ASCII domain, 'name.*' or '*.domain'",
        )


def _endpoint(data: Mapping[str, object], where: str) -> Endpoint:
    table = _Table(data, where)
    table.check_keys(_ENDPOINT_KEYS, frozenset())
    host = table.host("host")
    if not host:
        raise table.fail("host", "must not be empty")
    label = table.text("label")
    if not label:
        raise table.fail("label", "must not be empty")
    return Endpoint(host, table.port("port"), table.security("security"), label)


def _provider(data: Mapping[str, object], where: str) -> Provider:
    table = _Table(data, where)
    # Name the entry by its id as soon as the id is usable.
    raw_id = data.get("id")
    if isinstance(raw_id, str) and _ID_RE.fullmatch(raw_id):
        table.where = f"{where} '{raw_id}'"
    table.check_keys(_PROVIDER_REQUIRED, _PROVIDER_OPTIONAL)

    provider_id = table.text("id")
    if _ID_RE.fullmatch(provider_id) is None:
        raise table.fail("id", f"must be lower-case letters, digits and '-', not {provider_id!r}")
    name = table.text("name")
    hint = table.text("hint")
    for key, value in (("name", name), ("hint", hint)):
        if not value:
            raise table.fail(key, "must not be empty")
    protocol = table.text("protocol")
    if protocol not in PROTOCOLS:
        raise table.fail("protocol", f"must be one of {_choices(PROTOCOLS)}, not {protocol!r}")
    host = table.host("host")
    port = table.port("port")
    security = table.security("security")
    guidance = table.text("guidance")
    if _GUIDANCE_RE.fullmatch(guidance) is None:
        raise table.fail("guidance", f"must be '' or a key like 'gmail', not {guidance!r}")
    app_password = table.flag("app_password")
    certificate_checks_required = table.flag("certificate_checks_required")
    notes = table.text("notes", default="")

    alternatives = tuple(
        _endpoint(item, f"{table.where}, alternatives[{number}]")
        for number, item in enumerate(table.tables("alternatives"), start=1)
    )
    domains = table.strings("domains")
    for pattern in domains:
        _check_domain_pattern(table, "domains", pattern)
    excluded = table.strings("excluded_domains")
    for domain in excluded:
        if normalise_domain(domain) != domain:
            raise table.fail("excluded_domains", f"has {domain!r}: write a lower-case domain")
        if not any(domain_matches(domain, pattern) for pattern in domains):
            raise table.fail("excluded_domains", f"has {domain!r}, which no domain pattern claims")
    mx_suffixes = table.strings("mx_suffixes")
    for suffix in mx_suffixes:
        if normalise_domain(suffix) != suffix or "." not in suffix:
            raise table.fail("mx_suffixes", f"has {suffix!r}: write a lower-case domain")

    # Rules that tie the fields together.
    if protocol == "http":
        if host:
            raise table.fail("host", "must be '' for an HTTP relay (the user gives its URL)")
        if alternatives:
            raise table.fail("alternatives", "must be absent for an HTTP relay")
    elif not host and provider_id != CUSTOM_ID:
        raise table.fail("host", f"must not be empty (only '{CUSTOM_ID}' lets the user type it)")
    if provider_id == CUSTOM_ID:
        if certificate_checks_required:
            raise table.fail(
                "certificate_checks_required", f"must be false for '{CUSTOM_ID}' (own servers)"
            )
    elif not certificate_checks_required:
        raise table.fail(
            "certificate_checks_required",
            f"must be true: only '{CUSTOM_ID}' may let the user turn certificate checks off",
        )
    if certificate_checks_required and "none" in (
        security,
        *(alternative.security for alternative in alternatives),
    ):
        raise table.fail(
            "security", "must not be 'none' for a known provider (it sends a password)"
        )
    seen = {(host, port, security)}
    for alternative in alternatives:
        triple = (alternative.host, alternative.port, alternative.security)
        if triple in seen:
            raise table.fail(
                "alternatives",
                f"repeats {alternative.host}:{alternative.port} {alternative.security}",
            )
        seen.add(triple)

    return Provider(
        id=provider_id,
        name=name,
        hint=hint,
        protocol=protocol,
        host=host,
        port=port,
        security=security,
        alternatives=alternatives,
        domains=domains,
        mx_suffixes=mx_suffixes,
        app_password=app_password,
        guidance=guidance,
        certificate_checks_required=certificate_checks_required,
        notes=notes,
        excluded_domains=excluded,
    )


def parse_catalogue(text: str, source: str = _RESOURCE) -> tuple[Provider, ...]:
    """Parse and validate catalogue TOML; `source` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{source}: not valid TOML: {error}") from None
    top = _Table(data, source)
    top.check_keys(frozenset({"provider"}), frozenset())
    entries = top.tables("provider")
    if not entries:
        raise top.fail("provider", "has no entries")

    providers: list[Provider] = []
    ids: set[str] = set()
    domain_owner: dict[str, str] = {}
    mx_owner: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        provider = _provider(entry, f"{source}: provider #{number}")
        where = f"{source}: provider #{number} '{provider.id}'"
        if provider.id in ids:
            raise CatalogueError(f"{where}: key 'id' repeats '{provider.id}'")
        ids.add(provider.id)
        for domain in provider.domains:
            if domain in domain_owner:
                raise CatalogueError(
                    f"{where}: key 'domains' has {domain!r}, already given to"
                    f" '{domain_owner[domain]}'"
                )
            domain_owner[domain] = provider.id
        for suffix in provider.mx_suffixes:
            if suffix in mx_owner:
                raise CatalogueError(
                    f"{where}: key 'mx_suffixes' has {suffix!r}, already given to"
                    f" '{mx_owner[suffix]}'"
                )
            mx_owner[suffix] = provider.id
        providers.append(provider)
    return tuple(providers)


def load_catalogue(path: str | os.PathLike[str]) -> tuple[Provider, ...]:
    """Read and validate a catalogue file (the packaged one is read by `catalogue()`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{file}: cannot be read: {error}") from None
    return parse_catalogue(text, source=str(file))


# ---------------------------------------------------------------------------------------
# The packaged catalogue and its look-ups


@functools.cache
def catalogue() -> tuple[Provider, ...]:
    """Every provider, in picker order, from the packaged providers.toml (read once)."""
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
    """`provider_for_host` over any catalogue: the first entry using that exact host."""
    normal = normalise_domain(smtp_host)
    if normal is None:
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
