"""Every exit code mailwiz returns, in one table: the command line, the wizard and --json
read it here, and a failure kind maps to its code in exactly one place.

`test`, `send`, `login` and the wizard use the codes README.md lists (like swaks and msmtp: one
per way of failing). The sendmail entry follows sysexits.h instead, because cron, PHP and
mail(1) expect those.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Exit(IntEnum):
    OK = 0
    BUG = 1  # an unexpected internal error: a traceback file, never the password
    USAGE = 2  # bad command line, or a settings file that is invalid (names key and line)
    NOT_READY = 3  # no settings yet, or no password available
    LOGIN_NEEDED = 4  # configure: written, but a person must sign in (`mailwiz login`) here
    DNS = 10
    REFUSED = 11
    TIMEOUT = 12
    TLS = 13
    CERTIFICATE = 14
    NO_STARTTLS = 15
    AUTH = 16
    SENDER = 17
    RECIPIENT = 18
    MESSAGE = 19
    TEMPORARY = 20
    HTTP = 21
    INTERRUPTED = 130  # Ctrl+C


class SysExit(IntEnum):
    """sysexits.h, for `mailwiz sendmail` (and `sendmail`, `mailq`)."""

    OK = 0  # accepted or queued
    USAGE = 64
    DATAERR = 65  # bad message, or no recipients
    NOUSER = 67  # unknown local name and no admin address
    UNAVAILABLE = 69  # refused permanently
    CANTCREAT = 73  # cannot write the queue
    TEMPFAIL = 75  # temporary failure, with --no-queue
    NOPERM = 77  # sign-in refused, with --no-queue
    CONFIG = 78  # settings missing or invalid


class FailureKind(Enum):
    """One value per way a send can fail. Not a number: the exit code of each kind is the
    table below (`exit_code_for(kind)`, or `Failure.exit_code`)."""

    INTERNAL = "internal"
    NO_PASSWORD = "no-password"
    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    TLS = "tls"
    CERTIFICATE = "certificate"
    NO_STARTTLS = "no-starttls"
    AUTH = "auth"
    SENDER = "sender"
    RECIPIENT = "recipient"
    MESSAGE = "message"
    TEMPORARY = "temporary"
    HTTP = "http"


def exit_code_for(kind: FailureKind) -> int:
    """The exit code of `test`/`send` for a failed send of this kind."""
    table: dict[FailureKind, Exit] = {
        FailureKind.INTERNAL: Exit.BUG,
        FailureKind.NO_PASSWORD: Exit.NOT_READY,
        FailureKind.DNS: Exit.DNS,
        FailureKind.REFUSED: Exit.REFUSED,
        FailureKind.TIMEOUT: Exit.TIMEOUT,
        FailureKind.TLS: Exit.TLS,
        FailureKind.CERTIFICATE: Exit.CERTIFICATE,
        FailureKind.NO_STARTTLS: Exit.NO_STARTTLS,
        FailureKind.AUTH: Exit.AUTH,
        FailureKind.SENDER: Exit.SENDER,
        FailureKind.RECIPIENT: Exit.RECIPIENT,
        FailureKind.MESSAGE: Exit.MESSAGE,
        FailureKind.TEMPORARY: Exit.TEMPORARY,
        FailureKind.HTTP: Exit.HTTP,
    }
    return int(table[kind])
