"""Where the repository is, for tests that read its files (README, screenshots, tui/) or run
a command from its root: one place, so that a test file can live at any depth."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "tui"
