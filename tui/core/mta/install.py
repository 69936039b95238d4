"""`mailwiz install-mta`: make mailwiz this machine's sendmail, as a list of steps.

Each Step says what it does in one line and does it only when applied, so --dry-run
prints the same list and changes nothing. Every path is under `root` ("/" normally; a
temporary folder in tests), and systemctl runs only when root is "/". What install
created is recorded in /etc/mailwiz/installed.json, so --uninstall removes exactly that.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from tui.core.mta.spool import DROP_MODE, Spool

SENDMAIL = "usr/sbin/sendmail"
MAILQ = "usr/bin/mailq"
SETTINGS = "etc/mailwiz/settings.toml"
MANIFEST = "etc/mailwiz/installed.json"
SPOOL = "var/spool/mailwiz"
UNITS = "etc/systemd/system"
CRON = "etc/cron.d/mailwiz"
UNIT_NAMES = ("mailwiz-queue.service", "mailwiz-queue.path", "mailwiz-queue.timer")


class InstallRefused(Exception):
    """Something on this machine is in the way; str() says what and how to clear it."""


@dataclass(frozen=True)
class Step:
    description: str
    action: Callable[[], None]


OwnerLookup = Callable[[str], str | None]


def dpkg_owner(path: str) -> str | None:
    """The Debian package that ships `path` (dpkg -S), or None."""
    if shutil.which("dpkg-query") is None:
        return None
    try:
        done = subprocess.run(
            ["dpkg-query", "-S", path], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or ":" not in done.stdout:
        return None
    return done.stdout.split(":", 1)[0].split(",")[0].strip() or None


def _ours(link: Path, mailwiz: Path) -> bool:
    return link.is_symlink() and Path(os.readlink(link)).name == mailwiz.name


def _check_link(root: Path, relative: str, mailwiz: Path, owner_of: OwnerLookup) -> bool:
    """True when the link must be made; raises InstallRefused when another MTA is there."""
    link = root / relative
    if _ours(link, mailwiz):
        return False
    if not os.path.lexists(link):
        return True
    real = "/" + relative
    package = owner_of(real)
    if package:
        raise InstallRefused(
            f"{real} belongs to the package {package} (dpkg -S {real}), another mail "
            f"program. Remove it first (apt-get remove {package}; mail waiting in its queue "
            "is lost, so flush it before), then run mailwiz install-mta again."
        )
    raise InstallRefused(
        f"{root / relative} already exists and is not mailwiz's (dpkg -S {real} names no "
        "package). Move it aside if you no longer need it, then run mailwiz install-mta again."
    )


def _units(mailwiz: Path) -> dict[str, str]:
    spool = "/" + SPOOL
    return {
        "mailwiz-queue.service": (
            "[Unit]\nDescription=mailwiz: deliver the system mail queue\n\n"
            f"[Service]\nType=oneshot\nExecStart={mailwiz} queue --run\n"
        ),
        "mailwiz-queue.path": (
            "[Unit]\nDescription=mailwiz: mail left by users who cannot read the settings\n\n"
            f"[Path]\nDirectoryNotEmpty={spool}/drop\nUnit=mailwiz-queue.service\n\n"
            "[Install]\nWantedBy=multi-user.target\n"
        ),
        "mailwiz-queue.timer": (
            "[Unit]\nDescription=mailwiz: retry deferred system mail\n\n"
            "[Timer]\nOnBootSec=1min\nOnUnitActiveSec=1min\nUnit=mailwiz-queue.service\n\n"
            "[Install]\nWantedBy=timers.target\n"
        ),
    }


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _symlink(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if _ours(path, target):
            path.unlink()
    os.symlink(target, path)


def _systemctl(*args: str) -> None:
    if shutil.which("systemctl"):
        subprocess.run(["systemctl", *args], check=False, timeout=60)


def _enable_units() -> None:
    _systemctl("daemon-reload")
    _systemctl("enable", "--now", *UNIT_NAMES[1:])


def uses_systemd(root: Path) -> bool:
    return (root / "run/systemd/system").is_dir()


def install_steps(
    root: Path,
    source: Path,
    mailwiz: Path,
    copy_settings: Callable[[Path, Path], None],
    owner_of: OwnerLookup | None = None,
) -> list[Step]:
    """What install-mta does, in order. Raises InstallRefused before any step when a
    sendmail or mailq of another package is in the way (dpkg -S is asked only for "/")."""
    if owner_of is None:
        owner_of = dpkg_owner if root == Path("/") else (lambda _path: None)
    created: list[str] = []
    steps: list[Step] = []
    settings = root / SETTINGS
    if source.resolve() != settings.resolve():
        created += [SETTINGS, SETTINGS + ".password", SETTINGS + ".token"]
        steps.append(
            Step(
                f"copy the settings {source.absolute()} to {settings} (readable by root "
                "only), and the password or sign-in, if they use one, to a root-only file "
                "beside them",
                lambda: copy_settings(source, settings),
            )
        )
    spool = Spool(root / SPOOL)
    steps.append(
        Step(
            f"create the queue {spool.root} (queue, failed, tmp: root only; drop: any user "
            f"may leave mail, mode {DROP_MODE:o})",
            lambda: spool.ensure(system=True),
        )
    )
    for relative in (SENDMAIL, MAILQ):
        created.append(relative)  # ours, whether made now or by an earlier install
        if _check_link(root, relative, mailwiz, owner_of):
            link = root / relative
            steps.append(Step(f"link {link} -> {mailwiz}", partial(_symlink, link, mailwiz)))
    if uses_systemd(root):
        for name, text in _units(mailwiz).items():
            unit = root / UNITS / name
            created.append(f"{UNITS}/{name}")
            steps.append(Step(f"write {unit}", partial(_write, unit, text)))
        if root == Path("/"):
            steps.append(
                Step(
                    "systemctl daemon-reload; systemctl enable --now mailwiz-queue.path "
                    "mailwiz-queue.timer",
                    _enable_units,
                )
            )
    else:
        line = f"* * * * * root {mailwiz} queue --run >/dev/null 2>&1\n"
        created.append(CRON)
        steps.append(
            Step(
                f"write {root / CRON} (no systemd here): the queue runner every minute",
                lambda: _write(root / CRON, "# mailwiz: deliver the system mail queue\n" + line),
            )
        )
    manifest = root / MANIFEST
    steps.append(
        Step(
            f"record what was installed in {manifest}",
            lambda: _write(manifest, json.dumps({"created": created}, indent=1) + "\n", 0o600),
        )
    )
    return steps


def uninstall_steps(root: Path, mailwiz: Path) -> list[Step]:
    """What --uninstall does: remove what install created; a queue still holding mail and
    settings install did not create are kept (and said so)."""
    manifest = root / MANIFEST
    try:
        created = [str(p) for p in json.loads(manifest.read_text(encoding="utf-8"))["created"]]
    except (OSError, ValueError, KeyError, TypeError):
        created = [SENDMAIL, MAILQ, CRON] + [f"{UNITS}/{name}" for name in UNIT_NAMES]
    steps: list[Step] = []
    units = [p for p in created if p.startswith(UNITS)]
    if units and root == Path("/") and uses_systemd(root):
        steps.append(
            Step(
                "systemctl disable --now mailwiz-queue.path mailwiz-queue.timer",
                lambda: _systemctl("disable", "--now", *UNIT_NAMES[1:]),
            )
        )
    for relative in created:
        path = root / relative
        if relative in (SENDMAIL, MAILQ) and not _ours(path, mailwiz):
            continue  # not ours (any more): leave it
        if os.path.lexists(path):
            steps.append(Step(f"remove {path}", partial(path.unlink, missing_ok=True)))
    steps.append(_spool_removal(Spool(root / SPOOL)))
    if manifest.exists():
        steps.append(Step(f"remove {manifest}", lambda: manifest.unlink(missing_ok=True)))
    folder = manifest.parent
    steps.append(Step(f"remove {folder} if nothing else is in it", lambda: _rmdir(folder)))
    return steps


def _rmdir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for leftover in folder.glob("settings.toml.*"):  # the lock and backup of our copy
            if leftover.suffix in (".lock", ".bak"):
                leftover.unlink()
        folder.rmdir()


def _spool_removal(spool: Spool) -> Step:
    waiting = [
        n for f in (spool.queue, spool.failed, spool.drop) if f.is_dir() for n in os.listdir(f)
    ]
    if waiting:
        return Step(
            f"keep the queue {spool.root}: it still holds {len(waiting)} file(s) "
            "(see mailwiz queue; delete the folder by hand when done)",
            lambda: None,
        )
    return Step(
        f"remove the empty queue {spool.root}",
        lambda: shutil.rmtree(spool.root, ignore_errors=True),
    )
