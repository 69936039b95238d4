"""SMTP replies: parsing lines into a `Reply`, and the caps on what a server may send.

A reply line is three digits (first 2-5), then "-" (more lines follow), " " or nothing, then
text (RFC 5321 4.2). `ReplyParser.feed(line)` takes one decoded line without its CRLF and
returns the finished Reply on the last line, None before it; it raises NotSmtp for
anything else, for a change of code inside one reply, and past MAX_REPLY_LINES lines.
`MAX_LINE` caps one line in bytes (the Connection refuses longer ones).
"""

from __future__ import annotations

from typing import NamedTuple

from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

MAX_LINE = 8192  # bytes in one reply line (RFC 5321 says 512; be generous, not unbounded)
MAX_REPLY_LINES = 200


class NotSmtp(Exception):
    """What the server sent is not an SMTP reply."""


class Reply(NamedTuple):  # not a frozen dataclass: cheaper to create at start-up
    code: int
    lines: tuple[str, ...]  # the text after "250-" / "250 ", one per line

    @property
    def wire(self) -> str:
        """The reply as on the wire, one line per reply line ("250-first\\n250 last")."""
        last = len(self.lines) - 1
        return "\n".join(
            f"{self.code}{' ' if i == last else '-'}{text}".rstrip()
            for i, text in enumerate(self.lines)
        )

    @property
    def enhanced(self) -> str:
        """The enhanced status code of the first line ("5.7.8"), or ""."""
        first = self.lines[0].split(None, 1)[0] if self.lines and self.lines[0].strip() else ""
        parts = first.split(".")
        if (
            len(parts) == 3
            and parts[0] in ("2", "4", "5")
            and all(p.isascii() and p.isdigit() and 1 <= len(p) <= 3 for p in parts[1:])
        ):
            return first
        return ""

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def parse_line(line: str) -> tuple[int, bool, str]:
    """(code, is_last, text) of one reply line; NotSmtp when it is not one."""
    code, sep = line[:3], line[3:4]
    well_formed = len(code) == 3 and code.isascii() and code.isdigit() and code[0] in "2345"
    if not (well_formed and sep in ("", " ", "-")):
        raise NotSmtp(say("reply.not-smtp", line=line[:200]))
    return int(code), sep != "-", line[4:]


class ReplyParser:
    """Collects the lines of one (possibly multi-line) reply."""

    def __init__(self) -> None:
        self.code: int | None = None
        self.lines: list[str] = []

    def feed(self, line: str) -> Reply | None:
        code, last, text = parse_line(line)
        if self.code is not None and code != self.code:
            raise NotSmtp(say("reply.code-changes", line=line[:200]))
        self.code = code
        self.lines.append(text)
        if last:
            return Reply(code, tuple(self.lines))
        if len(self.lines) >= MAX_REPLY_LINES:
            raise NotSmtp(say("reply.too-long", limit=MAX_REPLY_LINES))
        return None


def is_reply_line(line: str) -> bool:
    try:
        parse_line(line)
    except NotSmtp:
        return False
    return True
