"""Where a sign-in (refresh token, cached access token and its expiry, the account) is kept.

The same places as the password, as `[password] store` says, through the password store's own
keyring and file functions (`store.py`): the system keyring, service `mailwiz`, account
`USERNAME@HOST#oauth` (the `#oauth` keeps it apart from a password entry for the same
account); or a 0600 file beside the settings, `settings.toml.token`, written atomically. It is
never in the settings file. `store = "none"` keeps no secret, so it cannot keep a sign-in.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.credentials import store
from tui.core.credentials.keyring_calls import PasswordStoreError, fail_null, keyring_op
from tui.core.credentials.oauth import TokenRecord
from tui.core.locations import TOKEN_FILE_SUFFIX as TOKEN_FILE_SUFFIX
from tui.core.locations import token_file_path as token_file_path
from tui.core.settings import Settings

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

KEYRING_SUFFIX = "#oauth"
LOCK_TIMEOUT = 30.0  # seconds to wait for another mailwiz's refresh of the same sign-in


class TokenStoreError(Exception):
    """The sign-in could not be kept or read back; str() says what happened and what to do."""


def keyring_token_account(settings: Settings) -> str:
    return store.keyring_account(settings) + KEYRING_SUFFIX


def describe_token_store(settings: Settings, config_path: Path) -> str:
    """Where the sign-in for these settings is kept, in words (for `login`, `show`, save)."""
    where = settings.password.store
    if where == "keyring":
        return f"the system keyring, entry {store.SERVICE} / {keyring_token_account(settings)}"
    if where == "file":
        return f"the file {token_file_path(config_path)} (readable only by you)"
    return 'nowhere: [password] store = "none" keeps no secrets'


def _none_store() -> TokenStoreError:
    return TokenStoreError(
        'the settings say [password] store = "none", which keeps no secrets, so a sign-in '
        'cannot be kept. Set store = "keyring" (or "file", a 0600 file beside the settings) '
        "and run `mailwiz login` again"
    )


def save_tokens(settings: Settings, config_path: Path, record: TokenRecord) -> None:
    """Keep the sign-in where the settings say, and read it back (TokenStoreError if not)."""
    text = record.to_json()
    where = settings.password.store
    if where == "none":
        raise _none_store()
    if where == "file":
        path = token_file_path(config_path)
        try:
            store.write_secret_file(path, text)
        except OSError as exc:
            raise TokenStoreError(
                f"the sign-in could not be written to {path} ({exc.strerror or exc}). Check "
                "that its folder exists and is yours, then run `mailwiz login` again"
            ) from None
        if store.read_secret_file(path).password != text:
            raise TokenStoreError(f"{path} was written but reading it back gave something else")
        return
    account = keyring_token_account(settings)

    def keep(backend: KeyringBackend) -> None:
        backend.set_password(store.SERVICE, account, text)
        if backend.get_password(store.SERVICE, account) != text:
            raise fail_null(backend)

    try:
        keyring_op(keep, timeout=10, password=text)
    except PasswordStoreError as error:
        raise TokenStoreError(
            f"the sign-in could not be kept in the keyring. {error}".replace(
                "the password", "the sign-in"
            )
        ) from None


def load_tokens(settings: Settings, config_path: Path) -> TokenRecord | None:
    """The stored sign-in, None when there is none; TokenStoreError when it cannot be read."""
    where = settings.password.store
    if where == "none":
        raise _none_store()
    if where == "file":
        path = token_file_path(config_path)
        if not path.exists():
            return None
        got = store.read_secret_file(path)
        if got.password is None:
            raise TokenStoreError(
                f"the sign-in in {path} could not be read: "
                + got.problem.replace("password file", "token file").split(". Run ")[0]
                + ". Run `mailwiz login` to sign in again"
            )
        text = got.password
    else:
        account = keyring_token_account(settings)

        def read(backend: KeyringBackend) -> str | None:
            found: str | None = backend.get_password(store.SERVICE, account)
            return found

        try:
            found, _ = keyring_op(read, timeout=10)
        except PasswordStoreError as error:
            raise TokenStoreError(f"the keyring could not be read. {error}") from None
        if found is None:
            return None
        text = found
    try:
        return TokenRecord.from_json(text)
    except ValueError as error:
        raise TokenStoreError(
            f"the stored sign-in cannot be used: {error}. Run `mailwiz login` to sign in again"
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
        if backend.get_password(store.SERVICE, account) is not None:
            backend.delete_password(store.SERVICE, account)

    try:
        keyring_op(remove, timeout=10)
    except PasswordStoreError as error:
        raise TokenStoreError(f"the old sign-in could not be removed. {error}") from None


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
        """Block until this process holds the refresh lock; returns its descriptor."""
        token_file = token_file_path(self.config_path)
        path = token_file.with_name(token_file.name + ".lock")
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            raise TokenStoreError(f"the lock {path} could not be opened ({exc.strerror})") from None
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TokenStoreError(
                        f"another mailwiz has been renewing this sign-in for {LOCK_TIMEOUT:g} s "
                        f"({path}); try again"
                    ) from None
                time.sleep(0.05)

    def release(self, held: object) -> None:
        if isinstance(held, int):
            os.close(held)  # closing releases the lock; the empty lock file stays
