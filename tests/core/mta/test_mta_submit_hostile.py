"""Messages and drop folder entries from users who mean harm (issue 23), run as root with
the real user nobody: no message stops the queue, no header is smuggled in, nothing is read
past the limit, nothing a user leaves in the drop folder stays, and a refusal that never
reached a server is final at once. Then what admins expect of a submission (issue 24): the
caller never waits for the relay, --no-queue says when it cannot be honoured, the Date of
submission is kept, /etc/aliases is read."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.mta_helpers import (
    ADMIN,
    WEB,
    Mta,
    as_nobody,
    local_settings,
    nobody_runs,
    system_mta,
    workers,
)
from tests.processes import unmeasured_environment
from tests.servers import HOST, SENDER, SmtpServer, SocketServer, make_settings
from tui.core.exits import SysExit
from tui.core.mta import dropbox
from tui.core.mta.local import Resolver, UnknownLocalName
from tui.core.mta.options import Invocation
from tui.core.mta.rewrite import MessageProblem, prepare
from tui.core.mta.spool import Envelope, Spool, new_id
from tui.core.settings import LocalSettings, SenderSettings, Settings

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="submitting as another user needs root and setpriv (util-linux)",
)

# `To: root, a@example.com..=?UTF-8?B?<"\nFrom: ceo@bank.example\n">?=`: a line break in an
# encoded word beside a local name (the review's injection, CVE-2024-6923 on 3.11.7).
SMUGGLED = base64.b64encode(b"\nFrom: ceo@bank.example\nX-Evil: 1\n").decode()
INJECTION = (
    f"To: root, a@example.com..=?UTF-8?B?{SMUGGLED}?=\nSubject: invoice\n\npay now\n"
).encode()
POISON = "To: root, josé@example.com\nSubject: poison\n\nbody\n".encode()


def head_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def from_lines(data: bytes) -> list[bytes]:
    return [line for line in head_lines(data) if line.lower().startswith(b"from:")]


# ------------------------------------------------------------------ prepare(), fuzzed

ACCOUNT = "server@example.com"
SETTINGS = Settings(
    sender=SenderSettings(address=ACCOUNT),
    local=LocalSettings(admin=ADMIN, aliases={"www-data": "web@example.com"}),
)
RESOLVER = Resolver(SETTINGS.local, frozenset({"localhost", "box"}))

words = st.sampled_from(
    ["root", "www-data", "josé@example.com", "a@example.com", "Ünïcode", '"q, w"', "<x@y>",
     "=?UTF-8?B?CkZyb206IGNlb0BiYW5rLmV4YW1wbGUK?=", "=?utf-8?q?a=0Ab?=", "=?x?=", ",", ";",
     "(comment)", "\t", " ", "\r", "\x00", "\x85", "@", "..", "ä@ö.de", "root@localhost"]
)  # fmt: skip
values = st.builds(
    lambda parts, separator: separator.join(parts),
    st.lists(st.one_of(words, words, words, st.text(max_size=12)), min_size=1, max_size=5),
    st.sampled_from([", ", " ", ","]),
)
names = st.sampled_from(["To", "Cc", "Bcc", "From", "Subject", "Reply-To", "X-Any", "to"])
encodings = st.sampled_from(["utf-8", "latin-1", "utf-16"])


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    fields = draw(st.lists(st.tuples(names, values), max_size=6))
    encoding = draw(encodings)
    head = "".join(f"{name}: {value}\n" for name, value in fields)
    raw = head.encode(encoding, "replace") + b"\n" + draw(st.binary(max_size=40))
    return draw(st.sampled_from([raw, raw.replace(b"\n", b"\r\n")]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(data=POISON, extract=True, recipients=[])  # the review's finds, always tried
@example(data=INJECTION, extract=True, recipients=["root"])
@given(
    data=messages(),
    extract=st.booleans(),
    recipients=st.lists(words, max_size=3),
)
def test_prepare_takes_or_refuses_any_message_and_writes_one_from(
    data: bytes, extract: bool, recipients: list[str]
) -> None:
    invocation = Invocation(recipients=recipients, extract=extract)
    try:
        prepared = prepare(data, invocation, SETTINGS, RESOLVER)
    except (MessageProblem, UnknownLocalName):
        return
    lines = head_lines(prepared.data)
    [written] = from_lines(prepared.data)
    assert written.endswith((f"<{ACCOUNT}>".encode(), f" {ACCOUNT}".encode()))
    for line in lines[1:]:  # a field or a continuation line (white space first); no bare CR
        assert line[:1] in (b" ", b"\t") or b":" in line, line
        assert b"\r" not in line
    assert not any(line.lower().startswith(b"bcc:") for line in lines)


def test_a_local_name_beside_a_non_ascii_address_is_qualified() -> None:
    prepared = prepare(POISON, Invocation(extract=True), SETTINGS, RESOLVER)
    assert prepared.recipients == (ADMIN, "josé@example.com")
    assert f"To: root <{ADMIN}>,\r\n josé@example.com\r\n".encode() in prepared.data


def test_an_encoded_line_break_beside_a_local_name_stays_in_its_field() -> None:
    prepared = prepare(INJECTION, Invocation(extract=True), SETTINGS, RESOLVER)
    assert from_lines(prepared.data) == [f"From: {ACCOUNT}".encode()]
    assert b"ceo@bank" not in prepared.data.replace(SMUGGLED.encode(), b"")
    assert b"X-Evil" not in prepared.data


# ------------------------------------------------------------- end to end, as nobody


@needs_root
def test_a_poison_message_does_not_stop_the_queue(plain_server: SmtpServer) -> None:
    with system_mta(local_settings(plain_server.settings())) as mta:
        assert as_nobody(mta, ["-t", "-i"], POISON).returncode == 0
        assert as_nobody(mta, ["-i", "root"], b"Subject: innocent\n\nx\n").returncode == 0
        assert mta.queue("--run").returncode == 0
        subjects = [email.message_from_bytes(r.data)["Subject"] for r in plain_server.received]
        assert "innocent" in subjects
        assert os.listdir(mta.spool.drop) == []
        # The poison one went out, or waits or failed with its reason: it is not lost.
        kept = mta.spool.ids() + mta.spool.ids("failed")
        assert "poison" in subjects or kept
        # From a caller who can read the settings: queued (0), never exit 1 and lost.
        assert mta.run(["-t", "-i"], POISON).returncode == 0


@needs_root
def test_no_header_is_smuggled_through_the_drop_folder(plain_server: SmtpServer) -> None:
    with system_mta(local_settings(plain_server.settings())) as mta:
        done = as_nobody(mta, ["-t", "-i"], INJECTION)
        assert done.returncode == 0, done.stderr
        assert mta.queue("--run").returncode == 0
        for each in plain_server.received:  # the message, and the notice of the refusal
            assert [b"ceo@bank" in line for line in from_lines(each.data)] == [False]
            assert not any(b"X-Evil" in line for line in head_lines(each.data))
        [received] = [r for r in plain_server.received if b"Subject: invoice" in head_lines(r.data)]
        assert received.rcpt_tos == [ADMIN]  # the bad address never reached the relay
        assert from_lines(received.data) == [f"From: {SENDER}".encode()]
        assert not any(b"X-Evil" in line for line in head_lines(received.data))
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        assert [str(v) for v in message.get_all("From", [])] == [SENDER]
        [failed] = mta.spool.ids("failed")  # the smuggling address: refused at once
        envelope = mta.spool.envelope(failed, "failed")
        assert envelope is not None and "refused before sending" in envelope.last_error
        assert envelope.user == "nobody"


@needs_root
def test_junk_in_the_drop_folder_is_quarantined_with_its_owner(plain_server: SmtpServer) -> None:
    with system_mta(local_settings(plain_server.settings())) as mta:
        drop = mta.spool.drop
        assert nobody_runs(["touch", str(drop / "mine.drop")]).returncode == 0
        for argv in (
            ["ln", "-s", "/etc/shadow", str(drop / "shadow.drop")],
            ["ln", str(drop / "mine.drop"), str(drop / "hard.drop")],
            ["mkfifo", str(drop / "fifo.drop")],
            ["mkdir", str(drop / "folder.drop")],
            ["sh", "-c", f"printf 'not json\\nat all\\n' > {drop}/junk.drop"],
            ["truncate", "-s", "300M", str(drop / "huge.drop")],
            ["sh", "-c", f"echo x > {drop}/notes.txt"],
            ["touch", "-d", "2 hours ago", str(drop / ".new-20250101T000000-deadbeef")],
        ):
            assert nobody_runs(argv).returncode == 0, argv
        assert as_nobody(mta, ["-i", "root"], b"Subject: real\n\nx\n").returncode == 0
        shadow = os.stat("/etc/shadow") if os.path.exists("/etc/shadow") else None
        assert mta.queue("--run").returncode == 0
        assert os.listdir(drop) == []  # nothing stays
        assert len(plain_server.received) == 1  # the real one went out
        quarantine = mta.spool_path / "quarantine"
        assert stat.S_IMODE(quarantine.stat().st_mode) == 0o700 and quarantine.stat().st_uid == 0
        notes = [__import__("json").loads(p.read_text()) for p in sorted(quarantine.glob("*.json"))]
        assert sorted(n["name"] for n in notes) == sorted(  # huge.drop: over the cap, deleted
            ["shadow.drop", "hard.drop", "mine.drop", "fifo.drop", "folder.drop", "junk.drop",
             "notes.txt"]
        ), notes  # fmt: skip
        assert {n["user"] for n in notes} == {"nobody"}, notes
        if shadow is not None:
            assert os.stat("/etc/shadow") == shadow  # never followed


def test_a_drop_file_that_grows_while_read_is_read_to_the_limit_only(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.ensure(system=True)
    limit = 256 * 1024
    path = spool.drop / "20250101T000000-00000001.drop"
    path.write_bytes(b'{"version": 1, "recipients": ["root"]}\nSubject: x\n\n')
    stop = threading.Event()

    def grow() -> None:  # the user appends as fast as it can, up to 16 times the limit
        with open(path, "ab") as handle:
            for _ in range(16 * limit // 4096):
                if stop.is_set():
                    return
                handle.write(b"y" * 4095 + b"\n")
                handle.flush()

    writer = threading.Thread(target=grow)
    writer.start()
    try:
        taken = [d.size for d in dropbox.take(spool, limit=limit)]
    finally:
        stop.set()
        writer.join()
    assert all(size <= limit for size in taken)
    if not taken:  # read past the limit: moved out, never queued
        assert os.listdir(spool.drop) == []
    # Far over the limit: read to limit + 1 bytes only (memory shows it), then quarantined.
    path.write_bytes(b'{"version": 1}\n' + b"z" * (32 * limit))
    tracemalloc.start()
    try:
        assert list(dropbox.take(spool, limit=limit)) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit
    assert os.listdir(spool.drop) == []


def test_a_user_s_share_of_a_run_is_capped(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.ensure(system=True)
    for n in range(3):
        spool.drop_add({"version": 1, "n": n}, b"Subject: x\n\nx\n")
    taken = []
    for dropped in dropbox.take(spool, caps=(2, 10**9)):
        taken.append(dropped.header["n"])
        dropped.remove()
    assert len(taken) == 2 and len(os.listdir(spool.drop)) == 1  # the next run takes it
    assert [d.header["n"] for d in dropbox.take(spool, caps=(2, 10**9))] == [3 - sum(taken)]


# -------------------------------------------------- refused before reaching any server


def test_a_recipient_the_envelope_checks_refuse_fails_at_once(
    tmp_path: Path, plain_server: SmtpServer
) -> None:
    mta = Mta(tmp_path, local_settings(plain_server.settings()))
    bad = "a=?utf-8?q?x?=@example.com"
    done = mta.run(["-i", bad, "root"], b"Subject: s\n\nx\n")
    assert done.returncode == SysExit.DATAERR
    assert bad in done.stderr.decode() and "other recipients are queued" in done.stderr.decode()
    [received] = plain_server.received
    assert received.rcpt_tos == [ADMIN]
    [failed] = mta.spool.ids("failed")
    envelope = mta.spool.envelope(failed, "failed")
    assert envelope is not None and envelope.recipients == [bad] and envelope.attempts == 0
    assert mta.spool.ids() == []
    only_bad = mta.run(["-i", bad], b"Subject: s\n\nx\n")
    assert only_bad.returncode == SysExit.DATAERR and len(mta.spool.ids("failed")) == 2
    assert mta.spool.ids() == []


def test_a_queued_message_that_cannot_be_sent_does_not_stop_the_others(
    tmp_path: Path, plain_server: SmtpServer
) -> None:
    mta = Mta(tmp_path, local_settings(plain_server.settings()))
    mta.spool.ensure()
    broken = Envelope(new_id(), [], 0.0, subject="no recipients at all")  # a damaged entry
    mta.spool.add(b"Subject: broken\r\n\r\nx\r\n", broken).release()
    assert mta.run(["-odq", "-i", "root"], b"Subject: fine\n\nx\n").returncode == 0
    mta.queue("--flush")
    assert [email.message_from_bytes(r.data)["Subject"] for r in plain_server.received] == ["fine"]
    assert mta.spool.ids() == [] and mta.spool.ids("failed") == [broken.id]
    envelope = mta.spool.envelope(broken.id, "failed")
    assert envelope is not None and "could not send it" in envelope.last_error


# ------------------------------------------------ what admins expect of a submission


@needs_root
def test_no_queue_from_a_user_who_cannot_read_the_settings_is_refused(
    plain_server: SmtpServer,
) -> None:
    with system_mta(local_settings(plain_server.settings())) as mta:
        done = as_nobody(mta, ["--no-queue", "-i", "root"], b"Subject: now\n\nx\n")
        assert done.returncode == SysExit.NOPERM
        assert "--no-queue cannot be honoured" in done.stderr.decode()
        assert os.listdir(mta.spool.drop) == [] and plain_server.received == []


@needs_root
def test_a_drop_folder_message_keeps_the_date_it_was_submitted(plain_server: SmtpServer) -> None:
    with system_mta(local_settings(plain_server.settings())) as mta:
        assert as_nobody(mta, ["-i", "root"], b"Subject: dated\n\nx\n").returncode == 0
        [name] = os.listdir(mta.spool.drop)
        path = mta.spool.drop / name
        first, rest = path.read_bytes().split(b"\n", 1)
        record = json.loads(first)
        record["submitted"] -= 3 * 3600  # the runner comes three hours late
        path.write_bytes(json.dumps(record).encode() + b"\n" + rest)
        assert mta.queue("--run").returncode == 0
        [received] = plain_server.received
        date = email.message_from_bytes(received.data, policy=email.policy.default)["Date"]
        assert abs(date.datetime.timestamp() - record["submitted"]) < 2


def test_etc_aliases_are_read_under_the_settings_aliases(
    tmp_path: Path, plain_server: SmtpServer
) -> None:
    mta = Mta(tmp_path, local_settings(plain_server.settings()))
    Path(mta.env["MAILWIZ_ALIASES"]).write_text(
        "# /etc/aliases\npostmaster: root\nbackup: tapes@example.com,\n  vault@example.com\n"
        "www-data: ignored@example.com\nlogs: |/usr/bin/logger, /var/log/x, archive@example.com\n"
    )
    done = mta.run(["-i", "postmaster", "backup", "www-data", "logs"], b"Subject: a\n\nx\n")
    assert done.returncode == 0, done.stderr
    [received] = plain_server.received
    assert received.rcpt_tos == [  # [local] aliases win; programs and files are not followed
        ADMIN, "tapes@example.com", "vault@example.com", WEB, "archive@example.com"
    ]  # fmt: skip


def test_the_caller_never_waits_for_a_relay_that_does_not_answer(
    tmp_path: Path, blackhole: SocketServer
) -> None:
    settings = make_settings(
        {"host": HOST, "port": blackhole.port, "security": "none", "username": ""},
        {"timeout": 30},
    )
    mta = Mta(tmp_path, local_settings(settings))
    extra_read, extra_write = os.pipe()  # a descriptor the caller hands down and reads to EOF
    try:
        done = subprocess.run(
            mta.command("symlink", ["-i", "root"]), input=b"Subject: x\n\nx\n", env=mta.env,
            capture_output=True, timeout=10, check=False, pass_fds=(extra_write,),
        )  # fmt: skip  # 10 s: well under the 30 s the send may take
        os.close(extra_write)
        assert done.returncode == 0 and done.stderr == b""
        assert len(mta.spool.ids()) == 1  # queued; its delivery goes on in the background
        ready, _, _ = select.select([extra_read], [], [], 10)
        assert ready and os.read(extra_read, 1) == b""  # EOF: the delivery holds none of it
    finally:
        os.close(extra_read)
        for pid in workers(mta.spool_path):
            os.kill(pid, signal.SIGKILL)


def test_a_big_message_is_queued_without_holding_it_in_memory(
    tmp_path: Path, plain_server: SmtpServer
) -> None:
    mta = Mta(tmp_path, local_settings(plain_server.settings()))
    big = b"Subject: big\n\n" + (b"x" * 75 + b"\n") * (30 * 1024 * 1024 // 76)
    wrapper = (  # the peak memory of one sendmail run, read by the process that waited for it
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdin=sys.stdin, check=False)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *mta.command("subcommand", ["-odq", "-i", "root"])],
        # unmeasured: coverage's tracer would add its own memory to the figure
        input=big, env=unmeasured_environment(mta.env), capture_output=True, timeout=120,
        check=False,
    )  # fmt: skip
    code, peak_kib = done.stdout.decode().split()
    assert code == "0", done.stderr
    [queued] = mta.spool.ids()
    assert (mta.spool.queue / f"{queued}.msg").stat().st_size > len(big)  # CRLF line ends
    assert int(peak_kib) * 1024 < len(big)  # the interpreter and the modules, not the message
