"""`mailwiz password`: store the password for the current settings, without the wizard."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from tui.commands.base import NotReady, SubParsers, UsageError, load_or_explain
from tui.core.exits import Exit
from tui.core.settings import save_settings


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
    parser.set_defaults(run=run)


def read_new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password: pipe it in with --stdin")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again, to be sure: ") != password:
            raise UsageError("the two passwords differ; nothing was stored")
    if not password:
        raise UsageError("the password is empty; nothing was stored")
    return password


def run(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.credentials.store import (
        PasswordStoreError,
        describe_store,
        password_needed,
        save_password,
    )

    loaded = load_or_explain(config_path)
    settings = loaded.settings
    if not password_needed(settings):
        raise UsageError(
            "these settings use no password (no username, or an HTTP relay); nothing to store"
        )
    if args.store:
        settings.password.store = args.store
    if settings.password.store == "none":
        raise UsageError(
            'the settings say store = "none": the password is supplied at run time by '
            "$MAILWIZ_PASSWORD. To keep it instead, add --store keyring or --store file"
        )
    password = read_new_password(args.stdin)
    try:
        save_password(settings, loaded.path, password)
    except PasswordStoreError as error:
        hint = ""
        if settings.password.store == "keyring":
            hint = (
                "\nTo keep it in a file only you can read, beside the settings, run: "
                f"mailwiz password --store file{' --stdin' if args.stdin else ''}"
            )
        raise NotReady(f"the password was not stored. {error}{hint}") from None
    if args.store:
        save_settings(settings, loaded.path)
    print(f"Password stored in {describe_store(settings, loaded.path)}.")
    return Exit.OK
