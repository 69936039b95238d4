"""The troubleshooting screen: this failure's diagnosis first, the general steps, the report."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.leaks import leak_forms
from tests.ui_helpers import ScreenHost
from tui.core.diagnose.handlers import diagnose, general_steps
from tui.core.events import (
    Failure,
    FailureKind,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.providers import get_provider
from tui.core.report import SendRecord, build_report
from tui.core.settings import Settings, SmtpSettings
from tui.screens.troubleshoot import TroubleshootScreen

PASSWORD = "wrong-pass-123"


def gmail(username: str = "shop@gmail.com") -> Settings:
    settings = Settings(provider="gmail")
    settings.smtp = SmtpSettings(host="smtp.gmail.com", port=465, security="tls", username=username)
    return settings


def auth_failure() -> Failure:
    return Failure(
        kind=FailureKind.AUTH,
        stage="auth",
        code=535,
        enhanced="5.7.8",
        reply="5.7.8 Username and Password not accepted",
    )


def make_screen(
    config_path: Path | None = None, *, username: str = "shop@gmail.com", echo: bool = False
) -> TroubleshootScreen:
    settings = gmail(username)
    failure = auth_failure()
    record = SendRecord(to="shop@gmail.com")
    # A hostile server echoing the password in every form, as if the engine had missed it.
    echoed = [
        TranscriptLine("<~", f"535 5.7.8 {form}")
        for form in leak_forms(PASSWORD, usernames=[username])
    ]
    for event in (
        *(echoed if echo else []),
        StageStarted("auth"),
        StageEnded("auth", False, 80.0, "535 5.7.8 Username and Password not accepted"),
        SendFinished(ok=False, total_ms=200.0, failure=failure),
    ):
        record.add(event)
    diagnosis = diagnose(failure, settings, get_provider("gmail"))
    report = build_report(settings, record, diagnosis=diagnosis, secrets=[PASSWORD])
    return TroubleshootScreen(failure, diagnosis, settings, report, config_path=config_path)


def visible_text(screen: Any) -> str:
    return "\n".join(str(widget.visual) for widget in screen.query(Static))


async def test_diagnosis_first_then_general_steps_and_field_key() -> None:
    screen = make_screen()
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = visible_text(screen)
        assert screen.diagnosis is not None
        assert screen.diagnosis.title in text
        assert "What happened: " + screen.diagnosis.cause in text
        assert "The field concerned: Password" in text
        assert "5.7.8 Username and Password not accepted" in text
        steps = general_steps(screen.settings)
        for step in steps:
            assert step in text
        assert text.index(screen.diagnosis.title) < text.index(steps[0])
        # The diagnosis title is on screen at 80x24 without scrolling.
        title = screen.query_one("#title")
        assert title.region.bottom <= 23
        await pilot.press("f")
        await pilot.pause()
    assert app.results == ["password"]


async def test_escape_goes_back_without_a_field() -> None:
    app = ScreenHost(make_screen())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_copy_and_write_the_report(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "settings.toml"
    screen = make_screen(config)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == screen.report_text
        assert "Copied the support report" in visible_text(screen)
        await pilot.press("w")
        await pilot.pause()
        written = list((tmp_path / "cfg").glob("mailwiz-report-*.txt"))
        assert len(written) == 1
        assert written[0].read_text() == screen.report_text
        assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
        assert str(written[0]) in visible_text(screen)
    assert "FAILED at stage auth" in screen.report_text


@pytest.mark.parametrize("username", ["a@b.c", "shop@gmail.com", "a.long.account.name@example.org"])
async def test_the_report_never_holds_the_password(tmp_path: Path, username: str) -> None:
    """The transcript echoes the password in every form; the report (shown, copied and written)
    holds none of them, whatever the username's length."""
    screen = make_screen(tmp_path / "settings.toml", username=username, echo=True)
    assert "535 5.7.8" in screen.report_text  # the echoed lines are in the report...
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "w")
        await pilot.pause()
        (written,) = tmp_path.glob("mailwiz-report-*.txt")
        outputs = [screen.report_text, app.clipboard, written.read_text(), visible_text(screen)]
    for output in outputs:
        for form in leak_forms(PASSWORD, usernames=[username]):
            assert form not in output  # ...with the password redacted


async def test_write_failure_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    screen = make_screen(blocker / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w")
        await pilot.pause()
        assert "Could not write the report" in visible_text(screen)
        assert screen.is_current  # still here, nothing lost


def test_troubleshoot_snapshot(snap_compare: Any) -> None:
    assert snap_compare(ScreenHost(make_screen()), terminal_size=(80, 24))


async def test_the_relays_troubleshooting_shows_no_smtp_steps() -> None:
    settings = Settings(protocol="http", provider="http")
    settings.http.url = "https://relay.example.org/send?key=sekrit-key-123"
    failure = Failure(kind=FailureKind.HTTP, stage="response", code=403, reply="403 Forbidden")
    diagnosis = diagnose(failure, settings)
    report = build_report(settings, SendRecord(to="x@example.org"), diagnosis=diagnosis)
    screen = TroubleshootScreen(failure, diagnosis, settings, report)
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = visible_text(screen)
        assert diagnosis.title in text
        assert screen.query_one("#title").region.bottom <= 23
    for smtp_word in ("STARTTLS", "port 465", "app password", "Thunderbird"):
        assert smtp_word not in text
    assert "Relay URL" in text
    assert "sekrit-key-123" not in text
