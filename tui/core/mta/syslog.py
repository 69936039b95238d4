"""The system log: one line per event of a queued message (accepted, delivered, deferred,
failed) and the queue runner's own failures, to syslog's /dev/log (the journal reads it
too), facility mail, tag `mailwiz`.

Each line names the queue id, the submitting user, the recipients and the relay's answer,
as Postfix's do (`ID: status=deferred user=www-data to=<a@example.com> relay=... answer="..."`).
The answers come from the send's events, which are redacted already; control characters are
replaced, so a line is one line. $MAILWIZ_SYSLOG names another socket (tests bind one). A
machine without a system log loses the line, never the mail: nothing here raises or waits.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterable

SOCKET_ENV = "MAILWIZ_SYSLOG"
DEFAULT_SOCKET = "/dev/log"
MAIL = 2  # the syslog facility
ERR, WARNING, INFO = 3, 4, 6
_LIMIT = 2000  # characters in one line (syslog daemons cut near 2 KiB anyway)


def _clean(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def send(text: str, severity: int = INFO) -> None:
    """One line to the system log (dropped when there is none)."""
    path = os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET
    stamp = time.strftime("%b %d %H:%M:%S", time.localtime())
    line = f"<{MAIL * 8 + severity}>{stamp} mailwiz[{os.getpid()}]: {_clean(text)[:_LIMIT]}"
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect(path)
        sock.send(line.encode("utf-8", "replace"))


def event(
    message_id: str,
    status: str,
    user: str,
    recipients: Iterable[str],
    *,
    relay: str = "",
    answer: str = "",
    size: int | None = None,
) -> None:
    """A message's event: status is accepted, delivered, deferred, failed, or an admin's
    deleted, held, requeued."""
    to = ",".join(f"<{r}>" for r in recipients) or "<>"
    parts = [f"{message_id}: status={status}", f"user={user or '?'}", f"to={to}"]
    if size is not None:
        parts.append(f"size={size}")
    if relay:
        parts.append(f"relay={relay}")
    if answer:
        parts.append('answer="' + answer.replace('"', "'") + '"')
    severity = {"failed": ERR, "deferred": WARNING}.get(status, INFO)
    send(" ".join(parts), severity)


def trouble(text: str) -> None:
    """The queue runner's own failure (broken settings, a queue it cannot write)."""
    send(f"queue runner: {text}", ERR)
