"""Whether root may run or read a path: nothing on the way to it can be changed by another
user, and nothing root copies from a user's folder is reached through a link.

Trusted: the path and every folder above it, up to /, owned by root and writable by nobody
else (group-writable only for group root; a folder on the way may be a root-owned sticky
one like /tmp, where nobody else can rename or remove root's entries). A symlink is judged
where it sits and again where it points. `mailwiz install-mta` asks this of the program root
will run (the script the links and the runner call, its interpreter, its venv, the folders
Python imports from) and refuses naming the first path that fails.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from tui.core.mta.texts import say

_LIMIT = 20000  # files looked at in one tree: a venv has a few thousand


def _fails(info: os.stat_result, *, on_the_way: bool = False) -> str | None:
    if info.st_uid != 0:
        return say("trust-not-root")
    if on_the_way and stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX:
        # A root-owned sticky folder (/tmp, 1777): others may add entries there but can
        # neither rename nor remove root's, so the root-owned path below it stays root's.
        return None
    writable = info.st_mode & 0o002 or (info.st_mode & 0o020 and info.st_gid != 0)
    if writable and not stat.S_ISLNK(info.st_mode):
        return say("trust-writable")
    return None


def _chain(path: Path, seen: set[Path]) -> Iterator[tuple[Path, str]]:
    """Each problem on the way from / to `path`, following links as the kernel would."""
    path = Path(os.path.abspath(path))
    parts = path.parts
    here = Path(parts[0])
    for part in ("", *parts[1:]):
        here = here / part if part else here
        if here in seen:
            continue
        seen.add(here)
        try:
            info = os.lstat(here)
        except OSError:
            yield here, "cannot be examined"
            return
        problem = _fails(info, on_the_way=here != path)
        if problem:
            yield here, problem
        if stat.S_ISLNK(info.st_mode):
            target = Path(os.path.realpath(here))
            yield from _chain(target, seen)
            yield from _chain(target.joinpath(*path.parts[len(here.parts) :]), seen)
            return


def _tree(folder: Path) -> Iterator[tuple[Path, str]]:
    count = 0
    for top, folders, files in os.walk(folder):
        for name in (*folders, *files):
            count += 1
            if count > _LIMIT:
                return
            path = Path(top, name)
            try:
                problem = _fails(os.lstat(path))
            except OSError:
                continue
            if problem:
                yield path, problem


def problems(paths: Iterable[Path], trees: Iterable[Path] = ()) -> list[tuple[Path, str]]:
    """Every path not safe for root to run: `paths` with the folders above them, and
    everything inside `trees`."""
    seen: set[Path] = set()
    found: list[tuple[Path, str]] = []
    for path in paths:
        found += _chain(path, seen)
    for tree in trees:
        found += _chain(tree, seen)
        if tree.is_dir():
            found += _tree(tree)
    return found


def _shebang(script: Path) -> Path | None:
    try:
        with open(script, "rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    return Path(words[0]) if words else None


def program_paths(mailwiz: Path) -> tuple[list[Path], list[Path]]:
    """What root runs when it runs `mailwiz`: (paths, trees) for `problems`."""
    import tui

    paths = [mailwiz, Path(sys.executable)]
    interpreter = _shebang(mailwiz)
    if interpreter is not None:
        paths.append(interpreter)
    paths += [Path(p) for p in sys.path if p and os.path.isdir(p)]
    trees = [Path(tui.__file__).parent]
    if sys.prefix != sys.base_prefix:  # a venv: all of it
        trees.append(Path(sys.prefix))
    return paths, trees


def program_problems(mailwiz: Path) -> list[tuple[Path, str]]:
    paths, trees = program_paths(mailwiz)
    return problems(paths, trees)


def open_private(folder_fd: int, name: str, owner: int) -> int:
    """Open `name` in a folder (by its descriptor) for reading, refusing a link, anything
    but a plain file, a file with other hard links and a file `owner` does not own.
    Raises OSError (PermissionError naming why)."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
    info = os.fstat(fd)
    why = ""
    if not stat.S_ISREG(info.st_mode):
        why = say("trust-not-plain")
    elif info.st_nlink != 1:
        why = say("trust-hard-links")
    elif info.st_uid != owner:
        why = say("trust-other-owner", uid=info.st_uid, owner=owner)
    if why:
        os.close(fd)
        raise PermissionError(f"{name} {why}")
    return fd


USER_FILES = ("", ".password")  # the settings file, and its password file when there is one


def read_user_files(source: Path, suffixes: tuple[str, ...] = USER_FILES) -> dict[str, bytes]:
    """The settings file at `source` and the files beside it that go with it, read without
    following a link, each a plain file of the folder's owner. Raises PermissionError whose
    text says which file and why (a missing password file is simply left out)."""
    folder = source.absolute().parent
    try:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise PermissionError(say("trust-no-folder", folder=folder, error=error.strerror)) from None
    found: dict[str, bytes] = {}
    try:
        owner = os.fstat(folder_fd).st_uid
        for suffix in suffixes:
            name = source.name + suffix
            try:
                fd = open_private(folder_fd, name, owner)
            except FileNotFoundError:
                if suffix:
                    continue
                raise PermissionError(f"{folder / name} does not exist") from None
            except PermissionError as error:
                raise PermissionError(f"{folder}/{error}") from None
            except OSError as error:  # ELOOP: a symlink
                why = "is a symbolic link" if os.path.islink(folder / name) else error.strerror
                raise PermissionError(f"{folder / name} {why}") from None
            with os.fdopen(fd, "rb") as handle:
                found[suffix] = handle.read(1024 * 1024)
    finally:
        os.close(folder_fd)
    return found


def read_user_file(path: Path) -> bytes:
    """One file a user's settings name (a CA file, a key file), read as read_user_files
    reads the settings: no link, a plain file of its folder's owner."""
    return read_user_files(path, ("",))[""]


def user_files_problem(source: Path) -> str | None:
    """Why the settings at `source` may not be copied by root (None: they may)."""
    try:
        read_user_files(source)
    except PermissionError as error:
        return say("install-user-file", problem=error)
    return None
