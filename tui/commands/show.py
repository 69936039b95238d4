"""`mailwiz show`: the settings, the password masked, and where it is stored."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands.base import SubParsers, load_or_explain
from tui.core.exits import Exit
from tui.core.settings import validate


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "show",
        parents=parents,
        help="the settings, password masked, and where it is stored",
        description="Print the saved settings with the password masked, say where the "
        "password is kept, and list every problem in the file.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.credentials.store import describe_store, load_password, password_needed

    loaded = load_or_explain(config_path)
    settings = loaded.settings
    print(f"Settings file: {loaded.path}")
    rows: list[tuple[str, str]] = [
        ("protocol", settings.protocol),
        ("provider", settings.provider),
    ]
    if settings.protocol == "smtp":
        smtp = settings.smtp
        rows += [
            ("host", smtp.host),
            ("port", str(smtp.port)),
            ("security", smtp.security),
            ("username", smtp.username or "(none)"),
            ("verify certificate", "yes" if smtp.verify_certificate else "NO"),
        ]
        if smtp.ca_file:
            rows.append(("CA file", smtp.ca_file))
        rows.append(("timeout", f"{smtp.timeout:g} s"))
    else:
        rows += [("relay URL", settings.http.url), ("timeout", f"{settings.http.timeout:g} s")]
    rows += [
        ("sender address", settings.from_address or "(none)"),
        ("sender name", settings.sender.name or "(none)"),
        ("replies to", settings.sender.reply_to or "(the sender address)"),
        ("copy of every email", settings.sender.copy_to or "(none)"),
    ]
    if password_needed(settings):
        lookup = load_password(settings, loaded.path)
        if lookup.password:
            where = {
                "env": "from $MAILWIZ_PASSWORD",
                "keyring": "stored",
                "file": "stored",
            }.get(lookup.source, "stored")
            rows.append(("password", f"******** ({where})"))
        else:
            rows.append(("password", f"NOT AVAILABLE: {lookup.problem}"))
        rows.append(("password kept in", describe_store(settings, loaded.path)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for problem in validate(settings):
        print(f"mailwiz: {problem.severity}: {problem.field}: {problem.message}", file=sys.stderr)
    return Exit.OK
