"""The forms a secret could leak in, and the check that none did: one list for every test that
proves a password, key or token never reaches output (plain, base64 with and without its
padding, URL-encoded, and inside the AUTH PLAIN/LOGIN blobs of each username given)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote, quote_plus


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def leak_forms(secret: str, *, usernames: Iterable[str] = ()) -> list[str]:
    """Every form of `secret` a careless or hostile path could print."""
    forms = [
        secret,
        _b64(secret),
        _b64(secret).rstrip("="),
        quote(secret, safe=""),
        quote_plus(secret),
    ]
    for user in usernames:
        forms += [_b64(f"\0{user}\0{secret}"), _b64(f"{user}\0{user}\0{secret}")]
    return list(dict.fromkeys(forms))


def assert_no_leak(secrets: Iterable[str], *outputs: str, usernames: Iterable[str] = ()) -> None:
    """No form of any of `secrets` is in any of `outputs`."""
    names = list(usernames)
    secrets = list(secrets)
    assert secrets, "a leak check needs a secret to look for"
    for secret in secrets:
        for form in leak_forms(secret, usernames=names):
            for output in outputs:
                assert form not in output, f"a form of a secret is in the output: {output[:200]!r}"
