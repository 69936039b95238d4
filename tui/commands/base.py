"""What every subcommand shares: its errors, JSON lines, loading the settings, stage marks.

Kept apart from tui/cli.py so that subcommand modules never import the parser that imports
them (no import cycle).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from tui.core.texts import Texts

if TYPE_CHECKING:  # the settings model loads only when a subcommand runs, not for --help
    import argparse  # (nor argparse for the sendmail entry, which parses its own options)

    from tui.core.settings import Loaded, Problem, Settings

say = Texts(__package__ or "tui.commands")  # tui/commands/texts.toml, read when one speaks


class UsageError(Exception):
    """Bad input on the command line or in the settings: exit 2 with this one line."""


class NotReady(Exception):
    """No settings yet, or no password available: exit 3 with this message."""


class SubParsers(Protocol):
    """The part of argparse's subparsers action a subcommand module uses."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


# Characters json.dumps(ensure_ascii=False) leaves raw but a terminal acts on: DEL, the C1
# controls (0x9b is a one-byte CSI) and bidirectional overrides.
_JSON_UNSAFE = {
    code: f"\\u{code:04x}"
    for code in [*range(0x7F, 0xA0), 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}


def emit(obj: dict[str, Any], stream: IO[str] | None = None) -> None:
    import json  # only --json output needs it, not --help or a plain send

    text = json.dumps(obj, ensure_ascii=False)
    # Inside a JSON string a \uXXXX escape is the same character, so this keeps the data.
    text = text.translate(_JSON_UNSAFE)
    print(text, file=stream or sys.stdout, flush=True)


class PipeSafeStream:
    """stdout that goes quiet when the reader closes the pipe (`mailwiz test | head -1`):
    the rest of the output goes to /dev/null, so neither a traceback nor Python's
    "Exception ignored" at exit reaches the user, and the exit code stays the send's."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.reader_gone = True
        # Point the file descriptor at /dev/null: the buffered rest is then flushed there.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def load_or_explain(config_path: Path) -> Loaded:
    from tui.core.settings import SettingsError, SettingsFileError, SettingsMissing, load_settings

    try:
        loaded = load_settings(config_path)
    except SettingsMissing as missing:
        raise NotReady(say("base.no-settings", missing=missing)) from None
    except SettingsFileError as error:
        raise UsageError(str(error)) from None
    except SettingsError as error:
        raise NotReady(str(error)) from None
    for warning in loaded.warnings:
        print(say("base.warning", warning=warning), file=sys.stderr)
    return loaded


def printable(text: str, *, newlines: bool = False) -> str:
    """Text from a file or a server, safe to print: control characters (ESC, BEL, CR...)
    shown as escapes, never sent to the terminal (tui/core/redact.py's one rule).
    `newlines=True` keeps LF (our own multi-line texts: numbered fixes)."""
    if text.isprintable():
        return text  # the usual case, without importing anything
    from tui.core.redact import printable as escaped

    return escaped(text, multiline=newlines)


def describe_problem(loaded: Loaded, problem: Problem) -> str:
    """One problem as the command line prints it: severity, key, line, what to do."""
    line = loaded.line_of(problem.field)
    where = (
        say("base.problem-where-line", field=problem.field, line=line) if line else problem.field
    )
    message = printable(problem.message)
    return say("base.problem", severity=problem.severity, where=where, message=message)


def report_problems(loaded: Loaded) -> list[Problem]:
    """Print every problem of the file on stderr, warnings included; return the errors."""
    from tui.core.settings import validate

    problems = validate(loaded.settings)
    for problem in problems:
        print(describe_problem(loaded, problem), file=sys.stderr)
    return [problem for problem in problems if problem.severity == "error"]


def require_valid(loaded: Loaded) -> Settings:
    """The settings when they have no error; every problem and warning is printed first
    (a certificate check that is off is said on every test and send)."""
    problems = report_problems(loaded)
    if problems:
        first = problems[0]
        line = loaded.line_of(first.field)
        where = say("base.invalid-where-line", path=loaded.path, line=line) if line else loaded.path
        more = say("base.more-problems", count=len(problems) - 1) if len(problems) > 1 else ""
        raise UsageError(f"{where}: {first.field}: {printable(first.message)}{more}")
    return loaded.settings


def one_line(reply: str) -> str:
    """A multi-line reply (EHLO's list of extensions) shortened to its first line."""
    lines = reply.splitlines()
    return lines[0] + (" ..." if len(lines) > 1 else "") if lines else ""


def stage_mark(ok: bool) -> str:
    encoding = (getattr(sys.stdout, "encoding", None) or "ascii").lower()
    if "utf" in encoding:
        return "✓" if ok else "✗"
    return "ok" if ok else "FAILED"


def report_bug() -> int:
    """Exit 1: keep the traceback in a private file and point to it (README.md, "Exit codes")."""
    import os
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="mailwiz-bug-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        traceback.print_exc(file=handle)
    print(say("base.bug", name=name), file=sys.stderr)
    from tui.core.exits import Exit

    return Exit.BUG
