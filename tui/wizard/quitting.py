"""Quitting the wizard: one question, asked only when something the user typed would be
lost, and the exit code the wizard ends with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App

from tui.core.exits import Exit
from tui.core.texts import Texts

say = Texts("tui.wizard")

# Exit codes of the wizard, from the one table.
EXIT_OK = int(Exit.OK)
EXIT_BAD_SETTINGS = int(Exit.USAGE)
EXIT_NO_SETTINGS = int(Exit.NOT_READY)


def exit_code(*, saved: bool, practice: bool, config_path: Path) -> int:
    """OK once there are settings (saved now or before, or a practice run); else "not ready"."""
    if saved or practice or config_path.exists():
        return EXIT_OK
    return EXIT_NO_SETTINGS


def quit_asking(app: App[int], *, unsaved: bool, code: Callable[[], int]) -> None:
    """Quit with `code()`, after asking when `unsaved` (never twice at once)."""
    from tui.dialogs.confirm import ConfirmDialog

    if isinstance(app.screen, ConfirmDialog):
        return
    if not unsaved:
        app.exit(code())
        return

    def answered(quit_now: bool | None) -> None:
        if quit_now:
            app.exit(code())

    dialog = ConfirmDialog(
        say("quit.question"), say("quit.unsaved"), yes=say("quit.yes"), no=say("quit.no")
    )
    app.push_screen(dialog, answered)
