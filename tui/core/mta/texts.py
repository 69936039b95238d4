"""The sentences the system mail says to its callers (texts.toml beside this file), read
only when there is something to say: a submission that goes well prints nothing."""

from __future__ import annotations

import functools


@functools.cache
def _table() -> dict[str, str]:
    import tomllib
    from importlib import resources

    text = resources.files(__package__).joinpath("texts.toml").read_text(encoding="utf-8")
    return {key: str(value) for key, value in tomllib.loads(text).items()}


def say(text_id: str, **values: object) -> str:
    """The sentence `text_id` with its {values} filled in."""
    return _table()[text_id].format(**values)
