"""Keyring backends for tests: an in-memory keyring and deliberately broken ones.

Use the ``memory_keyring`` fixture (``from tests.memory_keyring import memory_keyring``)
to make the process keyring an empty in-memory one for one test; the previous keyring is
put back afterwards. ``installed_keyring(backend)`` does the same for any backend, and
``keyring_config`` resets keyring so that a test goes through keyring's real backend
loading (PYTHON_KEYRING_BACKEND, keyringrc.cfg) in a temporary configuration folder.

Every backend here sets ``viable = False``: keyring registers each KeyringBackend
subclass and would otherwise consider them when it detects a backend on its own.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError, PasswordSetError


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps passwords in a dict: ``entries[(service, user)]``."""

    priority = 1  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("Password not found") from None


class ForgetfulKeyring(MemoryKeyring):
    """A keyring that says it stored a password and keeps nothing, like the ``null``
    backend but not recognisable by its class: only a read-back catches it."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class LockedKeyring(KeyringBackend):
    """A keyring that cannot be unlocked, like a locked Secret Service collection."""

    priority = 1  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the item!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the item!")


class BlockingKeyring(KeyringBackend):
    """A keyring whose every call waits until ``release`` is set (at most 30 s).

    Like a Secret Service waiting for an unlock dialog nobody sees. Set ``release``
    at the end of the test so the waiting threads finish.
    """

    priority = 1  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def _wait(self) -> None:
        self.entered.set()
        self.release.wait(30)

    def get_password(self, service: str, username: str) -> str | None:
        self._wait()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait()

    def delete_password(self, service: str, username: str) -> None:
        self._wait()


class ErrorKeyring(KeyringBackend):
    """A keyring that fails with a KeyringError whose text repeats the password.

    Real backends should not do that; this one checks that we mask it anyway.
    """

    priority = 1  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError(f"backend exploded reading {service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"cannot store {password!r} for {username}")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("backend exploded deleting")


class PromptingKeyring(KeyringBackend):
    """A keyring that asks for its master password with getpass, like an encrypted
    file keyring (keyrings.alt). It swallows the EOFError getpass raises when there is
    no terminal, as some real backends do, and keeps the errors in ``prompt_errors``."""

    priority = 1  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.prompt_errors: list[BaseException] = []

    def _unlock(self) -> None:
        try:
            getpass.getpass("Please enter password for encrypted keyring: ")
        except EOFError as exc:
            self.prompt_errors.append(exc)

    def get_password(self, service: str, username: str) -> str | None:
        self._unlock()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._unlock()

    def delete_password(self, service: str, username: str) -> None:
        self._unlock()


@contextmanager
def installed_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Make ``backend`` the process keyring inside the block, then restore the previous one.

    Reads keyring's private ``_keyring_backend`` so that the previous state is restored
    exactly, including "not loaded yet" (None), without triggering detection.
    """
    previous = keyring.core._keyring_backend
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring installed for this test; the previous one comes back."""
    with installed_keyring(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


@pytest.fixture
def keyring_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make keyring load its backend afresh, from a clean, temporary configuration.

    PYTHON_KEYRING_BACKEND is unset and XDG_CONFIG_HOME points at an empty folder, so
    the next keyring call goes through keyring's real loading. Yields the path where a
    test may write ``keyringrc.cfg``. The previous keyring comes back afterwards.
    """
    config_home = tmp_path / "xdg-config"
    config_home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    previous = keyring.core._keyring_backend
    keyring.core._keyring_backend = None
    try:
        config_path: Callable[[], Path] = keyring.core._config_path
        yield Path(config_path())
    finally:
        keyring.core._keyring_backend = previous
