"""The support report: what a helper needs to understand a failed send, minus the password.

It holds the settings (never the password), the stages with their times and replies, the
redacted transcript, the diagnosis and the versions of everything involved. It is plain text,
safe to paste into a ticket. `SendRecord` collects a send's events as they arrive, so the wizard
and the command line can both build a report from what they saw.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.events import (
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.http_apis import facts_of
from tui.core.records import as_dict
from tui.core.redact import REDACTED as MARKER
from tui.core.redact import Redactor, redact_url
from tui.core.texts import Texts

if TYPE_CHECKING:
    from tui.core.diagnose.handlers import Diagnosis
    from tui.core.settings import Settings

REDACTED = MARKER  # the one marker (tui.core.redact)


@dataclass
class SendRecord:
    """Everything one send reported, in order. Feed it each event with `add`."""

    to: str = ""
    started: list[str] = field(default_factory=list)  # stage names, as they started
    stages: list[StageEnded] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    finished: SendFinished | None = None

    def add(self, event: SendEvent) -> None:
        if isinstance(event, StageStarted):
            self.started.append(event.stage)
        elif isinstance(event, StageEnded):
            self.stages.append(event)
        elif isinstance(event, TranscriptLine):
            self.transcript.append(event)
        elif isinstance(event, SendFinished):
            self.finished = event

    @property
    def current_stage(self) -> str:
        """The stage that started last (empty before the first one)."""
        return self.started[-1] if self.started else ""


say = Texts("tui.core")  # tui/core/texts.toml, [report]


def stage_label(stage: str, settings: Settings, *, to: str = "", again: bool = False) -> str:
    """A stage in plain words, e.g. "Connecting to smtp.gmail.com:465".

    `again` is for the second EHLO (after STARTTLS).
    """
    what = facts_of(settings.http.api).what  # "the relay", "the Postmark API"
    if settings.protocol == "http":
        host, port = _url_host_port(
            settings.http.url.strip() or facts_of(settings.http.api).default_url
        )
    else:
        host, port = settings.smtp.host, settings.smtp.port
    secret = say("report.api-key") if settings.protocol == "http" else say("report.password")
    labels = say.raw("report.stages")
    text_id = {"ehlo": "ehlo-again" if again else "ehlo", "rcpt": "rcpt" if to else "rcpt-unknown"}
    template = labels.get(text_id.get(stage, stage))
    if template is None:
        return stage
    return str(template).format(
        secret=secret,
        host=host,
        port=port,
        username=settings.smtp.username,
        sender=settings.from_address,
        to=to,
        what=what,
    )


def format_ms(ms: float) -> str:
    """A duration for people: "12 ms", "1.3 s"."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def versions() -> dict[str, str]:
    """Versions of mailwiz, Python, the libraries that matter, and the platform."""
    found: dict[str, str] = {}
    for name in ("mailwiz", "textual", "httpx", "keyring"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = sys.version.split()[0]
    found["platform"] = platform.platform()
    found["terminal"] = os.environ.get("TERM", "unknown")
    return found


def build_report(
    settings: Settings,
    record: SendRecord,
    *,
    diagnosis: Diagnosis | None = None,
    config_path: Path | None = None,
    secrets: Iterable[str] = (),
    now: datetime | None = None,
) -> str:
    """The support report as text. Pass the password in `secrets` to be sure it never shows."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    out: list[str] = [
        say("report.title"),
        say("report.written", when=when),
        "",
        "== Result",
    ]
    out += _result_lines(record, diagnosis)
    out += ["", "== Settings" + (f" ({config_path})" if config_path else " (not saved yet)")]
    out += _settings_lines(settings)
    out += ["", "== Stages"]
    out += _stage_lines(settings, record) or ["(no stage ran)"]
    out += ["", "== Transcript (secrets redacted)"]
    out += [f"{line.direction} {line.text}" for line in record.transcript] or ["(empty)"]
    out += ["", "== Versions"]
    out += [f"{name}: {version}" for name, version in versions().items()]
    text = "\n".join(out) + "\n"
    # One last pass over everything: every form of every secret, then control characters.
    redactor = Redactor(secrets=secrets, username=settings.smtp.username)
    if settings.protocol == "http":
        redactor.add_url(settings.http.url)
    return redactor.clean(text, multiline=True)


def report_filename(now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"mailwiz-report-{stamp}.txt"


def write_report(text: str, directory: Path, now: datetime | None = None) -> Path:
    """Write the report into `directory` as mailwiz-report-<timestamp>.txt, readable only by
    the user (0600). Creates the folder (0700) if needed; never overwrites a file."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    base = report_filename(now)
    path = directory / base
    number = 1
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            number += 1
            path = directory / base.replace(".txt", f"-{number}.txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _url_host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url, 443
    default = 80 if parts.scheme == "http" else 443
    return parts.hostname or url, port or default


def _result_lines(record: SendRecord, diagnosis: Diagnosis | None) -> list[str]:
    to = record.to or say("report.no-recipient")
    finished = record.finished
    if finished is None:
        stage = record.current_stage or say("report.before-first-stage")
        lines = [say("report.unfinished", to=to, stage=stage)]
    elif finished.ok:
        lines = [say("report.accepted", to=to, ms=format_ms(finished.total_ms))]
        if finished.reply:
            lines.append(f"Server reply: {finished.reply}")
    else:
        failure = finished.failure
        if failure is None:
            lines = [say("report.failed", to=to)]
        else:
            kind, code = failure.kind.name.lower(), failure.exit_code
            lines = [
                say("report.failed-at", to=to, stage=failure.stage or "?", kind=kind, code=code)
            ]
            if failure.reply:
                lines.append(f"Server reply: {failure.reply}")
            codes = [str(failure.code)] if failure.code is not None else []
            codes += [failure.enhanced] if failure.enhanced else []
            if codes:
                lines.append(f"Reply code: {' '.join(codes)}")
            if failure.detail:
                lines.append(f"Detail: {failure.detail}")
            cert = failure.certificate
            if cert is not None:
                lines.append(
                    "Certificate: "
                    f"names={', '.join(cert.names) or '?'}; issuer={cert.issuer or '?'}; "
                    f"valid {cert.not_before or '?'} to {cert.not_after or '?'}; "
                    f"problem={cert.reason or '?'}"
                )
    if diagnosis is not None:
        lines += [
            f"Diagnosis: {diagnosis.title}",
            f"  Cause: {diagnosis.cause}",
            f"  Fix: {diagnosis.fix}",
        ]
        if diagnosis.field:
            lines.append(f"  Field concerned: {diagnosis.field}")
    return lines


def _settings_lines(settings: Settings) -> list[str]:
    data = as_dict(settings)
    lines = [f'protocol = "{settings.protocol}"', f'provider = "{settings.provider}"']
    tables = ["http" if settings.protocol == "http" else "smtp", "sender", "password"]
    for table in tables:
        lines.append(f"[{table}]")
        for key, value in data[table].items():
            if key == "url":
                value = redact_url(str(value))  # a relay key may sit in its query
            lines.append(f"{key} = {_toml_value(value)}")
    return lines


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _stage_lines(settings: Settings, record: SendRecord) -> list[str]:
    lines: list[str] = []
    ehlo_seen = 0
    for ended in record.stages:
        again = False
        if ended.stage == "ehlo":
            ehlo_seen += 1
            again = ehlo_seen > 1
        mark = "ok  " if ended.ok else "FAIL"
        label = stage_label(ended.stage, settings, to=ended.target or record.to, again=again)
        line = f"{mark}  {ended.stage:<9} {format_ms(ended.ms):>8}  {label}"
        if ended.reply:
            line += f"  | {ended.reply}"
        lines.append(line)
    return lines
