"""`mailwiz status`: is this machine's mail working, and will it keep working? One use case,
read by the status command (text or JSON, exit codes for monitoring), and by `mailq`, `show`
and the wizard's first screen through `sign_in_notice`.

The sign-in: who, how it is kept, the last refresh, what ends it and when (as far as known:
a certificate's notAfter, a client secret's end date the user entered), and the refusal that
stands. The queue: queued, deferred, failed, the oldest. The last send of the queue.
Levels follow the monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.credentials.health import KEEP_ALIVE_AFTER, Health, load_health
from tui.core.texts import Texts

if TYPE_CHECKING:
    from tui.core.settings import Settings

LEVELS = ("ok", "warning", "critical", "unknown")
WARN_AHEAD = 30 * 86400.0  # seconds before a known end that status starts warning
DEFERRED_TOO_LONG = 3600.0  # seconds a deferred message may wait before it is a warning


_say = Texts("tui.core", "status_texts.toml")


def text(section: str, key: str, **values: object) -> str:
    return _say(f"{section}.{key}", **values)


def note(key: str, config_path: Path, **values: object) -> str:
    """A note, its suggested commands ({login}, {queue}, {flush}, {run}) written for the
    settings at `config_path` (with its --config when mailwiz would not find them itself)."""
    from tui.core.locations import command_for

    commands = {
        "login": command_for(config_path, "login"),
        "queue": command_for(config_path, "queue"),
        "flush": command_for(config_path, "queue", "--flush"),
        "run": command_for(config_path, "queue", "--run"),
    }
    return _say(f"note.{key}", **commands, **values)


def day(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))


@dataclass
class Note:
    level: str
    text: str


@dataclass
class Status:
    settings_path: str
    sign_in: dict[str, Any] = field(default_factory=dict)
    queue: dict[str, Any] = field(default_factory=dict)
    last_send: dict[str, Any] | None = None
    notes: list[Note] = field(default_factory=list)

    @property
    def level(self) -> str:
        return max((n.level for n in self.notes), key=LEVELS.index, default="ok")

    @property
    def exit(self) -> int:
        return LEVELS.index(self.level)

    def add(self, level: str, words: str) -> None:
        self.notes.append(Note(level, words))

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.level,
            "exit": self.exit,
            "settings": self.settings_path,
            "sign_in": self.sign_in,
            "queue": self.queue,
            "last_send": self.last_send,
            "notes": [{"level": n.level, "text": n.text} for n in self.notes],
        }


# --------------------------------------------------------------------------- the sign-in


def _iso(moment: float) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)) if moment else None


def _kept(settings: Settings, config_path: Path) -> tuple[str, str]:
    """(method, how it is kept, in words)."""
    from tui.core.credentials.store import describe_store

    oauth = settings.oauth
    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        if oauth.grant == "app":
            if oauth.provider == "google":
                return "app", text("kept", "app-service-account", path=oauth.service_account)
            if oauth.certificate.strip():
                return "app", text("kept", "app-certificate", path=oauth.certificate)
            where = describe_store(settings, config_path)
            return "app", text("kept", "app-client-secret", where=where)
        from tui.core.credentials.oauth_endpoint import provider_name
        from tui.core.credentials.oauth_store import describe_token_store

        where = describe_token_store(settings, config_path)
        return "person", text("kept", "person", provider=provider_name(oauth.provider), where=where)
    from tui.core.credentials.lookup import password_needed

    if not password_needed(settings):
        return "none", text("kept", "none")
    word = "api-key" if settings.protocol == "http" else "password"
    return word, text("kept", word, where=describe_store(settings, config_path))


def sign_in_part(status: Status, settings: Settings, config_path: Path, now: float) -> Health:
    method, kept = _kept(settings, config_path)
    health = load_health(config_path)
    account = settings.smtp.username.strip() or settings.from_address or "?"
    info: dict[str, Any] = {"method": method, "account": account, "kept": kept}
    info["last_refresh"] = _iso(health.refreshed_at)
    info["ends"], info["ends_at"] = text("ends", "password"), None
    status.sign_in = info
    if method == "person":
        _person(status, settings, config_path, health, now)
    elif method == "app":
        _app(status, settings, config_path, now)
    if health.refusal is not None and method in ("person", "app"):
        from tui.core.credentials.health import refusal_words

        title, fix = refusal_words(settings, health.refusal, config_path)
        info["problem"] = {
            "since": _iso(health.refusal.at),
            "error": health.refusal.error,
            "codes": health.refusal.codes,
            "what": title,
            "fix": fix,
        }
        when = day(health.refusal.at)
        status.add("critical", text("note", "refused", account=account, when=when,
                                    title=title, fix=fix))  # fmt: skip
    return health


def _person(
    status: Status, settings: Settings, config_path: Path, health: Health, now: float
) -> None:
    from tui.core.credentials.oauth_store import TokenStoreError, load_tokens

    info = status.sign_in
    provider = settings.oauth.provider
    info["ends"] = text("ends", f"person-{provider}")
    try:
        record = load_tokens(settings, config_path)
    except TokenStoreError as problem:
        status.add("critical", text("note", "cannot-read", account=info["account"],
                                    problem=problem))  # fmt: skip
        return
    if record is None:
        status.add("critical", note("not-signed-in", config_path, account=info["account"]))
        return
    info["account"] = record.username or info["account"]
    if record.refresh_expires_at:
        moment = record.refresh_expires_at
        info["ends"] = text("ends", "person-said", when=day(moment))
        info["ends_at"] = _iso(moment)
        level = "critical" if moment <= now else "warning" if moment - now < WARN_AHEAD else ""
        if level:
            key = "person-ended" if moment <= now else "person-ends-soon"
            status.add(level, note(key, config_path, account=info["account"], when=day(moment)))
    stale = health.refreshed_at and now - health.refreshed_at > 3 * KEEP_ALIVE_AFTER
    if stale and health.refusal is None:
        when = day(health.refreshed_at)
        words = note("not-refreshed", config_path, account=info["account"], when=when)
        status.add("warning", words)


def _app(status: Status, settings: Settings, config_path: Path, now: float) -> None:
    from tui.core.credentials.app_grants import key_ends

    info = status.sign_in
    info["ends"] = text("ends", "app")
    ends = key_ends(settings, config_path)
    if ends is None:
        return
    what, moment = ends
    key = "certificate" if what == "certificate" else "client-secret"
    info["ends"], info["ends_at"] = text("ends", key, when=day(moment)), _iso(moment)
    words = text("what", key)
    if moment <= now:
        status.add("critical", note("ended", config_path, what=words, account=info["account"],
                                    when=day(moment)))  # fmt: skip
    elif moment - now < WARN_AHEAD:
        days = int((moment - now) // 86400)
        status.add("warning", text("note", "ends-soon", what=words, account=info["account"],
                                   when=day(moment), days=days))  # fmt: skip


# --------------------------------------------------------------------------- the queue


def queue_part(status: Status, spool_path: Path, now: float, config_path: Path) -> None:
    import os

    from tui.core.mta.spool import Spool

    spool = Spool(spool_path)
    info: dict[str, Any] = {"path": str(spool_path)}
    status.queue = info
    for folder in (spool.queue, spool.failed):
        if folder.exists() and not os.access(folder, os.R_OK | os.X_OK):
            status.add("unknown", text("note", "queue-unreadable", path=spool_path))
            return
    counts = {"queued": 0, "deferred": 0, "failed": len(spool.ids("failed"))}
    oldest, oldest_deferred = 0.0, 0.0
    for message_id in spool.ids():
        envelope = spool.envelope(message_id)
        if envelope is None:
            continue
        counts["deferred" if envelope.attempts else "queued"] += 1
        oldest = min(oldest or envelope.created, envelope.created)
        if envelope.attempts:
            oldest_deferred = min(oldest_deferred or envelope.created, envelope.created)
    info.update(counts)
    info["oldest"] = _iso(oldest)
    if counts["failed"]:
        status.add("warning", note("failed", config_path, count=counts["failed"]))
    if oldest_deferred and now - oldest_deferred > DEFERRED_TOO_LONG:
        status.add("warning", note("deferred", config_path, count=counts["deferred"],
                                   when=day(oldest_deferred)))  # fmt: skip


def gather(config_path: Path, spool_path: Path, now: float | None = None) -> Status:
    """Everything `mailwiz status` says; never raises for a missing or broken settings file
    (that is status UNKNOWN, with the reason)."""
    from tui.core.settings import SettingsError, load_settings

    now = time.time() if now is None else now
    status = Status(str(config_path))
    try:
        settings = load_settings(config_path).settings
    except SettingsError as problem:
        status.add("unknown", text("note", "no-settings", problem=problem))
        queue_part(status, spool_path, now, config_path)
        return status
    health = sign_in_part(status, settings, config_path, now)
    queue_part(status, spool_path, now, config_path)
    waiting = status.queue.get("deferred", 0) + status.queue.get("queued", 0)
    if "problem" in status.sign_in and waiting:
        status.add("critical", text("note", "mail-waits", count=waiting))
    if health.last_send_at:
        status.last_send = {
            "at": _iso(health.last_send_at),
            "ok": health.last_send_ok,
            "detail": health.last_send_detail,
        }
    return status


def sign_in_notice(settings: Settings, config_path: Path) -> str:
    """The standing sign-in problem or warning in one paragraph ("" when all is well): what
    `mailq`, `show` and the wizard's first screen start with."""
    status = Status(str(config_path))
    sign_in_part(status, settings, config_path, time.time())
    notes = [n.text for n in status.notes if n.level in ("critical", "warning")]
    return "\n".join(notes)


def sign_in_lines(settings: Settings, config_path: Path) -> list[tuple[str, str]]:
    """`show`'s rows about a sign-in's life: how it is kept, the last refresh, what ends it,
    and the standing problem or warning (each as its level's word)."""
    status = Status(str(config_path))
    sign_in_part(status, settings, config_path, time.time())
    info = status.sign_in
    rows = [(text("label", "kept"), str(info["kept"]))]
    if info["method"] in ("person", "app"):
        rows.append((text("label", "refreshed"), info["last_refresh"] or text("label", "never")))
    rows.append((text("label", "ends"), str(info["ends"])))
    rows += [(text("level", n.level), n.text) for n in status.notes]
    return rows
