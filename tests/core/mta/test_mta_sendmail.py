"""`mailwiz sendmail` and a `sendmail` symlink, as real processes, against aiosmtpd on
127.0.0.1: each caller's exact command line, and what the queue does on 451 and 550."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.mta_helpers import ADMIN, PHP_MESSAGE, WEB, Mta, local_settings
from tests.processes import unmeasured_environment
from tests.servers import SENDER, SmtpServer
from tui.core.exits import SysExit

CRON_MESSAGE = (
    b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@box> /usr/local/bin/backup\n"
    b"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
    b"Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n\n"
    b"backup done: 3 files, 1.2 GB \xe2\x9c\x93\n"
)
GIT_MESSAGE = (
    b"From: Dev Eloper <dev@example.org>\nTo: list@example.org\nCc: root\n"
    b"Subject: [PATCH] fix the frobnicator\nDate: Mon, 1 Dec 2025 10:00:00 +0000\n"
    b"Message-ID: <20251201100000.1-dev@example.org>\nX-Mailer: git-send-email 2.39.5\n\n"
    b"A line, then one with a dot alone:\n.\n---\n file | 2 +-\n"
)
UPGRADES_MESSAGE = (
    b'Content-Type: text/plain; charset="utf-8"\nMIME-Version: 1.0\n'
    b"Content-Transfer-Encoding: base64\nSubject: unattended-upgrades result for box: True\n"
    b"From: root\nTo: root\nBcc: secret-watcher@example.org\n\n"
    b"VW5hdHRlbmRlZCB1cGdyYWRlIHJlc3VsdDogQWxsIHVwZ3JhZGVzIGluc3RhbGxlZAo=\n"
)
FAIL2BAN_MESSAGE = (
    b"Subject: [Fail2Ban] sshd: banned 192.0.2.7 from box\n"
    b"Date: Wed, 03 Dec 2025 07:00:00 +0000\nFrom: Fail2Ban <fail2ban>\nTo: root\n\n"
    b"Hi,\n\nThe IP 192.0.2.7 has just been banned by Fail2Ban after 5 attempts.\n"
)
MAILX_MESSAGE = b"From: root\nTo: ops-team@example.org\nCc: www-data\nSubject: disk\n\n87% full\n"

CALLERS = {
    "cronie": ("-FCronDaemon -i -odi -oem -oi -t -f root", CRON_MESSAGE, [ADMIN], "Cron Daemon"),
    "debian-cron": ("-i -FCronDaemon -B8BITMIME -oem root", CRON_MESSAGE, [ADMIN], "Cron Daemon"),
    "anacron": (
        "-FAnacron -odi root",
        b"Subject: Anacron job 'cron.daily' on box\n\nrun-parts: ok\n",
        [ADMIN],
        "Anacron",
    ),
    "mailutils": ("-i -f root -- root www-data", MAILX_MESSAGE, [ADMIN, WEB], ""),
    "bsd-mailx": ("-oi -t", MAILX_MESSAGE, ["ops-team@example.org", WEB], ""),
    "php": ("-t -i", PHP_MESSAGE, ["customer@example.org"], "Shop"),
    "git-send-email": (
        "-i list@example.org root",
        GIT_MESSAGE,
        ["list@example.org", ADMIN],
        "Dev Eloper",
    ),
    "unattended-upgrades": ("-oi -t", UPGRADES_MESSAGE, [ADMIN, "secret-watcher@example.org"], ""),
    "fail2ban": ("-f fail2ban root", FAIL2BAN_MESSAGE, [ADMIN], "Fail2Ban"),
}


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def mta(tmp_path: Path, plain_server: SmtpServer) -> Mta:
    return Mta(tmp_path, local_settings(plain_server.settings()))


@pytest.mark.parametrize("entry", ["subcommand", "symlink"])
@pytest.mark.parametrize("caller", list(CALLERS))
def test_each_callers_exact_command_line(
    caller: str, entry: str, mta: Mta, plain_server: SmtpServer
) -> None:
    argv, data, recipients, display = CALLERS[caller]
    done = mta.run(argv.split(), data, entry=entry)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b"" and done.stderr == b""  # cron would mail any output back
    [received] = plain_server.received
    assert received.mail_from == SENDER  # the envelope is always the account's
    assert received.rcpt_tos == recipients
    message = parsed(received.data)
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["From"].addresses[0].display_name == (display or "")
    assert "Bcc" not in message
    assert message["Date"] is not None and message["Message-ID"] is not None
    assert mta.spool.ids() == [] and mta.spool.ids("failed") == []


def test_php_crlf_and_8bit_body_arrive_unchanged(mta: Mta, plain_server: SmtpServer) -> None:
    assert mta.run(["-t", "-i"], PHP_MESSAGE).returncode == 0
    data = plain_server.received[0].data
    assert data.endswith(b"\r\n\r\nDanke f\xc3\xbcr Ihre Bestellung.\r\n")
    assert parsed(data)["X-Original-From"] == "Shop <www-data@localhost>"


def test_git_send_email_keeps_its_headers_and_a_lone_dot(
    mta: Mta, plain_server: SmtpServer
) -> None:
    assert mta.run(["-i", "list@example.org"], GIT_MESSAGE).returncode == 0
    message = parsed(plain_server.received[0].data)
    assert message["Message-ID"] == "<20251201100000.1-dev@example.org>"
    assert b"\r\nDate: Mon, 1 Dec 2025 10:00:00 +0000\r\n" in plain_server.received[0].data
    assert message["Cc"] == f"root <{ADMIN}>"  # a local name in Cc, qualified
    assert b"\r\n.\r\n---\r\n" in plain_server.received[0].data


def test_without_dash_i_a_lone_dot_ends_the_message(mta: Mta, plain_server: SmtpServer) -> None:
    assert mta.run(["root"], b"Subject: x\n\nkept\n.\ndropped\n").returncode == 0
    body = parsed(plain_server.received[0].data).get_content()
    assert "kept" in body and "dropped" not in body


def test_a_temporary_failure_stays_queued_and_one_flush_delivers_it_once(
    mta: Mta, plain_server: SmtpServer
) -> None:
    plain_server.handler.data_reply = "451 4.3.0 Try again later"
    done = mta.run(["-i", "root"], b"Subject: deferred one\n\nbody\n")
    assert done.returncode == 0, done.stderr.decode()  # safely queued
    [queued] = mta.spool.ids()
    envelope = mta.spool.envelope(queued)
    assert envelope is not None and envelope.attempts == 1 and "451" in envelope.last_error
    listing = mta.run(["-bp"]).stdout.decode()
    assert queued in listing and "(Deferred: data: 451 4.3.0" in listing
    assert mta.run([], entry="mailq").stdout.decode() == listing

    plain_server.handler.data_reply = None
    assert mta.queue("--run").returncode == 0  # the runner keeps to the backoff
    assert plain_server.received == [] and mta.spool.ids() == [queued]
    assert mta.run(["-q"]).returncode == 0  # a flush ignores it
    assert len(plain_server.received) == 1
    assert mta.queue("--flush").returncode == 0
    assert len(plain_server.received) == 1
    assert mta.spool.ids() == []
    assert "empty" in mta.queue().stdout.decode()


def test_a_permanent_refusal_goes_to_failed_and_names_the_address(
    mta: Mta, plain_server: SmtpServer
) -> None:
    plain_server.handler.rcpt_reply = "550 5.1.1 <nobody@example.org>: no such user"
    done = mta.run(["-i", "nobody@example.org"], b"Subject: refused\n\nbody\n")
    assert done.returncode == 0 and done.stderr == b""  # queued; delivered in the background
    assert mta.waiting() == []
    [failed] = mta.spool.ids("failed")
    listing = mta.queue().stdout.decode()
    assert failed in listing and "failed" in listing and "550 5.1.1" in listing
    assert "nobody@example.org" in listing
    # -v delivers in the foreground: then the caller hears the refusal itself.
    watched = mta.run(["-v", "-i", "nobody@example.org"], b"Subject: refused\n\nbody\n")
    assert watched.returncode == SysExit.UNAVAILABLE
    assert "nobody@example.org" in watched.stderr.decode()
    assert len(mta.spool.ids("failed")) == 2
    plain_server.handler.rcpt_reply = None
    mta.queue("--flush")
    # failed messages are not retried: only their notices go, to the admin (for root)
    assert [r.rcpt_tos for r in plain_server.received] == [[ADMIN], [ADMIN]]


def test_one_refused_recipient_does_not_stop_the_others(mta: Mta, plain_server: SmtpServer) -> None:
    plain_server.handler.rcpt_replies["gone@example.org"] = "550 5.1.1 no such user"
    done = mta.run(["-i", "a@example.org", "gone@example.org", "root"], b"Subject: s\n\nx\n")
    assert done.returncode == 0, done.stderr.decode()
    [received] = plain_server.received
    assert received.rcpt_tos == ["a@example.org", ADMIN]
    assert mta.waiting() == []
    [failed] = mta.spool.ids("failed")
    envelope = mta.spool.envelope(failed, "failed")
    assert envelope is not None and envelope.recipients == ["gone@example.org"]
    assert "550 5.1.1" in envelope.last_error


def test_a_refused_message_body_is_a_permanent_failure(mta: Mta, plain_server: SmtpServer) -> None:
    plain_server.handler.data_reply = "554 5.7.1 Message rejected as spam"
    done = mta.run(["-t", "-i"], PHP_MESSAGE)
    assert done.returncode == 0, done.stderr.decode()
    [failed] = mta.spool.ids("failed")
    envelope = mta.spool.envelope(failed, "failed")
    assert envelope is not None and envelope.recipients == ["customer@example.org"]
    assert "554 5.7.1" in envelope.last_error


def test_twenty_parallel_submissions_and_flushes_deliver_each_once(
    mta: Mta, plain_server: SmtpServer
) -> None:
    senders = [mta.popen(["-i", f"user{n}@example.org"]) for n in range(20)]
    flushers = [mta.popen(["-q"]) for _ in range(3)]
    for n, process in enumerate(senders):
        process.communicate(f"Subject: parallel {n}\n\nbody {n}\n".encode(), timeout=120)
    for process in flushers:
        process.communicate(b"", timeout=120)
    assert [p.returncode for p in senders + flushers] == [0] * 23
    mta.settled()
    subjects = sorted(parsed(r.data)["Subject"] for r in plain_server.received)
    assert subjects == sorted(f"parallel {n}" for n in range(20))
    assert mta.spool.ids() == []


def test_no_queue_gives_the_failure_as_the_exit_code(mta: Mta, plain_server: SmtpServer) -> None:
    plain_server.handler.data_reply = "451 4.3.0 Try again later"
    done = mta.run(["--no-queue", "-i", "root"], b"Subject: now or never\n\nx\n")
    assert done.returncode == SysExit.TEMPFAIL
    assert mta.spool.ids() == [] and not (mta.spool_path / "queue").exists()


def test_sign_in_refused_with_no_queue_is_77(tmp_path: Path, starttls_server: SmtpServer) -> None:
    mta = Mta(tmp_path, local_settings(starttls_server.settings()), {"MAILWIZ_PASSWORD": "wrong"})
    done = mta.run(["--no-queue", "-i", "root"], b"Subject: x\n\nx\n")
    assert done.returncode == SysExit.NOPERM
    # Queued, the same refusal waits for the password to be fixed: exit 0, kept.
    assert mta.run(["-i", "root"], b"Subject: x\n\nx\n").returncode == 0
    assert len(mta.spool.ids()) == 1


def test_verbose_shows_the_dialogue_but_never_a_secret(
    tmp_path: Path, starttls_server: SmtpServer
) -> None:
    import base64

    from tests.servers import PASSWORD, USERNAME

    mta = Mta(tmp_path, local_settings(starttls_server.settings()), {"MAILWIZ_PASSWORD": PASSWORD})
    done = mta.run(["-v", "-i", "root"], b"Subject: verbose\n\nx\n")
    assert done.returncode == 0, done.stderr.decode()
    output = (done.stdout + done.stderr).decode()
    assert "auth" in output and "STARTTLS" in output and "queued as" in output
    plain = f"\0{USERNAME}\0{PASSWORD}".encode()
    for secret in (
        PASSWORD,
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(plain).decode(),
    ):
        assert secret not in output
    assert len(starttls_server.received) == 1


def test_exit_codes_before_anything_is_queued(mta: Mta, tmp_path: Path) -> None:
    assert mta.run(["-bs"]).returncode == SysExit.USAGE
    assert mta.run(["-bi"]).returncode == SysExit.OK
    assert mta.run(["-t", "-i"], b"Subject: to nobody\n\nx\n").returncode == SysExit.DATAERR
    mta.settings.local.admin = ""
    mta.save()
    done = mta.run(["-i", "nagios"], b"Subject: x\n\nx\n")
    assert done.returncode == SysExit.NOUSER and "nagios" in done.stderr.decode()
    assert mta.spool.ids() == []


@pytest.mark.parametrize("broken", ["missing", "unknown key", "invalid value"])
def test_broken_settings_never_lose_the_message(
    broken: str, mta: Mta, plain_server: SmtpServer
) -> None:
    good = mta.config.read_text()
    if broken == "missing":
        mta.config.unlink()
    elif broken == "unknown key":
        mta.config.write_text('frobnicate = "yes"\n' + good)
    else:
        mta.config.write_text(good.replace(f"port = {plain_server.port}", "port = 0"))
    done = mta.run(["-i", "root"], b"Subject: kept\n\nx\n")
    assert done.returncode == 0  # queued: cron and PHP must not lose it
    said = done.stderr.decode()
    assert "settings cannot be used" in said and "goes out once they are fixed" in said
    assert len(os.listdir(mta.spool.drop)) == 1
    # --no-queue cannot keep it: it says so, and nothing more is kept.
    now = mta.run(["--no-queue", "-i", "root"], b"Subject: now\n\nx\n")
    assert now.returncode == SysExit.CONFIG and "cannot be honoured" in now.stderr.decode()
    assert len(os.listdir(mta.spool.drop)) == 1
    mta.config.write_text(good)  # fixed: the runner delivers it, once
    assert mta.queue("--run").returncode == 0
    [received] = plain_server.received
    assert received.rcpt_tos == [ADMIN] and b"Subject: kept" in received.data
    assert os.listdir(mta.spool.drop) == [] and mta.spool.ids() == []


def test_a_queue_that_cannot_be_written_is_73(mta: Mta, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    mta.env["MAILWIZ_SPOOL"] = str(tmp_path / "a-file" / "spool")
    done = mta.run(["-i", "root"], b"Subject: x\n\nx\n")
    assert done.returncode == SysExit.CANTCREAT
    assert "NOT queued" in done.stderr.decode()


def test_through_the_http_relay_each_recipient_gets_the_text(tmp_path: Path) -> None:
    from tests.relay_server import relay_settings, serve

    with serve() as relay:
        settings = relay_settings(f"http://127.0.0.1:{relay.port}/send")
        settings.local.admin = ADMIN
        settings.local.aliases = {"www-data": WEB}
        mta = Mta(tmp_path, settings)
        done = mta.run(["-i", "root", "www-data@localhost"], CRON_MESSAGE)
        assert done.returncode == 0, done.stderr.decode()
        bodies = [r.body for r in relay.received]
    assert len(bodies) == 2
    assert b"ops@example.com" in bodies[0] and b"web@example.com" not in bodies[0]
    assert all(b"backup done: 3 files" in body for body in bodies)
    assert all(b"Cron <root@box> /usr/local/bin/backup" in body for body in bodies)
    assert mta.spool.ids() == []


# What a submission must not load (issue 24, item 1: the caller pays only for queueing):
# the delivery (asyncio, the engines, the credentials), the UI, argparse (sendmail parses its
# own options), dataclasses (with inspect, ast and dis; the settings and the queue's records
# are tui.core.records), importlib.resources (texts are read beside their module), the drop
# folder's reader, and the email package's parsers for a message whose header names its
# addresses as cron and scripts do. Timings are in bench/submit.py.
NOT_FOR_QUEUEING = [
    "asyncio", "ssl", "aiosmtplib", "httpx", "keyring", "textual", "rich", "email_validator",
    "argparse", "dataclasses", "inspect", "importlib.resources", "zipfile", "tempfile",
    "email.utils", "email.header", "email.policy", "email.message",
    "tui.core.send", "tui.core.transports", "tui.core.credentials", "tui.core.diagnose",
    "tui.core.mta.runner", "tui.core.mta.notice", "tui.core.mta.dropbox",
]  # fmt: skip


@pytest.mark.parametrize(
    "delivery", [["-odq"], [], ["-odb"]], ids=["queue-only", "background", "background-odb"]
)
def test_a_submission_loads_only_what_queueing_needs(
    mta: Mta, plain_server: SmtpServer, delivery: list[str]
) -> None:
    report = mta.folder / "modules.json"
    argv = ["sendmail", *delivery, "-i", "root"]
    code = (
        "import json, sys\n"
        "from tui.cli import main\n"
        f"code = main({argv!r})\n"
        "loaded = sorted(name for name, module in sys.modules.items() if module is not None)\n"
        f"json.dump([code, loaded], open({str(report)!r}, 'w'))\n"
    )
    message = b"From: Cron Daemon <root>\nTo: root\nSubject: light\n\nx\n"
    done = subprocess.run(
        [sys.executable, "-c", code], input=message, env=unmeasured_environment(mta.env),
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    mta.settled()  # the background delivery (a detached child, whose imports are its own)
    assert done.returncode == 0, done.stderr
    exit_code, modules = json.loads(report.read_text())
    assert exit_code == 0
    if delivery == ["-odq"]:
        assert len(mta.spool.ids()) == 1
    else:
        assert len(plain_server.received) == 1 and mta.spool.ids() == []
    loaded = [h for h in NOT_FOR_QUEUEING if any(m == h or m.startswith(h + ".") for m in modules)]
    assert loaded == []


def test_dash_odq_only_queues_and_the_runner_sends_it(mta: Mta, plain_server: SmtpServer) -> None:
    done = mta.run(["-odq", "-i", "root"], b"Subject: later\n\nx\n")
    assert done.returncode == 0 and done.stderr == b""
    [queued] = mta.spool.ids()
    envelope = mta.spool.envelope(queued)
    assert plain_server.received == [] and envelope is not None and envelope.attempts == 0
    assert mta.queue("--run").returncode == 0
    assert len(plain_server.received) == 1 and mta.spool.ids() == []
