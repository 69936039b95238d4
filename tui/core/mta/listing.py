"""What is in the queue, for `mailq` and `mailwiz queue`: every message waiting (queued,
deferred, held, and what callers left in the drop folder) and every failed one.

Root sees everything. Another user (a monitoring check) sees the messages of queue/,
hold/ and failed/ (a system spool lets anyone list those folders: ids, sizes and times,
never the envelopes or the messages, which stay root's), and learns that the drop
folder can only be counted by root.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui.core.mta.spool import Envelope, Folder, Spool

Status = Literal["queued", "deferred", "held", "dropped", "failed"]


@dataclass(frozen=True)
class Entry:
    id: str
    status: Status
    size: int
    created: float
    user: str = ""
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    last_error: str = ""
    attempts: int = 0
    next_try: float = 0.0
    private: bool = False  # the envelope could not be read (not root): no details

    @property
    def waiting(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class Listing:
    spool: Path
    entries: list[Entry]
    drop_counted: bool  # False: this user may not list the drop folder

    @property
    def waiting(self) -> list[Entry]:
        return [e for e in self.entries if e.waiting]

    @property
    def failed(self) -> list[Entry]:
        return [e for e in self.entries if not e.waiting]

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status == status)


class Unreadable(Exception):
    """This user may not even list the queue (a private spool of another user)."""


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _entry(spool: Spool, message_id: str, where: Folder) -> Entry:
    folder = spool.folder(where)
    try:
        info = os.stat(folder / f"{message_id}.msg", follow_symlinks=False)
        size, created = info.st_size, info.st_mtime
    except OSError:
        size, created = 0, 0.0
    envelope: Envelope | None = spool.envelope(message_id, where)
    if envelope is None:
        status: Status = "held" if where == "hold" else where if where == "failed" else "queued"
        return Entry(message_id, status, size, created, private=True)
    if where == "queue":
        status = "deferred" if envelope.attempts else "queued"
    else:
        status = "held" if where == "hold" else "failed"
    return Entry(
        message_id, status, envelope.size or size, envelope.created or created,
        envelope.user, list(envelope.recipients), envelope.subject, envelope.last_error,
        envelope.attempts, envelope.next_try,
    )  # fmt: skip


def _drop_entry(path: Path) -> Entry | None:
    """A drop file, from its first line (its command line): the message is not read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        recipients: list[str] = []
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            header = json.loads(handle.readline(64 * 1024).decode("utf-8"))
            found = header.get("recipients") if isinstance(header, dict) else None
            if isinstance(found, list):
                recipients = [str(r) for r in found]
    return Entry(path.stem, "dropped", info.st_size, info.st_mtime, _owner(info.st_uid), recipients)


def read_listing(spool: Spool) -> Listing:
    """Everything in the spool, oldest first within each folder."""
    if spool.queue.exists() and not os.access(spool.queue, os.R_OK | os.X_OK):
        raise Unreadable(str(spool.root))
    entries = [_entry(spool, i, "queue") for i in spool.ids("queue")]
    entries += [_entry(spool, i, "hold") for i in spool.ids("hold")]
    counted = True
    try:
        names = sorted(n for n in os.listdir(spool.drop) if n.endswith(".drop"))
    except FileNotFoundError:
        names = []
    except OSError:
        names, counted = [], False
    for name in names:
        entry = _drop_entry(spool.drop / name)
        if entry is not None:
            entries.append(entry)
    entries += [_entry(spool, i, "failed") for i in spool.ids("failed")]
    return Listing(spool.root, entries, counted)
