"""The text of a formed message (the queue's), for transports that send text, not MIME (the
HTTP relay and APIs), read from the message in pieces and never held whole.

The text is what the email package gives (`get_body(("plain", "html")).get_content()`:
the first text/plain part that is not an attachment, else the first text/html, decoded
from its transfer encoding and its charset, undecodable bytes replaced), byte for byte, but
without parsing the whole message:

1. A skeleton of the message is parsed: every header block and every line starting with
   "--" (a boundary, maybe) kept as it is, every run of other lines replaced by one line
   "\\0OFFSET,LENGTH" that keeps the run's last line end. The email package finds the
   structure in it (which part is the body, its headers) exactly as in the message, since
   only header blocks, boundary lines and line ends decide the structure.
2. The body part's payload in the skeleton names where its text is in the message: its
   kept lines and its runs. Each `chunks()` reads them again from the message and decodes
   them on the way (quoted-printable line by line, base64 by groups of four characters, the
   charset with an incremental decoder).

A base64 text that is not regular (characters outside the alphabet, a wrong length) is
decoded by the email package itself, whole: about one copy of that part, never more.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tui.core.wire import CHUNK, Formed, raw_chunks, whole_lines

_HEADER = re.compile(rb"(From |[\041-\071\073-\176]*:|[\t ])")  # the email package's headerRE
_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_RUN = re.compile(rb"\x00(\d+),(\d+)")

Segment = bytes | tuple[int, int]  # kept bytes, or (offset, length) in the message


@dataclass(frozen=True)
class FormedText:
    """Where a formed message's text is (`segments`), how it is encoded (`cte`, `charset`);
    `chunks()` reads and decodes it again each time."""

    message: Formed
    segments: tuple[Segment, ...] = ()
    cte: str = ""
    charset: str = "ascii"
    whole_base64: bool = False  # irregular base64: decoded by the email package, whole

    def raw(self) -> Iterator[bytes]:
        """The body part's payload as the message has it (still transfer-encoded)."""
        for segment in self.segments:
            if isinstance(segment, bytes):
                yield segment
            else:
                start, length = segment
                yield from raw_chunks(self.message, CHUNK, start, start + length)

    def chunks(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.charset)(errors="replace")
        for piece in self._decoded():
            if text := decoder.decode(piece):
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail

    def text(self) -> str:
        """The whole text (tests; small messages)."""
        return "".join(self.chunks())

    def _decoded(self) -> Iterator[bytes]:
        if self.cte == "quoted-printable":
            for lines in whole_lines(self.raw(), cr=False):  # "=" CR skips to the LF
                yield binascii.a2b_qp(lines)
        elif self.cte == "base64" and not self.whole_base64:
            rest = b""
            for piece in self.raw():
                rest += piece.translate(None, b"\r\n")
                cut = len(rest) - len(rest) % 4
                yield binascii.a2b_base64(rest[:cut])
                rest = rest[cut:]
        elif self.cte in ("base64", "x-uuencode", "uuencode", "uue", "x-uue"):
            yield _email_decoded(b"".join(self.raw()), self.cte)
        else:
            yield from self.raw()


def formed_text(message: Formed) -> FormedText:
    """The text of `message` (see the module's docstring); no text gives an empty one."""
    import email.policy
    from email.message import EmailMessage
    from email.parser import BytesFeedParser

    parser = BytesFeedParser(EmailMessage, policy=email.policy.default)
    for piece in _skeleton(raw_chunks(message)):
        parser.feed(piece)
    parsed = parser.close()
    try:
        body = parsed.get_body(("plain", "html"))
        if body is None:
            return FormedText(message)
        cte = str(body.get("content-transfer-encoding", "")).lower()
        charset = body.get_param("charset", "ASCII")
        if not isinstance(charset, str):  # an RFC 2231 value
            from email.utils import collapse_rfc2231_value

            charset = collapse_rfc2231_value(charset)
        b"x".decode(charset, "replace")  # LookupError: unknown, no text (as the email package)
        del body["content-transfer-encoding"]  # so that the payload comes as it is
        payload = body.get_payload(decode=True)
    except (KeyError, LookupError, ValueError, AttributeError):
        return FormedText(message)
    if not isinstance(payload, bytes):
        return FormedText(message)
    text = FormedText(message, tuple(_segments(payload)), cte, charset)
    if cte == "base64" and not _regular_base64(text.raw()):
        text = FormedText(message, text.segments, cte, charset, whole_base64=True)
    return text


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines with their line ends (CRLF, CR or LF, as the email package cuts them)."""
    for lines in whole_lines(chunks):
        yield from lines.splitlines(keepends=True)


def _skeleton(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The message with every run of body lines replaced by one line naming it."""
    head = True  # in a header block (at the start, after a line starting with "--")
    offset = 0
    run: list[int] = []  # the run's start, and its end without the last line end
    ending = b""
    for line in _lines(chunks):
        content = line.rstrip(b"\r\n")
        at, offset = offset, offset + len(line)
        if head and (not content or _HEADER.match(line)):
            keep = True
            head = bool(content)
        else:
            head = keep = line.startswith(b"--")
        if keep:
            if run:
                yield b"\x00%d,%d" % (run[0], run[1] - run[0]) + ending
                run = []
            yield line
            continue
        run = [run[0] if run else at, at + len(content)]
        ending = line[len(content) :]
    if run:
        yield b"\x00%d,%d" % (run[0], run[1] - run[0]) + ending


def _segments(payload: bytes) -> Iterator[Segment]:
    """The skeleton's payload of one part as kept bytes and runs of the message."""
    kept = b""
    for line in payload.splitlines(keepends=True):
        found = _RUN.match(line)
        if found is None:
            kept += line
            continue
        start, length = int(found[1]), int(found[2])
        if kept:
            yield kept
            kept = b""
        yield (start, length)
        kept = line[found.end() :]  # the run's last line end, when the part keeps it
    if kept:
        yield kept


def _regular_base64(raw: Iterable[bytes]) -> bool:
    """Whether base64 decodes group by group as the email package decodes it whole: only
    the alphabet, at most two "=" at the end, whole groups of four."""
    size = pads = 0
    for piece in raw:
        data = piece.translate(None, b"\r\n")
        size += len(data)
        if pads and data:
            if data.strip(b"=") or pads + len(data) > 2:
                return False
            pads += len(data)
        elif data:
            if _BASE64.fullmatch(data) is None:
                return False
            pads = len(data) - len(data.rstrip(b"="))
    return size % 4 == 0


def _email_decoded(payload: bytes, cte: str) -> bytes:
    """The email package's own decoding of a payload."""
    from email.message import Message

    part = Message()
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(payload.decode("ascii", "surrogateescape"))
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""
