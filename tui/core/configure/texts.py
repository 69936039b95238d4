"""The sentences `mailwiz configure` says, read from texts.toml beside this file (once)."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any


@functools.cache
def _texts() -> dict[str, str]:
    text = resources.files(__package__).joinpath("texts.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def say(text_id: str, /, **values: Any) -> str:
    """The text `text_id`, with its {placeholders} filled in; KeyError for a missing id."""
    return _texts()[text_id].format(**values)
