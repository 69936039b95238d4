"""Render the README's screenshots from the real app at 80x24 (`make screenshots`).

Every picture comes from MailwizApp driven by key presses, as a user would drive it; the
sends go to a practice server on 127.0.0.1 (tui.core.practice), so no account is needed
and nothing leaves this machine. The SVGs go to screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from textual.app import App
from textual.pilot import Pilot

# A small DNS server on 127.0.0.1 (the tests' own), so the discovery picture needs no network.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dns_server import DnsServer
from tests.ui_helpers import ScreenHost
from tui.app import MailwizApp
from tui.core.oauth_practice import OAuthPractice
from tui.core.practice import PracticeServer
from tui.core.providers import catalogue
from tui.core.settings import save_settings

SIZE = (80, 24)
OUT = Path(__file__).resolve().parent.parent / "screenshots"

Drive = Callable[[Pilot[object]], Awaitable[None]]


async def wait_for_send(pilot: Pilot[object]) -> None:
    for _ in range(400):
        if getattr(pilot.app.screen, "state", "") in ("ok", "failed"):
            return
        await pilot.pause(0.05)
    raise RuntimeError("the test send did not finish")


def keep_spaces(path: Path) -> None:
    """Rich writes each run of one style as its own <text>; without xml:space="preserve" an
    SVG renderer (rsvg-convert, browsers converting to PNG) drops the space that starts or
    ends a run: "Press Enterto continue"."""
    svg = path.read_text(encoding="utf-8")
    if 'xml:space="preserve"' not in svg:
        path.write_text(svg.replace("<svg ", '<svg xml:space="preserve" ', 1), encoding="utf-8")


async def shoot(app: App[object], shots: list[tuple[str, Drive]]) -> None:
    """Run `app`, and after each drive step save a screenshot under its name."""
    async with app.run_test(size=SIZE) as pilot:
        for name, drive in shots:
            await drive(pilot)
            await pilot.pause(0.2)
            app.save_screenshot(f"{name}.svg", str(OUT))
            keep_spaces(OUT / f"{name}.svg")
            print(f"screenshots/{name}.svg")


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


async def picker_and_gmail() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "settings.toml"

        async def gmail_fields(pilot: Pilot[object]) -> None:
            await press(pilot, "enter")  # guidance -> fields
            await press(pilot, *"me@gmail.com")

        await shoot(
            MailwizApp(config),
            [
                ("01-provider-picker", lambda pilot: pilot.pause()),
                ("02-gmail-app-password", lambda pilot: press(pilot, "enter")),
                ("03-gmail-fields", gmail_fields),
            ],
        )


async def http_api_form() -> None:
    # An HTTP API's form (the relay or a transactional sender's API).
    with tempfile.TemporaryDirectory() as folder:
        http = [p.id for p in catalogue()].index("http")
        await shoot(
            MailwizApp(Path(folder) / "settings.toml"),
            [("12-http-api", lambda pilot: press(pilot, *["down"] * http, "enter"))],
        )


async def microsoft_sign_in() -> None:
    # The Microsoft sign-in, device code shown, against the practice sign-in server.
    with tempfile.TemporaryDirectory() as folder, OAuthPractice(folder=Path(folder)) as oauth:
        settings = oauth.settings()
        settings.provider, settings.oauth.provider = "microsoft365", "microsoft"
        config = save_settings(settings, Path(folder) / "settings.toml")
        from tui.screens.signin import SignInScreen

        async def code_shown(pilot: Pilot[object]) -> None:
            for _ in range(400):
                if oauth.authorization.pending_codes():
                    return
                await pilot.pause(0.05)
            raise RuntimeError("no device code")

        host = ScreenHost(SignInScreen(settings, config), palette=False)
        host.title = "mailwiz"
        await shoot(host, [("13-microsoft-sign-in", code_shown)])


async def practice_run() -> None:
    # A practice run: the whole wizard, live test included, against a local server.
    with PracticeServer() as server:

        async def send(pilot: Pilot[object]) -> None:
            await press(pilot, "enter", "ctrl+n", "enter")  # practice entry, test, send
            await wait_for_send(pilot)

        await shoot(
            MailwizApp(server.folder / "settings.toml", practice_server=server),
            [
                ("11-practice", lambda pilot: pilot.pause()),
                ("04-test-send-ok", send),
                ("05-save", lambda pilot: press(pilot, "enter")),
            ],
        )


async def find_my_settings() -> None:
    # Finding the settings of an address the catalogue does not know: its MX is Google.
    google_mx = {"example.com": {"MX": ["10 aspmx.l.google.com."]}}
    async with DnsServer(google_mx) as dns:
        options = {"resolver": dns.resolver(1.0), "addresses": {}, "probe_timeout": 1.0}
        with tempfile.TemporaryDirectory() as folder:

            async def look_up(pilot: Pilot[object]) -> None:
                await press(pilot, "tab", *"jane.doe@example.com", "enter")
                worker = getattr(pilot.app.screen, "worker", None)
                if worker is not None:
                    await worker.wait()

            await shoot(
                MailwizApp(Path(folder) / "settings.toml", discover_options=options),
                [("08-find-my-settings", look_up)],
            )


async def sixteen_colours_and_keys() -> None:
    # Other SMTP server in 16 colours (TERM=xterm), Test pressed with fields missing; then
    # the keys of that screen (? or F1).
    with tempfile.TemporaryDirectory() as folder:
        custom = [p.id for p in catalogue()].index("custom")

        async def blocked(pilot: Pilot[object]) -> None:
            await press(pilot, *["down"] * custom, "enter", *"mail.example.org", "ctrl+n")

        await shoot(
            MailwizApp(Path(folder) / "settings.toml", sixteen_colours=True),
            [("09-fields-16-colours", blocked), ("10-keys", lambda pilot: press(pilot, "f1"))],
        )


async def failing_send() -> None:
    with PracticeServer(fail="auth") as server:

        async def send_failing(pilot: Pilot[object]) -> None:
            await press(pilot, "enter", "ctrl+n", "enter")
            await wait_for_send(pilot)

        await shoot(
            MailwizApp(server.folder / "settings.toml", practice_server=server),
            [
                ("06-test-send-failed", send_failing),
                ("07-troubleshooting", lambda pilot: press(pilot, "t")),
            ],
        )


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await picker_and_gmail()
    await http_api_form()
    await microsoft_sign_in()
    await practice_run()
    await find_my_settings()
    await sixteen_colours_and_keys()
    await failing_send()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
