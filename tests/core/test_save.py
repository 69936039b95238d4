"""The save use case (tui.core.save): settings and secret as one change, under one lock.

Concurrent `mailwiz password` processes, writers killed at every step, a disk that fills up
after the backup copy: the settings and the secret they point at always agree, and nothing is
written in place."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core import files
from tui.core.credentials.store import load_password, password_file_path
from tui.core.save import SaveRefused, save_settings
from tui.core.settings import Settings, load_settings
from tui.core.settings import save_settings as save_plain


def smtp_settings(store: str = "none") -> Settings:
    settings = Settings(provider="custom")
    settings.smtp.host = "smtp.example.org"
    settings.smtp.username = "me@example.org"
    settings.password.store = store  # type: ignore[assignment]
    return settings


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(files.TEMP_SUFFIX))


def no_orphan(path: Path) -> None:
    """A password file exists only when the settings point at it (a writer killed half-way
    may leave settings pointing at a store without the new secret: "not ready", said
    plainly; never a secret nothing points at)."""
    store = load_settings(path).settings.password.store
    if password_file_path(path).exists():
        assert store == "file", "a password file the settings do not point at"


def agree(path: Path) -> None:
    """After a completed save: a password file exists exactly when the settings point at it."""
    store = load_settings(path).settings.password.store
    secret_file = password_file_path(path)
    assert secret_file.exists() == (store == "file"), (store, secret_file.exists())


# ------------------------------------------------------------------ the use case itself


def test_save_stores_the_secret_and_moves_it_with_the_store(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    result = save_settings(smtp_settings(), "first secret", "keyring", path)
    assert result.secret_stored and result.settings.password.store == "keyring"
    assert load_password(result.settings, path, env={}).password == "first secret"

    # The secret kept (None), the store changed: it moves, the old copy goes.
    moved = save_settings(load_settings(path).settings, None, "file", path)
    assert moved.secret_stored
    assert password_file_path(path).read_text() == "first secret\n"
    keyring_copy = load_password(smtp_settings("keyring"), path, env={})
    assert keyring_copy.password is None
    agree(path)

    # Back to "none": the file goes, the settings say so.
    save_settings(load_settings(path).settings, None, "none", path)
    agree(path)


def test_invalid_settings_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    bad = smtp_settings("file")
    bad.smtp.host = ""
    with pytest.raises(SaveRefused) as refused:
        save_settings(bad, "secret", None, path)
    assert refused.value.problems[0].field == "smtp.host"
    assert not path.exists() and not password_file_path(path).exists()


def test_a_secret_that_cannot_be_kept_puts_the_previous_settings_back(tmp_path: Path) -> None:
    from keyring.backends import fail

    from tests.memory_keyring import installed_keyring
    from tui.core.credentials.store import PasswordStoreError

    path = tmp_path / "settings.toml"
    save_settings(smtp_settings(), None, None, path)
    before = path.read_bytes()
    with installed_keyring(fail.Keyring()), pytest.raises(PasswordStoreError):
        save_settings(smtp_settings(), "secret", "keyring", path)
    assert path.read_bytes() == before  # still store = "none"
    assert leftovers(tmp_path) == []


def test_mailwiz_password_never_moves_the_environment_variable_into_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    save_settings(smtp_settings("keyring"), None, None, path)
    monkeypatch.setenv("MAILWIZ_PASSWORD", "from the environment")
    save_settings(load_settings(path).settings, None, "file", path)
    assert not password_file_path(path).exists() or "environment" not in (
        password_file_path(path).read_text()
    )


# ------------------------------------------------------------------ in place? never


def test_a_full_disk_after_the_backup_leaves_the_settings_whole(tmp_path: Path) -> None:
    """The new file is written to a temp file and renamed: a write that fails half-way
    (here: the file-size limit, hit AFTER the .bak copy was made) leaves the settings file
    exactly as it was. Written in place, the file would be cut short."""
    path = tmp_path / "settings.toml"
    save_plain(smtp_settings(), path)
    before = path.read_bytes()
    limit = len(before) + 200  # the .bak (a copy of `before`) fits; the new file does not
    code = (
        "import sys; from pathlib import Path\n"
        "from tui.core.settings import Settings, load_settings, save_settings\n"
        "s = load_settings(Path(sys.argv[1])).settings\n"
        "s.sender.name = 'N' * 4000\n"
        "save_settings(s, Path(sys.argv[1]))\n"
    )

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=60,
    )
    assert done.returncode != 0
    assert "previous settings are unchanged" in done.stderr
    assert path.with_name("settings.toml.bak").read_bytes() == before  # the fault came after
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ killed at every step


def _die_at_write(number: int, path: Path, store: str, secret: str | None) -> None:
    """In a child process: save, and die (as kill -9 would: no clean-up, no rollback) at the
    `number`-th file write or removal."""
    calls = 0
    real_write, real_unlink = files.write_atomically, Path.unlink

    def step() -> None:
        nonlocal calls
        calls += 1
        if calls == number:
            os._exit(9)

    def dying_write(target: Path, data: bytes, mode: int = 0o600) -> None:
        step()
        real_write(target, data, mode)

    def dying_unlink(self: Path, missing_ok: bool = False) -> None:
        if self.exists():
            step()
        real_unlink(self, missing_ok=missing_ok)

    files.write_atomically = dying_write  # type: ignore[assignment]
    Path.unlink = dying_unlink  # type: ignore[method-assign]
    settings = load_settings(path).settings
    save_settings(settings, secret, store, path)  # type: ignore[arg-type]
    os._exit(0)


@pytest.mark.parametrize(
    ("start", "store", "secret"),
    [("none", "file", "new secret"), ("file", "none", None), ("file", "keyring", None)],
)
def test_a_writer_killed_at_any_step_leaves_no_orphan(
    tmp_path: Path, start: str, store: str, secret: str | None
) -> None:
    """Killed before, between or after the settings and the secret: the settings never say
    "none" (or "keyring") beside a password file, and the next save works (lock released)."""
    for number in range(1, 6):
        path = tmp_path / f"round{number}" / "settings.toml"
        save_settings(smtp_settings(start), "old secret" if start == "file" else None, None, path)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                _die_at_write(number, path, store, secret)
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) in (0, 9)
        no_orphan(path)
        save_settings(load_settings(path).settings, None, None, path)  # not locked out
        no_orphan(path)


# ------------------------------------------------------------------ ten at once


def mailwiz_password(path: Path, *args: str, stdin: str = "") -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWIZ_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "password", "--config", str(path), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdin is not None
    process.stdin.write(stdin)
    process.stdin.close()
    process.stdin = None  # written: communicate() only reads
    return process


@pytest.mark.parametrize("round_number", range(6))
def test_ten_concurrent_password_commands_lose_nothing(tmp_path: Path, round_number: int) -> None:
    """Ten `mailwiz password` at once, storing and deleting: each reports success, and at
    the end the settings and the password file agree; a stored password is one of those
    given. Without the lock held across settings, secret and rollback, a deleter removes
    the file a storer's settings point at (or a storer leaves a file nobody points at)."""
    path = tmp_path / "settings.toml"
    save_settings(smtp_settings("file"), "seed secret", None, path)
    processes = []
    for number in range(10):
        if number % 3 == 2:
            processes.append(mailwiz_password(path, "--delete"))
        else:
            args = ("--stdin", "--store", "file")
            processes.append(mailwiz_password(path, *args, stdin=f"secret {number}\n"))
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    agree(path)
    settings = load_settings(path).settings
    if settings.password.store == "file":
        kept = load_password(settings, path, env={}).password
        assert kept in {f"secret {n}" for n in range(10)} | {"seed secret"}
    assert leftovers(tmp_path) == []


def test_kill_9_among_ten_concurrent_writers_leaves_no_orphan(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(smtp_settings("none"), None, None, path)
    processes = [
        mailwiz_password(path, "--stdin", "--store", "file", stdin=f"secret {n}\n")
        for n in range(10)
    ]
    for process in processes[::3]:
        process.send_signal(signal.SIGKILL)
    for process in processes:
        process.communicate(timeout=120)
    no_orphan(path)
    # And the next writer is not locked out by the killed ones.
    last = mailwiz_password(path, "--stdin", "--store", "file", stdin="final\n")
    assert last.wait(timeout=60) == 0
    assert password_file_path(path).read_text() == "final\n"
    agree(path)


# ------------------------------------------------------------------ switching clears secrets


def test_a_switch_to_another_account_or_protocol_removes_the_old_secrets(tmp_path: Path) -> None:
    """Saving settings for another account removes the old account's password; leaving an
    OAuth sign-in removes its token: no secret stays behind for settings that moved on."""
    from tui.core.locations import token_file_path

    path = tmp_path / "settings.toml"
    save_settings(smtp_settings("keyring"), "old account's password", None, path)
    other = smtp_settings("keyring")
    other.smtp.username = "someone-else@example.org"
    save_settings(other, "new password", None, path)
    assert load_password(smtp_settings("keyring"), path, env={}).password is None
    assert load_password(other, path, env={}).password == "new password"

    oauth = smtp_settings("file")
    oauth.smtp.auth = "oauth2"
    oauth.oauth.client_id = "client"
    save_settings(oauth, None, None, path)
    token_file_path(path).write_text('{"refresh_token": "r"}\n')
    save_settings(smtp_settings("file"), "a password again", None, path)
    assert not token_file_path(path).exists()
    agree(path)
