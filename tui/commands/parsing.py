"""The command line's argparse parser class, apart from tui/cli.py so that the sendmail
entry (which has its own options and never builds a parser) does not import argparse."""

from __future__ import annotations

import argparse
from typing import NoReturn

from tui.core.exits import Exit


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line a user can act on, instead of argparse's usage block.
        self.exit(Exit.USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")
