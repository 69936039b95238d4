"""The wizard's words are in texts files beside the screens, dialogs and widgets; each id a
module says exists in its file, with the placeholders the module fills in.

A say("id") in a path no test walks (a save that fails with an OSError, a keyring probe that
raises) would otherwise be a KeyError in front of a user. Ids built at run time (f-strings) are
not checked here: the test screen's footer builds them when its module is imported.
"""

from __future__ import annotations

import ast
import importlib
import string
from pathlib import Path

import pytest

from tui.core.texts import Texts

TUI = Path(__file__).resolve().parents[2] / "tui"
FOLDERS = ("screens", "dialogs", "widgets")


def _modules() -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (TUI / folder).glob("*.py"))


def _readers(tree: ast.Module, package: str) -> dict[str, Texts]:
    """The module's `name = Texts(__package__ ..., "file")`, by name."""
    readers: dict[str, Texts] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if not (isinstance(call.func, ast.Name) and call.func.id == "Texts"):
            continue
        file_name = "texts.toml"
        if len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
            file_name = str(call.args[1].value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                readers[target.id] = Texts(package, file_name)
    return readers


def _uses(path: Path) -> list[tuple[int, Texts, str, set[str] | None]]:
    """Each literal text id the module says: (line, reader, id, the placeholders given;
    None for `raw`, which fills none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = f"tui.{path.parent.name}"
    importlib.import_module(package)  # Texts reads beside the package's __init__
    readers = _readers(tree, package)
    uses: list[tuple[int, Texts, str, set[str] | None]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in readers:
            names = {keyword.arg for keyword in node.keywords if keyword.arg}
            uses.append((node.lineno, readers[func.id], first.value, names))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "raw"
            and isinstance(func.value, ast.Name)
            and func.value.id in readers
        ):
            uses.append((node.lineno, readers[func.value.id], first.value, None))
    return uses


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("path", _modules(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_text_id_exists_with_its_placeholders(path: Path) -> None:
    problems = []
    for line, reader, text_id, given in _uses(path):
        where = f"{path.name}:{line} {text_id!r}"
        try:
            value = reader.raw(text_id)
        except KeyError as missing:
            problems.append(f"{where}: {missing}")
            continue
        if given is None:
            continue
        if not isinstance(value, str):
            problems.append(f"{where}: not a sentence but {type(value).__name__}")
        elif _placeholders(value) != given:
            problems.append(f"{where}: fills {sorted(given)}, the text has {value!r}")
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_missing_id_and_a_wrong_placeholder(tmp_path: Path) -> None:
    """The scan itself: a module saying an id its file lacks, or filling another name."""
    module = tmp_path / "screens" / "planted.py"
    module.parent.mkdir()
    module.write_text(
        "from tui.core.texts import Texts\n"
        'say = Texts(__package__, "test_send_texts.toml")\n'
        'say("no_such_text")\n'
        'say("bad_recipient", reason="x")\n',
        encoding="utf-8",
    )
    found = [(text_id, given) for _, _, text_id, given in _uses(module)]
    assert found == [("no_such_text", set()), ("bad_recipient", {"reason"})]
    reader = Texts("tui.screens", "test_send_texts.toml")
    with pytest.raises(KeyError):
        reader.raw("no_such_text")
    assert _placeholders(reader("bad_recipient", problem="{problem}")) == {"problem"}


def test_a_failed_save_says_why_and_that_nothing_is_lost() -> None:
    """The save screen's words for each kind of failure (the OS's, an unexpected one)."""
    from tui.screens.save_done import not_saved

    denied = PermissionError(13, "Permission denied", "/etc/mailwiz.toml")
    assert not_saved(denied, (ValueError,)) == (
        "Not saved: Permission denied (/etc/mailwiz.toml). Nothing is lost: fix that and press "
        "Save again."
    )
    assert not_saved(ValueError("smtp.port: not a number"), (ValueError,)) == (
        "Not saved: smtp.port: not a number Nothing is lost: fix that and press Save again."
    )
    assert not_saved(KeyError("x"), (ValueError,)).startswith(
        "Not saved: an unexpected error (KeyError: 'x')."
    )
