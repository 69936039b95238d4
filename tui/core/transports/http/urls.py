"""URLs as they may be shown: a relay URL's query (`?key=...`) and any user:password in it are
secrets, so everything that prints a URL (test, --json, show, the transcript, the diagnosis,
the support report) prints `public_url(url)` instead. No httpx here: `show` imports this."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

#: What stands in for a hidden value.
MASK = "..."


def public_url(url: str) -> str:
    """`url` with every query value and any user name or password masked.

    "https://relay.example/send?key=abc&x=1" -> "https://relay.example/send?key=...&x=...";
    a query that is not name=value pairs becomes "?..."; a fragment is dropped. Text that is
    not a URL at all is masked whole after its first "?", so nothing behind one is shown.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        head, sep, _ = text.partition("?")
        return head + (f"?{MASK}" if sep else "")
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@" + (f"[{host}]" if ":" in host else host) + port
    query = ""
    if parts.query:
        items = parts.query.split("&")
        names = [item.partition("=")[0] for item in items]
        if all("=" in item for item in items) and all(names):
            query = "&".join(f"{name}={MASK}" for name in names)
        else:
            query = MASK  # a bare "?SECRET": nothing of it is shown
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (where plain http:// is allowed)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
