"""Discovery's last layer: probing the likely hosts' submission ports."""

from __future__ import annotations

import socket

import pytest

from tests.core.discover.discovering import (
    Certs,
    SmtpServer,
    free_port,
    run,
    smtp_servers,
)
from tui.core.discover.engine import (
    ProbePorts,
    probe_servers,
)

# ---------------------------------------------------------------------------------------
# Layer 5: the probe


async def test_probe_prefers_implicit_tls_even_when_starttls_answers_first(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server, delay=0.3)
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(tls, starttls) as ports:
        result = await run(
            {},
            addresses={"smtp.example.com": "127.0.0.1"},
            ports=ports,
            ssl_context=certs.client,
        )
    probe = result.ended["probe"]
    assert probe.found
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "smtp.example.com",
        ports.tls,
        "tls",
    )
    assert (suggestion.source, suggestion.provider_id) == ("probe", "custom")
    assert "valid certificate" in suggestion.why
    assert f"mail.example.com:{ports.tls} does not resolve" in probe.detail


async def test_probe_uses_starttls_when_implicit_tls_is_refused(certs: Certs) -> None:
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(None, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert [r.outcome for r in report.results] == ["refused", "ok"]
    assert report.best is not None
    assert (report.best.port, report.best.security) == (ports.starttls, "starttls")
    assert starttls.commands[-1] == "QUIT"


async def test_probe_never_sends_credentials(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server)
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(tls, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
        # The STARTTLS probe may have been stopped early; let it run on its own too.
        alone = await probe_servers(
            ["smtp.example.com"],
            ports=ProbePorts(tls=free_port(), starttls=ports.starttls),
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert report.best is not None and alone.best is not None
    assert alone.best.security == "starttls"
    commands = tls.commands + starttls.commands
    assert "STARTTLS" in starttls.commands  # the STARTTLS path really ran
    verbs = {command.split(" ")[0].upper() for command in commands}
    assert verbs <= {"EHLO", "STARTTLS", "QUIT"}
    assert not any("AUTH" in command.upper() for command in commands)
    # EHLO names no host of this computer, only the connection's address.
    assert all(c in ("EHLO [127.0.0.1]", "STARTTLS", "QUIT") for c in commands)


async def test_a_blackholed_port_is_cut_off_at_the_deadline(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.server, silent=True)
    starttls = SmtpServer(starttls=certs.server)
    async with smtp_servers(tls, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=1.5,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    tls_result, starttls_result = report.results
    assert tls_result.outcome == "timeout"
    assert tls_result.detail == "no answer within 1.5 s"
    assert starttls_result.outcome == "ok"
    assert report.best == starttls_result


async def test_a_probe_with_a_bad_certificate_is_reported_not_suggested(certs: Certs) -> None:
    tls = SmtpServer(implicit=certs.wrong_name)
    starttls = SmtpServer(starttls=certs.wrong_name)
    async with smtp_servers(tls, starttls) as ports:
        result = await run(
            {},
            addresses={"smtp.example.com": "127.0.0.1"},
            ports=ports,
            ssl_context=certs.client,
            probe_hosts=["smtp.example.com"],
        )
    assert result.finished.suggestion is None
    detail = result.ended["probe"].detail
    assert f"smtp.example.com:{ports.tls} certificate not valid (Hostname mismatch" in detail
    assert f"smtp.example.com:{ports.starttls} certificate not valid (Hostname mismatch" in detail


async def test_a_server_without_starttls_is_never_suggested(certs: Certs) -> None:
    plain = SmtpServer()  # speaks SMTP, offers no STARTTLS
    async with smtp_servers(None, plain) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert report.best is None
    assert report.results[1].outcome == "no-starttls"
    assert plain.commands == ["EHLO [127.0.0.1]"]  # nothing after: no STARTTLS, no AUTH


async def test_implicit_tls_probe_of_a_plain_port_fails_as_tls(certs: Certs) -> None:
    plain = SmtpServer(starttls=certs.server)
    async with smtp_servers(plain, None) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert report.results[0].outcome == "tls"
    assert report.best is None


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")
async def test_probe_prefers_smtp_host_then_mail_host(certs: Certs) -> None:
    """smtp.example.com on 127.0.0.1 fails verification; mail.example.com on ::1 works."""
    bad = SmtpServer(implicit=certs.wrong_name)
    good = SmtpServer(implicit=certs.server, delay=0.2)
    port = await bad.start()
    try:
        await good.start("::1", port)
        report = await probe_servers(
            ["smtp.example.com", "mail.example.com"],
            ports=ProbePorts(tls=port, starttls=free_port()),
            timeout=2,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1", "mail.example.com": "::1"},
        )
    finally:
        bad.close()
        good.close()
    assert report.best is not None
    assert report.best.host == "mail.example.com"
    assert good.commands == ["EHLO [IPv6:::1]", "QUIT"]


async def test_less_preferred_probes_are_stopped_once_the_answer_is_known(
    certs: Certs,
) -> None:
    tls = SmtpServer(implicit=certs.server)
    starttls = SmtpServer(starttls=certs.server, silent=True)
    async with smtp_servers(tls, starttls) as ports:
        report = await probe_servers(
            ["smtp.example.com"],
            ports=ports,
            timeout=30,
            ssl_context=certs.client,
            addresses={"smtp.example.com": "127.0.0.1"},
        )
    assert [r.outcome for r in report.results] == ["ok", "skipped"]
