"""The text of a formed message, read in pieces (tui.core.formed_text), is the text the email
package finds in it, for tricky messages, from bytes and from a file, and for damaged ones."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.tricky_messages import MESSAGES, email_text, first_difference
from tui.core.formed_text import formed_text
from tui.core.wire import MessageFile


@pytest.mark.parametrize("name", MESSAGES)
def test_the_text_is_the_email_packages_from_bytes_and_from_a_file(
    name: str, tmp_path: Path
) -> None:
    data = MESSAGES[name]
    expected = email_text(data)
    assert first_difference(formed_text(data).text(), expected) is None
    path = tmp_path / "message"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        text = formed_text(MessageFile(fd))
        assert first_difference(text.text(), expected) is None
        assert first_difference(text.text(), expected) is None  # read again: the same
    finally:
        os.close(fd)


def test_large_texts_come_in_pieces() -> None:
    text = formed_text(MESSAGES["multipart, qp latin-1 text, html first, attachments"])
    pieces = list(text.chunks())
    assert len(pieces) > 2 and max(len(p) for p in pieces) < len("".join(pieces))


@pytest.mark.parametrize("seed", range(60))
def test_a_damaged_message_gives_the_email_packages_text(seed: int) -> None:
    """Line ends, dashes, "=", colons and 8-bit bytes put in random places: boundaries,
    header blocks and encodings break the way the email package reads them."""
    rng = random.Random(seed)
    data = bytearray(rng.choice(list(MESSAGES.values())))
    for _ in range(rng.randint(1, 8)):
        if data:
            at = rng.randrange(len(data))
            data[at : at + 1] = rng.choice([b"\r", b"\n", b"--", b"=", b":", b"\x80", b"A", b""])
    assert first_difference(formed_text(bytes(data)).text(), email_text(bytes(data))) is None
