"""The drop folder as root reads it: every entry is taken, or moved out of the way.

Anyone may write to a system drop folder (mode 1733), so root treats what it finds there as
hostile: nothing is followed (no symlink, no FIFO opened), and nothing is read past the
limit, however much the file grows while it is read. Each entry ends in one of three ways:
- a drop file mailwiz wrote: handed out (`Dropped`), locked, its message (at most
  MAX_MESSAGE bytes when it was opened) read from it in chunks, never past the size it
  had then;
- anything else (a symlink, a hard link, a FIFO, a folder, a file that is not a drop
  file, one over the limit): moved to the root-only quarantine/ folder beside it, with a
  note saying whose it was and why; a user over the quarantine's cap loses the entry;
- a temporary file (`.new-*`) older than an hour, left by a writer that was killed:
  removed.
A user's drop files beyond the per-run caps (count, bytes) wait for the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import stat
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tui.core.mta import syslog
from tui.core.mta.spool import MAX_MESSAGE, Spool, new_id, user_name
from tui.core.mta.texts import say

HEADER_LIMIT = 64 * 1024  # bytes in a drop file's first line (its JSON record)
CHUNK = 1024 * 1024  # bytes of a message read at once
TEMP_GRACE = 3600.0  # seconds before a writer's temporary file counts as abandoned
PER_USER_FILES = 1000  # drop files taken from one user in one run
PER_USER_BYTES = 4 * MAX_MESSAGE  # bytes taken from one user in one run
QUARANTINE_FILES = 100  # entries kept in quarantine per user; more are deleted
QUARANTINE_BYTES = 2 * MAX_MESSAGE  # bytes kept in quarantine per user


@dataclass
class Dropped:
    path: Path
    fd: int
    uid: int
    header: dict[str, Any]
    start: int  # where the message starts in the file (after the record's line)
    size: int  # the message's size when the file was opened: nothing past it is read

    def stream(self) -> BinaryIO:
        """The message, read from the file as it is used."""
        return io.BufferedReader(_Window(self.fd, self.start, self.size), CHUNK)

    def chunks(self) -> Iterator[bytes]:
        """The message as written, in chunks."""
        stream = self.stream()
        while piece := stream.read(CHUNK):
            yield piece

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class Junk(Exception):
    """An entry that is not a drop file mailwiz wrote; str() says why."""


def take(
    spool: Spool,
    limit: int = MAX_MESSAGE,
    now: float | None = None,
    caps: tuple[int, int] = (PER_USER_FILES, PER_USER_BYTES),
) -> Iterator[Dropped]:
    """Each drop file in turn (locked; the lock ends with the next one); junk quarantined.
    A file over `limit` is junk; one that grows after it was opened is read to the size it
    had then. `caps`: the files and bytes taken from one user in this run."""
    now = time.time() if now is None else now
    most_files, most_bytes = caps
    try:
        names = sorted(os.listdir(spool.drop))
    except OSError:
        return
    files: Counter[int] = Counter()
    sizes: Counter[int] = Counter()
    for name in names:
        path = spool.drop / name
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if name.startswith(".new-"):
            if now - info.st_mtime > TEMP_GRACE and stat.S_ISREG(info.st_mode):
                with contextlib.suppress(OSError):
                    os.unlink(path)
            continue
        uid = info.st_uid
        counted = min(info.st_size, limit + HEADER_LIMIT)
        if files[uid] and (files[uid] >= most_files or sizes[uid] + counted > most_bytes):
            continue  # this user's share of this run is used up: the next run takes it
        try:
            dropped = _open(path, info, limit)
        except Junk as junk:
            quarantine(spool, path, info, str(junk))
            continue
        if dropped is None:
            continue  # gone, or another runner holds it
        files[uid] += 1
        sizes[uid] += counted
        try:
            yield dropped
        finally:
            os.close(dropped.fd)


def _open(path: Path, info: os.stat_result, limit: int) -> Dropped | None:
    """The drop file at `path`, locked and read within the limits; None when it is gone or
    busy; Junk when it is not a drop file."""
    if not stat.S_ISREG(info.st_mode):
        raise Junk(say("junk-not-plain", kind=_kind(info.st_mode)))
    if info.st_nlink != 1:
        raise Junk(say("junk-hard-link"))
    if not path.name.endswith(".drop"):
        raise Junk(say("junk-name"))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise FileNotFoundError(path)  # replaced since we looked: the next run sees it
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not path.exists():
            raise FileNotFoundError(path)
        header, start = _record(fd)
        size = os.fstat(fd).st_size - start
        if size > limit:
            raise Junk(say("junk-too-large", limit=limit))
    except OSError:
        os.close(fd)
        return None
    except Junk:
        os.close(fd)
        raise
    return Dropped(path, fd, info.st_uid, header, start, size)


def _record(fd: int) -> tuple[dict[str, Any], int]:
    """The first line (JSON), and where the message after it starts."""
    first = os.pread(fd, HEADER_LIMIT, 0)
    end = first.find(b"\n")
    if end < 0:
        raise Junk(say("junk-first-line"))
    try:
        header = json.loads(first[:end].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Junk(say("junk-first-line")) from None
    if not isinstance(header, dict):
        raise Junk(say("junk-first-line"))
    return header, end + 1


class _Window(io.RawIOBase):
    """`size` bytes of a file from `start`, read with pread (the file's offset is not
    used, and nothing past the window is read however the file grows)."""

    def __init__(self, fd: int, start: int, size: int) -> None:
        self.fd, self.start, self.size, self.done = fd, start, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self.done)
        piece = os.pread(self.fd, wanted, self.start + self.done) if wanted > 0 else b""
        buffer[: len(piece)] = piece
        self.done += len(piece)
        return len(piece)


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISLNK, "link"),
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "device"),
        (stat.S_ISBLK, "device"),
    ):
        if test(mode):
            return say(f"junk-kinds.{kind}")
    return say("junk-kinds.other")


def quarantine(spool: Spool, path: Path, info: os.stat_result, reason: str) -> None:
    """Move an entry out of the drop folder into quarantine/ (0700, root's), with a note of
    its owner and why; delete it instead when its owner's quarantine is full."""
    folder = spool.root / "quarantine"
    owner = user_name(info.st_uid)
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    count, size = _held_by(folder, info.st_uid)
    entry_id = new_id()
    if count >= QUARANTINE_FILES or size + info.st_size > QUARANTINE_BYTES:
        _delete(path, info)
        syslog.event(entry_id, "deleted", owner, [], answer=f"drop folder junk: {reason}")
        return
    note = {
        "uid": info.st_uid,
        "user": owner,
        "name": path.name,
        "reason": reason,
        "size": info.st_size,
        "when": time.time(),
    }
    with contextlib.suppress(OSError):
        fd = os.open(folder / f"{entry_id}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(note, handle)
    try:
        os.rename(path, folder / entry_id)
    except OSError:
        _delete(path, info)
    syslog.event(entry_id, "quarantined", owner, [], answer=f"drop folder: {reason}")


def _held_by(folder: Path, uid: int) -> tuple[int, int]:
    count = size = 0
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if not name.endswith(".json"):
                continue
            with contextlib.suppress(OSError, ValueError, TypeError):
                note = json.loads((folder / name).read_text(encoding="utf-8"))
                if note.get("uid") == uid:
                    count += 1
                    size += int(note.get("size", 0))
    return count, size


def _delete(path: Path, info: os.stat_result) -> None:
    import shutil

    with contextlib.suppress(OSError):
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
