"""`mailwiz configure`: the settings from options, a file or the environment, without the wizard.

Thin: it reads the options and the secret, hands them to tui.core.configure and prints the
outcome (or one JSON object). The rules (validation, the store, what changed, the test send,
what is written) are the core's.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands.base import SubParsers, UsageError, emit, printable
from tui.commands.base import say as commands_say
from tui.core.exits import Exit

if TYPE_CHECKING:
    from tui.core.configure import Outcome


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "configure",
        parents=parents,
        help="write the settings without the wizard (scripts, Ansible, containers)",
        description="Write the settings from --file, MAILWIZ_<SECTION>_<KEY> variables and "
        "--set (later ones win), checked like the wizard's, the secret only from standard "
        "input, a variable or a file. A second identical run changes nothing. Exit 0 done, "
        "2 invalid input, 3 not ready, 4 a person must sign in (mailwiz login), 10-21 the "
        "test send failed (as mailwiz test).",
    )
    parser.add_argument(
        "--file",
        "--from",
        metavar="F",
        dest="file",
        help="a settings file (TOML) to take keys from",
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="one setting by its dotted key (smtp.host=smtp.example.com); repeatable",
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-stdin", action="store_true", help="read the password (or key) from stdin"
    )
    secret.add_argument("--password-env", metavar="NAME", help="take it from variable NAME")
    secret.add_argument("--password-file", metavar="PATH", help="read it from PATH (one line)")
    parser.add_argument(
        "--store", choices=["keyring", "file", "none"], help="where to keep the secret"
    )
    parser.add_argument(
        "--check", action="store_true", help="say what would change; change nothing"
    )
    parser.add_argument("--diff", action="store_true", help="show the change (secrets masked)")
    parser.add_argument("--test-to", metavar="ADDR", default="", help="prove it: a live test send")
    parser.add_argument(
        "--keep-on-failure",
        action="store_true",
        help="write the new settings even when the test send fails",
    )
    parser.add_argument(
        "--system", action="store_true", help="the system settings (/etc/mailwiz; root only)"
    )
    parser.add_argument(
        "--install-mta",
        action="store_true",
        help="with --system: then make mailwiz this machine's sendmail (as mailwiz install-mta)",
    )
    parser.add_argument("--root", metavar="DIR", default="/", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def read_secret(args: argparse.Namespace) -> str | None:
    """The secret from exactly one place: --password-stdin/-env/-file, else
    $MAILWIZ_PASSWORD_FILE; None when none is given."""
    from tui.commands.password import password_problem, read_stdin_line
    from tui.core.configure import PASSWORD_FILE_ENV, read_value_file, say

    secret: str | None = None
    if args.password_stdin:
        secret = read_stdin_line()
    elif args.password_env:
        secret = os.environ.get(args.password_env) or None
        if secret is None:
            raise UsageError(say("password_env_unset", name=args.password_env))
    elif args.password_file:
        secret = read_value_file(Path(args.password_file), "--password-file")
    elif os.environ.get(PASSWORD_FILE_ENV):
        secret = read_value_file(Path(os.environ[PASSWORD_FILE_ENV]), PASSWORD_FILE_ENV)
    if secret is not None:
        problem = password_problem(secret)
        if problem:
            raise UsageError(problem)
    return secret


def run(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.configure import (
        ConfigureInvalid,
        InputError,
        Request,
        configure,
        from_env,
        from_file,
        from_set,
        say,
    )
    from tui.core.settings import SettingsError, SettingsFileError

    path = config_path
    if args.install_mta and not args.system:
        return _refuse(args, Exit.USAGE, say("install_needs_system"))
    if args.system:
        from tui.core.mta import SYSTEM_SETTINGS

        path = Path(getattr(args, "config", None) or SYSTEM_SETTINGS)
        if path == SYSTEM_SETTINGS and os.geteuid() != 0:
            return _refuse(args, Exit.USAGE, say("system_needs_root", path=path))
    try:
        overrides = [*(from_file(Path(args.file)) if args.file else []), *from_env()]
        overrides += from_set(args.set)
        request = Request(
            config_path=path,
            overrides=overrides,
            password=read_secret(args),
            store=args.store,
            check=args.check,
            test_to=test_to(args),
            keep_on_failure=args.keep_on_failure,
            default_store="file" if args.system else "keyring",
        )
        outcome = configure(request)
    except (InputError, ConfigureInvalid, SettingsFileError, UsageError) as error:
        return _refuse(args, Exit.USAGE, str(error))
    except SettingsError as error:  # busy, or the secret could not be stored
        return _refuse(args, Exit.NOT_READY, str(error))
    if args.system and outcome.written:
        os.chmod(path.parent, 0o755)  # others see it exists, so their mail goes to the drop
    if not args.json:
        show(outcome, args)
    installed = install(args, path) if args.install_mta and outcome.exit == Exit.OK else None
    if args.json:
        record = outcome.as_dict()
        if args.diff:
            record["diff"] = {"before": outcome.before, "after": outcome.after}
        if args.install_mta and outcome.exit == Exit.OK:
            done = "planned" if args.check else "done"
            result = "skipped" if installed is None else done if installed == 0 else "failed"
            record["install"] = {"result": result, "exit": installed or 0}
            record["exit"] = installed or outcome.exit
        emit(record)
    return installed or outcome.exit


def install(args: argparse.Namespace, path: Path) -> int | None:
    """--install-mta: `mailwiz install-mta --config PATH` (a dry run with --check; None when
    check mode has no settings yet to plan with); with --json its lines go to standard
    error, so standard output stays one JSON object."""
    import contextlib

    if args.check and not path.exists():
        return None

    from tui.commands import install_mta

    plan = argparse.Namespace(dry_run=args.check, uninstall=False, root=args.root)
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        return install_mta.run(plan, path)


def test_to(args: argparse.Namespace) -> str:
    """--test-to, else $MAILWIZ_TEST_TO (a container's entrypoint proves itself too)."""
    return str(args.test_to or os.environ.get("MAILWIZ_TEST_TO", "")).strip()


def _refuse(args: argparse.Namespace, code: int, message: str) -> int:
    if args.json:
        skipped = {"result": "skipped", "exit": 0, "diagnosis": ""}
        emit(
            {"changed": False, "changes": [], "secret": None, "test": skipped, "exit": code}
            | {"error": message}
        )
    print(f"mailwiz: {printable(message, newlines=True)}", file=sys.stderr)
    return code


def show(outcome: Outcome, args: argparse.Namespace) -> None:
    from tui.core.configure import say

    for warning in outcome.warnings:
        print(commands_say("base.warning", warning=printable(warning)), file=sys.stderr)
    if args.diff and outcome.diff:
        print(printable(outcome.diff, newlines=True), end="")
    for change in outcome.changes:
        print(say("change_line", key=change.key, old=_shown(change.old), new=_shown(change.new)))
    if not outcome.changed:
        print(say("unchanged", path=outcome.path))
    elif args.check:
        print(say("would_change", count=len(outcome.changes), path=outcome.path))
    elif outcome.written:
        print(say("written", count=len(outcome.changes), path=outcome.path))
    print(say("secret_where", where=printable(outcome.secret.where)))
    test = outcome.test
    if test.result == "sent":
        print(say("test_sent", to=printable(test_to(args))))
    elif test.result == "failed":
        print(
            say("test_failed", diagnosis=printable(test.diagnosis, newlines=True)), file=sys.stderr
        )
    if outcome.message:
        print(f"mailwiz: {printable(outcome.message, newlines=True)}", file=sys.stderr)


def _shown(value: Any) -> str:
    from tui.core.configure import say

    return say("not_set") if value is None else printable(repr(value))
