"""Loading and validating a providers file (tui/core/providers_file.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tui.core.providers import (
    CatalogueError,
    Endpoint,
    Provider,
    find_by_domain,
    find_by_host,
    find_by_mx,
    load_catalogue,
    parse_catalogue,
)


def _id(provider: Provider | None) -> str | None:
    return None if provider is None else provider.id


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
