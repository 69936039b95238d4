"""The sentences the system mail says to its callers (texts.toml beside this file), read
only when there is something to say: a submission that goes well prints nothing."""

from __future__ import annotations

from pathlib import Path

from tui.core.locations import command_for
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.mta")


def commands(config_path: Path | None) -> dict[str, str]:
    """The mailwiz commands the texts suggest ({queue}, {flush}, {install}...), written by
    command_for for the settings at `config_path` (None: the ones mailwiz finds itself)."""
    return {
        "queue": command_for(config_path, "queue"),
        "run": command_for(config_path, "queue", "--run"),
        "flush": command_for(config_path, "queue", "--flush"),
        "requeue": command_for(config_path, "queue", "--requeue", "ID"),
        "delete": command_for(config_path, "queue", "--delete", "ID"),
        "install": command_for(config_path, "install-mta"),
        "uninstall": command_for(None, "install-mta", "--uninstall"),
    }
