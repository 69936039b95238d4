"""The command line: argument parsing and dispatch. Each subcommand lives in its own module
under tui/commands/ and is registered in SUBCOMMANDS below.

Only the wizard imports Textual; `show`, `password`, `test` and `send` stay light so that
scripts and fleet tools pay nothing for the UI.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.base import (
    NotReady,
    PipeSafeStream,
    UsageError,
    emit,
    printable,
    report_bug,
)
from tui.core.exits import Exit
from tui.core.texts import Texts

if TYPE_CHECKING:  # argparse loads only to parse: the sendmail entry never needs it
    from tui.commands.parsing import ArgumentParser

say = Texts("tui")  # tui/texts.toml, [cli]: read only when a sentence is said

# One line per subcommand: its name and the module in tui/commands that implements it.
# The module provides add_parser(commands, parents) and sets `run` as the parser default.
SUBCOMMANDS: dict[str, str] = {
    "test": "tui.commands.test",
    "send": "tui.commands.send",
    "show": "tui.commands.show",
    "password": "tui.commands.password",
    "discover": "tui.commands.discover",
    "sandbox": "tui.commands.sandbox",
    "sendmail": "tui.commands.sendmail",  # its help line; its options bypass argparse
    "queue": "tui.commands.queue",
    "install-mta": "tui.commands.install_mta",
    "login": "tui.commands.login",
    "configure": "tui.commands.configure",
    "status": "tui.commands.status",
}


# The names under which mailwiz is the system's sendmail (install-mta makes the links).
SENDMAIL_NAMES = ("sendmail", "mailq", "newaliases")


def chosen_subcommand(words: Sequence[str]) -> str | None:
    """The subcommand argparse will run, when the first word that is not an option (or
    --config's value) names one; None otherwise (--help, no subcommand, a typo)."""
    words = list(words)
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return None
        if len(word) > 2 and "--config".startswith(word):  # argparse takes --conf too
            index += 2
            continue
        if not word.startswith("-"):
            return word if word in SUBCOMMANDS else None
        index += 1
    return None


def starts_the_wizard(words: Sequence[str]) -> bool:
    """True when the words are only --config PATH and --practice (or none): the wizard
    starts, so no subcommand's parser is needed. Anything else (--help, a subcommand, a typo,
    an unknown option) gets the parser that can answer it."""
    words = list(words)
    index = 0
    while index < len(words):
        name, equals, _ = words[index].partition("=")
        if len(name) > 2 and "--config".startswith(name):  # argparse takes --conf too
            index += 1 if equals else 2
        elif len(name) > 2 and not equals and "--practice".startswith(name):
            index += 1
        else:
            return False
    return True


def build_parser(only: str | None = None) -> ArgumentParser:
    """The whole command line; with `only`, just that subcommand's parser (what parsing a
    command line that names it uses: building all nine costs ~20 ms per run, most of it
    importing their modules); with `only=""`, none (a wizard start)."""
    import argparse

    from tui.commands.parsing import ArgumentParser

    # The help below is written here, not in tui/texts.toml: --help reads no texts file (TOML
    # brings the datetime module). --config is accepted before or after the subcommand;
    # SUPPRESS keeps the subcommand's default from overwriting a value given before it.
    config = ArgumentParser(add_help=False)
    config.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="settings file (default: $MAILWIZ_CONFIG, else the user config folder)",
    )
    parser = ArgumentParser(
        prog="mailwiz",
        description="Set up outgoing email, test it live, and send with it.",
        parents=[config],
    )
    parser.add_argument("--version", action="store_true", help="print mailwiz's version")
    parser.add_argument(
        "--practice",
        action="store_true",
        help="try the wizard against a practice server on this machine (no account needed; "
        "your real settings are not touched)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name, module_name in SUBCOMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module_name).add_parser(commands, [config])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # `mailwiz test | head -1`: when the reader goes away, stop writing, finish quietly.
    stdout = sys.stdout
    sys.stdout = PipeSafeStream(stdout)
    try:
        return dispatch(argv)
    finally:
        sys.stdout.flush()
        sys.stdout = stdout


def take_config(words: Sequence[str]) -> tuple[list[str], str | None]:
    """A sendmail command line without its `--config PATH` (or `--config=PATH`), wherever
    it stands before `--`, and that path (the last one given; None without one)."""
    rest: list[str] = []
    path: str | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            rest += words[index:]
            break
        if word == "--config" and index + 1 < len(words):
            path = words[index + 1]
            index += 2
            continue
        if word.startswith("--config="):
            path = word.partition("=")[2]
        else:
            rest.append(word)
        index += 1
    return rest, path


def dispatch(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    program = Path(sys.argv[0]).name if argv is None and sys.argv else "mailwiz"
    as_itself = program in SENDMAIL_NAMES
    sendmail_words, config = take_config(words)
    if as_itself or sendmail_words[:1] == ["sendmail"]:
        from tui.commands.sendmail import main as sendmail_main  # sendmail's own options

        if config is not None:
            # For sendmail, --config is $MAILWIZ_CONFIG: the queue runner it starts (a
            # child) delivers with the same settings.
            from tui.core.locations import config_from_option

            config_from_option(config)
        try:
            return sendmail_main(
                sendmail_words if as_itself else sendmail_words[1:],
                program if as_itself else "sendmail",
            )
        except Exception:  # a bug: the traceback goes to a private file, not the terminal
            return report_bug()
    parser = build_parser(only="" if starts_the_wizard(words) else chosen_subcommand(words))
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(say("cli.version", version=version("mailwiz")))
        return Exit.OK
    if args.practice and args.command:
        parser.error(say("cli.practice_with_command", command=args.command))
    # Imported after parsing: --help and argument errors need no settings model.
    from tui.core.settings import SettingsError, SettingsFileError, resolve_config_path

    config_path = resolve_config_path(getattr(args, "config", None))
    json_mode = bool(getattr(args, "json", False))
    try:
        if args.command is None:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                return fail_before_send(json_mode, Exit.USAGE, say("cli.no_terminal"))
            from tui.app import run_wizard  # the only path that imports Textual

            return run_wizard(config_path, practice=args.practice)
        code: int = args.run(args, config_path)
        return code
    except KeyboardInterrupt:
        print(say("cli.interrupted"), file=sys.stderr)
        return Exit.INTERRUPTED
    except UsageError as error:
        return fail_before_send(json_mode, Exit.USAGE, str(error))
    except NotReady as error:
        return fail_before_send(json_mode, Exit.NOT_READY, str(error))
    except SettingsFileError as error:
        return fail_before_send(json_mode, Exit.USAGE, str(error))
    except SettingsError as error:  # busy (another writer holds the lock), cannot save
        return fail_before_send(json_mode, Exit.NOT_READY, str(error))
    except Exception:
        return report_bug()


def fail_before_send(json_mode: bool, code: int, message: str) -> int:
    if json_mode:
        emit({"result": "failed", "stage": "settings", "exit": code, "cause": message, "fix": ""})
    print(say("cli.failed", message=printable(message, newlines=True)), file=sys.stderr)
    return code
