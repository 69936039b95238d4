"""Host names, ports and relay URLs as users type them: checked and normalised, with a
message that says what to change. No DNS look-up."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit


def normalize_host(text: str) -> str:
    """The host name in the form we connect to (IDNA A-labels, lower case), or ValueError
    with a message that says what to change."""
    host = text.strip()
    if not host:
        raise ValueError("Enter the server's host name, for example smtp.example.com.")
    if "://" in host:
        scheme = host.split("://", 1)[0]
        raise ValueError(f'Remove "{scheme}://": type only the host name, like smtp.example.com.')
    if host.startswith("[") and "]" in host:
        inside, _, rest = host[1:].partition("]")
        if rest.startswith(":"):
            raise ValueError("Put the port in the Port field, not after the host name.")
        host = inside
    if any(ch.isspace() for ch in host):
        raise ValueError("A host name cannot contain spaces.")
    if "/" in host or "\\" in host or "?" in host:
        raise ValueError("Type only the host name, without a path (nothing after a /).")
    if "@" in host:
        raise ValueError(
            "That looks like an email address. The host is the server's name, "
            "like smtp.example.com; the address goes in the Username field."
        )
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        if port.isdigit():
            raise ValueError(
                f'Put the port in the Port field: host "{name}", port {port}.'
            ) from None
    if ":" in host:
        raise ValueError("This is neither a host name nor an IP address.")
    host = host.rstrip(".")
    if host.isascii() and "xn--" not in host.lower():
        ascii_host = host  # the usual case: no IDNA mapping to do, idna is not imported
    else:
        import idna

        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise ValueError(f"This is not a valid host name ({error}).") from None
    if len(ascii_host) > 253 or not all(
        re.fullmatch(r"(?!-)[a-z0-9-]{1,63}(?<!-)", label, re.IGNORECASE)
        for label in ascii_host.split(".")
    ):
        raise ValueError("This is not a valid host name: use letters, digits, dots and hyphens.")
    return ascii_host.lower()


def parse_port(text: str) -> int:
    """A port typed by the user, or ValueError with a message."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise ValueError("The port is a whole number, usually 465, 587 or 25.")
    port = int(cleaned)
    if not 1 <= port <= 65535:
        raise ValueError("The port must be between 1 and 65535 (usually 465, 587 or 25).")
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
        return "Enter the relay's URL, for example https://relay.example.com/send."
    if any(ch.isspace() for ch in text):
        return "A URL cannot contain spaces."
    try:
        parts = urlsplit(text)
    except ValueError:  # "https://[::1/send": an unclosed bracket, an invalid address
        return "The URL is not valid: check the host name (an IPv6 address goes in [ ])."
    if parts.scheme not in ("https", "http"):
        return "The URL must start with https://."
    if not parts.hostname:
        return "The URL has no host name after https://."
    if parts.username is not None or parts.password is not None:
        return (
            "Do not put a name or password inside the URL: "
            "anyone who sees the settings would see them."
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (
            "Use https://: with http:// the message and the addresses travel unencrypted. "
            "http:// is accepted only for a relay on this machine (localhost)."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        return "The port in the URL is not valid."
    return None
