"""The live test send screen, against real local servers (aiosmtpd with STARTTLS and AUTH,
a blackhole that never answers, a port where nothing listens)."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Log, ProgressBar, Static

from tests.memory_keyring import MemoryKeyring
from tests.servers import (  # noqa: F401 - fixtures used by name
    PASSWORD,
    SENDER,
    USERNAME,
    SmtpServer,
    SocketServer,
    blackhole,
    certs,
    refused_port,
    smtp_server,
    socket_server,
    starttls_server,
)
from tests.ui_helpers import ScreenHost, visible_text
from tests.waiting import eventually
from tui.core.events import FailureKind
from tui.core.practice import EXPECTED_FAILURE, FAIL_MODES, PracticeServer
from tui.core.settings import SenderSettings, Settings, SmtpSettings
from tui.screens.test_send import MARK_FAILED, MARK_OK, StageRow, TestOutcome, TestSendScreen
from tui.screens.troubleshoot import TroubleshootScreen

WRONG = "not-the-Password-42"


@pytest.fixture(autouse=True)
def _engines_loaded() -> None:
    """Both engines imported before the screen opens, so no test here (a snapshot above all)
    depends on whether the screen's own import is over when Enter is pressed: the wait for
    it, the stage `engine`, has its own test (test_test_send_time.py)."""
    from tui.core.send import load_engine

    load_engine(Settings(protocol="smtp"))
    load_engine(Settings(protocol="http"))


def rows(screen: TestSendScreen) -> list[tuple[str, bool | None]]:
    return [(row.stage, row.ok) for row in screen.query(StageRow)]


def transcript(screen: TestSendScreen) -> str:
    return "\n".join(screen.query_one("#transcript", Log).lines)


async def finished(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_real_send_shows_every_stage_and_success(
    tmp_path: Path,
    starttls_server: SmtpServer,  # noqa: F811
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
    starttls_server: SmtpServer,  # noqa: F811
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
    starttls_server: SmtpServer,  # noqa: F811
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
    blackhole: SocketServer,  # noqa: F811
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


async def test_retry_runs_the_send_again(tmp_path: Path, refused_port: int) -> None:  # noqa: F811
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
    smtp_server: Any,  # noqa: F811
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
    smtp_server: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fixed_port("ok", monkeypatch)
    server = smtp_server("starttls", server_hostname="mail.example.test", ident="ESMTP")
    app = _snapshot_screen(server.settings(), PASSWORD, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_send_and_fold)


def test_certificate_failure_snapshot(
    snap_compare: Any,
    tmp_path: Path,
    smtp_server: Any,  # noqa: F811
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
    starttls_server: SmtpServer,  # noqa: F811
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
