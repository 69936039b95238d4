"""The leak check itself can fail: each form of a secret it promises to look for is found."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from tests.leaks import assert_no_leak, leak_forms

SECRET = "pä55 wörd/Secret!"


@pytest.mark.parametrize(
    "output",
    [
        f"535 refused {SECRET}",
        "echo " + base64.b64encode(SECRET.encode()).decode().rstrip("="),
        f"GET /send?key={quote(SECRET, safe='')} HTTP/1.1",
        "AUTH PLAIN " + base64.b64encode(f"\0me@example.org\0{SECRET}".encode()).decode(),
    ],
)
def test_every_promised_form_is_found(output: str) -> None:
    with pytest.raises(AssertionError):
        assert_no_leak([SECRET], output, usernames=["me@example.org"])


def test_output_without_the_secret_passes() -> None:
    assert_no_leak([SECRET], "535 5.7.8 Bad credentials", usernames=["me@example.org"])
    assert SECRET in leak_forms(SECRET)
