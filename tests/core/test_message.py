"""Building messages: MIME types, encoding of non-ASCII names and subjects, the Bcc that
stays out of the headers, header injection, and the test message."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from tui.core.message import (
    Attachment,
    MessageError,
    Outgoing,
    build_email,
    envelope_recipients,
    guess_type,
    header_problem,
    test_outgoing,
)
from tui.core.settings import HttpSettings, SenderSettings, Settings, SmtpSettings

COPY = "archive@example.com"


def make_settings(**sender: str) -> Settings:
    values = {"address": "billing@example.com", **sender}
    return Settings(
        provider="gmail",
        smtp=SmtpSettings(
            host="smtp.gmail.com", port=587, security="starttls", username="me@gmail.com"
        ),
        sender=SenderSettings(**values),
    )


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def headers_of(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


# ---------------------------------------------------------------------------------------
# Attachments and MIME types


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice.pdf", "application/pdf"),
        ("INVOICE.PDF", "application/pdf"),
        ("notes.txt", "text/plain"),
        ("photo.jpeg", "image/jpeg"),
        ("table.csv", "text/csv"),
        ("backup.tar.gz", "application/gzip"),
        ("forwarded.eml", "application/octet-stream"),  # message/* is never base64-encoded
        ("no-extension", "application/octet-stream"),
        ("strange.zz-unknown", "application/octet-stream"),
    ],
)
def test_guess_type(name: str, expected: str) -> None:
    assert guess_type(name) == expected


def test_attachment_from_path_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Facture 2024-07.pdf"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    attachment = Attachment.from_path(path)

    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "Facture 2024-07.pdf",
        "application/pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    )
    assert attachment.length == len(attachment.data)


def test_attachment_file_name_loses_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "evil\nname.pdf"
    path.write_bytes(b"x")
    assert Attachment.from_path(path).filename == "evil_name.pdf"


def test_pdf_and_text_attachments_keep_their_types_and_bytes() -> None:
    pdf = bytes(range(256)) * 4
    outgoing = Outgoing(
        to="client@example.org",
        subject="Invoice",
        text="Please find the invoice attached.",
        attachments=(
            Attachment("invoice.pdf", "application/pdf", pdf),
            Attachment("Résumé – 2024.txt", "text/plain", "héllo\n".encode()),
        ),
    )
    raw = build_email(make_settings(), outgoing).as_bytes()
    message = parse(raw)

    first, second = message.iter_attachments()
    assert first.get_content_type() == "application/pdf"
    assert first.get_filename() == "invoice.pdf"
    assert first.get_content() == pdf
    assert second.get_content_type() == "text/plain"
    assert second.get_filename() == "Résumé – 2024.txt"
    raw.decode("ascii")  # everything 7-bit: any server takes it
    assert raw.count(b"MIME-Version:") == 1


def test_odd_content_types_go_out_as_octet_stream() -> None:
    outgoing = Outgoing(
        to="client@example.org",
        subject="x",
        text="x",
        attachments=(
            Attachment("a.eml", "message/rfc822", b"From: x\r\n\r\nx"),
            Attachment("b.bin", "nonsense", b"\x00"),
        ),
    )
    message = parse(build_email(make_settings(), outgoing).as_bytes())
    assert [part.get_content_type() for part in message.iter_attachments()] == [
        "application/octet-stream",
        "application/octet-stream",
    ]


# ---------------------------------------------------------------------------------------
# Headers


def test_headers_from_reply_to_date_message_id() -> None:
    settings = make_settings(name="Accounts", reply_to="replies@example.com")
    raw = build_email(
        settings, Outgoing(to="client@example.org", subject="Hi", text="x")
    ).as_bytes()
    message = parse(raw)

    assert message["From"] == "Accounts <billing@example.com>"
    assert message["To"] == "client@example.org"
    assert message["Reply-To"] == "replies@example.com"
    assert message["Subject"] == "Hi"
    assert message["Date"].datetime is not None  # a real, parseable date
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.com>")


def test_no_reply_to_unless_set() -> None:
    message = build_email(make_settings(), Outgoing(to="c@example.org", subject="s", text="t"))
    assert message["Reply-To"] is None


def test_copy_address_is_in_the_envelope_but_in_no_header() -> None:
    settings = make_settings(copy_to=COPY)
    outgoing = test_outgoing(settings, "client@example.org", hostname="box")
    raw = build_email(settings, outgoing).as_bytes()

    assert envelope_recipients(settings, outgoing) == ("client@example.org", COPY)
    assert COPY not in headers_of(raw)
    assert "Bcc" not in headers_of(raw)
    assert COPY not in raw.decode("ascii")  # the test message does not name it either


def test_envelope_recipients_are_deduplicated() -> None:
    settings = make_settings(copy_to="Client@Example.org")
    outgoing = Outgoing(to="client@example.org", subject="s", text="t")
    assert envelope_recipients(settings, outgoing) == ("client@example.org",)
    assert envelope_recipients(make_settings(), outgoing) == ("client@example.org",)


def test_non_ascii_display_name_and_subject_are_encoded() -> None:
    settings = make_settings(name="Zoë Ünïcode, Ltd")
    outgoing = Outgoing(to="client@example.org", subject="Grüße – facture n° 42 ✓", text="é")
    raw = build_email(settings, outgoing).as_bytes()

    raw.decode("ascii")
    assert "=?utf-8?" in headers_of(raw)
    message = parse(raw)
    assert message["Subject"] == "Grüße – facture n° 42 ✓"
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Zoë Ünïcode, Ltd", "billing@example.com")
    body = message.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "é"


def test_international_domain_is_sent_in_idna_form() -> None:
    settings = make_settings(address="billing@exämple.com")
    raw = build_email(settings, Outgoing(to="c@bücher.example", subject="s", text="t")).as_bytes()

    headers = headers_of(raw)
    assert "billing@xn--exmple-cua.com" in headers
    assert "c@xn--bcher-kva.example" in headers
    assert "@xn--exmple-cua.com>" in parse(raw)["Message-ID"]


def test_html_alternative() -> None:
    outgoing = Outgoing(to="c@example.org", subject="s", text="plain words", html="<p>rich</p>")
    message = parse(build_email(make_settings(), outgoing).as_bytes())

    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",))
    assert html is not None and "<p>rich</p>" in html.get_content()


# ---------------------------------------------------------------------------------------
# Header injection


@pytest.mark.parametrize(
    "value",
    [
        "a\r\nBcc: evil@example.com",
        "a\nBcc: evil@example.com",
        "a\rb",
        "nul\x00byte",
        "tab\there",
        "del\x7f",
        "next\x85line",
        "line\u2028separator",
        "=?UTF-8?Q?=0A?=Bcc: evil@example.com",
    ],
)
def test_header_problem_rejects(value: str) -> None:
    assert header_problem(value)


@pytest.mark.parametrize("value", ["", "Zoë Müller", "Invoice #42 (July)", "a = b ? c", "日本"])
def test_header_problem_accepts(value: str) -> None:
    assert header_problem(value) is None


@pytest.mark.parametrize(
    ("sender", "outgoing", "field"),
    [
        ({"name": "Boss\r\nBcc: evil@example.com"}, {}, "sender.name"),
        ({"name": "=?UTF-8?Q?=0A?=Bcc: x@example.com"}, {}, "sender.name"),
        ({"reply_to": "r@example.com\nBcc: evil@example.com"}, {}, "sender.reply_to"),
        ({"copy_to": "c@example.com\r\nX: y"}, {}, "sender.copy_to"),
        ({}, {"subject": "Hi\r\nBcc: evil@example.com"}, "subject"),
        ({}, {"to": "c@example.org\nCc: evil@example.com"}, "recipient"),
        ({"address": "not an address"}, {}, "sender.address"),
    ],
)
def test_build_email_refuses_bad_values_naming_the_field(
    sender: dict[str, str], outgoing: dict[str, str], field: str
) -> None:
    values = {"to": "client@example.org", "subject": "s", "text": "t", **outgoing}
    with pytest.raises(MessageError) as raised:
        build_email(make_settings(**sender), Outgoing(**values))
    assert raised.value.field == field


def test_no_sender_address_at_all_is_refused() -> None:
    settings = make_settings(address="")
    settings.smtp.username = "login-name"  # not an address, so no From to fall back on
    with pytest.raises(MessageError) as raised:
        build_email(settings, Outgoing(to="c@example.org", subject="s", text="t"))
    assert raised.value.field == "sender.address"


def test_empty_sender_address_falls_back_to_an_address_username() -> None:
    message = build_email(make_settings(address=""), Outgoing(to="c@e.org", subject="s", text="t"))
    assert message["From"] == "me@gmail.com"


# ---------------------------------------------------------------------------------------
# The test message


def test_the_test_message_says_what_where_when_and_how() -> None:
    settings = make_settings(name="Accounts", reply_to="replies@example.com", copy_to=COPY)
    when = datetime(2024, 7, 1, 9, 30, tzinfo=UTC)
    outgoing = test_outgoing(settings, "me@gmail.com", now=when, hostname="billing-server")

    assert outgoing.to == "me@gmail.com"
    assert "test" in outgoing.subject and "billing-server" in outgoing.subject
    text = outgoing.text
    assert "test message from mailwiz" in text
    assert "billing-server" in text
    assert "Mon, 01 Jul 2024 09:30:00 +0000" in text
    for expected in ("gmail", "smtp.gmail.com", "587", "starttls", "me@gmail.com", "Accounts"):
        assert expected in text
    assert "replies@example.com" in text
    assert COPY not in text and COPY not in outgoing.html  # a Bcc stays hidden
    assert "billing-server" in outgoing.html
    assert "password" in text.lower()  # it says the password is not included


def test_the_test_message_escapes_html() -> None:
    settings = make_settings(name="<script>alert(1)</script>")
    outgoing = test_outgoing(settings, "me@example.com", hostname="<b>host</b>")
    assert "<script>" not in outgoing.html
    assert "&lt;script&gt;" in outgoing.html


def test_the_test_message_for_a_relay_hides_url_secrets() -> None:
    settings = Settings(
        protocol="http",
        http=HttpSettings(url="https://user:hunter2@relay.example.com/send?token=abc123#x"),
        sender=SenderSettings(address="billing@example.com", reply_to="r@example.com"),
    )
    outgoing = test_outgoing(settings, "me@example.com", hostname="h")

    # the one redact_url: where it went stays readable, the password and query values do not
    assert "https://user:[redacted]@relay.example.com/send?token=[redacted]" in outgoing.text
    for secret in ("hunter2", "abc123"):
        assert secret not in outgoing.text and secret not in outgoing.html


def test_the_test_message_builds() -> None:
    settings = make_settings()
    raw = build_email(settings, test_outgoing(settings, "me@gmail.com")).as_bytes()
    message = parse(raw)
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
