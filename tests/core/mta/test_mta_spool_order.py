"""The order of the queue's writes: a message's data is on disk before its name says it is
queued. Each test records the real system calls (write, fsync, rename) as the spool makes
them, or makes one of them fail, and checks what a crash at that point would leave."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.core.mta.spool import Envelope, Spool, SpoolError, new_id

MESSAGE = b"Subject: order\r\n\r\n" + b"x" * 100_000


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    spool = Spool(tmp_path / "spool")
    spool.ensure()
    return spool


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every write, fsync and rename, as (call, the file's name) in the order made."""
    seen: list[tuple[str, str]] = []
    real_write, real_fsync, real_rename = os.write, os.fsync, os.rename

    def name_of(fd: int) -> str:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))

    def write(fd: int, data: bytes) -> int:
        seen.append(("write", name_of(fd)))
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        seen.append(("fsync", name_of(fd)))
        real_fsync(fd)

    def rename(source: str | Path, target: str | Path) -> None:
        seen.append(("rename", f"{os.path.basename(source)}->{os.path.basename(target)}"))
        real_rename(source, target)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    yield seen


def test_a_queued_message_is_written_and_synced_before_it_is_named(
    spool: Spool, calls: list[tuple[str, str]]
) -> None:
    envelope = Envelope(new_id(), ["a@example.org"], time.time())
    spool.add(MESSAGE, envelope).release()
    msg = f"{envelope.id}.msg"
    named = calls.index(("rename", f"{msg}->{msg}"))
    last_write = max(i for i, call in enumerate(calls) if call == ("write", msg))
    synced = calls.index(("fsync", msg))
    assert last_write < synced < named  # data, then fsync, then the name in queue/
    # The envelope too is whole on disk before the message can be seen.
    envelope_named = next(i for i, (call, what) in enumerate(calls) if what.endswith(".json"))
    assert calls[envelope_named - 1][0] == "fsync" and envelope_named < named


def test_a_drop_file_is_written_and_synced_before_it_is_named(
    spool: Spool, calls: list[tuple[str, str]]
) -> None:
    message_id = spool.drop_add({"user": "nobody"}, MESSAGE)
    temporary = f".new-{message_id}"
    named = calls.index(("rename", f"{temporary}->{message_id}.drop"))
    last_write = max(i for i, call in enumerate(calls) if call == ("write", temporary))
    assert last_write < calls.index(("fsync", temporary)) < named


def test_a_failed_fsync_queues_nothing(spool: Spool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk refuses to make the data durable: the caller hears it, and no message (or
    envelope) is left in queue/ for the runner to send half-written."""

    def refuse(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", refuse)
    envelope = Envelope(new_id(), ["a@example.org"], time.time())
    with pytest.raises(SpoolError):
        spool.add(MESSAGE, envelope)
    assert list(spool.queue.iterdir()) == []
    assert list(spool.tmp.iterdir()) == []
