"""From the message a caller wrote to the message mailwiz sends.

The body is never touched (8-bit bytes are kept); only header fields are looked at, as
raw lines, so that fields mailwiz has no business with go out exactly as written.
- The envelope: the command-line recipients, plus To/Cc/Bcc with -t, resolved through the
  local names (tui.core.mta.local), plus the copy address; the envelope sender is always
  the account's address (the SMTP engine uses settings.from_address).
- Bcc is always removed (as Postfix does; -t reads it first). From is rewritten to the
  account's address when it is missing, unqualified ("root", "Cron Daemon <root>") or
  another address; its display name is kept and the original goes to X-Original-From.
  Local names in To and Cc are qualified (given the address they resolve to). Date (the
  time of submission) and Message-ID are added when missing.
- The caller's text is never re-folded: a field mailwiz writes is built from checked
  addresses and display names it encodes itself (RFC 2047), one entry per line, and every
  continuation line starts with white space. A field that cannot be rewritten safely is
  kept exactly as written. So an encoded word holding a line break stays an encoded word
  (CVE-2024-6923) and never becomes a header of its own.
- Any message can be prepared or refused with MessageProblem: nothing in a caller's
  header makes prepare() raise anything else (a property test checks it).
- Line ends: LF or CRLF in, CRLF out.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
import unicodedata
from typing import BinaryIO, NamedTuple

from tui.core.addresses import address_pairs, envelope_problem
from tui.core.mta.local import Resolver, UnknownLocalName
from tui.core.mta.options import Invocation
from tui.core.mta.reading import FIELD, Reader, read_all
from tui.core.mta.reading import MessageProblem as MessageProblem
from tui.core.mta.spool import MAX_MESSAGE
from tui.core.settings import Settings

_ADDRESS_FIELDS = ("to", "cc", "bcc")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/?^_`{|}~-]+)*")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The records here are NamedTuples, not dataclasses: the submit path compiles no dataclass,
# and the email package loads only for the header text that needs it (issue 24, item 1).


class Prepared(NamedTuple):
    recipients: tuple[str, ...]  # the envelope
    data: bytes  # the message as sent, CRLF line ends
    subject: str  # decoded, for listings and the HTTP relay


class Head(NamedTuple):
    """A prepared header block: the body follows as the caller wrote it (CRLF)."""

    recipients: tuple[str, ...]  # the envelope
    data: bytes  # the header block as sent, CRLF line ends, with the blank line after it
    subject: str


def read_input(stream: BinaryIO, ignore_dots: bool, limit: int = MAX_MESSAGE) -> bytes:
    """The message from standard input, to its end (or, without -i, to a line "." alone)."""
    return read_all(stream, ignore_dots, limit)


class _Field(NamedTuple):
    name: str  # as written
    lines: list[bytes]  # the first line and its continuation lines, without line ends

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def value(self) -> str:
        """Unfolded text after the colon (undecodable bytes replaced)."""
        text = b" ".join(line.strip() for line in self.lines).decode("utf-8", "replace")
        return text.split(":", 1)[1].strip()


def _split(data: bytes) -> tuple[list[_Field], list[bytes]]:
    """Header fields and body lines (LF-split; CR before LF already removed)."""
    lines = data.split(b"\n")
    if lines and lines[0].startswith(b"From "):  # an mbox "From " line is not a header
        lines = lines[1:]
    fields: list[_Field] = []
    for index, line in enumerate(lines):
        if line == b"":
            return fields, lines[index + 1 :]
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].lines.append(line)
            continue
        match = FIELD.match(line)
        if match is None:  # not a header line: the body starts here (no blank line)
            return fields, lines[index:]
        fields.append(_Field(match.group(1).decode("ascii"), [line]))
    return fields, []


def _addresses(fields: list[_Field], key: str) -> list[tuple[str, str]]:
    values = [f.value for f in fields if f.key == key]
    return [(name, addr) for name, addr in address_pairs(values) if addr]


def _clean_name(name: str) -> str:
    """A display name fit for a header again: no control characters, one line."""
    name = "".join(" " if unicodedata.category(c) == "Cc" else c for c in name)
    if "=?" in name:  # an encoded word (RFC 2047) to decode; without one, nothing changes
        from email.header import decode_header, make_header

        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            name = str(make_header(decode_header(name)))
    return " ".join(name.split())


def _display_name(name: str) -> str:
    """A display name as header text: quoted ASCII, else one RFC 2047 encoded word (never
    folded: the line ends are mailwiz's, see _address_field)."""
    name = _clean_name(name)
    if not name:
        return ""
    if _ATOMS.fullmatch(name):
        return name
    if name.isascii() and name.isprintable() and "=?" not in name:
        from email.utils import quote

        return f'"{quote(name)}"'
    from email.header import Header

    return Header(name, "utf-8").encode(maxlinelen=0)


def _address_field(name: str, pairs: list[tuple[str, str]]) -> _Field:
    """A To/Cc/From field written by mailwiz: each address checked, one per line."""
    entries: list[str] = []
    for display, address in pairs:
        if envelope_problem(address) is not None:
            raise MessageProblem(f"the address {address!r} in {name} cannot be used")
        shown = _display_name(display)
        entries.append(f"{shown} <{address}>" if shown else address)
    text = f"{name}: " + ",\n ".join(entries)
    lines = text.encode("utf-8").split(b"\n")
    return _Field(name, _checked(lines))


def _checked(lines: list[bytes]) -> list[bytes]:
    """A field's lines, when each continuation line starts with white space and none holds
    a CR or NUL; MessageProblem otherwise (never sent as it is)."""
    for index, line in enumerate(lines):
        if b"\r" in line or b"\0" in line or (index and line[:1] not in (b" ", b"\t")):
            from tui.core.mta.texts import say

            raise MessageProblem(say("bad-header-line"))
    return lines


def prepare(
    data: bytes,
    invocation: Invocation,
    settings: Settings,
    resolver: Resolver,
    submitted: float | None = None,
) -> Prepared:
    """The envelope and the rewritten message; `submitted` is the time for a missing Date
    (default: now). Raises MessageProblem or UnknownLocalName, nothing else."""
    reader = Reader(io.BytesIO(data), ignore_dots=True, limit=len(data))
    head = prepare_head(reader.head(), invocation, settings, resolver, submitted)
    return Prepared(head.recipients, head.data + b"".join(reader.body()), head.subject)


def prepare_head(
    head: bytes,
    invocation: Invocation,
    settings: Settings,
    resolver: Resolver,
    submitted: float | None = None,
) -> Head:
    """The envelope and the rewritten header block (see prepare)."""
    try:
        return _prepare(head, invocation, settings, resolver, submitted)
    except (MessageProblem, UnknownLocalName):
        raise
    except (ValueError, LookupError, TypeError, UnicodeError, AttributeError) as error:
        from tui.core.mta.texts import say

        raise MessageProblem(say("unreadable-header", error=type(error).__name__)) from None


def _prepare(
    head: bytes,
    invocation: Invocation,
    settings: Settings,
    resolver: Resolver,
    submitted: float | None,
) -> Head:
    fields, _body = _split(re.sub(rb"\r*\n", b"\n", head))
    for f in fields:
        _checked(f.lines)
    wanted = list(invocation.recipients)
    if invocation.extract:
        for key in _ADDRESS_FIELDS:
            wanted += [addr for _name, addr in _addresses(fields, key)]
    fields = [f for f in fields if f.key != "bcc"]
    recipients = resolver.resolve_all(wanted)
    copy = settings.sender.copy_to.strip()
    if copy and copy.lower() not in {r.lower() for r in recipients}:
        recipients.append(copy)
    if not recipients:
        from tui.core.mta.texts import say

        raise MessageProblem(say("no-recipients"))
    fields = [_qualified(f, resolver) for f in fields]
    fields = _rewrite_from(fields, invocation, settings)
    account = settings.from_address.strip()
    if not any(f.key == "date" for f in fields):
        when = header_date(time.time() if submitted is None else submitted)
        fields.append(_Field("Date", [f"Date: {when}".encode("ascii")]))
    if not any(f.key == "message-id" for f in fields):
        domain = account.rpartition("@")[2] or "mailwiz.invalid"
        if envelope_problem(f"x@{domain}") is not None or not domain.isascii():
            domain = "mailwiz.invalid"
        fields.append(_Field("Message-ID", [f"Message-ID: {_message_id(domain)}".encode("ascii")]))
    out = b"".join(line + b"\r\n" for f in fields for line in f.lines) + b"\r\n"
    subject = next((_clean_name(f.value) for f in fields if f.key == "subject"), "")
    return Head(tuple(recipients), out, subject)


def header_date(moment: float) -> str:
    """An RFC 5322 date in this machine's time zone, as the email package's
    format_datetime(localtime(...)) writes it (a property test checks it)."""
    when = time.localtime(moment)
    offset = when.tm_gmtoff // 60
    sign = "-" if offset < 0 else "+"
    zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    return (
        f"{_DAYS[when.tm_wday]}, {when.tm_mday:02d} {_MONTHS[when.tm_mon - 1]} "
        f"{when.tm_year:04d} {when.tm_hour:02d}:{when.tm_min:02d}:{when.tm_sec:02d} {zone}"
    )


def _message_id(domain: str) -> str:
    """A new Message-ID: the time, the process and 64 random bits, as make_msgid's are."""
    return f"<{int(time.time() * 100)}.{os.getpid()}.{os.urandom(8).hex()}@{domain}>"


def _qualified(field: _Field, resolver: Resolver) -> _Field:
    """To/Cc with local names given the addresses they resolve to ("root" -> admin). A field
    with no local name, or one that cannot be rewritten safely, is kept as written."""
    if field.key not in ("to", "cc"):
        return field
    pairs = address_pairs([field.value])
    if not any(addr and resolver.local_name(addr) is not None for _n, addr in pairs):
        return field
    qualified: list[tuple[str, str]] = []
    for name, addr in pairs:
        local = resolver.local_name(addr) if addr else None
        if local is None:
            if addr:
                qualified.append((name, addr))
            continue
        qualified += [(name or local, target) for target in resolver.resolve(addr)]
    try:
        return _address_field(field.name, qualified)
    except MessageProblem:
        return field


def _rewrite_from(fields: list[_Field], invocation: Invocation, settings: Settings) -> list[_Field]:
    account = settings.from_address.strip()
    found = [f for f in fields if f.key == "from"]
    pairs = _addresses(found, "from")
    if len(found) == 1 and len(pairs) == 1 and pairs[0][1].lower() == account.lower():
        return fields
    name = next((n for n, _a in pairs if n.strip()), "") or invocation.full_name
    name = _clean_name(name or settings.sender.name)
    kept = [f for f in fields if f.key != "from"]
    for original in found:  # the caller's own line, renamed: nothing is lost
        rest = original.lines[0].split(b":", 1)[1]
        kept.append(_Field("X-Original-From", [b"X-Original-From:" + rest, *original.lines[1:]]))
    kept.insert(0, _address_field("From", [(name, account)]))
    return kept
