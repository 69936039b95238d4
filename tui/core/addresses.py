"""Checking what goes into a mail header: one address per field, no header smuggling.

Internal and special-use domains (`root@localhost`, `alerts@nas.local`, `ops@corp.internal`,
`backup@example.test`) are accepted: servers mail their own admins. `address_note()` says
where such an address matters (a big provider will refuse it), but never refuses it.

email-validator is imported only when an address is not a plain ASCII one: the cheap check
below settles the usual case without compiling its patterns (issue 16).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from tui.core.texts import Texts

say = Texts("tui.core")  # tui/core/texts.toml, [addresses]

# RFC 5321 limits that email-validator also applies.
_MAX_ADDRESS = 254
_MAX_DOMAIN = 253

# Domains that are internal, reserved for examples, or only meaningful on one network.
_INTERNAL_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "test",
    "example",
    "home.arpa",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
)
# Names that never reach anyone (RFC 6761 .invalid), Tor's .onion and the rest of .arpa.
_UNUSABLE_SUFFIXES = ("invalid", "onion", "arpa")


def header_problem(value: str, where: str = "") -> str | None:
    """Why a value cannot go into a mail header, or None. CR/LF and encoded-word markers
    could smuggle extra headers (CVE-2024-6923), so they are refused outright. `where`
    names the field in the sentence ("in client_id"; default "here")."""
    if any(ch in "\r\n\x85\u2028\u2029" for ch in value):
        return say("addresses.line-break", where=where or say("addresses.here"))
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return say("addresses.control", where=where or say("addresses.here"))
    if "=?" in value:
        return say("addresses.encoded-word", where=where or say("addresses.here"))
    return None


def envelope_problem(address: str) -> str | None:
    """Why an address cannot go into MAIL FROM / RCPT TO, or None: one line, no brackets
    or spaces, no encoded word, a domain that IDNA can encode. Checked before connecting
    (the SMTP pre-flight) and before queueing (the sendmail entry): a refusal here never
    reached a server and never gets better by waiting."""
    address = address.strip()
    problem = header_problem(address)
    if problem is None and (not address or any(c in address for c in "<> \t")):
        problem = say("addresses.envelope-spaces")
    if problem is None:
        domain = address.rpartition("@")[2]
        try:
            domain.encode("idna") if not domain.isascii() else None
        except UnicodeError:
            problem = say("addresses.envelope-domain")
    return problem


# Header values and recipients in the forms cron, mail(1) and scripts write: a bare local
# name or address ("root", "ops@example.com"), "Cron Daemon <root>" or "root (Cron Daemon)",
# words and addresses of plain characters only. These are split without loading the email
# package's address parser (and the modules it imports); anything else goes to it.
_BARE = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)?"
_WORDS = r"[A-Za-z0-9_+-]+(?: [A-Za-z0-9_+-]+)*"
_SIMPLE = re.compile(
    rf"(?P<bare>{_BARE})|(?P<name>{_WORDS}) <(?P<routed>{_BARE})>"
    rf"|(?P<address>{_BARE}) \((?P<comment>{_WORDS})\)"
)


def address_pairs(values: Sequence[str]) -> list[tuple[str, str]]:
    """(display name, address) for each address in these header values or command-line
    recipients: what the email package's getaddresses gives (a property test checks that
    both agree), which loads only for a value not in one of the simple forms above."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        match = _SIMPLE.fullmatch(value)
        if match is None:
            from email.utils import getaddresses

            return getaddresses(values)
        if match["bare"]:
            pairs.append(("", match["bare"]))
        elif match["routed"]:
            pairs.append((match["name"], match["routed"]))
        else:
            pairs.append((match["comment"], match["address"]))
    return pairs


def looks_like_address(text: str) -> bool:
    """Whether a username is an email address (the seed shows the address field if not).
    `root@localhost` is one: internal domains need no dot."""
    name, at, domain = text.strip().rpartition("@")
    return bool(at and name and domain) and not any(ch.isspace() for ch in text.strip())


def _has_suffix(domain: str, suffixes: tuple[str, ...]) -> bool:
    return any(domain == suffix or domain.endswith("." + suffix) for suffix in suffixes)


def _domain_of(text: str) -> str:
    return text.strip().rpartition("@")[2].rstrip(".").lower()


def is_internal_domain(domain: str) -> bool:
    """Whether mail for this domain can only be delivered on one machine or network."""
    name = domain.rstrip(".").lower()
    if name.startswith("[") or "." not in name:  # an address literal, or localhost
        return True
    if name.endswith(".arpa") and not _has_suffix(name, ("home.arpa",)):
        return False
    return _has_suffix(name, _INTERNAL_SUFFIXES)


@functools.cache
def _plain_address() -> re.Pattern[str]:
    # A dot-atom local part and LDH labels: what email-validator accepts without question.
    atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
    label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    return re.compile(rf"{atom}(?:\.{atom})*@{label}(?:\.{label})*")


def _is_plain(text: str) -> bool:
    if len(text) > _MAX_ADDRESS or len(_domain_of(text)) > _MAX_DOMAIN:
        return False
    if not _plain_address().fullmatch(text):
        return False
    labels = _domain_of(text).split(".")
    # Punycode and all-digit top labels go to the full check (IDNA rules, IP-like names).
    return not any(part[2:4] == "--" for part in labels) and not labels[-1].isdigit()


def _email_validator_problem(text: str) -> str | None:
    import email_validator  # compiling its patterns costs ~15-40 ms: only when needed

    # Documented API (SPECIAL_USE_DOMAIN_NAMES is a public, editable list): our own rules
    # above decide about special-use names, so the library judges only the syntax.
    email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = []
    try:
        email_validator.validate_email(
            text,
            check_deliverability=False,
            globally_deliverable=False,
            test_environment=True,
            allow_domain_literal=True,
        )
    except email_validator.EmailNotValidError as error:
        return say("addresses.invalid", error=error)
    return None


def address_problem(value: str) -> str | None:
    """Why a value is not one valid email address, or None. No DNS look-up; internal and
    special-use domains are accepted (see address_note for where they matter)."""
    text = value.strip()
    if not text:
        return say("addresses.empty")
    problem = header_problem(text)
    if problem:
        return problem
    if "," in text or ";" in text or len(text.split()) > 1:
        return say("addresses.one-only")
    if "@" not in text:
        return say("addresses.no-at")
    local, _, _ = text.rpartition("@")
    if not local:
        return say("addresses.no-local")
    domain = _domain_of(text)
    if _has_suffix(domain, _UNUSABLE_SUFFIXES) and not _has_suffix(domain, ("home.arpa",)):
        return say("addresses.reserved", domain=domain)
    if "." not in domain and domain != "localhost" and not domain.startswith("["):
        return say("addresses.no-dot")
    if _is_plain(text):
        return None
    return _email_validator_problem(text)


def address_note(value: str) -> str | None:
    """A note for an address on an internal or special-use domain, or None. Never a
    refusal: such addresses are right for a server's own mail and for relays on the same
    network, but a big provider will not accept them."""
    text = value.strip()
    if "@" not in text or not is_internal_domain(_domain_of(text)):
        return None
    return say("addresses.internal-note", domain=_domain_of(text))
