"""The environment of a child process whose own imports a test counts.

Under `make test` every Python child is measured for coverage (coverage's subprocess patch,
triggered by these variables), and coverage itself loads modules (datetime, threading, html)
that mailwiz must not need: a test that counts what a command imports runs it unmeasured."""

from __future__ import annotations

import os

COVERAGE_VARIABLES = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG")


def unmeasured_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with `extra` over it, less coverage's variables (also
    when `extra` is a whole environment that carries them)."""
    merged = {**os.environ, **(extra or {})}
    return {k: v for k, v in merged.items() if k not in COVERAGE_VARIABLES}
