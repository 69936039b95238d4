"""Calling the system keyring safely: readable backend names, failures that say what to do,
a time limit on every call, and no terminal prompts from a backend (see the comment below).

keyring itself is imported only inside these functions, when a keyring is really used.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import keyring.backend

from tui.core.credentials.lookup import PASSWORD_ENV
from tui.core.credentials.texts import say

_T = TypeVar("_T")


def _or_fallback() -> str:
    return say("keyring.or-fallback", env=PASSWORD_ENV)


class PasswordStoreError(Exception):
    """Storing (or deleting) the password failed. ``str(e)`` is the user-facing text.

    ``problem`` is one of the KeyringStatus problems for the keyring, or ``"file"``
    for the password file. The message never contains the password.
    """

    def __init__(
        self, problem: str, explanation: str, backend: str = "", *, reason: str = ""
    ) -> None:
        super().__init__(explanation)
        self.problem = problem
        self.explanation = explanation
        self.backend = backend  # the keyring backend's name, when one was loaded
        # What happened, without what to do about a password: a sign-in kept in the keyring
        # (oauth_store) says its own "what to do" after it.
        self.reason = reason or explanation


# ---------------------------------------------------------------------------
# Keyring backends: names and classification


_KNOWN_BACKENDS = {
    "keyring.backends.SecretService": "SecretService",
    "keyring.backends.libsecret": "libsecret",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.fail": "none available",
    "keyring.backends.null": "",  # said in words: keyring.null-backend
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
        return say("keyring.chain").join(inner) if inner else say("keyring.empty-chain")
    known = _KNOWN_BACKENDS.get(cls.__module__)
    if known is not None:
        return known or say("keyring.null-backend")
    return f"{cls.__module__}.{cls.__qualname__}"


def backend_name_quick() -> str:
    import keyring

    try:
        # Instant once a backend is loaded (any keyring call loads it); at most 2 s before.
        return _call_guarded(lambda: backend_name(keyring.get_keyring()), timeout=2)
    except TimeoutError:
        return say("keyring.not-answering")
    except Exception:
        return say("keyring.not-usable")


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
    why = say("keyring.no-backend")
    if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        why = say("keyring.no-dbus")
    fallbacks = say("keyring.fallbacks", env=PASSWORD_ENV)
    return PasswordStoreError(
        "none",
        say("keyring.none", why=why, fallbacks=fallbacks),
        reason=say("keyring.none-reason", why=why),
    )


def _fail_locked(name: str) -> PasswordStoreError:
    return PasswordStoreError(
        "locked",
        say("keyring.locked", name=name, fallback=_or_fallback()),
        reason=say("keyring.locked-reason", name=name),
    )


def _fail_prompted(name: str) -> PasswordStoreError:
    return PasswordStoreError(
        "locked",
        say("keyring.prompted", name=name, fallback=_or_fallback()),
        reason=say("keyring.prompted-reason", name=name),
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
        fix = say("keyring.fix-env")
    else:
        config_file = _keyringrc_path()
        if config_file.exists():
            where = say("keyring.where-rc", path=config_file)
            fix = say("keyring.fix-rc", path=config_file)
        else:
            where = say("keyring.where-detection")
            fix = say("keyring.fix-installation")
    error = _short(exc)
    return PasswordStoreError(
        "misconfigured",
        say("keyring.misconfigured", where=where, error=error, fix=fix, fallback=_or_fallback()),
        reason=say("keyring.misconfigured-reason", where=where, error=error),
    )


def fail_null(backend: keyring.backend.KeyringBackend) -> PasswordStoreError:
    from keyring.backends import null

    name = backend_name(backend)
    if isinstance(backend, null.Keyring):
        why = say("keyring.null-why", name=name)
        fix = say("keyring.null-fix")
    else:
        why = say("keyring.read-back-why", name=name)
        fix = say("keyring.read-back-fix")
    return PasswordStoreError(
        "null",
        say("keyring.not-kept", why=why, fix=fix, fallback=_or_fallback()),
        reason=say("keyring.not-kept-reason", why=why),
    )


def _fail_timeout(name: str, timeout: float) -> PasswordStoreError:
    return PasswordStoreError(
        "timeout",
        say("keyring.timeout", name=name, timeout=timeout, fallback=_or_fallback()),
        reason=say("keyring.timeout-reason", name=name, timeout=timeout),
    )


def _fail_error(name: str, exc: BaseException, password: str | None) -> PasswordStoreError:
    return PasswordStoreError(
        "error",
        say("keyring.error", name=name, error=_short(exc, password), fallback=_or_fallback()),
        reason=say("keyring.error-reason", name=name, error=_short(exc, password)),
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
original_getpass: dict[str, Callable[..., str]] = {}
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
        return original_getpass[name](*args, **kwargs)

    guarded_getpass.__name__ = name
    guarded_getpass.__wrapped__ = original_getpass[name]  # type: ignore[attr-defined]
    return guarded_getpass


def _install_prompt_guard() -> None:
    import getpass  # only when a keyring is used

    with _guard_lock:
        if original_getpass:
            return
        for name in _GETPASS_NAMES:
            original = getattr(getpass, name, None)
            if callable(original):
                original_getpass[name] = original
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


def keyring_op(
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
