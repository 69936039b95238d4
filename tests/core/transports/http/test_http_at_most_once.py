"""At most once through the queue and an HTTP API that takes an idempotency key: the
provider takes the POST but answers after the deadline, the queue tries again, and the
recipient still gets one mail (issue 22, item 8). Real sendmail and queue commands, a real
local stand-in (tests/api_servers.py) that dedupes by `Idempotency-Key` as Resend does."""

from __future__ import annotations

from pathlib import Path

from tests.api_servers import KEY, serve_api
from tests.mta_helpers import ADMIN, Mta
from tui.core.settings import LocalSettings, Settings


def resend_settings(port: int) -> Settings:
    s = Settings(protocol="http", provider="resend")
    s.http.api = "resend"
    s.http.url = f"http://127.0.0.1:{port}"  # loopback: the stand-in needs no certificate
    s.http.timeout = 1
    s.sender.address = "shop@example.org"
    s.password.store = "none"
    s.local = LocalSettings(admin=ADMIN)
    return s


def test_an_answer_after_the_deadline_is_retried_but_sent_once(tmp_path: Path) -> None:
    with serve_api("resend") as api:
        api.late = 1  # the first POST is taken (the mail goes) but answered too late
        mta = Mta(tmp_path, resend_settings(api.port), env={"MAILWIZ_PASSWORD": KEY})
        done = mta.run(["-i", "root"], b"Subject: disk full\n\n/var is 91% full\n")
        assert done.returncode == 0, done.stderr.decode()  # safely queued: deferred
        [queued] = mta.spool.ids()
        envelope = mta.spool.envelope(queued)
        assert envelope is not None and envelope.attempts == 1
        api.release.set()

        flushed = mta.queue("--flush")
        assert flushed.returncode == 0, flushed.stderr.decode()
        assert mta.spool.ids() == []
    keys = [seen.headers.get("idempotency-key", "") for seen in api.received]
    assert len(keys) == 2 and keys[0] == keys[1] and queued in keys[0]
    assert len(api.sent) == 1  # one mail, though two POSTs


def test_each_recipient_of_one_message_has_its_own_key(tmp_path: Path) -> None:
    with serve_api("resend") as api:
        settings = resend_settings(api.port)
        settings.local = LocalSettings(admin=ADMIN, aliases={"www-data": "web@example.com"})
        mta = Mta(tmp_path, settings, env={"MAILWIZ_PASSWORD": KEY})
        done = mta.run(["-i", "root", "www-data"], b"Subject: x\n\nx\n")
        assert done.returncode == 0, done.stderr.decode()
    keys = [seen.headers["idempotency-key"] for seen in api.received]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert len(api.sent) == 2


def test_two_messages_sent_without_the_queue_are_two_mails(tmp_path: Path) -> None:
    # The same text to the same address twice: two messages, so two keys, two mails.
    with serve_api("resend") as api:
        mta = Mta(tmp_path, resend_settings(api.port), env={"MAILWIZ_PASSWORD": KEY})
        for _ in range(2):
            done = mta.run(["--no-queue", "-i", "root"], b"Subject: same\n\nsame\n")
            assert done.returncode == 0, done.stderr.decode()
    keys = [seen.headers["idempotency-key"] for seen in api.received]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert len(api.sent) == 2
