"""STARTTLS, certificates, the wrong security mode, and reading a certificate."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.core.transports.smtp.sending import (
    run,
)
from tests.servers import (
    USERNAME,
    Certs,
    Script,
    ScriptedServerFactory,
    SmtpServer,
    SmtpServerFactory,
    SocketServer,
)

# The server fixtures (tls_server, smtp_server, blackhole...) come from tests.servers,
# registered for every module by tests/conftest.py.
from tui.core.events import (
    FailureKind,
)
from tui.core.tls import peer_certificate_info
from tui.core.transports.smtp.engine import certificate_info

# ---------------------------------------------------------------------------------------
# STARTTLS


async def test_starttls_not_offered_stops_before_auth(smtp_server: SmtpServerFactory) -> None:
    # No TLS context: aiosmtpd offers neither STARTTLS nor (without TLS) AUTH.
    server: SmtpServer = smtp_server("none")
    result = await run(server.settings(security="starttls"))

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.NO_STARTTLS, "starttls")
    assert failure.exit_code == 15
    assert not any(text.startswith("AUTH") for text in result.sent())
    assert server.authenticator is not None and server.authenticator.mechanisms == []
    assert not server.received


async def test_starttls_answered_454_stops_before_auth(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(
        Script(ehlo=("250-mx.example.com", "250-STARTTLS", "250 AUTH PLAIN LOGIN"))
    )
    result = await run(server.settings(security="starttls", username=USERNAME))

    failure = result.failure
    assert (failure.kind, failure.stage, failure.code) == (FailureKind.NO_STARTTLS, "starttls", 454)
    assert not any(command.startswith(("AUTH", "MAIL")) for command in server.commands)


async def test_data_injected_after_starttls_220_is_refused(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(
        Script(
            ehlo=("250-mx.example.com", "250 STARTTLS"),
            replies={"STARTTLS": "220 2.0.0 Ready to start TLS\r\n250-AUTH PLAIN"},
        )
    )
    result = await run(server.settings(security="starttls", username=USERNAME))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TLS, "starttls")
    assert "after its 220" in result.failure.detail  # caught before the handshake
    assert not any(command.startswith("AUTH") for command in server.commands)


# ---------------------------------------------------------------------------------------
# Certificates and the wrong security mode


async def test_expired_certificate(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("starttls", cert="expired")
    result = await run(server.settings())

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.CERTIFICATE, "starttls")
    assert failure.exit_code == 14
    assert failure.certificate is not None
    assert "expired" in failure.certificate.reason
    assert failure.certificate.names == ("localhost", "127.0.0.1")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert failure.certificate.not_before < failure.certificate.not_after < now
    assert server.authenticator is not None and server.authenticator.mechanisms == []


async def test_certificate_for_another_name(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", cert="wrong_name")
    result = await run(server.settings())

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.CERTIFICATE, "tls")
    assert failure.certificate is not None
    assert failure.certificate.names == ("mail.example.org",)
    assert "mismatch" in failure.certificate.reason.lower()
    assert "mailwiz test CA" in failure.certificate.issuer


async def test_certificate_from_an_untrusted_ca(smtp_server: SmtpServerFactory) -> None:
    server: SmtpServer = smtp_server("tls", cert="untrusted")
    result = await run(server.settings())

    failure = result.failure
    assert failure.kind == FailureKind.CERTIFICATE
    assert failure.certificate is not None
    assert "someone else's CA" in failure.certificate.issuer
    assert failure.certificate.not_before and failure.certificate.not_after


async def test_without_the_ca_file_the_test_ca_is_not_trusted(tls_server: SmtpServer) -> None:
    result = await run(tls_server.settings(ca_file=""))
    assert result.failure.kind == FailureKind.CERTIFICATE


async def test_unreadable_ca_file_refuses_before_connecting(
    tls_server: SmtpServer, tmp_path: Path
) -> None:
    result = await run(tls_server.settings(ca_file=str(tmp_path / "missing.pem")))

    assert (result.failure.kind, result.failure.stage) == (FailureKind.CERTIFICATE, "tls")
    assert result.stages == []


async def test_plain_text_greeting_on_a_port_used_as_implicit_tls(
    scripted_server: ScriptedServerFactory,
) -> None:
    server: SocketServer = scripted_server(Script())
    result = await run(server.settings(security="tls", username=USERNAME))

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.TLS, "tls")
    assert failure.exit_code == 13
    assert failure.reply.startswith("220 scripted.example.com")
    assert "plain text" in failure.detail


async def test_implicit_tls_port_used_with_starttls(tls_server: SmtpServer) -> None:
    # The TLS port waits for a ClientHello; the client waits for a greeting. A second
    # connection finds out that the port speaks TLS, well before the deadline.
    result = await run(tls_server.settings(security="starttls", timeout=6))

    failure = result.failure
    assert (failure.kind, failure.stage) == (FailureKind.TLS, "greeting")
    assert "implicit TLS" in failure.detail
    assert tls_server.authenticator is not None and tls_server.authenticator.mechanisms == []


# ---------------------------------------------------------------------------------------
# Certificate parsing


@pytest.mark.parametrize("name", ["good", "expired", "wrong_name", "untrusted"])
def test_certificate_info_matches_the_ssl_module(certs: Certs, name: str, tmp_path: Path) -> None:
    pem = certs.cert_pems[name]
    path = tmp_path / "cert.pem"
    path.write_bytes(pem)
    # CPython's own decoder (used by its test suite) as the reference.
    decoded = ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]
    info = certificate_info(ssl.PEM_cert_to_DER_cert(pem.decode()), reason="why")

    expected_names = tuple(
        value if kind == "DNS" else value.rstrip() for kind, value in decoded["subjectAltName"]
    )
    assert info.names == expected_names
    assert info.reason == "why"

    def iso(text: str) -> str:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(text), UTC).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )

    assert info.not_before == iso(decoded["notBefore"])
    assert info.not_after == iso(decoded["notAfter"])
    issuer_org = dict(pair for rdn in decoded["issuer"] for pair in rdn)["organizationName"]
    assert f"O={issuer_org}" in info.issuer


@pytest.mark.parametrize("name", ["good", "expired", "wrong_name", "untrusted"])
def test_the_verified_peer_dict_reads_as_cryptography_does(
    certs: Certs, name: str, tmp_path: Path
) -> None:
    # A successful handshake describes the certificate from getpeercert()'s dict (no
    # cryptography loaded); it must say what the DER reading says.
    pem = certs.cert_pems[name]
    path = tmp_path / "cert.pem"
    path.write_bytes(pem)
    decoded = ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]
    expected = certificate_info(ssl.PEM_cert_to_DER_cert(pem.decode()), reason="why")

    assert peer_certificate_info(decoded, reason="why") == expected
    assert expected.names and expected.issuer and expected.not_after  # not two empties


def test_the_peer_dict_reading_escapes_and_never_raises() -> None:
    evil = {
        "subject": ((("commonName", "evil\x1b]0;owned\x07"),),),
        "issuer": ((("commonName", "ca\x1b[2J"),), (("organizationName", "Org"),)),
        "notAfter": "not a date",
    }
    info = peer_certificate_info(evil, reason="r")
    assert info.names == ("evil\\x1b]0;owned\\x07",)
    assert info.issuer == "CN=ca\\x1b[2J, O=Org"
    assert (info.not_after, info.reason) == ("", "r")
    assert peer_certificate_info(None) == peer_certificate_info({})


async def test_a_verified_send_names_the_certificate_in_the_transcript(
    starttls_server: SmtpServer,
) -> None:
    result = await run(starttls_server.settings())

    assert result.finished.ok, result.transcript
    assert "verified (names: localhost, 127.0.0.1; issuer: O=mailwiz test CA" in (result.transcript)
    assert "valid until ?" not in result.transcript


def test_certificate_info_never_raises_on_garbage() -> None:
    assert certificate_info(b"\x30\x82\xff\xff", reason="r").reason == "r"
    assert certificate_info(b"", reason="").names == ()
