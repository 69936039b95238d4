"""Before the wizard starts: the settings to edit (a file that cannot be read is never
overwritten: the wizard does not start on it), and how many colours the terminal has."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.texts import Texts

if TYPE_CHECKING:
    from tui.core.settings import Settings

say = Texts("tui.wizard")


class CannotEdit(Exception):
    """The settings file is there but cannot be read; `lines` say so, and what to do."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def settings_to_edit(config_path: Path) -> tuple[Settings | None, list[str]]:
    """The settings in `config_path` (None when there is no file yet) and the warnings of
    reading them. Raises CannotEdit for a file that cannot be read."""
    from tui.core.settings import SettingsError, SettingsMissing, load_settings

    try:
        loaded = load_settings(config_path)
    except SettingsMissing:
        return None, []
    except SettingsError as error:
        raise CannotEdit([say("start.unreadable", error=error), say("start.fix_file")]) from None
    return loaded.settings, list(loaded.warnings)


def few_colours() -> bool:
    """True on a terminal with 16 colours or fewer, or with NO_COLOR set: the wizard then
    draws with the terminal's own ANSI colours rather than approximations of its theme.
    Call before the App is made (Textual removes NO_COLOR from the environment)."""
    import os

    from rich.console import Console

    if os.environ.get("NO_COLOR") is not None:
        return True
    system = Console(force_terminal=True).color_system
    return system not in ("256", "truecolor")
