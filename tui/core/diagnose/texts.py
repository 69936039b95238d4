"""The texts of `texts.toml`, read once on first use and rendered for one reader.

A text is a string or a `{wizard, cli}` table; `{name}` is filled from the values given,
`{key.x}` / `{field.x}` name the setting `Key.X` the way the reader knows it (the wizard's label,
or the settings key); `{run.login}` is a mailwiz command for the settings the reader uses
(`tui.core.locations.command_for`: with --config PATH when they are not where mailwiz looks).
In a list of steps "@name" expands to a named list or step. See the
comment at the top of texts.toml for the whole format.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from tui.core.keys import FOLDED, Key, label
from tui.core.locations import command_for

#: `{run.NAME}` in a text: the subcommand and options of each suggested command.
COMMANDS: dict[str, tuple[str, ...]] = {
    "login": ("login",),
    "login_browser": ("login", "--browser"),
    "login_file": ("login", "--store", "file"),
    "login_keyring": ("login", "--store", "keyring"),
    "password": ("password",),
    "test": ("test",),
    "test_json": ("test", "--json"),
    "flush": ("queue", "--flush"),
}


class Audience(StrEnum):
    """Who reads the diagnosis: the wizard names its controls, the command line its keys."""

    WIZARD = "wizard"
    CLI = "cli"


@functools.cache
def data() -> dict[str, Any]:
    """The whole texts.toml (parsed once)."""
    text = resources.files(__package__).joinpath("texts.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def lookup(*path: str) -> Any:
    """The raw value at `path` ("d", "dns", "title"); KeyError naming the whole path."""
    node: Any = data()
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no text {'.'.join(path)!r} in tui/core/diagnose/texts.toml")
        node = node[part]
    return node


def name_of(
    key: Key, audience: Audience, *, place: bool = False, config_path: Path | None = None
) -> str:
    """A setting as the reader knows it: "CA file" in the wizard, smtp.ca_file on the command
    line; as a place ("the CA file field") when `place`."""
    if audience is Audience.CLI:
        if key is Key.PASSWORD and place:
            return f"the password (store it with `{command_for(config_path, 'password')}`)"
        if key is Key.RECIPIENT:
            return "the --to address"
        return key.value
    name = label(key)
    if key in FOLDED:
        name += " (under Advanced)"  # the form keeps it folded away: say where it is
    return f"the {name} field" if place else name


class _Names:
    """`{key.ca_file}` in a text: the attribute is the Key member's name in lower case."""

    def __init__(self, audience: Audience, place: bool, config_path: Path | None) -> None:
        self._audience = audience
        self._place = place
        self._config_path = config_path

    def __getattr__(self, name: str) -> str:
        key = Key[name.upper()]
        return name_of(key, self._audience, place=self._place, config_path=self._config_path)


class _Commands:
    """`{run.login}` in a text: the command `COMMANDS["login"]` for these settings."""

    def __init__(self, config_path: Path | None) -> None:
        self._config_path = config_path

    def __getattr__(self, name: str) -> str:
        return command_for(self._config_path, *COMMANDS[name])


def code_span(text: str) -> str:
    """`text` as one Markdown code span, whatever it holds: fenced by more backticks than any
    run inside it, so a backtick in a path cannot end the span early and turn the rest into
    Markdown (where an entity like &#39; would undo the command's shell quoting)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class _CommandSpans(_Commands):
    """`{run_span.login}`: the command as a Markdown code span (see code_span)."""

    def __getattr__(self, name: str) -> str:
        return code_span(super().__getattr__(name))


# A command in backticks, in a text rendered as Markdown: the span is built, not pasted.
_RUN_IN_SPAN = re.compile(r"`\{run\.([a-z_]+)\}`")


class _Values(Mapping[str, object]):
    def __init__(
        self, values: Callable[[str], object], audience: Audience, config_path: Path | None
    ) -> None:
        self._values = values
        self._names: dict[str, object] = {
            "key": _Names(audience, False, config_path),
            "field": _Names(audience, True, config_path),
            "run": _Commands(config_path),
            "run_span": _CommandSpans(config_path),
        }

    def __getitem__(self, name: str) -> object:
        if name in self._names:
            return self._names[name]
        return self._values(name)

    def __iter__(self) -> Any:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def render(
    text: object,
    audience: Audience,
    values: Callable[[str], object] | Mapping[str, object] = {},  # noqa: B006 (read only)
    *,
    markdown: bool = False,
    config_path: Path | None = None,
) -> str:
    """One text for `audience`, its {placeholders} filled; **bold** kept only for Markdown;
    `{run.x}` commands written for the settings at `config_path`."""
    if isinstance(text, dict):
        text = text[audience.value]
    if not isinstance(text, str):
        raise TypeError(f"a text must be a string or a {{wizard, cli}} table, not {text!r}")
    get = values.__getitem__ if isinstance(values, Mapping) else values
    if markdown:
        text = _RUN_IN_SPAN.sub(r"{run_span.\1}", text)
    out = text.format_map(_Values(get, audience, config_path))
    return out if markdown else out.replace("**", "")


def say(
    *path: str, audience: Audience = Audience.CLI, config_path: Path | None = None, **values: Any
) -> str:
    """The text at `path` ("keep", "none") for `audience`, its {placeholders} from `values`,
    its `{run.x}` commands for the settings at `config_path`."""
    return render(lookup(*path), audience, values, config_path=config_path)


def expand(
    items: Iterable[object],
    audience: Audience,
    values: Callable[[str], object] | Mapping[str, object],
    *,
    app_password: str = "",
    provider_steps: tuple[str, ...] = (),
    markdown: bool = False,
    config_path: Path | None = None,
) -> list[str]:
    """A list of steps, each "@name" replaced by [steps.name] (recursively) or [step].name;
    "@app-password" is the steps of `app_password` (a provider's guidance key), else the
    catalogue's own `provider_steps` (taken as they are), else the generic ones."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.startswith("@"):
            name = item[1:]
            if name == "app-password" and app_password not in data()["steps"] and provider_steps:
                out += provider_steps
                continue
            if name == "app-password":
                name = app_password if app_password in data()["steps"] else "generic"
            if name in data()["steps"]:
                out += expand(
                    lookup("steps", name),
                    audience,
                    values,
                    app_password=app_password,
                    provider_steps=provider_steps,
                    markdown=markdown,
                    config_path=config_path,
                )
                continue
            item = lookup("step", name)
        out.append(render(item, audience, values, markdown=markdown, config_path=config_path))
    return out


def numbered(steps: Iterable[str]) -> str:
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, 1))
