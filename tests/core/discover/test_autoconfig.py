"""Discovery from autoconfig files served by a local HTTPS server."""

from __future__ import annotations

import httpx
import pytest

from tests.core.discover.discovering import (
    ADDRESS,
    AUTOCONFIG_PATH,
    ON_LOOPBACK,
    WELL_KNOWN_PATH,
    Certs,
    HttpsServer,
    Page,
    autoconfig_xml,
    run,
)
from tui.core.discover.engine import (
    AutoconfigError,
    parse_autoconfig,
)

# ---------------------------------------------------------------------------------------
# Layer 4: autoconfig


async def test_autoconfig_prefers_ssl_and_fills_placeholders(certs: Certs) -> None:
    xml = autoconfig_xml(
        ("smtp.%EMAILDOMAIN%", "587", "STARTTLS", "%EMAILADDRESS%"),
        ("smtp.%EMAILDOMAIN%", "465", "SSL", "%EMAILLOCALPART%"),
    )
    pages = {("autoconfig.example.com", AUTOCONFIG_PATH): Page(xml)}
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    assert result.layers == ["catalogue", "mx", "srv", "autoconfig"]
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.port, suggestion.security) == (
        "smtp.example.com",
        465,
        "tls",
    )
    assert suggestion.username_hint == "jane.doe"
    assert suggestion.source == "autoconfig"
    assert not suggestion.needs_confirmation
    assert f"https://autoconfig.example.com:{web.port}{AUTOCONFIG_PATH}" in suggestion.why
    host, target = web.requests[0]
    assert host == f"autoconfig.example.com:{web.port}"
    assert target == f"{AUTOCONFIG_PATH}?emailaddress=jane.doe%40example.com"


async def test_autoconfig_falls_back_to_the_well_known_address(certs: Certs) -> None:
    xml = autoconfig_xml(("mail.example.com", "587", "STARTTLS", "%EMAILADDRESS%"))
    pages = {("example.com", WELL_KNOWN_PATH): Page(xml)}
    async with (
        HttpsServer(certs.server, pages) as web,
        httpx.AsyncClient(verify=certs.client, trust_env=False) as client,
    ):
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, http=client)
    suggestion = result.finished.suggestion
    assert suggestion is not None
    assert (suggestion.host, suggestion.security) == ("mail.example.com", "starttls")
    assert suggestion.username_hint == ADDRESS


def _autoconfig_page(body: bytes) -> dict[tuple[str, str], Page]:
    return {("autoconfig.example.com", AUTOCONFIG_PATH): Page(body)}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<clientConfig><emailProvider><outgoingServer type="smtp">
<hostname>&lol2;.example.com</hostname><port>465</port><socketType>SSL</socketType>
</outgoingServer></emailProvider></clientConfig>"""

EXTERNAL_ENTITY = autoconfig_xml(
    ("&host;", "465", "SSL", "%EMAILADDRESS%"),
    doctype='\n<!DOCTYPE clientConfig [<!ENTITY host SYSTEM "file:///etc/hostname">]>',
)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<clientConfig><emailProvider>", "bad XML"),
        (b"this is not xml at all", "bad XML"),
        (BILLION_LAUGHS, "refused: the file declares a DTD or entities"),
        (EXTERNAL_ENTITY, "refused: the file declares a DTD or entities"),
        (b"<html><body>Welcome</body></html>", "not an autoconfig file (root element <html>)"),
        (
            autoconfig_xml(("smtp.example.com", "25", "plain", "%EMAILADDRESS%")),
            "it offers only an unencrypted server, which mailwiz never suggests",
        ),
        (
            autoconfig_xml(("smtp.example.com", "99999", "SSL", "x")),
            "no usable SMTP server in the file",
        ),
        ("<clientConfig/>".encode("utf-16"), "not UTF-8 text"),
    ],
)
async def test_autoconfig_that_cannot_be_used_falls_through(
    certs: Certs, body: bytes, problem: str
) -> None:
    async with HttpsServer(certs.server, _autoconfig_page(body)) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    autoconfig = result.ended["autoconfig"]
    assert not autoconfig.found
    assert autoconfig.detail == f"autoconfig.example.com: {problem}; example.com: HTTP 404"
    assert result.layers[-1] == "probe"
    assert result.finished.suggestion is None


async def test_autoconfig_with_a_certificate_for_another_name_is_not_used(
    certs: Certs,
) -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%"))
    async with HttpsServer(certs.wrong_name, _autoconfig_page(xml)) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    detail = result.ended["autoconfig"].detail
    assert detail.startswith("autoconfig.example.com: certificate not valid (")
    assert "Hostname mismatch" in detail
    assert result.finished.suggestion is None


async def test_autoconfig_that_never_answers_times_out(certs: Certs) -> None:
    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(hang=True),
        ("example.com", WELL_KNOWN_PATH): Page(hang=True),
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run(
            {},
            addresses=ON_LOOPBACK,
            https_port=web.port,
            ssl_context=certs.client,
            http_timeout=0.5,
        )
    assert result.ended["autoconfig"].detail == "timed out"
    assert result.layers[-1] == "probe"


async def test_autoconfig_follows_https_redirects_but_not_plain_http(certs: Certs) -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%EMAILADDRESS%"))
    moved = "/moved/config-v1.1.xml"
    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(status=302, headers={"Location": moved}),
        ("autoconfig.example.com", moved): Page(xml),
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    assert result.finished.suggestion is not None
    assert result.finished.suggestion.source == "autoconfig"

    pages = {
        ("autoconfig.example.com", AUTOCONFIG_PATH): Page(
            status=301, headers={"Location": "http://autoconfig.example.com/x.xml"}
        )
    }
    async with HttpsServer(certs.server, pages) as web:
        result = await run({}, addresses=ON_LOOPBACK, https_port=web.port, ssl_context=certs.client)
    assert result.ended["autoconfig"].detail == (
        "autoconfig.example.com: redirects to plain http (not followed); example.com: HTTP 404"
    )


async def test_autoconfig_of_a_name_that_does_not_resolve() -> None:
    result = await run({})
    assert result.ended["autoconfig"].detail == (
        "autoconfig.example.com does not resolve; example.com does not resolve"
    )


def test_parse_autoconfig_keeps_unknown_placeholders_out_of_the_username() -> None:
    xml = autoconfig_xml(("smtp.example.com", "465", "SSL", "%REALNAME%"))
    server = parse_autoconfig(xml, "jane@example.com")
    assert server.username == "jane@example.com"


def test_parse_autoconfig_refuses_a_lowercase_doctype_too() -> None:
    with pytest.raises(AutoconfigError, match="DTD"):
        parse_autoconfig(b"<!doctype clientConfig><clientConfig/>", "jane@example.com")


def test_parse_autoconfig_ignores_a_server_with_a_bad_hostname() -> None:
    xml = autoconfig_xml(
        ("not a host", "465", "SSL", "%EMAILADDRESS%"),
        ("smtp.example.com", "587", "STARTTLS", "%EMAILADDRESS%"),
    )
    server = parse_autoconfig(xml, "jane@example.com")
    assert (server.host, server.port, server.security) == ("smtp.example.com", 587, "starttls")
