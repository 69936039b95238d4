"""The provider catalogue: the real providers.toml, its validation and the look-ups."""

from __future__ import annotations

import copy
import importlib.resources
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core import providers
from tui.core.providers import (
    CatalogueError,
    Endpoint,
    Provider,
    catalogue,
    domain_matches,
    find_by_domain,
    find_by_host,
    find_by_mx,
    get_provider,
    load_catalogue,
    normalise_domain,
    parse_catalogue,
    provider_for_address,
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


# --- look-ups -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", "gmail"),
        ("googlemail.com", "gmail"),
        ("yahoo.com", "yahoo"),
        ("yahoo.co.uk", "yahoo"),
        ("yahoo.fr", "yahoo"),
        ("yahoo.com.au", "yahoo"),
        ("yahoo.com.br", "yahoo"),
        ("ymail.com", "yahoo"),
        ("rocketmail.com", "yahoo"),
        ("outlook.com", "outlook"),
        ("outlook.fr", "outlook"),
        ("hotmail.com", "outlook"),
        ("hotmail.co.uk", "outlook"),
        ("live.com", "outlook"),
        ("live.com.au", "outlook"),
        ("msn.com", "outlook"),
        ("contoso.onmicrosoft.com", "microsoft365"),
        ("icloud.com", "icloud"),
        ("me.com", "icloud"),
        ("mac.com", "icloud"),
        ("fastmail.com", "fastmail"),
        ("fastmail.fm", "fastmail"),
        ("zoho.com", "zoho"),
        ("zohomail.com", "zoho"),
        # misses: look-alikes, a provider's name inside or before another domain
        ("notyahoo.com", None),
        ("yahoo.com.evil.org", None),
        ("yahoo.co.uk.evil.org", None),
        ("yahoo.evil", None),
        ("yahoo.xyz", None),
        ("mail.yahoo.com", None),
        ("yahoo", None),
        ("gmail.com.evil.org", None),
        ("evilgmail.com", None),
        ("mygmail.com", None),
        ("onmicrosoft.com", None),
        ("contoso.onmicrosoft.com.evil.org", None),
        ("example.com", None),
        # Yahoo! JAPAN is a different service with different servers.
        ("yahoo.co.jp", "yahoo-japan"),
        ("", None),
        ("not a domain", None),
        ("a..b", None),
    ],
)
def test_provider_for_domain(domain: str, expected: str | None) -> None:
    assert _id(provider_for_domain(domain)) == expected


@pytest.mark.parametrize(
    "domain", ["GMAIL.COM", "Gmail.Com", " gmail.com ", "gmail.com.", "ｇｍａｉｌ．ｃｏｍ"]
)
def test_domain_case_space_trailing_dot_and_width_do_not_matter(domain: str) -> None:
    assert _id(provider_for_domain(domain)) == "gmail"


def test_idna_domains_are_compared_in_their_ascii_form() -> None:
    assert normalise_domain("Bücher.DE") == "xn--bcher-kva.de"
    assert normalise_domain("xn--bcher-kva.de.") == "xn--bcher-kva.de"
    # A look-alike with a Cyrillic "і" is a different domain, not Gmail.
    assert _id(provider_for_domain("gmaіl.com")) is None
    assert _id(provider_for_domain("yahoo.xn--p1ai")) is None


def _idna_form(domain: str) -> str | None:
    """What normalise_domain gave before it had a path of its own for plain ASCII."""
    import idna

    text = domain.strip()
    text = text[:-1] if text.endswith(".") else text
    if not text or text.startswith(".") or "@" in text:
        return None
    try:
        return idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        return None


@pytest.mark.parametrize(
    "domain",
    [
        "smtp.gmail.com",
        "SMTP.Gmail.COM",
        "a-b.example",
        "ab--cd.example",  # hyphens in the 3rd and 4th place: not a valid label
        "xn--bcher-kva.de",
        "XN--BCHER-KVA.DE",
        "xn--zz.de",  # not valid punycode
        "-a.example",
        "a-.example",
        "a..b",
        "a_b.example",
        "a b.example",
        "1.2.3.4",
        "x" * 63 + ".com",
        "x" * 64 + ".com",
        ".".join(["a" * 61] * 4),  # 247 characters
        ".".join(["a" * 62] * 4) + ".abcd",  # 256 characters
    ],
)
def test_plain_ascii_domains_get_what_idna_gives(domain: str) -> None:
    assert normalise_domain(domain) == _idna_form(domain)


@given(st.text(alphabet="aZ09-._ @", max_size=30))
@settings(max_examples=300, deadline=None)
def test_every_ascii_text_gets_what_idna_gives(text: str) -> None:
    """The plain-ASCII path (which imports no idna) never disagrees with IDNA."""
    assert normalise_domain(text) == _idna_form(text)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("someone@gmail.com", "gmail"),
        ("Some.One+tag@GoogleMail.com", "gmail"),
        ("  me@Yahoo.co.uk  ", "yahoo"),
        ("me@hotmail.co.uk", "outlook"),
        ("me@me.com", "icloud"),
        ('"odd@local"@fastmail.fm', "fastmail"),
        ("me@example.com", None),
        ("gmail.com", None),
        ("@gmail.com", None),
        ("me@", None),
        ("", None),
        ("Me <me@gmail.com>", None),
    ],
)
def test_provider_for_address(address: str, expected: str | None) -> None:
    assert _id(provider_for_address(address)) == expected


@pytest.mark.parametrize(
    ("mx_host", "expected"),
    [
        ("aspmx.l.google.com.", "google-workspace"),
        ("ALT1.ASPMX.L.GOOGLE.COM", "google-workspace"),
        ("aspmx2.googlemail.com", "google-workspace"),
        ("smtp.google.com", "google-workspace"),
        ("contoso-com.mail.protection.outlook.com.", "microsoft365"),
        ("contoso-com.o-v1.mx.microsoft", "microsoft365"),
        ("hotmail-com.olc.protection.outlook.com", "outlook"),
        ("mta5.am0.yahoodns.net", "yahoo"),
        ("mx01.mail.icloud.com", "icloud"),
        ("mx.zoho.com", "zoho"),
        ("mx2.zoho.eu", "zoho"),
        ("mx.zoho.com.au", "zoho"),
        ("in1-smtp.messagingengine.com", "fastmail"),
        # misses: not on a label boundary, or the suffix inside another domain
        ("mx.notgoogle.com", None),
        ("google.com.evil.org", None),
        ("evilmessagingengine.com", None),
        ("protection.outlook.com", None),
        ("mx.example.net", None),
        ("", None),
        ("bad host", None),
    ],
)
def test_provider_for_mx(mx_host: str, expected: str | None) -> None:
    assert _id(provider_for_mx(mx_host)) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("smtp.gmail.com", "gmail"),
        ("SMTP.Gmail.COM.", "gmail"),
        ("smtp.mail.yahoo.com", "yahoo"),
        ("smtp-mail.outlook.com", "outlook"),
        ("smtp.office365.com", "microsoft365"),
        ("smtp.mail.me.com", "icloud"),
        ("smtp.zoho.com", "zoho"),
        ("smtp.zoho.eu", "zoho"),
        ("smtppro.zoho.in", "zoho"),
        ("smtp.fastmail.com", "fastmail"),
        ("gmail.com", None),
        ("smtp.gmail.com.evil.org", None),
        ("evil-smtp.gmail.com", None),
        ("mail.example.com", None),
        ("", None),
        ("   ", None),
    ],
)
def test_provider_for_host(host: str, expected: str | None) -> None:
    assert _id(provider_for_host(host)) == expected


@pytest.mark.parametrize(
    ("domain", "pattern", "expected"),
    [
        ("yahoo.com", "yahoo.*", True),
        ("yahoo.de", "yahoo.*", True),
        ("yahoo.co.in", "yahoo.*", True),
        ("yahoo.com.mx", "yahoo.*", True),
        ("yahoo.net", "yahoo.*", False),
        ("yahoo.org.uk", "yahoo.*", False),
        ("yahoo.co.uk.com", "yahoo.*", False),
        ("xyahoo.com", "yahoo.*", False),
        ("a.b.onmicrosoft.com", "*.onmicrosoft.com", True),
        ("onmicrosoft.com", "*.onmicrosoft.com", False),
        ("xonmicrosoft.com", "*.onmicrosoft.com", False),
        ("me.com", "me.com", True),
        ("some.me.com", "me.com", False),
    ],
)
def test_domain_patterns(domain: str, pattern: str, expected: bool) -> None:
    assert domain_matches(domain, pattern) is expected


# --- loading and validation ---------------------------------------------------------------


def _valid() -> dict[str, Any]:
    return {
        "provider": [
            {
                "id": "mail-one",
                "name": "Mail One",
                "hint": "A test provider",
                "protocol": "smtp",
                "host": "smtp.one.example",
                "port": 465,
                "security": "tls",
                "app_password": True,
                "guidance": "one",
                "certificate_checks_required": True,
                "notes": "Use an app password.",
                "domains": ["one.example", "one.*"],
                "excluded_domains": ["one.co.jp"],
                "mx_suffixes": ["mx.one.example", "one.example"],
                "alternatives": [
                    {
                        "host": "smtp.one.example",
                        "port": 587,
                        "security": "starttls",
                        "label": "Port 587",
                    }
                ],
            },
            {
                "id": "custom",
                "name": "Other",
                "hint": "Type it in",
                "protocol": "smtp",
                "host": "",
                "port": 25,
                "security": "none",
                "app_password": False,
                "guidance": "",
                "certificate_checks_required": False,
            },
            {
                "id": "http",
                "name": "Relay",
                "hint": "A URL",
                "protocol": "http",
                "host": "",
                "port": 443,
                "security": "tls",
                "app_password": False,
                "guidance": "",
                "certificate_checks_required": True,
            },
        ]
    }


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "providers.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_a_small_valid_catalogue_loads_from_a_path(tmp_path: Path) -> None:
    loaded = load_catalogue(_write(tmp_path, _valid()))
    assert [provider.id for provider in loaded] == ["mail-one", "custom", "http"]
    one = loaded[0]
    assert one.alternatives == (Endpoint("smtp.one.example", 587, "starttls", "Port 587"),)
    assert one.notes == "Use an app password."
    assert loaded[1].notes == "" and loaded[1].domains == () and loaded[1].alternatives == ()
    # The look-up helpers work on any catalogue, with the same rules.
    assert _id(find_by_domain(loaded, "ONE.example")) == "mail-one"
    assert _id(find_by_domain(loaded, "one.fr")) == "mail-one"
    assert find_by_domain(loaded, "one.co.jp") is None
    assert _id(find_by_mx(loaded, "a.mx.one.example")) == "mail-one"
    assert _id(find_by_host(loaded, "smtp.one.example")) == "mail-one"
    assert find_by_host(loaded, "") is None


def test_the_longest_mx_suffix_wins(tmp_path: Path) -> None:
    data = _valid()
    second = copy.deepcopy(data["provider"][0])
    second.update(id="mail-two", domains=[], excluded_domains=[], mx_suffixes=["deep.one.example"])
    data["provider"].insert(1, second)
    loaded = load_catalogue(_write(tmp_path, data))
    assert _id(find_by_mx(loaded, "mx.deep.one.example")) == "mail-two"
    assert _id(find_by_mx(loaded, "mx.other.one.example")) == "mail-one"


def _mutate(change: str) -> dict[str, Any]:
    """The valid catalogue with one mistake, named by `change`."""
    data = _valid()
    one = data["provider"][0]
    if change == "unknown key":
        one["prot"] = "smtp"
    elif change == "port as text":
        one["port"] = "465"
    elif change == "port zero":
        one["port"] = 0
    elif change == "port too big":
        one["port"] = 70000
    elif change == "port as bool":
        one["port"] = True
    elif change == "bad security":
        one["security"] = "ssl"
    elif change == "missing key":
        del one["certificate_checks_required"]
    elif change == "bad protocol":
        one["protocol"] = "imap"
    elif change == "flag as text":
        one["app_password"] = "yes"
    elif change == "domains not a list":
        one["domains"] = "one.example"
    elif change == "bad domain pattern":
        one["domains"] = ["*one.example"]
    elif change == "upper-case host":
        one["host"] = "SMTP.one.example"
    elif change == "empty host":
        one["host"] = ""
    elif change == "hint on two lines":
        one["hint"] = "two\nlines"
    elif change == "bad id":
        one["id"] = "Mail One"
    elif change == "checks optional":
        one["certificate_checks_required"] = False
    elif change == "plaintext provider":
        one["security"] = "none"
    elif change == "alternative unknown key":
        one["alternatives"][0]["tls"] = True
    elif change == "alternative repeats primary":
        one["alternatives"][0].update(port=465, security="tls")
    elif change == "unclaimed exclusion":
        one["excluded_domains"] = ["two.example"]
    elif change == "http with host":
        data["provider"][2]["host"] = "relay.example"
    elif change == "custom requires checks":
        data["provider"][1]["certificate_checks_required"] = True
    elif change == "duplicate id":
        data["provider"].append(copy.deepcopy(data["provider"][2]))
    elif change == "duplicate domain":
        data["provider"][1]["domains"] = ["one.example"]
    elif change == "duplicate mx suffix":
        data["provider"][1]["mx_suffixes"] = ["one.example"]
    elif change == "unknown top-level key":
        data["providers"] = []
    else:  # pragma: no cover - a typo in the parameter list below
        raise AssertionError(change)
    return data


@pytest.mark.parametrize(
    ("change", "where", "key"),
    [
        ("unknown key", "'mail-one'", "'prot'"),
        ("port as text", "'mail-one'", "'port'"),
        ("port zero", "'mail-one'", "'port'"),
        ("port too big", "'mail-one'", "'port'"),
        ("port as bool", "'mail-one'", "'port'"),
        ("bad security", "'mail-one'", "'security'"),
        ("missing key", "'mail-one'", "'certificate_checks_required'"),
        ("bad protocol", "'mail-one'", "'protocol'"),
        ("flag as text", "'mail-one'", "'app_password'"),
        ("domains not a list", "'mail-one'", "'domains'"),
        ("bad domain pattern", "'mail-one'", "'domains'"),
        ("upper-case host", "'mail-one'", "'host'"),
        ("empty host", "'mail-one'", "'host'"),
        ("hint on two lines", "'mail-one'", "'hint'"),
        ("bad id", "provider #1", "'id'"),
        ("checks optional", "'mail-one'", "'certificate_checks_required'"),
        ("plaintext provider", "'mail-one'", "'security'"),
        ("alternative unknown key", "'mail-one', alternatives[1]", "'tls'"),
        ("alternative repeats primary", "'mail-one'", "'alternatives'"),
        ("unclaimed exclusion", "'mail-one'", "'excluded_domains'"),
        ("http with host", "'http'", "'host'"),
        ("custom requires checks", "'custom'", "'certificate_checks_required'"),
        ("duplicate id", "provider #4 'http'", "'id'"),
        ("duplicate domain", "'custom'", "'domains'"),
        ("duplicate mx suffix", "'custom'", "'mx_suffixes'"),
        ("unknown top-level key", "providers.toml", "'providers'"),
    ],
)
def test_a_malformed_catalogue_is_refused_naming_provider_and_key(
    tmp_path: Path, change: str, where: str, key: str
) -> None:
    path = _write(tmp_path, _mutate(change))
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(path)
    message = str(raised.value)
    assert str(path) in message
    assert where in message
    assert f"key {key}" in message


def test_wrong_type_message_says_what_was_found() -> None:
    with pytest.raises(CatalogueError, match=r"whole number from 1 to 65535, not the string '465'"):
        parse_catalogue(tomli_w.dumps(_mutate("port as text")), source="test.toml")


def test_unknown_key_message_lists_the_allowed_keys() -> None:
    with pytest.raises(
        CatalogueError, match=r"'prot' is not a catalogue key \(allowed: .*protocol"
    ):
        parse_catalogue(tomli_w.dumps(_mutate("unknown key")))


def test_text_that_is_not_toml_is_refused_with_its_source() -> None:
    with pytest.raises(CatalogueError, match=r"^broken\.toml: not valid TOML"):
        parse_catalogue("[[provider]\nid = ", source="broken.toml")


def test_an_empty_catalogue_is_refused() -> None:
    with pytest.raises(CatalogueError, match="key 'provider' is missing"):
        parse_catalogue("")
    with pytest.raises(CatalogueError, match="key 'provider' has no entries"):
        parse_catalogue("provider = []")


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(CatalogueError, match=r"nowhere\.toml: cannot be read"):
        load_catalogue(missing)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"group": "friends"}, "key 'group' must be one of"),
        ({"alternate_port": 2525}, "key 'alternate_port' is 2525, but no endpoint"),
        ({"api": "smtp"}, "key 'api' must be one of"),
        ({"steps": ["ok", ""]}, "key 'steps' must be non-empty lines"),
        ({"app_password": True, "guidance": ""}, "key 'steps' must say how to make"),
    ],
)
def test_the_turn_two_keys_are_checked(extra: dict[str, Any], problem: str) -> None:
    entry = {
        "id": "acme",
        "name": "Acme",
        "hint": "Acme mail",
        "protocol": "smtp",
        "host": "smtp.acme.example",
        "port": 587,
        "security": "starttls",
        "app_password": False,
        "guidance": "",
        "certificate_checks_required": True,
        **extra,
    }
    with pytest.raises(CatalogueError, match=problem):
        parse_catalogue(tomli_w.dumps({"provider": [entry]}))
