"""The provider catalogue's records and domain rules: what a provider is, with no file
reading. `tui.core.providers` holds the packaged catalogue and its look-ups,
`tui.core.providers_file` reads and checks a catalogue file; both build on this module."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

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
