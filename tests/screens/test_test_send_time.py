"""The screen's time is the user's time (issue 21, item 9): every wait between Enter and the
verdict is a stage on the screen, and the Total is the sum of the stages shown.

The send engine's import (the first send of a run) is such a wait: the core reports it as the
stage `engine`, the test screen shows it as a row of its own, `mailwiz test` as a line."""

from __future__ import annotations

import sys
import threading
import time
from importlib.abc import Loader
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from textual.widgets import Static

from tests.servers import PASSWORD, SmtpServer
from tests.ui_helpers import ScreenHost
from tests.waiting import eventually
from tui.cli import main
from tui.core.report import stage_label
from tui.core.send import ENGINE_STAGE, engine_module
from tui.core.settings import SenderSettings, Settings, SmtpSettings, save_settings
from tui.screens.test_send import StageRow, TestSendScreen

SLOW_IMPORT = 0.4  # seconds: a cold disk, a busy machine


class SlowDisk:
    """A finder for one module whose loader takes its time (SLOW_IMPORT seconds, or until
    `gate` is opened) before running the module, as a cold disk would."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.gate: threading.Event | None = None

    def find_spec(self, name: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if name != self.name:
            return None
        spec = PathFinder.find_spec(name, path)
        assert spec is not None and spec.loader is not None
        spec.loader = SlowLoader(spec.loader, self)
        return spec


class SlowLoader(Loader):
    def __init__(self, real: Loader, disk: SlowDisk) -> None:
        self.real, self.disk = real, disk

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if self.disk.gate is None:
            time.sleep(SLOW_IMPORT)
        else:
            self.disk.gate.wait(timeout=30)
        self.real.exec_module(module)


@pytest.fixture
def engine_not_loaded(monkeypatch: pytest.MonkeyPatch) -> SlowDisk:
    """The SMTP engine as in a fresh process on a slow disk: not imported yet, and its import
    takes a while (both restored afterwards)."""
    name = engine_module(Settings(protocol="smtp"))
    parent, _, child = name.rpartition(".")
    if name in sys.modules:  # afterwards the engine every other test imported, everywhere
        monkeypatch.setattr(sys.modules[parent], child, sys.modules[name])
    monkeypatch.delitem(sys.modules, name, raising=False)
    disk = SlowDisk(name)
    monkeypatch.setattr(sys, "meta_path", [disk, *sys.meta_path])
    return disk


async def test_loading_the_engine_is_a_stage_and_the_total_is_the_sum_of_the_stages(
    tmp_path: Path,
    starttls_server: SmtpServer,
    engine_not_loaded: SlowDisk,
    memory_keyring: Any,
) -> None:
    gate = engine_not_loaded.gate = threading.Event()  # the import ends when the test says
    settings = starttls_server.settings()
    memory_keyring.entries[("mailwiz", f"{settings.smtp.username}@127.0.0.1")] = PASSWORD
    # No password typed: reading the keyring is a stage too.
    screen = TestSendScreen(settings, None, tmp_path / "settings.toml")
    async with ScreenHost(screen).run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        # The screen began the import when it opened; it is not over when Enter is pressed.
        stalled = lambda: screen.record.current_stage == ENGINE_STAGE or screen.state != "running"  # noqa: E731
        await eventually(stalled)
        gate.set()
        assert screen.record.current_stage == ENGINE_STAGE, screen.record.started
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.state == "ok", screen.record
        shown = [row.stage for row in screen.query(StageRow)]
        assert shown[:3] == ["password", ENGINE_STAGE, "connect"]
        labels = [str(row.query_one(".label", Static).visual) for row in screen.query(StageRow)]
        assert stage_label(ENGINE_STAGE, settings) in labels
        assert "Loading mailwiz" in stage_label(ENGINE_STAGE, settings)
        assert all(row.ok for row in screen.query(StageRow))
        assert len(screen.record.stages) == len(shown)
        stages_ms = sum(stage.ms for stage in screen.record.stages)
        total_text = str(screen.query_one("#elapsed", Static).visual)
    assert total_text.startswith("Total ")
    # Nothing the user waits for is outside a stage: what is left is the screen's own
    # bookkeeping between two stages (a few ms each).
    gap = screen.total_ms - stages_ms
    assert 0 <= gap <= max(60.0, 0.1 * screen.total_ms), (screen.total_ms, stages_ms)


def test_mailwiz_test_lists_the_engine_stage(
    tmp_path: Path,
    starttls_server: SmtpServer,
    engine_not_loaded: SlowDisk,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save_settings(starttls_server.settings(), tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    assert main(["test", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    stages = [line.split()[1] for line in lines if line.startswith("  ") and " ms" in line]
    assert stages[:2] == [ENGINE_STAGE, "connect"], lines
    assert float(lines[0].split()[2]) >= SLOW_IMPORT * 1000 * 0.9


def test_engine_stage_snapshot(
    snap_compare: Any, tmp_path: Path, engine_not_loaded: SlowDisk
) -> None:
    """The engine's row as the user sees it, before a refused connection (port 1), every time
    shown as a fixed value so the picture is stable."""
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 1)) == 0:
            pytest.skip("something answers on 127.0.0.1:1 here")
    settings = Settings(
        provider="custom",
        smtp=SmtpSettings(host="127.0.0.1", port=1, security="starttls", username="me"),
        sender=SenderSettings(address="me@example.com"),
    )
    screen = TestSendScreen(
        settings, "irrelevant", tmp_path / "settings.toml", time_format=lambda ms: "12 ms"
    )
    gate = engine_not_loaded.gate = threading.Event()

    async def send(pilot: Any) -> None:
        await pilot.press("enter")
        await eventually(lambda: screen.record.current_stage == ENGINE_STAGE)
        gate.set()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(ScreenHost(screen), terminal_size=(80, 24), run_before=send)
