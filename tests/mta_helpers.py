"""Shared by the tests/core/mta/ modules: a sendmail set-up in a temporary folder
(settings with a [local] table, a spool, a `sendmail` symlink) run as real processes.

sendmail returns once the message is queued and delivers it in a detached background
process; `Mta.run` waits for that delivery to end (see `settled`), so a test reads what the
server received right after it."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import SENDER
from tests.waiting import wait_until
from tui.core.mta.spool import Spool
from tui.core.settings import LocalSettings, Settings, save_settings

MAILWIZ = Path(sys.executable).with_name("mailwiz")
ADMIN = "ops@example.com"
WEB = "web@example.com"


@dataclass
class Mta:
    """One machine's system mail: settings, spool and a sendmail link under `folder`."""

    folder: Path
    settings: Settings
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config = self.folder / "etc" / "settings.toml"
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.spool_path = self.folder / "spool"
        self.bin = self.folder / "bin"
        self.bin.mkdir(exist_ok=True)
        for name in ("sendmail", "mailq"):
            link = self.bin / name
            if not link.is_symlink():
                link.symlink_to(MAILWIZ)
        self.save()
        self.env = {
            **os.environ,
            "MAILWIZ_CONFIG": str(self.config),
            "MAILWIZ_SPOOL": str(self.spool_path),
            "MAILWIZ_ALIASES": str(self.folder / "etc" / "aliases"),  # not this machine's
            **self.env,
        }

    def save(self) -> None:
        save_settings(self.settings, self.config)

    @property
    def spool(self) -> Spool:
        return Spool(self.spool_path)

    def waiting(self) -> list[str]:
        """The queued messages, less the notices of failures (tui.core.mta.notice)."""
        spool = self.spool
        return [i for i in spool.ids() if not getattr(spool.envelope(i), "notice", False)]

    def command(self, entry: str, argv: Sequence[str]) -> list[str]:
        if entry == "symlink":
            return [str(self.bin / "sendmail"), *argv]
        if entry == "mailq":
            return [str(self.bin / "mailq"), *argv]
        if entry == "queue":
            return [sys.executable, "-m", "tui", "queue", *argv]
        return [sys.executable, "-m", "tui", "sendmail", *argv]

    def run(
        self, argv: Sequence[str], data: bytes = b"", entry: str = "subcommand", timeout: float = 60
    ) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run(
            self.command(entry, argv), input=data, env=self.env, capture_output=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        self.settled()
        return done

    def settled(self, timeout: float = 60) -> None:
        """Wait until no mailwiz process works on this spool any more (a background
        delivery runs detached, with the submitter's environment)."""
        wait_until(lambda: not busy(self.spool_path), timeout)

    def popen(self, argv: Sequence[str], entry: str = "subcommand") -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(entry, argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=self.env,
        )  # fmt: skip

    def queue(self, *argv: str) -> subprocess.CompletedProcess[bytes]:
        return self.run(argv, entry="queue")


def local_settings(settings: Settings, admin: str = ADMIN) -> Settings:
    settings.local = LocalSettings(admin=admin, aliases={"www-data": WEB, "webmaster": "www-data"})
    assert settings.from_address == SENDER
    return settings


def workers(spool_path: Path) -> list[int]:
    """The processes (a sendmail, its background delivery, a flush) that run with this
    spool: their environment names it."""
    marker = f"\0MAILWIZ_SPOOL={spool_path}\0".encode()
    found: list[int] = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in b"\0" + environ and state != "Z":
            found.append(int(pid))
    return found


def busy(spool_path: Path) -> bool:
    return bool(workers(spool_path))


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def open_the_way_for_others(targets: list[Path]) -> list[tuple[Path, int]]:
    """Let other users traverse the folders above `targets` (a checkout or a Python under a
    0700 folder such as /root or a mktemp folder), as an installed mailwiz would be; returns
    the modes to restore."""
    changed: list[tuple[Path, int]] = []
    for target in targets:
        for folder in reversed(target.parents):
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                changed.append((folder, stat.S_IMODE(mode)))
                os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
    return changed


@contextlib.contextmanager
def system_mta(settings: Settings, env: dict[str, str] | None = None) -> Iterator[Mta]:
    """A system set-up (root-only settings, a spool with its 1733 drop folder) in a folder
    user nobody can reach; skips the test when nobody cannot run this checkout's Python."""
    import tui

    folder = Path(tempfile.mkdtemp(prefix="mailwiz-mta-", dir="/tmp"))
    opened = open_the_way_for_others(
        [Path(sys.executable).resolve(), MAILWIZ.resolve(), Path(tui.__file__).resolve()]
    )
    try:
        os.chmod(folder, 0o755)
        probe = subprocess.run(
            [*AS_NOBODY, sys.executable, "-c", "import tui.cli"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        if probe.returncode != 0:
            pytest.skip(f"user nobody cannot run this checkout's Python: {probe.stderr[-200:]!r}")
        mta = Mta(folder, settings, env or {})
        os.chmod(mta.config, 0o600)
        Spool(mta.spool_path).ensure(system=True)
        yield mta
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for path, mode in opened:
            os.chmod(path, mode)


def as_nobody(
    mta: Mta, argv: Sequence[str], data: bytes = b"", timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """`sendmail ARGV` run as user nobody (through the sendmail link)."""
    done = subprocess.run(
        [*AS_NOBODY, *mta.command("symlink", argv)], input=data, env=mta.env,
        capture_output=True, timeout=timeout, check=False,
    )  # fmt: skip
    mta.settled()
    return done


def nobody_runs(argv: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Any command as user nobody."""
    return subprocess.run(
        [*AS_NOBODY, *argv], capture_output=True, timeout=timeout, check=False
    )  # fmt: skip


PHP_MESSAGE = (
    b"To: customer@example.org\r\nSubject: Your order 42\r\n"
    b"X-PHP-Originating-Script: 33:shop.php\r\n"
    b"From: Shop <www-data@localhost>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n\r\nDanke f\xc3\xbcr Ihre Bestellung.\r\n"
)


def files_under(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()
    )


def install(user: Mta, root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "install-mta", "--config", str(user.config),
         "--root", str(root), *options],
        env=user.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
