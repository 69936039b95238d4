"""Host names, ports and relay URLs as users type them: checked and normalised, with a
message that says what to change. No DNS look-up."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from tui.core.texts import Texts

say = Texts("tui.core")  # tui/core/texts.toml, [hosts]


def normalize_host(text: str) -> str:
    """The host name in the form we connect to (IDNA A-labels, lower case), or ValueError
    with a message that says what to change."""
    host = text.strip()
    if not host:
        raise ValueError(say("hosts.empty"))
    if "://" in host:
        scheme = host.split("://", 1)[0]
        raise ValueError(say("hosts.scheme", scheme=scheme))
    if host.startswith("[") and "]" in host:
        inside, _, rest = host[1:].partition("]")
        if rest.startswith(":"):
            raise ValueError(say("hosts.port-after-host"))
        host = inside
    if any(ch.isspace() for ch in host):
        raise ValueError(say("hosts.spaces"))
    if "/" in host or "\\" in host or "?" in host:
        raise ValueError(say("hosts.path"))
    if "@" in host:
        raise ValueError(say("hosts.address"))
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        if port.isdigit():
            raise ValueError(say("hosts.port-field", name=name, port=port)) from None
    if ":" in host:
        raise ValueError(say("hosts.neither"))
    host = host.rstrip(".")
    if host.isascii() and "xn--" not in host.lower():
        ascii_host = host  # the usual case: no IDNA mapping to do, idna is not imported
    else:
        import idna

        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise ValueError(say("hosts.idna", error=error)) from None
    if len(ascii_host) > 253 or not all(
        re.fullmatch(r"(?!-)[a-z0-9-]{1,63}(?<!-)", label, re.IGNORECASE)
        for label in ascii_host.split(".")
    ):
        raise ValueError(say("hosts.invalid"))
    return ascii_host.lower()


def parse_port(text: str) -> int:
    """A port typed by the user, or ValueError with a message."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise ValueError(say("hosts.port-number"))
    port = int(cleaned)
    if not 1 <= port <= 65535:
        raise ValueError(say("hosts.port-range"))
    return port


def is_loopback_host(host: str) -> bool:
    """localhost or a loopback address: this computer, the only place plain http:// may go
    (a local relay, a sign-in server) and a host that names no provider."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why an HTTP relay URL cannot be used, or None."""
    text = url.strip()
    if not text:
        return say("hosts.url-empty")
    if any(ch.isspace() for ch in text):
        return say("hosts.url-spaces")
    try:
        parts = urlsplit(text)
    except ValueError:  # "https://[::1/send": an unclosed bracket, an invalid address
        return say("hosts.url-invalid")
    if parts.scheme not in ("https", "http"):
        return say("hosts.url-scheme")
    if not parts.hostname:
        return say("hosts.url-host")
    if parts.username is not None or parts.password is not None:
        return say("hosts.url-credentials")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return say("hosts.url-http")
    try:
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        return say("hosts.url-port")
    return None
