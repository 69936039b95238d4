"""Reading and checking providers.toml: an unknown key, a missing key or a wrong type raises
CatalogueError naming the provider and the key. `tui.core.providers` is the model and the
look-ups; this module turns the file into its values."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from tui.core.provider_model import (
    CUSTOM_ID,
    GROUPS,
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

_RESOURCE = "providers.toml"
_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_GUIDANCE_RE = re.compile(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)?")
_LABEL_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
    {
        "notes",
        "domains",
        "excluded_domains",
        "mx_suffixes",
        "alternatives",
        "group",
        "alternate_port",
        "api",
        "username",
        "secret_label",
        "steps",
    }
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

    provider_id, name, hint, protocol = _identity(table)
    host = table.host("host")
    port = table.port("port")
    security = table.security("security")
    guidance = table.text("guidance")
    if _GUIDANCE_RE.fullmatch(guidance) is None:
        raise table.fail("guidance", f"must be '' or a key like 'gmail', not {guidance!r}")
    app_password = table.flag("app_password")
    certificate_checks_required = table.flag("certificate_checks_required")
    alternatives = tuple(
        _endpoint(item, f"{table.where}, alternatives[{number}]")
        for number, item in enumerate(table.tables("alternatives"), start=1)
    )
    domains, excluded, mx_suffixes = _domain_rules(table)
    _check_endpoints(
        table,
        provider_id,
        protocol,
        (host, port, security),
        alternatives,
        certificate_checks_required=certificate_checks_required,
    )
    group, alternate_port, api, steps = _extras(
        table, provider_id, (host, port, security), alternatives
    )
    if app_password and not (guidance or steps):
        raise table.fail("steps", "must say how to make the app password (or set 'guidance')")

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
        notes=table.text("notes", default=""),
        excluded_domains=excluded,
        group=group,
        alternate_port=alternate_port,
        api=api,
        username=table.text("username", default=""),
        secret_label=table.text("secret_label", default=""),
        steps=steps,
    )


def _identity(table: _Table) -> tuple[str, str, str, Protocol]:
    """The entry's id, name, hint and protocol, each checked."""
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
    return provider_id, name, hint, protocol


def _domain_rules(table: _Table) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The address domains the entry claims, those it leaves out, and its MX suffixes."""
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
    return domains, excluded, mx_suffixes


def _check_endpoints(
    table: _Table,
    provider_id: str,
    protocol: str,
    recommended: tuple[str, int, Security],
    alternatives: tuple[Endpoint, ...],
    *,
    certificate_checks_required: bool,
) -> None:
    """The rules that tie the endpoints to the protocol and to certificate checks."""
    host, _port, security = recommended
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
    seen = {recommended}
    for alternative in alternatives:
        triple = (alternative.host, alternative.port, alternative.security)
        if triple in seen:
            raise table.fail(
                "alternatives",
                f"repeats {alternative.host}:{alternative.port} {alternative.security}",
            )
        seen.add(triple)


def _extras(
    table: _Table,
    provider_id: str,
    main: tuple[str, int, str],
    alternatives: tuple[Endpoint, ...],
) -> tuple[Group, int | None, str, tuple[str, ...]]:
    """The turn-2 keys: group, alternate_port, api and steps, checked."""
    group = table.text("group", default="other")
    if group not in GROUPS:
        raise table.fail("group", f"must be one of {_choices(tuple(GROUPS))}, not {group!r}")
    alternate_port = table.port("alternate_port") if "alternate_port" in table.data else None
    ports = {main[1], *(alternative.port for alternative in alternatives)}
    if alternate_port is not None and alternate_port not in ports:
        raise table.fail(
            "alternate_port", f"is {alternate_port}, but no endpoint of '{provider_id}' uses it"
        )
    api = table.text("api", default="")
    if api and api not in PROVIDER_APIS:
        raise table.fail("api", f"must be one of {_choices(PROVIDER_APIS)}, not {api!r}")
    steps = table.strings("steps")
    for step in steps:
        if not step or _CONTROL_RE.search(step):
            raise table.fail("steps", "must be non-empty lines without control characters")
    return group, alternate_port, api, steps


def parse(text: str, source: str = _RESOURCE) -> tuple[Provider, ...]:
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


def load(path: str | os.PathLike[str]) -> tuple[Provider, ...]:
    """Read and validate a catalogue file (the packaged one is read by `catalogue()`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{file}: cannot be read: {error}") from None
    return parse(text, source=str(file))
