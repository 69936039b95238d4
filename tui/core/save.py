"""Save: the settings and their secret, in one use case every front end calls.

The wizard's save screen, `mailwiz password` and `mailwiz configure` all call
`save_settings(settings, secret, store, path)`. It decides, once, what is saved and where the
secret goes:

1. Under the settings lock (held from the first read to the last write and any rollback, so
   ten concurrent saves are serialised and none undoes another's), the current file is read;
   one that cannot be parsed is never overwritten.
2. The settings are validated (`SaveRefused` lists the errors, each naming its field).
3. The settings are written first (temp file + rename, the previous file kept as `.bak`), then
   the secret where `[password] store` says. If the secret cannot be kept, the previous
   settings file is put back: settings and store never disagree after a failure.
4. A secret whose place changed (another store, another account) moves with the save, and the
   old copy is removed; a password file nothing points at any more (a writer killed before
   its clean-up) is removed too.

Writing the settings before the secret means a writer killed in between leaves settings that
point at a store without the new secret ("not ready", said plainly by `test`), never a secret
file that nothing points at.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from tui.core.credentials.lookup import (
    may_store_secret,
    password_needed,
    relay_store_for_key,
    uses_oauth_sign_in,
)
from tui.core.settings import (
    PasswordStore,
    Problem,
    Settings,
    SettingsError,
    errors,
    parse_settings,
    read_current,
    restore_settings,
    settings_lock,
    write_settings,
)
from tui.core.texts import Texts

say = Texts("tui.core")  # tui/core/texts.toml, [save]


class SaveRefused(SettingsError):
    """The settings have errors; `problems` names each field. Nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first.field}: {first.message}{more}")


@dataclass(frozen=True)
class SaveResult:
    """What was saved and where (no secret in it)."""

    settings_path: Path  # the real file written (links followed)
    settings: Settings  # as saved: the store chosen, a relay without key at store "none"
    where: str  # where the secret is kept, in words
    secret_stored: bool  # a secret was written (given, or moved from its old place)
    warnings: tuple[str, ...] = ()  # e.g. an old copy that could not be removed


def save_settings(
    settings: Settings,
    secret: str | None,
    store: PasswordStore | None,
    path: Path,
    *,
    validate: bool = True,
) -> SaveResult:
    """Save `settings` and their `secret` (password or API key) as one change.

    `secret`: None keeps the stored one (moved if its place changes); "" for a relay means
    "no key" (store = "none"). `store`: where the secret goes ("keyring", "file", "none"),
    None for what the settings say. Raises SettingsError (SaveRefused for invalid settings,
    SettingsBusy when another writer holds the lock too long), PasswordStoreError when the
    secret could not be kept (the previous settings are back), ValueError for a secret no
    server takes (empty, a line break)."""
    new = as_saved(settings, secret)
    if store is not None:
        new.password.store = store
        relay_store_for_key(new, secret)
    if validate:
        problems = errors(new)
        if problems:
            raise SaveRefused(problems)
    if secret and password_needed(new) and new.password.store != "none":
        _check_secret(secret)
    with settings_lock(path) as target:
        previous_bytes = read_current(target)
        previous = (
            parse_settings(previous_bytes.decode("utf-8", errors="replace"), target)
            if previous_bytes is not None
            else None
        )
        value = secret or _moved_secret(previous, new, path, secret)
        keep = bool(value) and password_needed(new) and new.password.store != "none"
        change = _Change(target, path, previous_bytes, previous, new)
        try:
            change.apply(value if keep else None)
        except BaseException:
            change.roll_back()
            raise
        warnings = _clean_up(previous, new, path)
    return SaveResult(target, new, describe_secret(new, path), keep, tuple(warnings))


class _Change:
    """The steps of one save, ordered so that a writer killed between any two (no rollback
    runs then) never leaves a password file the settings do not point at; and undone in
    reverse on a failure, so settings and store agree again.

    A secret bound for the keyring is stored first (a kill then leaves at worst a spare
    keyring entry, the settings still pointing at the old, intact place); a password file
    that is going away is removed before the settings stop pointing at it; a new password
    file is written after the settings point at it."""

    def __init__(
        self,
        target: Path,
        path: Path,
        previous_bytes: bytes | None,
        previous: Settings | None,
        new: Settings,
    ) -> None:
        self.target, self.path, self.new = target, path, new
        self.previous_bytes, self.previous = previous_bytes, previous
        self.settings_written = False
        self.old_file: str | None = None  # the removed password file's secret, to restore
        self.new_copy = False  # a secret written to a place the previous settings do not use

    def apply(self, secret: str | None) -> None:
        new_place = _place(self.new, self.path)
        moving = self.previous is None or _place(self.previous, self.path) != new_place
        if secret is not None and new_place[0] == "keyring":
            self.new_copy = moving
            _store(self.new, self.path, secret)
        self._remove_old_file(new_place)
        self.settings_written = True
        write_settings(self.new, self.target, self.previous_bytes)
        if secret is not None and new_place[0] == "file":
            self.new_copy = moving
            _store(self.new, self.path, secret)

    def _remove_old_file(self, new_place: tuple[str, str]) -> None:
        from tui.core.credentials.store import load_password, password_file_path

        previous = self.previous
        if previous is None or not _holds_secret(previous) or previous.password.store != "file":
            return
        if _holds_secret(self.new) and new_place == _place(previous, self.path):
            return
        self.old_file = load_password(previous, self.path, env={}).password
        password_file_path(self.path).unlink(missing_ok=True)

    def roll_back(self) -> None:
        from tui.core.credentials.keyring_calls import PasswordStoreError
        from tui.core.credentials.store import delete_password

        if self.settings_written:
            restore_settings(self.target, self.previous_bytes)
        if self.new_copy:
            with contextlib.suppress(PasswordStoreError, OSError):
                delete_password(self.new, self.path)
        if self.old_file is not None and self.previous is not None:
            _store(self.previous, self.path, self.old_file)


def as_saved(settings: Settings, secret: str | None) -> Settings:
    """A copy of the settings as `save_settings` would write them with `secret` (a relay
    given no key: store = "none"), for a screen to show before saving."""
    new = settings.copy()
    relay_store_for_key(new, secret)
    return new


def secret_to_save(
    settings: Settings, typed: str, before: Settings | None, stored: str | None
) -> str | None:
    """The secret an editor of `before` (the settings as read, None for new ones) passes to
    `save_settings` for `settings`: None (keep the stored one) when the secret typed is the
    `stored` one and its store and keyring entry are unchanged, or for a person's sign-in
    (its token is stored already); else `typed` (an app's client secret is kept like a
    password)."""
    from tui.core.credentials.store import keyring_account

    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        return typed if settings.oauth.grant == "app" and typed else None
    if (
        before is not None
        and stored is not None
        and typed == stored
        and settings.password.store == before.password.store
        and keyring_account(settings) == keyring_account(before)
    ):
        return None
    return typed


def keyring_wanted(settings: Settings, secret: str | None) -> bool:
    """Whether saving these settings with `secret` writes to the system keyring, so a front
    end checks first that there is a working one (and offers a file or no store if not)."""
    return secret is not None and password_needed(settings) and settings.password.store == "keyring"


def describe_secret(settings: Settings, path: Path) -> str:
    """Where the secret of these settings is kept, in words: the sign-in's token for a
    person's OAuth sign-in, otherwise the password (or API key, or an app's client secret)."""
    if uses_oauth_sign_in(settings) and settings.oauth.grant != "app":
        from tui.core.credentials.oauth_store import describe_token_store

        return describe_token_store(settings, path)
    from tui.core.credentials.store import describe_store

    return describe_store(settings, path)


def _check_secret(secret: str) -> None:
    if any(ch in secret for ch in "\r\n\0"):
        raise ValueError(say("save.line-break"))


def _store(settings: Settings, path: Path, secret: str) -> None:
    from tui.core.credentials.store import save_password

    save_password(settings, path, secret)


def _place(settings: Settings, path: Path) -> tuple[str, str]:
    """Where the secret of these settings lives: (store, keyring account or file path)."""
    from tui.core.credentials.store import keyring_account, password_file_path

    store = settings.password.store
    if store == "file":
        return store, str(password_file_path(path))
    if store == "keyring":
        return store, keyring_account(settings)
    return store, ""


def _holds_secret(settings: Settings | None) -> bool:
    return settings is not None and password_needed(settings) and settings.password.store != "none"


def _place_changed(previous: Settings, new: Settings, path: Path) -> bool:
    return not _holds_secret(new) or _place(previous, path) != _place(new, path)


def _moved_secret(
    previous: Settings | None, new: Settings, path: Path, secret: str | None
) -> str | None:
    """The stored secret, when it is kept (`secret` None) but its place changed."""
    if secret is not None or previous is None or not _holds_secret(previous):
        return None
    if not _holds_secret(new) or _place(previous, path) == _place(new, path):
        return None
    if uses_oauth_sign_in(previous) != uses_oauth_sign_in(new):
        return None
    from tui.core.credentials.store import load_password

    lookup = load_password(previous, path, env={})  # never MAILWIZ_PASSWORD into a store
    return lookup.password


def _clean_up(previous: Settings | None, new: Settings, path: Path) -> list[str]:
    """Remove the old copy of a secret whose place changed, and a password file nothing
    points at; a copy that cannot be removed is a warning, the save stands."""
    from tui.core.credentials.keyring_calls import PasswordStoreError
    from tui.core.credentials.store import delete_password, password_file_path

    warnings: list[str] = []
    if previous is not None and _holds_secret(previous) and _place_changed(previous, new, path):
        try:
            delete_password(previous, path)
        except PasswordStoreError as error:
            warnings.append(str(error))
    if previous is not None and uses_oauth_sign_in(previous):
        warnings += _forget_sign_in(previous, new, path)
    file_in_use = new.password.store == "file" and may_store_secret(new)
    if not file_in_use and not uses_oauth_sign_in(new):
        with contextlib.suppress(OSError):
            password_file_path(path).unlink(missing_ok=True)
    return warnings


def _forget_sign_in(previous: Settings, new: Settings, path: Path) -> list[str]:
    """A sign-in belongs to one account at one provider: switching away from it (another
    protocol, or its token kept in another place) removes the old token. A token in the same
    place as the new settings' is the sign-in just made for them: it stays."""
    from tui.core.credentials.keyring_calls import PasswordStoreError
    from tui.core.credentials.oauth_store import (
        TokenStoreError,
        delete_tokens,
        keyring_token_account,
    )

    def place(settings: Settings) -> tuple[str, str]:
        store = settings.password.store
        return store, keyring_token_account(settings) if store == "keyring" else ""

    if uses_oauth_sign_in(new) and place(new) == place(previous):
        return []
    try:
        delete_tokens(previous, path)
    except (TokenStoreError, PasswordStoreError, OSError) as error:
        return [f"The old sign-in could not be removed: {error}"]
    return []
