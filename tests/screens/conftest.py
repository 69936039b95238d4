"""Fixtures of the screens' tests."""

from __future__ import annotations

import pytest

from tui.core.settings import Settings


@pytest.fixture
def engines_loaded() -> None:
    """Both engines imported before the screen opens, so no test here (a snapshot above all)
    depends on whether the screen's own import is over when Enter is pressed: the wait for
    it, the stage `engine`, has its own test (test_test_send_time.py)."""
    from tui.core.send import load_engine

    load_engine(Settings(protocol="smtp"))
    load_engine(Settings(protocol="http"))
