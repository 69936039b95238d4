"""Password storage: the system keyring and its explicit fallbacks.

Where the password lives is the user's explicit choice, ``settings.password.store``:

- ``"keyring"``: the system keyring, service ``mailwiz``, user ``USERNAME@HOST``.
  Every save is read back, because the ``null`` backend "succeeds" and keeps nothing.
- ``"file"``: a file beside the settings file (``settings.toml.password``), created
  0600 from the first byte and replaced atomically. Offered only after the user was
  told that there is no working keyring and agreed.
- ``"none"``: never stored; supplied at use time through ``MAILWIZ_PASSWORD``.

``MAILWIZ_PASSWORD``, when set and not empty, wins over every store.

An HTTP relay takes no password in this version, and neither does an SMTP server
used without a username (``security = "none"``, a local relay): for those, nothing
is stored or looked up whatever the store says, as if it were ``"none"``; the
environment variable still wins if set, so a caller that wants it gets it.

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
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from tui.core import files
from tui.core.settings import Settings

if TYPE_CHECKING:
    import keyring.backend

# keyring (about 40 ms) is imported only when a keyring is really used: not when
# MAILWIZ_PASSWORD is set, nor for a password file or settings that need no password.

SERVICE = "mailwiz"
PASSWORD_ENV = "MAILWIZ_PASSWORD"
PASSWORD_FILE_SUFFIX = ".password"

# The probe entry written (and removed again) by check_keyring. It has no "@", so it
# can never be the entry of a real configuration (those are always USERNAME@HOST).
PROBE_ACCOUNT = "mailwiz-keyring-check"

Problem = Literal["", "none", "locked", "misconfigured", "null", "timeout", "error"]
Source = Literal["env", "keyring", "file", "none"]

_T = TypeVar("_T")

_OR_FALLBACK = (
    "store the password in a file that only you can read, or give it at each use in the "
    f"{PASSWORD_ENV} environment variable"
)
_FALLBACKS = _OR_FALLBACK[0].upper() + _OR_FALLBACK[1:] + " instead."


# ---------------------------------------------------------------------------
# Public values


@dataclass(frozen=True)
class KeyringStatus:
    """The outcome of ``check_keyring``: can the system keyring keep a password?"""

    usable: bool
    backend: str  # a readable backend name, "" when none could be loaded
    problem: Problem  # "" when usable
    explanation: str  # what happened, why, what to do; "" when usable


class PasswordStoreError(Exception):
    """Storing (or deleting) the password failed. ``str(e)`` is the user-facing text.

    ``problem`` is one of the KeyringStatus problems for the keyring, or ``"file"``
    for the password file. The message never contains the password.
    """

    def __init__(self, problem: str, explanation: str, backend: str = "") -> None:
        super().__init__(explanation)
        self.problem = problem
        self.explanation = explanation
        self.backend = backend  # the keyring backend's name, when one was loaded


@dataclass(frozen=True, repr=False)
class PasswordLookup:
    """Where the password came from, or why there is none.

    ``problem`` is a user-facing sentence explaining why ``password`` is None ("" when
    found). ``warning`` is set when the password was found but something is unsafe
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


# ---------------------------------------------------------------------------
# Names and places


def keyring_account(settings: Settings) -> str:
    """The keyring user name for these settings: ``USERNAME@HOST``.

    Surrounding blanks are dropped and the host is lower-cased (host names are not
    case-sensitive, so "SMTP.gmail.com" and "smtp.gmail.com" share one entry).
    """
    return f"{settings.smtp.username.strip()}@{settings.smtp.host.strip().lower()}"


def password_file_path(config_path: Path) -> Path:
    """The password file beside the settings file: ``settings.toml.password``."""
    return config_path.with_name(config_path.name + PASSWORD_FILE_SUFFIX)


def password_needed(settings: Settings) -> bool:
    """Whether these settings use a password at all (SMTP with a username)."""
    return settings.protocol == "smtp" and bool(settings.smtp.username.strip())


def _no_password_reason(settings: Settings) -> str:
    if settings.protocol == "http":
        return "An HTTP relay takes no password, so none is stored or needed."
    return "No username is set (a server used without login), so no password is needed."


def describe_store(settings: Settings, config_path: Path) -> str:
    """Where the password for these settings is kept, in words, for `show` and save."""
    if settings.protocol == "http":
        return "nowhere: an HTTP relay takes no password"
    if not password_needed(settings):
        return "nowhere: no username is set, so no password is needed"
    store = settings.password.store
    if store == "keyring":
        name = _backend_name_quick()
        return f"the system keyring ({name}), entry {SERVICE} / {keyring_account(settings)}"
    if store == "file":
        return f"the password file {password_file_path(config_path)} (readable only by you)"
    return f"not stored: given at each use in the {PASSWORD_ENV} environment variable"


# ---------------------------------------------------------------------------
# Keyring backends: names and classification


_KNOWN_BACKENDS = {
    "keyring.backends.SecretService": "SecretService",
    "keyring.backends.libsecret": "libsecret",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.fail": "none available",
    "keyring.backends.null": "null backend, which keeps nothing",
}


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    """A readable name for a keyring backend ("SecretService", "KWallet", ...)."""
    from keyring.backends import chainer

    cls = type(backend)
    if isinstance(backend, chainer.ChainerBackend):
        try:
            inner = [backend_name(b) for b in backend.backends]
        except Exception:
            inner = []
        return " then ".join(inner) if inner else "an empty chain, which keeps nothing"
    known = _KNOWN_BACKENDS.get(cls.__module__)
    if known is not None:
        return known
    return f"{cls.__module__}.{cls.__qualname__}"


def _backend_name_quick() -> str:
    import keyring

    try:
        # Instant once a backend is loaded (any keyring call loads it); at most 2 s before.
        return _call_guarded(lambda: backend_name(keyring.get_keyring()), timeout=2)
    except TimeoutError:
        return "not answering"
    except Exception:
        return "not usable"


def _mask(text: str, password: str | None) -> str:
    if password:
        text = text.replace(password, "***")
    return text


def _short(exc: BaseException, password: str | None = None) -> str:
    message = _mask(str(exc).strip(), password)
    if len(message) > 300:
        message = message[:300] + "..."
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def _fail_none() -> PasswordStoreError:
    why = "keyring found no backend to use"
    if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        why = (
            "there is no desktop session with a keyring service (no D-Bus session), "
            "as is usual on a headless server or over SSH"
        )
    return PasswordStoreError(
        "none",
        f"No system keyring is available here: {why}. {_FALLBACKS}",
    )


def _fail_locked(name: str) -> PasswordStoreError:
    return PasswordStoreError(
        "locked",
        f"The system keyring ({name}) is locked and could not be unlocked. Unlock it (log in "
        f"to the desktop session, or use your keyring's unlock tool) and try again, or "
        f"{_OR_FALLBACK}.",
    )


def _fail_prompted(name: str) -> PasswordStoreError:
    return PasswordStoreError(
        "locked",
        f"The keyring ({name}) is locked and wanted to ask for its password on the terminal, "
        "which mailwiz does not allow (the prompt would fight the wizard's screen). Unlock it "
        f"before starting mailwiz, or {_OR_FALLBACK}.",
    )


def _keyringrc_path() -> Path:
    # keyring's own notion of where keyringrc.cfg lives (it differs per platform).
    import keyring.core

    config_path: Callable[[], Path] = keyring.core._config_path
    return Path(config_path())


def _fail_misconfigured(exc: BaseException) -> PasswordStoreError:
    configured = os.environ.get("PYTHON_KEYRING_BACKEND")
    if configured:
        where = f"PYTHON_KEYRING_BACKEND={configured}"
        fix = "Fix or unset PYTHON_KEYRING_BACKEND"
    else:
        config_file = _keyringrc_path()
        if config_file.exists():
            where = f"the keyring configuration file {config_file}"
            fix = f"Fix or remove default-keyring in {config_file}"
        else:
            where = "keyring's backend detection"
            fix = "Check the keyring installation"
    return PasswordStoreError(
        "misconfigured",
        f"The keyring backend chosen by {where} cannot be used ({_short(exc)}). "
        f"{fix}, or {_OR_FALLBACK}.",
    )


def _fail_null(backend: keyring.backend.KeyringBackend) -> PasswordStoreError:
    from keyring.backends import null

    name = backend_name(backend)
    if isinstance(backend, null.Keyring):
        why = (
            f"the backend in use ({name}) throws passwords away; it is how a keyring is "
            "switched off, with PYTHON_KEYRING_BACKEND or keyringrc.cfg"
        )
        fix = "Choose a real backend there"
    else:
        why = f"reading it back from {name} gave something else"
        fix = "Check the keyring service"
    return PasswordStoreError(
        "null",
        f"The keyring accepted the password but did not keep it: {why}. {fix}, or {_OR_FALLBACK}.",
    )


def _fail_timeout(name: str, timeout: float) -> PasswordStoreError:
    return PasswordStoreError(
        "timeout",
        f"The keyring ({name}) did not answer within {timeout:g} seconds: it may be waiting "
        "for an unlock dialog on a desktop you cannot see, or its service is stuck. Unlock "
        f"or restart it and try again, or {_OR_FALLBACK}.",
    )


def _fail_error(name: str, exc: BaseException, password: str | None) -> PasswordStoreError:
    return PasswordStoreError(
        "error",
        f"The system keyring ({name}) reported an error: {_short(exc, password)}. "
        f"Check the keyring service and try again, or {_OR_FALLBACK}.",
    )


# ---------------------------------------------------------------------------
# Running keyring calls: time limit and no terminal prompts

# Some keyring backends (keyrings.alt's encrypted file, keyrings.cryptfile...) ask for
# their master password with getpass.getpass(). getpass opens /dev/tty directly, so it
# would read the keys the user types into the Textual screen, and hang a script. A
# thread cannot be detached from the controlling terminal, and a subprocess would not
# see the keyring configured in-process (nor the tests' in-memory backend), so instead:
#
# the first keyring call replaces getpass.getpass (and its platform variants) with a
# wrapper that raises EOFError -- what getpass itself raises when there is no terminal,
# which backends already handle -- when called from one of OUR keyring worker threads,
# and calls the original otherwise. The guard is thread-targeted and permanent, so it
# cannot be undone by a racing call and never affects another thread (`mailwiz password`
# may itself read the password with getpass). mailwiz's first get_keyring() runs inside
# a worker after the guard is in, so a backend that does `from getpass import getpass`
# when it is imported binds the wrapper too (unless some other code loaded keyring
# backends earlier). A refused prompt is recorded and reported as a locked keyring:
# that is what a master-password prompt means. Backends that read the terminal by other
# means than getpass are not caught; none of the common ones do.

_GETPASS_NAMES = ("getpass", "unix_getpass", "win_getpass", "fallback_getpass")
_original_getpass: dict[str, Callable[..., str]] = {}
_guard_lock = threading.Lock()
_thread_state = threading.local()


class PromptRefused(EOFError):
    """Raised inside a keyring call that tries to prompt on the terminal."""


def _in_keyring_worker() -> bool:
    return bool(getattr(_thread_state, "keyring_worker", False))


def _make_guard(name: str) -> Callable[..., str]:
    def guarded_getpass(*args: Any, **kwargs: Any) -> str:
        if _in_keyring_worker():
            _thread_state.prompt_refused = True
            raise PromptRefused("mailwiz does not let the keyring prompt on the terminal")
        return _original_getpass[name](*args, **kwargs)

    guarded_getpass.__name__ = name
    guarded_getpass.__wrapped__ = _original_getpass[name]  # type: ignore[attr-defined]
    return guarded_getpass


def _install_prompt_guard() -> None:
    import getpass  # only when a keyring is used

    with _guard_lock:
        if _original_getpass:
            return
        for name in _GETPASS_NAMES:
            original = getattr(getpass, name, None)
            if callable(original):
                _original_getpass[name] = original
                setattr(getpass, name, _make_guard(name))


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    prompt_refused: bool = False


def _run_worker(fn: Callable[[], Any], outcome: _Outcome, done: threading.Event) -> None:
    _thread_state.keyring_worker = True
    _thread_state.prompt_refused = False
    try:
        outcome.value = fn()
    except Exception as exc:
        outcome.error = exc
    finally:
        outcome.prompt_refused = bool(_thread_state.prompt_refused)
        done.set()


def _call_guarded(fn: Callable[[], _T], timeout: float) -> _T:
    """Run fn in a daemon thread; TimeoutError if it does not finish in time.

    A refused terminal prompt raises PromptRefused even if the backend swallowed it.
    A timed-out call keeps running in its thread (a thread cannot be killed); being a
    daemon, it never keeps the program from exiting.
    """
    _install_prompt_guard()
    outcome = _Outcome()
    done = threading.Event()
    worker = threading.Thread(
        target=_run_worker, args=(fn, outcome, done), name="mailwiz-keyring", daemon=True
    )
    worker.start()
    if not done.wait(timeout):
        raise TimeoutError("the keyring did not answer")
    if outcome.prompt_refused:
        raise PromptRefused("the keyring tried to prompt on the terminal")
    if outcome.error is not None:
        raise outcome.error
    value: _T = outcome.value
    return value


class _BackendUnusable(Exception):
    """get_keyring() itself failed: a misconfigured backend."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


def _load_backend() -> keyring.backend.KeyringBackend:
    import keyring

    try:
        return keyring.get_keyring()
    except Exception as exc:  # RuntimeError, ImportError, AttributeError, configparser...
        raise _BackendUnusable(exc) from None


def _keyring_op(
    op: Callable[[keyring.backend.KeyringBackend], _T],
    timeout: float,
    password: str | None = None,
) -> tuple[_T, str]:
    """Load the backend and run op on it, guarded; map every failure to PasswordStoreError.

    Returns (op's result, backend name).
    """
    import keyring.errors
    from keyring.backends import fail

    names: list[str] = []

    def run() -> _T:
        backend = _load_backend()
        names.append(backend_name(backend))
        if isinstance(backend, fail.Keyring):
            raise keyring.errors.NoKeyringError("no backend")
        return op(backend)

    def current_name() -> str:
        return names[0] if names else "no backend loaded yet"

    try:
        return _call_guarded(run, timeout), current_name()
    except PasswordStoreError as exc:
        if not exc.backend and names:
            exc.backend = names[0]
        raise
    except TimeoutError:
        failure = _fail_timeout(current_name(), timeout)
    except PromptRefused:
        failure = _fail_prompted(current_name())
    except _BackendUnusable as exc:
        failure = _fail_misconfigured(exc.cause)
    except keyring.errors.NoKeyringError:
        failure = _fail_none()
    except keyring.errors.KeyringLocked:
        failure = _fail_locked(current_name())
    except Exception as exc:
        failure = _fail_error(current_name(), exc, password)
    failure.backend = names[0] if names else ""
    raise failure from None


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
            raise _fail_null(backend)
        backend.set_password(SERVICE, PROBE_ACCOUNT, token)
        try:
            back = backend.get_password(SERVICE, PROBE_ACCOUNT)
        finally:
            # Nothing stored (a null-like backend), or a backend that cannot delete.
            with contextlib.suppress(Exception):
                backend.delete_password(SERVICE, PROBE_ACCOUNT)
        if back != token:
            raise _fail_null(backend)

    try:
        _, name = _keyring_op(probe, timeout)
    except PasswordStoreError as exc:
        return KeyringStatus(False, exc.backend, _as_problem(exc.problem), exc.explanation)
    return KeyringStatus(True, name, "", "")


def _as_problem(problem: str) -> Problem:
    for known in ("none", "locked", "misconfigured", "null", "timeout", "error"):
        if problem == known:
            return known
    return "error"


# ---------------------------------------------------------------------------
# The password file


def _write_password_file(path: Path, password: str) -> None:
    """Write atomically; the file is 0600 from its creation, never readable by others,
    and its temp file never follows a planted symlink. The folder is created 0700."""
    files.make_private_folder(path.parent)
    files.write_atomically(path, (password + "\n").encode("utf-8"))


@dataclass(frozen=True, repr=False)
class _FileRead:
    password: str | None
    problem: str
    warning: str


def _read_password_file(path: Path) -> _FileRead:
    run_hint = f"Run `mailwiz password` to store it, or give it in {PASSWORD_ENV}."
    try:
        # O_NONBLOCK: a FIFO planted at the path must not hang us before the check below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return _FileRead(None, f"The password file {path} does not exist. {run_hint}", "")
    except PermissionError:
        return _FileRead(
            None,
            f"mailwiz may not read the password file {path} (permission denied). Check "
            f"that it belongs to you, or give the password in {PASSWORD_ENV}.",
            "",
        )
    except OSError as exc:
        return _FileRead(
            None, f"The password file {path} could not be opened ({exc.strerror}).", ""
        )
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _FileRead(
                None, f"{path} is not a regular file, so it is not used as a password file.", ""
            )
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError as exc:
        return _FileRead(None, f"The password file {path} could not be read ({exc.strerror}).", "")
    finally:
        os.close(fd)
    warning = ""
    if os.name == "posix" and info.st_mode & 0o077:
        warning = (
            f"The password file {path} can be read by other users of this computer "
            f"(permissions {stat.filemode(info.st_mode)}), and anyone who reads it can send "
            f"mail as you. Run: chmod 600 {path}"
        )
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        return _FileRead(None, f"The password file {path} is not UTF-8 text. {run_hint}", warning)
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        return _FileRead(None, f"The password file {path} is empty. {run_hint}", warning)
    return _FileRead(text, "", warning)


# ---------------------------------------------------------------------------
# Save, load, delete


def _check_new_password(password: str) -> None:
    if not password:
        raise ValueError("The password is empty.")
    if any(ch in password for ch in "\r\n\0"):
        raise ValueError("The password contains a line break or NUL character.")


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
        raise ValueError(
            f'The password store is "none": the password is never stored; give it at each '
            f"use in {PASSWORD_ENV}."
        )
    if not password_needed(settings):
        raise ValueError(_no_password_reason(settings))
    _check_new_password(password)

    if store == "file":
        path = password_file_path(config_path)
        try:
            _write_password_file(path, password)
        except OSError as exc:
            raise PasswordStoreError(
                "file",
                f"The password file {path} could not be written ({exc.strerror or exc}). "
                "Check that its folder exists and is yours, or give the password in "
                f"{PASSWORD_ENV}.",
            ) from None
        back = _read_password_file(path)
        if back.password != password:
            raise PasswordStoreError(
                "file",
                f"The password file {path} was written but reading it back gave something "
                "else. Check the disk and the file, then try again.",
            )
        return

    account = keyring_account(settings)

    def store_and_read(backend: keyring.backend.KeyringBackend) -> None:
        backend.set_password(SERVICE, account, password)
        if backend.get_password(SERVICE, account) != password:
            raise _fail_null(backend)

    _keyring_op(store_and_read, timeout, password)


def env_password_problem(value: str) -> str:
    """Why MAILWIZ_PASSWORD cannot be used as it is, or "". Bytes that are not UTF-8 reach
    Python as lone surrogates (surrogateescape), which no server could be sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return (
            f"{PASSWORD_ENV} is not valid UTF-8 text (it holds bytes of another encoding). "
            f"Set it again from a UTF-8 terminal, or store the password with "
            "`mailwiz password`."
        )
    if any(ch in value for ch in "\r\n\0"):
        return (
            f"{PASSWORD_ENV} holds a line break or NUL character, which no server accepts "
            "in a password. Set it without them."
        )
    return ""


def load_password(
    settings: Settings,
    config_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> PasswordLookup:
    """Find the password: MAILWIZ_PASSWORD first, then the configured store.

    Never raises for a store problem: the lookup's ``problem`` says why there is none.
    """
    environ = os.environ if env is None else env
    from_env = environ.get(PASSWORD_ENV, "")
    if from_env:
        problem = env_password_problem(from_env)
        if problem:
            return PasswordLookup(None, "env", problem)
        return PasswordLookup(from_env, "env", "")
    if not password_needed(settings):
        return PasswordLookup(None, "none", _no_password_reason(settings))

    store = settings.password.store
    if store == "none":
        return PasswordLookup(
            None,
            "none",
            f'The password is not stored (store = "none") and {PASSWORD_ENV} is not set. '
            f"Set {PASSWORD_ENV} to the password before running mailwiz, or store it "
            "with `mailwiz password`.",
        )
    if store == "file":
        got = _read_password_file(password_file_path(config_path))
        return PasswordLookup(got.password, "file", got.problem, got.warning)

    from keyring.backends import null

    account = keyring_account(settings)

    def read(backend: keyring.backend.KeyringBackend) -> str | None:
        if isinstance(backend, null.Keyring):
            raise _fail_null(backend)
        return backend.get_password(SERVICE, account)

    try:
        found, name = _keyring_op(read, timeout)
    except PasswordStoreError as exc:
        return PasswordLookup(None, "keyring", exc.explanation)
    if found is None:
        return PasswordLookup(
            None,
            "keyring",
            f"The system keyring ({name}) has no password for {SERVICE} / {account}. "
            f"Run `mailwiz password` to store it, or give it in {PASSWORD_ENV}.",
        )
    return PasswordLookup(found, "keyring", "")


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
                "file",
                f"The old password file {path} could not be removed ({exc.strerror}). "
                "Remove it by hand: it still holds the password.",
            ) from None
        return
    if store != "keyring" or not settings.smtp.username.strip():
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
        _keyring_op(remove, timeout)
    except PasswordStoreError as exc:
        if exc.problem == "none":
            return
        raise PasswordStoreError(
            exc.problem,
            f"The old password entry {SERVICE} / {account} could not be removed from the "
            f"keyring and may still be there. {exc.explanation}",
        ) from None
