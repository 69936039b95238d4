"""Saving the settings file: TOML written atomically (temp file in the same folder, fsync,
the previous file kept as .bak, rename, fsync of the folder) under the settings lock. Settings
with a secret are saved by the save use case, `tui.core.save`, under the same lock."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui.core import files
from tui.core.locations import BACKUP_SUFFIX, LOCK_SUFFIX, beside
from tui.core.settings.model import (
    SETTINGS_VERSION,
    LocalSettings,
    PasswordSettings,
    Settings,
    SettingsBusy,
    SettingsError,
    uses_relay,
)
from tui.core.settings.reading import parse_settings
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.settings")  # texts.toml beside this file, [save]

# ---------------------------------------------------------------------------- save


def to_toml(settings: Settings) -> str:
    import tomli_w  # only needed when saving

    data: dict[str, Any] = {
        "version": SETTINGS_VERSION,
        "protocol": settings.protocol,
        "provider": settings.provider,
    }
    # Only the table of the protocol in use is written (DESIGN.md).
    in_use = "smtp" if settings.protocol == "smtp" else "http"
    data[in_use] = vars(getattr(settings, in_use)).copy()
    data["sender"] = vars(settings.sender).copy()
    if not _relay_with_default_store(settings):
        data["password"] = vars(settings.password).copy()
    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        data["oauth"] = vars(settings.oauth).copy()
    if settings.local != LocalSettings():
        data["local"] = {"admin": settings.local.admin, "aliases": dict(settings.local.aliases)}
    if "timeout" in data[in_use] and float(data[in_use]["timeout"]).is_integer():
        data[in_use]["timeout"] = int(data[in_use]["timeout"])
    return tomli_w.dumps(data)


def _relay_with_default_store(settings: Settings) -> bool:
    """A relay that stores no key (`store = "none"`) is written without [password], which
    loading reads back as "none"; a relay whose key is kept names its store."""
    return uses_relay(settings) and settings.password == PasswordSettings(store="none")


def _busy(target: Path) -> SettingsBusy:
    return SettingsBusy(say("save.busy", path=target))


LOCK_WAIT = 30.0  # seconds a save waits for another writer of the same settings


def settings_target(path: Path) -> Path:
    """The real settings file behind `path` (a symlinked settings file keeps its link)."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def settings_lock(path: Path, wait: float = LOCK_WAIT) -> Iterator[Path]:
    """Hold the settings file's lock (`<name>.lock` beside it) and yield the real file.

    Every writer of the settings, and of the secret they point at, holds it from the first
    read to the last write (and any rollback), so concurrent saves are serialised and none
    undoes another's. The folder is created 0700. SettingsBusy after `wait` seconds."""
    target = settings_target(path)
    folder = target.parent
    try:
        files.make_private_folder(folder)
    except OSError as error:
        raise SettingsError(say("save.no-folder", folder=folder, error=error.strerror)) from None
    try:
        with files.exclusive_lock(beside(target, LOCK_SUFFIX), wait):
            files.remove_stale_temps(target)
            files.remove_stale_temps(beside(target, BACKUP_SUFFIX))
            yield target
    except files.LockBusy:
        raise _busy(target) from None
    except files.UnsafePath as error:
        raise SettingsError(str(error)) from None


def read_current(target: Path) -> bytes | None:
    """The settings file's bytes as they are now (None: no file), refusing a file that
    cannot be parsed: the user may have work in it, so it is never overwritten."""
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SettingsError(say("save.unreadable", path=target, error=error.strerror)) from None
    parse_settings(data.decode("utf-8", errors="replace"), target)
    return data


def write_settings(settings: Settings, target: Path, previous: bytes | None) -> None:
    """With the lock held (`settings_lock`): keep `previous` as <name>.bak, then write the
    settings to a temp file and rename it over the target. On failure the target is as it
    was and no temp file is left."""
    text = to_toml(settings)
    try:
        if previous is not None:
            files.write_atomically(beside(target, BACKUP_SUFFIX), previous)
        files.write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise SettingsError(
            say("save.not-saved", path=target, error=error.strerror or error)
        ) from None


def restore_settings(target: Path, previous: bytes | None) -> None:
    """With the lock held: put back the file `write_settings` replaced (a rollback), or
    remove it when there was none."""
    if previous is None:
        target.unlink(missing_ok=True)
    else:
        files.write_atomically(target, previous)


def save_settings(settings: Settings, path: Path) -> Path:
    """Write the settings atomically; returns the real file written (links are followed).

    The previous file is kept as <name>.bak. On any failure the previous file is intact
    and no temporary file is left behind; temp files a killed writer left are removed. An
    existing file that cannot be parsed is never overwritten: the user may have work in it.
    The folder is created 0700; the lock and temp files never follow a planted symlink.
    Settings with a secret are saved by `tui.core.save` (the secret under the same lock)."""
    with settings_lock(path) as target:
        write_settings(settings, target, read_current(target))
    return target
