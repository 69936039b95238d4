"""How a sign-in is doing, kept beside the settings so that `status`, `mailq`, `show`, the
wizard and the system log can say it: when the token endpoint last answered, the refusal that
stands (if any), and the last send of the queue.

`settings.toml.signin` is a small JSON file (0600, written atomically, never a secret: the
endpoint's error code and description, dates). It is written by the token source every
send and refresh uses (`monitored_source`), so a refusal is known the moment it happens; a
refusal is logged to the system log once per change, not every minute; the first success
after one logs that it works again.

Kept alive: `keep_alive` refreshes a person's sign-in when the last refresh is older than
`KEEP_ALIVE_AFTER`, even with nothing to send, so that inactivity never ends it (Microsoft
ends a refresh token unused for 90 days); the rotated refresh token is stored every time
(StoredTokenSource does). An app sign-in is checked as often, so a refused secret is known
before mail waits on it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core import files
from tui.core.credentials.tokens import TokenError

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.settings import Settings

HEALTH_SUFFIX = ".signin"
KEEP_ALIVE_AFTER = 24 * 3600.0  # seconds: refresh a sign-in at least once a day
Log = Callable[[str, int], None]


@dataclass
class Refusal:
    """The token endpoint's refusal that stands: data, as the endpoint said it."""

    at: float
    error: str
    description: str = ""
    codes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return " ".join([self.error, *self.codes])


@dataclass
class Health:
    refreshed_at: float = 0.0  # the token endpoint's last good answer
    refusal: Refusal | None = None
    logged: str = ""  # the refusal last written to the system log ("" none)
    last_send_at: float = 0.0
    last_send_ok: bool | None = None
    last_send_detail: str = ""

    @classmethod
    def from_json(cls, text: str) -> Health:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        refusal = data.get("refusal")
        return cls(
            refreshed_at=float(data.get("refreshed_at") or 0.0),
            refusal=Refusal(
                at=float(refusal.get("at") or 0.0),
                error=str(refusal.get("error") or ""),
                description=str(refusal.get("description") or ""),
                codes=[str(c) for c in refusal.get("codes") or []],
            )
            if isinstance(refusal, dict)
            else None,
            logged=str(data.get("logged") or ""),
            last_send_at=float(data.get("last_send_at") or 0.0),
            last_send_ok=data.get("last_send_ok")
            if isinstance(data.get("last_send_ok"), bool)
            else None,
            last_send_detail=str(data.get("last_send_detail") or ""),
        )


def health_path(config_path: Path) -> Path:
    return config_path.with_name(config_path.name + HEALTH_SUFFIX)


def load_health(config_path: Path) -> Health:
    """What is known ("nothing yet" when the file is missing or unreadable)."""
    try:
        return Health.from_json(health_path(config_path).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, AttributeError):
        return Health()


def save_health(config_path: Path, health: Health) -> None:
    """Keep it; a folder mailwiz may not write loses the note, never the send."""
    text = json.dumps(asdict(health), separators=(",", ":"))
    with contextlib.suppress(OSError):
        files.write_atomically(health_path(config_path), text.encode("utf-8"))


def update_health(config_path: Path, change: Callable[[Health], None]) -> Health:
    health = load_health(config_path)
    change(health)
    save_health(config_path, health)
    return health


# ------------------------------------------------------------------------ the system log


def system_log(text: str, severity: int) -> None:
    """One line to the system log (the mta's syslog module: /dev/log, $MAILWIZ_SYSLOG)."""
    from tui.core.mta import syslog

    syslog.send(text, severity)


def refusal_words(
    settings: Settings, refusal: Refusal, config_path: Path | None = None
) -> tuple[str, str]:
    """(what happened, what to do) for a refusal, from the diagnosis' [[token]] table."""
    from tui.core.diagnose.handlers import explain_token_error
    from tui.core.diagnose.texts import Audience

    diagnosis = explain_token_error(
        refusal.error, refusal.description, settings, audience=Audience.CLI, config_path=config_path
    )
    return diagnosis.title, diagnosis.first_step()


# ------------------------------------------------------------------------ the token source


class MonitoredSource:
    """A TokenSource that notes every good answer and every refusal of the token endpoint
    in the health file (and the system log, once per change)."""

    def __init__(
        self,
        inner: TokenSource,
        settings: Settings,
        config_path: Path,
        clock: Callable[[], float] = time.time,
        log: Log = system_log,
    ) -> None:
        self.inner = inner
        self._settings = settings
        self._config_path = config_path
        self._clock = clock
        self._log = log

    def __repr__(self) -> str:
        return f"MonitoredSource({self.inner!r})"

    @property
    def username(self) -> str:
        return self.inner.username

    @property
    def refreshed(self) -> int:
        return int(getattr(self.inner, "refreshed", 0))

    async def access_token(self, *, refresh: bool = False) -> str:
        before = self.refreshed
        try:
            token = await self.inner.access_token(refresh=refresh)
        except TokenError as error:
            if not error.temporary:
                self.note_refusal(error)
            raise
        if self.refreshed != before:
            self.note_answer()
        return token

    def note_answer(self) -> None:
        now = self._clock()
        was: list[Refusal | None] = [None]

        def change(health: Health) -> None:
            was[0] = health.refusal if health.logged else None
            health.refreshed_at = now
            health.refusal = None
            health.logged = ""

        update_health(self._config_path, change)
        if was[0] is not None:
            self._log(f"sign-in for {self.username or '?'} works again", 6)

    def note_refusal(self, error: TokenError) -> None:
        refusal = Refusal(self._clock(), error.error, error.description, list(error.codes))
        log_it = [False]

        def change(health: Health) -> None:
            if health.refusal is None or health.refusal.key != refusal.key:
                health.refusal = refusal  # keep the first time of a standing refusal
            log_it[0] = health.logged != refusal.key
            health.logged = refusal.key

        update_health(self._config_path, change)
        if log_it[0]:
            title, fix = refusal_words(self._settings, refusal, self._config_path)
            said = f"{refusal.error}: {refusal.description}" if refusal.description else ""
            self._log(
                f"sign-in for {self.username or '?'} refused: {title} {fix} "
                f"Mail stays queued. ({said[:300]})",
                3,
            )


class NotSignedInSource:
    """Stands in when no sign-in can be read: every send fails at the token stage with the
    reason (so queued mail stays queued, and says why)."""

    def __init__(self, username: str, reason: str) -> None:
        self.username = username
        self.reason = reason
        self.refreshed = 0

    async def access_token(self, *, refresh: bool = False) -> str:
        raise TokenError("not_signed_in", self.reason)


def monitored_source(
    settings: Settings,
    config_path: Path,
    clock: Callable[[], float] = time.time,
    log: Log = system_log,
) -> MonitoredSource:
    """The token source of an OAuth configuration for unattended use (the queue, sendmail):
    never raises; a sign-in that cannot be read becomes a source that says why."""
    from tui.core.credentials.oauth import NotSignedIn
    from tui.core.credentials.sources import token_source_for

    inner: Any
    try:
        inner = token_source_for(settings, config_path, clock=clock)
    except NotSignedIn as missing:
        inner = NotSignedInSource(settings.smtp.username.strip(), str(missing))
    return MonitoredSource(inner, settings, config_path, clock, log)


async def keep_alive(source: MonitoredSource, config_path: Path, force: bool = False) -> bool:
    """Refresh the sign-in when the last good answer is older than KEEP_ALIVE_AFTER (or
    `force`): True when it refreshed. A refusal is noted (and logged) by the source."""
    health = load_health(config_path)
    if not force and source._clock() - health.refreshed_at < KEEP_ALIVE_AFTER:
        return False
    try:
        await source.access_token(refresh=True)
    except TokenError:
        return False
    return True


def note_send(config_path: Path, ok: bool, detail: str = "", now: float | None = None) -> None:
    """The queue's last delivery attempt: when, and whether the server took it."""
    moment = time.time() if now is None else now

    def change(health: Health) -> None:
        health.last_send_at = moment
        health.last_send_ok = ok
        health.last_send_detail = detail[:300]

    update_health(config_path, change)
