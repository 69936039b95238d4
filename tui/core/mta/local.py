"""Local names: root, www-data, cron@localhost... resolved to real addresses.

An address is local when it has no `@`, or its domain is localhost, this machine's host
name or its mail name (/etc/mailname). A local name goes through [local] aliases, which
may point at other local names (resolved again, with loop protection) or list several
addresses separated by commas; a local name with no alias goes to [local] admin.
The system's /etc/aliases is read too, as admins expect; [local] aliases win over it.
Its entries that run a program (`|cmd`), append to a file (`/path`) or include one
(`:include:`) are not followed: mailwiz only forwards.
"""

from __future__ import annotations

import socket
from collections.abc import Container, Iterable, Mapping
from pathlib import Path

from tui.core.settings import LocalSettings

MAILNAME = Path("/etc/mailname")
_MAX_DEPTH = 20  # alias chains longer than this are treated as loops


class UnknownLocalName(LookupError):
    """A local name with no alias, and no [local] admin to send it to (exit 67)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class LocalDomains:
    """The domains that mean "this machine", lower case: localhost, the host name, the mail
    name, and the host's fully qualified name. That last one may need a DNS look-up, which can
    hang where DNS is slow; it is asked only for a domain that could be it (one whose first
    label is the host name's), so a submission to `root` or to a remote address never waits."""

    def __init__(self, host_name: str, mail_name: str) -> None:
        self.host_name = host_name.lower().rstrip(".")
        self.known = {"localhost", "localhost.localdomain"} | {
            name.lower().rstrip(".") for name in (self.host_name, mail_name) if name
        }
        self._fqdn: str | None = None

    def __contains__(self, domain: object) -> bool:
        if not isinstance(domain, str):
            return False
        domain = domain.lower().rstrip(".")
        if domain in self.known:
            return True
        first_label = self.host_name.partition(".")[0]
        if not first_label or domain.partition(".")[0] != first_label:
            return False
        if self._fqdn is None:
            self._fqdn = _fqdn().lower().rstrip(".")
        return domain == self._fqdn


def local_domains(mailname_file: Path = MAILNAME) -> LocalDomains:
    """This machine's domains (see LocalDomains)."""
    try:
        mailname = mailname_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        mailname = ""
    return LocalDomains(socket.gethostname(), mailname)


def _fqdn() -> str:
    try:
        return socket.getfqdn()
    except OSError:
        return ""


class Resolver:
    """Resolves recipients with the [local] table; `domains` are the local domains. (A plain
    class: the submit path compiles no dataclass.)"""

    def __init__(
        self,
        local: LocalSettings,
        domains: Container[str],
        system: Mapping[str, str] | None = None,
    ) -> None:
        self.local = local
        self.domains = domains
        self.system: Mapping[str, str] = system or {}  # /etc/aliases, lower-case names

    def local_name(self, address: str) -> str | None:
        """The local name of a local address ("root@localhost" -> "root"), else None."""
        name, at, domain = address.strip().rpartition("@")
        if not at:
            return address.strip() or None
        if domain.lower().rstrip(".") in self.domains and name:
            return name
        return None

    def resolve(self, address: str) -> list[str]:
        """The real addresses mail for `address` goes to. Raises UnknownLocalName."""
        return self._resolve(address, (), 0)

    def resolve_all(self, addresses: Iterable[str]) -> list[str]:
        """Every address resolved, duplicates removed (case-insensitive), order kept."""
        seen: set[str] = set()
        result: list[str] = []
        for address in addresses:
            for resolved in self.resolve(address):
                if resolved.lower() not in seen:
                    seen.add(resolved.lower())
                    result.append(resolved)
        return result

    def _resolve(self, address: str, chain: tuple[str, ...], depth: int) -> list[str]:
        name = self.local_name(address)
        if name is None:
            return [address.strip()]
        target = _alias(self.local.aliases, name)
        if target is None:
            target = self.system.get(name.lower())
        if target is None or name.lower() in chain or depth >= _MAX_DEPTH:
            # No alias, or an alias loop: the admin gets it rather than nobody.
            return [self._admin(name)]
        found: list[str] = []
        for part in split_alias(target):
            found += self._resolve(part, (*chain, name.lower()), depth + 1)
        return found or [self._admin(name)]

    def _admin(self, name: str) -> str:
        admin = self.local.admin.strip()
        if not admin or self.local_name(admin) is not None:
            raise UnknownLocalName(name)
        return admin


def _alias(aliases: Mapping[str, str], name: str) -> str | None:
    if name in aliases:
        return aliases[name]
    lowered = {key.lower(): value for key, value in aliases.items()}
    return lowered.get(name.lower())


def split_alias(value: str) -> list[str]:
    """An alias value: one address or local name, or several separated by commas."""
    return [part.strip() for part in value.split(",") if part.strip()]


def system_aliases(path: Path | None = None) -> dict[str, str]:
    """/etc/aliases (or `path`) as local name -> alias value; {} when it cannot be read."""
    from tui.core.mta.places import aliases_path

    try:
        text = (path or aliases_path()).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return parse_aliases(text)


def parse_aliases(text: str) -> dict[str, str]:
    """The aliases(5) format: `name: value, value`, continued on lines that start with
    white space, `#` comments. Only addresses and local names are kept."""
    entries: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1] in (" ", "\t") and entries:
            entries[-1] += " " + line.strip()
        else:
            entries.append(line.strip())
    found: dict[str, str] = {}
    for entry in entries:
        name, colon, value = entry.partition(":")
        name = name.strip().strip('"').lower()
        if not colon or not name or any(c.isspace() for c in name):
            continue
        targets = [t.strip().strip('"') for t in value.split(",")]
        kept = [t for t in targets if t and not t.startswith(("|", "/", ":include:"))]
        if kept:
            found[name] = ", ".join(kept)
    return found
