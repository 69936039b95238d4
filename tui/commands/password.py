"""`mailwiz password`: store the password for the current settings, without the wizard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.base import NotReady, SubParsers, UsageError, load_or_explain
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
        return "the password is empty; nothing was stored"
    if "\0" in password:
        return "the password holds a NUL byte, which no server accepts; nothing was stored"
    if "\r" in password or "\n" in password:
        return (
            "the password holds a carriage return (CR) or line break, which no server "
            "accepts; nothing was stored. Pipe in one line only"
        )
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
        raise UsageError(
            f"the password on standard input is not UTF-8 text (byte {error.start + 1} is "
            "not); nothing was stored. Pipe it in as UTF-8"
        ) from None


def read_new_password(from_stdin: bool, word: str = "password") -> str:
    if from_stdin:
        password = read_stdin_line()
    else:
        import getpass

        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password: pipe it in with --stdin")
        password = getpass.getpass(f"{word[0].upper()}{word[1:]}: ")
        if getpass.getpass("Again, to be sure: ") != password:
            raise UsageError("the two passwords differ; nothing was stored")
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
        raise UsageError(
            "these settings sign in with OAuth (smtp.auth = oauth2), so there is no password "
            f"to store: run `{command_for(config_path, 'login')}` to sign in"
        )
    if not may_store_secret(settings):
        raise UsageError("these settings use no password (no username is set); nothing to store")
    word = secret_word(settings)
    if args.delete:
        if args.store:
            raise UsageError("--delete and --store do not go together")
        if settings.password.store == "none":
            print(f'No {word} is stored (store = "none"); nothing to remove.')
            return Exit.OK
        _save(settings, None, "none", loaded.path, args.stdin)
        after = _after_delete(settings, loaded.path)
        print(f'{word[0].upper()}{word[1:]} removed; store = "none". {after}')
        return Exit.OK
    store = args.store or settings.password.store
    if store == "none":
        raise UsageError(
            f'the settings say store = "none": the {word} is supplied at run time by '
            "$MAILWIZ_PASSWORD. To keep it instead, add --store keyring or --store file"
        )
    password = read_new_password(args.stdin, word)
    if settings.protocol == "http":
        from tui.core.http_apis import key_problem

        problem = key_problem(password)
        if problem:  # it could never go in the request's header: refused here, not at send
            raise UsageError(f"{problem}; nothing was stored")
    result = _save(settings, password, store, loaded.path, args.stdin)
    print(f"{word[0].upper()}{word[1:]} stored in {result.where}.")
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
            hint = (
                "\nTo keep it in a file only you can read, beside the settings, run: "
                + command_for(path, "password", "--store", "file", *from_stdin * ["--stdin"])
            )
        raise NotReady(
            f"the {word} was not stored, and the settings are as they were. {error}{hint}"
        ) from None
    except SaveRefused as error:
        raise UsageError(str(error)) from None
    except SettingsError as error:
        raise NotReady(f"nothing was changed: {error}") from None
    except ValueError as error:
        raise UsageError(f"{error} Nothing was stored.") from None
    for warning in result.warnings:
        print(f"mailwiz: warning: {warning}", file=sys.stderr)
    return result


def _after_delete(settings: Settings, path: Path) -> str:
    from tui.core.credentials import uses_relay

    if uses_relay(settings):
        return "The relay is sent no key (unless $MAILWIZ_PASSWORD is set)."
    again = command_for(path, "password")
    return f"Give it at each use in $MAILWIZ_PASSWORD, or store it again with `{again}`."
