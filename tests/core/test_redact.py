"""The one redaction (tui.core.redact): every form of every secret, pieces of them, bearer
tokens and URL keys; escaping of what a server sends; redact -> escape -> truncate."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.redact import (
    MIN_PIECE,
    REDACTED,
    Redactor,
    printable,
    redact_url,
)
from tui.core.transports.smtp import auth
from tui.core.transports.smtp.auth import Login

PASSWORD = "pä55 wörd-Secret!"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def every_form(secret: str, username: str) -> list[str]:
    """What a transcript could hold: as sent by each encoder, and plain."""
    login = Login(username, secret, "smtp.example.com", 587)
    return [
        secret,
        b64(secret),
        auth.plain(username, secret).decode(),
        auth.login_password(secret).decode(),
        auth.xoauth2(username, secret).decode(),
        auth.oauthbearer(username, secret, login.host, login.port).decode(),
        f"Bearer {secret}",
    ]


def pieces(secret: str) -> list[str]:
    """Every run of MIN_PIECE characters of the secret and of its base64."""
    found = []
    for form in (secret, b64(secret)):
        found += [form[i : i + MIN_PIECE] for i in range(len(form) - MIN_PIECE + 1)]
    return found


@pytest.mark.parametrize(
    "username", ["", "a", "ab", "abc", "me@x.io", "user@example.com", "x" * 41]
)
def test_auth_plain_blob_is_redacted_for_usernames_of_every_length(username: str) -> None:
    # The blob's alignment depends on the username's length: each length must be caught,
    # also by a Redactor that was NOT told the username.
    for redactor in (Redactor(secrets=[PASSWORD], username=username), Redactor([PASSWORD])):
        for form in every_form(PASSWORD, username):
            out = redactor.redact(f"-> AUTH PLAIN {form}\r\n<- 535 {form} is wrong")
            assert REDACTED in out
            for piece in pieces(PASSWORD):
                assert piece not in out, (username, form, piece)


def test_a_long_reply_cut_in_the_middle_of_an_echoed_password_keeps_no_piece() -> None:
    redactor = Redactor(secrets=[PASSWORD], username="u@example.com")
    for position in range(980, 1005):
        reply = "535 " + "x" * (position - 4) + PASSWORD + " is not your password"
        out = redactor.clean(reply, limit=1000)
        assert len(out) <= 1000
        for piece in pieces(PASSWORD):
            assert piece not in out, (position, piece)
    # A text someone else cut before it reached us: the piece left is still removed.
    assert PASSWORD[:9] not in redactor.redact("...your password " + PASSWORD[:9])


def test_a_password_with_control_characters_is_redacted_before_escaping() -> None:
    secret = "ab\x1b[2Jcd\x07efgh"
    redactor = Redactor(secrets=[secret])
    out = redactor.clean(f"535 {secret} wrong")
    assert out == f"535 {REDACTED} wrong"
    # And when the text was escaped before it came to us:
    assert "cd\\x07ef" not in redactor.redact("535 " + printable(secret))


def test_bearer_tokens_and_url_keys() -> None:
    redactor = Redactor()
    assert redactor.redact("Authorization: Bearer abc.DEF-123_x~+/=") == (
        f"Authorization: Bearer {REDACTED}"
    )
    assert redact_url("https://relay.example/send?key=s3cr3t&to=x") == (
        f"https://relay.example/send?key={REDACTED}&to={REDACTED}"
    )
    assert (
        redact_url("https://u:pw@relay.example/send") == f"https://u:{REDACTED}@relay.example/send"
    )
    assert redact_url("https://relay.example/send") == "https://relay.example/send"
    # a user part alone is often the key itself
    assert redact_url("https://k3yV4lue42@relay.example:8443/send") == (
        f"https://{REDACTED}@relay.example:8443/send"
    )
    # a bare key as the whole query (or the fragment) is all secret, name included
    assert redact_url("https://relay.example/send?k3yV4lue42") == (
        f"https://relay.example/send?{REDACTED}"
    )
    assert "s3cr3tfrag" not in redact_url("https://relay.example/send#s3cr3tfrag")
    bare = Redactor()
    bare.add_url("https://relay.example/send?k3yV4lue42")
    assert "k3yV4lue42" not in bare.redact("POST https://relay.example/send?k3yV4lue42")
    with_url = Redactor()
    with_url.add_url("https://relay.example/send?key=k3y-V4lue-42")
    assert "k3y-V4lue-42" not in with_url.redact("403 bad key k3y-V4lue-42 for /send")


def test_short_secrets_do_not_blank_the_transcript() -> None:
    redactor = Redactor(secrets=["ab"], username="user@example.com")
    assert redactor.redact("250 abc") == "250 abc"
    assert REDACTED in redactor.redact(auth.plain("user@example.com", "ab").decode())


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J"),  # OSC, BEL, CSI
        ("a\x9bb", "a\\x9bb"),  # C1 CSI
        ("line\u2028sep\u2029x\x85", "line\\u2028sep\\u2029x\\x85"),
        ("tab\tok", "tab\tok"),
        ("nul\x00 del\x7f", "nul\\x00 del\\x7f"),
    ],
)
def test_printable_escapes_what_could_drive_a_terminal(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_clean_keeps_lines_only_when_asked() -> None:
    assert Redactor().clean("250-a\n250 b\r") == "250-a\\x0a250 b\\x0d"
    assert Redactor().clean("250-a\n250 b\r", multiline=True) == "250-a\n250 b\\x0d"
    assert Redactor().clean("x" * 50, limit=10) == "x" * 9 + "…"


# --------------------------------------------------------------------------- properties

secrets_ = st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and len(set(s)) > 2)
usernames = st.text(max_size=30)
noise = st.text(max_size=300)


@settings(max_examples=150, deadline=None)
@given(secret=secrets_, username=usernames, before=noise, after=noise, limit=st.integers(1, 400))
def test_no_form_of_a_secret_survives_clean(
    secret: str, username: str, before: str, after: str, limit: int
) -> None:
    redactor = Redactor(secrets=[secret], username=username)
    login = Login(username, secret, "smtp.example.com", 587)
    for mechanism in auth.MECHANISMS.values():  # as the engine does at AUTH time
        redactor.add(secret, mechanism.forms(login))
    for form in every_form(secret, username):
        out = redactor.clean(before + form + after, limit=limit)
        assert len(out) <= limit
        assert secret not in out and b64(secret) not in out
        assert form not in out
        assert not any(ord(c) < 32 and c != "\t" for c in out)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=500))
def test_printable_output_is_safe_for_a_terminal(text: str) -> None:
    out = printable(text)
    assert all(c == "\t" or (c.isprintable() and c not in "\u2028\u2029\x85") for c in out)
    assert printable(out) == out  # escaping twice changes nothing more


def _decoded_runs(text: str) -> list[bytes]:
    """Every base64 run in `text`, decoded from each of its four character offsets: what a
    reader could recover from a transcript, whatever the alignment."""
    import binascii
    import re

    found = []
    for run in re.findall(r"[A-Za-z0-9+/]{4,}", text):
        for offset in range(4):
            part = run[offset:]
            part = part[: len(part) // 4 * 4]
            try:
                found.append(base64.b64decode(part))
            except (ValueError, binascii.Error):
                continue
    return found


@pytest.mark.parametrize("username_length", range(13))
@pytest.mark.parametrize("late", [0, 4])
def test_no_base64_group_of_the_password_survives_at_any_alignment(
    username_length: int, late: int
) -> None:
    """AUTH PLAIN puts the password at byte 2 + 2 * len(username): every username length
    gives one of the three alignments, twice over, and `late` starts the password four
    characters later still (a longer prefix). No 3-byte group of the password may be
    recoverable from the redacted line, by a Redactor told the username or not."""
    username = "y" * username_length
    password = "Q" * late + "pä55-wörd_Secret!"
    secret = password.encode()
    groups = {secret[i : i + 3] for i in range(len(secret) - 2)}
    blob = auth.plain(username, password).decode()
    for redactor in (Redactor([password], username=username), Redactor([password])):
        out = redactor.redact(f"-> AUTH PLAIN {blob}\r\n<- 535 5.7.8 {blob} rejected")
        for decoded in _decoded_runs(out):
            leaked = [group for group in groups if group in decoded]
            assert not leaked, (username_length, late, leaked, out)


def test_each_redaction_path_is_needed_on_its_own() -> None:
    """Whole forms and shared runs are two paths; each catches what the other cannot, so
    removing either one fails this test (both were removed once to check)."""
    # Only the whole-form path: a 5-character password is shorter than any shared run.
    assert Redactor(["k3y!x"]).redact("535 rejected k3y!x") == f"535 rejected {REDACTED}"
    # Only the shared-run path: a server echoes part of the password, never the whole.
    secret = "correct-horse-battery-staple"
    echoed = Redactor([secret]).redact("bad password 'horse-battery-st...'")
    assert "horse" not in echoed and "battery" not in echoed and REDACTED in echoed


@pytest.mark.parametrize(
    "echo",
    [
        "abc%2Bdef%2Fghi%3D%3D%2Bx%20y",  # every reserved character, upper-case hex
        "abc%2bdef%2fghi%3d%3d%2bx%20y",  # lower-case hex
        "abc%2Bdef/ghi%3D%3D%2Bx%20y",  # "/" kept (a path)
        "abc%2Bdef%2Fghi%3D%3D%2Bx+y",  # a space as "+" (a form body)
    ],
)
def test_a_key_echoed_percent_encoded_is_redacted(echo: str) -> None:
    key = "abc+def/ghi==+x y"
    redactor = Redactor([key])
    out = redactor.redact(f'401 {{"error": "invalid key {echo}"}}')
    assert REDACTED in out
    assert out == f'401 {{"error": "invalid key {REDACTED}"}}'
