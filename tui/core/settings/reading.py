"""Reading the settings file: TOML to a checked `Settings`, every problem naming its key and
line; a file that cannot be parsed is never overwritten."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path
from typing import Any, get_args

from tui.core.locations import command_for
from tui.core.records import Record, field, field_names, field_types
from tui.core.settings.model import (
    SETTINGS_VERSION,
    HttpApi,
    HttpSettings,
    LocalSettings,
    OAuthGrant,
    OAuthProvider,
    OAuthSettings,
    PasswordSettings,
    PasswordStore,
    Protocol,
    Security,
    SenderSettings,
    Settings,
    SettingsError,
    SettingsFileError,
    SettingsMissing,
    SmtpAuth,
    SmtpSettings,
    uses_relay,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.settings")  # texts.toml beside this file, [file]

# ---------------------------------------------------------------------------- load


class Loaded(Record):
    settings: Settings
    path: Path
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the file as read, so problems can name their line

    def line_of(self, dotted: str) -> int | None:
        """The line where a key ("sender.reply_to", "protocol") is set in the file, or None."""
        table, _, key = dotted.rpartition(".")
        return _line_of(self.text, table, key) if key else None


_TABLES: dict[str, type[Any]] = {
    "smtp": SmtpSettings,
    "http": HttpSettings,
    "sender": SenderSettings,
    "password": PasswordSettings,
    "oauth": OAuthSettings,
    "local": LocalSettings,
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "protocol": get_args(Protocol),
    "smtp.security": get_args(Security),
    "smtp.auth": get_args(SmtpAuth),
    "http.api": get_args(HttpApi),
    "oauth.provider": get_args(OAuthProvider),
    "oauth.grant": get_args(OAuthGrant),
    "password.store": get_args(PasswordStore),
}


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line where `key` is set inside `[table]` ("" for the top level), for messages."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?", stripped)
        if header:
            current = header.group(1)
            if not key and current == table:
                return number
            continue
        if key and current == table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _check_value(value: Any, expected: Any, dotted: str) -> str | None:
    """Why a TOML value has the wrong type for a settings field, or None."""
    if expected is bool:
        return None if isinstance(value, bool) else say("file.bool")
    if expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else say("file.int")
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else say("file.seconds")
    if expected is dict:
        if not isinstance(value, dict):
            return say("file.aliases")
        if not all(isinstance(item, str) for item in value.values()):
            return say("file.alias-text")
        return None
    if not isinstance(value, str):
        return say("file.text")
    choices = _CHOICES.get(dotted)
    if choices and value not in choices:
        return say("file.one-of", choices=", ".join(f'"{choice}"' for choice in choices))
    return None


_FIELD_TYPES: dict[str, type] = {
    "bool": bool,
    "int": int,
    "float": float,
    "dict[str, str]": dict,
}


def _field_type(cls: type[Any], name: str) -> type:
    return _FIELD_TYPES.get(field_types(cls)[name], str)


def parse_settings(text: str, path: Path) -> Settings:
    """The settings in `text`, or SettingsFileError naming the line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise SettingsFileError(say("file.not-toml", reason=reason), path=path, line=line) from None

    def fail(message: str, table: str, key: str) -> SettingsFileError:
        dotted = f"{table}.{key}" if table else key
        line = _line_of(text, table, key) or (None if table else _line_of(text, key, ""))
        message = say("file.key-problem", key=dotted, problem=message)
        return SettingsFileError(message, path=path, line=line, key=dotted)

    version = data.get("version")
    if version is None:
        raise SettingsFileError(say("file.no-version"), path=path)
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail(say("file.int"), "", "version")
    if version > SETTINGS_VERSION:
        newer = say("file.newer", version=version, ours=SETTINGS_VERSION)
        raise fail(newer, "", "version")
    if version < 1:
        raise fail(say("file.version-one"), "", "version")

    settings = Settings()
    for key, value in data.items():
        if key == "version":
            continue
        if key in ("protocol", "provider"):
            problem = _check_value(value, str, key)
            if problem:
                raise fail(problem, "", key)
            setattr(settings, key, value)
            continue
        cls = _TABLES.get(key)
        if cls is None:
            known = ", ".join(["version", "protocol", "provider", *_TABLES])
            raise fail(say("file.unknown", known=known), "", key)
        if not isinstance(value, dict):
            raise fail(say("file.not-table", key=key), "", key)
        table = getattr(settings, key)
        names = set(field_names(cls))
        for name, item in value.items():
            if name not in names:
                known = ", ".join(sorted(names))
                raise fail(say("file.unknown-in", table=key, known=known), key, name)
            expected = _field_type(cls, name)
            problem = _check_value(item, expected, f"{key}.{name}")
            if problem:
                raise fail(problem, key, name)
            setattr(table, name, float(item) if expected is float else item)
            if expected is dict:
                setattr(table, name, dict(item))
    if "password" not in data and uses_relay(settings):
        # A relay's file without [password] stores no key: its sends never ask a keyring
        # (which may be locked, or hang on a desktop nobody sees over SSH).
        settings.password.store = "none"
    return settings


def permission_warning(path: Path) -> str | None:
    """A warning when a secrets-adjacent file can be read by group or others (like msmtp)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return say("file.readable", path=path, mode=stat.filemode(mode))
    return None


def load_settings(path: Path) -> Loaded:
    """Read the settings file. SettingsMissing when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        missing = say("file.missing", path=path, command=command_for(path))
        raise SettingsMissing(missing) from None
    except UnicodeDecodeError:
        raise SettingsFileError(say("file.not-utf8"), path=path) from None
    except OSError as error:
        raise SettingsError(say("file.unreadable", path=path, error=error.strerror)) from None
    loaded = Loaded(parse_settings(text, path), path, text=text)
    warning = permission_warning(path)
    if warning:
        loaded.warnings.append(warning)
    return loaded
