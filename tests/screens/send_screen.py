"""Reading the test screen: its stage rows and its transcript (shared by its tests)."""

from __future__ import annotations

from textual.widgets import Log

from tui.screens.test_send import StageRow, TestSendScreen

WRONG = "not-the-Password-42"


def rows(screen: TestSendScreen) -> list[tuple[str, bool | None]]:
    return [(row.stage, row.ok) for row in screen.query(StageRow)]


def transcript(screen: TestSendScreen) -> str:
    return "\n".join(screen.query_one("#transcript", Log).lines)
