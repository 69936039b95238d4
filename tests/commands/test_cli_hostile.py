"""Bad input and unlucky moments at the command line (issue 12): bytes on --stdin, a
password variable that is not UTF-8, a busy settings file, planted symlinks, stale temp
files, a reader that goes away, and a server that echoes the password back.

Each protection here was removed once to see its test fail (see the commit message)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.leaks import leak_forms
from tests.memory_keyring import MemoryKeyring
from tests.servers import PASSWORD, USERNAME, SmtpServer, SocketServer
from tui.cli import main
from tui.core import files
from tui.core.credentials import store
from tui.core.settings import Settings, SettingsError, load_settings, save_settings


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def own_server_file(tmp_path: Path, store_name: str = "file") -> Path:
    settings = Settings()
    settings.smtp.host = "mail.example.org"
    settings.smtp.username = "me@example.org"
    settings.password.store = store_name  # type: ignore[assignment]
    return save_settings(settings, tmp_path / "settings.toml")


def mailwiz(
    args: list[str], stdin: bytes = b"", env: dict[str, str | bytes] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environ: dict[str | bytes, str | bytes] = {
        k: v for k, v in os.environ.items() if k != "MAILWIZ_PASSWORD"
    }
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=stdin,
        capture_output=True,
        env=environ,  # type: ignore[arg-type]  # bytes values are fine on POSIX
        timeout=60,
    )


# ------------------------------------------------------------------- password input


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"abc\x00def\n", "NUL byte"),
        (b"abc\rdef\n", "carriage return"),
        (b"\xff\xfepassword\n", "not UTF-8"),
    ],
)
def test_password_stdin_with_bad_bytes_is_exit_2_with_the_reason(
    data: bytes, reason: str, tmp_path: Path
) -> None:
    path = own_server_file(tmp_path)
    result = mailwiz(["password", "--stdin", "--config", str(path)], stdin=data)
    assert result.returncode == 2, result.stderr
    assert reason in result.stderr.decode()
    assert "nothing was stored" in result.stderr.decode()
    assert not store.password_file_path(path).exists()
    assert not list(tmp_path.glob("mailwiz-bug-*"))


def test_password_stdin_accepts_a_crlf_line_ending(tmp_path: Path) -> None:
    path = own_server_file(tmp_path)
    result = mailwiz(["password", "--stdin", "--config", str(path)], stdin=b"s3cret\r\n")
    assert result.returncode == 0, result.stderr
    assert store.password_file_path(path).read_text() == "s3cret\n"


def test_a_password_variable_that_is_not_utf8_gets_a_clear_error(tmp_path: Path) -> None:
    path = own_server_file(tmp_path)
    result = mailwiz(["test", "--config", str(path)], env={"MAILWIZ_PASSWORD": b"p\xe4ss"})
    assert result.returncode == 2
    assert b"MAILWIZ_PASSWORD is not valid UTF-8" in result.stderr
    assert b"mailwiz-bug" not in result.stderr


@contextlib.contextmanager
def lock_held(folder: Path) -> Iterator[None]:
    """Another writer holds the settings lock meanwhile."""
    with (folder / "settings.toml.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def test_a_busy_settings_file_is_explained_and_the_password_rolled_back(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = own_server_file(tmp_path, "keyring")
    before = path.read_text()
    with lock_held(tmp_path):
        monkeypatch.setattr(sys, "stdin", io.StringIO("n3w-secret\n"))
        code, out, err = run(
            ["password", "--stdin", "--store", "file", "--config", str(path)], capsys
        )
    assert code == 3
    assert "being written by another process" in err
    assert "Traceback" not in err and "mailwiz-bug" not in err
    # Consistent: the settings still say keyring, and no password file was left behind.
    assert path.read_text() == before
    assert not store.password_file_path(path).exists()
    assert "n3w-secret" not in out + err


def test_moving_the_password_to_a_file_removes_the_keyring_copy(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = own_server_file(tmp_path, "keyring")
    memory_keyring.entries[("mailwiz", "me@example.org@mail.example.org")] = "old"
    monkeypatch.setattr(sys, "stdin", io.StringIO("n3w-secret\n"))
    code, _, err = run(["password", "--stdin", "--store", "file", "--config", str(path)], capsys)
    assert code == 0, err
    assert load_settings(path).settings.password.store == "file"
    assert store.password_file_path(path).read_text() == "n3w-secret\n"
    assert memory_keyring.entries == {}


# -------------------------------------------------------------------------- files


def test_a_symlink_planted_at_the_lock_path_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "settings.toml.lock").symlink_to(victim)
    with pytest.raises(SettingsError, match="symbolic link"):
        save_settings(Settings(), tmp_path / "settings.toml")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "settings.toml").exists()


def test_a_symlink_planted_at_a_temp_name_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    planted = tmp_path / ".settings.toml.planted.tmp"
    planted.symlink_to(victim)
    monkeypatch.setattr(files, "temp_name", lambda target: planted)
    with pytest.raises(SettingsError):
        save_settings(Settings(), tmp_path / "settings.toml")
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_folders_are_created_0700_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        path = save_settings(Settings(), tmp_path / "a" / "b" / "settings.toml")
    finally:
        os.umask(previous)
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_password_file_folder_is_0700(tmp_path: Path) -> None:
    settings = Settings()
    settings.smtp.host = "mail.example.org"
    settings.smtp.username = "me@example.org"
    settings.password.store = "file"
    previous = os.umask(0)
    try:
        store.save_password(settings, tmp_path / "new" / "settings.toml", "pw")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new" / "settings.toml.password").stat().st_mode) == 0o600


def test_temp_files_left_by_a_killed_writer_are_removed_by_the_next_save(
    tmp_path: Path,
) -> None:
    path = save_settings(Settings(), tmp_path / "settings.toml")
    stale = [tmp_path / ".settings.toml.k1ll3d.tmp", tmp_path / ".settings.toml.bak.0ld.tmp"]
    for leftover in stale:
        leftover.write_text("half a file")
    # The password file's writer does not take the settings lock: its fresh temp stays.
    others = tmp_path / ".settings.toml.password.fr3sh.tmp"
    others.write_text("in flight")
    save_settings(Settings(provider="custom"), path)
    assert [p for p in stale if p.exists()] == []
    assert others.exists()


def test_a_save_that_fails_midway_leaves_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fails when the file is written in place: then the failure leaves a changed file.
    first = Settings()
    first.smtp.host = "old.example.org"
    path = save_settings(first, tmp_path / "settings.toml")
    before = path.read_bytes()
    second = Settings()
    second.smtp.host = "new.example.org"

    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        # The disk fills while the new settings are written (the backup copy goes through).
        if ".bak" in os.readlink(f"/proc/self/fd/{fd}"):
            real_fsync(fd)
            return
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(SettingsError, match="previous settings are unchanged"):
        save_settings(second, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_save_replaces_the_file_instead_of_rewriting_it(tmp_path: Path) -> None:
    # A reader holding the old file (or a hard link to it) sees the old text, whole.
    path = save_settings(Settings(), tmp_path / "settings.toml")
    link = tmp_path / "hard-link"
    os.link(path, link)
    old = link.read_text()
    changed = Settings()
    changed.smtp.host = "new.example.org"
    save_settings(changed, path)
    assert link.read_text() == old
    assert "new.example.org" in path.read_text()
    assert "new.example.org" not in (tmp_path / "settings.toml.bak").read_text()


# ------------------------------------------------------------------ password file


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_password_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = own_server_file(tmp_path)
    target = store.password_file_path(path)
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)  # opening it without O_NONBLOCK would hang until a writer comes
    else:
        target.symlink_to("/dev/zero")
    lookup = store.load_password(load_settings(path).settings, path, env={})
    assert lookup.password is None
    assert "not a regular file" in lookup.problem


def test_a_password_file_that_reads_back_wrong_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = own_server_file(tmp_path)
    settings = load_settings(path).settings
    real_write = os.write

    def lossy_write(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data)[:-3] + b"\n")  # a disk that drops bytes
        return len(data)

    monkeypatch.setattr(os, "write", lossy_write)
    with pytest.raises(store.PasswordStoreError, match="reading it back gave something else"):
        store.save_password(settings, path, "long enough password")


# ----------------------------------------------------------------- closed pipes


def test_test_piped_into_head_exits_quietly(trickle_server: SocketServer, tmp_path: Path) -> None:
    settings = trickle_server.settings(timeout=3)
    path = save_settings(settings, tmp_path / "settings.toml")
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "test", "--json", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # the first stage; then the reader goes away
    process.stdout.close()
    err = process.stderr.read().decode()
    code = process.wait(timeout=30)
    assert json.loads(first)["stage"]
    assert code == 12, err  # the send's own result: the trickling greeting timed out
    assert "mailwiz-bug" not in err and "Traceback" not in err
    assert "Exception ignored" not in err and "BrokenPipe" not in err
    assert not list(tmp_path.glob("mailwiz-bug-*"))


# -------------------------------------------------- a server that echoes the password


@pytest.fixture
def echoing_server(smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """Refuses every login with a 1,000-character reply quoting the password in every form."""
    server = smtp_server("starttls")
    assert server.authenticator is not None
    forms = " ".join(leak_forms(PASSWORD, usernames=[USERNAME]))
    server.authenticator.reply = f"535 5.7.8 {'x' * 400} you sent {forms} {'y' * 400}"[:1000]
    return server


@pytest.mark.parametrize("flags", [["--transcript"], ["--json"], ["--json", "--transcript"]])
@pytest.mark.parametrize("command", [["test"], ["send", "--to", "a@example.org", "--body", "b"]])
def test_no_form_of_the_password_is_printed_when_the_server_echoes_it(
    echoing_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    command: list[str],
) -> None:
    path = save_settings(echoing_server.settings(), tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    code, out, err = run([*command, *flags, "--config", str(path)], capsys)
    assert code == 16, err
    assert "535" in out + err  # the reply was shown...
    for form in leak_forms(PASSWORD, usernames=[USERNAME]):
        assert form.split()[-1] not in out + err  # ...without any form of the password
    if "--transcript" in flags and "--json" not in flags:
        assert "AUTH PLAIN" in out  # the transcript was printed, redacted


def test_escape_sequences_from_the_server_are_not_printed_raw(
    smtp_server: Callable[..., SmtpServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server("starttls", auth_reply="535 5.7.8 \x1b]0;owned\x07\x1b[2J \x9b31m no")
    path = save_settings(server.settings(), tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    for flags in (["--transcript"], ["--json"]):
        code, out, err = run(["test", *flags, "--config", str(path)], capsys)
        assert code == 16
        for raw in ("\x1b", "\x07", "\x9b"):
            assert raw not in out + err
