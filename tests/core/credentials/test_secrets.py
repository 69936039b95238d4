"""Password storage: keyring (with read-back), its failures told apart, the explicit
fallbacks (0600 file, MAILWIZ_PASSWORD), time limits, no terminal prompts, no leaks."""

from __future__ import annotations

import getpass
import logging
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backends import fail, null

from tests.memory_keyring import (
    BlockingKeyring,
    ErrorKeyring,
    ForgetfulKeyring,
    LockedKeyring,
    MemoryKeyring,
    PromptingKeyring,
    installed_keyring,
    keyring_config,
    memory_keyring,
)
from tui.core.credentials import store as secrets_mod
from tui.core.credentials.store import (
    PROBE_ACCOUNT,
    SERVICE,
    PasswordLookup,
    PasswordStoreError,
    check_keyring,
    delete_password,
    describe_store,
    keyring_account,
    load_password,
    password_file_path,
    save_password,
)
from tui.core.settings import PasswordSettings, Settings, SmtpSettings

__all__ = ["keyring_config", "memory_keyring"]  # fixtures, used by name below

PASSWORD = "Pw-LeakCheck-9f3a ü"
ACCOUNT = "me@example.com@smtp.example.com"
NO_ENV: dict[str, str] = {}


def make_settings(store: str = "keyring", **smtp: Any) -> Settings:
    fields: dict[str, Any] = {"host": "smtp.example.com", "username": "me@example.com"}
    fields.update(smtp)
    return Settings(smtp=SmtpSettings(**fields), password=PasswordSettings(store=store))  # type: ignore[arg-type]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "settings.toml"


@pytest.fixture
def blocking_keyring() -> Iterator[BlockingKeyring]:
    backend = BlockingKeyring()
    with installed_keyring(backend):
        try:
            yield backend
        finally:
            backend.release.set()  # let the abandoned worker threads finish


# --- names ----------------------------------------------------------------------------


def test_account_is_username_at_host() -> None:
    assert SERVICE == "mailwiz"
    assert keyring_account(make_settings()) == ACCOUNT
    assert keyring_account(make_settings(host=" SMTP.Example.COM ")) == ACCOUNT


def test_password_file_sits_beside_the_settings_file(tmp_path: Path) -> None:
    assert password_file_path(tmp_path / "settings.toml") == tmp_path / "settings.toml.password"


def test_describe_store(memory_keyring: MemoryKeyring, config_path: Path) -> None:
    text = describe_store(make_settings("keyring"), config_path)
    assert "system keyring" in text
    assert "MemoryKeyring" in text
    assert f"entry mailwiz / {ACCOUNT}" in text
    assert str(password_file_path(config_path)) in describe_store(
        make_settings("file"), config_path
    )
    assert "MAILWIZ_PASSWORD" in describe_store(make_settings("none"), config_path)
    http = make_settings("none")  # a relay whose optional key is not stored
    http.protocol = "http"
    assert describe_store(http, config_path).startswith("nowhere")


# --- the keyring, working ------------------------------------------------------------


def test_keyring_save_reads_back_and_loads(
    memory_keyring: MemoryKeyring, config_path: Path
) -> None:
    settings = make_settings("keyring")
    save_password(settings, config_path, PASSWORD)
    assert memory_keyring.entries == {(SERVICE, ACCOUNT): PASSWORD}
    found = load_password(settings, config_path, env=NO_ENV)
    assert (found.password, found.source, found.problem) == (PASSWORD, "keyring", "")
    assert not password_file_path(config_path).exists()


def test_keyring_missing_entry_is_explained(
    memory_keyring: MemoryKeyring, config_path: Path
) -> None:
    found = load_password(make_settings("keyring"), config_path, env=NO_ENV)
    assert found.password is None
    assert found.source == "keyring"
    assert ACCOUNT in found.problem
    assert f"`mailwiz --config {config_path} password`" in found.problem


def test_check_keyring_usable_leaves_nothing_behind(memory_keyring: MemoryKeyring) -> None:
    status = check_keyring()
    assert status.usable
    assert (status.problem, status.explanation) == ("", "")
    assert "MemoryKeyring" in status.backend
    assert memory_keyring.entries == {}


def test_check_keyring_keeps_existing_entries(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[(SERVICE, ACCOUNT)] = PASSWORD
    assert check_keyring().usable
    assert memory_keyring.entries == {(SERVICE, ACCOUNT): PASSWORD}
    assert (SERVICE, PROBE_ACCOUNT) not in memory_keyring.entries


# --- the keyring, failing in each way -------------------------------------------------


@pytest.mark.parametrize("backend", [null.Keyring(), ForgetfulKeyring()], ids=["null", "forgetful"])
def test_keyring_that_keeps_nothing_is_an_error(backend: Any, config_path: Path) -> None:
    with installed_keyring(backend):
        with pytest.raises(PasswordStoreError) as caught:
            save_password(make_settings("keyring"), config_path, PASSWORD)
        status = check_keyring()
    assert caught.value.problem == "null"
    assert "the keyring accepted the password but did not keep it" in str(caught.value).lower()
    assert (status.usable, status.problem) == (False, "null")
    assert "did not keep it" in status.explanation


def test_no_backend_at_all(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with installed_keyring(fail.Keyring()):
        status = check_keyring()
        with pytest.raises(PasswordStoreError) as caught:
            save_password(make_settings("keyring"), config_path, PASSWORD)
        found = load_password(make_settings("keyring"), config_path, env=NO_ENV)
    assert (status.usable, status.problem) == (False, "none")
    assert "No system keyring" in status.explanation
    assert "MAILWIZ_PASSWORD" in status.explanation and "file" in status.explanation
    if sys.platform.startswith("linux"):
        assert "D-Bus" in status.explanation
    assert caught.value.problem == "none"
    assert str(caught.value) == caught.value.explanation == status.explanation
    assert (found.password, found.source) == (None, "keyring")
    assert found.problem == status.explanation


def test_locked_keyring(config_path: Path) -> None:
    with installed_keyring(LockedKeyring()):
        status = check_keyring()
        with pytest.raises(PasswordStoreError) as caught:
            save_password(make_settings("keyring"), config_path, PASSWORD)
        found = load_password(make_settings("keyring"), config_path, env=NO_ENV)
    assert (status.usable, status.problem) == (False, "locked")
    assert "locked" in status.explanation and "Unlock" in status.explanation
    assert caught.value.problem == "locked"
    assert found.password is None and "locked" in found.problem


def test_other_keyring_error(config_path: Path) -> None:
    with installed_keyring(ErrorKeyring()):
        status = check_keyring()
        with pytest.raises(PasswordStoreError) as caught:
            save_password(make_settings("keyring"), config_path, PASSWORD)
    assert (status.usable, status.problem) == (False, "error")
    assert "reported an error" in status.explanation
    assert caught.value.problem == "error"
    assert "PasswordSetError" in str(caught.value)


def test_keyring_that_does_not_answer(blocking_keyring: BlockingKeyring, config_path: Path) -> None:
    status = check_keyring(timeout=0.2)
    assert (status.usable, status.problem) == (False, "timeout")
    assert "did not answer" in status.explanation
    with pytest.raises(PasswordStoreError) as caught:
        save_password(make_settings("keyring"), config_path, PASSWORD, timeout=0.2)
    assert caught.value.problem == "timeout"
    found = load_password(make_settings("keyring"), config_path, env=NO_ENV, timeout=0.2)
    assert found.password is None and "did not answer" in found.problem
    assert blocking_keyring.entered.is_set()  # the calls really reached the backend


def test_keyring_may_not_prompt_on_the_terminal(config_path: Path) -> None:
    backend = PromptingKeyring()
    with installed_keyring(backend):
        status = check_keyring()
        found = load_password(make_settings("keyring"), config_path, env=NO_ENV)
    assert (status.usable, status.problem) == (False, "locked")
    assert "terminal" in status.explanation
    assert found.password is None and "terminal" in found.problem
    assert backend.prompt_errors  # getpass was called, and refused
    assert all(isinstance(e, EOFError) for e in backend.prompt_errors)


def test_getpass_still_works_outside_keyring_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    # The guard is thread-targeted: `mailwiz password` may read the password with getpass.
    with installed_keyring(MemoryKeyring()):
        check_keyring()  # installs the guard
    assert getpass.getpass is not secrets_mod.original_getpass["getpass"]
    monkeypatch.setitem(secrets_mod.original_getpass, "getpass", lambda prompt="": "typed")
    answers: list[str] = []
    other = threading.Thread(target=lambda: answers.append(getpass.getpass("Password: ")))
    other.start()
    other.join()
    assert getpass.getpass("Password: ") == "typed"
    assert answers == ["typed"]


# --- misconfigured backends, through keyring's real loading ---------------------------


def test_keyring_itself_raises_for_a_missing_module(
    keyring_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The premise: get_keyring() raises (and keeps no backend) when the name is unusable.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "mailwiz_no_such_module.Keyring")
    with pytest.raises(ModuleNotFoundError):
        keyring.get_keyring()
    assert keyring.core._keyring_backend is None


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("mailwiz_no_such_module.Keyring", "ModuleNotFoundError"),
        ("keyring.backends.NoSuchKeyring", "AttributeError"),
    ],
)
def test_misconfigured_environment_variable(
    keyring_config: Path, monkeypatch: pytest.MonkeyPatch, config_path: Path, name: str, error: str
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    status = check_keyring()
    assert (status.usable, status.problem, status.backend) == (False, "misconfigured", "")
    assert f"PYTHON_KEYRING_BACKEND={name}" in status.explanation
    assert error in status.explanation
    with pytest.raises(PasswordStoreError) as caught:
        save_password(make_settings("keyring"), config_path, PASSWORD)
    assert caught.value.problem == "misconfigured"


def test_misconfigured_keyringrc(keyring_config: Path) -> None:
    keyring_config.parent.mkdir(parents=True)
    keyring_config.write_text("[backend]\ndefault-keyring = mailwiz_missing.Backend\n")
    status = check_keyring()
    assert (status.usable, status.problem) == (False, "misconfigured")
    assert str(keyring_config) in status.explanation


def test_configured_fail_and_null_backends(
    keyring_config: Path, monkeypatch: pytest.MonkeyPatch, config_path: Path
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert check_keyring().problem == "none"
    keyring.core._keyring_backend = None
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    assert check_keyring().problem == "null"
    with pytest.raises(PasswordStoreError, match="did not keep it"):
        save_password(make_settings("keyring"), config_path, PASSWORD)
    found = load_password(make_settings("keyring"), config_path, env=NO_ENV)
    assert found.password is None and "did not keep it" in found.problem


# --- the password file ----------------------------------------------------------------


def test_file_store_is_0600_from_creation(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    created: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy_open(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            created.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_open)
    old_umask = os.umask(0)  # a umask that would let a careless write be world-readable
    try:
        save_password(make_settings("file"), config_path, PASSWORD)
    finally:
        os.umask(old_umask)
    path = password_file_path(config_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert created, "the file must be created by os.open with an explicit mode"
    for _, flags, mode in created:
        assert mode == 0o600 and flags & os.O_EXCL
    assert memory_keyring.entries == {}  # the file store does not touch the keyring
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_file_store_round_trip(config_path: Path) -> None:
    settings = make_settings("file")
    save_password(settings, config_path, PASSWORD)
    assert password_file_path(config_path).read_text(encoding="utf-8") == PASSWORD + "\n"
    found = load_password(settings, config_path, env=NO_ENV)
    assert (found.password, found.source, found.problem, found.warning) == (
        PASSWORD,
        "file",
        "",
        "",
    )


def test_file_store_replaces_a_readable_file_with_a_private_one(config_path: Path) -> None:
    path = password_file_path(config_path)
    path.parent.mkdir(parents=True)
    path.write_text("old\n")
    path.chmod(0o644)
    save_password(make_settings("file"), config_path, PASSWORD)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_password(make_settings("file"), config_path, env=NO_ENV).password == PASSWORD


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_reading_a_file_others_can_read_warns(config_path: Path) -> None:
    path = password_file_path(config_path)
    path.parent.mkdir(parents=True)
    path.write_text("hand-written\r\n")
    path.chmod(0o640)
    found = load_password(make_settings("file"), config_path, env=NO_ENV)
    assert found.password == "hand-written"
    assert "other users" in found.warning and "chmod 600" in found.warning


def test_missing_or_empty_password_file(config_path: Path) -> None:
    found = load_password(make_settings("file"), config_path, env=NO_ENV)
    assert found.password is None and "does not exist" in found.problem
    path = password_file_path(config_path)
    path.parent.mkdir(parents=True)
    path.write_text("\n")
    found = load_password(make_settings("file"), config_path, env=NO_ENV)
    assert found.password is None and "empty" in found.problem


def test_file_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(PasswordStoreError) as caught:
        save_password(make_settings("file"), blocker / "settings.toml", PASSWORD)
    assert caught.value.problem == "file"
    assert "could not be written" in str(caught.value)


# --- store "none", MAILWIZ_PASSWORD, passwordless settings ---------------------------


def test_store_none_is_never_saved(config_path: Path) -> None:
    with pytest.raises(ValueError, match="never stored"):
        save_password(make_settings("none"), config_path, PASSWORD)
    found = load_password(make_settings("none"), config_path, env=NO_ENV)
    assert (found.password, found.source) == (None, "none")
    assert "MAILWIZ_PASSWORD" in found.problem


@pytest.mark.parametrize("store", ["keyring", "file", "none"])
def test_environment_variable_wins(
    store: str, memory_keyring: MemoryKeyring, config_path: Path
) -> None:
    memory_keyring.entries[(SERVICE, ACCOUNT)] = "from keyring"
    file = password_file_path(config_path)
    file.parent.mkdir(parents=True)
    file.write_text("from file\n")
    found = load_password(make_settings(store), config_path, env={"MAILWIZ_PASSWORD": "from env"})
    assert (found.password, found.source, found.problem) == ("from env", "env", "")


def test_environment_is_read_by_default_and_empty_means_unset(
    memory_keyring: MemoryKeyring, config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.entries[(SERVICE, ACCOUNT)] = "from keyring"
    monkeypatch.setenv("MAILWIZ_PASSWORD", "from env")
    assert load_password(make_settings("keyring"), config_path).source == "env"
    monkeypatch.setenv("MAILWIZ_PASSWORD", "")
    found = load_password(make_settings("keyring"), config_path)
    assert (found.password, found.source) == ("from keyring", "keyring")


def test_a_key_less_relay_and_no_username_take_no_password(
    memory_keyring: MemoryKeyring, config_path: Path
) -> None:
    http = make_settings("none")  # the relay's key is optional; "none": not stored
    http.protocol = "http"
    local = make_settings("keyring", username="", security="none", port=25)
    for settings in (http, local):
        found = load_password(settings, config_path, env=NO_ENV)
        assert (found.password, found.source) == (None, "none")
        assert found.missing == (settings is local)
        assert settings is http or "no password" in found.problem.lower()
        with pytest.raises(ValueError):
            save_password(settings, config_path, PASSWORD)
    assert load_password(http, config_path, env={"MAILWIZ_PASSWORD": "x"}).source == "env"
    assert memory_keyring.entries == {}


@pytest.mark.parametrize("bad", ["", "two\nlines", "cr\r", "nul\0"])
def test_unusable_passwords_are_refused(bad: str, config_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        save_password(make_settings("file"), config_path, bad)
    if bad:
        assert bad not in str(caught.value)
    assert not password_file_path(config_path).exists()


# --- delete -------------------------------------------------------------------------


def test_delete_keyring_entry_and_missing_is_fine(
    memory_keyring: MemoryKeyring, config_path: Path
) -> None:
    settings = make_settings("keyring")
    memory_keyring.entries[(SERVICE, ACCOUNT)] = PASSWORD
    memory_keyring.entries[(SERVICE, "other@smtp.example.com")] = "keep me"
    delete_password(settings, config_path)
    assert memory_keyring.entries == {(SERVICE, "other@smtp.example.com"): "keep me"}
    delete_password(settings, config_path)  # already gone: fine


def test_delete_file_and_missing_is_fine(config_path: Path) -> None:
    settings = make_settings("file")
    save_password(settings, config_path, PASSWORD)
    delete_password(settings, config_path)
    assert not password_file_path(config_path).exists()
    delete_password(settings, config_path)


def test_delete_with_a_keyring_that_holds_nothing_is_fine(config_path: Path) -> None:
    for backend in (fail.Keyring(), null.Keyring()):
        with installed_keyring(backend):
            delete_password(make_settings("keyring"), config_path)


def test_delete_from_a_locked_keyring_says_the_entry_may_remain(config_path: Path) -> None:
    with installed_keyring(LockedKeyring()), pytest.raises(PasswordStoreError) as caught:
        delete_password(make_settings("keyring"), config_path)
    assert caught.value.problem == "locked"
    assert f"mailwiz / {ACCOUNT}" in str(caught.value)


# --- the password never leaks ---------------------------------------------------------


def test_password_never_in_errors_reprs_or_logs(
    config_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    settings = make_settings("keyring")
    blocking = BlockingKeyring()
    try:
        for backend, timeout in [
            (ErrorKeyring(), 10.0),
            (LockedKeyring(), 10.0),
            (null.Keyring(), 10.0),
            (fail.Keyring(), 10.0),
            (PromptingKeyring(), 10.0),
            (blocking, 0.2),
        ]:
            with installed_keyring(backend):
                with pytest.raises(PasswordStoreError) as caught:
                    save_password(settings, config_path, PASSWORD, timeout=timeout)
                error = caught.value
                texts += [str(error), repr(error), repr(error.args), error.explanation]
                assert error.__cause__ is None
                if error.__context__ is not None:
                    texts.append(repr(error.__context__))
    finally:
        blocking.release.set()
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    with pytest.raises(PasswordStoreError) as file_error:
        save_password(make_settings("file"), blocker / "settings.toml", PASSWORD)
    texts += [str(file_error.value), repr(file_error.value)]
    with installed_keyring(MemoryKeyring()):
        save_password(settings, config_path, PASSWORD)
        found = load_password(settings, config_path, env=NO_ENV)
    assert found.password == PASSWORD
    texts += [repr(found), str(found)]
    texts += [r.getMessage() for r in caplog.records]
    assert "cannot store '***'" in texts[0]  # the backend's own message, masked
    for text in texts:
        assert PASSWORD not in text


def test_lookup_repr_hides_the_password() -> None:
    assert PASSWORD not in repr(PasswordLookup(PASSWORD, "env", ""))
    assert "'***'" in repr(PasswordLookup(PASSWORD, "env", ""))
    assert "password=None" in repr(PasswordLookup(None, "none", "why"))
