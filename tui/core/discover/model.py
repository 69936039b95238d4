"""What discovery reports and what its layers share: the events, a suggestion, the
address being looked up, the options and the outcome of one layer."""

from __future__ import annotations

import dataclasses
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
import httpx

from tui.core.providers import (
    normalise_domain,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

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

CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\x9f]")


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
    origin: str = ""  # where the answer really came from (autoconfig: the final URL)
    redirected: bool = False  # True: reached through a redirect to another host


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
    # The DNS look-ups that failed (timed out, SERVFAIL, no resolver), one line each:
    # "MX example.com: timed out". Empty when DNS answered (even "no such records").
    dns_failures: tuple[str, ...] = ()
    # The layers the time limit left no room for: (description, why), also in `tried`.
    not_run: tuple[tuple[str, str], ...] = ()


DiscoveryEvent = LayerStarted | LayerEnded | DiscoveryFinished

if TYPE_CHECKING:
    # What "nothing found" means when DNS look-ups failed (the command line and the wizard):
    # texts.toml's dns-caveat, read when first asked for (see __getattr__ below).
    DNS_CAVEAT: str


def __getattr__(name: str) -> str:
    if name == "DNS_CAVEAT":
        return say("dns-caveat")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        data["dns_failures"] = list(event.dns_failures)
    return {"event": kinds[type(event)], **data}


# ---------------------------------------------------------------------------------------
# The address


@dataclass(frozen=True)
class Target:
    address: str  # as typed, without surrounding spaces
    local: str
    domain_text: str  # the domain as typed, in lower case
    domain: str  # its ASCII (IDNA) form, used for every look-up


def split_address(address: str) -> tuple[str, str]:
    """(local part, ASCII domain) of `address`; AddressError when it is not an address."""
    target = parse_target(address)
    return target.local, target.domain


def parse_target(address: str) -> Target:
    text = address.strip()
    local, at, domain_text = text.rpartition("@")
    if not at or not local or not domain_text:
        raise AddressError(say("address.no-parts", text=text))
    if CONTROL_RE.search(local):
        raise AddressError(say("address.bad-local", text=text))
    domain = normalise_domain(domain_text)
    if domain is None or "." not in domain:
        raise AddressError(say("address.bad-domain", text=text, domain=domain_text))
    return Target(text, local, domain_text.lower().rstrip("."), domain)


@dataclass(frozen=True)
class ProbePorts:
    """The ports the probe tries (tests use free local ports)."""

    tls: int = 465
    starttls: int = 587


#: The usual ports, 465 and 587.
DEFAULT_PORTS = ProbePorts()


@dataclass(frozen=True)
class Options:
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
class Outcome:
    found: bool
    detail: str
    suggestions: tuple[Suggestion, ...] = ()
    stop: bool = False  # nothing further can succeed (the domain does not exist)
