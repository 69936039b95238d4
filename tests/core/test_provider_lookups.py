"""The catalogue's look-ups: by domain, address, host and MX, with IDNA and look-alike names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.providers import (
    Provider,
    domain_matches,
    normalise_domain,
    provider_for_address,
    provider_for_domain,
    provider_for_host,
    provider_for_mx,
)


def _id(provider: Provider | None) -> str | None:
    return None if provider is None else provider.id


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
