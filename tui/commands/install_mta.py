"""`mailwiz install-mta [--dry-run] [--uninstall]`: make mailwiz this machine's sendmail.

Installs the system settings (root only), the queue with its drop folder, the sendmail and
mailq links, and the queue runner (systemd path unit + timer, or a cron line). The steps
come from tui.core.mta.install; this module prints and applies them. --root DIR (hidden,
for tests) puts every path under DIR instead of /.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands.base import say
from tui.core.exits import Exit
from tui.core.locations import command_for

if TYPE_CHECKING:
    from tui.core.mta import Plan
    from tui.core.settings import Settings


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    install = commands.add_parser(
        "install-mta",
        parents=parents,
        help="make mailwiz this machine's sendmail (cron, mail, PHP)",
        description="Install the system settings (/etc/mailwiz, root only), the mail queue, "
        "the sendmail and mailq links and the queue runner, so that cron, mail(1), PHP and "
        "the rest send through the settings you tested.",
    )
    install.add_argument(
        "--dry-run",
        action="store_true",
        help="print every step and what is in the way; change nothing",
    )
    install.add_argument("--uninstall", action="store_true", help="undo what install-mta did")
    install.add_argument("--root", metavar="DIR", default="/", help=argparse.SUPPRESS)
    install.set_defaults(run=run)


def mailwiz_executable() -> Path:
    """The `mailwiz` command the links and the runner call."""
    beside = Path(sys.executable).with_name("mailwiz")
    if beside.exists():
        return beside.absolute()
    import shutil

    found = shutil.which("mailwiz")
    return Path(found).absolute() if found else Path("/usr/local/bin/mailwiz")


def copy_settings(source: Path, target: Path) -> None:
    """The user's tested settings -> the system settings, 0600, and the password (if any
    can be found) into a 0600 file beside them, since root's keyring is rarely usable. The
    user's files are read without following links (tui.core.mta.trust.read_user_files);
    an OAuth sign-in is not copied: the system signs in on its own."""
    import tempfile

    from tui.core.mta import copy_named, read_user_files
    from tui.core.settings import load_settings

    files = read_user_files(source)
    with tempfile.TemporaryDirectory(prefix="mailwiz-install-") as private:
        copy = Path(private) / source.name
        for suffix, data in files.items():
            fd = os.open(f"{copy}{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        settings = load_settings(copy).settings
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o755)  # others may see that it exists (so they use the drop)
        copy_named(settings, target.parent)  # a CA or key file: root's own copy
        if settings.smtp.auth == "oauth2" and settings.protocol == "smtp":
            _sign_in_for_the_system(settings, target)
        else:
            _copy_password(settings, copy, target)


def _copy_password(settings: Settings, source: Path, target: Path) -> None:
    from tui.core.credentials import load_password, password_needed, secret_optional
    from tui.core.save import save_settings

    password = None
    if password_needed(settings):
        password = load_password(settings, source).password
    # The save use case: settings and password (in a 0600 file beside them) under one lock.
    save_settings(settings, password, "file" if password else None, target, validate=False)
    os.chmod(target, 0o600)
    if not password and password_needed(settings) and not secret_optional(settings):
        command = command_for(target, "password", "--store", "file", sudo=True)
        print(say("install-mta.no-password", command=command))


def _sign_in_for_the_system(settings: Settings, target: Path) -> None:
    """A refresh token is not copied: a server that revokes a reused refresh token would
    end the sign-in of both copies at the first send. The system signs in on its own."""
    from tui.core.settings import save_settings

    settings.password.store = "file"
    save_settings(settings, target)
    os.chmod(target, 0o600)
    from tui.core.mta import say

    print(say("install-sign-in-not-copied", login=command_for(target, "login", sudo=True)))


def run(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.mta import install_plan, uninstall_plan

    root = Path(args.root).absolute()
    if root == Path("/") and os.geteuid() != 0 and not args.dry_run:
        print(say("install-mta.needs-root"), file=sys.stderr)
        return int(Exit.USAGE)
    mailwiz = mailwiz_executable()
    if args.uninstall:
        plan = uninstall_plan(root, mailwiz)
        title = say("install-mta.removing")
    else:
        source = config_path
        system_copy = root / "etc/mailwiz/settings.toml"
        if not source.is_file() and system_copy.is_file():
            source = system_copy
        if not source.is_file():
            print(say("install-mta.no-settings", source=source), file=sys.stderr)
            return int(Exit.NOT_READY)
        plan = install_plan(root, source, mailwiz, copy_settings)
        title = say("install-mta.making")
    if args.dry_run or plan.blockers:
        return _print_plan(title, plan)
    print(title)
    for step in plan.steps:
        try:
            step.action()
        except OSError as error:
            print(
                say("install-mta.step-failed", step=step.description, error=error), file=sys.stderr
            )
            return int(Exit.BUG)
        print(say("install-mta.step-done", step=step.description))
    if not args.uninstall:
        queue = command_for(root / "etc/mailwiz/settings.toml", "queue")
        print(say("install-mta.try-it", queue=queue))
    return int(Exit.OK)


def _print_plan(title: str, plan: Plan) -> int:
    """--dry-run, or a plan something stands in the way of: every step, then what is in
    the way (exit 2 while anything is)."""
    print(say("install-mta.dry-run", title=title) if not plan.blockers else title)
    for step in plan.steps:
        print(say("install-mta.would", step=step.description))
    if not plan.blockers:
        return int(Exit.OK)
    print("", file=sys.stderr)
    for blocker in plan.blockers:
        print(say("install-mta.blocked", blocker=blocker), file=sys.stderr)
    return int(Exit.USAGE)
