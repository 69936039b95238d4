"""Find my settings in the wizard: an address the catalogue does not know is looked up live.

Every test drives the real app (or the screen alone) with keys, against a real DNS server
on 127.0.0.1 (tests/dns_server.py). Discovery gets that server's resolver and an empty
hosts table, so no name is looked up for real and the autoconfig fetch and the probe find
nothing to connect to: nothing leaves this machine.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Markdown, Static
from textual.worker import WorkerState

from tests.dns_server import Behaviour, DnsServer, Records, refuse_real_dns
from tests.ui_helpers import SIZE, ScreenHost, no_stored_password, type_text, visible_text
from tests.waiting import eventually
from tui.app import MailwizApp
from tui.core.carry import settings_for_suggestion
from tui.core.discover.engine import Suggestion
from tui.screens.discover import MARK_FOUND, MARK_NOTHING, DiscoverScreen, LayerLine
from tui.screens.fields import FieldsScreen
from tui.screens.guidance import GuidanceScreen
from tui.screens.provider import ProviderScreen

ADDRESS = "jane.doe@example.com"
# example.com exists in the test DNS (with no mail records unless a test adds some).
EXISTS: Records = {"example.com": {"TXT": ['"v=spf1 -all"']}}
GOOGLE_MX: Records = {
    "example.com": {"MX": ["20 alt1.aspmx.l.google.com.", "10 aspmx.l.google.com."]}
}
SRV_ELSEWHERE: Records = {
    **EXISTS,
    "_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.mailhost.example.net."]},
}


def options(server: DnsServer, **extra: object) -> dict[str, object]:
    """discover() keywords that keep the whole search on 127.0.0.1."""
    return {
        "resolver": server.resolver(1.0),
        "addresses": {},  # no name resolves: the autoconfig fetch and the probe find nothing
        "dns_timeout": 1.0,
        "probe_timeout": 1.0,
        **extra,
    }


def make_app(tmp_path: Path, discover_options: Mapping[str, object]) -> MailwizApp:
    return MailwizApp(
        tmp_path / "settings.toml",
        password_lookup=no_stored_password,
        discover_options=discover_options,
    )


def marks(screen: DiscoverScreen) -> list[tuple[str, bool | None]]:
    return [(line.layer_name, line.found) for line in screen.query(LayerLine)]


async def type_address(pilot: Any, address: str = ADDRESS) -> DiscoverScreen:
    """On the picker: Tab to the address, type it, Enter; returns the discovery screen."""
    await pilot.press("tab")
    await type_text(pilot, address)
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DiscoverScreen)
    return screen


async def search_done(pilot: Any, screen: DiscoverScreen) -> None:
    assert screen.worker is not None
    await screen.worker.wait()
    await pilot.pause()
    assert screen.state != "running"


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_real_dns(monkeypatch)


# ---------------------------------------------------------------------------------------
# Found


async def test_mx_of_google_fills_google_workspace_through_its_guidance(tmp_path: Path) -> None:
    async with DnsServer(GOOGLE_MX) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            # Each layer run is a line: the catalogue did not know it, the MX records did.
            assert marks(screen) == [("catalogue", False), ("mx", True)]
            text = visible_text(screen)
            assert "Looking up configuration: MX records of example.com" in text
            assert "aspmx.l.google.com -> Google Workspace" in text
            assert (
                f"{MARK_FOUND} Found: smtp.gmail.com, port 465, TLS from the first byte "
                "(Google Workspace)" in text
            )
            why = screen.suggestion.why if screen.suggestion else ""
            assert "aspmx.l.google.com" in why and why in text
            assert screen.state == "found"

            await pilot.press("enter")  # continue: Google Workspace needs an app password
            assert isinstance(app.screen, GuidanceScreen)
            assert app.screen.provider.id == "google-workspace"
            assert "App passwords" in app.screen.query_one(Markdown).source
            assert "smtp.gmail.com" in str(app.screen.query_one("#server-line", Static).render())

            await pilot.press("enter")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            settings = fields.draft()
            assert settings.provider == "google-workspace"
            assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
                "smtp.gmail.com",
                465,
                "tls",
            )
            assert settings.smtp.username == ADDRESS
            assert settings.from_address == ADDRESS
            # The fields say where the settings came from.
            notes = str(fields.query_one("#notes", Static).render())
            assert notes.startswith("Found by mailwiz: The MX records of example.com")
            assert "app password" in str(fields.query_one("#password-help", Static).render())

            # Escape goes back to the picker (the search is over), the address still there.
            await pilot.press("escape")
            assert isinstance(app.screen, ProviderScreen)
            assert app.screen.query_one("#address", Input).value == ADDRESS
        assert [name for name, _type, _via in dns_server.queries] == ["example.com"]


async def test_a_regional_mx_shows_that_regions_server_in_the_guidance(tmp_path: Path) -> None:
    async with DnsServer({"example.com": {"MX": ["10 mx.zoho.eu."]}}) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            await pilot.press("enter")
            assert isinstance(app.screen, GuidanceScreen)
            assert "smtp.zoho.eu" in str(app.screen.query_one("#server-line", Static).render())
            await pilot.press("enter")
            assert isinstance(app.screen, FieldsScreen)
            assert app.screen.draft().smtp.host == "smtp.zoho.eu"
            assert app.screen.draft().provider == "zoho"


# ---------------------------------------------------------------------------------------
# A server outside the domain: the user decides


async def test_srv_pointing_elsewhere_is_asked_and_n_falls_back(tmp_path: Path) -> None:
    async with DnsServer(SRV_ELSEWHERE) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            assert screen.state == "confirm"
            text = visible_text(screen)
            assert (
                "Use this server? smtp.mailhost.example.net, port 465, TLS from the first byte"
                in text
            )
            assert "outside example.com" in text
            assert "n: no, set it up as Other SMTP server with smtp.example.com" in text
            # Enter does not take it: only an explicit answer does.
            await pilot.press("enter")
            assert app.screen is screen
            await pilot.press("n")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            settings = fields.draft()
            assert (settings.provider, settings.smtp.host) == ("custom", "smtp.example.com")
            assert settings.smtp.username == ADDRESS
            notes = str(fields.query_one("#notes", Static).render())
            assert "You chose not to use smtp.mailhost.example.net" in notes


async def test_srv_pointing_elsewhere_is_used_after_y(tmp_path: Path) -> None:
    async with DnsServer(SRV_ELSEWHERE) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            await pilot.press("y")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            settings = fields.draft()
            assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
                "smtp.mailhost.example.net",
                465,
                "tls",
            )
            assert settings.provider == "custom"
            notes = str(fields.query_one("#notes", Static).render())
            assert notes.startswith("You chose to use smtp.mailhost.example.net")


# ---------------------------------------------------------------------------------------
# Nothing found


async def test_nothing_found_lists_what_was_tried_and_falls_back(tmp_path: Path) -> None:
    async with DnsServer(EXISTS) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            assert screen.state == "none"
            assert marks(screen) == [
                ("catalogue", False),
                ("mx", False),
                ("srv", False),
                ("autoconfig", False),
                ("probe", False),
            ]
            assert len(screen.tried) == 5
            text = visible_text(screen)
            # Every layer tried, and what came of it, is on screen.
            lines = list(screen.query(LayerLine))
            assert [f"{line.description}: {line.detail}" for line in lines] == list(screen.tried)
            for line in lines:
                assert line.description in text and line.detail in text
            assert "no MX records" in text
            assert "smtp.example.com:465 does not resolve" in text
            assert f"{MARK_NOTHING} No settings found for example.com." in text
            assert "Other SMTP server, trying smtp.example.com" in text

            await pilot.press("enter")
            fields = app.screen
            assert isinstance(fields, FieldsScreen)
            settings = fields.draft()
            assert (settings.provider, settings.smtp.host) == ("custom", "smtp.example.com")
            assert settings.smtp.username == ADDRESS
            notes = str(fields.query_one("#notes", Static).render())
            assert notes.startswith("mailwiz found no settings for example.com.")


async def test_a_domain_that_does_not_exist_stops_the_search_and_says_so(tmp_path: Path) -> None:
    # The DNS knows other names (so the root exists): example.com alone is missing.
    async with DnsServer({"example.org": {"A": ["127.0.0.1"]}}) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            assert screen.state == "none"
            assert marks(screen) == [("catalogue", False), ("mx", False)]
            text = visible_text(screen)
            assert "example.com does not exist in DNS: check the address for a typo" in text
            assert "If the address has a typo, Esc goes back to correct it." in text
            await pilot.press("escape")
            assert isinstance(app.screen, ProviderScreen)


async def test_a_dns_that_denies_every_name_is_called_broken_not_a_typo(tmp_path: Path) -> None:
    """A resolver answering "no such domain" for every name (the root too): the DNS looks
    broken, and "nothing found" carries the caveat the command line prints."""
    async with DnsServer({}) as dns_server:
        app = make_app(tmp_path, options(dns_server))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            assert screen.state == "none"
            text = visible_text(screen)
            assert "the DNS looks broken, not the address" in text
            assert "typo" not in text
            assert "Some DNS look-ups failed" in text and "check this machine's DNS" in text


async def test_layers_the_time_limit_left_out_are_listed_as_not_tried(tmp_path: Path) -> None:
    behaviour: dict[str | tuple[str, str], Behaviour] = {"example.com": "timeout"}
    async with DnsServer(GOOGLE_MX, behaviour=behaviour) as dns_server:
        app = make_app(tmp_path, options(dns_server, dns_timeout=5.0, deadline=0.5))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            assert screen.state == "none"
            lines = list(screen.query(LayerLine))
            assert [line.detail for line in lines[:2]] == [
                "example.com is not in the list",
                "timed out",
            ]
            assert len(lines) == 5 == len(screen.tried)
            for line, entry in zip(lines[2:], screen.tried[2:], strict=True):
                assert line.found is False
                assert line.detail == "not tried, the 0.5 s limit for the whole search ran out"
                assert entry == f"{line.description}: {line.detail}"
            assert "Trying servers: smtp.example.com" in visible_text(screen)


async def test_a_search_that_cannot_run_falls_back_without_stopping_the_app(
    tmp_path: Path,
) -> None:
    async with DnsServer(EXISTS) as dns_server:
        app = make_app(tmp_path, options(dns_server, deadline=0))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await search_done(pilot, screen)
            assert screen.state == "none"
            assert "The search could not run: deadline must be a positive number" in (
                visible_text(screen)
            )
            await pilot.press("enter")
            assert isinstance(app.screen, FieldsScreen)
            assert app.screen.draft().smtp.host == "smtp.example.com"
        assert app.is_running is False and app.return_code in (None, 0)


# ---------------------------------------------------------------------------------------
# Cancelling


async def test_escape_during_a_slow_lookup_cancels_at_once(tmp_path: Path) -> None:
    behaviour: dict[str | tuple[str, str], Behaviour] = {"example.com": "timeout"}
    async with DnsServer(GOOGLE_MX, behaviour=behaviour) as dns_server:
        # The MX look-up would wait 30 s for a DNS server that never answers.
        app = make_app(tmp_path, options(dns_server, dns_timeout=30.0, deadline=60.0))
        async with app.run_test(size=SIZE) as pilot:
            screen = await type_address(pilot)
            await eventually(lambda: dns_server.queries)
            await pilot.pause()
            assert screen.state == "running"
            assert marks(screen) == [("catalogue", False), ("mx", None)]
            assert "looking…" in visible_text(screen)
            await pilot.press("escape")
            assert isinstance(app.screen, ProviderScreen)
            assert screen.worker is not None
            await app.workers.wait_for_complete()
            assert screen.worker.state == WorkerState.CANCELLED
            # The picker works as before: the same address can be looked up again.
            await pilot.press("enter")
            assert isinstance(app.screen, DiscoverScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, ProviderScreen)


# ---------------------------------------------------------------------------------------
# Pieces


def test_settings_for_suggestion_asks_for_the_address_when_the_username_is_not_one() -> None:
    suggestion = Suggestion(
        host="smtp.example.com",
        port=587,
        security="starttls",
        provider_id="custom",
        username_hint="jane",
        source="autoconfig",
        why="The autoconfig file of example.com names smtp.example.com.",
        needs_confirmation=False,
    )
    settings = settings_for_suggestion(suggestion, ADDRESS, None)
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
        "smtp.example.com",
        587,
        "starttls",
    )
    assert (settings.smtp.username, settings.sender.address) == ("jane", ADDRESS)
    assert settings.from_address == ADDRESS


def test_the_discovery_screen_does_not_import_the_search_until_it_runs() -> None:
    """tui.core.discover.engine (dnspython, httpx) loads in a thread once the search starts."""
    code = (
        "import sys, tui.app, tui.screens.discover; "
        # a None entry is a module marked absent (tui/__init__.py: httpx._main), not loaded
        "print([m for m, mod in sys.modules.items() if mod is not None "
        "and m.startswith(('tui.core.discover.engine', 'dns', 'httpx'))])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------
# Snapshots (80x24): the screen alone, every duration shown as a fixed text


@contextmanager
def dns_in_a_thread(records: Records) -> Iterator[DnsServer]:
    """The test DNS server on its own loop, for a synchronous (snapshot) test."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = DnsServer(records)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def snapshot_of_search(snap_compare: Any, records: Records) -> bool:
    with dns_in_a_thread(records) as dns_server:
        screen = DiscoverScreen(ADDRESS, options(dns_server), time_format=lambda s: "12 ms")

        async def searched(pilot: Any) -> None:
            await pilot.pause()
            assert screen.worker is not None
            await screen.worker.wait()
            await pilot.pause()

        return bool(
            snap_compare(ScreenHost(screen, palette=False), terminal_size=SIZE, run_before=searched)
        )


def test_snapshot_found_through_mx(snap_compare: Any) -> None:
    assert snapshot_of_search(snap_compare, GOOGLE_MX)


def test_snapshot_nothing_found(snap_compare: Any) -> None:
    assert snapshot_of_search(snap_compare, EXISTS)
