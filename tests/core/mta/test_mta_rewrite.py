"""Local names, aliases and the rewritten message (tui.core.mta.local / rewrite), and the
validation of [local]."""

from __future__ import annotations

import datetime
import email
import email.policy
import io
import os
import time
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, localtime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from tui.core.addresses import address_pairs
from tui.core.mta import local as local_module
from tui.core.mta.local import LocalDomains, Resolver, UnknownLocalName, local_domains
from tui.core.mta.options import parse
from tui.core.mta.rewrite import MessageProblem, header_date, prepare, read_input
from tui.core.settings import LocalSettings, SenderSettings, Settings, local_problems

ACCOUNT = "server@example.com"
SOME = examples(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def settings(**local: object) -> Settings:
    return Settings(
        sender=SenderSettings(address=ACCOUNT, name="The Server"),
        local=LocalSettings(
            admin=str(local.get("admin", "ops@example.com")),
            aliases=dict(local.get("aliases", {})),  # type: ignore[call-overload]
        ),
    )


def resolver(s: Settings) -> Resolver:
    return Resolver(s.local, frozenset({"localhost", "box", "box.example.net"}))


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def run(data: bytes, argv: str, s: Settings | None = None) -> tuple[tuple[str, ...], bytes]:
    s = s or settings()
    prepared = prepare(data, parse(argv.split()), s, resolver(s))
    return prepared.recipients, prepared.data


def test_local_names_resolve_through_aliases_recursively() -> None:
    s = settings(
        aliases={
            "www-data": "webmaster",
            "webmaster": "web@example.com, backup",
            "backup": "tapes@example.com",
        }
    )
    r = resolver(s)
    assert r.resolve("www-data") == ["web@example.com", "tapes@example.com"]
    assert r.resolve("www-data@localhost") == ["web@example.com", "tapes@example.com"]
    assert r.resolve("WWW-DATA@box.example.net") == ["web@example.com", "tapes@example.com"]
    assert r.resolve("root") == ["ops@example.com"]
    assert r.resolve("postmaster@box") == ["ops@example.com"]
    assert r.resolve("someone@example.org") == ["someone@example.org"]


def test_an_alias_loop_ends_at_the_admin() -> None:
    r = resolver(settings(aliases={"a": "b", "b": "a"}))
    assert r.resolve("a") == ["ops@example.com"]


def test_no_alias_and_no_admin_is_an_unknown_local_name() -> None:
    with pytest.raises(UnknownLocalName) as caught:
        resolver(settings(admin="")).resolve("nagios")
    assert caught.value.name == "nagios"


def test_the_mail_name_is_local(tmp_path: Path) -> None:
    mailname = tmp_path / "mailname"
    mailname.write_text("mail.example.net\n")
    assert "mail.example.net" in local_domains(mailname)
    assert "localhost" in local_domains(tmp_path / "missing")


def test_the_fully_qualified_name_is_looked_up_only_for_a_domain_that_could_be_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """getfqdn() may wait for DNS: a submission to root or to a remote address never asks it;
    a domain starting with the host name does, once."""
    asked: list[str] = []

    def slow_dns() -> str:
        asked.append("fqdn")
        return "box.example.net"

    monkeypatch.setattr(local_module, "_fqdn", slow_dns)
    domains = LocalDomains("box", "")
    assert "localhost" in domains and "box" in domains and "example.org" not in domains
    assert "boxer.example.org" not in domains
    assert asked == []
    assert "BOX.example.net." in domains and "box.example.org" not in domains
    assert asked == ["fqdn"]
    assert Resolver(settings().local, domains).local_name("cron@box.example.net") == "cron"


def test_dash_t_reads_to_cc_bcc_adds_command_line_and_removes_bcc() -> None:
    data = (
        b"From: server@example.com\nTo: a@example.com\nCc: root, c@example.com\n"
        b"Bcc: hidden@example.com\nBcc: www-data\nSubject: hi\n\nbody\n"
    )
    s = settings(aliases={"www-data": "web@example.com"})
    recipients, out = run(data, "-t -i extra@example.com", s)
    assert recipients == (
        "extra@example.com",
        "a@example.com",
        "ops@example.com",
        "c@example.com",
        "hidden@example.com",
        "web@example.com",
    )
    assert b"Bcc" not in out and b"hidden@example.com" not in out
    message = parsed(out)
    assert message["Cc"] == "root <ops@example.com>, c@example.com"


def test_without_dash_t_the_headers_name_no_recipients_and_bcc_is_still_removed() -> None:
    recipients, out = run(b"To: a@example.com\nBcc: b@example.com\n\nx\n", "-i root")
    assert recipients == ("ops@example.com",)
    assert b"Bcc" not in out and b"b@example.com" not in out  # always, as Postfix does


@pytest.mark.parametrize(
    ("from_line", "display"),
    [
        (b"From: root (Cron Daemon)", "Cron Daemon"),
        (b"From: Cron Daemon <root>", "Cron Daemon"),
        (b"From: root", "The Server"),
        (b"From: Someone Else <other@example.org>", "Someone Else"),
        (b"From: =?utf-8?q?J=C3=B6rg?= <joerg@localhost>", "Jörg"),
    ],
)
def test_from_is_rewritten_keeping_the_display_name(from_line: bytes, display: str) -> None:
    _, out = run(from_line + b"\nSubject: s\n\nbody\n", "-i root")
    message = parsed(out)
    assert message["From"].addresses[0].addr_spec == ACCOUNT
    assert message["From"].addresses[0].display_name == display
    original = from_line.split(b":", 1)[1].strip().decode()
    assert message["X-Original-From"] == str(email.header.make_header(
        email.header.decode_header(original)))  # fmt: skip


def test_from_that_is_the_account_is_left_alone() -> None:
    _, out = run(b"From: Backups <SERVER@example.com>\n\nbody\n", "-i root")
    assert out.startswith(b"From: Backups <SERVER@example.com>\r\n")
    assert b"X-Original-From" not in out


def test_missing_from_date_and_message_id_are_added_with_dash_F() -> None:
    _, out = run(b"Subject: nightly\n\nbody\n", "-i -FCronDaemon root")
    message = parsed(out)
    assert str(message["From"]) == f"CronDaemon <{ACCOUNT}>"
    assert message["Date"] is not None and message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@example.com>")
    assert "X-Original-From" not in message


def test_existing_date_and_message_id_are_kept() -> None:
    data = b"Date: Mon, 1 Dec 2025 10:00:00 +0000\nMessage-ID: <x@y>\n\nbody\n"
    _, out = run(data, "-i root")
    assert out.count(b"Date:") == 1 and b"Message-ID: <x@y>" in out


def test_crlf_input_and_8bit_body_are_kept_byte_for_byte() -> None:
    body = "Grüße, 日本\r\nzweite Zeile\r\n".encode()
    data = b"To: root\r\nSubject: php\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body
    _, out = run(data, "-t -i")
    assert out.endswith(b"\r\n\r\n" + body)
    assert b"\n" not in out.replace(b"\r\n", b"")  # every line end is CRLF


def test_a_message_without_headers_is_all_body() -> None:
    _, out = run(b"just a line\nand another\n", "-i root")
    assert out.endswith(b"\r\n\r\njust a line\r\nand another\r\n")


def test_no_recipients_is_a_message_problem() -> None:
    with pytest.raises(MessageProblem):
        run(b"Subject: nobody\n\nx\n", "-t -i")


def test_the_copy_address_gets_every_message() -> None:
    s = settings()
    s.sender.copy_to = "archive@example.com"
    recipients, _ = run(b"\nx\n", "-i root", s)
    assert recipients == ("ops@example.com", "archive@example.com")


def test_without_dash_i_a_lone_dot_ends_the_input() -> None:
    stream = io.BytesIO(b"Subject: x\n\nfirst\n.\nnot part of it\n")
    assert read_input(stream, ignore_dots=False) == b"Subject: x\n\nfirst\n"
    stream = io.BytesIO(b"Subject: x\n\nfirst\n.\nstill part\n")
    assert read_input(stream, ignore_dots=True).endswith(b".\nstill part\n")


def test_an_oversized_message_is_refused() -> None:
    with pytest.raises(MessageProblem):
        read_input(io.BytesIO(b"x" * 2000), ignore_dots=True, limit=1000)


def test_local_validation() -> None:
    assert local_problems(LocalSettings(admin="ops@example.com", aliases={"a": "b@x.org"})) == []
    fields = {p.field for p in local_problems(LocalSettings(admin="root"))}
    assert fields == {"local.admin"}
    loop = local_problems(LocalSettings(aliases={"a": "b", "b": "c, x@example.com", "c": "a"}))
    assert [p.field for p in loop] == ["local.aliases"]
    assert "a -> b -> c -> a" in loop[0].message
    bad = local_problems(LocalSettings(aliases={"x@y": "z@example.com", "ok": "not an@addr"}))
    assert {p.field for p in bad} == {"local.aliases.x@y", "local.aliases.ok"}


# --------------------------------------- the submit path's own header work (issue 24, item 1)
# A submission reads bare addresses, plain names and the Date without the email package
# (its imports cost more than the rest of queueing); these check that the results agree.

# Small alphabets, so that the edges (dots, spaces, signs at either end, doubled) come up.
BARE = st.one_of(
    st.from_regex(
        r"[a9_+-]{1,3}(\.[a9_+-]{1,3}){0,2}(@[a9-]{1,3}(\.[a9-]{1,3}){0,2})?", fullmatch=True
    ),
    st.text(alphabet="aZ9_+-.@", min_size=1, max_size=12),
)
WORDS = st.text(alphabet="aZ9_+- ", min_size=1, max_size=10) | st.text(max_size=10)
VALUES = st.one_of(
    BARE,
    st.builds("{} <{}>".format, WORDS, BARE),
    st.builds("{} ({})".format, BARE, WORDS),
    st.text(max_size=30),
)


@SOME
@given(st.lists(VALUES, max_size=4))
def test_address_pairs_agree_with_the_email_package(values: list[str]) -> None:
    assert address_pairs(values) == getaddresses(values)


@SOME
@given(st.text(max_size=60))
def test_a_name_without_an_encoded_word_is_what_decoding_gives(text: str) -> None:
    name = text.replace("=?", "")
    assert str(make_header(decode_header(name))) == name


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
def test_the_date_header_is_what_the_email_package_writes(zone: str) -> None:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        for moment in (0.0, 1_700_000_000.5, 1_711_846_800.0, 1_729_990_000.0, time.time()):
            when = datetime.datetime.fromtimestamp(moment, datetime.UTC)
            assert header_date(moment) == format_datetime(localtime(when))
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
