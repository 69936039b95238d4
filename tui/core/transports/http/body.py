"""Request bodies sent in pieces, never held whole: a message's text (a queued message's is
read from its file in the queue, tui.core.formed_text) or an attachment goes into the
request as it is sent.

A `Body` is read twice: once to count its bytes (the request's Content-Length: httpx would
send a body of unknown length chunked, which a relay may refuse), then again as it is sent.
Each value that may be large is a `Pieces` (text given in pieces, read again each time);
the encoders work piece by piece and give the same bytes as encoding the whole value:
HTML escaping and JSON string escaping are per character, line ends are normalised with a
CR held back across pieces, base64 is encoded by groups of 3 bytes (57 KiB pieces).
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from tui.core.message import Attachment

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Pieces(Protocol):
    """Text given in pieces; `chunks()` gives it from its start each time."""

    def chunks(self) -> Iterator[str]: ...


@dataclass(frozen=True)
class Plain:
    """Text already in memory (a message built here, a short field)."""

    value: str

    def chunks(self) -> Iterator[str]:
        if self.value:
            yield self.value


@dataclass(frozen=True)
class Html:
    """The HTML body: `html` when the message has one, else the text escaped, its lines
    (CRLF, CR or LF) joined by `<br>` and a line end."""

    text: Pieces
    html: str = ""

    def chunks(self) -> Iterator[str]:
        if self.html:
            yield self.html
            return
        held = ""  # a CR at the end of a piece: maybe the start of a CRLF
        for piece in self.text.chunks():
            piece = held + piece
            held = "\r" if piece.endswith("\r") else ""
            piece = piece[: len(piece) - len(held)]
            lines = piece.replace("\r\n", "\n").replace("\r", "\n")
            yield html.escape(lines).replace("\n", "<br>\n")
        if held:
            yield "<br>\n"


@dataclass(frozen=True)
class Base64:
    """An attachment's content in base64 (one line, as the JSON APIs take it)."""

    attachment: Attachment

    def chunks(self) -> Iterator[str]:
        for chunk in self.attachment.chunks():  # a multiple of 3 bytes: no padding inside
            yield base64.b64encode(chunk).decode("ascii")


def text_of(pieces: Pieces) -> str:
    """The whole text (tests; short values)."""
    return "".join(pieces.chunks())


def is_empty(pieces: Pieces) -> bool:
    return not any(pieces.chunks())


@dataclass(frozen=True)
class Body:
    """A request body: `pieces()` gives it from its start each time; `length` is its size."""

    pieces: Callable[[], Iterator[bytes]]
    length: int

    @classmethod
    def measured(cls, pieces: Callable[[], Iterator[bytes]]) -> Body:
        """The body, its size counted by reading it once."""
        return cls(pieces, sum(len(piece) for piece in pieces()))

    def getvalue(self) -> bytes:
        """The whole body in memory (tests; small bodies)."""
        return b"".join(self.pieces())


# --------------------------------------------------------------------------- JSON

Json = object  # a JSON value whose strings may be Pieces (sent in pieces)


def json_body(payload: Json) -> Body:
    """`json.dumps(payload, ensure_ascii=False)` in UTF-8, each Pieces in it a string."""
    holes: list[Pieces] = []
    token = secrets.token_hex(12)

    def placed(value: Json) -> Json:
        if isinstance(value, dict):
            return {key: placed(item) for key, item in value.items()}
        if isinstance(value, list):
            return [placed(item) for item in value]
        if isinstance(value, str):
            return value
        if hasattr(value, "chunks"):
            holes.append(value)
            return f"{token}-{len(holes) - 1}"
        return value

    text = json.dumps(placed(payload), ensure_ascii=False)
    frames = re.split(f'"{token}-\\d+"', text)  # the JSON around each hole, in order
    if len(frames) != len(holes) + 1:
        raise ValueError("a JSON value holds the placeholder")  # (a 96-bit random token)

    def pieces() -> Iterator[bytes]:
        for frame, hole in zip(frames, holes, strict=False):
            yield frame.encode("utf-8") + b'"'
            for chunk in hole.chunks():
                yield json.dumps(chunk, ensure_ascii=False)[1:-1].encode("utf-8")
            yield b'"'
        yield frames[-1].encode("utf-8")

    return Body.measured(pieces)


# --------------------------------------------------------------------------- multipart

Field = tuple[str, "str | Pieces"]


def content_type_of(item: Attachment) -> str:
    return _CONTROL.sub("", item.content_type).strip() or "application/octet-stream"


def quote_name(value: str) -> str:
    """A name or file name inside a quoted Content-Disposition parameter (WHATWG form)."""
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def multipart_body(
    fields: Sequence[Field],
    attachments: tuple[Attachment, ...],
    attachment_field: str = "attachment",
    boundary: str = "",
) -> tuple[str, Body]:
    """Form fields and file parts as multipart/form-data (as browsers do, RFC 7578), and
    the boundary: a random one that occurs in no field and no attachment (checked while
    the body is counted), unless `boundary` is given."""
    while True:
        chosen = boundary or "mailwiz-" + secrets.token_hex(16)

        def pieces(chosen: str = chosen) -> Iterator[bytes]:
            return _multipart(fields, attachments, attachment_field, chosen)

        length, found = _count(pieces, chosen.encode())
        if boundary or found == len(fields) + len(attachments) + 1:
            return chosen, Body(pieces, length)


def _multipart(
    fields: Sequence[Field], attachments: tuple[Attachment, ...], name: str, boundary: str
) -> Iterator[bytes]:
    for field, value in fields:
        yield f"--{boundary}\r\n".encode()
        yield f'Content-Disposition: form-data; name="{quote_name(field)}"\r\n\r\n'.encode()
        for chunk in Plain(value).chunks() if isinstance(value, str) else value.chunks():
            yield chunk.encode("utf-8")
        yield b"\r\n"
    for item in attachments:
        yield f"--{boundary}\r\n".encode()
        yield (
            f'Content-Disposition: form-data; name="{name}"; '
            f'filename="{quote_name(item.filename)}"\r\n'
            f"Content-Type: {content_type_of(item)}\r\n\r\n"
        ).encode()
        yield from item.chunks()
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def _count(pieces: Callable[[], Iterator[bytes]], word: bytes) -> tuple[int, int]:
    """The body's size and how often `word` occurs in it (also across pieces)."""
    size = found = 0
    carry = b""
    for piece in pieces():
        size += len(piece)
        text = carry + piece
        found += text.count(word)  # (an occurrence in carry alone is too short to count)
        carry = text[-(len(word) - 1) :]
    return size, found
