"""Which secret a configuration takes, and the one found in ``MAILWIZ_PASSWORD``.

Kept apart from ``store`` (the keyring and the password file) so that a send whose secret
comes from the environment never loads the store's code: cron jobs and the sendmail entry
run that path thousands of times.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tui.core.credentials.texts import say
from tui.core.locations import command_for
from tui.core.settings import uses_relay as uses_relay  # loaded before any lookup anyway

if TYPE_CHECKING:
    from pathlib import Path

    from tui.core.settings import Settings

PASSWORD_ENV = "MAILWIZ_PASSWORD"

Source = Literal["env", "keyring", "file", "none"]


@dataclass(frozen=True, repr=False)
class PasswordLookup:
    """Where the password came from, or why there is none. (A dataclass, not a tuple:
    a tuple of the password would unpack, index and serialise it past ``__repr__``.)

    ``problem`` is a user-facing sentence explaining why ``password`` is None ("" when
    found, and "" when an optional secret is simply not there: ``missing`` is then False).
    ``warning`` is set when the password was found but something is unsafe
    (a password file that other users can read).
    """

    password: str | None
    source: Source
    problem: str
    warning: str = ""

    def __repr__(self) -> str:
        shown = "None" if self.password is None else "'***'"
        return (
            f"PasswordLookup(password={shown}, source={self.source!r}, "
            f"problem={self.problem!r}, warning={self.warning!r})"
        )

    __str__ = __repr__

    @property
    def missing(self) -> bool:
        """Whether a secret these settings need could not be found (say ``problem``)."""
        return self.password is None and bool(self.problem)


def uses_api_key(settings: Settings) -> bool:
    """Whether the secret of these settings is an HTTP API's key (every API but the relay)."""
    return settings.protocol == "http" and settings.http.api != "relay"


def secret_word(settings: Settings) -> str:
    """What the secret is called for these settings: "API key" (any HTTP API, the relay's
    optional key too), "client secret" (an app sign-in's) or "password"."""
    if uses_client_secret(settings):
        return "client secret"
    return "API key" if settings.protocol == "http" else "password"


def password_needed(settings: Settings) -> bool:
    """Whether these settings keep a secret in the store: an HTTP API's key, the relay's
    optional key unless ``store = "none"``, the password of SMTP with a username (not
    with a person's OAuth sign-in, kept on its own), or an app sign-in's client secret."""
    if settings.protocol == "http":
        return uses_api_key(settings) or settings.password.store != "none"
    if settings.smtp.auth == "oauth2":
        return uses_client_secret(settings)
    return bool(settings.smtp.username.strip())


def uses_client_secret(settings: Settings) -> bool:
    """Whether the stored secret of these settings is an app's client secret: an app
    sign-in (`oauth.grant = "app"`) of Microsoft or a custom server without a certificate.
    It is kept where a password is kept (and `MAILWIZ_PASSWORD` gives it too)."""
    oauth = settings.oauth
    return (
        settings.protocol == "smtp"
        and settings.smtp.auth == "oauth2"
        and oauth.grant == "app"
        and oauth.provider != "google"
        and not oauth.certificate.strip()
    )


def secret_optional(settings: Settings) -> bool:
    """Whether a secret the store does not hold is simply not sent: the relay's key in the
    keyring (a relay's file without ``[password]`` loads as ``store = "none"`` and never
    asks at all). A password file is always the user's explicit choice: there a missing
    key is "not ready", as for an API key."""
    return uses_relay(settings) and settings.password.store == "keyring"


def may_store_secret(settings: Settings) -> bool:
    """Whether `mailwiz password` may store a secret for these settings (whatever the
    store says now): a relay takes an optional key even when its store is "none"."""
    return password_needed(settings) or uses_relay(settings)


def relay_store_for_key(settings: Settings, key: str | None) -> None:
    """Before saving a relay whose key field was edited (``key`` None: left unchanged):
    no key means store = "none", so its sends never ask a keyring; a key typed while the
    store is "none" goes to the keyring (the save screen offers a file when there is none)."""
    if not uses_relay(settings) or key is None:
        return
    if not key:
        settings.password.store = "none"
    elif settings.password.store == "none":
        settings.password.store = "keyring"


def uses_oauth_sign_in(settings: Settings) -> bool:
    return settings.protocol == "smtp" and settings.smtp.auth == "oauth2"


def env_password_problem(value: str, config_path: Path | None = None) -> str:
    """Why MAILWIZ_PASSWORD cannot be used as it is, or "". Bytes that are not UTF-8 reach
    Python as lone surrogates (surrogateescape), which no server could be sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        command = command_for(config_path, "password")
        return say("lookup.env-not-utf8", env=PASSWORD_ENV, command=command)
    if any(ch in value for ch in "\r\n\0"):
        return say("lookup.env-line-break", env=PASSWORD_ENV)
    return ""


def password_from_env(
    env: Mapping[str, str] | None = None, config_path: Path | None = None
) -> PasswordLookup | None:
    """The lookup for ``MAILWIZ_PASSWORD`` when it is set and not empty (it wins over every
    store), else None. A value no server could take comes back with its problem."""
    value = (os.environ if env is None else env).get(PASSWORD_ENV, "")
    if not value:
        return None
    problem = env_password_problem(value, config_path)
    return PasswordLookup(None, "env", problem) if problem else PasswordLookup(value, "env", "")
