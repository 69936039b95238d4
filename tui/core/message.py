"""Building messages: the test message, and ordinary messages with attachments.

`build_email` turns settings + an `Outgoing` into an `EmailMessage` ready for SMTP;
`envelope_recipients` says who gets it (the copy address is a Bcc: envelope only).
What may go into a header field is decided in one place, `settings.header_problem`.
"""

from __future__ import annotations

import email.policy
import html as html_lib
import mimetypes
import socket
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from tui.core.settings import Settings, header_problem

# Bodies are encoded for a 7-bit channel (quoted-printable or base64 where needed), so the
# message goes through any server, with or without 8BITMIME, and no bare 8-bit byte can
# confuse a relay. Headers are encoded words where needed (RFC 2047/2231); utf8=False.
POLICY = email.policy.SMTP.clone(cte_type="7bit")

# Types that must not be sent base64-encoded as an opaque attachment (RFC 2046 forbids
# base64 for message/* and multipart/*): such files go out as application/octet-stream.
_OPAQUE = "application/octet-stream"

# mimetypes reports compression as an "encoding" ("x.tar.gz" -> ("application/x-tar",
# "gzip")); the file on disk is the compressed one, so its type is the compressor's.
_COMPRESSED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}


class MessageError(ValueError):
    """A value cannot go into the message (it names the settings field concerned)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @classmethod
    def from_path(cls, path: Path) -> Attachment:
        """Read a file; its MIME type comes from its name (a PDF is application/pdf)."""
        data = Path(path).read_bytes()
        return cls(
            filename=_safe_filename(path.name), content_type=guess_type(path.name), data=data
        )


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class RawOutgoing(Outgoing):
    """A message that is already formed (RFC 5322 bytes), sent as it is with an explicit
    envelope: the sendmail entry's mail (cron, mail(1), PHP), whose headers tui.core.mta
    has already rewritten. `to`/`subject`/`text` are filled from it for transports that
    need them (the HTTP relay); the SMTP engine sends `data` and `recipients` unchanged.
    The copy address (sender.copy_to) is NOT added: the envelope is exactly `recipients`.
    """

    data: bytes = b""
    recipients: tuple[str, ...] = ()


class _AsIs(EmailMessage):
    """An EmailMessage that flattens to the bytes it was given (see RawOutgoing)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(policy=POLICY)
        self._data = data

    def as_bytes(self, unixfrom: bool = False, policy: email.policy.Policy | None = None) -> bytes:
        return self._data


def guess_type(filename: str) -> str:
    """The MIME type for a file name, application/octet-stream when unknown."""
    content_type, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding:
        return _COMPRESSED_TYPES.get(encoding, _OPAQUE)
    if not content_type or content_type.count("/") != 1:
        return _OPAQUE
    maintype = content_type.split("/")[0]
    if maintype in ("message", "multipart"):
        return _OPAQUE
    return content_type


def human_size(size: int) -> str:
    """A byte count as people read it: "512 bytes", "9.0 kB", "1.2 MB"."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def envelope_recipients(settings: Settings, outgoing: Outgoing) -> tuple[str, ...]:
    """Who the server is asked to deliver to: the recipient, then the copy address."""
    if isinstance(outgoing, RawOutgoing):
        return outgoing.recipients
    recipients: list[str] = []
    seen: set[str] = set()
    for address in (outgoing.to, settings.sender.copy_to):
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return tuple(recipients)


def build_email(settings: Settings, outgoing: Outgoing) -> EmailMessage:
    """The message as it goes on the wire (headers, text, optional HTML, attachments).

    The copy address (sender.copy_to) is a Bcc and appears in no header: it is only an
    envelope recipient (see envelope_recipients). Raises MessageError naming the field
    when a value cannot go into a header. A RawOutgoing flattens to its own bytes.
    """
    if isinstance(outgoing, RawOutgoing):
        return _AsIs(outgoing.data)
    sender = settings.sender
    from_address = settings.from_address.strip()
    name = sender.name.strip()
    reply_to = sender.reply_to.strip()
    to = outgoing.to.strip()
    for field, value in (
        ("sender.address", from_address),
        ("sender.name", name),
        ("sender.reply_to", reply_to),
        ("sender.copy_to", sender.copy_to.strip()),
        ("recipient", to),
        ("subject", outgoing.subject),
    ):
        problem = header_problem(value)
        if problem:
            raise MessageError(field, problem)
    if not from_address:
        raise MessageError("sender.address", "is empty; set the sender's email address")
    if not to:
        raise MessageError("recipient", "is empty; give the address to send to")

    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address("sender.address", from_address, name)
    msg["To"] = _address("recipient", to)
    if reply_to:
        msg["Reply-To"] = _address("sender.reply_to", reply_to)
    msg["Subject"] = outgoing.subject
    msg["Date"] = format_datetime(localtime())
    msg["Message-ID"] = make_msgid(domain=_msgid_domain(from_address))
    msg["X-Mailer"] = "mailwiz"

    msg.set_content(outgoing.text)
    if outgoing.html:
        msg.add_alternative(outgoing.html, subtype="html")
    for attachment in outgoing.attachments:
        filename = _safe_filename(attachment.filename)
        content_type = attachment.content_type
        if content_type.count("/") != 1 or content_type.split("/")[0] in ("message", "multipart"):
            content_type = _OPAQUE
        maintype, subtype = content_type.split("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=filename)
    # The email package repeats MIME-Version in every sub-part it creates; it belongs only
    # in the top-level header (RFC 2045 section 4).
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
    return msg


def test_outgoing(
    settings: Settings,
    to: str,
    now: datetime | None = None,
    hostname: str | None = None,
) -> Outgoing:
    """The test message: says it is a test from mailwiz, from which host, when, and the
    settings used (never the password)."""
    when = format_datetime(now if now is not None else localtime())
    host = hostname if hostname is not None else socket.gethostname()
    rows = _settings_rows(settings)
    width = max(len(label) for label, _ in rows)
    text_lines = [
        "This is a test message from mailwiz.",
        "",
        f"It was sent from the computer {host!r} on {when} to check these email",
        "settings. If you are reading it, they work: nothing else needs doing.",
        "",
        "Settings used:",
        *(f"  {label + ':':<{width + 1}} {value}" for label, value in rows),
        "",
        "The password is not part of this message.",
        "",
    ]
    rows_html = "".join(
        f"<tr><td>{html_lib.escape(label)}</td><td>{html_lib.escape(value)}</td></tr>"
        for label, value in rows
    )
    html = (
        "<html><body>"
        "<p>This is a test message from <b>mailwiz</b>.</p>"
        f"<p>It was sent from the computer <b>{html_lib.escape(host)}</b> on "
        f"{html_lib.escape(when)} to check these email settings. If you are reading it, "
        "they work: nothing else needs doing.</p>"
        f"<p>Settings used:</p><table>{rows_html}</table>"
        "<p>The password is not part of this message.</p>"
        "</body></html>"
    )
    return Outgoing(
        to=to,
        subject=f"mailwiz test message from {host}",
        text="\n".join(text_lines),
        html=html,
    )


def _settings_rows(settings: Settings) -> list[tuple[str, str]]:
    sender = settings.sender
    rows = [("provider", settings.provider or "custom"), ("protocol", settings.protocol)]
    if settings.protocol == "http":
        rows.append(("relay", _public_url(settings.http.url)))
    else:
        smtp = settings.smtp
        rows += [
            ("server", smtp.host),
            ("port", str(smtp.port)),
            ("security", _SECURITY_WORDS.get(smtp.security, smtp.security)),
            ("username", smtp.username or "(none: no login)"),
            ("certificate check", "on" if smtp.verify_certificate else "OFF"),
        ]
        if smtp.ca_file:
            rows.append(("extra CA file", smtp.ca_file))
    rows.append(("from", settings.from_address))
    if sender.name:
        rows.append(("display name", sender.name))
    if sender.reply_to:
        rows.append(("replies to", sender.reply_to))
    if sender.copy_to:
        # The copy address is a Bcc: naming it here would show it to the recipient.
        rows.append(("copy of every email", "yes, as a Bcc (address not shown)"))
    return rows


_SECURITY_WORDS = {
    "tls": "tls (encrypted from the first byte)",
    "starttls": "starttls (encryption required before login)",
    "none": "none (no encryption, no login)",
}


def _public_url(url: str) -> str:
    """The relay URL without user, password, query or fragment (they may hold tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(not a valid URL)"
    if not parts.scheme or not host:
        return "(not a valid URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form (zoe@exämple.com -> zoe@xn--exmple-cua.com),
    as it must appear in headers and in the SMTP envelope. Raises UnicodeError when the
    domain cannot be encoded."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.isascii():
        return address.strip()
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def _address(field: str, address: str, display_name: str = "") -> Address:
    try:
        return Address(display_name=display_name, addr_spec=ascii_address(address))
    except (ValueError, IndexError, TypeError) as exc:  # UnicodeError is a ValueError
        raise MessageError(field, f"{address!r} is not a usable email address ({exc})") from exc


def _msgid_domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip().rstrip(".")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if domain else ""
    except UnicodeError:
        ascii_domain = ""
    return ascii_domain or "mailwiz.invalid"


def _safe_filename(name: str) -> str:
    """A file name fit for a header: control characters replaced, never empty."""
    cleaned = "".join(
        "_" if unicodedata.category(c) == "Cc" or c in "\x85\u2028\u2029" else c for c in name
    ).strip()
    return cleaned or "attachment"


# Not a pytest test, despite its name (test modules import it).
test_outgoing.__test__ = False  # type: ignore[attr-defined]
