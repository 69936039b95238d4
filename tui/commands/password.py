"""`mailwiz password`: store the password for the current settings, without the wizard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.base import NotReady, SubParsers, UsageError, load_or_explain, say
from tui.core.exits import Exit
from tui.core.locations import command_for

if TYPE_CHECKING:
    from tui.core.save import SaveResult
    from tui.core.settings import PasswordStore, Settings


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "password",
        parents=parents,
        help="store the password for the current settings",
        description="Store the password for the saved settings in the system keyring or a "
        "0600 file beside them, without running the wizard.",
    )
    parser.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (one line)"
    )
    parser.add_argument(
        "--store",
        choices=["keyring", "file"],
        help="where to keep it: the system keyring, or a 0600 file beside the settings",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help='remove the stored password (or API key) and set store = "none" (for an HTTP '
        "relay: send no key)",
    )
    parser.set_defaults(run=run)


def password_problem(password: str) -> str | None:
    """Why a typed or piped password cannot be stored, or None (exit 2 with the reason)."""
    if not password:
        return say("password.empty")
    if "\0" in password:
        return say("password.nul")
    if "\r" in password or "\n" in password:
        return say("password.line-break")
    return None


def read_stdin_line() -> str:
    """One line from standard input, as bytes checked to be UTF-8 (a LF or CRLF ends it)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream with no bytes under it (tests, embedding)
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    raw: bytes = stream.readline()
    raw = raw.removesuffix(b"\n").removesuffix(b"\r")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(say("password.not-utf8", byte=error.start + 1)) from None


def read_new_password(from_stdin: bool, word: str = "password") -> str:
    if from_stdin:
        password = read_stdin_line()
    else:
        import getpass

        if not sys.stdin.isatty():
            raise UsageError(say("password.no-terminal"))
        password = getpass.getpass(say("password.prompt", Word=_capital(word)))
        if getpass.getpass(say("password.again")) != password:
            raise UsageError(say("password.differ"))
    problem = password_problem(password)
    if problem:
        raise UsageError(problem)
    return password


def run(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.credentials import (
        may_store_secret,
        secret_word,
        uses_client_secret,
        uses_oauth_sign_in,
    )

    loaded = load_or_explain(config_path)
    settings = loaded.settings
    if uses_oauth_sign_in(settings) and not uses_client_secret(settings):  # its own entry
        raise UsageError(say("password.oauth", login=command_for(config_path, "login")))
    if not may_store_secret(settings):
        raise UsageError(say("password.no-username"))
    word = secret_word(settings)
    if args.delete:
        if args.store:
            raise UsageError(say("password.delete-with-store"))
        if settings.password.store == "none":
            print(say("password.none-stored", word=word))
            return Exit.OK
        _save(settings, None, "none", loaded.path, args.stdin)
        after = _after_delete(settings, loaded.path)
        print(say("password.removed", Word=_capital(word), after=after))
        return Exit.OK
    store = args.store or settings.password.store
    if store == "none":
        raise UsageError(say("password.store-none", word=word))
    password = read_new_password(args.stdin, word)
    if settings.protocol == "http":
        from tui.core.http_apis import key_problem

        problem = key_problem(password)
        if problem:  # it could never go in the request's header: refused here, not at send
            raise UsageError(say("password.key-refused", problem=problem))
    result = _save(settings, password, store, loaded.path, args.stdin)
    print(say("password.stored", Word=_capital(word), where=result.where))
    return Exit.OK


def _save(
    settings: Settings, password: str | None, store: PasswordStore, path: Path, from_stdin: bool
) -> SaveResult:
    """The save use case (settings and secret under one lock, rolled back together); its
    failures as this command's exits, its warnings on stderr."""
    from tui.core.credentials import PasswordStoreError, secret_word
    from tui.core.save import SaveRefused, save_settings
    from tui.core.settings import SettingsError

    word = secret_word(settings)
    try:
        result = save_settings(settings, password, store, path, validate=False)
    except PasswordStoreError as error:
        hint = ""
        if store == "keyring":
            stdin = ["--stdin"] if from_stdin else []
            command = command_for(path, "password", "--store", "file", *stdin)
            hint = say("password.file-hint", command=command)
        raise NotReady(say("password.not-stored", word=word, error=error, hint=hint)) from None
    except SaveRefused as error:
        raise UsageError(str(error)) from None
    except SettingsError as error:
        raise NotReady(say("password.nothing-changed", error=error)) from None
    except ValueError as error:
        raise UsageError(say("password.refused", error=error)) from None
    for warning in result.warnings:
        print(say("base.warning", warning=warning), file=sys.stderr)
    return result


def _after_delete(settings: Settings, path: Path) -> str:
    from tui.core.credentials import uses_relay

    if uses_relay(settings):
        return say("password.after-delete-relay")
    return say("password.after-delete", command=command_for(path, "password"))


def _capital(word: str) -> str:
    """The word with a capital first letter ("password" -> "Password"; "API key" stays)."""
    return f"{word[0].upper()}{word[1:]}"
