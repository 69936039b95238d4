"""The test screen as a user sees it at 80x24 (snapshots), its rows for repeated stages,
and its Total as the user's time."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.memory_keyring import MemoryKeyring
from tests.servers import (
    PASSWORD,
    SENDER,
    USERNAME,
    SmtpServer,
)
from tests.ui_helpers import ScreenHost, finished
from tests.waiting import eventually
from tui.core.settings import SenderSettings, Settings, SmtpSettings
from tui.screens.test_send import StageRow, TestSendScreen

pytestmark = pytest.mark.usefixtures("engines_loaded")


# ---------------------------------------------------------------------------------------
# Snapshots of the four ways a test ends. Every time shows as a fixed value, the servers sit
# on fixed ports with a fixed name (so the stage labels and replies are the same each run),
# and the transcript (dates, message ids) is folded away with `l`.

SNAPSHOT_PORTS = {"ok": 38465, "certificate": 38466, "timeout": 38467, "cancel": 38468}


def _fixed_port(name: str, monkeypatch: pytest.MonkeyPatch) -> int:
    import tests.servers

    port = SNAPSHOT_PORTS[name]
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            pytest.skip(f"port {port} is taken here; the snapshot needs it")
    monkeypatch.setattr(tests.servers, "free_port", lambda: port)
    return port


def _silent_listener(port: int) -> socket.socket:
    """Accepts connections (the kernel does, from its backlog) and never says a word."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    return listener


def _snapshot_screen(settings: Settings, password: str | None, tmp_path: Path) -> ScreenHost:
    screen = TestSendScreen(
        settings, password, tmp_path / "settings.toml", time_format=lambda ms: "12 ms"
    )
    return ScreenHost(screen)


async def _send_and_fold(pilot: Any) -> None:
    await pilot.press("enter")
    await finished(pilot)
    await pilot.press("l")
    await pilot.pause()


def test_success_snapshot(
    snap_compare: Any,
    tmp_path: Path,
    smtp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fixed_port("ok", monkeypatch)
    server = smtp_server("starttls", server_hostname="mail.example.test", ident="ESMTP")
    app = _snapshot_screen(server.settings(), PASSWORD, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_send_and_fold)


def test_certificate_failure_snapshot(
    snap_compare: Any,
    tmp_path: Path,
    smtp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fixed_port("certificate", monkeypatch)
    server = smtp_server("tls", cert="wrong_name", server_hostname="mail.example.test")
    app = _snapshot_screen(server.settings(), PASSWORD, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_send_and_fold)


def test_timeout_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _fixed_port("timeout", monkeypatch)
    with _silent_listener(port):
        settings = Settings(
            provider="custom",
            smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=1),
            sender=SenderSettings(address=SENDER),
        )
        app = _snapshot_screen(settings, None, tmp_path)
        assert snap_compare(app, terminal_size=(80, 24), run_before=_send_and_fold)


def test_cancel_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _fixed_port("cancel", monkeypatch)

    async def send_then_cancel(pilot: Any) -> None:
        await pilot.press("enter")
        screen = pilot.app.screen_under_test
        await eventually(lambda: screen.record.current_stage == "greeting")
        await pilot.press("escape")
        await finished(pilot)
        await pilot.press("l")
        await pilot.pause()

    with _silent_listener(port):
        settings = Settings(
            provider="custom",
            smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=600),
            sender=SenderSettings(address=SENDER),
        )
        app = _snapshot_screen(settings, None, tmp_path)
        assert snap_compare(app, terminal_size=(80, 24), run_before=send_then_cancel)


async def test_repeated_stages_get_a_row_each_and_a_target(tmp_path: Path) -> None:
    """One rcpt row per recipient (the copy too), a failed stage that never started, and the
    token stage of an OAuth send: each drawn, none crashing."""
    from tui.core.events import SendFinished, StageEnded, StageStarted

    settings = Settings(
        smtp=SmtpSettings(host="127.0.0.1", port=1, security="none"),
        sender=SenderSettings(address=SENDER, copy_to="archive@example.com"),
    )
    screen = TestSendScreen(settings, None, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        screen.record.to = "boss@example.com"
        events = [
            StageStarted("token"),
            StageEnded("token", True, 5),
            StageStarted("rcpt", target="boss@example.com"),
            StageStarted("rcpt", target="archive@example.com"),
            StageEnded("rcpt", True, 3, "250 OK", target="boss@example.com"),
            StageEnded(
                "rcpt", False, 4, "550 no [b]such[/b] box\x1b[2J", target="archive@example.com"
            ),
            StageEnded("data", False, 1, "never started"),
        ]
        for event in events:
            screen._on_event(event)  # all in one go, before any row is drawn
        await pilot.pause()
        shown = [
            (row.stage, row.ok, str(row.query_one(".label", Static).visual))
            for row in screen.query(StageRow)
        ]
        from tui.core.report import stage_label

        core_label = stage_label("token", settings)  # the core's words once it has them
        token_label = core_label if core_label != "token" else "Getting a sign-in token"
        assert shown == [
            ("token", True, token_label),
            ("rcpt", True, "Giving the recipient boss@example.com"),
            ("rcpt", False, "Giving the recipient archive@example.com"),
            ("data", False, "Sending the message"),
        ]
        reply = str(screen.query(StageRow)[2].query_one(".reply", Static).visual)
        assert reply == "550 no [b]such[/b] box\\x1b[2J"
        screen._on_event(SendFinished(ok=False, total_ms=9))


async def test_the_total_is_the_users_time_and_the_keyring_is_a_stage(
    tmp_path: Path,
    starttls_server: SmtpServer,
    memory_keyring: MemoryKeyring,
) -> None:
    """From Enter to the verdict, every wait is a stage and is in the Total: reading a slow
    keyring (here 0.4 s) was outside both."""
    import threading
    import time

    memory_keyring.entries[("mailwiz", f"{USERNAME}@127.0.0.1")] = PASSWORD
    slow = threading.Event()
    real_get = memory_keyring.get_password

    def slow_get(service: str, username: str) -> str | None:
        slow.wait(0.4)  # a keyring that takes its time (D-Bus, an unlock)
        return real_get(service, username)

    memory_keyring.get_password = slow_get  # type: ignore[method-assign]
    screen = TestSendScreen(
        starttls_server.settings(),
        None,
        tmp_path / "settings.toml",
        time_format=lambda ms: f"{ms:.0f}",
    )
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        began = time.monotonic()
        await pilot.press("enter")
        await finished(pilot)
        wall_ms = (time.monotonic() - began) * 1000
        assert screen.state == "ok"
        first = screen.query(StageRow).first()
        assert (first.stage, first.ok) == ("password", True)
        assert "Reading the stored password" in str(first.query_one(".label", Static).visual)
        stage_ms = [
            float(str(row.query_one(".ms", Static).visual)) for row in screen.query(StageRow)
        ]
        total = float(str(screen.query_one("#elapsed", Static).visual).removeprefix("Total "))
        assert stage_ms[0] >= 400
        assert sum(stage_ms) <= total <= wall_ms
