"""`mailwiz sandbox`: a real practice server in its own process, used by `mailwiz test`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui.commands.sandbox import FAIL_MODE_HELP
from tui.core.exits import exit_code_for
from tui.core.practice import EXPECTED_FAILURE, FAIL_MODES


class Sandbox:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []

    def read_until(self, pattern: str) -> re.Match[str]:
        assert self.process.stdout is not None
        for line in self.process.stdout:  # ends at EOF if the sandbox dies
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"sandbox ended before {pattern!r}:\n{''.join(self.lines)}")


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def start(*args: str) -> Sandbox:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui", "sandbox", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path)},
        )
        sandbox = Sandbox(process)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        if sandbox.process.poll() is None:
            sandbox.process.kill()
        sandbox.process.wait(timeout=10)


def mailwiz(args: list[str], password: str, real_config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAILWIZ_PASSWORD": password, "MAILWIZ_CONFIG": str(real_config)}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_the_help_lists_every_practice_mode() -> None:
    assert set(FAIL_MODE_HELP) == set(FAIL_MODES)


def test_a_test_send_through_the_sandbox_is_listed(
    start_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    real_config = tmp_path / "real" / "settings.toml"
    sandbox = start_sandbox()
    password = sandbox.read_until(r"Password\s+(\S+)").group(1)
    config = sandbox.read_until(r"mailwiz --config (\S+) test").group(1)
    sandbox.read_until("Messages received:")

    result = mailwiz(["test", "--config", config], password, real_config)
    assert result.returncode == 0, result.stderr
    assert "Sent:" in result.stdout
    assert sandbox.read_until(r"practice@example\.com -> practice@example\.com")
    assert password not in result.stdout + result.stderr

    sandbox.process.send_signal(signal.SIGTERM)
    assert sandbox.process.wait(timeout=10) == 0
    assert not Path(config).exists(), "the practice folder is removed when the sandbox stops"
    assert not real_config.exists(), "practice never touches the real settings"


@pytest.mark.parametrize(
    ("mode", "exit_code"),
    [("auth", 16), ("tls", 14), ("starttls", 15), ("timeout", 12), ("recipient", 18),
     ("temporary", 20)],
)  # fmt: skip
def test_a_misbehaving_sandbox_gives_the_matching_exit_code(
    start_sandbox: Callable[..., Sandbox], tmp_path: Path, mode: str, exit_code: int
) -> None:
    sandbox = start_sandbox("--fail", mode)
    password = sandbox.read_until(r"Password\s+(\S+)").group(1)
    config = sandbox.read_until(r"mailwiz --config (\S+) test").group(1)
    result = mailwiz(["test", "--config", config], password, tmp_path / "real.toml")
    assert result.returncode == exit_code, result.stderr
    assert "What to do:" in result.stderr
    assert exit_code_for(EXPECTED_FAILURE[mode]) == exit_code  # the practice module agrees


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_the_sandbox_removes_its_folder_when_its_terminal_goes_or_it_is_killed(
    start_sandbox: Callable[..., Sandbox], tmp_path: Path, signum: int
) -> None:
    sandbox = start_sandbox()
    config = Path(sandbox.read_until(r"mailwiz --config (\S+) test").group(1))
    sandbox.read_until("Messages received:")
    assert config.parent.name.startswith("mailwiz-practice-") and config.parent.is_dir()
    sandbox.process.send_signal(signum)
    assert sandbox.process.wait(timeout=10) == 0
    assert not config.parent.exists(), f"the practice folder survived signal {signum}"


def test_the_sandbox_takes_config_like_every_subcommand(
    start_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    real = tmp_path / "real.toml"
    sandbox = start_sandbox("--config", str(real))
    sandbox.read_until("Messages received:")
    sandbox.process.send_signal(signal.SIGTERM)
    assert sandbox.process.wait(timeout=10) == 0
    assert not real.exists(), "the sandbox never writes the settings named by --config"
