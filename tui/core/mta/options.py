"""The sendmail command line, parsed the way real callers write it.

getopt-style with GNU permutation: clustered flags (`-ti`), values attached or in the next
argument (`-FCronDaemon`, `-f ''`), options after recipients, and `--` ending the options.
The flags that act are kept in `Invocation`; the many flags sendmail accepts for its own
delivery agent (`-oem`, `-B8BITMIME`, ...) are accepted and ignored. Of the delivery modes,
`-odq` (and `-odd`) only queue; `-odb` and `-odi` deliver in the background: like Postfix,
mailwiz never makes its caller (cron, a web page) wait for the relay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from tui.core.addresses import address_pairs

Mode = Literal["deliver", "list", "flush", "initialize", "help"]
Delivery = Literal["background", "queue"]

# Flags that take a value (attached, or the next argument) and are ignored, and flags
# without a value that are ignored. -o and -b take a value too but are looked at.
_IGNORED_WITH_VALUE = set("BNRVXLhACOp")
_IGNORED_FLAGS = set("mnUGe")

_MODES: dict[str, Mode] = {"m": "deliver", "p": "list", "i": "initialize"}


class OptionsError(ValueError):
    """A command line sendmail would refuse (exit 64, EX_USAGE)."""


class Invocation:
    """What the command line asks for. A plain class, not a dataclass: the submit path
    compiles no dataclass (issue 24: a submission costs the interpreter's start plus a few
    tens of milliseconds)."""

    def __init__(
        self,
        *,
        mode: Mode = "deliver",
        recipients: list[str] | None = None,
        extract: bool = False,
        sender: str | None = None,
        full_name: str = "",
    ) -> None:
        self.mode = mode
        self.recipients: list[str] = recipients if recipients is not None else []  # as given
        self.extract = extract  # -t: also To, Cc and Bcc; Bcc removed
        self.ignore_dots = False  # -i / -oi: a line "." does not end the message
        self.sender = sender  # -f / -r as given ("" and "<>" are the null sender)
        self.full_name = full_name  # -F
        self.verbose = False  # -v
        self.no_queue = False  # --no-queue: deliver now or fail, keep nothing
        self.delivery: Delivery = "background"  # -odq: queue only, the runner sends it
        self.ignored: list[str] = []  # for -v: what was accepted unused

    def __repr__(self) -> str:
        return f"Invocation({vars(self)!r})"


def parse(argv: Sequence[str]) -> Invocation:
    """Parse sendmail's arguments (without the program name). Raises OptionsError."""
    result = Invocation()
    args = list(argv)
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            result.recipients += args[index:]
            break
        if arg.startswith("--"):
            _long_option(arg, result)
            continue
        if not arg.startswith("-") or arg == "-":
            result.recipients.append(arg)
            continue
        index = _cluster(arg[1:], args, index, result)
    result.recipients = split_recipients(result.recipients)
    return result


def split_recipients(values: Sequence[str]) -> list[str]:
    """Command-line recipients, which may be lists ("a@x, Bee <b@y>"), as bare addresses."""
    found: list[str] = []
    for _name, address in address_pairs([value for value in values if value.strip()]):
        address = address.strip()
        if address:
            found.append(address)
    return found


def _long_option(arg: str, result: Invocation) -> None:
    if arg == "--no-queue":
        result.no_queue = True
    elif arg == "--help":
        result.mode = "help"
    else:
        raise OptionsError(f"unknown option {arg}")


def _cluster(letters: str, args: list[str], index: int, result: Invocation) -> int:
    """One argument's flags, e.g. "ti" or "FCronDaemon"; returns the next index."""
    position = 0
    while position < len(letters):
        letter = letters[position]
        position += 1
        if letter in "fFrobB" or letter in _IGNORED_WITH_VALUE:
            value = letters[position:]
            if not value:
                if index >= len(args):
                    raise OptionsError(f"-{letter} needs a value")
                value = args[index]
                index += 1
            _with_value(letter, value, result)
            return index
        if letter == "q":  # -q, -q30m, -qf, -qI...: deliver the queue now
            result.mode = "flush"
            return index
        _flag(letter, result)
    return index


def _with_value(letter: str, value: str, result: Invocation) -> None:
    if letter in "fr":
        result.sender = value
    elif letter == "F":
        result.full_name = value
    elif letter == "o":
        if value == "i":
            result.ignore_dots = True
        elif value in ("dq", "dd"):
            result.delivery = "queue"
        elif value in ("db", "di"):
            result.delivery = "background"
        else:
            result.ignored.append(f"-o{value}")
    elif letter == "b":
        if value == "s":
            from tui.core.mta.texts import say

            raise OptionsError(say("bs-unsupported"))
        if value not in _MODES:
            from tui.core.mta.texts import say

            raise OptionsError(say("b-unsupported", value=value))
        result.mode = _MODES[value]
    else:
        result.ignored.append(f"-{letter}{value}")


def _flag(letter: str, result: Invocation) -> None:
    if letter == "t":
        result.extract = True
    elif letter == "i":
        result.ignore_dots = True
    elif letter == "v":
        result.verbose = True
    elif letter in _IGNORED_FLAGS:
        result.ignored.append(f"-{letter}")
    else:
        raise OptionsError(f"unknown option -{letter}")


RECORD_VERSION = 1


def to_record(invocation: Invocation, submitted: float) -> dict[str, object]:
    """What a drop file says about its message: the command line that matters, and when it
    was submitted (its Date, when it has none). The reverse of from_record."""
    return {
        "version": RECORD_VERSION,
        "recipients": invocation.recipients,
        "extract": invocation.extract,
        "sender": invocation.sender,
        "full_name": invocation.full_name,
        "submitted": submitted,
    }


def from_record(record: dict[str, object]) -> tuple[Invocation, float | None] | None:
    """The invocation and submission time a drop file holds; None for a record mailwiz did
    not write."""
    recipients = record.get("recipients")
    sender = record.get("sender")
    full_name = record.get("full_name", "")
    submitted = record.get("submitted")
    if (
        record.get("version") != RECORD_VERSION
        or not isinstance(recipients, list)
        or not all(isinstance(r, str) for r in recipients)
        or not (sender is None or isinstance(sender, str))
        or not isinstance(full_name, str)
        or not (submitted is None or isinstance(submitted, int | float))
    ):
        return None
    invocation = Invocation(
        recipients=list(recipients),
        extract=bool(record.get("extract")),
        sender=sender,
        full_name=full_name,
    )
    return invocation, float(submitted) if submitted is not None else None
