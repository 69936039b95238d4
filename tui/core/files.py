"""Private files written safely: folders 0700, temp files and locks that never follow a
planted symlink, atomic replacement, and clean-up of what a killed writer left behind.

Used by the settings file and the password file; anything that keeps private state on disk
(a spool, a token file) can use the same pieces.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from tui.core.texts import Texts

say = Texts("tui.core")  # tui/core/texts.toml, [files]

# O_NOFOLLOW: a symlink planted where we create a file is refused, not followed (it could
# point at a file of the victim's). O_EXCL: the file is ours from its first byte.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
TEMP_SUFFIX = ".tmp"
LOCK_POLL = 0.02  # seconds between two tries of a lock another writer holds


class LockBusy(Exception):
    """Another process holds the lock."""


class UnsafePath(OSError):
    """A path we were about to open is a symlink or not a regular file."""


def make_private_folder(folder: Path) -> None:
    """Create `folder` and any missing parents as 0700, whatever the umask (mkdir's mode
    is filtered by the umask; each folder we create is chmod-ed after). Existing folders
    are left as they are."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.mkdir(path, 0o700)
            os.chmod(path, 0o700)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")


def temp_name(target: Path) -> Path:
    """A fresh temp name beside `target`: .NAME.<random>.tmp (hidden, recognisable)."""
    # os.urandom, not the secrets module: the name needs no more, and secrets costs ~10 ms.
    return target.with_name(f".{target.name}.{os.urandom(6).hex()}{TEMP_SUFFIX}")


def create_exclusive(path: Path, mode: int = 0o600) -> int:
    """Open a new file for writing, refusing an existing file or symlink; the mode is set
    explicitly too, so the umask cannot widen or narrow it."""
    fd = os.open(path, _NEW_FILE, mode)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(target: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a temp file beside target (O_EXCL|O_NOFOLLOW, fsync), then os.replace it and
    fsync the folder. On any failure the previous file is intact and the temp is gone."""
    temp = temp_name(target)
    fd = create_exclusive(temp, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def _open_lock(lock_path: Path) -> int:
    try:
        return create_exclusive(lock_path)
    except FileExistsError:
        pass
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        if lock_path.is_symlink():
            raise UnsafePath(say("files.symlink", path=lock_path)) from error
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(say("files.not-regular", path=lock_path))
    return fd


@contextlib.contextmanager
def exclusive_lock(lock_path: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold an flock on lock_path (created 0600, never through a symlink); LockBusy when
    another process still holds it after `wait` seconds. The lock file stays, empty and
    harmless; a writer killed with the lock held releases it (the kernel closes its fd)."""
    fd = _open_lock(lock_path)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(str(lock_path)) from None
                time.sleep(LOCK_POLL)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove_stale_temps(target: Path, *, min_age: float = 0.0) -> list[Path]:
    """Remove the temp files a killed writer of `target` left (.NAME.*.tmp). Call it with
    the target's lock held, so no live writer's temp file can match; `min_age` (seconds)
    spares files of writers that do not take that lock."""
    removed: list[Path] = []
    now = time.time()
    prefix = f".{target.name}."
    for path in target.parent.glob(f"{prefix}*{TEMP_SUFFIX}"):
        if "." in path.name[len(prefix) : -len(TEMP_SUFFIX)]:
            continue  # another file's temp (.NAME.password.<random>.tmp): not ours to judge
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < min_age:
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed
