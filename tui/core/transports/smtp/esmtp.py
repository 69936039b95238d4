"""EHLO extensions (RFC 5321 4.1.1.1): what the server offers, read once from its reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.core.transports.smtp.reply import Reply


@dataclass(frozen=True)
class Extensions:
    """EHLO keywords -> parameters ("AUTH" -> "PLAIN LOGIN"); old "AUTH=" lines merged."""

    keywords: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_reply(cls, reply: Reply) -> Extensions:
        keywords: dict[str, str] = {}
        for line in reply.lines[1:]:
            keyword, _, params = line.strip().partition(" ")
            keyword = keyword.upper()
            if keyword.startswith("AUTH="):
                params = f"{keyword[5:]} {params}".strip()
                keyword = "AUTH"
            if keyword in keywords and params:
                params = f"{keywords[keyword]} {params}"
            keywords[keyword] = params
        return cls(keywords)

    def __contains__(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    @property
    def auth(self) -> tuple[str, ...]:
        """The AUTH mechanisms offered, upper case, in the server's order."""
        return tuple(dict.fromkeys(self.keywords.get("AUTH", "").upper().split()))

    @property
    def size_limit(self) -> int | None:
        """SIZE's limit in bytes; None when absent or 0 (no fixed limit)."""
        limit = self.keywords.get("SIZE", "").strip()
        return int(limit) if limit.isascii() and limit.isdigit() and int(limit) > 0 else None

    @property
    def starttls(self) -> bool:
        return "STARTTLS" in self

    @property
    def smtputf8(self) -> bool:
        return "SMTPUTF8" in self
