"""The support report: complete enough to help, and never holding the password."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime

from tui.core.events import (
    Failure,
    FailureKind,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.report import (
    SendRecord,
    build_report,
    format_ms,
    report_filename,
    stage_label,
    write_report,
)
from tui.core.send import planned_stages
from tui.core.settings import Settings, SmtpSettings

PASSWORD = "s3cret-Pa55word"
USER = "me@example.com"


def gmail_settings() -> Settings:
    settings = Settings(provider="gmail")
    settings.smtp = SmtpSettings(host="smtp.gmail.com", port=587, username=USER)
    settings.sender.name = "Shop"
    return settings


def failed_auth_record() -> SendRecord:
    record = SendRecord(to="customer@example.com")
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    events = [
        StageStarted("resolve"),
        StageEnded("resolve", True, 3.2),
        StageStarted("connect"),
        StageEnded("connect", True, 12.0),
        TranscriptLine("<-", "220 smtp.gmail.com ESMTP"),
        StageStarted("ehlo"),
        StageEnded("ehlo", True, 5.0, "250 smtp.gmail.com"),
        StageStarted("starttls"),
        StageEnded("starttls", True, 40.0, "220 2.0.0 Ready"),
        StageStarted("ehlo"),
        StageEnded("ehlo", True, 5.0),
        StageStarted("auth"),
        # An engine bug that forgot to redact must still not leak through the report.
        TranscriptLine("~>", f"AUTH PLAIN {plain}"),
        TranscriptLine("<~", "535 5.7.8 Username and Password not accepted"),
        StageEnded("auth", False, 120.0, "535 5.7.8 Username and Password not accepted"),
        SendFinished(
            ok=False,
            total_ms=190.0,
            failure=Failure(
                kind=FailureKind.AUTH,
                stage="auth",
                code=535,
                enhanced="5.7.8",
                reply="Username and Password not accepted",
                detail=f"SMTPAuthenticationError with {PASSWORD}",
            ),
        ),
    ]
    for event in events:
        record.add(event)
    return record


def test_report_has_settings_stages_transcript_and_versions() -> None:
    record = failed_auth_record()
    text = build_report(gmail_settings(), record, secrets=[PASSWORD])
    assert 'host = "smtp.gmail.com"' in text
    assert f'username = "{USER}"' in text
    assert 'store = "keyring"' in text
    assert "FAILED at stage auth" in text and "exit code 16" in text
    assert "Server reply: Username and Password not accepted" in text
    assert "Reply code: 535 5.7.8" in text
    assert "Logging in as me@example.com" in text
    assert "Saying hello again, encrypted (EHLO)" in text
    assert "FAIL  auth" in text and "120 ms" in text
    assert "<~ 535 5.7.8 Username and Password not accepted" in text
    for name in ("mailwiz", "python", "textual", "httpx", "platform"):
        assert f"\n{name}: " in text
    assert "[http]" not in text  # only the protocol in use


def test_report_never_holds_the_password_plain_or_base64() -> None:
    record = failed_auth_record()
    text = build_report(gmail_settings(), record, secrets=[PASSWORD])
    assert PASSWORD not in text
    assert base64.b64encode(PASSWORD.encode()).decode() not in text
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    assert plain not in text
    assert "AUTH PLAIN [redacted]" in text
    assert "SMTPAuthenticationError with [redacted]" in text


def test_report_after_success_and_after_cancel() -> None:
    settings = gmail_settings()
    record = SendRecord(to="a@example.com")
    record.add(StageStarted("resolve"))
    record.add(SendFinished(ok=True, total_ms=1500.0, reply="250 2.0.0 OK queued"))
    assert "accepted in 1.5 s" in build_report(settings, record)
    assert "Server reply: 250 2.0.0 OK queued" in build_report(settings, record)

    cancelled = SendRecord(to="a@example.com")
    cancelled.add(StageStarted("connect"))
    assert "did not finish (cancelled or interrupted at connect)" in build_report(
        settings, cancelled
    )


def test_write_report_is_private_and_never_overwrites(tmp_path) -> None:
    now = datetime(2026, 5, 9, 12, 30, 0, tzinfo=UTC)
    folder = tmp_path / "config" / "mailwiz"
    first = write_report("one\n", folder, now)
    second = write_report("two\n", folder, now)
    assert first.name == report_filename(now) == "mailwiz-report-20260509-123000.txt"
    assert second != first and second.read_text() == "two\n" and first.read_text() == "one\n"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_stage_labels_and_plan() -> None:
    settings = gmail_settings()
    assert stage_label("connect", settings) == "Connecting to smtp.gmail.com:587"
    assert planned_stages(settings) == (
        "resolve",
        "connect",
        "greeting",
        "ehlo",
        "starttls",
        "ehlo",
        "auth",
        "mail",
        "rcpt",
        "data",
        "quit",
    )
    settings.smtp.security = "tls"
    assert "starttls" not in planned_stages(settings) and "tls" in planned_stages(settings)
    relay = Settings(protocol="http")
    relay.http.url = "https://relay.example.com:8443/send"
    assert stage_label("connect", relay) == "Connecting to relay.example.com:8443"
    assert planned_stages(relay) == ("resolve", "connect", "tls", "post", "response")
    assert format_ms(12.4) == "12 ms" and format_ms(2345) == "2.3 s"
