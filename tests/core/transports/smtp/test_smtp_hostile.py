"""Hostile and unusual servers against the real engine: a server echoing the password, one
stripping STARTTLS, over-long lines, hang-ups at STARTTLS, SMTPUTF8, internal domains, and
attachments that are not regular files or are large. Each test fails when the protection
it names is removed (see the commit messages)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.transports.smtp.sending import Result, run
from tests.servers import (
    PASSWORD,
    RECIPIENT,
    USERNAME,
    Script,
    ScriptedServerFactory,
    SmtpServer,
    SmtpServerFactory,
    SocketServer,
)
from tui.core.events import FailureKind, Reason, StageEnded
from tui.core.keys import Key
from tui.core.message import Attachment, AttachmentError, Outgoing
from tui.core.redact import MIN_PIECE
from tui.core.report import SendRecord, build_report
from tui.core.transports.smtp.reply import MAX_LINE, MAX_REPLY_LINES, NotSmtp, ReplyParser


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def every_output(result: Result, settings: object) -> str:
    """The transcript, every stage reply, the failure and the support report."""
    record = SendRecord(to=RECIPIENT)
    for event in result.events:
        record.add(event)
    report = build_report(settings, record)  # type: ignore[arg-type]  # no secrets= on purpose
    replies = [e.reply for e in result.events if isinstance(e, StageEnded)]
    failure = result.finished.failure
    failure_text = f"{failure.reply}\n{failure.detail}" if failure else ""
    return "\n".join([result.transcript, *replies, failure_text, report, repr(result.events)])


def assert_no_piece_of(secret: str, text: str) -> None:
    for form in (secret, b64(secret)):
        for start in range(len(form) - MIN_PIECE + 1):
            assert form[start : start + MIN_PIECE] not in text, form[start : start + MIN_PIECE]


# --------------------------------------------------------------------------- echoed secrets


@pytest.mark.parametrize(
    "username", ["u@x.io", "ab@example.com", USERNAME, "a.long.name@x.example.org"]
)
async def test_a_server_echoing_password_and_blob_in_a_1000_character_reply(
    smtp_server: SmtpServerFactory, username: str
) -> None:
    blob = b64(f"\0{username}\0{PASSWORD}")
    filler = "x" * 960
    server: SmtpServer = smtp_server(
        "tls", auth_reply=f"535 5.7.8 {filler} you sent {blob} = {PASSWORD} {b64(PASSWORD)}"
    )
    settings = server.settings(username=username)
    result = await run(settings)

    assert result.failure.kind == FailureKind.AUTH
    assert "[redacted]" in result.failure.reply
    assert_no_piece_of(PASSWORD, every_output(result, settings))
    assert blob not in every_output(result, settings)


# --------------------------------------------------------------------------- STARTTLS


async def test_stripped_starttls_with_auth_offered_in_clear_sends_no_login(
    stripping_server: SocketServer,
) -> None:
    result = await run(stripping_server.settings(security="starttls", username=USERNAME))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.NO_STARTTLS, "starttls")
    assert result.failure.reason == Reason.STARTTLS_NOT_OFFERED
    assert not any(c.upper().startswith(("AUTH", "MAIL")) for c in stripping_server.commands)
    assert not any(b64(PASSWORD)[:8] in c for c in stripping_server.commands)


async def test_a_server_that_hangs_up_at_starttls_is_a_tls_failure(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(
        Script(ehlo=("250-mx.example.com", "250 STARTTLS"), close_on=("STARTTLS",))
    )
    result = await run(server.settings(security="starttls", username=USERNAME))

    failure = result.failure
    assert (failure.kind, failure.stage, failure.reason) == (
        FailureKind.TLS,
        "starttls",
        Reason.STARTTLS_CLOSED,
    )
    assert failure.exit_code == 13
    assert "not offer" not in failure.detail


# --------------------------------------------------------------------------- reply caps


async def test_an_over_long_reply_line_is_refused(scripted_server: ScriptedServerFactory) -> None:
    server: SocketServer = scripted_server(Script(greeting="220 " + "A" * (MAX_LINE + 10)))
    result = await run(server.settings(), password=None)

    assert (result.failure.stage, result.failure.reason) == ("greeting", Reason.NOT_SMTP)
    assert f"longer than {MAX_LINE}" in result.failure.detail


async def test_an_endless_multi_line_reply_is_refused(
    scripted_server: ScriptedServerFactory,
) -> None:
    lines = "\r\n".join(["250-x"] * (MAX_REPLY_LINES + 5) + ["250 end"])
    server: SocketServer = scripted_server(Script(ehlo=(lines,)))
    result = await run(server.settings(), password=None)

    assert (result.failure.stage, result.failure.reason) == ("ehlo", Reason.NOT_SMTP)


async def test_escape_sequences_in_replies_never_reach_the_output(
    scripted_server: ScriptedServerFactory,
) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J\x9b31m\u2028"
    server: SocketServer = scripted_server(
        Script(greeting=f"220 mx{evil}", replies={"MAIL": f"550 5.7.1 no{evil}"})
    )
    settings = server.settings()
    result = await run(settings, password=None)

    text = every_output(result, settings)
    for c in "\x1b\x07\x9b\u2028":
        assert c not in text
    assert "\\x1b]0;owned" in result.failure.reply


# --------------------------------------------------------------------------- parser property


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_reply_parser_raises_only_not_smtp(lines: list[str]) -> None:
    parser = ReplyParser()
    try:
        for line in lines:
            reply = parser.feed(line)
            if reply is not None:
                assert 200 <= reply.code <= 599
                assert reply.wire.count("\n") == len(reply.lines) - 1
                break
    except NotSmtp:
        pass


@given(code=st.integers(200, 599), texts=st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_reply_parser_reads_what_a_server_writes(code: int, texts: list[str]) -> None:
    texts = [t.replace("\n", " ").replace("\r", " ") for t in texts]
    parser = ReplyParser()
    lines = [f"{code}-{t}" for t in texts[:-1]] + [f"{code} {texts[-1]}"]
    results = [parser.feed(line) for line in lines]
    assert results[:-1] == [None] * (len(lines) - 1)
    final = results[-1]
    assert final is not None and final.code == code and list(final.lines) == texts


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "address", ["root@localhost", "alerts@nas.local", "ops@corp.internal", "backup@example.test"]
)
async def test_special_use_domains_are_sent(plain_server: SmtpServer, address: str) -> None:
    settings = plain_server.settings(address=address, copy_to=address.replace("@", "-copy@"))
    outgoing = Outgoing(to=address, subject="s", text="t")
    result = await run(settings, password=None, outgoing=outgoing)

    assert result.finished.ok, result.transcript
    (received,) = plain_server.received
    assert received.mail_from == address and received.rcpt_tos[0] == address


async def test_internationalised_addresses_go_with_smtputf8_when_offered(
    smtp_server: SmtpServerFactory,
) -> None:
    server: SmtpServer = smtp_server("none", auth=False, enable_SMTPUTF8=True)
    settings = server.settings(address="josé@example.com")
    result = await run(settings, password=None, outgoing=Outgoing("用户@例子.广告", "s", "t"))

    assert result.finished.ok, result.transcript
    assert any(
        s.startswith("MAIL FROM:<josé@example.com>") and "SMTPUTF8" in s for s in result.sent()
    )
    (received,) = server.received
    assert received.rcpt_tos == ["用户@例子.广告"]
    assert "From: josé@example.com".encode() in received.data  # an RFC 6532 UTF-8 header


async def test_internationalised_address_without_smtputf8_stops_before_mail(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(Script())
    settings = server.settings()
    result = await run(settings, password=None, outgoing=Outgoing("用户@例子.广告", "s", "t"))

    failure = result.failure
    assert (failure.stage, failure.reason, failure.field) == (
        "mail",
        Reason.SMTPUTF8_NOT_OFFERED,
        Key.RECIPIENT,
    )
    assert failure.location == "用户@例子.广告"
    assert not any(c.startswith("MAIL") for c in server.commands)


async def test_international_domain_goes_in_idna_without_smtputf8(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(Script())
    result = await run(
        server.settings(), password=None, outgoing=Outgoing("zoe@bücher.example", "s", "t")
    )

    assert result.finished.ok, result.transcript
    assert "RCPT TO:<zoe@xn--bcher-kva.example>" in server.commands


# --------------------------------------------------------------------------- attachments


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "missing"])
def test_only_regular_files_can_be_attached(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "thing"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")
    with pytest.raises(AttachmentError) as caught:
        Attachment.from_path(path)  # returns at once: a FIFO must not block
    assert isinstance(caught.value, OSError) and caught.value.strerror
    if kind != "missing":
        assert "only regular files" in caught.value.strerror


async def test_a_large_attachment_is_streamed_intact(
    tmp_path: Path, plain_server: SmtpServer
) -> None:
    path = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB, with "." and CR LF bytes inside
    path.write_bytes(block * 3 + b"\r\n.\r\n")
    outgoing = Outgoing(RECIPIENT, "big", "see attached", attachments=(Attachment.from_path(path),))
    result = await run(plain_server.settings(), password=None, outgoing=outgoing)

    assert result.finished.ok, result.transcript
    (attachment,) = list(plain_server.received[0].message.iter_attachments())
    assert attachment.get_content() == path.read_bytes()


async def test_a_formed_message_goes_as_it_is_with_its_own_envelope(
    plain_server: SmtpServer,
) -> None:
    from tui.core.message import RawOutgoing

    data = (
        "From: Cron Daemon <sender@example.com>\nTo: root\nSubject: cron\n\n"
        "r\u00e9sultat: ok\n.hidden line\n..\n"
    ).encode()
    outgoing = RawOutgoing(
        to="a@example.com", subject="cron", text="", data=data,
        recipients=("a@example.com", "b@example.com"),
    )  # fmt: skip
    settings = plain_server.settings(copy_to="archive@example.com")
    result = await run(settings, password=None, outgoing=outgoing)

    assert result.finished.ok, result.transcript
    (received,) = plain_server.received
    assert received.rcpt_tos == ["a@example.com", "b@example.com"]  # no copy added
    assert received.data.replace(b"\r\n", b"\n") == data  # 8-bit body and dots kept
    assert any(s.startswith("MAIL FROM:") and "BODY=8BITMIME" in s for s in result.sent())
