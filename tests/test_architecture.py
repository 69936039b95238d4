"""The layers hold: no import cycles (deferred imports included), no module imports another
module's private names, and the front ends reach a core sub-package only through its face.
And the sizes hold, for the code and its tests alike: no module over 600 lines, no class over
300, no function over 80.

The import graph comes from grimp (import-linter's engine), which reads every import statement
of a module, also those inside functions: a deferred import still makes a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

from tests.paths import PACKAGE, REPO

ROOT = PACKAGE
FRONT_ENDS = (
    "tui.app",
    "tui.cli",
    "tui.wizard",
    "tui.screens",
    "tui.commands",
    "tui.widgets",
    "tui.dialogs",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("tui", cache_dir=None)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the module graph: every group of modules that import each
    other, directly or around a ring."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    for root in sorted(graph.modules):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, sorted(graph.find_modules_directly_imported_by(root))))
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.find_modules_directly_imported_by(nxt))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    assert strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_deferred_cycle() -> None:
    """The check above can fail: a ring made of a top-level and a deferred import is found."""
    ring = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        ring.add_module(name)
    ring.add_import(importer="pkg.a", imported="pkg.b")
    ring.add_import(importer="pkg.b", imported="pkg.a")  # as `def f(): from pkg import a`
    ring.add_import(importer="pkg.c", imported="pkg.a")
    assert strongly_connected(ring) == [["pkg.a", "pkg.b"]]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(tree: ast.AST, importer: str) -> list[str]:
    """`from other import _name` (or `import other._module`) where other is not the importer."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tui"):
            if node.module == importer:
                continue
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(f"{importer}: from {node.module}")
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{importer}: {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tui") and any(
                    part.startswith("_") for part in alias.name.split(".")
                ):
                    found.append(f"{importer}: import {alias.name}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    found: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += private_imports(tree, _module_name(path))
    assert found == []


def test_the_private_name_check_can_fail() -> None:
    tree = ast.parse("from tui.core.x import _hidden, shown\nfrom tui.core.y import __version__")
    assert private_imports(tree, "tui.core.z") == ["tui.core.z: tui.core.x._hidden"]


def core_subpackages() -> list[str]:
    return sorted(f"tui.core.{path.parent.name}" for path in (ROOT / "core").glob("*/__init__.py"))


def reaching_inside(graph: grimp.ImportGraph) -> list[str]:
    """Imports by a front end of a module inside a core sub-package (not its face)."""
    found = []
    for package in core_subpackages():
        for inner in sorted(graph.find_descendants(package)):
            for importer in sorted(graph.find_modules_that_directly_import(inner)):
                if importer.startswith(FRONT_ENDS):
                    found.append(f"{importer} -> {inner}")
    return found


def test_front_ends_import_only_the_face_of_a_core_subpackage(graph: grimp.ImportGraph) -> None:
    assert reaching_inside(graph) == []


MODULE_LINES, CLASS_LINES, FUNCTION_LINES = 600, 300, 80


def oversized(path: Path, source: str) -> list[str]:
    """What in one module is over the sizes the architecture allows (docs/ARCHITECTURE.md)."""
    found = []
    lines = len(source.splitlines())
    if lines > MODULE_LINES:
        found.append(f"{path}: {lines} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            limit = CLASS_LINES if isinstance(node, ast.ClassDef) else FUNCTION_LINES
            if length > limit:
                found.append(f"{path}:{node.lineno} {node.name}: {length} lines")
    return found


@pytest.mark.parametrize("folder", ["tui", "tests", "bench", "scripts"])
def test_no_module_class_or_function_is_over_its_size(folder: str) -> None:
    found: list[str] = []
    for path in sorted((REPO / folder).rglob("*.py")):
        found += oversized(path.relative_to(REPO), path.read_text(encoding="utf-8"))
    assert found == []


def test_the_size_check_can_fail() -> None:
    body = "".join(f"        x{n} = {n}\n" for n in range(FUNCTION_LINES))
    source = f"class Small:\n    def long(self) -> None:\n{body}"
    assert oversized(Path("m.py"), source) == ["m.py:2 long: 81 lines"]
