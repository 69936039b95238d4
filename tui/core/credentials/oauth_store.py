"""Where a sign-in (refresh token, cached access token and its expiry, the account) is kept.

The same places as the password, as `[password] store` says: the system keyring, service
`mailwiz`, account `USERNAME@HOST#oauth` (the `#oauth` keeps it apart from a password entry for
the same account); or a 0600 file beside the settings, `settings.toml.token`, written
atomically (`tui.core.files`). It is never in the settings file. `store = "none"` keeps no
secret, so it cannot keep a sign-in.

Every sentence here is a text of texts.toml (`[keep]`), filled with data: a keyring failure
contributes its `reason` (what happened), never its advice about passwords.

`user_token_source` hands a send the `StoredTokenSource` over this store.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core import files
from tui.core.credentials.keyring_calls import PasswordStoreError, fail_null, keyring_op
from tui.core.credentials.oauth import NotSignedIn, StoredTokenSource, TokenRecord
from tui.core.credentials.oauth_endpoint import endpoints_for, provider_name
from tui.core.credentials.store import SERVICE, keyring_account
from tui.core.diagnose.texts import say
from tui.core.locations import TOKEN_FILE_SUFFIX as TOKEN_FILE_SUFFIX
from tui.core.locations import token_file_path as token_file_path
from tui.core.settings import Settings, command_for

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

KEYRING_SUFFIX = "#oauth"
LOCK_TIMEOUT = 30.0  # seconds to wait for another mailwiz's refresh of the same sign-in
MAX_TOKEN_FILE = 256 * 1024  # bytes: a sign-in is a few kilobytes; more is not one


class TokenStoreError(Exception):
    """The sign-in could not be kept or read back; str() says what happened and what to do."""


def keyring_token_account(settings: Settings) -> str:
    return keyring_account(settings) + KEYRING_SUFFIX


def describe_token_store(settings: Settings, config_path: Path) -> str:
    """Where the sign-in for these settings is kept, in words (for `login`, `show`, save)."""
    where = settings.password.store
    if where == "keyring":
        return say(
            "keep", "where-keyring", service=SERVICE, account=keyring_token_account(settings)
        )
    if where == "file":
        return say("keep", "where-file", path=token_file_path(config_path))
    return say("keep", "where-none")


def save_tokens(settings: Settings, config_path: Path, record: TokenRecord) -> None:
    """Keep the sign-in where the settings say, and read it back (TokenStoreError if not)."""
    text = record.to_json()
    where = settings.password.store
    if where == "none":
        raise TokenStoreError(say("keep", "none"))
    if where == "file":
        path = token_file_path(config_path)
        try:
            files.make_private_folder(path.parent)
            files.write_atomically(path, (text + "\n").encode("utf-8"))
        except OSError as exc:
            raise TokenStoreError(
                say("keep", "write", path=path, reason=exc.strerror or exc)
            ) from None
        if _read_token_file(path) != text:
            raise TokenStoreError(say("keep", "read-back", path=path))
        return
    account = keyring_token_account(settings)

    def keep(backend: KeyringBackend) -> None:
        backend.set_password(SERVICE, account, text)
        if backend.get_password(SERVICE, account) != text:
            raise fail_null(backend)

    try:
        keyring_op(keep, timeout=10, password=text)
    except PasswordStoreError as error:
        raise TokenStoreError(say("keep", "keyring", reason=error.reason)) from None


def _read_token_file(path: Path, config_path: Path | None = None) -> str | None:
    """The token file's text (None when there is none): a regular file of at most
    MAX_TOKEN_FILE bytes, opened without following a symlink or waiting on a FIFO."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TokenStoreError(
            say("keep", "read", path=path, reason=exc.strerror, config_path=config_path)
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TokenStoreError(say("keep", "not-regular", path=path, config_path=config_path))
        if info.st_size > MAX_TOKEN_FILE:
            raise TokenStoreError(
                say("keep", "too-large", path=path, size=info.st_size, config_path=config_path)
            )
        data = os.read(fd, MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise TokenStoreError(
            say("keep", "read", path=path, reason=exc.strerror, config_path=config_path)
        ) from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise TokenStoreError(
            say("keep", "read", path=path, reason="not UTF-8", config_path=config_path)
        ) from None


def load_tokens(settings: Settings, config_path: Path) -> TokenRecord | None:
    """The stored sign-in, None when there is none; TokenStoreError when it cannot be read."""
    where = settings.password.store
    if where == "none":
        raise TokenStoreError(say("keep", "none"))
    if where == "file":
        found = _read_token_file(token_file_path(config_path), config_path)
    else:
        account = keyring_token_account(settings)

        def read(backend: KeyringBackend) -> str | None:
            value: str | None = backend.get_password(SERVICE, account)
            return value

        try:
            found, _ = keyring_op(read, timeout=10)
        except PasswordStoreError as error:
            raise TokenStoreError(
                say("keep", "keyring-read", reason=error.reason, config_path=config_path)
            ) from None
    if found is None:
        return None
    try:
        return TokenRecord.from_json(found)
    except ValueError as error:
        raise TokenStoreError(
            say("keep", "unusable", reason=error, config_path=config_path)
        ) from None


def delete_tokens(settings: Settings, config_path: Path) -> None:
    """Forget the stored sign-in (nothing stored is fine)."""
    where = settings.password.store
    if where == "file":
        token_file_path(config_path).unlink(missing_ok=True)
        return
    if where != "keyring":
        return
    account = keyring_token_account(settings)

    def remove(backend: KeyringBackend) -> None:
        if backend.get_password(SERVICE, account) is not None:
            backend.delete_password(SERVICE, account)

    try:
        keyring_op(remove, timeout=10)
    except PasswordStoreError as error:
        raise TokenStoreError(say("keep", "keyring-remove", reason=error.reason)) from None


class TokenVault:
    """The store of one settings file's sign-in, with the lock that makes refreshes take
    turns across processes (`settings.toml.token.lock`, beside the settings)."""

    def __init__(self, settings: Settings, config_path: Path) -> None:
        self.settings = settings
        self.config_path = config_path

    def load(self) -> TokenRecord | None:
        return load_tokens(self.settings, self.config_path)

    def save(self, record: TokenRecord) -> None:
        save_tokens(self.settings, self.config_path, record)

    def acquire(self) -> int:
        """Block until this process holds the refresh lock; returns its descriptor.
        TokenStoreError when the lock cannot be opened (a symlink planted there is refused)."""
        token_file = token_file_path(self.config_path)
        path = token_file.with_name(token_file.name + ".lock")
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            raise TokenStoreError(
                say("keep", "lock-open", path=path, reason=exc.strerror)
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise TokenStoreError(say("keep", "lock-open", path=path, reason="not a plain file"))
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TokenStoreError(
                        say("keep", "lock-busy", seconds=f"{LOCK_TIMEOUT:g}", path=path)
                    ) from None
                time.sleep(0.05)

    def release(self, held: object) -> None:
        if isinstance(held, int):
            os.close(held)  # closing releases the lock; the empty lock file stays


def user_token_source(
    settings: Settings, config_path: Path, clock: Callable[[], float] = time.time
) -> StoredTokenSource:
    """The token source of the person's stored sign-in (`grant = "user"`), or NotSignedIn.
    `clock` is the time the source goes by (a test's fast clock)."""
    vault = TokenVault(settings, config_path)
    try:
        record = vault.load()
    except TokenStoreError as error:
        raise NotSignedIn(str(error)) from None
    if record is None:
        raise NotSignedIn(
            say(
                "keep",
                "not-signed-in",
                provider=provider_name(settings.oauth.provider),
                login=command_for(config_path, "login"),
            )
        )
    return StoredTokenSource(endpoints_for(settings), record, vault, settings.smtp.username, clock)
