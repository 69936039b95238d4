"""Building messages: the test message, and ordinary messages with attachments.

`build_email` turns settings + an `Outgoing` into an `EmailMessage`; `render_message` turns
them into a `MessageData` (tui.core.wire), the message as it goes into SMTP DATA (CRLF
lines, dot-stuffed), spooled to a temporary file with each attachment base64-encoded
straight from its file, so a large attachment is never held in memory (issue 12: peak
growth at most ~2.5x its size); a formed message (RawOutgoing, the queue's) is read from
its file as it is sent.
`envelope_recipients` says who gets it (the copy address is a Bcc: envelope only). What may
go into a header field is decided in one place, `settings.header_problem`.

Attachments are regular files only: `Attachment.from_path` refuses a FIFO, a device such as
/dev/zero, a folder or a socket at once with `AttachmentError` (an OSError whose strerror
says why), which the command line reports as a usage error (exit 2).
"""

from __future__ import annotations

import base64
import email.policy
import errno
import os
import socket
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid
from pathlib import Path
from typing import Any

from tui.core.keys import security_words
from tui.core.settings import Settings, header_problem
from tui.core.texts import Texts
from tui.core.wire import Formed, MessageData, formed_message

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


class AttachmentError(OSError):
    """A file that cannot be attached: `path`, and `strerror` saying why (not a regular file,
    missing, unreadable). The command line maps it to exit 2."""

    def __init__(self, path: Path, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason, str(path))
        self.path = path
        self.reason = reason


say = Texts("tui.core")  # tui/core/texts.toml, [message]

_KINDS = (  # each said with message.kinds.<name>
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISCHR, "character"),
    (stat.S_ISBLK, "block"),
    (stat.S_ISSOCK, "socket"),
)


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, which must be a regular file. O_NONBLOCK, so that
    opening a FIFO cannot hang waiting for a writer; the check is on the open file itself."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AttachmentError(path, "no such file", errno.ENOENT) from None
    except PermissionError:
        raise AttachmentError(path, say("message.permission-denied"), errno.EACCES) from None
    except OSError as exc:
        raise AttachmentError(path, exc.strerror or str(exc), exc.errno or errno.EIO) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(mode)), "other")
        raise AttachmentError(path, say("message.not-regular", what=say(f"message.kinds.{kind}")))
    os.set_blocking(fd, True)
    return fd


@dataclass(frozen=True)
class Attachment:
    """A file to attach. From `from_path` it is read when the message is written (never
    held whole in memory by the SMTP engine); made in memory, `content` holds its bytes."""

    filename: str
    content_type: str
    content: bytes = b""
    path: Path | None = field(default=None, compare=False)
    size: int = field(default=-1, compare=False)

    @classmethod
    def from_path(cls, path: Path) -> Attachment:
        """Check that `path` is a readable regular file (else AttachmentError); its MIME
        type comes from its name (a PDF is application/pdf)."""
        path = Path(path)
        fd = open_regular(path)
        try:
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        return cls(
            filename=_safe_filename(path.name),
            content_type=guess_type(path.name),
            path=path,
            size=size,
        )

    @property
    def data(self) -> bytes:
        """The whole content (read from the file when there is one)."""
        if self.path is None:
            return self.content
        with os.fdopen(open_regular(self.path), "rb") as handle:
            return handle.read()

    @property
    def length(self) -> int:
        return len(self.content) if self.path is None else self.size

    def chunks(self, size: int = 57 * 1024) -> Iterator[bytes]:
        """The content in pieces of `size` bytes (a multiple of 57: whole base64 lines)."""
        if self.path is None:
            for start in range(0, len(self.content), size):
                yield self.content[start : start + size]
            return
        with os.fdopen(open_regular(self.path), "rb") as handle:
            while chunk := handle.read(size):
                yield chunk


@dataclass(frozen=True)
class Outgoing:
    """One message to send. `send_id` is the same for every try of the same message (the
    queue's id and the recipient), "" for a one-off send: an HTTP API that takes an
    idempotency key gets it, so a retry is not a second mail."""

    to: str
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    send_id: str = ""


@dataclass(frozen=True)
class RawOutgoing(Outgoing):
    """A message that is already formed (RFC 5322 bytes), sent as it is with an explicit
    envelope: the sendmail entry's mail (cron, mail(1), PHP), whose headers tui.core.mta
    has already rewritten. `to`/`subject` are filled from it for transports that need them;
    with `text` empty, the HTTP relay and APIs read the text from `data` as they send it
    (tui.core.formed_text); the SMTP engine sends `data` and `recipients` unchanged.
    The copy address (sender.copy_to) is NOT added: the envelope is exactly `recipients`.
    """

    data: Formed = b""  # the bytes, or the queue's file (read as it is sent)
    recipients: tuple[str, ...] = ()


def guess_type(filename: str) -> str:
    """The MIME type for a file name, application/octet-stream when unknown."""
    import mimetypes  # only messages with attachments need it

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


def build_email(
    settings: Settings,
    outgoing: Outgoing,
    *,
    utf8: bool = False,
    placeholders: list[bytes] | None = None,
) -> EmailMessage:
    """The message as it goes on the wire (headers, text, optional HTML, attachments).

    The copy address (sender.copy_to) is a Bcc and appears in no header: it is only an
    envelope recipient (see envelope_recipients). Raises MessageError naming the field
    when a value cannot go into a header. `utf8`: headers in UTF-8 (RFC 6532, for a server
    that offers SMTPUTF8), needed for an address whose local part is not ASCII. With
    `placeholders`, each attachment's content is replaced by a short random placeholder
    (appended to the list) that `render_message` swaps for the file, streamed.
    """
    sender = settings.sender
    from_address = settings.from_address.strip()
    name = sender.name.strip()
    reply_to = sender.reply_to.strip()
    to = outgoing.to.strip()
    _check_header_values(settings, outgoing, from_address, name, reply_to, to)

    msg = EmailMessage(policy=POLICY.clone(utf8=True) if utf8 else POLICY)
    msg["From"] = _address("sender.address", from_address, name, utf8=utf8)
    msg["To"] = _address("recipient", to, utf8=utf8)
    if reply_to:
        msg["Reply-To"] = _address("sender.reply_to", reply_to, utf8=utf8)
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
        if placeholders is None:
            data = attachment.data
        else:
            data = os.urandom(12)  # base64: 16 characters, one line of its own
            placeholders.append(data)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    # The email package repeats MIME-Version in every sub-part it creates; it belongs only
    # in the top-level header (RFC 2045 section 4).
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
    return msg


def _check_header_values(
    settings: Settings, outgoing: Outgoing, from_address: str, name: str, reply_to: str, to: str
) -> None:
    for field_name, value in (
        ("sender.address", from_address),
        ("sender.name", name),
        ("sender.reply_to", reply_to),
        ("sender.copy_to", settings.sender.copy_to.strip()),
        ("recipient", to),
        ("subject", outgoing.subject),
    ):
        problem = header_problem(value)
        if problem:
            raise MessageError(field_name, problem)
    if not from_address:
        raise MessageError("sender.address", say("message.no-sender"))
    if not to:
        raise MessageError("recipient", say("message.no-recipient"))


def render_message(settings: Settings, outgoing: Outgoing, *, utf8: bool = False) -> MessageData:
    """The message as SMTP DATA (tui.core.wire.data_form). A built message is written to a
    spooled file, its attachments base64-encoded from their files chunk by chunk; a
    RawOutgoing is read from its bytes or its file as it is sent (wire.formed_message).
    Raises MessageError (a value that cannot go into a header) or AttachmentError (a file
    that went away or changed type since it was chosen)."""
    if isinstance(outgoing, RawOutgoing):
        return formed_message(outgoing.data)
    import tempfile  # not at import time: plain start-up stays fast (issue 16)

    placeholders: list[bytes] = []
    skeleton = build_email(settings, outgoing, utf8=utf8, placeholders=placeholders)
    raw = skeleton.as_bytes(policy=skeleton.policy.clone(linesep="\r\n"))
    data = MessageData(tempfile.SpooledTemporaryFile(max_size=1 << 20))  # noqa: SIM115 (closed by the caller)
    try:
        done = 0
        for placeholder, attachment in zip(placeholders, outgoing.attachments, strict=True):
            line = b"\n" + base64.b64encode(placeholder) + b"\r\n"  # a line of its own
            at = raw.index(line, done) + 1
            data.write(raw[done:at])
            for chunk in attachment.chunks():
                data.write_base64(chunk)
            done = at + len(line) - 1
        data.write(raw[done:])
    except BaseException:
        data.close()
        raise
    return data


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
    lines = "\n".join(f"  {label + ':':<{width + 1}} {value}" for label, value in rows)
    text = say("message.test-text", host=host, when=when, rows=lines)
    import html as html_lib  # only the test message has an HTML part

    rows_html = "".join(
        f"<tr><td>{html_lib.escape(label)}</td><td>{html_lib.escape(value)}</td></tr>"
        for label, value in rows
    )
    html = say(
        "message.test-html",
        host=html_lib.escape(host),
        when=html_lib.escape(when),
        rows=rows_html,
    )
    return Outgoing(to=to, subject=say("message.test-subject", host=host), text=text, html=html)


def _row(name: str) -> str:
    """A row's label in the test message, as tui/core/texts.toml [message.rows] words it."""
    return str(say.raw("message.rows").get(name, name))


def _settings_rows(settings: Settings) -> list[tuple[str, str]]:
    sender = settings.sender
    rows = [
        (_row("provider"), settings.provider or "custom"),
        (_row("protocol"), settings.protocol),
    ]
    if settings.protocol == "http":
        from tui.core.http_apis import http_rows

        rows += http_rows(settings)
    else:
        smtp = settings.smtp
        rows += [
            (_row("server"), smtp.host),
            (_row("port"), str(smtp.port)),
            (_row("security"), security_words(smtp.security)),
            (_row("username"), smtp.username or say("message.no-login")),
            (
                _row("certificate check"),
                say("message.check-on" if smtp.verify_certificate else "message.check-off"),
            ),
        ]
        if smtp.ca_file:
            rows.append((_row("extra CA file"), smtp.ca_file))
    rows.append((_row("from"), settings.from_address))
    if sender.name:
        rows.append((_row("display name"), sender.name))
    if sender.reply_to:
        rows.append((_row("replies to"), sender.reply_to))
    if sender.copy_to:
        # The copy address is a Bcc: naming it here would show it to the recipient.
        rows.append((_row("copy of every email"), say("message.copy-bcc")))
    return rows


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form (zoe@exämple.com -> zoe@xn--exmple-cua.com),
    as it must appear in headers and in the SMTP envelope. Raises UnicodeError when the
    domain cannot be encoded."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.isascii():
        return address.strip()
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def _address(field: str, address: str, display_name: str = "", *, utf8: bool = False) -> Any:
    local = address.strip().rpartition("@")[0]
    if utf8 and not local.isascii():
        # Address() refuses a non-ASCII local part even for UTF-8 headers: give the text.
        quoted = display_name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address.strip()}>' if display_name else address.strip()
    try:
        return Address(display_name=display_name, addr_spec=ascii_address(address))
    except (ValueError, IndexError, TypeError) as exc:  # UnicodeError is a ValueError
        problem = say("message.unusable-address", address=address, error=exc)
        raise MessageError(field, problem) from exc


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
