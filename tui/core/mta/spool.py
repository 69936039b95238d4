"""The durable queue on disk: nothing in it is ever lost, and each entry has one deliverer.

Layout of a spool folder:
    tmp/      files being written (never read as messages)
    queue/    ID.msg (the message as sent, CRLF) + ID.json (envelope and retry state)
    failed/   the same, for messages refused permanently or given up on
    hold/     the same, for messages an admin put on hold (mailwiz queue --hold ID)
    drop/     ID.drop from callers who may not read the settings: one JSON line (their
              command line) then the message; a system spool makes it mode 1733 (anyone
              may write, nobody but root may list or read); read by tui.core.mta.dropbox
    quarantine/  what was in drop/ but was no drop file, with a note of its owner (0700)
A message is queued when its .msg is renamed into queue/ (after its .json): both written
to tmp/ first, fsync'ed, renamed, and the folder fsync'ed (a drop file likewise; a caller
who may not read the drop folder flushes its filesystem instead, with syncfs). A delivery
holds an exclusive flock on the .msg, taken before it is renamed in by a submitter, so
parallel submitters and flushes never deliver one message twice; the .msg is unlinked only
after the server accepted it (so a crash after the 250 may send it again, but never loses it).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui.core.locations import DROP_FOLDER
from tui.core.records import Record, as_dict, field, field_names

if TYPE_CHECKING:
    from tui.core.wire import MessageFile

Folder = Literal["queue", "failed", "hold"]
_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
MAX_MESSAGE = 64 * 1024 * 1024  # bytes; a caller sending more is refused (65), not queued
DROP_MODE = 0o1733


class SpoolError(OSError):
    """The queue cannot be written (exit 73, EX_CANTCREAT)."""


def user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def new_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + os.urandom(4).hex()


class Envelope(Record):
    """What the queue knows about one message (ID.json)."""

    id: str
    recipients: list[str]
    created: float
    subject: str = ""
    size: int = 0
    sender: str | None = None  # -f as the caller gave it (the envelope is the account's)
    user: str = ""  # who submitted it
    uid: int = -1
    attempts: int = 0
    next_try: float = 0.0
    last_try: float | None = None
    last_error: str = ""
    history: list[str] = field(default_factory=list)  # one line per attempt, newest last
    notice: bool = False  # a notice of a failure (tui.core.mta.notice): never noticed itself

    def to_json(self) -> bytes:
        return json.dumps(as_dict(self), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Envelope:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        known = {k: v for k, v in raw.items() if k in field_names(cls)}
        envelope = cls(**known)
        if not isinstance(envelope.recipients, list) or not all(
            isinstance(r, str) for r in envelope.recipients
        ):
            raise ValueError("recipients is not a list of addresses")
        return envelope


def _fsync_folder(folder: Path, inside: int | None = None) -> None:
    """Make the renames into `folder` durable. A caller who may write the folder but not
    read it (the drop folder, 1733) cannot open it to fsync it: then the filesystem holding
    `inside` (an fd of a file in that folder) is flushed instead."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except PermissionError:
        if inside is not None:
            _sync_filesystem(inside)
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_filesystem(fd: int) -> None:
    """syncfs(2) on the filesystem of `fd` (Linux); where there is none, sync(2)."""
    import ctypes  # only for a caller who may not read the drop folder

    syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if syncfs is None or syncfs(fd) != 0:
        os.sync()


def _create(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)


def _write_all(fd: int, data: bytes | Iterable[bytes]) -> int:
    """Write `data` (bytes, or chunks as they come: a message is never held whole) and
    fsync; returns the number of bytes written."""
    total = 0
    for piece in [data] if isinstance(data, bytes) else data:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view) :]
        total += len(piece)
    os.fsync(fd)
    return total


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.queue = root / "queue"
        self.failed = root / "failed"
        self.hold_folder = root / "hold"
        self.drop = root / DROP_FOLDER

    def folder(self, where: Folder) -> Path:
        return {"queue": self.queue, "failed": self.failed, "hold": self.hold_folder}[where]

    # -- set-up -------------------------------------------------------------------------

    def check_owner(self) -> None:
        """A spool is worked on only by its owner (root for the system's): each folder a
        real folder (no symlink) of the running user. Root run with a user's HOME (sudo
        -E, su without -) would otherwise chmod, write and delete where that user's links
        point. Raises SpoolError naming the folder."""
        from tui.core.mta.texts import say

        me = os.geteuid()
        for folder in (self.root, self.tmp, self.queue, self.failed, self.hold_folder, self.drop):
            try:
                info = os.lstat(folder)
            except FileNotFoundError:
                continue
            except OSError as error:
                why = say("spool-unusable", folder=folder, error=error.strerror)
                raise SpoolError(error.errno, why) from None
            if not stat.S_ISDIR(info.st_mode):
                raise SpoolError(errno.ELOOP, say("spool-link", folder=folder))
            if info.st_uid != me:
                owner = user_name(info.st_uid)
                why = say("spool-owner", folder=folder, owner=owner, me=user_name(me))
                raise SpoolError(errno.EPERM, why)

    def ensure(self, system: bool = False) -> None:
        """Create the folders (0700; with `system`, a drop folder anyone can write to, and
        queue/, hold/ and failed/ anyone may list, so a monitoring user can count them:
        the files in them stay root's, 0600). Refuses a spool that is not the running
        user's (check_owner); modes are set through each folder's descriptor."""
        self.check_owner()
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o755 if system else 0o700)
            for folder in (self.tmp, self.queue, self.failed, self.hold_folder, self.drop):
                folder.mkdir(exist_ok=True, mode=0o700)
            self.check_owner()  # what mkdir found (exist_ok) is checked too
            for folder in (self.tmp, self.queue, self.failed, self.hold_folder, self.drop):
                mode = 0o755 if system and folder != self.tmp else 0o700
                _chmod_folder(folder, DROP_MODE if system and folder == self.drop else mode)
        except SpoolError:
            raise
        except OSError as error:
            from tui.core.mta.texts import say

            problem = say("spool-not-created", root=self.root, error=error.strerror)
            raise SpoolError(error.errno, problem) from None

    def writable(self) -> bool:
        return os.access(self.queue, os.W_OK | os.X_OK) and os.access(self.tmp, os.W_OK)

    # -- adding -------------------------------------------------------------------------

    def add(self, data: bytes | Iterable[bytes], envelope: Envelope) -> Held:
        """Queue a message safely and return it held (locked) for a first attempt. `data`
        may be chunks as they are read: whatever they raise (a message too large, a caller
        gone) leaves nothing queued; the envelope's size is what was written."""
        try:
            msg_tmp = self.tmp / f"{envelope.id}.msg"
            fd = _create(msg_tmp)
        except OSError as error:
            raise SpoolError(error.errno, f"cannot write to {self.tmp}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            envelope.size = _write_all(fd, data)
            self._replace_json(self.queue, envelope)
            os.rename(msg_tmp, self.queue / f"{envelope.id}.msg")
            _fsync_folder(self.queue)
            _fsync_folder(self.tmp)
        except BaseException as error:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(msg_tmp)
            with contextlib.suppress(OSError):
                os.unlink(self.queue / f"{envelope.id}.json")
            if not isinstance(error, OSError):
                raise
            raise SpoolError(
                error.errno, f"cannot queue in {self.root}: {error.strerror}"
            ) from None
        return Held(self, envelope, fd)

    def _replace_json(self, folder: Path, envelope: Envelope) -> None:
        tmp = self.tmp / f"{envelope.id}.json.{os.urandom(3).hex()}"
        fd = _create(tmp)
        try:
            _write_all(fd, envelope.to_json())
        finally:
            os.close(fd)
        os.rename(tmp, folder / f"{envelope.id}.json")
        _fsync_folder(folder)

    # -- reading ------------------------------------------------------------------------

    def ids(self, folder: Folder = "queue") -> list[str]:
        where = self.folder(folder)
        try:
            names = os.listdir(where)
        except FileNotFoundError:
            return []
        found = [n[:-4] for n in names if n.endswith(".msg") and _ID.match(n[:-4])]
        return sorted(found)

    def envelope(self, message_id: str, folder: Folder = "queue") -> Envelope | None:
        where = self.folder(folder)
        try:
            return Envelope.from_json((where / f"{message_id}.json").read_bytes())
        except (OSError, ValueError, TypeError):
            return None

    def hold(self, message_id: str) -> Held | None:
        """The queued message, locked for delivery; None when it is busy or gone."""
        path = self.queue / f"{message_id}.msg"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Delivered (unlinked) or moved while we waited: not ours any more.
            if os.fstat(fd).st_ino != os.stat(path, follow_symlinks=False).st_ino:
                raise FileNotFoundError(path)
        except OSError:
            os.close(fd)
            return None
        envelope = self.envelope(message_id)
        if envelope is None:
            envelope = Envelope(message_id, [], time.time(), last_error="envelope file lost")
        return Held(self, envelope, fd)

    # -- an admin's commands -------------------------------------------------------------

    def valid_id(self, message_id: str) -> bool:
        return bool(_ID.match(message_id))

    def where(self, message_id: str) -> Folder | None:
        """The folder holding the message (None: no such id, or not an id at all)."""
        if not self.valid_id(message_id):
            return None
        for folder in ("queue", "hold", "failed"):
            if (self.folder(folder) / f"{message_id}.msg").exists():
                return folder
        return None

    def delete(self, message_id: str, where: Folder) -> bool:
        """Remove a message (False: it is being delivered right now)."""
        held = self.hold(message_id) if where == "queue" else None
        if where == "queue" and held is None:
            return False
        try:
            for suffix in (".msg", ".json"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.folder(where) / f"{message_id}{suffix}")
            _fsync_folder(self.folder(where))
        finally:
            if held is not None:
                held.release()
        return True

    def move(self, message_id: str, source: Folder, target: Folder, fresh: bool) -> bool:
        """Move a message between queue/, hold/ and failed/ (False: being delivered);
        `fresh` makes it due now, as if never tried."""
        held = self.hold(message_id) if source == "queue" else None
        if source == "queue" and held is None:
            return False
        try:
            envelope = self.envelope(message_id, source)
            if envelope is None:
                envelope = Envelope(message_id, [], time.time(), last_error="envelope lost")
            if fresh:
                envelope.attempts, envelope.next_try = 0, 0.0
            self.folder(target).mkdir(mode=0o700, exist_ok=True)  # hold/ of an older spool
            self._replace_json(self.folder(target), envelope)
            os.rename(
                self.folder(source) / f"{message_id}.msg",
                self.folder(target) / f"{message_id}.msg",
            )
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.folder(source) / f"{message_id}.json")
            _fsync_folder(self.folder(target))
            _fsync_folder(self.folder(source))
        finally:
            if held is not None:
                held.release()
        return True

    # -- the drop folder ----------------------------------------------------------------

    def drop_add(self, header: dict[str, Any], data: bytes | Iterable[bytes]) -> str:
        """Leave a message for the runner (a caller who cannot read the settings); `data`
        as for add()."""
        message_id = new_id()
        tmp = self.drop / f".new-{message_id}"
        record = json.dumps(header).encode("utf-8") + b"\n"
        chunks = [record, data] if isinstance(data, bytes) else itertools.chain([record], data)
        try:
            fd = _create(tmp)
            try:
                _write_all(fd, chunks)
                os.rename(tmp, self.drop / f"{message_id}.drop")
                # The caller is told "queued" next: the new name must survive a crash.
                _fsync_folder(self.drop, inside=fd)
            finally:
                os.close(fd)
        except BaseException as error:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if not isinstance(error, OSError):
                raise
            raise SpoolError(
                error.errno, f"cannot write to {self.drop}: {error.strerror}"
            ) from None
        return message_id


class Held:
    """A queued message this process alone may deliver (it holds the lock)."""

    def __init__(self, spool: Spool, envelope: Envelope, fd: int) -> None:
        self.spool = spool
        self.envelope = envelope
        self.fd = fd

    @property
    def id(self) -> str:
        return self.envelope.id

    @property
    def message(self) -> MessageFile:
        """The message, read from its file in chunks as it is used (never held whole)."""
        from tui.core.wire import MessageFile  # delivery only: not on the submit path

        return MessageFile(self.fd)

    def read(self) -> bytes:
        """The whole message in memory (tests; small messages)."""
        return b"".join(self.message.chunks())

    def delivered(self) -> None:
        """The server accepted it: the message first, then its envelope."""
        for suffix in (".msg", ".json"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.spool.queue / f"{self.id}{suffix}")
        _fsync_folder(self.spool.queue)

    def deferred(self) -> None:
        """Keep it queued with its updated envelope (next_try, last_error)."""
        self.spool._replace_json(self.spool.queue, self.envelope)

    def failed(self) -> None:
        """Move it to failed/ with its envelope (which says why)."""
        spool = self.spool
        spool._replace_json(spool.failed, self.envelope)
        os.rename(spool.queue / f"{self.id}.msg", spool.failed / f"{self.id}.msg")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spool.queue / f"{self.id}.json")
        _fsync_folder(spool.failed)
        _fsync_folder(spool.queue)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _open_folder(folder: Path) -> int:
    """The folder's descriptor; never through a symlink at its last step."""
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def _chmod_folder(folder: Path, mode: int) -> None:
    fd = _open_folder(folder)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _remove_stale(folder: Path, wanted: Callable[[str, list[str]], bool], now: float,
                  grace: float) -> None:  # fmt: skip
    try:
        fd = _open_folder(folder)
    except OSError:
        return  # missing, or a symlink: never followed
    try:
        names = os.listdir(fd)
        for name in names:
            if not wanted(name, names):
                continue
            with contextlib.suppress(OSError):
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if now - info.st_mtime > grace and not stat.S_ISDIR(info.st_mode):
                    os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)


def tidy(spool: Spool, now: float | None = None, grace: float = 3600.0) -> None:
    """Remove what a killed writer left behind: old temp files, envelopes without a message.
    (A message without its envelope cannot happen: the envelope is renamed in first.)
    Through each folder's descriptor: a symlinked tmp/ is never followed."""
    now = time.time() if now is None else now
    _remove_stale(spool.tmp, lambda _name, _names: True, now, grace)
    _remove_stale(
        spool.queue,
        lambda name, names: name.endswith(".json") and f"{name[:-5]}.msg" not in names,
        now,
        grace,
    )
