"""`mailwiz install-mta`: make mailwiz this machine's sendmail, as a plan of steps.

Each Step says what it does in one line and does it only when applied, so --dry-run
prints the same list and changes nothing. A Plan also names what stands in the way
(another mail program's sendmail, a mailwiz that a user could change, settings reached
through a user's links, mail still waiting): nothing is applied while there is one, and
--dry-run prints both. Every path is under `root` ("/" normally; a temporary folder in
tests), and systemctl runs only when root is "/". What install created is recorded in
/etc/mailwiz/installed.json, merged with what earlier installs recorded, so --uninstall
removes all of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.locations import command_for
from tui.core.mta import trust
from tui.core.mta.spool import DROP_MODE, Spool
from tui.core.mta.texts import commands, say

if TYPE_CHECKING:
    from tui.core.settings import Settings

SENDMAIL = "usr/sbin/sendmail"
MAILQ = "usr/bin/mailq"
NEWALIASES = "usr/bin/newaliases"
LIB_SENDMAIL = "usr/lib/sendmail"
LINKS = (SENDMAIL, MAILQ, NEWALIASES, LIB_SENDMAIL)
SETTINGS = "etc/mailwiz/settings.toml"
SECRETS = (SETTINGS + ".password", SETTINGS + ".token")
# The copies of the files the settings name (copy_named).
NAMED_COPIES = {
    "smtp.ca_file": "ca-file.pem",
    "oauth.certificate": "certificate.pem",
    "oauth.service_account": "service-account.json",
}
NAMED = tuple(f"etc/mailwiz/{name}" for name in NAMED_COPIES.values())
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


@dataclass
class Plan:
    """The steps, in order, and what stands in the way of applying them (one sentence
    each, saying how to clear it): apply only when `blockers` is empty."""

    steps: list[Step] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


OwnerLookup = Callable[[str], str | None]
CopySettings = Callable[[Path, Path], None]


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


def _link_blocker(root: Path, relative: str, owner_of: OwnerLookup, source: Path) -> str:
    real = "/" + relative
    package = owner_of(real)
    if package:
        return say("install-package", path=real, package=package, **commands(source))
    return say("install-in-the-way", path=root / relative, real=real, **commands(source))


#: Where the README and the refusal below put a root-owned copy of mailwiz.
ROOT_COPY = "/opt/mailwiz/bin/mailwiz"


def program_blocker(mailwiz: Path, source: Path | None = None) -> str | None:
    """Root will run `mailwiz` from the runner and every link: refused when a user could
    change any of it (a venv in a home folder, an editable install of a checkout)."""
    found = trust.program_problems(mailwiz)
    if not found:
        return None
    path, why = found[0]
    more = say("install-more-paths", count=len(found) - 1) if len(found) > 1 else ""
    copy = command_for(source, "install-mta", sudo=True, program=ROOT_COPY)
    return say(
        "install-untrusted", path=path, why=why, more=more, mailwiz=mailwiz, install_copy=copy
    )


def _units(mailwiz: Path) -> dict[str, str]:
    spool = "/" + SPOOL
    return {
        "mailwiz-queue.service": (
            "[Unit]\nDescription=mailwiz: deliver the system mail queue\n\n"
            f"[Service]\nType=oneshot\nExecStart={mailwiz} queue --run\n"
            "SyslogIdentifier=mailwiz\n"
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


def cron_line(mailwiz: Path) -> str:
    """The runner every minute; what it cannot say itself (an interpreter that does not
    start) goes to the system log through logger(1), not to /dev/null."""
    return f"* * * * * root {mailwiz} queue --run 2>&1 | /usr/bin/logger -t mailwiz -p mail.err\n"


def _write(path: Path, text: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode("utf-8") if isinstance(text, str) else text)
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


def recorded(root: Path) -> list[str]:
    """What earlier installs recorded as theirs (empty when there is no record)."""
    try:
        created = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["created"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [str(p) for p in created] if isinstance(created, list) else []


def _record(root: Path, created: list[str]) -> None:
    merged = list(dict.fromkeys([*recorded(root), *created]))
    _write(root / MANIFEST, json.dumps({"created": merged}, indent=1) + "\n", 0o600)


def install_plan(
    root: Path,
    source: Path,
    mailwiz: Path,
    copy_settings: CopySettings,
    owner_of: OwnerLookup | None = None,
) -> Plan:
    """What install-mta does, in order, and what is in the way (dpkg -S is asked only for
    "/"; the program is checked wherever it is installed to)."""
    if owner_of is None:
        owner_of = dpkg_owner if root == Path("/") else (lambda _path: None)
    plan = Plan()
    blocker = program_blocker(mailwiz, source)
    if blocker:
        plan.blockers.append(blocker)
    created: list[str] = []
    settings = root / SETTINGS
    if source.resolve() != settings.resolve():
        created += [SETTINGS, *SECRETS, *NAMED]
        problem = trust.user_files_problem(source)
        plan.blockers += [problem] if problem else _referenced_files(source)
        plan.steps.append(
            Step(
                say("install-step-copy", source=source.absolute(), target=settings),
                lambda: copy_settings(source, settings),
            )
        )
    spool = Spool(root / SPOOL)
    plan.steps.append(
        Step(
            say("install-step-queue", spool=spool.root, mode=f"{DROP_MODE:o}"),
            lambda: spool.ensure(system=True),
        )
    )
    for relative in LINKS:
        created.append(relative)  # ours, whether made now or by an earlier install
        link = root / relative
        if _ours(link, mailwiz):
            continue
        if os.path.lexists(link):
            plan.blockers.append(_link_blocker(root, relative, owner_of, source))
        plan.steps.append(
            Step(
                say("install-step-link", link=link, target=mailwiz),
                partial(_symlink, link, mailwiz),
            )
        )
    _runner_steps(root, mailwiz, plan, created)
    manifest = root / MANIFEST
    plan.steps.append(
        Step(
            say("install-step-record", manifest=manifest),
            lambda: _record(root, created),
        )
    )
    return plan


def _named_files(settings: Settings) -> dict[str, Path]:
    """The files the settings name (setting -> path), which root reads at every send."""
    named = {
        "smtp.ca_file": settings.smtp.ca_file,
        "oauth.certificate": settings.oauth.certificate,
        "oauth.service_account": settings.oauth.service_account,
    }
    return {key: Path(value.strip()).expanduser() for key, value in named.items() if value.strip()}


def _referenced_files(source: Path) -> list[str]:
    """What stands in the way of copying the files the settings name (see copy_named)."""
    from tui.core.settings import SettingsError, load_settings

    try:
        settings = load_settings(source).settings
    except SettingsError:
        return []  # the copy step says what is wrong with them
    blockers: list[str] = []
    for path in _named_files(settings).values():
        try:
            trust.read_user_file(path)
        except PermissionError as error:
            blockers.append(say("install-user-file", problem=error))
    return blockers


def copy_named(settings: Settings, folder: Path) -> None:
    """Root must not read, at every send, a file a user can change: each file the settings
    name is copied (no link, its folder owner's, as the settings are) into root's `folder`,
    0600, and the settings point at the copy."""
    for key, path in _named_files(settings).items():
        if trust.problems([path]) == []:
            continue  # root's already (under /etc, /usr/share/ca-certificates)
        copy = folder / NAMED_COPIES[key]
        _write(copy, trust.read_user_file(path), 0o600)
        section, name = key.split(".")
        setattr(getattr(settings, section), name, str(copy))


def _runner_steps(root: Path, mailwiz: Path, plan: Plan, created: list[str]) -> None:
    if uses_systemd(root):
        for name, text in _units(mailwiz).items():
            unit = root / UNITS / name
            created.append(f"{UNITS}/{name}")
            plan.steps.append(
                Step(say("install-step-write", path=unit), partial(_write, unit, text))
            )
        if root == Path("/"):
            plan.steps.append(
                Step(
                    "systemctl daemon-reload; systemctl enable --now mailwiz-queue.path "
                    "mailwiz-queue.timer",
                    _enable_units,
                )
            )
        return
    created.append(CRON)
    text = "# mailwiz: deliver the system mail queue\n" + cron_line(mailwiz)
    plan.steps.append(
        Step(
            say("install-step-cron", path=root / CRON),
            lambda: _write(root / CRON, text),
        )
    )


def install_steps(
    root: Path,
    source: Path,
    mailwiz: Path,
    copy_settings: CopySettings,
    owner_of: OwnerLookup | None = None,
) -> list[Step]:
    """The steps of install_plan; raises InstallRefused naming the first blocker."""
    plan = install_plan(root, source, mailwiz, copy_settings, owner_of)
    if plan.blockers:
        raise InstallRefused(plan.blockers[0])
    return plan.steps


def uninstall_plan(root: Path, mailwiz: Path) -> Plan:
    """What --uninstall does: remove what installs created. A queue still holding mail
    is kept; while messages wait for delivery, the settings and the runner they need are
    too, and the plan is blocked until they are delivered or deleted."""
    created = recorded(root) or [*LINKS, CRON] + [f"{UNITS}/{name}" for name in UNIT_NAMES]
    plan = Plan()
    spool = Spool(root / SPOOL)
    waiting = _waiting(spool)
    if waiting:
        words = say("install-waiting", count=waiting, spool=spool.root, **commands(root / SETTINGS))
        plan.blockers.append(words)
    units = [p for p in created if p.startswith(UNITS)]
    if units and root == Path("/") and uses_systemd(root):
        plan.steps.append(
            Step(
                "systemctl disable --now mailwiz-queue.path mailwiz-queue.timer",
                lambda: _systemctl("disable", "--now", *UNIT_NAMES[1:]),
            )
        )
    for relative in created:
        path = root / relative
        if relative in LINKS and not _ours(path, mailwiz):
            continue  # not ours (any more): leave it
        if os.path.lexists(path):
            plan.steps.append(
                Step(say("install-step-remove", path=path), partial(path.unlink, missing_ok=True))
            )
    plan.steps.append(_spool_removal(spool))
    manifest = root / MANIFEST
    if manifest.exists():
        plan.steps.append(
            Step(
                say("install-step-remove", path=manifest), lambda: manifest.unlink(missing_ok=True)
            )
        )
    folder = manifest.parent
    plan.steps.append(Step(say("install-step-rmdir", path=folder), lambda: _rmdir(folder)))
    return plan


def _waiting(spool: Spool) -> int:
    count = 0
    for folder in (spool.queue, spool.hold_folder, spool.drop):
        with contextlib.suppress(OSError):
            count += sum(1 for n in os.listdir(folder) if n.endswith((".msg", ".drop")))
    return count


def _rmdir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for leftover in folder.glob("settings.toml.*"):  # lock, backup, sign-in health
            if leftover.suffix in (".lock", ".bak", ".signin"):
                leftover.unlink()
        folder.rmdir()


def _spool_removal(spool: Spool) -> Step:
    waiting = [
        n
        for f in (spool.queue, spool.hold_folder, spool.failed, spool.drop)
        if f.is_dir()
        for n in os.listdir(f)
    ]
    if waiting:
        return Step(
            say("install-step-keep-queue", spool=spool.root, count=len(waiting), **commands(None)),
            lambda: None,
        )
    return Step(
        say("install-step-remove-queue", spool=spool.root),
        lambda: shutil.rmtree(spool.root, ignore_errors=True),
    )
