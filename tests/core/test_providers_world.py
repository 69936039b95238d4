"""The catalogue's personal, regional and transactional providers: one look-up test each,
their rules (usernames, secrets, alternate ports, APIs), and discovery answered offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tui.core.discover.engine import DiscoveryFinished, LayerStarted, discover
from tui.core.providers import (
    GROUPS,
    catalogue,
    get_provider,
    grouped,
    provider_for_address,
    provider_for_host,
    steps_markdown,
)
from tui.core.transports.http import API_NAMES

# address, provider id, (host, port, security) of the recommended endpoint
PERSONAL = [
    ("jane@aol.com", "aol", ("smtp.aol.com", 465, "tls")),
    ("jane@verizon.net", "aol", ("smtp.aol.com", 465, "tls")),
    ("jane@gmx.de", "gmx", ("mail.gmx.net", 465, "tls")),
    ("jane@gmx.net", "gmx", ("mail.gmx.net", 465, "tls")),
    ("jane@web.de", "webde", ("smtp.web.de", 587, "starttls")),
    ("jane@yandex.ru", "yandex", ("smtp.yandex.ru", 465, "tls")),
    ("jane@yandex.com", "yandex", ("smtp.yandex.ru", 465, "tls")),
    ("jane@ya.ru", "yandex", ("smtp.yandex.ru", 465, "tls")),
    ("jane@mail.ru", "mailru", ("smtp.mail.ru", 465, "tls")),
    ("jane@inbox.ru", "mailru", ("smtp.mail.ru", 465, "tls")),
    ("jane@bk.ru", "mailru", ("smtp.mail.ru", 465, "tls")),
    ("12345@qq.com", "qq", ("smtp.qq.com", 465, "tls")),
    ("jane@foxmail.com", "qq", ("smtp.qq.com", 465, "tls")),
    ("jane@163.com", "netease-163", ("smtp.163.com", 465, "tls")),
    ("jane@126.com", "netease-126", ("smtp.126.com", 465, "tls")),
    ("jane@fastmail.com", "fastmail", ("smtp.fastmail.com", 465, "tls")),
    ("jane@proton.me", "proton", ("127.0.0.1", 1025, "starttls")),
    ("jane@protonmail.com", "proton", ("127.0.0.1", 1025, "starttls")),
    ("jane@pm.me", "proton", ("127.0.0.1", 1025, "starttls")),
    ("jane@yahoo.co.jp", "yahoo-japan", ("smtp.mail.yahoo.co.jp", 465, "tls")),
]

# id, (host, port, security), fixed username, alternate port, HTTP API
TRANSACTIONAL = [
    ("sendgrid", ("smtp.sendgrid.net", 587, "starttls"), "apikey", 2525, "sendgrid"),
    ("mailgun", ("smtp.mailgun.org", 587, "starttls"), "", 2525, "mailgun"),
    ("postmark", ("smtp.postmarkapp.com", 587, "starttls"), "", 2525, "postmark"),
    ("amazon-ses", ("email-smtp.us-east-1.amazonaws.com", 587, "starttls"), "", 2587, ""),
    ("brevo", ("smtp-relay.brevo.com", 587, "starttls"), "", 2525, ""),
    ("mailjet", ("in-v3.mailjet.com", 587, "starttls"), "", None, ""),
    ("smtp2go", ("mail.smtp2go.com", 2525, "starttls"), "", 2525, ""),
    ("resend", ("smtp.resend.com", 465, "tls"), "resend", 2587, "resend"),
    ("zeptomail", ("smtp.zeptomail.com", 587, "starttls"), "emailapikey", None, ""),
]


@pytest.mark.parametrize(("address", "provider_id", "endpoint"), PERSONAL)
def test_personal_and_regional_addresses_find_their_provider(
    address: str, provider_id: str, endpoint: tuple[str, int, str]
) -> None:
    provider = provider_for_address(address)
    assert provider is not None and provider.id == provider_id
    assert (provider.host, provider.port, provider.security) == endpoint
    assert provider.group == "personal"
    # a loopback host (Proton Mail Bridge) names no provider: local relays use it too
    loopback = provider.host.startswith("127.")
    assert provider_for_host(provider.host) is (None if loopback else provider)


@pytest.mark.parametrize(("provider_id", "endpoint", "username", "alternate", "api"), TRANSACTIONAL)
def test_transactional_senders_and_their_rules(
    provider_id: str,
    endpoint: tuple[str, int, str],
    username: str,
    alternate: int | None,
    api: str,
) -> None:
    provider = get_provider(provider_id)
    assert (provider.host, provider.port, provider.security) == endpoint
    assert provider.group == "transactional"
    assert provider.username == username
    assert provider.alternate_port == alternate
    if alternate is not None:
        assert alternate in {e.port for e in provider.endpoints}
    assert provider.api == api
    if api:
        assert api in API_NAMES
    assert provider.secret_label and provider.steps
    assert provider_for_host(provider.host) is provider


def test_the_special_rules_are_stated() -> None:
    assert "token is both the username and the password" in get_provider("postmark").notes
    assert "not your IAM access keys" in get_provider("amazon-ses").notes
    assert "per-domain" in get_provider("mailgun").hint.lower()
    assert "smtp.eu.mailgun.org" in {e.host for e in get_provider("mailgun").alternatives}
    ses_hosts = {e.host for e in get_provider("amazon-ses").endpoints}
    assert {
        "email-smtp.eu-west-1.amazonaws.com",
        "email-smtp.ap-southeast-2.amazonaws.com",
        "email-smtp.us-west-2.amazonaws.com",
    } <= ses_hosts
    assert all(h.startswith("email-smtp.") and h.endswith(".amazonaws.com") for h in ses_hosts)
    for provider_id in ("qq", "netease-163", "netease-126"):
        assert get_provider(provider_id).secret_label == "Authorization code"
    for provider_id in ("yandex", "mailru", "aol"):
        assert get_provider(provider_id).secret_label == "App password"
    proton = get_provider("proton")
    assert "Bridge" in proton.notes and "certificate" in proton.notes
    assert any("Export TLS certificates" in step for step in proton.steps)


@pytest.mark.parametrize("provider", catalogue(), ids=lambda p: p.id)
def test_steps_carry_their_links_as_text(provider: object) -> None:
    from tui.core.providers import Provider

    assert isinstance(provider, Provider)
    if provider.steps:
        assert any("https://" in step for step in provider.steps)
        text = steps_markdown(provider)
        assert text.startswith(f"# {provider.name}") and "1. " in text
    else:
        assert steps_markdown(provider) == ""
    assert provider.group in GROUPS
    if provider.id not in ("custom", "http"):
        assert provider.group != "other"


def test_groups_keep_catalogue_order() -> None:
    groups = grouped(catalogue())
    assert [group for group, _ in groups] == ["personal", "business", "transactional", "other"]
    assert [p.id for p in groups[1][1]] == ["google-workspace", "microsoft365", "zoho"]
    assert sum(len(members) for _, members in groups) == len(catalogue())


@pytest.mark.parametrize(("address", "provider_id", "endpoint"), PERSONAL)
async def test_discovery_answers_from_the_catalogue_without_the_network(
    address: str,
    provider_id: str,
    endpoint: tuple[str, int, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.dns_server import refuse_real_dns

    refuse_real_dns(monkeypatch)
    events = [event async for event in discover(address)]
    assert [e.layer for e in events if isinstance(e, LayerStarted)] == ["catalogue"]
    finished = events[-1]
    assert isinstance(finished, DiscoveryFinished) and finished.suggestion is not None
    found = finished.suggestion
    assert (found.provider_id, found.host, found.port, found.security) == (
        provider_id,
        *endpoint,
    )


@pytest.mark.parametrize("address", ["jane@gmx.de", "jane@qq.com", "jane@proton.me"])
def test_the_discover_command_answers_offline(address: str, tmp_path: object) -> None:
    # Only the catalogue layer may run: it stops the search, so nothing is looked up.
    env = dict(os.environ, MAILWIZ_CONFIG=f"{tmp_path}/settings.toml")
    run = subprocess.run(
        [sys.executable, "-m", "tui", "discover", address, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    layers = [line.get("layer") for line in lines if "layer" in line]
    assert set(layers) == {"catalogue"}
    provider = provider_for_address(address)
    assert provider is not None and provider.host in run.stdout


def test_the_alternate_endpoint_is_a_real_one() -> None:
    from tui.core.providers import alternate_endpoint

    sendgrid = alternate_endpoint(get_provider("sendgrid"))
    assert sendgrid is not None
    assert (sendgrid.host, sendgrid.port, sendgrid.security) == (
        "smtp.sendgrid.net",
        2525,
        "starttls",
    )
    assert alternate_endpoint(get_provider("gmail")) is None
    for provider in catalogue():
        if provider.alternate_port is not None:
            endpoint = alternate_endpoint(provider)
            assert endpoint is not None and endpoint.port == provider.alternate_port
