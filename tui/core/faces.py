"""The one way a core sub-package shows its public face: names loaded on first use (PEP 562).

A package's `__init__` lists which module holds each public name and hands the list to
`lazy_face`; the front ends then import those names from the package, and only the module
behind a name they use is loaded (so `--help`, the first screen and the sendmail entry stay
light). The package's `TYPE_CHECKING` imports give the type checker the same names."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_face(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose public names live in the modules
    `where` maps them to (a full module name, or one relative to the package)."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        full = module if module.startswith("tui.") else f"{package}.{module}"
        value = getattr(importlib.import_module(full), name)
        namespace[name] = value  # the next use finds it without asking again
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
