"""The whole search, its events and its JSON; a redirected autoconfig and failed DNS look-ups."""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import pytest

from tests.core.discover.discovering import (
    ADDRESS,
    AUTOCONFIG_PATH,
    NAMES,
    ON_LOOPBACK,
    Certs,
    HttpsServer,
    Page,
    SmtpServer,
    autoconfig_xml,
    run,
    smtp_servers,
)
from tests.dns_server import Behaviour, DnsServer
from tests.waiting import eventually
from tui.core.discover.engine import (
    DiscoveryEvent,
    LayerStarted,
    ProbePorts,
    discover,
    event_as_dict,
)

# ---------------------------------------------------------------------------------------
# The whole search


async def test_nothing_found_says_what_was_tried() -> None:
    result = await run({"example.com": {"MX": ["10 mx1.example.net."]}})
    finished = result.finished
    assert finished.suggestion is None
    assert finished.fallback_host == "smtp.example.com"
    assert [line.split(":")[0] for line in finished.tried] == [
        "Looking up configuration",
        "Looking up configuration",
        "Looking up configuration",
        "Looking up configuration",
        "Trying servers",
    ]
    assert "mx1.example.net" in finished.tried[1]
    assert "smtp.example.com:465 does not resolve" in finished.tried[4]


async def test_the_whole_search_stops_at_its_deadline(certs: Certs) -> None:
    result = await run(
        {"example.com": {"MX": ["10 aspmx.l.google.com."]}},
        behaviour={"example.com": "timeout"},
        deadline=0.4,
        dns_timeout=5,
    )
    assert result.ended["mx"].detail == "timed out"
    assert result.layers == ["catalogue", "mx"]
    assert result.finished.tried[-1].endswith(
        "not tried, the 0.4 s limit for the whole search ran out"
    )
    assert len(result.finished.tried) == 5
    # The layers left out, as data (the wizard lists them without reading `tried`'s words).
    not_run = result.finished.not_run
    assert [why for _, why in not_run] == [
        "not tried, the 0.4 s limit for the whole search ran out"
    ] * 3
    assert [f"{description}: {why}" for description, why in not_run] == list(
        result.finished.tried[2:]
    )


async def test_cancelling_discovery_propagates_and_closes_connections(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server, silent=True)
    starttls = SmtpServer(starttls=certs.server, silent=True)
    seen: list[DiscoveryEvent] = []

    async def consume(ports: ProbePorts, resolver: Any) -> None:
        async for event in discover(
            ADDRESS,
            resolver=resolver,
            addresses={"smtp.example.com": "127.0.0.1"},
            ports=ports,
            ssl_context=certs.client,
            probe_timeout=60,
            deadline=120,
        ):
            seen.append(event)

    records = {"example.com": {"MX": ["10 mx1.example.net."]}}
    async with DnsServer(records) as dns_server, smtp_servers(tls, starttls) as ports:
        task = asyncio.create_task(consume(ports, dns_server.resolver()))
        await eventually(lambda: tls.connections and starttls.connections)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
    assert isinstance(seen[-1], LayerStarted) and seen[-1].layer == "probe"


async def test_events_are_json_ready() -> None:
    result = await run({"example.com": {"MX": ["10 aspmx.l.google.com."]}})
    lines = [json.dumps(event_as_dict(event)) for event in result.events]
    assert json.loads(lines[0]) == {
        "event": "layer_started",
        "layer": "catalogue",
        "description": "Looking up configuration: mailwiz's list of providers, for example.com",
    }
    last = json.loads(lines[-1])
    assert last["event"] == "finished"
    assert last["suggestion"]["provider_id"] == "google-workspace"
    assert last["fallback_host"] == "smtp.example.com"


# ---------------------------------------------------------------------------------------
# Issue 12 item 11 and issue 11 item 11: a redirected autoconfig, failed DNS look-ups


async def test_autoconfig_redirected_to_another_host_is_flagged_with_its_real_source(
    certs: Certs,
) -> None:
    hoster = "config.hoster.example.net"
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certs.ca.issue_cert(*NAMES, hoster).configure_cert(context)
    xml = autoconfig_xml(("smtp.hoster.example.net", "465", "SSL", "%EMAILADDRESS%"))
    async with HttpsServer(context, {(hoster, "/example.com/config.xml"): Page(xml)}) as web:
        moved = f"https://{hoster}:{web.port}/example.com/config.xml"
        web.pages[("autoconfig.example.com", AUTOCONFIG_PATH)] = Page(
            status=302, headers={"Location": moved}
        )
        result = await run(
            {},
            addresses={**ON_LOOPBACK, hoster: "127.0.0.1"},
            https_port=web.port,
            ssl_context=certs.client,
            probe_timeout=0.5,
        )
    assert "redirected to config.hoster.example.net" in result.ended["autoconfig"].detail
    suggestion = result.finished.suggestion
    assert suggestion is not None and suggestion.source == "autoconfig"
    assert suggestion.redirected
    assert suggestion.origin == moved
    assert suggestion.needs_confirmation  # outside example.com: the user decides
    assert f"from {moved}" in suggestion.why and "outside example.com" in suggestion.why


async def test_autoconfig_redirected_inside_the_same_host_is_not_flagged(certs: Certs) -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%"))
    moved = "/moved/config-v1.1.xml"
    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(status=302, headers={"Location": moved}),
        ("autoconfig.example.com", moved): Page(xml),
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert not suggestion.redirected and not suggestion.needs_confirmation


@pytest.mark.parametrize(
    ("behaviour", "problem"),
    [("timeout", "timed out"), ("servfail", "the DNS servers failed to answer")],
)
async def test_failed_dns_look_ups_are_data_on_the_finished_event(
    behaviour: Behaviour, problem: str
) -> None:
    result = await run(
        {},
        behaviour={("example.com", "MX"): behaviour},
        dns_timeout=0.5,
        probe_timeout=0.5,
    )
    assert f"MX example.com: {problem}" in result.finished.dns_failures
    assert event_as_dict(result.finished)["dns_failures"] == list(result.finished.dns_failures)


async def test_dns_that_answers_no_records_is_not_a_failure() -> None:
    result = await run({}, probe_timeout=0.5)
    assert result.finished.suggestion is None
    assert result.finished.dns_failures == ()
