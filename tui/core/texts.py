"""The one reader of mailwiz's sentences. Every sentence a user reads lives in a TOML file
beside the code that says it (`texts.toml` in that package); a package reads its file through
one `Texts` made at import, which parses the file on first use only (a submission that goes
well says nothing and so never reads one).

A text id is a key, or dotted keys into tables ("queue.deferred"); `{name}` placeholders are
filled from the values given. A missing id is a KeyError that names the file: a typo in code
shows in the first test that says it.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any


class Texts:
    """The sentences of one texts file: `say = Texts(__package__)`, then `say("id", n=2)`."""

    def __init__(self, package: str, file_name: str = "texts.toml") -> None:
        self.package = package
        self.file_name = file_name

    def __call__(self, text_id: str, /, **values: object) -> str:
        """The text `text_id` with its {placeholders} filled in."""
        return str(self.raw(text_id)).format(**values)

    def raw(self, text_id: str) -> Any:
        """The value at `text_id` as written (a string, a list or a table)."""
        node: Any = _table(self.package, self.file_name)
        for part in text_id.split("."):
            if not isinstance(node, dict) or part not in node:
                where = f"{self.package.replace('.', '/')}/{self.file_name}"
                raise KeyError(f"no text {text_id!r} in {where}")
            node = node[part]
        return node

    def table(self) -> dict[str, Any]:
        """The whole file, parsed (once)."""
        return _table(self.package, self.file_name)


@functools.cache
def _table(package: str, file_name: str) -> dict[str, Any]:
    import tomllib

    # Beside the package's __init__ (where package data is installed), read directly:
    # importlib.resources would load zipfile, tempfile and more for every sentence said.
    folder = Path(str(sys.modules[package].__file__)).parent
    return tomllib.loads((folder / file_name).read_text(encoding="utf-8"))
