"""`mailwiz test`: a live test send with the saved settings (the body is shared with `send`)."""

from __future__ import annotations

import argparse

from tui.commands import send
from tui.commands.base import SubParsers


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "test",
        parents=parents,
        help="live test send with the saved settings",
        description="Send a test message with the saved settings, showing each stage and, "
        "on failure, what happened and what to do.",
    )
    parser.add_argument("--to", metavar="ADDR", help="recipient (default: the sender address)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--transcript", action="store_true", help="also print the (redacted) SMTP dialogue"
    )
    parser.set_defaults(run=send.run)
