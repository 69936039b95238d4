"""Where the sendmail entry finds its settings, its queue and its aliases: the paths are named
in `tui.core.locations` (re-exported here for the mta package)."""

from __future__ import annotations

from pathlib import Path

from tui.core.locations import ALIASES_ENV as ALIASES_ENV
from tui.core.locations import DROP_FOLDER, mta_settings_path
from tui.core.locations import SPOOL_ENV as SPOOL_ENV
from tui.core.locations import SYSTEM_ALIASES as SYSTEM_ALIASES
from tui.core.locations import SYSTEM_SETTINGS as SYSTEM_SETTINGS
from tui.core.locations import SYSTEM_SPOOL as SYSTEM_SPOOL
from tui.core.locations import aliases_path as aliases_path
from tui.core.locations import spool_path as spool_path

settings_path = mta_settings_path  # the sendmail entry's settings


def is_system_spool(path: Path) -> bool:
    """A spool others submit to through its drop folder (mode 1733)."""
    try:
        return (path / DROP_FOLDER).stat().st_mode & 0o7777 == 0o1733
    except OSError:
        return False
