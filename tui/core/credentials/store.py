"""Password storage: the system keyring and its explicit fallbacks.

Where the password lives is the user's explicit choice, ``settings.password.store``:

- ``"keyring"``: the system keyring, service ``mailwiz``, user ``USERNAME@HOST``.
  Every save is read back, because the ``null`` backend "succeeds" and keeps nothing.
- ``"file"``: a file beside the settings file (``settings.toml.password``), created
  0600 from the first byte and replaced atomically. Offered only after the user was
  told that there is no working keyring and agreed.
- ``"none"``: never stored; supplied at use time through ``MAILWIZ_PASSWORD``.

``MAILWIZ_PASSWORD``, when set and not empty, wins over every store.

An HTTP API (``[http] api`` other than ``"relay"``) takes its API key as the secret,
stored and found exactly like a password; its keyring user is ``api:API@HOST`` (HOST: the
host of ``[http] url``, else the API's default host).

The HTTP relay (``api = "relay"``) takes an optional key, sent as ``Authorization: Bearer``:
keyring user ``api:relay@HOST`` (HOST: the host of the relay URL) or the password file. With
``store = "keyring"`` an absent entry, or no keyring on this machine, means "no key": the relay
is posted to without one. With ``store = "file"`` a missing key is "not ready", as for an API
key; with ``"none"`` (also what a relay file without a ``[password]`` table means) nothing is
stored or looked up.

No stored secret is taken by an SMTP server used without a username
(``security = "none"``, a local relay), nor an OAuth sign-in (``smtp.auth = "oauth2"``,
whose token is kept on its own by ``oauth_store``): for those, nothing is stored or
looked up whatever the store says, as if it were ``"none"``; the environment variable
still wins if set, so a caller that wants it gets it.

Keyring calls run in a daemon thread with a time limit, because a keyring can hang
(a Secret Service waiting for an unlock dialog on a desktop nobody sees over SSH).
They are never allowed to prompt on the terminal: see ``_install_prompt_guard``.

The password never appears in an exception message, a repr or a log line: failure
texts are built from fixed words, the backend's name and the backend's own error
message with the password masked out.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from tui.core import files
from tui.core.credentials.keyring_calls import PasswordStoreError as PasswordStoreError
from tui.core.credentials.keyring_calls import backend_name as backend_name
from tui.core.credentials.keyring_calls import backend_name_quick, fail_null, keyring_op
from tui.core.credentials.keyring_calls import original_getpass as original_getpass
from tui.core.credentials.lookup import PASSWORD_ENV as PASSWORD_ENV
from tui.core.credentials.lookup import PasswordLookup as PasswordLookup
from tui.core.credentials.lookup import env_password_problem as env_password_problem
from tui.core.credentials.lookup import may_store_secret as may_store_secret
from tui.core.credentials.lookup import password_from_env, uses_relay
from tui.core.credentials.lookup import password_needed as password_needed
from tui.core.credentials.lookup import secret_optional as secret_optional
from tui.core.credentials.lookup import secret_word as secret_word
from tui.core.credentials.lookup import uses_api_key as uses_api_key
from tui.core.credentials.lookup import uses_oauth_sign_in as uses_oauth_sign_in
from tui.core.credentials.texts import say
from tui.core.http_apis import facts_of
from tui.core.locations import PASSWORD_FILE_SUFFIX as PASSWORD_FILE_SUFFIX
from tui.core.locations import password_file_path as password_file_path
from tui.core.settings import Settings, command_for

if TYPE_CHECKING:
    import keyring.backend

# keyring (about 40 ms) is imported only when a keyring is really used: not when
# MAILWIZ_PASSWORD is set, nor for a password file or settings that need no password.

SERVICE = "mailwiz"

# The probe entry written (and removed again) by check_keyring. It has no "@", so it
# can never be the entry of a real configuration (those are always USERNAME@HOST).
PROBE_ACCOUNT = "mailwiz-keyring-check"

Problem = Literal["", "none", "locked", "misconfigured", "null", "timeout", "error"]

# ---------------------------------------------------------------------------
# Public values


@dataclass(frozen=True)
class KeyringStatus:
    """The outcome of ``check_keyring``: can the system keyring keep a password?"""

    usable: bool
    backend: str  # a readable backend name, "" when none could be loaded
    problem: Problem  # "" when usable
    explanation: str  # what happened, why, what to do; "" when usable
    reason: str = ""  # what happened only (a sign-in says its own "what to do" after it)


# ---------------------------------------------------------------------------
# Names and places


def _api_host(settings: Settings) -> str:
    url = settings.http.url.strip()
    try:
        host = urlsplit(url).hostname or "" if url else ""
    except ValueError:  # a malformed address: validation names it; keep a stable name
        host = ""
    return host or facts_of(settings.http.api).default_host


def keyring_account(settings: Settings) -> str:
    """The keyring user name for these settings: ``USERNAME@HOST``, or for an HTTP API
    ``api:API@HOST`` (``api:postmark@api.postmarkapp.com``, ``api:relay@relay.example.com``).

    Surrounding blanks are dropped and the host is lower-cased (host names are not
    case-sensitive, so "SMTP.gmail.com" and "smtp.gmail.com" share one entry).
    """
    if settings.protocol == "http":
        return f"api:{settings.http.api}@{_api_host(settings).lower()}"
    return f"{settings.smtp.username.strip()}@{settings.smtp.host.strip().lower()}"


def _no_password_reason(settings: Settings, config_path: Path | None) -> str:
    if settings.protocol == "http":
        command = command_for(config_path, "password", "--store", "keyring")
        return say("store.relay-not-stored", command=command)
    if uses_oauth_sign_in(settings) and settings.oauth.grant == "app":
        return say("store.app-no-secret")
    if uses_oauth_sign_in(settings):
        return say("store.oauth-no-password", login=command_for(config_path, "login"))
    return say("store.no-username")


def describe_store(settings: Settings, config_path: Path) -> str:
    """Where the password (or API key) for these settings is kept, in words, for `show`
    and save."""
    if uses_relay(settings) and settings.password.store == "none":
        return say("store.where-relay-none", env=PASSWORD_ENV)
    if uses_oauth_sign_in(settings) and not password_needed(settings):  # (an app's secret is)
        return say("store.where-oauth", login=command_for(config_path, "login"))
    if not password_needed(settings):
        return say("store.where-no-username")
    store = settings.password.store
    word = secret_word(settings)
    if store == "keyring":
        name = backend_name_quick()
        account = keyring_account(settings)
        where = say("store.where-keyring", name=name, service=SERVICE, account=account)
        if secret_optional(settings):
            return say("store.where-keyring-optional", where=where)
        return where
    if store == "file":
        return say("store.where-file", word=word, path=password_file_path(config_path))
    return say("store.where-env", env=PASSWORD_ENV)


# ---------------------------------------------------------------------------
# The keyring probe


def check_keyring(timeout: float = 10) -> KeyringStatus:
    """Can the system keyring keep a password? Writes, reads back and removes a probe.

    The probe entry (``mailwiz`` / ``mailwiz-keyring-check``) holds a random token,
    not a secret, and is deleted again; nothing is left behind. A backend known to
    have nothing (``fail``) or to keep nothing (``null``) is reported without a write.
    """
    import secrets

    from keyring.backends import null

    token = "probe-" + secrets.token_hex(8)

    def probe(backend: keyring.backend.KeyringBackend) -> None:
        if isinstance(backend, null.Keyring):
            raise fail_null(backend)
        backend.set_password(SERVICE, PROBE_ACCOUNT, token)
        try:
            back = backend.get_password(SERVICE, PROBE_ACCOUNT)
        finally:
            # Nothing stored (a null-like backend), or a backend that cannot delete.
            with contextlib.suppress(Exception):
                backend.delete_password(SERVICE, PROBE_ACCOUNT)
        if back != token:
            raise fail_null(backend)

    try:
        _, name = keyring_op(probe, timeout)
    except PasswordStoreError as exc:
        problem = _as_problem(exc.problem)
        return KeyringStatus(False, exc.backend, problem, exc.explanation, exc.reason)
    return KeyringStatus(True, name, "", "")


def _as_problem(problem: str) -> Problem:
    for known in ("none", "locked", "misconfigured", "null", "timeout", "error"):
        if problem == known:
            return known
    return "error"


# ---------------------------------------------------------------------------
# The password file


def write_secret_file(path: Path, password: str) -> None:
    """Write atomically; the file is 0600 from its creation, never readable by others,
    and its temp file never follows a planted symlink. The folder is created 0700."""
    files.make_private_folder(path.parent)
    files.write_atomically(path, (password + "\n").encode("utf-8"))


@dataclass(frozen=True, repr=False)
class SecretFileRead:
    password: str | None
    problem: str
    warning: str


def read_secret_file(path: Path, config_path: Path | None = None) -> SecretFileRead:
    def run_hint() -> str:  # said only when the file cannot be used
        return say("store.run-hint", command=command_for(config_path, "password"), env=PASSWORD_ENV)

    try:
        # O_NONBLOCK: a FIFO planted at the path must not hang us before the check below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return SecretFileRead(None, say("store.file-missing", path=path, hint=run_hint()), "")
    except PermissionError:
        return SecretFileRead(None, say("store.file-denied", path=path, env=PASSWORD_ENV), "")
    except OSError as exc:
        return SecretFileRead(None, say("store.file-not-opened", path=path, error=exc.strerror), "")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return SecretFileRead(None, say("store.file-not-regular", path=path), "")
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError as exc:
        return SecretFileRead(None, say("store.file-not-read", path=path, error=exc.strerror), "")
    finally:
        os.close(fd)
    warning = ""
    if os.name == "posix" and info.st_mode & 0o077:
        warning = say("store.file-readable", path=path, mode=stat.filemode(info.st_mode))
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        return SecretFileRead(None, say("store.file-not-utf8", path=path, hint=run_hint()), warning)
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        return SecretFileRead(None, say("store.file-empty", path=path, hint=run_hint()), warning)
    return SecretFileRead(text, "", warning)


# ---------------------------------------------------------------------------
# Save, load, delete


def _check_new_password(password: str) -> None:
    if not password:
        raise ValueError(say("store.password-empty"))
    if any(ch in password for ch in "\r\n\0"):
        raise ValueError(say("store.password-line-break"))


def save_password(
    settings: Settings, config_path: Path, password: str, timeout: float = 10
) -> None:
    """Store the password where ``settings.password.store`` says, and read it back.

    Raises ValueError for store "none", for settings that take no password and for an
    empty or multi-line password; PasswordStoreError when the store fails (its str()
    says what happened, what it means and what to do).
    """
    store = settings.password.store
    if store == "none":
        raise ValueError(say("store.store-none", env=PASSWORD_ENV))
    if not password_needed(settings):
        raise ValueError(_no_password_reason(settings, config_path))
    _check_new_password(password)

    if store == "file":
        path = password_file_path(config_path)
        try:
            write_secret_file(path, password)
        except OSError as exc:
            error = exc.strerror or exc
            raise PasswordStoreError(
                "file", say("store.file-not-written", path=path, error=error, env=PASSWORD_ENV)
            ) from None
        back = read_secret_file(path, config_path)
        if back.password != password:
            raise PasswordStoreError("file", say("store.file-read-back", path=path))
        return

    account = keyring_account(settings)

    def store_and_read(backend: keyring.backend.KeyringBackend) -> None:
        backend.set_password(SERVICE, account, password)
        if backend.get_password(SERVICE, account) != password:
            raise fail_null(backend)

    keyring_op(store_and_read, timeout, password)


def load_password(
    settings: Settings,
    config_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> PasswordLookup:
    """Find the password: MAILWIZ_PASSWORD first, then the configured store.

    Never raises for a store problem: the lookup's ``problem`` says why there is none.
    """
    from_env = password_from_env(env, config_path)
    if from_env is not None:
        return from_env
    if not password_needed(settings):
        # The relay's key is optional: store = "none" is "no key", nothing is missing.
        reason = "" if uses_relay(settings) else _no_password_reason(settings, config_path)
        return PasswordLookup(None, "none", reason)

    store = settings.password.store
    word = secret_word(settings)
    if store == "none":
        command = command_for(config_path, "password")
        problem = say("store.not-stored-env-unset", word=word, env=PASSWORD_ENV, command=command)
        return PasswordLookup(None, "none", problem)
    if store == "file":
        got = read_secret_file(password_file_path(config_path), config_path)
        return PasswordLookup(got.password, "file", got.problem, got.warning)

    from keyring.backends import null

    account = keyring_account(settings)

    def read(backend: keyring.backend.KeyringBackend) -> str | None:
        if isinstance(backend, null.Keyring):
            raise fail_null(backend)
        return backend.get_password(SERVICE, account)

    try:
        found, name = keyring_op(read, timeout)
    except PasswordStoreError as exc:
        if secret_optional(settings) and exc.problem in ("none", "null"):
            return PasswordLookup(None, "keyring", "")  # no keyring here: no key to send
        return PasswordLookup(None, "keyring", exc.explanation + _relay_hint(settings))
    if found is None and secret_optional(settings):
        return PasswordLookup(None, "keyring", "")  # no key stored: the relay gets none
    if found is None:
        problem = say(
            "store.keyring-has-none",
            name=name,
            word=secret_word(settings),
            service=SERVICE,
            account=account,
            command=command_for(config_path, "password"),
            env=PASSWORD_ENV,
        )
        return PasswordLookup(None, "keyring", problem)
    return PasswordLookup(found, "keyring", "")


def _relay_hint(settings: Settings) -> str:
    if not secret_optional(settings):
        return ""
    return say("store.relay-optional")


def delete_password(settings: Settings, config_path: Path, timeout: float = 10) -> None:
    """Remove the stored password of these settings (before a store, username or host
    change). A password that is not there is fine.

    Follows ``settings.password.store`` whatever the protocol, so an old entry is removed
    even when the settings moved to an HTTP relay. A keyring that has no backend, or the
    null one, cannot hold anything: nothing to do. Other keyring failures raise
    PasswordStoreError, so the caller can tell the user the old entry is still there.
    """
    store = settings.password.store
    if store == "file":
        path = password_file_path(config_path)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise PasswordStoreError(
                "file", say("store.old-file-kept", path=path, error=exc.strerror)
            ) from None
        return
    if store != "keyring" or not (settings.protocol == "http" or settings.smtp.username.strip()):
        return
    import keyring.errors
    from keyring.backends import null

    account = keyring_account(settings)

    def remove(backend: keyring.backend.KeyringBackend) -> None:
        if isinstance(backend, null.Keyring):
            return
        if backend.get_password(SERVICE, account) is None:
            return
        try:
            backend.delete_password(SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            if backend.get_password(SERVICE, account) is not None:
                raise

    try:
        keyring_op(remove, timeout)
    except PasswordStoreError as exc:
        if exc.problem == "none":
            return
        explanation = exc.explanation
        message = say(
            "store.old-entry-kept", service=SERVICE, account=account, explanation=explanation
        )
        raise PasswordStoreError(exc.problem, message) from None
