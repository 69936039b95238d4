"""Delivery from the queue sends the message from its file in the queue, in chunks
(tui.core.wire): what the server receives is the queued message exactly, whatever its
lines look like, and a server that fails in the middle of DATA leaves it queued, intact.
A message from the drop folder is queued from its drop file the same way."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.servers import (
    RECIPIENT,
    Script,
    ScriptedServerFactory,
    SmtpServer,
    SocketServer,
)
from tui.core.mta.local import Resolver, local_domains
from tui.core.mta.options import parse, to_record
from tui.core.mta.runner import FlushResult, flush
from tui.core.mta.spool import Envelope, Spool, new_id
from tui.core.settings import Settings
from tui.core.wire import CHUNK


def queue(tmp_path: Path, data: bytes) -> tuple[Spool, str]:
    spool = Spool(tmp_path / "spool")
    spool.ensure()
    envelope = Envelope(new_id(), [RECIPIENT], time.time(), subject="s")
    spool.add(data, envelope).release()
    return spool, envelope.id


async def flush_all(spool: Spool, settings: Settings) -> list[FlushResult]:
    resolver = Resolver(settings.local, local_domains())
    return await flush(spool, settings, None, resolver, force=True)


def crossing(size: int = 5 * CHUNK) -> bytes:
    """A message of several chunks whose chunk edges fall on the awkward places: between
    the CR and the LF of a line end, and just before a line that starts with a dot."""
    data = bytearray(b"Subject: big\r\n\r\n")
    edge = CHUNK
    while len(data) < size:
        line = b"." if len(data) // CHUNK % 2 else b"x"
        data += line * 70 + b"\r\n"
        if len(data) + 80 > edge:
            data += b"y" * (edge - len(data) - 1) + b"\r"  # the chunk ends after the CR...
            data += b"\n.starts the next chunk\r\n"  # ...its LF, then a dot, start the next
            edge += CHUNK
    return bytes(data)


TRICKY = {
    "dots": b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmiddle.\r\n. \r\nend\r\n",
    "8-bit": "Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\ncafé, naïve\r\n".encode() + b"\xff\xfe\r\n",
    "no last line end": b"Subject: s\r\n\r\nline\r\n.last line, no line end",
    "bare LF and CR": b"Subject: s\n\nunix line\n.dot after LF\nold mac\rline\r\r\n\n",
    "several chunks": crossing(),
}


def on_the_wire(data: bytes) -> bytes:
    """The message as RFC 5321 carries it (what the server gives back after removing the
    dot-stuffing): every line end CRLF, the last line ended."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


@pytest.mark.parametrize("name", list(TRICKY))
async def test_the_server_receives_the_queued_message_exactly(
    tmp_path: Path, plain_server: SmtpServer, name: str
) -> None:
    data = TRICKY[name]
    spool, message_id = queue(tmp_path, data)

    results = await flush_all(spool, plain_server.settings())

    assert [(r.id, r.outcome) for r in results] == [(message_id, "sent")]
    [received] = plain_server.received
    assert received.rcpt_tos == [RECIPIENT]
    assert received.data == on_the_wire(data)
    if name in ("dots", "several chunks"):  # the queue holds CRLF already: byte for byte
        assert received.data == data
    assert spool.ids() == []


async def test_mail_from_announces_the_size_and_the_8_bit_body(
    tmp_path: Path, scripted_server: ScriptedServerFactory
) -> None:
    data = TRICKY["8-bit"]
    spool, _ = queue(tmp_path, data)
    server: SocketServer = scripted_server(Script())  # offers SIZE and 8BITMIME

    [result] = await flush_all(spool, server.settings())

    assert result.outcome == "sent"
    [mail] = [c for c in server.commands if c.startswith("MAIL")]
    assert mail.endswith(f" SIZE={len(data)} BODY=8BITMIME")  # CRLF, no dot to stuff


@pytest.mark.parametrize(
    ("script", "where"),
    [
        (Script(hang_up_in_data=True), "queue"),  # the connection drops mid-DATA
        (Script(data_reply="451 4.3.0 disk full, try later"), "queue"),
        (Script(data_reply="554 5.6.0 refused"), "failed"),
    ],
    ids=["hang-up", "451", "554"],
)
async def test_a_failure_during_data_keeps_the_message_whole(
    tmp_path: Path,
    scripted_server: ScriptedServerFactory,
    plain_server: SmtpServer,
    script: Script,
    where: str,
) -> None:
    data = crossing(8 * CHUNK)
    spool, message_id = queue(tmp_path, data)
    server: SocketServer = scripted_server(script)

    [result] = await flush_all(spool, server.settings())

    assert result.outcome == ("deferred" if where == "queue" else "failed"), result.attempt
    assert spool.ids(where) == [message_id]  # not delivered, not lost
    assert (spool.folder(where) / f"{message_id}.msg").read_bytes() == data
    if where == "queue":  # and it goes out whole on the next try
        await flush_all(spool, plain_server.settings())
        assert [r.data for r in plain_server.received] == [data]
        assert spool.ids() == []


async def test_a_dropped_message_is_queued_and_sent_from_its_files(
    tmp_path: Path, plain_server: SmtpServer
) -> None:
    """From the drop folder (a caller who may not read the settings) to the queue, then to
    the server: the header block is rewritten, the body goes through as written, whatever
    its size (here several of the readers' chunks)."""
    spool = Spool(tmp_path / "spool")
    spool.ensure()
    body = crossing(3 * 1024 * 1024).split(b"\r\n\r\n", 1)[1] + b".last\nno line end"
    record = to_record(parse(["-i", RECIPIENT]), time.time())
    spool.drop_add(record, b"Subject: dropped\n\n" + body)

    [result] = await flush_all(spool, plain_server.settings())

    assert result.outcome == "sent" and os.listdir(spool.drop) == []
    [received] = plain_server.received
    head, sent = received.data.split(b"\r\n\r\n", 1)
    assert b"Subject: dropped" in head and b"\r\nDate: " in head  # rewritten, as always
    assert sent == on_the_wire(body)
