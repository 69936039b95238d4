"""Every name mailwiz answers to as the system's mail program (issue 24 item 6): the wizard
without a terminal says so and exits, newaliases does what admins expect."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.mta_helpers import MAILWIZ


def test_the_wizard_without_a_terminal_says_so_and_exits(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(MAILWIZ), "--config", str(tmp_path / "settings.toml")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "needs a terminal" in done.stderr
    assert "\x1b[" not in done.stdout  # no screen was drawn


def test_newaliases_through_its_link_succeeds_quietly(tmp_path: Path) -> None:
    link = tmp_path / "newaliases"
    link.symlink_to(MAILWIZ)
    done = subprocess.run(
        [str(link)], stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
