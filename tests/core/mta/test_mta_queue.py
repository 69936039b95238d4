"""The spool and the retry schedule without a server: what settle() records, giving up
after some days, the tidy-up after a killed writer, and drop files that are refused."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tui.core.mta import dropbox
from tui.core.mta.runner import GIVE_UP_AFTER, RETRY_DELAYS, Attempt, settle
from tui.core.mta.spool import Envelope, Spool, new_id, tidy


def queued(spool: Spool, created: float | None = None) -> str:
    envelope = Envelope(new_id(), ["ops@example.com"], created or time.time(), subject="s")
    held = spool.add(b"Subject: s\r\n\r\nx\r\n", envelope)
    held.release()
    return envelope.id


def test_a_message_is_queued_with_its_envelope_and_read_back(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.ensure()
    message_id = queued(spool)
    assert spool.ids() == [message_id]
    assert os.listdir(spool.tmp) == []
    held = spool.hold(message_id)
    assert held is not None and held.read() == b"Subject: s\r\n\r\nx\r\n"
    assert spool.hold(message_id) is None  # one deliverer at a time
    held.release()


def test_the_retry_schedule_starts_within_minutes_and_grows(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.ensure()
    message_id = queued(spool)
    now = time.time()
    waits = []
    for attempt in range(len(RETRY_DELAYS) + 2):
        held = spool.hold(message_id)
        assert held is not None
        assert settle(held, Attempt("deferred", "rcpt: 451 4.3.0 later"), now) == "deferred"
        held.release()
        envelope = spool.envelope(message_id)
        assert envelope is not None and envelope.attempts == attempt + 1
        waits.append(envelope.next_try - now)
    assert waits[0] <= 5 * 60
    assert waits == sorted(waits) and waits[-1] == RETRY_DELAYS[-1]
    assert envelope.last_error == "rcpt: 451 4.3.0 later" and len(envelope.history) == 9


def test_after_some_days_a_deferred_message_moves_to_failed(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.ensure()
    message_id = queued(spool, created=time.time() - GIVE_UP_AFTER - 60)
    held = spool.hold(message_id)
    assert held is not None
    assert settle(held, Attempt("deferred", "connect: refused")) == "failed"
    held.release()
    assert spool.ids() == [] and spool.ids("failed") == [message_id]
    envelope = spool.envelope(message_id, "failed")
    assert envelope is not None and envelope.last_error.startswith("gave up after 5 days")


def test_tidy_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.ensure()
    keep = queued(spool)
    (spool.tmp / "x.msg").write_bytes(b"half")
    (spool.queue / f"{new_id()}.json").write_bytes(b"{}")
    tidy(spool, now=time.time() + 7200)
    assert os.listdir(spool.tmp) == []
    assert sorted(os.listdir(spool.queue)) == [f"{keep}.json", f"{keep}.msg"]


def test_drop_files_that_are_links_or_not_mailwiz_s_are_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.ensure(system=True)
    secret = tmp_path / "secret"
    secret.write_text('{"version": 1}\nnot yours\n')
    os.link(secret, spool.drop / "a.drop")
    (spool.drop / "b.drop").symlink_to(secret)
    (spool.drop / "c.drop").write_bytes(b"not json\nbody\n")
    spool.drop_add({"version": 1, "recipients": ["root"]}, b"Subject: ok\n\nx\n")
    [dropped] = [d.header for d in dropbox.take(spool)]
    assert dropped == {"version": 1, "recipients": ["root"]}
    assert len(os.listdir(spool.drop)) == 1  # the links and the non-drop file: quarantined
    notes = sorted((spool.root / "quarantine").glob("*.json"))
    assert len(notes) == 3 and secret.read_text() == '{"version": 1}\nnot yours\n'
