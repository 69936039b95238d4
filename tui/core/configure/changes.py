"""What a configure run changes: the settings keys, old and new, and a readable diff, with
every secret masked (the password never appears; nor does `oauth.client_secret`)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from typing import Any

from tui.core.configure.inputs import SECRET_KEYS
from tui.core.settings import Settings, to_toml

MASK = "********"
SECRET_CHANGE_KEY = "password"  # the name of the secret's row in `changes`


@dataclass(frozen=True)
class Change:
    key: str  # a dotted settings key, or "password" for the secret
    old: Any  # None: not set before
    new: Any  # None: removed

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "old": self.old, "new": self.new}


def written_values(settings: Settings | None) -> dict[str, Any]:
    """The dotted keys and values the settings file holds for `settings` (what saving writes:
    only the protocol's table in use, say), secrets masked; {} for no settings."""
    if settings is None:
        return {}
    flat: dict[str, Any] = {}
    for name, value in tomllib.loads(to_toml(settings)).items():
        if isinstance(value, dict) and name != "version":
            for key, item in value.items():
                flat[f"{name}.{key}"] = item
        elif name != "version":
            flat[name] = value
    for key in SECRET_KEYS:
        if flat.get(key):
            flat[key] = MASK
    return flat


def setting_changes(old: Settings | None, new: Settings) -> list[Change]:
    """The keys whose written value differs, in the file's order. A key that appears empty
    ("" or {}: not set either way) is not listed, though the file gains it."""
    before, after = written_values(old), written_values(new)
    changes = []
    for key in [*after, *(key for key in before if key not in after)]:
        if key not in before and after.get(key) in ("", {}):
            continue
        if before.get(key) != after.get(key) or (key in before) != (key in after):
            changes.append(Change(key, before.get(key), after.get(key)))
    return changes


def masked_text(settings: Settings | None) -> str:
    """The settings file's text for `settings`, secrets masked ("" for none)."""
    if settings is None:
        return ""
    import tomli_w

    values = tomllib.loads(to_toml(settings))
    for key in SECRET_KEYS:
        table, _, name = key.partition(".")
        if values.get(table, {}).get(name):
            values[table][name] = MASK
    return tomli_w.dumps(values)


def unified_diff(old: Settings | None, new: Settings, path: str, secret_changed: bool) -> str:
    """A unified diff of the settings file, secrets masked; the secret's change as a comment."""
    lines = list(
        difflib.unified_diff(
            masked_text(old).splitlines(keepends=True),
            masked_text(new).splitlines(keepends=True),
            fromfile=f"{path} (before)",
            tofile=f"{path} (after)",
        )
    )
    if secret_changed:
        lines.append(f"# the password (or key) changed: {MASK}\n")
    return "".join(lines)
