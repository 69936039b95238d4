"""The live test send screen, against real local servers (aiosmtpd with STARTTLS and AUTH,
a blackhole that never answers, a port where nothing listens)."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, ProgressBar, Static

from tests.memory_keyring import MemoryKeyring
from tests.screens.send_screen import WRONG, rows, transcript
from tests.servers import (
    PASSWORD,
    SENDER,
    USERNAME,
    SmtpServer,
    SocketServer,
)
from tests.ui_helpers import ScreenHost, finished, visible_text
from tests.waiting import eventually
from tui.core.events import FailureKind
from tui.core.settings import SenderSettings, Settings, SmtpSettings
from tui.screens.test_send import MARK_FAILED, MARK_OK, StageRow, TestOutcome, TestSendScreen
from tui.screens.troubleshoot import TroubleshootScreen

pytestmark = pytest.mark.usefixtures("engines_loaded")


async def test_real_send_shows_every_stage_and_success(
    tmp_path: Path,
    starttls_server: SmtpServer,
) -> None:
    screen = TestSendScreen(starttls_server.settings(), PASSWORD, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert screen.query_one("#to", Input).value == SENDER  # the sender by default
        assert screen.query_one("#to", Input).has_focus
        await pilot.press("enter")
        await finished(pilot)
        stages = rows(screen)
        assert [stage for stage, _ in stages] == [
            "connect",
            "greeting",
            "ehlo",
            "starttls",
            "ehlo",
            "auth",
            "mail",
            "rcpt",
            "data",
            "quit",
        ]
        assert all(ok for _, ok in stages)
        labels = [str(row.query_one(".label", Static).visual) for row in screen.query(StageRow)]
        assert f"Connecting to 127.0.0.1:{starttls_server.port}" in labels
        assert f"Logging in as {USERNAME}" in labels
        marks = {str(row.query_one(".mark", Static).visual) for row in screen.query(StageRow)}
        assert marks == {MARK_OK}
        bar = screen.query_one("#progress", ProgressBar)
        assert bar.progress == bar.total
        text = visible_text(screen)
        assert (
            "The server accepted the message — check the inbox (and the spam folder) of "
            f"{SENDER}." in text
        )
        log = transcript(screen)
        assert "STARTTLS" in log
        assert PASSWORD not in log
        assert base64.b64encode(PASSWORD.encode()).decode() not in log
        await pilot.press("enter")
        await pilot.pause()
    assert len(starttls_server.received) == 1
    assert starttls_server.received[0].rcpt_tos == [SENDER]
    assert app.results == [TestOutcome(ok=True, action="save", to=SENDER)]


async def test_another_recipient_and_the_stored_password(
    tmp_path: Path,
    starttls_server: SmtpServer,
    memory_keyring: MemoryKeyring,
) -> None:
    """password=None: the stored one is looked up (in a thread), as when editing."""
    memory_keyring.entries[("mailwiz", f"{USERNAME}@127.0.0.1")] = PASSWORD
    screen = TestSendScreen(starttls_server.settings(), None, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("home", "ctrl+k", *"boss@example.com", "enter")
        await finished(pilot)
        assert screen.state == "ok"
        assert "of boss@example.com." in visible_text(screen)
    assert starttls_server.received[0].rcpt_tos == ["boss@example.com"]


async def test_wrong_password_diagnosis_and_troubleshooting(
    tmp_path: Path,
    starttls_server: SmtpServer,
) -> None:
    screen = TestSendScreen(starttls_server.settings(), WRONG, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await finished(pilot)
        assert screen.state == "failed"
        assert screen.failure is not None and screen.failure.kind == FailureKind.AUTH
        assert ("auth", False) in rows(screen)
        failed_mark = screen.query(StageRow).last().query_one(".mark", Static)
        assert str(failed_mark.visual) == MARK_FAILED
        assert screen.diagnosis is not None and screen.diagnosis.field == "password"
        text = visible_text(screen)
        assert screen.diagnosis.title in text and "Press t" in text
        # The support report never holds the password, plain or base64.
        report = screen.report_text()
        plain_blob = base64.b64encode(f"\0{USERNAME}\0{WRONG}".encode()).decode()
        for secret in (WRONG, base64.b64encode(WRONG.encode()).decode(), plain_blob):
            assert secret not in report
            assert secret not in transcript(screen)
        assert "FAILED at stage auth" in report
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TroubleshootScreen)
        trouble = visible_text(app.screen)
        assert screen.diagnosis.cause in trouble
        assert "The field concerned: Password" in trouble
        await pilot.press("f")
        await pilot.pause()
    assert app.results == [
        TestOutcome(ok=False, action="edit", field="password", to=SENDER, failure=screen.failure)
    ]
    assert starttls_server.received == []


async def test_cancel_against_a_server_that_never_answers(
    tmp_path: Path,
    blackhole: SocketServer,
) -> None:
    settings = blackhole.settings(timeout=600)  # only the user's cancel can end this
    screen = TestSendScreen(settings, None, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        # until the server has accepted and we wait for its greeting
        await eventually(lambda: screen.record.current_stage == "greeting")
        assert screen.record.current_stage == "greeting"
        assert screen.state == "running"
        await pilot.press("escape")
        await pilot.pause()
        assert screen.state == "cancelled"
        assert "Cancelled — nothing was sent" in visible_text(screen)
        await finished(pilot)  # the worker really ended
        assert blackhole.client_closed.wait(10)  # and the connection was closed
        # Escape again goes back; nothing decided.
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [TestOutcome(ok=False, action="cancel", to=SENDER)]


async def test_invalid_recipient_is_refused_before_sending(tmp_path: Path) -> None:
    settings = Settings(
        smtp=SmtpSettings(host="127.0.0.1", port=1, security="none"),
        sender=SenderSettings(address=SENDER),
    )
    screen = TestSendScreen(settings, None, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("home", "ctrl+k", *"not an address", "enter")
        await pilot.pause()
        assert screen.state == "ready"
        assert "The recipient:" in visible_text(screen)
        assert not list(screen.query(StageRow))
        assert screen.query_one("#to", Input).has_focus


def _port_one_is_refused() -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", 1))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
    return False


def test_failed_test_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    """A refused connection, with every time shown as a fixed value so the picture is stable."""
    if not _port_one_is_refused():
        pytest.skip("something answers on 127.0.0.1:1 here")
    settings = Settings(
        provider="custom",
        smtp=SmtpSettings(host="127.0.0.1", port=1, security="starttls", username=USERNAME),
        sender=SenderSettings(address=SENDER),
    )
    screen = TestSendScreen(
        settings, "irrelevant", tmp_path / "settings.toml", time_format=lambda ms: "12 ms"
    )

    async def send(pilot: Any) -> None:
        await pilot.press("enter")
        await finished(pilot)

    assert snap_compare(ScreenHost(screen), terminal_size=(80, 24), run_before=send)


async def test_http_relay_send(tmp_path: Path) -> None:
    """The same screen with an HTTP relay (plain http on loopback): the relay's stages."""
    from tests.relay_server import Reply, relay_settings, serve

    with serve(Reply(status=200)) as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        screen = TestSendScreen(settings, None, tmp_path / "settings.toml")
        app = ScreenHost(screen)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")
            await finished(pilot)
            assert screen.state == "ok", visible_text(screen)
            assert [stage for stage, _ in rows(screen)][-2:] == ["post", "response"]
            assert all(ok for _, ok in rows(screen))
            assert "The relay accepted the message" in visible_text(screen)
        assert len(relay.received) == 1
        assert b"shop@example.org" in relay.received[0].body


async def test_retry_runs_the_send_again(tmp_path: Path, refused_port: int) -> None:
    settings = Settings(
        smtp=SmtpSettings(host="127.0.0.1", port=refused_port, security="none"),
        sender=SenderSettings(address=SENDER),
    )
    screen = TestSendScreen(settings, None, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await finished(pilot)
        assert screen.state == "failed"
        assert screen.failure is not None and screen.failure.kind == FailureKind.REFUSED
        first = screen.record
        await pilot.press("r")
        await finished(pilot)
        assert screen.record is not first and screen.state == "failed"
        # the old rows were cleared (reading the stored password is a stage of its own)
        assert rows(screen) == [("password", True), ("connect", False)]
        await pilot.press("e")  # "Fix settings": back to the field the diagnosis names
        await pilot.pause()
    assert app.results[0].action == "edit"
    assert app.results[0].field == screen.diagnosis.field != ""
