"""The queue never loses a message and never sends a cut-off one: kills mid-input and
after the server accepted, and a submission from a user who cannot read the settings."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import tui
from tests.mta_helpers import (
    ADMIN,
    MAILWIZ,
    PHP_MESSAGE,
    Mta,
    local_settings,
    open_the_way_for_others,
    workers,
)
from tests.servers import HOST, SENDER, SmtpServer, free_port, make_settings
from tests.waiting import wait_until

PARTIAL = b"Subject: cut off\n\nthe first part of a line th"


def blocked_reading(pid: int) -> bool:
    """The process sleeps in a read of its standard input (a pipe)."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False
    return "pipe_read" in wchan or "pipe_wait" in wchan  # "anon_pipe_read" on newer kernels


@pytest.fixture
def mta(tmp_path: Path, plain_server: SmtpServer) -> Mta:
    return Mta(tmp_path, local_settings(plain_server.settings()))


def nothing_anywhere(mta: Mta, but_tmp: bool = False) -> bool:
    """Nothing queued, failed or dropped (and, unless `but_tmp`, no temporary file: a
    message is written to tmp/ as it is read, and a writer killed with SIGKILL cannot
    remove its file; tidy() does, an hour later)."""
    spool = mta.spool
    folders = [spool.queue, spool.failed, spool.drop] + ([] if but_tmp else [spool.tmp])
    return all(not f.exists() or os.listdir(f) == [] for f in folders)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_sendmail_killed_mid_input_queues_nothing(
    sig: signal.Signals, mta: Mta, plain_server: SmtpServer
) -> None:
    process = mta.popen(["-i", "root"])
    assert process.stdin is not None
    process.stdin.write(PARTIAL)
    process.stdin.flush()
    wait_until(lambda: blocked_reading(process.pid))
    process.send_signal(sig)
    process.wait(timeout=30)
    assert process.returncode != 0
    assert nothing_anywhere(mta, but_tmp=sig == signal.SIGKILL)
    mta.queue("--flush")
    assert plain_server.received == []


CALLER = """
import os, subprocess, sys, time
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE)
child.stdin.write(%r)
child.stdin.flush()
print(child.pid, flush=True)
for _ in range(1200):  # until the child waits for the rest of the message
    try:
        wchan = open(f"/proc/{child.pid}/wchan").read()
        if "pipe_read" in wchan or "pipe_wait" in wchan:
            break
    except OSError:
        pass
    time.sleep(0.05)
os.kill(os.getpid(), 9)
"""


def test_a_caller_killed_mid_message_gets_nothing_queued(
    mta: Mta, plain_server: SmtpServer
) -> None:
    caller = subprocess.run(
        [sys.executable, "-c", CALLER % PARTIAL, *mta.command("subcommand", ["-i", "root"])],
        env=mta.env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert caller.returncode == -signal.SIGKILL
    child = int(caller.stdout.split()[0])
    wait_until(lambda: not Path(f"/proc/{child}").exists() or _zombie(child))
    assert b"stopped before its end" in caller.stderr  # the orphaned sendmail said so
    assert nothing_anywhere(mta)
    assert plain_server.received == []


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


class SlowToAnswer:
    """Takes the message, then waits before its 250 (so a client can die in between)."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.delay = 30.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.original_content or envelope.content))
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return "250 2.0.0 OK"


@pytest.fixture
def slow_server() -> Iterator[tuple[SlowToAnswer, int]]:
    handler = SlowToAnswer()
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    yield handler, port
    handler.delay = 0
    controller.stop()


def test_a_kill_after_the_server_took_it_may_duplicate_but_never_loses(
    tmp_path: Path, slow_server: tuple[SlowToAnswer, int]
) -> None:
    handler, port = slow_server
    settings = make_settings(
        {"host": HOST, "port": port, "security": "none", "username": ""}, {"timeout": 60}
    )
    mta = Mta(tmp_path, local_settings(settings))
    process = mta.popen(["-i", "root"])
    assert process.stdin is not None
    process.stdin.write(b"Subject: exactly this one\n\nbody\n")
    process.stdin.close()
    wait_until(lambda: len(handler.received) == 1)
    process.wait(timeout=30)  # sendmail returned at once; its background delivery goes on
    assert process.returncode == 0
    for pid in workers(mta.spool_path):  # the server has the message; no 250 heard yet
        os.kill(pid, signal.SIGKILL)
    mta.settled()
    assert len(mta.spool.ids()) == 1  # still queued: nothing lost
    handler.delay = 0
    assert mta.queue("--flush").returncode == 0
    assert len(handler.received) == 2  # the duplicate at-least-once allows
    assert handler.received[0] == handler.received[1]
    assert mta.spool.ids() == []


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="submitting as another user needs root and setpriv (util-linux)",
)
def test_a_user_who_cannot_read_the_settings_leaves_mail_for_the_runner(
    plain_server: SmtpServer,
) -> None:
    from tui.core.mta.spool import Spool

    # tmp_path sits under a 0700 folder: the other user needs a path it can reach.
    folder = Path(tempfile.mkdtemp(prefix="mailwiz-mta-", dir="/tmp"))
    opened = open_the_way_for_others(
        [Path(sys.executable).resolve(), MAILWIZ.resolve(), Path(tui.__file__).resolve()]
    )
    try:
        os.chmod(folder, 0o755)
        probe = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
             sys.executable, "-c", "import tui.cli"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        if probe.returncode != 0:
            pytest.skip(f"user nobody cannot run this checkout's Python: {probe.stderr[-200:]!r}")
        mta = Mta(folder, local_settings(plain_server.settings()))
        os.chmod(mta.config, 0o600)
        Spool(mta.spool_path).ensure(system=True)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        plain_server.handler.data_reply = "451 4.3.0 Try again later"

        done = subprocess.run(
            [*as_nobody, *mta.command("symlink", ["-t", "-i"])], input=PHP_MESSAGE,
            env=mta.env, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        assert plain_server.received == []
        [dropped] = os.listdir(mta.spool.drop)
        assert (mta.spool.drop / dropped).stat().st_uid == 65534
        for peek in (["cat", str(mta.config)], ["ls", str(mta.spool.drop)]):
            refused = subprocess.run([*as_nobody, *peek], capture_output=True, check=False)
            assert refused.returncode != 0  # the password and others' mail stay private
        mailq = subprocess.run(
            [*as_nobody, *mta.command("mailq", [])], env=mta.env, capture_output=True,
            timeout=60, check=False,
        )  # fmt: skip
        # A monitoring user may list the queue, never the mail: no recipients, no subject.
        assert mailq.returncode == 0, mailq.stderr
        assert b"drop folder can be counted by root only" in mailq.stdout
        assert b"customer@example.org" not in mailq.stdout

        assert mta.queue("--run").returncode == 0  # the runner takes it: 451, deferred
        assert os.listdir(mta.spool.drop) == []
        [queued] = mta.spool.ids()
        envelope = mta.spool.envelope(queued)
        assert envelope is not None and envelope.user == "nobody"
        assert "from nobody" in mta.queue().stdout.decode()

        plain_server.handler.data_reply = None
        assert mta.queue("--flush").returncode == 0
        [received] = plain_server.received
        assert received.mail_from == SENDER and received.rcpt_tos == ["customer@example.org"]
        assert ADMIN not in received.rcpt_tos
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for path, mode in opened:
            os.chmod(path, mode)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("strace") is None,
    reason="watching another user's system calls needs root, setpriv and strace",
)
def test_a_drop_file_is_made_durable_by_a_caller_who_may_not_read_the_folder() -> None:
    # The drop folder is 1733: its users may not open it to fsync it. Right after the rename
    # (after which the caller hears "queued") its filesystem must be flushed all the same.
    from tui.core.mta.spool import Spool

    folder = Path(tempfile.mkdtemp(prefix="mailwiz-drop-", dir="/tmp"))
    opened = open_the_way_for_others([Path(sys.executable).resolve(), Path(tui.__file__)])
    try:
        os.chmod(folder, 0o755)
        spool = Spool(folder / "spool")
        spool.ensure(system=True)
        assert stat.S_IMODE(spool.drop.stat().st_mode) == 0o1733
        root = str(Path(tui.__file__).resolve().parent.parent)
        code = (
            f"import sys; sys.path.insert(0, {root!r})\n"
            "from pathlib import Path\nfrom tui.core.mta.spool import Spool\n"
            f"print(Spool(Path({str(spool.root)!r})).drop_add({{'argv': []}}, b'Subject: x'))\n"
        )
        trace = folder / "trace"
        done = subprocess.run(
            ["strace", "-f", "-o", str(trace), "-e", "trace=rename,renameat,renameat2,openat,"
             "fsync,syncfs,sync", "setpriv", "--reuid=nobody", "--regid=nogroup",
             "--clear-groups", "--", sys.executable, "-c", code],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()[-500:]
        message_id = done.stdout.decode().strip()
        assert (spool.drop / f"{message_id}.drop").stat().st_uid == 65534
        calls = trace.read_text().splitlines()
        [renamed] = [i for i, c in enumerate(calls) if "rename" in c and f"{message_id}.drop" in c]
        after = calls[renamed + 1 :]
        assert any(str(spool.drop) in c and "EACCES" in c for c in after)  # fsync impossible
        assert any(re.search(r"\b(syncfs\(\d+\)|sync\(\)) += 0", c) for c in after), calls
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for path, mode in opened:
            os.chmod(path, mode)
