"""Where the sendmail entry finds its settings and its queue.

Settings: $MAILWIZ_CONFIG, else the system settings /etc/mailwiz/settings.toml when they
exist (even unreadable: then the caller's mail goes to the drop folder), else the user's.
Spool: $MAILWIZ_SPOOL, else /var/spool/mailwiz when `mailwiz install-mta` made it, else
a folder in the user's state folder (platformdirs).
Aliases: $MAILWIZ_ALIASES, else /etc/aliases (read, merged under [local] aliases).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSTEM_SETTINGS = Path("/etc/mailwiz/settings.toml")
SYSTEM_SPOOL = Path("/var/spool/mailwiz")
SPOOL_ENV = "MAILWIZ_SPOOL"
SYSTEM_ALIASES = Path("/etc/aliases")
ALIASES_ENV = "MAILWIZ_ALIASES"


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    from tui.core.settings import resolve_config_path

    environ = os.environ if env is None else env
    if environ.get("MAILWIZ_CONFIG"):
        return resolve_config_path(None, environ)
    if os.path.lexists(SYSTEM_SETTINGS):
        return SYSTEM_SETTINGS
    return resolve_config_path(None, environ)


def spool_path(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    if environ.get(SPOOL_ENV):
        return Path(environ[SPOOL_ENV]).expanduser()
    if SYSTEM_SPOOL.is_dir():
        return SYSTEM_SPOOL
    import platformdirs

    return Path(platformdirs.user_state_dir("mailwiz")) / "spool"


def is_system_spool(path: Path) -> bool:
    """A spool others submit to through its drop folder (mode 1733)."""
    try:
        return (path / "drop").stat().st_mode & 0o7777 == 0o1733
    except OSError:
        return False


def aliases_path(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    return Path(environ[ALIASES_ENV]) if environ.get(ALIASES_ENV) else SYSTEM_ALIASES
