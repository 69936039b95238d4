"""What every subcommand shares: its errors, JSON lines, loading the settings, stage marks.

Kept apart from tui/cli.py so that subcommand modules never import the parser that imports
them (no import cycle).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any, Protocol

from tui.core.settings import (
    Loaded,
    Settings,
    SettingsError,
    SettingsFileError,
    SettingsMissing,
    errors,
    load_settings,
)


class UsageError(Exception):
    """Bad input on the command line or in the settings: exit 2 with this one line."""


class NotReady(Exception):
    """No settings yet, or no password available: exit 3 with this message."""


class SubParsers(Protocol):
    """The part of argparse's subparsers action a subcommand module uses."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def emit(obj: dict[str, Any], stream: IO[str] | None = None) -> None:
    print(json.dumps(obj, ensure_ascii=False), file=stream or sys.stdout, flush=True)


def load_or_explain(config_path: Path) -> Loaded:
    try:
        loaded = load_settings(config_path)
    except SettingsMissing as missing:
        raise NotReady(f"{missing} (or pass --config PATH)") from None
    except SettingsFileError as error:
        raise UsageError(str(error)) from None
    except SettingsError as error:
        raise NotReady(str(error)) from None
    for warning in loaded.warnings:
        print(f"mailwiz: warning: {warning}", file=sys.stderr)
    return loaded


def require_valid(loaded: Loaded) -> Settings:
    problems = errors(loaded.settings)
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problem(s); run mailwiz to fix them)"
        raise UsageError(
            f"{loaded.path}: {first.field}: {first.message}{more if len(problems) > 1 else ''}"
        )
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
