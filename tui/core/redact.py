"""One redaction for everything mailwiz shows, logs or saves: secrets out, escapes in.

Every output path (the SMTP and HTTP transcripts, StageEnded.reply, Failure.reply/detail, the
support report, the command line, --json and the screens) goes through this module, so there
is one rule and one marker, `REDACTED` ("[redacted]").

    from tui.core.redact import Redactor, printable, redact_url

    redactor = Redactor(secrets=[password, api_key], username="me@example.com")
    redactor.add(access_token)            # a secret learned later (an OAuth token)
    redactor.redact(text)                 # every form of every secret -> "[redacted]"
    redactor.clean(text, limit=1000)      # redact, THEN escape, THEN truncate
    redactor.clean(reply, limit=4000, multiline=True)  # keeps "\\n" between reply lines
    printable(text)                       # control characters and escapes made visible
    redact_url("https://relay/x?key=abc") # "https://relay/x?key=[redacted]"

What a Redactor removes, for each secret (password, API key, access or refresh token):
- the secret itself, and its escaped form (a secret holding control characters);
- its percent-encoded forms (`abc%2Bdef%2F...`, upper or lower hex, "+" for a space);
- its base64 at the three alignments a base64 stream can put it in, which covers the AUTH
  PLAIN blob for any username length (and no username), the line after AUTH LOGIN's 334
  prompt, the XOAUTH2 and OAUTHBEARER initial responses and HTTP basic auth;
- the exact AUTH PLAIN / XOAUTH2 blobs for the username given;
- any run of `MIN_PIECE` or more consecutive characters of one of those forms: a reply cut
  elsewhere in the middle of an echoed password leaves no recognisable piece of it;
- `Bearer <token>` whatever the token, and the query values of the URLs it was given.
Secrets shorter than `MIN_SECRET` characters are only removed inside their longer encoded
forms: redacting every "ab" of a transcript would hide everything and protect nothing.

`clean()` does redact -> escape -> truncate, in that order, so a truncation can never cut a
secret into a piece that no longer matches. `printable()` shows C0/C1 controls, DEL, ESC
(and so CSI/OSC sequences), BEL and Unicode line/paragraph separators as `\\xNN`/`\\uNNNN`;
a terminal that receives its output cannot be retitled, cleared or driven.

This module imports nothing heavy (no regex is compiled beyond two small ones).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

REDACTED = "[redacted]"
MIN_SECRET = 4  # shorter secrets are removed only inside their encoded forms
MIN_PIECE = 6  # a run this long of any secret form counts as the secret

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9\-._~+/]+=*")
_SEPARATORS = "\u2028\u2029\x85"


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character, escape sequence introducer and line separator
    shown as an escape (`\\x1b`, `\\x07`, `\\u2028`). Tabs stay; with `multiline`, so do LFs."""
    if text.isprintable() and not any(c in text for c in _SEPARATORS):
        return text  # the usual case, at C speed
    return "".join(_escape(c, multiline) for c in text)


safe_text = printable  # the name other modules may prefer


def _escape(c: str, multiline: bool) -> str:
    if c == "\t" or (multiline and c == "\n"):
        return c
    if c.isprintable() and c not in _SEPARATORS:
        return c
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def truncate(text: str, limit: int | None) -> str:
    """At most `limit` characters, with "…" at the end when something was cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def redact_url(url: str) -> str:
    """The URL with its password and every query value replaced by the marker. A user part
    without a password (`https://KEY@relay/`) is replaced whole: it is often the key."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
        elif parts.username is not None:
            netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    except ValueError:
        return REDACTED if "?" in url else url
    if not parts.query and not parts.fragment and netloc == parts.netloc:
        return url
    # A name=value pair keeps its name; a bare `?KEY` is all value, and so is a fragment.
    query = "&".join(
        f"{piece.partition('=')[0]}={REDACTED}" if "=" in piece else REDACTED
        for piece in parts.query.split("&")
        if piece
    )
    fragment = REDACTED if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def base64_forms(secret: str) -> list[str]:
    """The base64 of `secret` as it appears inside ANY longer base64 text: for each of the
    three alignments, the characters that depend on the secret's bytes alone."""
    raw = secret.encode("utf-8")
    forms = [_b64(raw)]
    for pad in (1, 2):
        encoded = _b64(b"\0" * pad + raw)
        # drop the characters that mix the padding in, and the tail that mixes what follows;
        # where the secret ends the stream (AUTH PLAIN's password), its last group mixes
        # nothing and is the secret's alone: that form keeps it.
        start = 4 if pad else 0
        end = len(encoded) - 4
        if end - start >= MIN_PIECE:
            forms.append(encoded[start:end])
        if len(encoded) - start >= MIN_PIECE:
            forms.append(encoded[start:])
    whole = len(raw) // 3 * 4
    if whole >= MIN_PIECE:
        forms.append(forms[0][:whole])
    return forms


def percent_forms(secret: str) -> list[str]:
    """`secret` percent-encoded as a server may echo it (a key from a URL or a form body,
    `abc%2Bdef%2F...`): every reserved character encoded, "/" kept (a path), spaces as "+"
    (a form), each with upper- and lower-case hex digits."""
    forms = {quote(secret, safe=""), quote(secret, safe="/"), quote_plus(secret, safe="")}
    forms |= {_lower_hex(form) for form in forms}
    forms.discard(secret)
    return sorted(forms)


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def secret_forms(secret: str, username: str = "") -> list[str]:
    """Every text form of `secret` a transcript could hold, longest first."""
    forms = {secret, printable(secret)}
    forms.update(base64_forms(secret))
    forms.update(percent_forms(secret))
    for blob in (
        f"\0{username}\0{secret}",
        f"{username}\0{username}\0{secret}",
        f"user={username}\x01auth=Bearer {secret}\x01\x01",
    ):
        forms.add(_b64(blob.encode("utf-8")))
    return sorted((form for form in forms if form), key=len, reverse=True)


class Redactor:
    """Knows the secrets of one send (or one command) and removes every form of them."""

    def __init__(self, secrets: Iterable[str | None] = (), username: str = "") -> None:
        self.username = username
        self._forms: list[str] = []
        self._pieces: dict[str, list[str]] = {}
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None, forms: Iterable[str] = ()) -> None:
        """Also redact `secret` from now on (e.g. an access token fetched mid-send), and
        the exact `forms` a protocol encoder made of it (tui.core.transports.smtp.auth)."""
        if not secret:
            return
        found = secret_forms(secret, self.username)
        if len(secret) < MIN_SECRET:
            found = [form for form in found if len(form) >= MIN_PIECE * 2]
        for form in [*found, *forms]:
            self._add_form(form)
        self._forms.sort(key=len, reverse=True)

    def _add_form(self, form: str) -> None:
        if not form or form in self._forms:
            return
        self._forms.append(form)
        for start in range(len(form) - MIN_PIECE + 1):
            self._pieces.setdefault(form[start : start + MIN_PIECE], []).append(form)

    def add_url(self, url: str) -> None:
        """Treat the password and every query value of `url` as secrets."""
        try:
            parts = urlsplit(url)
            self.add(parts.password)
            for piece in parts.query.split("&"):
                name, equals, value = piece.partition("=")
                self.add(unquote_plus(value) if equals else unquote_plus(name))
            self.add(unquote_plus(parts.fragment))
        except ValueError:
            return

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(self._forms)

    def redact(self, text: str) -> str:
        """`text` with every secret form, every long piece of one and every bearer token
        replaced by `REDACTED`."""
        if not text:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        if self._pieces and len(text) >= MIN_PIECE:
            text = self._redact_pieces(text)
        if "earer" in text or "EARER" in text:
            text = _BEARER.sub(rf"\1\2{REDACTED}", text)
        return text

    def _redact_pieces(self, text: str) -> str:
        """Replace each maximal run of >= MIN_PIECE characters shared with a secret form."""
        out: list[str] = []
        i = 0
        kept = 0
        n = len(text)
        while i <= n - MIN_PIECE:
            forms = self._pieces.get(text[i : i + MIN_PIECE])
            if forms is None:
                i += 1
                continue
            length = max(_common_run(text, i, form) for form in forms)
            out += [text[kept:i], REDACTED]
            i += length
            kept = i
        out.append(text[kept:])
        return "".join(out)

    def clean(self, text: str, limit: int | None = None, *, multiline: bool = False) -> str:
        """Redact, then escape control characters, then truncate to `limit` characters."""
        return truncate(printable(self.redact(text), multiline=multiline), limit)


def _common_run(text: str, start: int, form: str) -> int:
    """The longest run of `text` from `start` that appears in `form` (at least MIN_PIECE)."""
    best = MIN_PIECE
    offset = form.find(text[start : start + MIN_PIECE])
    while offset >= 0:
        length = MIN_PIECE
        while (
            start + length < len(text)
            and offset + length < len(form)
            and text[start + length] == form[offset + length]
        ):
            length += 1
        best = max(best, length)
        offset = form.find(text[start : start + MIN_PIECE], offset + 1)
    return best


NO_SECRETS = Redactor()
"""A Redactor with no secrets: it still escapes, truncates and hides bearer tokens."""
