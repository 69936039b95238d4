"""What an admin of the system mail meets (issue 24): every event in the system log, a flush
that says when mail stays deferred, a SIZE refusal that fails at once."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.mta_helpers import ADMIN, Mta, local_settings
from tests.servers import SmtpServer, SmtpServerFactory
from tests.syslog_reader import SyslogReader
from tui.core.exits import SysExit


@pytest.fixture
def mta(tmp_path: Path, plain_server: SmtpServer, syslog: SyslogReader) -> Mta:
    settings = local_settings(plain_server.settings())
    return Mta(tmp_path / "box", settings, {"MAILWIZ_SYSLOG": str(syslog.path)})


def test_every_event_is_logged_with_id_user_recipients_and_answer(
    mta: Mta, plain_server: SmtpServer, syslog: SyslogReader
) -> None:
    plain_server.handler.rcpt_reply = "451 4.3.0 greylisted, try later"
    assert mta.run(["-i", "root"], b"Subject: s\n\nbody\n").returncode == 0
    (message_id,) = mta.spool.ids()
    accepted, deferred = syslog.lines()
    assert accepted.startswith("<22>")  # facility mail, severity info
    assert "mailwiz[" in accepted and f"{message_id}: status=accepted user=root" in accepted
    assert f"to=<{ADMIN}>" in accepted
    assert f"{message_id}: status=deferred" in deferred and "greylisted" in deferred

    flushed = mta.queue("--flush")
    assert flushed.returncode == SysExit.TEMPFAIL  # still deferred: not 0
    plain_server.handler.rcpt_reply = None
    flushed = mta.queue("--flush")
    assert flushed.returncode == 0, flushed.stderr
    delivered = syslog.lines()[-1]
    assert f"{message_id}: status=delivered user=root to=<{ADMIN}>" in delivered
    assert f"relay=127.0.0.1:{plain_server.port}" in delivered and 'answer="250' in delivered


def test_a_permanent_refusal_is_logged_as_failed(
    mta: Mta, plain_server: SmtpServer, syslog: SyslogReader
) -> None:
    plain_server.handler.rcpt_reply = "550 5.1.1 no such user"
    # Queued (exit 0) and refused in the background delivery, which Mta.run waits for.
    assert mta.run(["-i", "root"], b"Subject: s\n\nbody\n").returncode == 0
    failed = [line for line in syslog.lines() if "status=failed" in line]
    assert len(failed) == 1 and "<19>" in failed[0] and "5.1.1 no such user" in failed[0]


def test_the_runner_s_own_failure_is_logged(mta: Mta, syslog: SyslogReader) -> None:
    mta.config.write_text("[smtp\nbroken")
    done = mta.queue("--run")
    assert done.returncode == SysExit.CONFIG
    (line,) = syslog.lines()
    assert "queue runner:" in line and str(mta.config) in line


@pytest.mark.parametrize("when", ["before DATA (SIZE)", "after DATA"])
def test_a_message_too_big_for_the_relay_fails_at_once(
    tmp_path: Path, smtp_server: SmtpServerFactory, syslog: SyslogReader, when: str
) -> None:
    if when == "after DATA":
        server = smtp_server("none", auth=False)
        server.handler.data_reply = "552 5.3.4 Message size exceeds fixed maximum message size"
    else:
        server = smtp_server("none", auth=False, data_size_limit=2000)
    mta = Mta(tmp_path, local_settings(server.settings()), {"MAILWIZ_SYSLOG": str(syslog.path)})
    done = mta.run(["-i", "root"], b"Subject: big\n\n" + (b"x" * 70 + b"\n") * 100)
    assert done.returncode == 0, done.stderr  # queued; refused in the background delivery
    assert mta.waiting() == [] and len(mta.spool.ids("failed")) == 1
    assert any("status=failed" in line for line in syslog.lines())


CHECK_MAILQ = Path("/usr/lib/nagios/plugins/check_mailq")


def check_mailq(tmp_path: Path, mta: Mta, *argv: str) -> subprocess.CompletedProcess[str]:
    """monitoring-plugins' own check_mailq, its mailq path pointed at this set-up's link."""
    plugins = tmp_path / "plugins"
    if not plugins.exists():
        plugins.mkdir()
        shutil.copy(CHECK_MAILQ, plugins / "check_mailq")
        utils = (CHECK_MAILQ.parent / "utils.pm").read_text()
        utils = utils.replace('"/usr/bin/mailq"', f'"{mta.bin / "mailq"}"')
        (plugins / "utils.pm").write_text(utils)
    return subprocess.run(
        ["perl", str(plugins / "check_mailq"), "-w", "5", "-c", "20", *argv],
        env=mta.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.skipif(not CHECK_MAILQ.exists(), reason="apt-get install monitoring-plugins-standard")
def test_check_mailq_counts_the_queue_and_the_drop_folder(
    mta: Mta, plain_server: SmtpServer, tmp_path: Path
) -> None:
    for mode in ("sendmail", "postfix"):
        empty = check_mailq(tmp_path, mta, "-M", mode)
        assert empty.returncode == 0 and "empty" in empty.stdout, empty.stdout
    plain_server.handler.rcpt_reply = "451 4.3.0 try later"
    for n in range(6):
        assert mta.run(["-i", "root"], b"Subject: %d\n\nx\n" % n).returncode == 0
    mta.spool.ensure(system=True)
    for _ in range(2):  # left by callers who may not read the settings
        mta.spool.drop_add({"version": 1, "recipients": ["root"]}, b"Subject: d\n\nx\n")
    for mode in ("sendmail", "postfix"):
        done = check_mailq(tmp_path, mta, "-M", mode)
        assert done.returncode == 1, done.stdout  # WARNING: 8 >= 5
        assert f"{mode} mailq is 8" in done.stdout


def test_a_permanent_failure_sends_one_notice_and_never_a_notice_about_it(
    mta: Mta, plain_server: SmtpServer, syslog: SyslogReader
) -> None:
    plain_server.handler.rcpt_replies["gone@example.org"] = "550 5.1.1 <gone@example.org>: gone"
    done = mta.run(["-i", "gone@example.org"], b"Subject: order 42\n\nbody\n")
    assert done.returncode == 0  # queued; refused in the background delivery
    assert len(mta.spool.ids()) == 1  # the notice waits for the runner
    assert mta.queue("--run").returncode == 0
    (notice,) = plain_server.received
    assert notice.rcpt_tos == [ADMIN]  # root's mail goes to the admin
    text = notice.data.decode()
    assert "Undelivered Mail Returned to Sender" in text and "Auto-Submitted: auto-replied" in text
    assert "gone@example.org" in text and "550 5.1.1" in text and "Subject: order 42" in text
    assert mta.spool.ids() == []

    # The admin's address refuses too: the notice fails, and no notice about it is sent.
    plain_server.handler.rcpt_replies[ADMIN] = "550 5.1.1 no such admin"
    assert mta.run(["-i", "gone@example.org"], b"Subject: again\n\nx\n").returncode == 0
    assert mta.queue("--run").returncode == 0
    assert mta.queue("--run").returncode == 0
    assert mta.spool.ids() == [] and len(mta.spool.ids("failed")) == 3
    assert len(plain_server.received) == 1


def test_an_admin_holds_requeues_and_deletes_by_id(
    mta: Mta, plain_server: SmtpServer, syslog: SyslogReader
) -> None:
    plain_server.handler.rcpt_reply = "451 4.3.0 later"
    assert mta.run(["-i", "root"], b"Subject: s\n\nx\n").returncode == 0
    (message_id,) = mta.spool.ids()
    held = mta.queue("--hold", message_id)
    assert held.returncode == 0 and b"held" in held.stdout
    plain_server.handler.rcpt_reply = None
    assert mta.queue("--flush").returncode == 0 and plain_server.received == []
    assert b"held" in mta.queue().stdout
    assert mta.queue("--requeue", message_id).returncode == 0
    assert mta.queue("--flush").returncode == 0 and len(plain_server.received) == 1
    assert any(f"{message_id}: status=held" in line for line in syslog.lines())

    plain_server.handler.rcpt_reply = "550 5.1.1 no"
    mta.run(["-i", "someone@example.org"], b"Subject: s\n\nx\n")
    (failed,) = mta.spool.ids("failed")
    assert mta.queue("--delete", failed).returncode == 0
    assert mta.spool.ids("failed") == []
    for bad in ("../../etc/passwd", failed, "20260101T000000-00000000"):
        refused = mta.queue("--delete", bad)
        assert refused.returncode == SysExit.USAGE and b"no message" in refused.stderr


def test_failed_messages_expire_after_the_stated_time(tmp_path: Path) -> None:
    import time

    from tui.core.mta.notice import FAILED_KEPT, expire_failed
    from tui.core.mta.spool import Envelope, Spool, new_id

    spool = Spool(tmp_path)
    spool.ensure()
    envelope = Envelope(new_id(), ["a@example.org"], time.time())
    spool.add(b"Subject: s\r\n\r\nx\r\n", envelope).failed()
    assert expire_failed(spool, time.time() + FAILED_KEPT - 60) == []
    assert expire_failed(spool, time.time() + FAILED_KEPT + 60) == [envelope.id]
    assert spool.ids("failed") == [] and os.listdir(spool.failed) == []


def test_the_notice_goes_to_the_submitting_user_else_the_admin(
    plain_server: SmtpServer,
) -> None:
    import time

    from tests.mta_helpers import WEB
    from tui.core.mta.notice import recipient_for
    from tui.core.mta.spool import Envelope

    settings = local_settings(plain_server.settings())
    by = {user: Envelope("x", [], time.time(), user=user) for user in ("www-data", "uid 4242")}
    assert recipient_for(by["www-data"], settings) == WEB  # PHP's mail: its alias
    assert recipient_for(by["uid 4242"], settings) == ADMIN  # a user without a name
    settings.local.admin = ""
    assert recipient_for(by["uid 4242"], settings) is None  # nobody to tell: logged instead


def test_the_log_never_holds_the_password(
    tmp_path: Path, starttls_server: SmtpServer, syslog: SyslogReader
) -> None:
    import base64

    from tests.servers import PASSWORD

    env = {"MAILWIZ_SYSLOG": str(syslog.path), "MAILWIZ_PASSWORD": PASSWORD}
    mta = Mta(tmp_path, local_settings(starttls_server.settings()), env)
    assert mta.run(["-i", "root"], b"Subject: s\n\nx\n").returncode == 0
    starttls_server.handler.rcpt_reply = "451 4.3.0 later"
    assert mta.run(["-i", "-v", "root"], b"Subject: s\n\nx\n").returncode == 0
    lines = "\n".join(syslog.lines())
    assert "status=delivered" in lines and "status=deferred" in lines
    for form in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode()):
        assert form not in lines


def test_the_runner_opens_an_older_system_queue_to_monitoring(mta: Mta) -> None:
    """A queue installed before monitoring users could list it gets the new modes."""
    import stat

    mta.spool.ensure(system=True)
    os.chmod(mta.spool.queue, 0o700)
    assert mta.queue("--run").returncode == 0
    assert stat.S_IMODE(mta.spool.queue.stat().st_mode) == 0o755
    assert stat.S_IMODE(mta.spool.tmp.stat().st_mode) == 0o700
    assert stat.S_IMODE(mta.spool.drop.stat().st_mode) == 0o1733
