"""The settings `mailwiz configure` is given: `--file`, the environment, `--set`, and the secret.

Each source becomes a list of Overrides (a dotted key of the settings file, a typed value, and
where it came from, for messages); `apply_overrides` puts them on a copy of the current
settings. Later sources win: the file, then the environment, then `--set`.
The secret never comes from the command line: standard input, a named variable or a file.
"""

from __future__ import annotations

import functools
import os
import tomllib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.configure.texts import say
from tui.core.records import field_names
from tui.core.settings import Settings, parse_settings

ENV_PREFIX = "MAILWIZ_"
PASSWORD_FILE_ENV = "MAILWIZ_PASSWORD_FILE"
TOP_LEVEL = ("protocol", "provider")
# Values that are secrets even though the settings file holds them: masked in every output.
SECRET_KEYS = frozenset({"oauth.client_secret"})
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class InputError(Exception):
    """A value configure cannot take; str() names the key, where it came from and why."""

    def __init__(self, key: str, source: str, reason: str) -> None:
        self.key = key
        self.source = source
        self.reason = reason
        super().__init__(say("input_error", source=source, key=key, reason=reason))


@dataclass(frozen=True)
class Override:
    key: str  # "smtp.host", "protocol", "local.aliases.www-data"
    value: Any
    source: str  # "--set", "--file F", "MAILWIZ_SMTP_HOST": where to look when it is wrong


@dataclass(frozen=True)
class KeyType:
    kind: type  # str, int, float, bool or dict
    choices: tuple[str, ...] = ()


@functools.cache
def settings_keys() -> dict[str, KeyType]:
    """Every dotted key of the settings file with its type (from the settings model)."""
    keys: dict[str, KeyType] = {}
    top = typing.get_type_hints(Settings)
    for name in TOP_LEVEL:
        keys[name] = _key_type(top[name])
    for table in field_names(Settings):
        if table in TOP_LEVEL:
            continue
        hints = typing.get_type_hints(top[table])
        for name in field_names(top[table]):
            keys[f"{table}.{name}"] = _key_type(hints[name])
    return keys


def _key_type(hint: Any) -> KeyType:
    if typing.get_origin(hint) is typing.Literal:
        return KeyType(str, tuple(typing.get_args(hint)))
    if typing.get_origin(hint) is dict:
        return KeyType(dict)
    return KeyType(hint if hint in (bool, int, float) else str)


def _split_dict_key(key: str) -> tuple[str, str]:
    """ "local.aliases.www-data" -> ("local.aliases", "www-data"); ("key", "") otherwise."""
    table, _, rest = key.partition(".")
    name, _, item = rest.partition(".")
    base = f"{table}.{name}" if name else table
    kind = settings_keys().get(base)
    if item and kind is not None and kind.kind is dict:
        return base, item
    return key, ""


def from_text(key: str, raw: str, source: str) -> Override:
    """One `KEY=VALUE` (or an environment variable's value) as a typed override."""
    base, item = _split_dict_key(key)
    kind = settings_keys().get(base)
    if kind is None:
        raise InputError(key, source, say("unknown_key", known=", ".join(settings_keys())))
    if item:
        return Override(key, raw, source)
    return Override(key, _typed(key, raw, kind, source), source)


def _typed(key: str, raw: str, kind: KeyType, source: str) -> Any:
    if kind.kind is bool:
        word = raw.strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise InputError(key, source, say("want_bool"))
    if kind.kind is int:
        try:
            return int(raw.strip())
        except ValueError:
            raise InputError(key, source, say("want_int")) from None
    if kind.kind is float:
        try:
            return float(raw.strip())
        except ValueError:
            raise InputError(key, source, say("want_number")) from None
    if kind.kind is dict:
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise InputError(key, source, say("want_table"))
        return value
    if kind.choices and raw not in kind.choices:
        raise InputError(key, source, say("want_choice", choices=", ".join(kind.choices)))
    return raw


def from_set(pairs: Iterable[str]) -> list[Override]:
    """`--set KEY=VALUE` options."""
    overrides = []
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise InputError(pair, "--set", say("want_key_value"))
        if key.strip() in SECRET_KEYS:  # a command line is visible to every user (ps)
            name = ENV_PREFIX + key.strip().replace(".", "_").upper()
            raise InputError(key.strip(), "--set", say("secret_on_command_line", name=name))
        overrides.append(from_text(key.strip(), value, "--set"))
    return overrides


def from_env(env: Mapping[str, str] | None = None) -> list[Override]:
    """`MAILWIZ_<SECTION>_<KEY>` (and `..._FILE`, whose file holds the value), for containers.
    Variables that name no table (MAILWIZ_CONFIG, MAILWIZ_PASSWORD) are not settings; a
    variable naming a table but no key of it is a typo, and says so."""
    environ = os.environ if env is None else env
    tables = {key.partition(".")[0] for key in settings_keys() if "." in key}
    overrides = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name == PASSWORD_FILE_ENV:
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        if rest in TOP_LEVEL:
            overrides.append(from_text(rest, environ[name], name))
            continue
        table, _, key = rest.partition("_")
        if table not in tables or not key:
            continue
        dotted = f"{table}.{key}"
        if dotted in settings_keys():
            overrides.append(from_text(dotted, environ[name], name))
        elif key.endswith("_file") and f"{table}.{key[:-5]}" in settings_keys():
            value = read_value_file(Path(environ[name]), name)
            overrides.append(from_text(f"{table}.{key[:-5]}", value, name))
        else:
            raise InputError(dotted, name, say("unknown_key", known=", ".join(settings_keys())))
    return overrides


def from_file(path: Path) -> list[Override]:
    """A settings file (as the wizard writes it): its keys, checked as when it is loaded
    (the message names the line). Keys it leaves out keep their current value."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or say("not_text")
        raise InputError(str(path), "--file", reason) from None
    parsed = parse_settings(text, path)  # SettingsFileError names the key and the line
    data = tomllib.loads(text)
    source = f"--file {path}"
    overrides = []
    for name in TOP_LEVEL:
        if name in data:
            overrides.append(Override(name, getattr(parsed, name), source))
    for table, values in data.items():
        if isinstance(values, dict):
            for key in values:
                value = getattr(getattr(parsed, table), key)
                value = dict(value) if isinstance(value, dict) else value
                overrides.append(Override(f"{table}.{key}", value, source))
    return overrides


def apply_overrides(settings: Settings, overrides: Iterable[Override]) -> Settings:
    """A copy of `settings` with each override set, in order (the last one wins)."""
    result = settings.copy()
    for override in overrides:
        base, item = _split_dict_key(override.key)
        if "." not in base:
            setattr(result, base, override.value)
            continue
        table, _, key = base.partition(".")
        section = getattr(result, table)
        if item:
            getattr(section, key)[item] = override.value
        elif settings_keys()[base].kind is float:
            setattr(section, key, float(override.value))
        else:
            setattr(section, key, override.value)
    return result


def read_value_file(path: Path, source: str) -> str:
    """A secret or a value from a file (a container's /run/secrets/...): one line, UTF-8;
    the final line break is not part of it."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(str(path), source, error.strerror or str(error)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(path), source, say("not_text")) from None
    return text.removesuffix("\n").removesuffix("\r")
