"""The provider catalogue as shipped: the real providers.toml, its order and its endpoints."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

from tui.core import providers
from tui.core.providers import (
    Endpoint,
    Provider,
    catalogue,
    get_provider,
    load_catalogue,
    normalise_domain,
    provider_for_domain,
    provider_for_host,
    provider_for_mx,
)

PICKER_ORDER = [
    # personal mail
    "gmail",
    "yahoo",
    "outlook",
    "icloud",
    "fastmail",
    "aol",
    "gmx",
    "webde",
    "yandex",
    "mailru",
    "qq",
    "netease-163",
    "netease-126",
    "yahoo-japan",
    "proton",
    # business mail
    "google-workspace",
    "microsoft365",
    "zoho",
    # transactional senders
    "sendgrid",
    "mailgun",
    "postmark",
    "amazon-ses",
    "brevo",
    "mailjet",
    "smtp2go",
    "resend",
    "zeptomail",
    # other
    "custom",
    "http",
]


def _id(provider: Provider | None) -> str | None:
    return None if provider is None else provider.id


# --- the real catalogue -------------------------------------------------------------------


def test_packaged_file_is_reachable_through_importlib_resources() -> None:
    resource = importlib.resources.files("tui.core") / "providers.toml"
    assert resource.is_file()
    assert "[[provider]]" in resource.read_text(encoding="utf-8")


def test_catalogue_lists_the_required_providers_in_picker_order() -> None:
    assert [provider.id for provider in catalogue()] == PICKER_ORDER
    assert get_provider("custom").name == "Other SMTP server"
    assert get_provider("http").name == "HTTP relay"


def test_catalogue_is_loaded_once() -> None:
    assert catalogue() is catalogue()


def test_real_file_loads_the_same_through_the_path_loader() -> None:
    path = Path(providers.__file__).with_name("providers.toml")
    assert load_catalogue(path) == catalogue()


@pytest.mark.parametrize("provider", catalogue(), ids=lambda provider: provider.id)
def test_every_provider_has_sane_values(provider: Provider) -> None:
    assert provider.protocol in ("smtp", "http")
    assert 1 <= provider.port <= 65535
    assert provider.security in ("tls", "starttls", "none")
    # Name and hint share one row of the picker on an 80-column terminal, beside its
    # scrollbar (tui/screens/provider.py NAME_WIDTH).
    assert 0 < len(provider.name) <= 17
    assert 0 < len(provider.hint) <= 54
    for text in (provider.name, provider.hint, provider.notes):
        assert "\n" not in text and text == text.strip()
    if provider.protocol == "smtp" and provider.id != "custom":
        assert provider.host
        assert normalise_domain(provider.host) == provider.host
    if provider.app_password:
        assert provider.guidance or provider.steps, "an app password needs steps to make one"
    # Certificate checks can be switched off only for the user's own server.
    assert provider.certificate_checks_required is (provider.id != "custom")
    if provider.certificate_checks_required:
        assert all(endpoint.security != "none" for endpoint in provider.endpoints)
    for endpoint in provider.alternatives:
        assert endpoint.host and endpoint.label
        assert 1 <= endpoint.port <= 65535
        assert endpoint.security in ("tls", "starttls")
    assert len(set(provider.endpoints)) == len(provider.endpoints)


def test_every_catalogue_domain_host_and_mx_suffix_leads_back_to_its_provider() -> None:
    for provider in catalogue():
        for domain in provider.domains:
            if "*" not in domain:
                assert _id(provider_for_domain(domain)) == provider.id
        for endpoint in provider.endpoints:
            owner = provider_for_host(endpoint.host)
            if endpoint.host == "127.0.0.1":  # Proton Mail Bridge: loopback names no provider
                assert owner is None
                continue
            assert owner is not None and endpoint.host in {e.host for e in owner.endpoints}
        for suffix in provider.mx_suffixes:
            assert _id(provider_for_mx("mx1." + suffix)) == provider.id


def _endpoints(provider_id: str) -> list[tuple[str, int, str]]:
    return [(e.host, e.port, e.security) for e in get_provider(provider_id).endpoints]


@pytest.mark.parametrize(
    ("provider_id", "expected"),
    [
        ("gmail", [("smtp.gmail.com", 465, "tls"), ("smtp.gmail.com", 587, "starttls")]),
        (
            "google-workspace",
            [("smtp.gmail.com", 465, "tls"), ("smtp.gmail.com", 587, "starttls")],
        ),
        (
            "yahoo",
            [("smtp.mail.yahoo.com", 465, "tls"), ("smtp.mail.yahoo.com", 587, "starttls")],
        ),
        ("outlook", [("smtp-mail.outlook.com", 587, "starttls")]),
        ("microsoft365", [("smtp.office365.com", 587, "starttls")]),
        ("icloud", [("smtp.mail.me.com", 587, "starttls")]),
        (
            "fastmail",
            [("smtp.fastmail.com", 465, "tls"), ("smtp.fastmail.com", 587, "starttls")],
        ),
    ],
)
def test_known_server_settings(provider_id: str, expected: list[tuple[str, int, str]]) -> None:
    assert _endpoints(provider_id) == expected


def test_zoho_offers_its_regional_servers_as_alternatives() -> None:
    zoho = get_provider("zoho")
    assert (zoho.host, zoho.port, zoho.security) == ("smtp.zoho.com", 465, "tls")
    hosts = {endpoint.host for endpoint in zoho.alternatives}
    assert {"smtp.zoho.eu", "smtp.zoho.in", "smtp.zoho.com.au", "smtp.zoho.jp"} <= hosts
    assert Endpoint("smtp.zoho.com", 587, "starttls", zoho.alternatives[0].label) in (
        zoho.alternatives
    )
    assert {"zoho.com", "zoho.eu"} <= set(zoho.mx_suffixes)


def test_app_passwords_and_guidance() -> None:
    needs = {provider.id for provider in catalogue() if provider.app_password}
    assert needs == {
        "gmail",
        "google-workspace",
        "yahoo",
        "icloud",
        "fastmail",
        "aol",
        "yandex",
        "mailru",
        "qq",
        "netease-163",
        "netease-126",
        "proton",
    }
    assert get_provider("gmail").guidance == "gmail"
    assert get_provider("yahoo").guidance == "yahoo"
    assert get_provider("microsoft365").guidance == "microsoft365"
    assert get_provider("icloud").guidance == "icloud"
    assert get_provider("custom").guidance == ""
    assert "2-Step Verification" in get_provider("google-workspace").notes


def test_microsoft_limits_are_stated_honestly() -> None:
    assert "OAuth" in get_provider("outlook").notes
    assert "no longer accepts passwords" in get_provider("outlook").notes
    assert "sign in with Microsoft" in get_provider("outlook").hint
    assert "SMTP AUTH" in get_provider("microsoft365").notes
    assert "Sign in with Microsoft" in get_provider("microsoft365").notes


def test_custom_and_http_have_no_host_and_no_domains() -> None:
    for provider_id in ("custom", "http"):
        provider = get_provider(provider_id)
        assert provider.host == "" and provider.endpoints == ()
        assert provider.domains == () and provider.mx_suffixes == ()
    assert get_provider("http").protocol == "http"
    assert get_provider("custom").protocol == "smtp"


def test_get_provider_unknown_id_says_which_ids_exist() -> None:
    with pytest.raises(KeyError) as raised:
        get_provider("hotmail")
    message = str(raised.value)
    assert "'hotmail'" in message and "gmail" in message and "custom" in message
