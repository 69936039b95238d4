"""diagnose(): certificate failures."""

from __future__ import annotations

import pytest

from tests.core.diagnose.diagnosing import (
    smtp_settings,
    text,
)
from tui.core.diagnose.handlers import (
    diagnose,
)
from tui.core.events import CertificateInfo, Failure, FailureKind
from tui.core.providers import get_provider

# --------------------------------------------------------------------------- certificates


def test_certificate_for_another_name_when_an_ip_address_was_typed() -> None:
    cert = CertificateInfo(
        names=("mail.example.org", "smtp.example.org"),
        not_before="Jan  1 00:00:00 2025 GMT",
        not_after="Jan  1 00:00:00 2099 GMT",
        issuer="Example CA",
        reason="IP address mismatch, certificate is not valid for '192.0.2.7'.",
    )
    s = smtp_settings(host="192.0.2.7")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
    assert "another name" in d.title
    assert "mail.example.org" in d.cause and "smtp.example.org" in d.cause
    assert "IP address" in d.fix and "host name" in d.fix and "mail.example.org" in d.fix
    assert "2099" in d.cause
    assert d.field == "smtp.host"


def test_certificate_name_mismatch_is_found_from_the_names_alone() -> None:
    cert = CertificateInfo(names=("*.shared-host.net",), reason="certificate verify failed")
    d = diagnose(
        Failure(FailureKind.CERTIFICATE, "starttls", certificate=cert),
        smtp_settings(host="mail.mydomain.org"),
    )
    assert "another name" in d.title
    assert "*.shared-host.net" in d.fix


def test_wildcard_certificate_covering_the_host_is_not_a_mismatch() -> None:
    cert = CertificateInfo(names=("*.example.org",), reason="self-signed certificate")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "not trusted" in d.title


def test_expired_certificate_shows_its_dates() -> None:
    cert = CertificateInfo(
        names=("mail.example.org",),
        not_before="Jan  1 00:00:00 2020 GMT",
        not_after="Jan  1 00:00:00 2021 GMT",
        reason="certificate has expired",
    )
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "expired on Jan  1 00:00:00 2021 GMT" in d.title
    assert "2020" in d.cause
    assert "clock" in d.fix and "renew" in d.fix


def test_expired_is_found_from_the_date_even_without_a_reason() -> None:
    cert = CertificateInfo(names=("mail.example.org",), not_after="2001-01-01T00:00:00Z")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "expired" in d.title


def test_self_signed_on_own_server_offers_ca_file_then_the_risky_option() -> None:
    cert = CertificateInfo(
        names=("mail.example.org",), issuer="mail.example.org", reason="self-signed certificate"
    )
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), smtp_settings())
    assert "not trusted" in d.title
    assert "CA file" in d.fix
    assert "Do not validate TLS certificate" in d.fix
    assert "Warning" in d.fix
    assert d.fix.index("CA file") < d.fix.index("Do not validate")
    assert d.field == "smtp.ca_file"


@pytest.mark.parametrize("provider", ["gmail", "yahoo", "microsoft365", "icloud"])
def test_never_suggest_disabling_checks_for_a_catalogue_provider(provider: str) -> None:
    p = get_provider(provider)
    s = smtp_settings(provider=provider, host=p.host, port=p.port, security=p.security)
    for reason, names in [
        ("self-signed certificate in certificate chain", (p.host,)),
        ("unable to get local issuer certificate", (p.host,)),
        ("Hostname mismatch", ("proxy.corp.local",)),
        ("certificate has expired", (p.host,)),
    ]:
        cert = CertificateInfo(names=names, reason=reason, issuer="Corp Proxy CA")
        d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
        assert "Do not validate" not in text(d)
        assert "ca file" not in text(d).lower()
    assert "intercept" in text(d)


def test_untrusted_catalogue_certificate_blames_interception() -> None:
    p = get_provider("gmail")
    s = smtp_settings(provider="gmail", host=p.host, port=465, security="tls")
    cert = CertificateInfo(names=(p.host,), reason="self-signed certificate in certificate chain")
    d = diagnose(Failure(FailureKind.CERTIFICATE, "tls", certificate=cert), s)
    assert "antivirus" in d.fix
    assert "Do not turn off certificate checks" in d.fix
