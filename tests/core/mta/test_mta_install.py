"""`mailwiz install-mta` against a temporary root (--root), never this machine's /usr/sbin
or /etc: dry run, install (cron and systemd), a sendmail through the installed link,
refusal when another MTA is there, uninstall."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.mta_helpers import MAILWIZ, Mta, busy, files_under, install, local_settings
from tests.servers import PASSWORD, SmtpServer
from tests.waiting import wait_until
from tui.core.mta.install import InstallRefused, install_plan, install_steps


@pytest.fixture
def user(tmp_path: Path, starttls_server: SmtpServer) -> Mta:
    return Mta(
        tmp_path / "user",
        local_settings(starttls_server.settings()),
        {"MAILWIZ_PASSWORD": PASSWORD},
    )


def test_dry_run_prints_every_step_and_changes_nothing(user: Mta, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    done = install(user, root, "--dry-run")
    assert done.returncode == 0, done.stderr
    for expected in ("settings.toml", "var/spool/mailwiz", "usr/sbin/sendmail", "usr/bin/mailq",
                     "etc/cron.d/mailwiz", "installed.json"):  # fmt: skip
        assert expected in done.stdout
    assert done.stdout.count("would ") >= 6
    assert list(root.rglob("*")) == []


def test_install_then_cron_mail_goes_out_with_the_copied_password(
    user: Mta, tmp_path: Path, starttls_server: SmtpServer
) -> None:
    root = tmp_path / "root"
    done = install(user, root)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    settings = root / "etc/mailwiz/settings.toml"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    password_file = root / "etc/mailwiz/settings.toml.password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert PASSWORD not in settings.read_text()
    spool = root / "var/spool/mailwiz"
    assert stat.S_IMODE((spool / "drop").stat().st_mode) == 0o1733
    assert stat.S_IMODE((spool / "queue").stat().st_mode) == 0o755  # listed, not read
    assert stat.S_IMODE((spool / "tmp").stat().st_mode) == 0o700
    for link in ("usr/sbin/sendmail", "usr/bin/mailq"):
        assert os.readlink(root / link) == str(MAILWIZ)
    cron = (root / "etc/cron.d/mailwiz").read_text()
    assert "queue --run" in cron and "/dev/null" not in cron  # its failures reach the log
    assert "| /usr/bin/logger -t mailwiz" in cron

    # The installed link, the system settings and their password file: no MAILWIZ_PASSWORD.
    env = {k: v for k, v in user.env.items() if k != "MAILWIZ_PASSWORD"}
    env.update(MAILWIZ_CONFIG=str(settings), MAILWIZ_SPOOL=str(spool))
    sent = subprocess.run(
        [str(root / "usr/sbin/sendmail"), "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t",
         "-f", "root"],
        input=b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@box> true\n\nok\n",
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr.decode()
    wait_until(lambda: not busy(spool))  # delivered in the background
    assert len(starttls_server.received) == 1

    assert install(user, root).returncode == 0  # again: the links are ours, no refusal
    removed = install(user, root, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert files_under(root) == []


def test_systemd_gets_a_path_unit_and_a_timer(user: Mta, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run/systemd/system").mkdir(parents=True)
    assert install(user, root).returncode == 0
    units = root / "etc/systemd/system"
    assert "DirectoryNotEmpty=/var/spool/mailwiz/drop" in (units / "mailwiz-queue.path").read_text()
    assert "OnUnitActiveSec=" in (units / "mailwiz-queue.timer").read_text()
    assert f"ExecStart={MAILWIZ} queue --run" in (units / "mailwiz-queue.service").read_text()
    assert not (root / "etc/cron.d/mailwiz").exists()
    assert install(user, root, "--uninstall").returncode == 0
    assert not units.joinpath("mailwiz-queue.path").exists()


def test_uninstall_keeps_a_queue_that_still_holds_mail(user: Mta, tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert install(user, root).returncode == 0
    (root / "var/spool/mailwiz/failed/20260101T000000-00000000.msg").write_bytes(b"x")
    removed = install(user, root, "--uninstall")
    assert removed.returncode == 0 and "keep the queue" in removed.stdout
    assert (root / "var/spool/mailwiz/failed").is_dir()
    assert not (root / "usr/sbin/sendmail").exists()


def test_another_sendmail_in_the_way_is_refused_and_nothing_changes(
    user: Mta, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/sendmail").write_text("#!/bin/sh\n")
    done = install(user, root)
    assert done.returncode == 2
    assert "already exists" in done.stderr and "nothing was changed" in done.stderr
    assert files_under(root) == ["usr/sbin/sendmail"]


def test_a_package_owning_sendmail_is_named_with_how_to_remove_it(user: Mta) -> None:
    root = user.folder / "root"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/sendmail").symlink_to("../bin/msmtp")
    plan = install_plan(
        root, user.config, MAILWIZ, lambda s, t: None,
        owner_of=lambda path: "msmtp-mta" if path == "/usr/sbin/sendmail" else None,
    )  # fmt: skip
    (blocker,) = plan.blockers
    assert "msmtp-mta" in blocker
    assert "dpkg -S /usr/sbin/sendmail" in blocker
    assert "apt-get remove msmtp-mta" in blocker
    with pytest.raises(InstallRefused):
        install_steps(root, user.config, MAILWIZ, lambda s, t: None, lambda p: "msmtp-mta")
