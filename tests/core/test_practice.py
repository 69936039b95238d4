"""The practice server: a real loopback SMTP server, driven through the real send engine."""

from __future__ import annotations

import base64
import os
import signal
import smtplib
import socket
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.core.events import SendEvent, SendFinished, StageEnded, TranscriptLine
from tui.core.message import Attachment, Outgoing
from tui.core.practice import FAIL_MODES, PracticeServer
from tui.core.practice_smtp import ReceivedMessage, parse_message
from tui.core.settings import errors, validate

RECIPIENT = "someone@example.com"


def outgoing(subject: str = "Practice run") -> Outgoing:
    return Outgoing(
        to=RECIPIENT,
        subject=subject,
        text="Hello from the practice run.",
        attachments=(
            Attachment("report.pdf", "application/pdf", b"%PDF-1.4 practice"),
            Attachment("notes.txt", "text/plain", b"some notes\n"),
        ),
    )


async def send(
    server: PracticeServer, password: str | None = None, subject: str = "Practice run"
) -> list[SendEvent]:
    from tui.core.transports.smtp.engine import send_smtp

    settings = server.settings(timeout=2)
    secret = server.password if password is None else password
    return [event async for event in send_smtp(settings, secret, outgoing(subject))]


def finished(events: list[SendEvent]) -> SendFinished:
    last = events[-1]
    assert isinstance(last, SendFinished)
    return last


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[PracticeServer]:
    with PracticeServer(folder=tmp_path) as server:
        yield server


# ------------------------------------------------------------------------- a good send


async def test_accepts_a_send_with_starttls_and_auth_and_lists_it(
    practice: PracticeServer,
) -> None:
    arrived: list[ReceivedMessage] = []
    practice.on_message(arrived.append)

    events = await send(practice)

    result = finished(events)
    assert result.ok, result.failure
    passed = {e.stage for e in events if isinstance(e, StageEnded) and e.ok}
    assert {"starttls", "auth", "mail", "rcpt", "data"} <= passed
    [message] = practice.messages
    assert arrived == [message]
    assert message.sender == "practice@example.com"
    assert message.recipients == (RECIPIENT,)
    assert message.subject == "Practice run"
    assert message.attachments == (
        ("report.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
    )
    assert message.size > len(b"%PDF-1.4 practice")
    assert message.received_at.tzinfo is not None
    assert "practice@example.com" in message.from_header
    assert "report.pdf" in message.summary() and "Practice run" in message.summary()


async def test_messages_are_listed_in_the_order_they_arrive(practice: PracticeServer) -> None:
    for subject in ("first", "second"):
        assert finished(await send(practice, subject=subject)).ok
    assert [m.subject for m in practice.messages] == ["first", "second"]


async def test_the_password_never_shows_in_the_transcript(practice: PracticeServer) -> None:
    events = await send(practice)
    assert finished(events).ok
    text = "\n".join(e.text for e in events if isinstance(e, TranscriptLine))
    plain = base64.b64encode(f"\0{practice.username}\0{practice.password}".encode()).decode()
    assert text, "no transcript: the check below would prove nothing"
    assert practice.password not in text
    assert plain not in text
    assert base64.b64encode(practice.password.encode()).decode() not in text


async def test_a_wrong_password_is_refused_like_a_real_server(practice: PracticeServer) -> None:
    result = finished(await send(practice, password="not-the-password"))
    assert result.failure is not None
    assert result.failure.exit_code == 16
    assert "simulated" not in result.failure.reply  # a real mistake, not the auth mode
    assert practice.messages == []


async def test_a_callback_that_fails_does_not_stop_the_server(practice: PracticeServer) -> None:
    def broken(message: ReceivedMessage) -> None:
        raise RuntimeError("listener bug")

    later: list[ReceivedMessage] = []
    practice.on_message(broken)
    practice.on_message(later.append)
    assert finished(await send(practice)).ok
    assert len(later) == 1


async def test_a_removed_callback_is_no_longer_called(practice: PracticeServer) -> None:
    seen: list[ReceivedMessage] = []
    remove = practice.on_message(seen.append)
    remove()
    remove()  # twice is harmless
    assert finished(await send(practice)).ok
    assert seen == []
    assert len(practice.messages) == 1


# ---------------------------------------------------------------------- misbehaviour

# mode -> (exit code as README.md lists it, words the diagnosis title must contain)
EXPECTED = {
    "auth": (16, "username or password"),
    "tls": (14, "certificate"),
    "starttls": (15, "encryption"),
    "timeout": (12, "did not"),
    "recipient": (18, "recipient"),
    "temporary": (20, "try again later"),
}


def test_every_fail_mode_is_covered_here() -> None:
    assert set(EXPECTED) == set(FAIL_MODES)


@pytest.mark.parametrize("mode", sorted(EXPECTED))
async def test_each_fail_mode_gives_its_exit_code_and_diagnosis(mode: str, tmp_path: Path) -> None:
    from tui.core.diagnose.handlers import diagnose

    exit_code, words = EXPECTED[mode]
    with PracticeServer(fail=mode, folder=tmp_path) as server:
        result = finished(await send(server))
        settings = server.settings(timeout=2)
        assert not result.ok
        assert result.failure is not None
        assert result.failure.exit_code == exit_code, result.failure
        diagnosis = diagnose(result.failure, settings)
        assert words in diagnosis.title.lower(), diagnosis
        assert server.messages == []
        if mode == "tls":
            # the practice server is the user's own server: the lesson is the CA file
            assert diagnosis.field == "smtp.ca_file", diagnosis


async def test_tls_mode_certificate_comes_from_another_authority(tmp_path: Path) -> None:
    with PracticeServer(fail="tls", folder=tmp_path) as server:
        result = finished(await send(server))
    assert result.failure is not None and result.failure.certificate is not None
    cert = result.failure.certificate
    # The name is right (the lesson is about the authority, not the name) ...
    assert "127.0.0.1" in cert.names
    # ... but the authority is not the one in ca_file.
    assert "nobody trusts" in cert.issuer


def test_starttls_mode_offers_neither_starttls_nor_auth(tmp_path: Path) -> None:
    with (
        PracticeServer(fail="starttls", folder=tmp_path) as server,
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
    ):
        client.ehlo()
        assert not client.has_extn("starttls")
        assert not client.has_extn("auth")
        code, _ = client.mail("practice@example.com")
        assert code == 530  # sending without signing in is refused too


def test_timeout_mode_accepts_the_connection_and_never_speaks(tmp_path: Path) -> None:
    with (
        PracticeServer(fail="timeout", folder=tmp_path) as server,
        socket.create_connection((server.host, server.port), timeout=0.5) as conn,
    ):
        conn.sendall(b"EHLO me\r\n")
        with pytest.raises(TimeoutError):
            conn.recv(100)


def test_an_unknown_fail_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="auth, tls, starttls"):
        PracticeServer(fail="slow")


# ----------------------------------------------------------- certificate and secrets


def test_the_ca_file_is_private_and_removed_on_stop(tmp_path: Path) -> None:
    server = PracticeServer(folder=tmp_path)
    with pytest.raises(RuntimeError):
        _ = server.ca_file  # nothing exists before start
    server.start()
    try:
        ca_file = server.ca_file
        assert ca_file.parent.parent == tmp_path
        assert stat.S_IMODE(ca_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(ca_file.parent.stat().st_mode) == 0o700
        assert ca_file.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        # Only the authority's certificate (and the owner's pid, so an abandoned folder can be
        # recognised) sit there: the server's key stays in memory.
        assert sorted(p.name for p in ca_file.parent.iterdir()) == sorted(
            [ca_file.name, "owner.pid"]
        )
    finally:
        server.stop()
    assert not ca_file.exists()
    assert not ca_file.parent.exists()
    assert tmp_path.exists()  # only our own folder is removed


def test_the_certificate_passes_strict_verification(practice: PracticeServer) -> None:
    # Python 3.13's default context adds VERIFY_X509_STRICT: the certificates must pass it.
    context = ssl.create_default_context(cafile=str(practice.ca_file))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    with smtplib.SMTP(practice.host, practice.port, timeout=5) as client:
        client.starttls(context=context)
        client.login(practice.username, practice.password)
        client.sendmail("practice@example.com", [RECIPIENT], b"Subject: strict\r\n\r\nhi\r\n")
    assert [m.subject for m in practice.messages] == ["strict"]


def test_the_certificate_also_covers_localhost(practice: PracticeServer) -> None:
    context = ssl.create_default_context(cafile=str(practice.ca_file))
    with smtplib.SMTP("localhost", practice.port, timeout=5) as client:
        client.starttls(context=context)
        client.ehlo()
        assert client.has_extn("auth")


def test_auth_is_not_offered_before_starttls(practice: PracticeServer) -> None:
    with smtplib.SMTP(practice.host, practice.port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        code, _ = client.mail("practice@example.com")
        assert code == 530  # STARTTLS first


def test_the_password_is_random_per_run(tmp_path: Path) -> None:
    first, second = PracticeServer(folder=tmp_path), PracticeServer(folder=tmp_path)
    assert first.password != second.password
    assert len(first.password) >= 20


def test_stop_frees_the_port(tmp_path: Path) -> None:
    server = PracticeServer(folder=tmp_path)
    server.start()
    port = server.port
    with socket.create_connection((server.host, port), timeout=5):
        pass  # a connection open while stopping must not hold the port
    server.stop()
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()


def test_stop_closes_a_silent_connection(tmp_path: Path) -> None:
    with PracticeServer(fail="timeout", folder=tmp_path) as server:
        conn = socket.create_connection((server.host, server.port), timeout=5)
    with conn:
        assert conn.recv(100) == b""  # closed by the server, not left hanging


def test_a_server_runs_once(tmp_path: Path) -> None:
    server = PracticeServer(folder=tmp_path)
    server.start()
    with pytest.raises(RuntimeError, match="already"):
        server.start()
    server.stop()
    server.stop()  # harmless
    with pytest.raises(RuntimeError, match="create a new one"):
        server.start()


# --------------------------------------------------------------------------- settings


def test_settings_are_valid_and_keep_certificate_checks_on(practice: PracticeServer) -> None:
    settings = practice.settings()
    assert [p for p in validate(settings) if p.severity == "error"] == []
    assert errors(settings) == []
    assert settings.provider == "practice"
    assert settings.smtp.host == "127.0.0.1"
    assert settings.smtp.port == practice.port
    assert settings.smtp.security == "starttls"
    assert settings.smtp.verify_certificate is True
    assert settings.smtp.ca_file == str(practice.ca_file)
    assert settings.smtp.username == practice.username
    assert settings.password.store == "none"  # a practice password never goes to the keyring
    assert settings.from_address == "practice@example.com"
    assert practice.settings(sender="me@example.org").from_address == "me@example.org"


def test_timeout_mode_settings_do_not_make_a_demo_wait_long(tmp_path: Path) -> None:
    with PracticeServer(fail="timeout", folder=tmp_path) as server:
        assert server.settings().smtp.timeout <= 10
        assert server.settings(timeout=3).smtp.timeout == 3


def test_connection_rows_show_what_to_type(tmp_path: Path) -> None:
    with PracticeServer(fail="auth", folder=tmp_path) as server:
        rows = dict(server.connection_rows())
    assert rows["Port"] == str(server.port)
    assert rows["Password"] == server.password
    assert rows["Misbehaves"].startswith("auth:")


# ----------------------------------------------------------------- message parsing


def test_a_hostile_subject_and_filename_cannot_drive_the_terminal() -> None:
    raw = (
        b"From: a@example.com\r\n"
        b"Subject: =?utf-8?q?hi=1B[2J=07there?=\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="evil\x1b]0;x\x07.bin"\r\n\r\nxx\r\n'
        b"--b--\r\n"
    )
    message = parse_message(raw, "a@example.com", ("b@example.com",))
    assert "\x1b" not in message.subject and "\x07" not in message.subject
    assert message.subject.startswith("hi") and message.subject.endswith("there")
    [(name, kind)] = message.attachments
    assert "\x1b" not in name and "\x07" not in name
    assert kind == "application/octet-stream"


def test_a_plain_message_has_no_attachments() -> None:
    message = parse_message(b"Subject: plain\r\n\r\nhello\r\n", "a@example.com", ("b@example.com",))
    assert message.subject == "plain"
    assert message.attachments == ()
    assert message.size == len(b"Subject: plain\r\n\r\nhello\r\n")


def test_a_practice_folder_abandoned_by_a_killed_process_is_removed_next_time(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    from tui.core.practice import FOLDER_PREFIX, OWNER_FILENAME, remove_abandoned_folders

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    abandoned = tmp_path / f"{FOLDER_PREFIX}killed"
    abandoned.mkdir()
    (abandoned / OWNER_FILENAME).write_text(gone.stdout)
    alive = tmp_path / f"{FOLDER_PREFIX}alive"
    alive.mkdir()
    (alive / OWNER_FILENAME).write_text(f"{os.getppid()}\n")
    unknown = tmp_path / f"{FOLDER_PREFIX}no-owner-file"
    unknown.mkdir()
    with PracticeServer(folder=tmp_path) as server:
        assert server.folder.exists()
    assert not abandoned.exists()
    assert alive.exists() and unknown.exists()
    assert remove_abandoned_folders(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_process_killed_while_practising_removes_the_folder_first(
    tmp_path: Path, signum: int
) -> None:
    import subprocess
    import sys

    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tui.core.practice import PracticeServer\n"
        "server = PracticeServer(folder=Path(sys.argv[1]))\n"
        "server.start()\n"
        "print(server.folder, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    folder = Path(process.stdout.readline().strip())
    assert folder.is_dir()
    process.send_signal(signum)
    assert process.wait(timeout=20) == -signum  # it still ends as the signal says
    assert not folder.exists()
