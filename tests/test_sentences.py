"""Every sentence a user reads lives in a texts file (tui/**/texts.toml, read with
tui.core.texts.Texts), not inline in Python: an AST scan of the command line and the core
fails on a string constant that looks like a sentence for a person.

"Looks like a sentence": five words or more ending in . ! or ?, or a hint to run mailwiz
("Run `mailwiz ..."). f-strings count with their placeholders as words of their own.

Not sentences for this rule (kinds, each with its reason):
- docstrings and other bare string statements (attribute docs): documentation of the code;
- argparse's `help=` and `description=`: the --help reference, kept beside the option it
  documents (building the parser runs for every command, and must not parse a texts file);
- the message of a RuntimeError, TypeError, AssertionError or NotImplementedError: a
  programming error, never caused by input, which reaches a person only through
  report_bug's file;
- a logging call's format (log.debug(...)): for the log, not the user.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.paths import PACKAGE

ROOT = PACKAGE


_PROGRAMMING_ERRORS = {"RuntimeError", "TypeError", "AssertionError", "NotImplementedError"}
_LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\{\}")


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None


def looks_like_sentence(text: str) -> bool:
    words = _WORD.findall(text)
    return (len(words) >= 5 and re.search(r"[.!?]\s*$", text) is not None) or (
        "Run `mailwiz" in text
    )


def _exempt(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Whether the string `node` is one of the exempt kinds (see the module's docstring)."""
    parent = parents.get(id(node))
    while isinstance(parent, ast.BinOp | ast.JoinedStr | ast.FormattedValue):
        node, parent = parent, parents.get(id(parent))
    if isinstance(parent, ast.Expr):
        return True  # a docstring, or a string standing alone as documentation
    if isinstance(parent, ast.keyword) and parent.arg in ("help", "description"):
        return True
    if isinstance(parent, ast.Call):
        func = parent.func
        name = func.id if isinstance(func, ast.Name) else ""
        if name in _PROGRAMMING_ERRORS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS:
            return isinstance(func.value, ast.Name) and func.value.id in ("log", "logger")
    return False


def inline_sentences(source: str, name: str = "<source>") -> list[str]:
    """Each string constant of `source` that looks like a sentence and is not exempt."""
    tree = ast.parse(source)
    parents: dict[int, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[id(child)] = parent
    found = []
    for node in ast.walk(tree):
        if isinstance(parents.get(id(node)), ast.JoinedStr):
            continue  # a piece of an f-string: the whole f-string is looked at
        text = _text(node)
        if text is None or not looks_like_sentence(text) or _exempt(node, parents):
            continue
        found.append(f"{name}:{getattr(node, 'lineno', '?')}: {text[:90]!r}")
    return found


def _modules() -> list[Path]:
    """Every module of the package: all of them say their sentences from texts files."""
    return sorted(ROOT.rglob("*.py"))


def test_no_sentence_is_written_inline() -> None:
    found = [
        line
        for path in _modules()
        for line in inline_sentences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "sentences to move into a texts.toml:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "planted",
    [
        'raise ValueError("The password file could not be read, try again.")',
        'print(f"Sent to {to}: check the inbox and the spam folder.")',
        'problem = "no password is stored: Run `mailwiz password`"',
        'message = ("The settings could not be saved: "\n    "the disk is full.")',
    ],
)
def test_a_planted_sentence_is_found(planted: str) -> None:
    """The scan finds a sentence planted in a real module (proof that it looks)."""
    module = ROOT / "commands" / "password.py"
    source = module.read_text(encoding="utf-8") + "\n\ndef _planted(to: str) -> None:\n"
    source += "".join(f"    {line}\n" for line in planted.splitlines())
    assert inline_sentences(source)


@pytest.mark.parametrize(
    "exempt",
    [
        '"""A docstring is documentation, and may say whatever it likes."""',
        'parser.add_argument("--x", help="Read the password from standard input, one line.")',
        'raise RuntimeError("The server is not running: call start() first, then this.")',
        'log.debug("the practice server stopped after all the messages were read.")',
    ],
)
def test_the_exempt_kinds_are_not_reported(exempt: str) -> None:
    source = "def _exempt(parser, log) -> None:\n" + "".join(
        f"    {line}\n" for line in exempt.splitlines()
    )
    assert inline_sentences(source) == []


# ------------------------------------------------------------------ every id said is there


def _texts_of(tree: ast.Module, package: str) -> dict[str, tuple[str, str]]:
    """The names bound at module level to `Texts(package[, file])`: name -> (package, file)."""
    found = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if not (isinstance(call.func, ast.Name) and call.func.id == "Texts" and call.args):
            continue
        first = call.args[0]  # a name, or __package__ (or __package__ or "...")
        where = str(first.value) if isinstance(first, ast.Constant) else package
        file_name = "texts.toml"
        if len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
            file_name = str(call.args[1].value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                found[target.id] = (where, file_name)
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _said_ids() -> list[tuple[str, str, str, str]]:
    """(where, package, file, id) for each literal id given to a Texts in the scanned
    modules, defined in the module or imported (at its top or in a function) from the module
    that defines it."""
    trees = {
        _module_name(path): (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in _modules()
    }
    defined = {
        name: _texts_of(tree, name if path.name == "__init__.py" else name.rpartition(".")[0])
        for name, (path, tree) in trees.items()
    }
    said: list[tuple[str, str, str, str]] = []

    def imported(body: list[ast.stmt], readers: dict[str, tuple[str, str]]) -> None:
        """The names this scope's own imports bind: a Texts of ours, or something else."""
        for statement in body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                module = statement.module
                source = defined.get(module, {}) or defined.get(f"{module}.texts", {})
                for alias in statement.names:
                    bound = alias.asname or alias.name
                    if alias.name in source:
                        readers[bound] = source[alias.name]
                    else:
                        readers.pop(bound, None)  # (diagnose's say is not a Texts)

    def scan(scope: ast.AST, readers: dict[str, tuple[str, str]], where: Path) -> None:
        for node in ast.iter_child_nodes(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = dict(readers)
                imported(node.body, inner)
                scan(node, inner, where)
                continue
            if isinstance(node, ast.Call) and node.args:
                func, first = node.func, node.args[0]
                name = func.id if isinstance(func, ast.Name) else ""
                if isinstance(func, ast.Attribute) and func.attr == "raw":
                    name = func.value.id if isinstance(func.value, ast.Name) else ""
                reader = readers.get(name)
                if reader and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    said.append((f"{where.relative_to(ROOT)}:{node.lineno}", *reader, first.value))
            scan(node, readers, where)

    for name, (path, tree) in trees.items():
        readers = dict(defined[name])
        imported(tree.body, readers)
        scan(tree, readers, path)
    return said


def test_every_id_said_is_in_its_texts_file() -> None:
    """A sentence said only on a rare path (a refused message, a broken keyring) exists:
    a typo or a text put under the wrong [table] fails here, not in front of a user."""
    import tomllib

    missing = []
    said = _said_ids()
    for where, package, file_name, text_id in said:
        folder = ROOT.parent.joinpath(*package.split("."))
        node: object = tomllib.loads((folder / file_name).read_text(encoding="utf-8"))
        for part in text_id.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(f"{where}: {text_id!r} not in {package}/{file_name}")
                break
            node = node[part]
    assert len(said) > 300  # the scan sees the calls (it would pass vacuously otherwise)
    assert not missing, "\n".join(missing)
