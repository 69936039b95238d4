"""Formed messages whose text is hard to find and decode (MIME structures, transfer
encodings, charsets, line ends), several larger than a 64 KiB read, and the text the email
package finds in each: what the HTTP relay and APIs send (tui.core.formed_text must agree).
"""

from __future__ import annotations

import base64
import email.policy
import quopri
import random
from email.parser import BytesParser

PROSE = (
    "Grüße <b>&</b> \"quoted\" – 'line' € ✓\n" * 4000 + "-- \nsig: x\n\n--not-a-boundary\nX: y\n"
)
BINARY = random.Random(7).randbytes(200_000)


def email_text(data: bytes) -> str:
    """The text the email package gives: the first plain part, else the first HTML part,
    decoded (what the relay and the APIs have always sent)."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(data)
    try:
        body = parsed.get_body(("plain", "html"))
        return str(body.get_content()) if body is not None else ""
    except (KeyError, LookupError, ValueError, AttributeError):
        return ""


def _alternative(plain: bytes, boundary: bytes = b"ALT") -> bytes:
    return (
        b"Content-Type: multipart/alternative; boundary=" + boundary + b"\n\n--" + boundary
        + b"\nContent-Type: text/html; charset=utf-8\n\n<p>html first</p>\n--" + boundary
        + b"\n" + plain + b"\n--" + boundary + b"--\n"
    )  # fmt: skip


MIXED = (
    b"From: cron@example.org\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nMIME-Version: 1.0\n"
    b'Content-Type: multipart/mixed; boundary="MIX"\n\npreamble\n--MIX\n'
    + _alternative(
        b"Content-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n"
        + quopri.encodestring(PROSE.encode("latin-1", "replace"))
        + b"soft=\nbreak =3D=\r\nend=4"
    )
    + b"--MIX\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\n"
    b"not the body\n--MIX\nContent-Type: application/octet-stream\n"
    b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(BINARY) + b"--MIX--\nepilogue\n"
)

MESSAGES = {
    "8-bit, no MIME, mixed line ends": (
        b"Subject: cron\n\n" + PROSE.replace("\n", "\r\n", 900).encode() + b"\rlast\r"
    ),
    "multipart, qp latin-1 text, html first, attachments": MIXED,
    "multipart with CRLF line ends": MIXED.replace(b"\n", b"\r\n"),
    "base64 shift_jis text": (
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=shift_jis\n"
        b"Content-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(("日本語のテキスト <&>\n" * 9000).encode("shift_jis"))
    ),
    "base64 text with junk and no padding": (
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(PROSE.encode())[:-4]
        + b"*!\n"
    ),
    "html only, 8-bit utf-8": (
        b"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + ("<p>" + PROSE + "</p>\n").encode()
    ),
    "unknown charset": b"Content-Type: text/plain; charset=x-nothing\n\nhello\n",
    "a message/rfc822 part and a text part": (
        b"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: message/rfc822\n\n"
        b"Subject: inner\nContent-Type: text/plain\n\ninner text\n--B\n"
        b"Content-Type: text/plain; charset=utf-8\n\nouter text \xc3\xbc\n--B--\n"
    ),
    "a CRLF and a UTF-8 character across a 64 KiB read": (
        b"Subject: x\n\n" + b"a" * 65535 + b"\r\n<&>" + b"b" * 65535 + "ü".encode() + b"\n"
    ),
    "empty": b"",
}


def first_difference(got: str | bytes, expected: str | bytes) -> int | None:
    """Where two long values first differ (None: equal); pytest's own diff of megabytes of
    text would take minutes."""
    if got == expected:
        return None
    pairs = enumerate(zip(got, expected, strict=False))
    return next((i for i, (a, b) in pairs if a != b), min(len(got), len(expected)))
