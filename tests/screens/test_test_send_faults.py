"""Every failure the engines and the practice server can give shows on the test screen as
itself, with its own words and marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.screens.send_screen import WRONG, transcript
from tests.servers import (
    PASSWORD,
    USERNAME,
)
from tests.ui_helpers import ScreenHost, finished, visible_text
from tui.core.events import FailureKind
from tui.core.practice import EXPECTED_FAILURE, FAIL_MODES, PracticeServer
from tui.core.settings import Settings
from tui.screens.test_send import MARK_FAILED, MARK_OK, StageRow, TestSendScreen
from tui.screens.troubleshoot import TroubleshootScreen

pytestmark = pytest.mark.usefixtures("engines_loaded")


# ---------------------------------------------------------------------------------------
# Every failure the engine can report shows as that failure (never "a bug"): each practice
# server misbehaviour, and each fault the engine's own tests cover, through the screen and
# on to the troubleshooting screen.

APP_PASSWORD_REPLY = (
    "534-5.7.9 Application-specific password required. Learn more at\r\n"
    "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor"
)
M365_REPLY = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled."

Made = tuple[Settings, str | None]


def _server_fault(request: pytest.FixtureRequest, name: str) -> Made:
    """Settings and password that make a real local server fail in the way `name` says."""
    from tests.servers import Script

    start = request.getfixturevalue("smtp_server")
    scripted = request.getfixturevalue("scripted_server")
    if name == "dns":
        return start("tls").settings(host="smtp..example.com"), PASSWORD
    if name == "refused":
        return start("tls").settings(port=request.getfixturevalue("refused_port")), PASSWORD
    if name == "blackhole":
        return request.getfixturevalue("blackhole").settings(timeout=1), None
    if name == "trickle":
        return request.getfixturevalue("trickle_server").settings(timeout=1), None
    if name in ("expired", "wrong_name", "untrusted"):
        return start("tls", cert=name).settings(), PASSWORD
    if name == "plain-on-tls-port":
        return scripted(Script()).settings(security="tls", username=USERNAME), PASSWORD
    if name == "starttls-on-tls-port":
        return start("tls").settings(security="starttls", timeout=6), PASSWORD
    if name == "no-starttls":
        return start("none").settings(security="starttls"), PASSWORD
    if name == "starttls-454":
        script = Script(ehlo=("250-mx.example.com", "250-STARTTLS", "250 AUTH PLAIN LOGIN"))
        return scripted(script).settings(security="starttls", username=USERNAME), PASSWORD
    if name == "wrong-password":
        return start("starttls").settings(), WRONG
    if name == "app-password":
        return start("starttls", auth_reply=APP_PASSWORD_REPLY).settings(), PASSWORD
    if name == "m365-auth-disabled":
        return start("starttls", auth_reply=M365_REPLY).settings(), PASSWORD
    if name == "greeting-421":
        script = Script(greeting="421 4.3.2 Service not available", close_after_greeting=True)
        return scripted(script).settings(), None
    if name == "not-smtp":
        return scripted(Script(greeting="HTTP/1.1 400 Bad Request")).settings(), None
    if name == "size-limit":
        return scripted(Script(ehlo=("250-tiny.example.com", "250 SIZE 100"))).settings(), None
    if name == "hang-up-in-data":
        return scripted(Script(hang_up_in_data=True)).settings(), None
    if name == "no-login-encryption":
        return request.getfixturevalue("blackhole").settings(username=USERNAME), PASSWORD
    server = start("tls")
    replies = {
        "sender": ("mail_reply", "553 5.7.1 Sender address rejected: not owned by user"),
        "recipient": ("rcpt_reply", "550 5.1.1 <rcpt@example.com>: user unknown"),
        "greylisted": ("mail_reply", "451 4.7.1 Greylisted, try again later"),
        "data-refused": ("data_reply", "554 5.7.1 Message rejected as spam"),
    }
    if name == "copy-refused":
        server.handler.rcpt_replies["archive@example.com"] = "550 5.1.1 no such mailbox"
        return server.settings(copy_to="archive@example.com"), PASSWORD
    attribute, reply = replies[name]
    setattr(server.handler, attribute, reply)
    return server.settings(), PASSWORD


SERVER_FAULTS = [
    ("dns", FailureKind.DNS),
    ("refused", FailureKind.REFUSED),
    ("blackhole", FailureKind.TIMEOUT),
    ("trickle", FailureKind.TIMEOUT),
    ("expired", FailureKind.CERTIFICATE),
    ("wrong_name", FailureKind.CERTIFICATE),
    ("untrusted", FailureKind.CERTIFICATE),
    ("plain-on-tls-port", FailureKind.TLS),
    ("starttls-on-tls-port", FailureKind.TLS),
    ("no-starttls", FailureKind.NO_STARTTLS),
    ("starttls-454", FailureKind.NO_STARTTLS),
    ("no-login-encryption", FailureKind.NO_STARTTLS),
    ("wrong-password", FailureKind.AUTH),
    ("app-password", FailureKind.AUTH),
    ("m365-auth-disabled", FailureKind.AUTH),
    ("sender", FailureKind.SENDER),
    ("recipient", FailureKind.RECIPIENT),
    ("copy-refused", FailureKind.RECIPIENT),
    ("data-refused", FailureKind.MESSAGE),
    ("hang-up-in-data", FailureKind.MESSAGE),
    ("size-limit", FailureKind.MESSAGE),
    ("greylisted", FailureKind.TEMPORARY),
    ("greeting-421", FailureKind.TEMPORARY),
    ("not-smtp", FailureKind.REFUSED),
]


async def _assert_shown_as(
    tmp_path: Path, settings: Settings, password: str | None, kind: FailureKind
) -> None:
    """The screen ends failed with this kind, its one-line summary is the diagnosis, every
    row drawn (a failed stage that never started too), and `t` opens the troubleshooting
    screen for this failure."""
    screen = TestSendScreen(settings, password, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await finished(pilot)
        assert screen.state == "failed", visible_text(screen)
        assert screen.failure is not None and screen.failure.kind == kind, screen.failure
        assert screen.diagnosis is not None
        summary = str(screen.query_one("#result", Static).visual)
        assert (
            summary
            == f"{MARK_FAILED} {screen.diagnosis.title} Press t for the cause and what to do."
        )
        assert "a bug" not in summary and "unexpected" not in summary
        for row in screen.query(StageRow):
            assert str(row.query_one(".mark", Static).visual) in (MARK_OK, MARK_FAILED)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TroubleshootScreen)
        trouble = visible_text(app.screen)
        assert screen.diagnosis.title in trouble or screen.diagnosis.cause in trouble
        assert "a bug" not in trouble


@pytest.mark.parametrize(("fault", "kind"), SERVER_FAULTS, ids=[f for f, _ in SERVER_FAULTS])
async def test_every_engine_fault_shows_as_itself(
    tmp_path: Path, request: pytest.FixtureRequest, fault: str, kind: FailureKind
) -> None:
    settings, password = _server_fault(request, fault)
    await _assert_shown_as(tmp_path, settings, password, kind)


@pytest.mark.parametrize("mode", FAIL_MODES)
async def test_every_practice_failure_shows_as_itself(tmp_path: Path, mode: str) -> None:
    """`mailwiz sandbox --fail MODE` / the practice server's misbehaviours."""
    with PracticeServer(fail=mode) as server:  # type: ignore[arg-type]
        settings = server.settings(timeout=2)
        await _assert_shown_as(tmp_path, settings, server.password, EXPECTED_FAILURE[mode])


async def test_http_relay_refusal_shows_as_itself(tmp_path: Path) -> None:
    from tests.relay_server import Reply, relay_settings, serve

    with serve(Reply(status=422, body=b"reply_to is required")) as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        await _assert_shown_as(tmp_path, settings, None, FailureKind.HTTP)
    with serve(Reply(status=500, body=b"relay is down")) as relay:  # a refusal too (exit 21)
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        await _assert_shown_as(tmp_path, settings, None, FailureKind.HTTP)


async def test_markup_and_escapes_in_a_reply_show_as_text(
    tmp_path: Path,
    smtp_server: Any,
) -> None:
    """A reply holding Rich markup and terminal escapes: shown as text, escaped."""
    server = smtp_server("tls")
    server.handler.rcpt_reply = "550 5.1.1 [bold]no[/bold] [link=http://x]user[/link] \x1b]0;t\x07"
    screen = TestSendScreen(server.settings(), PASSWORD, tmp_path / "settings.toml")
    app = ScreenHost(screen)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.press("enter")
        await finished(pilot)
        reply = str(screen.query(StageRow).last().query_one(".reply", Static).visual)
        assert "[bold]no[/bold]" in reply and "[link=http://x]" in reply
        assert "\x1b" not in reply and "\x07" not in reply
        assert "\x1b" not in transcript(screen) and "\x07" not in transcript(screen)
