"""install-mta as a security review tried it (issue 23): root never runs code a user can
change, never copies through a user's links, never forks a sign-in; install twice and
uninstall once leaves nothing; --dry-run shows the plan with what is in the way."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mta_helpers import MAILWIZ, Mta, files_under, install, local_settings
from tests.servers import PASSWORD, SmtpServer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="ownership checks need root")


@pytest.fixture
def user(tmp_path: Path, starttls_server: SmtpServer) -> Mta:
    return Mta(
        tmp_path / "user",
        local_settings(starttls_server.settings()),
        {"MAILWIZ_PASSWORD": PASSWORD},
    )


def nobody() -> tuple[int, int]:
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def give_to_nobody(*paths: Path) -> None:
    uid, gid = nobody()
    for path in paths:
        os.chown(path, uid, gid, follow_symlinks=False)


def test_install_twice_then_uninstall_leaves_nothing(user: Mta, tmp_path: Path) -> None:
    """The second install runs from the system settings (sudo mailwiz install-mta, as the
    README's 'do it again' would): its record must still name the settings and password."""
    root = tmp_path / "root"
    assert install(user, root).returncode == 0
    assert (root / "etc/mailwiz/settings.toml.password").exists()
    user.config = root / "etc/mailwiz/settings.toml"
    again = install(user, root)
    assert again.returncode == 0, again.stderr
    record = json.loads((root / "etc/mailwiz/installed.json").read_text())["created"]
    assert "etc/mailwiz/settings.toml.password" in record
    removed = install(user, root, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert files_under(root) == []


def test_dry_run_shows_the_plan_and_the_sendmail_in_the_way(user: Mta, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/sendmail").write_text("#!/bin/sh\n")
    done = install(user, root, "--dry-run")
    assert done.returncode == 2
    assert "would create the queue" in done.stdout and "would write" in done.stdout
    assert "already exists" in done.stderr
    assert files_under(root) == ["usr/sbin/sendmail"]


def test_uninstall_dry_run_changes_nothing(user: Mta, tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert install(user, root).returncode == 0
    before = files_under(root)
    done = install(user, root, "--uninstall", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would remove" in done.stdout and "usr/sbin/sendmail" in done.stdout
    assert files_under(root) == before


def test_uninstall_keeps_what_deferred_mail_needs(user: Mta, tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert install(user, root).returncode == 0
    queue = root / "var/spool/mailwiz/queue"
    (queue / "20260101T000000-00000000.msg").write_bytes(b"Subject: x\r\n\r\nx\r\n")
    refused = install(user, root, "--uninstall")
    assert refused.returncode == 2
    assert re.search(r"mailwiz (--config \S+ )?queue --flush", refused.stderr)
    assert (root / "etc/mailwiz/settings.toml.password").exists()
    assert (root / "usr/sbin/sendmail").is_symlink()


def test_a_symlinked_password_file_is_not_copied(user: Mta, tmp_path: Path) -> None:
    """settings.toml.password -> a root-only file: root would have sent that file as the
    password to the user's chosen server."""
    secret = tmp_path / "root-only-secret"
    secret.write_text("s3cret-of-root\n")
    os.chmod(secret, 0o600)
    home = user.config.parent
    (home / "settings.toml.password").symlink_to(secret)
    give_to_nobody(home, user.config, home / "settings.toml.password")
    root = tmp_path / "root"
    done = install(user, root)
    assert done.returncode == 2
    assert "settings.toml.password is a symbolic link" in done.stderr
    assert "s3cret-of-root" not in done.stdout + done.stderr
    assert not (root / "etc/mailwiz").exists()


def test_a_password_file_of_another_owner_is_not_copied(user: Mta, tmp_path: Path) -> None:
    """A hard link (or any file) the folder's owner does not own is refused too."""
    home = user.config.parent
    (home / "settings.toml.password").write_text("s3cret-of-root\n")
    give_to_nobody(home, user.config)  # the password file stays root's
    done = install(user, tmp_path / "root")
    assert done.returncode == 2
    assert "is owned by uid 0" in done.stderr
    assert not (tmp_path / "root/etc").exists()


@pytest.fixture
def user_venv() -> Iterator[Path]:
    """A venv that a user owns, in a folder only root may write (so ownership is all that
    is wrong): its python is this one, it imports this checkout."""
    base = Path(sys.prefix)
    if any(os.stat(p).st_uid != 0 or os.stat(p).st_mode & 0o022 for p in (base, *base.parents)):
        pytest.skip("this checkout's venv is not in root-owned folders")
    folder = Path(tempfile.mkdtemp(prefix="user-venv-", dir=base))
    try:
        os.chmod(folder, 0o755)
        (folder / "bin").mkdir()
        (folder / "bin/python").symlink_to(os.path.realpath(sys.executable))
        shutil.copy(base / "pyvenv.cfg", folder / "pyvenv.cfg")
        site = folder / f"lib/python{sys.version_info.major}.{sys.version_info.minor}"
        (site / "site-packages").mkdir(parents=True)
        ours = base / site.relative_to(folder) / "site-packages"
        (site / "site-packages/checkout.pth").write_text(f"{ours}\n{Path.cwd()}\n")
        script = folder / "bin/mailwiz"
        script.write_text(f"#!{folder}/bin/python\nfrom tui.cli import main\nmain()\n")
        script.chmod(0o755)
        for path in [folder, *folder.rglob("*")]:
            give_to_nobody(path)
        yield folder
    finally:
        shutil.rmtree(folder)


def test_a_mailwiz_a_user_can_change_is_refused(user: Mta, tmp_path: Path, user_venv: Path) -> None:
    root = tmp_path / "root"
    done = subprocess.run(
        [str(user_venv / "bin/python"), "-m", "tui", "install-mta", "--config",
         str(user.config), "--root", str(root)],
        env=user.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{user_venv}" in done.stderr and "is not owned by root" in done.stderr
    assert "/opt/mailwiz" in done.stderr
    # the command to run from the root-owned copy keeps the settings it was given
    assert f"sudo /opt/mailwiz/bin/mailwiz --config {user.config} install-mta" in done.stderr
    assert not root.exists() or files_under(root) == []


def test_this_root_owned_mailwiz_is_accepted() -> None:
    from tui.core.mta.install import program_blocker

    assert program_blocker(MAILWIZ) is None


def test_an_oauth_sign_in_is_not_copied(tmp_path: Path) -> None:
    """Two copies of one refresh token end each other where the server revokes a reused
    token: the system signs in on its own, and install-mta says how."""
    from tui.commands.install_mta import copy_settings
    from tui.core.credentials import TokenRecord, save_tokens
    from tui.core.settings import (
        OAuthSettings,
        PasswordSettings,
        SenderSettings,
        Settings,
        SmtpSettings,
        load_settings,
        save_settings,
    )

    settings = Settings(
        smtp=SmtpSettings(host="smtp.office365.com", username="ops@example.com", auth="oauth2"),
        sender=SenderSettings(address="ops@example.com"),
        password=PasswordSettings(store="file"),
        oauth=OAuthSettings(client_id="00000000-1111-2222-3333-444444444444"),
    )
    source = save_settings(settings, tmp_path / "user" / "settings.toml")
    save_tokens(settings, source, TokenRecord("r3fresh-T0ken", username="ops@example.com"))
    target = tmp_path / "root/etc/mailwiz/settings.toml"
    copy_settings(source, target)
    assert load_settings(target).settings.smtp.auth == "oauth2"
    assert not target.with_name("settings.toml.token").exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_root_never_works_on_a_user_s_queue_or_through_its_links(user: Mta, tmp_path: Path) -> None:
    """Root with a user's HOME (sudo -E): the user's spool has tmp/ -> a folder of root's
    with an old file, and queue/ -> another. queue --flush must delete nothing there and
    chmod nothing; it refuses, naming the owner."""
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o755)
    old = victim / "important"
    old.write_text("keep me\n")
    os.utime(old, (1, 1))
    spool = user.spool_path
    spool.mkdir()
    (spool / "tmp").symlink_to(victim)
    for name in ("queue", "failed", "drop"):
        (spool / name).mkdir()
    give_to_nobody(spool, spool / "tmp", *(spool / n for n in ("queue", "failed", "drop")))
    done = user.queue("--flush")
    assert done.returncode == 73, done.stderr
    assert b"belongs to nobody" in done.stderr
    assert old.exists() and stat.S_IMODE(victim.stat().st_mode) == 0o755

    # Root's own spool with a symlinked tmp/ is refused too, and nothing is followed.
    for path in [spool, *spool.iterdir()]:
        os.chown(path, 0, 0, follow_symlinks=False)
    done = user.queue("--flush")
    assert done.returncode == 73 and b"symbolic link" in done.stderr
    assert old.exists() and stat.S_IMODE(victim.stat().st_mode) == 0o755


def test_tidy_never_follows_a_symlinked_tmp(tmp_path: Path) -> None:
    from tui.core.mta.spool import Spool, tidy

    victim = tmp_path / "victim"
    victim.mkdir()
    old = victim / "important"
    old.write_text("keep me\n")
    os.utime(old, (1, 1))
    spool = Spool(tmp_path / "spool")
    spool.root.mkdir()
    spool.tmp.symlink_to(victim)
    tidy(spool)
    assert old.exists()


def test_a_program_others_may_write_to_is_not_trusted() -> None:
    """Root-owned is not enough: a file or folder others may write to (or a group other
    than root's) is refused too; a symlink is judged where it points."""
    from tui.core.mta.trust import problems

    base = Path(sys.prefix)
    if problems([base]):
        pytest.skip("this checkout's venv is not in root-owned folders")
    folder = Path(tempfile.mkdtemp(prefix="writable-", dir=base))
    try:
        os.chmod(folder, 0o755)
        script = folder / "mailwiz"
        script.write_text("#!/bin/sh\n")
        assert problems([script]) == []
        script.chmod(0o666)
        assert problems([script]) == [
            (script, "may be changed by other users (group or others may write to it)")
        ]
        script.chmod(0o755)
        os.chown(script, 0, 100)  # a group other than root's may write to it
        script.chmod(0o775)
        assert [p for p, _why in problems([script])] == [script]
        os.chown(script, 0, 0)
        link = folder / "link"
        link.symlink_to(script)
        assert problems([link]) == []
        other = folder / "other"
        other.mkdir(mode=0o777)
        os.chmod(other, 0o777)
        (other / "target").write_text("x")
        link.unlink()
        link.symlink_to(other / "target")
        assert [p for p, _why in problems([link])] == [other]
    finally:
        shutil.rmtree(folder)


def test_a_ca_file_the_settings_name_is_copied_for_root_and_never_through_a_link(
    user: Mta, tmp_path: Path
) -> None:
    """Root reads smtp.ca_file at every send: a file a user can change would let them
    choose what root trusts. install-mta copies it (as it copies the settings) and points
    the system settings at the copy; a symlinked one is refused."""
    from tui.core.settings import load_settings

    # The user's own CA file, in the user's folder (a root-owned one under /etc or /tmp is
    # root's already and is used where it is).
    nobody = pwd.getpwnam("nobody")
    home = tmp_path / "home"
    home.mkdir()
    ca_file = home / "ca.pem"
    shutil.copyfile(user.settings.smtp.ca_file, ca_file)
    for path in (home, ca_file):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    user.settings.smtp.ca_file = str(ca_file)
    user.save()
    root = tmp_path / "root"
    assert install(user, root).returncode == 0
    system = load_settings(root / "etc/mailwiz/settings.toml").settings
    copy = root / "etc/mailwiz/ca-file.pem"
    assert system.smtp.ca_file == str(copy) and copy.read_bytes() == ca_file.read_bytes()
    assert install(user, root, "--uninstall").returncode == 0
    assert files_under(root) == []

    secret = tmp_path / "root-only.pem"
    secret.write_text("-----BEGIN PRIVATE KEY-----\nroot's\n")
    linked = user.config.parent / "ca.pem"
    linked.symlink_to(secret)
    user.settings.smtp.ca_file = str(linked)
    user.save()
    done = install(user, tmp_path / "root2")
    assert done.returncode == 2 and "ca.pem is a symbolic link" in done.stderr
    assert not (tmp_path / "root2/etc").exists()


def test_a_root_owned_sticky_folder_on_the_way_is_trusted_a_writable_one_is_not() -> None:
    """A checkout under /tmp (a root-owned sticky folder, 1777) is root's: nobody else can
    rename or remove root's entries there. The same folder without the sticky bit lets
    anyone swap them, and is refused; so is a folder a user owns inside the sticky one."""
    from tui.core.mta.trust import problems

    if os.geteuid() != 0:
        pytest.skip("needs root")
    shared = Path(tempfile.mkdtemp(prefix="shared-"))
    try:
        os.chmod(shared, 0o1777)
        home = shared / "opt"
        home.mkdir(mode=0o755)
        program = home / "mailwiz"
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
        assert problems([program]) == []
        os.chmod(shared, 0o777)  # the sticky bit gone: anyone may rename opt/
        assert [path for path, _why in problems([program])] == [shared]
        os.chmod(shared, 0o1777)
        nobody = pwd.getpwnam("nobody")
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        assert [path for path, _why in problems([program])] == [home]
    finally:
        shutil.rmtree(shared)
