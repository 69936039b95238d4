"""The secret side of `configure`: is the given password new, where it goes, how the test send
gets it, and the write (secret first, settings second, the secret put back if the settings
cannot be written). The password is never put in an exception, a repr or an outcome."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.configure.inputs import InputError
from tui.core.configure.texts import say
from tui.core.credentials.lookup import (
    password_from_env,
    password_needed,
    uses_client_secret,
    uses_oauth_sign_in,
    uses_relay,
)
from tui.core.save import describe_secret, save_settings
from tui.core.settings import Settings, SettingsError, command_for

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource


@dataclass(frozen=True, repr=False)
class SecretPlan:
    changed: bool  # a new secret will be stored (or moved to a new place)
    had_old: bool  # a secret was stored there before
    where: str  # where it is kept, in words
    to_store: str | None  # what the write stores (None: nothing)
    previous: str | None  # what was stored in the new place before (for the put-back)
    given: str | None  # the secret given to this run (for the test send)

    def __repr__(self) -> str:
        return f"SecretPlan(changed={self.changed}, where={self.where!r})"

    def credential(self, settings: Settings, path: Path) -> str | TokenSource | None:
        """What the test send signs in with: the given secret, else $MAILWIZ_PASSWORD, else
        the stored one; for OAuth a token source (an app's with the given client secret)."""
        given = self.to_store if self.to_store is not None else self.given
        if uses_oauth_sign_in(settings):
            if given is not None and uses_client_secret(settings):
                from tui.core.credentials.app_grants import AppKey, AppTokenSource

                return AppTokenSource(settings, AppKey(secret=given))
            from tui.core.credentials.sources import token_source_for

            return token_source_for(settings, path)
        if given is not None:
            return given
        from_env = password_from_env()
        if from_env is not None and from_env.password:
            return from_env.password
        return self.previous


def _place(settings: Settings) -> tuple[str, str]:
    from tui.core.credentials.store import keyring_account

    store = settings.password.store
    return (store, keyring_account(settings) if store == "keyring" else "")


def _stored(settings: Settings, path: Path) -> str | None:
    """The secret the store holds for these settings ($MAILWIZ_PASSWORD not counted)."""
    if settings.password.store == "none" or not password_needed(settings):
        return None
    from tui.core.credentials.store import load_password

    return load_password(settings, path, env={}).password


def plan(current: Settings | None, new: Settings, path: Path, given: str | None) -> SecretPlan:
    """What happens to the secret. A password for settings that take none is refused; with
    no password given, one stored for the same account follows a change of store."""
    if given is not None:
        if uses_oauth_sign_in(new) and not password_needed(new):
            login = command_for(path, "login")
            raise InputError("password", "--password-*", say("password_with_oauth", login=login))
        if not (password_needed(new) or uses_relay(new)):
            raise InputError("password", "--password-*", say("password_not_needed"))
    previous = _stored(new, path)
    keeps = new.password.store != "none" and password_needed(new)
    to_store: str | None = None
    if given is not None and keeps and given != previous:
        to_store = given
    elif (
        given is None
        and keeps
        and previous is None
        and current is not None
        and _place(current) != _place(new)
        and _same_account(current, new)
    ):
        to_store = _stored(current, path)  # `--store file`: the password moves along
    return SecretPlan(
        changed=to_store is not None,
        had_old=previous is not None,
        where=describe_secret(new, path),
        to_store=to_store,
        previous=previous,
        given=given,
    )


def _same_account(old: Settings, new: Settings) -> bool:
    from tui.core.credentials.store import keyring_account

    return keyring_account(old) == keyring_account(new)


def write(new: Settings, path: Path, secret: SecretPlan) -> tuple[str, ...]:
    """The one save use case (tui.core.save): the settings and the secret as one change,
    rolled back together; a stored secret whose place changed moves along. Returns its
    warnings (an old copy that could not be removed)."""
    from tui.core.credentials.keyring_calls import PasswordStoreError

    given = secret.given if secret.changed else None
    try:
        saved = save_settings(new, given, None, path)
    except PasswordStoreError as error:
        hint = say("store_hint") if new.password.store == "keyring" else ""
        raise SettingsError(say("secret_not_stored", error=str(error), hint=hint)) from None
    return saved.warnings


def login_needed(settings: Settings, path: Path) -> str:
    """What to tell the user when these settings need a person's sign-in that has not been
    done on this host ("" when none is needed, or it is done, or the app signs in itself)."""
    if not uses_oauth_sign_in(settings) or settings.oauth.grant == "app":
        return ""
    from tui.core.credentials.oauth_store import TokenStoreError, load_tokens

    try:
        if load_tokens(settings, path) is not None:
            return ""
    except TokenStoreError:
        pass
    return say("login_needed", login=command_for(path, "login"), test=command_for(path, "test"))
