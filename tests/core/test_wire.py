"""The DATA form of a message, converted chunk by chunk (tui.core.wire): however the
message is cut into chunks, the result is the one of converting it whole, line by line."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tui.core.wire import SHOWN_LINES, MessageFile, data_form, formed_message, whole_lines


def line_by_line(raw: bytes) -> bytes:
    """The rule written plainly: split at CRLF, CR or LF; dot-stuff; end each line CRLF."""
    if not raw:
        return b""
    lines = re.split(rb"\r\n|\r|\n", raw)
    if raw.endswith((b"\r", b"\n")):
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


pieces = st.lists(st.sampled_from([b"a", b".", b"\r", b"\n", b"\r\n", b"\xc3\xa9", b" "]))


@given(pieces, st.lists(st.integers(min_value=0, max_value=200)))
def test_any_cut_into_chunks_converts_like_the_whole(parts: list[bytes], cuts: list[int]) -> None:
    raw = b"".join(parts)
    edges = sorted({min(c, len(raw)) for c in cuts} | {0, len(raw)})
    chunks = [raw[a:b] for a, b in itertools.pairwise(edges)]
    converted = list(data_form(chunks))
    assert b"".join(converted) == line_by_line(raw)
    assert all(piece.endswith(b"\r\n") for piece in converted)  # whole lines only


@given(pieces, st.lists(st.integers(min_value=0, max_value=200)), st.booleans())
def test_whole_lines_cuts_only_at_line_ends_however_it_is_fed(
    parts: list[bytes], cuts: list[int], cr: bool
) -> None:
    """Every piece but the last ends at a line end the whole message has there (a CR that
    starts a CRLF is never a cut; a lone CR is one only with `cr`), and nothing is lost."""
    raw = b"".join(parts)
    edges = sorted({min(c, len(raw)) for c in cuts} | {0, len(raw)})
    pieces_out = list(whole_lines([raw[a:b] for a, b in itertools.pairwise(edges)], cr=cr))
    assert b"".join(pieces_out) == raw
    ends = re.compile(rb"\r\n|\n|\r(?!\n)" if cr else rb"\n")
    line_ends = {m.end() for m in ends.finditer(raw)}
    at = 0
    for piece in pieces_out[:-1]:
        at += len(piece)
        assert at in line_ends and not (raw[at - 1 : at] == b"\r" and raw[at : at + 1] == b"\n")


def test_a_formed_message_is_read_from_its_file_twice_and_never_held(tmp_path: Path) -> None:
    lines = [f".line {n}".encode() for n in range(5000)]
    path = tmp_path / "message"
    path.write_bytes(b"Subject: s\n\n" + b"\n".join(lines))
    fd = os.open(path, os.O_RDONLY)
    try:
        message = formed_message(MessageFile(fd))
        expected = line_by_line(path.read_bytes())
        assert message.size == len(expected) and message.lines == 5002
        assert (
            message.head
            == ["Subject: s", "", *(f".{line.decode()}" for line in lines)][:SHOWN_LINES]
        )
        assert not message.eight_bit
        assert message.getvalue() == expected
        assert message.getvalue() == expected  # read again from the file, the same
    finally:
        os.close(fd)
