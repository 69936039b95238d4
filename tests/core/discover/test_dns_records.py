"""Discovery from DNS: MX records, then SRV records, against a local DNS server."""

from __future__ import annotations

import pytest

from tests.core.discover.discovering import (
    ADDRESS,
    AUTOCONFIG_PATH,
    ON_LOOPBACK,
    Certs,
    HttpsServer,
    Page,
    autoconfig_xml,
    run,
)
from tests.dns_server import Behaviour

# ---------------------------------------------------------------------------------------
# Layer 2: MX records


async def test_mx_of_google_means_google_workspace() -> None:
    result = await run(
        {"example.com": {"MX": ["20 alt1.aspmx.l.google.com.", "10 aspmx.l.google.com."]}}
    )
    assert result.layers == ["catalogue", "mx"]
    assert result.ended["mx"].detail == "aspmx.l.google.com -> Google Workspace"
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert suggestion.provider_id == "google-workspace"
    assert (suggestion.host, suggestion.port, suggestion.security) == ("smtp.gmail.com", 465, "tls")
    assert suggestion.source == "mx"
    assert "aspmx.l.google.com" in suggestion.why and "Google Workspace" in suggestion.why
    assert suggestion.username_hint == ADDRESS
    assert not suggestion.needs_confirmation


async def test_mx_in_a_region_picks_that_regions_server() -> None:
    result = await run({"example.com": {"MX": ["10 mx.zoho.eu.", "20 mx2.zoho.eu."]}})
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.provider_id, suggestion.host) == ("zoho", "smtp.zoho.eu")
    assert "Europe" in suggestion.why


async def test_a_known_backup_mx_still_reveals_the_provider() -> None:
    result = await run(
        {
            "example.com": {
                "MX": ["10 filter.example.net.", "20 example-com.mail.protection.outlook.com."]
            }
        }
    )
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert suggestion.provider_id == "microsoft365"


async def test_mx_of_an_unknown_provider_falls_through_to_the_next_layers() -> None:
    result = await run({"example.com": {"MX": ["10 mx1.example.net.", "20 mx2.example.net."]}})
    assert result.layers == ["catalogue", "mx", "srv", "autoconfig", "probe"]
    mx = result.ended["mx"]
    assert not mx.found
    assert mx.detail == "mx1.example.net, mx2.example.net: not a provider mailwiz knows"
    assert result.finished.suggestion is None
    assert result.finished.fallback_host == "smtp.example.com"
    assert len(result.finished.tried) == 5
    assert result.finished.tried[1] == (
        "Looking up configuration: MX records of example.com:"
        " mx1.example.net, mx2.example.net: not a provider mailwiz knows"
    )


async def test_no_mx_records() -> None:
    result = await run({"example.com": {"A": ["127.0.0.1"]}})
    assert result.ended["mx"].detail == "no MX records"
    assert result.layers[-1] == "probe"


async def test_null_mx_is_reported_and_the_search_goes_on() -> None:
    result = await run({"example.com": {"MX": ["0 ."]}})
    assert result.ended["mx"].detail == "null MX: example.com says it receives no mail"
    assert result.layers[-1] == "probe"


async def test_a_dns_that_denies_every_name_is_broken_not_a_typo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = await run({}, domain_exists=False)
    assert result.layers == ["catalogue", "mx"]
    assert "the DNS looks broken" in result.ended["mx"].detail
    assert "typo" not in result.ended["mx"].detail
    assert result.finished.dns_failures  # so the command line prints its caveat
    from tui.commands.discover import print_suggestion

    print_suggestion(result.finished)
    assert "that may be the DNS failures" in capsys.readouterr().out


async def test_a_domain_that_does_not_exist_stops_the_search_with_a_typo_hint() -> None:
    result = await run({"example.org": {"MX": ["10 aspmx.l.google.com."]}}, domain_exists=False)
    assert result.layers == ["catalogue", "mx"]
    assert "example.com does not exist in DNS" in result.ended["mx"].detail
    assert "typo" in result.finished.tried[-1]
    assert result.finished.suggestion is None


@pytest.mark.parametrize(
    ("behaviour", "detail"),
    [
        ("timeout", "timed out"),
        # dnspython drops a reply it cannot parse (a forged one looks the same), so a
        # broken answer ends like a silent server.
        ("malformed", "timed out"),
        ("empty", "timed out"),
        ("servfail", "the DNS servers failed to answer"),
    ],
)
async def test_mx_lookup_that_fails_is_reported_and_the_search_goes_on(
    behaviour: Behaviour, detail: str
) -> None:
    result = await run(
        {"example.com": {"MX": ["10 aspmx.l.google.com."]}},
        behaviour={("example.com", "MX"): behaviour},
        dns_timeout=0.5,
    )
    assert result.ended["mx"].detail == detail
    assert not result.ended["mx"].found
    assert result.layers[-1] == "probe"


# ---------------------------------------------------------------------------------------
# Layer 3: SRV records


async def test_srv_submissions_inside_the_domain_is_trusted() -> None:
    result = await run(
        {
            "example.com": {"MX": ["10 mx1.example.net."]},
            "_submissions._tcp.example.com": {
                "SRV": ["10 1 465 backup.example.com.", "0 1 465 smtp.example.com."]
            },
            "_submission._tcp.example.com": {"SRV": ["0 1 587 smtp.example.com."]},
        }
    )
    assert result.layers == ["catalogue", "mx", "srv"]
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "smtp.example.com",
        465,
        "tls",
    )
    assert (suggestion.source, suggestion.provider_id) == ("srv", "custom")
    assert not suggestion.needs_confirmation
    assert "_submissions._tcp.example.com" in suggestion.why


async def test_srv_dot_target_means_no_service_so_starttls_record_is_used() -> None:
    result = await run(
        {
            "_submissions._tcp.example.com": {"SRV": ["0 0 0 ."]},
            "_submission._tcp.example.com": {"SRV": ["0 1 587 mail.example.com."]},
        }
    )
    srv = result.ended["srv"]
    assert srv.found
    assert '_submissions: "." (the domain says there is no such service)' in srv.detail
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "mail.example.com",
        587,
        "starttls",
    )


async def test_srv_dot_targets_only_fall_through() -> None:
    result = await run(
        {
            "_submissions._tcp.example.com": {"SRV": ["0 0 0 ."]},
            "_submission._tcp.example.com": {"SRV": ["0 0 0 ."]},
        }
    )
    assert not result.ended["srv"].found
    assert result.finished.suggestion is None


async def test_srv_pointing_elsewhere_needs_confirmation_and_is_offered_last() -> None:
    result = await run(
        {"_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.mailhost.example.net."]}}
    )
    # An unconfirmed answer does not stop the search: later layers may find a trusted one.
    assert result.layers == ["catalogue", "mx", "srv", "autoconfig", "probe"]
    assert result.ended["srv"].found
    assert "outside example.com: confirm it" in result.ended["srv"].detail
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert suggestion.host == "smtp.mailhost.example.net"
    assert suggestion.needs_confirmation
    assert "outside example.com" in suggestion.why


async def test_a_trusted_later_answer_wins_over_an_srv_pointing_elsewhere(
    certs: Certs,
) -> None:
    page = Page(autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%")))
    async with HttpsServer(
        certs.server, {("autoconfig.example.com", AUTOCONFIG_PATH): page}
    ) as web:
        result = await run(
            {"_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.mailhost.example.net."]}},
            addresses=ON_LOOPBACK,
            https_port=web.port,
            ssl_context=certs.client,
            probe_hosts=(),
        )
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.source, suggestion.host) == ("autoconfig", "smtp.example.com")
    assert not suggestion.needs_confirmation


async def test_srv_timeout() -> None:
    result = await run(
        {"_submissions._tcp.example.com": {"SRV": ["0 1 465 smtp.example.com."]}},
        behaviour={"_submissions._tcp.example.com": "timeout"},
        dns_timeout=0.5,
    )
    srv = result.ended["srv"]
    assert not srv.found
    assert srv.detail == "_submissions: timed out; _submission: no record"
