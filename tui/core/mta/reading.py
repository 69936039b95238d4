"""The caller's message read as a stream: the header block into memory, the body in chunks,
so that a 30 MB message costs about 30 MB nowhere but on disk.

The same rules as sendmail's: without -i a line "." alone ends the message; LF or CRLF in,
CRLF out (CRs before a LF are one line end); an mbox "From " first line is not a header; a
line that is not a header field ends the header block even without a blank line. Nothing
past `limit` bytes is accepted: MessageProblem as soon as it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from tui.core.mta.spool import MAX_MESSAGE

LINE = 64 * 1024  # bytes read at most per readline: a line longer than that is read in parts
CHUNK = 1024 * 1024  # bytes of body read at once with -i
FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_LINE_END = re.compile(rb"\r*\n")


class MessageProblem(ValueError):
    """A message that cannot be sent as it is (exit 65, EX_DATAERR)."""


def too_large(limit: int) -> MessageProblem:
    from tui.core.mta.texts import say

    return MessageProblem(say("too-large", mb=limit // (1024 * 1024)))


class Reader:
    """One message from `stream`: head() first, then body()."""

    def __init__(self, stream: BinaryIO, ignore_dots: bool, limit: int = MAX_MESSAGE) -> None:
        self.stream = stream
        self.ignore_dots = ignore_dots
        self.limit = limit
        self.size = 0  # bytes read (without a final "." line)
        self.ended = False  # the end of the input, or a "." line, was reached
        self.last = b""  # the last byte read: b"\n" when the input ended with a line end
        self._at_line_start = True
        self._pending = b""  # the body's first line, when no blank line ended the header

    def _count(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.limit)
        if data:
            self.last = data[-1:]

    def _line(self) -> bytes:
        """The next line (or part of a long one); b"" at the end."""
        if self.ended:
            return b""
        line = self.stream.readline(LINE)
        dot = not self.ignore_dots and self._at_line_start and line.rstrip(b"\r\n") == b"."
        if not line or dot:
            self.ended = True
            return b""
        self._at_line_start = line.endswith(b"\n")
        self._count(line)
        return line

    def lines(self) -> Iterator[bytes]:
        """The lines still unread, as written."""
        return iter(self._line, b"")

    def head(self) -> bytes:
        """The header block as the caller wrote it, without the blank line after it."""
        lines: list[bytes] = []
        first = True
        while line := self._line():
            if first and line.startswith(b"From "):  # an mbox "From " line is not a header
                first = False
                continue
            first = False
            bare = line.rstrip(b"\r\n")
            if bare == b"":
                break
            if line[:1] in (b" ", b"\t") and lines:
                lines.append(line)
                continue
            if FIELD.match(bare) is None:  # not a header line: the body starts here
                self._pending = line
                break
            lines.append(line)
        return b"".join(lines)

    def body(self) -> Iterator[bytes]:
        """The rest of the message in chunks, CRLF line ends, ending with one."""
        last = b"\n"
        if self._pending:
            yield _crlf(self._pending)
            last = b"\n" if self._pending.endswith(b"\n") else self._pending[-1:]
        for piece in self._blocks() if self.ignore_dots else self.lines():
            converted = _crlf(piece)
            if converted:
                last = converted[-1:]
                yield converted
        if last != b"\n":
            yield b"\r\n"

    def _blocks(self) -> Iterator[bytes]:
        """With -i: the body in big blocks; CRs at a block's end wait for the next block
        (they may come before its LF)."""
        carry = b""
        while not self.ended:
            block = self.stream.read(CHUNK)
            if not block:
                self.ended = True
                break
            self._count(block)
            block = carry + block
            kept = len(block.rstrip(b"\r"))
            block, carry = block[:kept], block[kept:]
            yield block
        if carry:
            yield carry


def _crlf(data: bytes) -> bytes:
    return _LINE_END.sub(b"\r\n", data)


def read_all(stream: BinaryIO, ignore_dots: bool, limit: int = MAX_MESSAGE) -> bytes:
    """The message from `stream`, to its end (or, without -i, to a line "." alone), as
    written (line ends untouched)."""
    if ignore_dots:
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise too_large(limit)
        return data
    reader = Reader(stream, ignore_dots, limit)
    return b"".join(reader.lines())
