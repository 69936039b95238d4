"""Sign-ins that keep working with nobody at the keyboard, and say so loudly when they cannot
(issue 25): the practice server ends refresh tokens unused for 90 days on a fast clock, and
the queue runner's daily refresh keeps the sign-in alive through 100 idle days; a refused
refresh keeps the mail queued, `mailq` starts with the reason and the fix, the system log says
it once per change, and `mailwiz status` reports it with the monitoring exit codes."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.mta_helpers import Mta
from tests.syslog_reader import SyslogReader
from tui.core.credentials import endpoints_for, poll_device_flow, save_tokens, start_device_flow
from tui.core.credentials.health import (
    KEEP_ALIVE_AFTER,
    keep_alive,
    load_health,
    monitored_source,
)
from tui.core.events import SendFinished
from tui.core.message import Outgoing
from tui.core.oauth_practice import OAuthPractice
from tui.core.send import run_send
from tui.core.settings import LocalSettings, Settings, save_settings
from tui.core.status import gather

#: The sign-in hint for settings outside the usual place: `mailwiz --config PATH login`.
LOGIN = r"mailwiz --config \S+ login"

DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def practice_options() -> dict[str, object]:
    return {}


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def sign_in(practice: OAuthPractice, settings: Settings, config: Path) -> None:
    """A real device-code sign-in, approved at once, kept where the settings say."""
    practice.authorization.approve_everything()
    endpoints = endpoints_for(settings)
    device = await start_device_flow(endpoints)
    save_tokens(settings, config, await poll_device_flow(endpoints, device, sleep=_no_wait))


@pytest.fixture
def idle_practice(oauth_practice: OAuthPractice) -> tuple[OAuthPractice, Clock]:
    """Refresh tokens end after 90 days unused (AADSTS700082), on a clock the test turns."""
    clock = Clock()
    oauth_practice.authorization.clock = clock
    oauth_practice.authorization.refresh_idle_lifetime = 90 * DAY
    return oauth_practice, clock


async def send_once(settings: Settings, config: Path, clock: Clock, logs: list[str]) -> bool:
    source = monitored_source(settings, config, clock, log=lambda text, _: logs.append(text))
    outgoing = Outgoing(to=settings.from_address, subject="day 101", text="still here")
    finished = [
        e async for e in run_send(settings, source, outgoing) if isinstance(e, SendFinished)
    ]
    return finished[-1].ok


async def test_a_server_idle_for_100_days_still_sends_on_day_101(
    idle_practice: tuple[OAuthPractice, Clock], tmp_path: Path
) -> None:
    practice, clock = idle_practice
    settings = practice.settings()
    config = save_settings(settings, tmp_path / "settings.toml")
    await sign_in(practice, settings, config)
    start, logs = clock.now, []
    refreshes = 0
    for day in range(1, 101):  # the runner's timer, with nothing to send
        clock.now = start + day * DAY
        source = monitored_source(settings, config, clock, log=lambda text, _: logs.append(text))
        refreshes += await keep_alive(source, config)
    assert refreshes == 100  # once a day (KEEP_ALIVE_AFTER), and every rotation kept
    assert load_health(config).refreshed_at == start + 100 * DAY
    clock.now = start + 101 * DAY
    assert await send_once(settings, config, clock, logs)
    assert practice.smtp.signed_in == [practice.authorization.account]
    assert logs == []  # nothing went wrong, nothing was logged
    assert KEEP_ALIVE_AFTER <= DAY


async def test_without_the_keep_alive_day_101_is_refused_logged_once_and_reported(
    idle_practice: tuple[OAuthPractice, Clock], tmp_path: Path
) -> None:
    """The control: the same 100 idle days with no runner end the sign-in."""
    practice, clock = idle_practice
    settings = practice.settings()
    config = save_settings(settings, tmp_path / "settings.toml")
    await sign_in(practice, settings, config)
    clock.now += 101 * DAY
    logs: list[str] = []
    assert not await send_once(settings, config, clock, logs)
    assert not await send_once(settings, config, clock, logs)  # the next runner tick
    assert len(logs) == 1 and "not used for a long time" in logs[0]
    assert re.search(LOGIN, logs[0]) and "Mail stays queued" in logs[0]
    refusal = load_health(config).refusal
    assert refusal is not None and refusal.codes == ["AADSTS700082"]
    status = gather(config, tmp_path / "spool", now=clock.now)
    assert status.exit == 2 and status.level == "critical"
    assert "not used for a long time" in status.notes[0].text
    # Signing in again clears it, and the log says it works again (once).
    await sign_in(practice, settings, config)
    assert await send_once(settings, config, clock, logs)
    assert logs[1:] == [f"sign-in for {practice.authorization.account} works again"]
    assert gather(config, tmp_path / "spool", now=clock.now).exit == 0


# ----------------------------------------------------------------- the command line, end to end


def mailwiz(mta: Mta, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], env=mta.env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def oauth_mta(tmp_path: Path, oauth_practice: OAuthPractice, syslog: SyslogReader) -> Mta:
    settings = oauth_practice.settings()
    settings.local = LocalSettings(admin=oauth_practice.authorization.account)
    return Mta(tmp_path / "box", settings, {"MAILWIZ_SYSLOG": str(tmp_path / "log")})


def test_a_refused_sign_in_keeps_the_mail_and_every_face_says_why(
    oauth_mta: Mta, oauth_practice: OAuthPractice, syslog: SyslogReader
) -> None:
    mta, account = oauth_mta, oauth_practice.authorization.account
    asyncio.run(sign_in(oauth_practice, mta.settings, mta.config))
    oauth_practice.authorization.refusal = (
        "invalid_grant",
        "AADSTS50173: The provided grant has expired due to it being revoked.",
    )
    oauth_practice.authorization.expire_access_tokens()
    assert mta.run(["-i", "root"], b"Subject: backup\n\ndone\n").returncode == 0
    assert mta.run(["--run"], entry="queue").returncode == 0  # the timer's next tick
    (message_id,) = mta.spool.ids()  # kept, not bounced
    listing = mta.run([], entry="mailq").stdout.decode()
    first = listing.splitlines()[0]
    assert first.startswith(f"The sign-in for {account} stopped working on ")
    assert "password was changed" in first and "`mailwiz login`" in first  # $MAILWIZ_CONFIG
    assert message_id in listing
    refused = [line for line in syslog.lines() if "refused" in line and "sign-in" in line]
    assert len(refused) == 1, syslog.seen  # once per change, not every run
    status = mailwiz(mta, "status", "--json")
    assert status.returncode == 2, status.stderr
    report = json.loads(status.stdout)
    assert report["exit"] == 2
    assert report["status"] == "critical" and report["queue"]["deferred"] == 1
    assert "1 message(s) wait for the sign-in" in report["notes"][-1]["text"]
    assert report["sign_in"]["problem"]["codes"] == ["AADSTS50173"]
    assert report["sign_in"]["method"] == "person"
    shown = mailwiz(mta, "show", "--config", str(mta.config)).stdout
    assert "CRITICAL" in shown and "password was changed" in shown and "`mailwiz login`" in shown
    # Signed in again: the queue delivers it, and status is OK.
    oauth_practice.authorization.refusal = None
    asyncio.run(sign_in(oauth_practice, mta.settings, mta.config))
    assert mta.run(["--flush"], entry="queue").returncode == 0
    assert mta.spool.ids() == []
    status = mailwiz(mta, "status")
    assert status.returncode == 0, status.stdout
    assert "Last send" in status.stdout and ": sent" in status.stdout
    assert any("works again" in line for line in syslog.lines())


async def test_the_wizards_first_screen_says_the_sign_in_stopped(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    from tests.ui_helpers import make_app
    from tui.core.credentials.health import Health, Refusal, save_health

    settings = oauth_practice.settings()
    config = save_settings(settings, tmp_path / "settings.toml")
    await sign_in(oauth_practice, settings, config)
    refusal = Refusal(time.time(), "invalid_grant", "AADSTS700082: expired", ["AADSTS700082"])
    save_health(config, Health(refreshed_at=time.time() - 100 * DAY, refusal=refusal))
    app = make_app(tmp_path, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [n.message for n in app._notifications if n.title == "Sign-in"]
    assert said and "stopped working" in said[0] and re.search(LOGIN, said[0])


async def test_a_sign_in_with_a_fixed_life_is_warned_ahead(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    """Google's apps in Testing status say refresh_token_expires_in (7 days): status warns."""
    oauth_practice.authorization.refresh_token_lifetime = 7 * 86400
    settings = oauth_practice.settings()
    config = save_settings(settings, tmp_path / "settings.toml")
    await sign_in(oauth_practice, settings, config)
    status = gather(config, tmp_path / "spool")
    assert status.exit == 1 and status.sign_in["ends_at"]
    assert "Testing status" in status.notes[0].text
    assert gather(config, tmp_path / "spool", now=time.time() + 8 * DAY).exit == 2
