"""Shared test fixtures.

UI part: stable screens for Pilot and snapshot tests — no animations, no blinking cursor.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# Read by Textual when it is first imported: set before any test module imports it.
os.environ["TEXTUAL_ANIMATIONS"] = "none"

import pytest


@pytest.fixture(autouse=True)
def _steady_textual(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations and a cursor that never blinks, so every screenshot is the same."""
    import textual.constants
    from textual.widgets import Input

    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")

    def steady_cursor(self: Input) -> None:
        self._cursor_visible = True

    monkeypatch.setattr(Input, "_toggle_cursor", steady_cursor)


# Fixtures shared by many test modules, made available everywhere: the test CA, the real
# test servers, and the in-memory keyring.
pytest_plugins = [
    "tests.certificates",
    "tests.servers",
    "tests.oauth_server",
    "tests.syslog_reader",
]

from tests.memory_keyring import (  # noqa: E402
    MemoryKeyring,
    installed_keyring,
    memory_keyring,  # noqa: F401
)


@pytest.fixture(autouse=True)
def _isolated_from_the_user(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the developer's keyring, settings or password variable."""
    monkeypatch.delenv("MAILWIZ_PASSWORD", raising=False)
    monkeypatch.delenv("MAILWIZ_CONFIG", raising=False)
    with installed_keyring(MemoryKeyring()):
        yield
