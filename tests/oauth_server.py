"""OAuth fixtures: the practice authorization server and its token-only SMTP server, real, on
127.0.0.1 (the same servers as `mailwiz sandbox --oauth`), and a way to drive `mailwiz login`
in its own process as a user (or the hidden checks) would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import save_settings

CODE_LINE = re.compile(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$")  # alone on its line, not indented


@pytest.fixture
def practice_options() -> dict[str, object]:
    """Override in a test module (or parametrize) to tune the authorization server."""
    return {}


@pytest.fixture
def oauth_practice(tmp_path: Path, practice_options: dict[str, object]) -> Iterator[OAuthPractice]:
    options: dict[str, object] = {"device_interval": 1, **practice_options}
    with OAuthPractice(folder=tmp_path / "practice", **options) as practice:  # type: ignore[arg-type]
        yield practice


@pytest.fixture
def oauth_config(tmp_path: Path, oauth_practice: OAuthPractice) -> Path:
    """A settings file signing in with the practice server, token kept in a 0600 file."""
    return save_settings(oauth_practice.settings(), tmp_path / "settings.toml")


def mailwiz(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    """`mailwiz ARGS` in its own process, pipes on all three streams."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    env.pop("MAILWIZ_PASSWORD", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,  # type: ignore[call-overload]
    )


def read_until(process: subprocess.Popen[str], pattern: re.Pattern[str], seen: list[str]) -> str:
    """Read stdout lines until one matches; returns the match's first group (or the line)."""
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match.group(1) if match.groups() else line.strip()
    raise AssertionError("mailwiz ended before printing what was expected:\n" + "".join(seen))


def approve_in_browser(authorization_url: str, decision: str = "approve") -> str:
    """What a browser does: open the address, press Approve; returns where it was sent."""
    response = httpx.get(f"{authorization_url}&decision={decision}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def finish(process: subprocess.Popen[str], seen: list[str], stdin: str = "") -> tuple[str, str]:
    """Close standard input (after writing `stdin`), wait, and return all output."""
    out, err = process.communicate(stdin, timeout=60)
    return "".join(seen) + out, err
