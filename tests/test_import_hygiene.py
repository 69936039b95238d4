"""The core knows nothing of the screen: no module under tui/core imports Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "tui" / "core"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_core_sources_never_import_textual() -> None:
    sources = sorted(CORE.rglob("*.py"))
    assert sources, "tui/core has no Python files: the test would prove nothing"
    offenders = {
        str(path.relative_to(CORE)): sorted(
            n for n in imported_modules(path) if n.split(".")[0] in ("textual", "rich")
        )
        for path in sources
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_importing_every_core_module_loads_no_textual() -> None:
    modules = [module_name(p) for p in sorted(CORE.rglob("*.py"))]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
