"""A message as it goes into SMTP DATA, never held whole in memory.

`data_form(chunks)` is the one conversion: every line end CRLF (CRLF, a lone CR and a lone
LF alike, so nothing in a body can be read as an end of DATA by a lenient server: SMTP
smuggling), a last line without a line end given one, and a "." starting a line doubled
(RFC 5321 4.5.2). It works on chunks as they come, so its memory is a chunk's, not the
message's.

A `MessageData` is what the SMTP engine sends: a built message (tui.core.message, its
attachments base64-encoded from their files) written to a spooled temporary file, or a
formed message (the queue's, `RawOutgoing`) converted again from its source each time it
is read: a queued message goes from its file in the queue to the socket in chunks.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import tempfile

SHOWN_LINES = 60  # message lines a MessageData keeps for the transcript
CHUNK = 64 * 1024


class MessageFile(NamedTuple):
    """A formed message in an open file (the queue's .msg, whose lock the holder keeps),
    read from its start each time; the descriptor stays the caller's to close."""

    fd: int

    def chunks(self, size: int = CHUNK, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """The bytes from `start` to `stop` (the end when None), in pieces of `size`."""
        offset = start
        while stop is None or offset < stop:
            want = size if stop is None else min(size, stop - offset)
            piece = os.pread(self.fd, want, offset)
            if not piece:
                return
            offset += len(piece)
            yield piece

    def head(self, size: int) -> bytes:
        """The first `size` bytes (what a notice quotes: the header block)."""
        return os.pread(self.fd, size, 0)


Formed = bytes | MessageFile  # a formed message: in memory, or in a file


def raw_chunks(
    message: Formed, size: int = CHUNK, start: int = 0, stop: int | None = None
) -> Iterator[bytes]:
    """A formed message (or its bytes from `start` to `stop`) in pieces of about `size`
    bytes, as they are read."""
    if isinstance(message, MessageFile):
        yield from message.chunks(size, start, stop)
        return
    view = memoryview(message)[start:stop]
    for at in range(0, len(view), size):
        yield bytes(view[at : at + size])


def data_form(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The DATA form of a message given in chunks (see the module's docstring), in pieces
    of whole lines; without the final "." line. Nothing for an empty message."""
    for lines in whole_lines(chunks):
        yield _converted(lines if lines.endswith((b"\r", b"\n")) else lines + b"\r\n")


def whole_lines(chunks: Iterable[bytes], cr: bool = True) -> Iterator[bytes]:
    """The chunks again, each cut after its last line end (CRLF, LF, or with `cr` a lone
    CR; a CR ending a chunk waits for the next: it may start a CRLF); the last piece is
    what remains, with or without a line end.

    Only each new chunk is searched, and the start of an unended line is kept as a list of
    pieces: a message that is one long line (any local user can hand one to root's queue)
    costs time in proportion to its length, not to its square."""
    pending: list[bytes] = []  # the unended line so far; only its last piece may end in CR
    for chunk in chunks:
        if not chunk:
            continue
        end = len(chunk) - (1 if chunk.endswith(b"\r") else 0)
        cut = chunk.rfind(b"\n", 0, end) + 1
        if cr:
            cut = max(cut, chunk.rfind(b"\r", 0, end) + 1)
        if cut:
            yield b"".join((*pending, chunk[:cut]))
            pending = [chunk[cut:]] if cut < len(chunk) else []
        elif cr and pending and pending[-1].endswith(b"\r") and not chunk.startswith(b"\n"):
            yield b"".join(pending)  # the CR held back was a line end of its own
            pending = [chunk]
        else:
            pending.append(chunk)
    if pending:
        yield b"".join(pending)


def _converted(lines: bytes) -> bytes:
    """Whole lines (starting at a line start, ending with a line end) in DATA form. (The
    byte methods, not a regular expression: ~20 times faster on a large message.)"""
    crlf = lines.count(b"\r\n")
    if lines.count(b"\n") != crlf or lines.count(b"\r") != crlf:  # a lone CR or LF
        lines = lines.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    lines = lines.replace(b"\n.", b"\n..")  # (the same object when there is none)
    return b"." + lines if lines.startswith(b".") else lines


@dataclass(repr=False, eq=False)  # one send's working state, never compared
class MessageData:
    """The message ready for DATA (see data_form), without the final ".". A built message
    lives in `spool` (in memory while small); a formed one is converted again from
    `source` by each `chunks()`. `head` holds the first SHOWN_LINES lines for the
    transcript."""

    spool: tempfile.SpooledTemporaryFile[bytes] | None = None
    source: Callable[[], Iterator[bytes]] | None = None
    size: int = 0
    lines: int = 0
    eight_bit: bool = False  # a byte above 127 outside the base64 of attachments
    head: list[str] = field(default_factory=list)

    def count(self, piece: bytes, plain: bool = True) -> None:
        """Tally whole lines in DATA form (`plain`: not base64 from an attachment)."""
        self.size += len(piece)
        self.lines += piece.count(b"\n")
        if plain and not self.eight_bit and not piece.isascii():
            self.eight_bit = True
        wanted = SHOWN_LINES - len(self.head)
        if wanted > 0:  # (the last item of the split is the rest, or the empty string)
            shown = piece.split(b"\r\n", wanted)[:-1]
            self.head += [line.decode("utf-8", "replace") for line in shown]

    def write(self, lines: bytes) -> None:
        """Whole lines of a built message, in its DATA form, to the spool."""
        assert self.spool is not None
        for piece in data_form([lines]):
            self.spool.write(piece)
            self.count(piece)

    def write_base64(self, chunk: bytes) -> None:
        """`chunk` (a multiple of 57 bytes, except the last) as base64 lines of 76."""
        assert self.spool is not None
        block = base64.encodebytes(chunk).replace(b"\n", b"\r\n")  # never starts with "."
        self.spool.write(block)
        self.count(block, plain=False)

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        if self.source is not None:
            yield from self.source()
            return
        assert self.spool is not None
        self.spool.seek(0)
        while chunk := self.spool.read(size):
            yield chunk

    def getvalue(self) -> bytes:
        """The whole message in memory (tests; small messages)."""
        return b"".join(self.chunks())

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


def formed_message(message: Formed) -> MessageData:
    """A formed message (RFC 5322 bytes, or the queue's file) as DATA, read twice and
    never held: once now to know its size, its 8-bit-ness and its first lines (MAIL FROM
    needs them), then again as it is sent."""

    def source() -> Iterator[bytes]:
        return data_form(raw_chunks(message))

    data = MessageData(source=source)
    for piece in source():
        data.count(piece)
    return data
