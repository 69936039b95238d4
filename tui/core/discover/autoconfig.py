"""Layer 4: a Thunderbird-format autoconfig file, over https only, from autoconfig.<domain>,
then <domain>/.well-known; only its SMTP part is read. An answer reached through a redirect
to another host is flagged and its real source named."""

from __future__ import annotations

import asyncio
import re
import ssl
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from tui.core.discover.model import (
    CONTROL_RE,
    MAX_AUTOCONFIG_BYTES,
    MAX_REDIRECTS,
    Options,
    Outcome,
    Security,
    Suggestion,
    Target,
    parse_target,
)
from tui.core.keys import SECURITY_WORDS
from tui.core.providers import (
    CUSTOM_ID,
    normalise_domain,
    provider_for_host,
)
from tui.core.texts import Texts
from tui.core.tls import system_context

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

# -- layer 4: autoconfig ------------------------------------------------------------------


_PLACEHOLDER_RE = re.compile(r"%[A-Za-z]+%")


class AutoconfigError(ValueError):
    """An autoconfig file that cannot be used; the message says why in a few words."""


@dataclass(frozen=True)
class OutgoingServer:
    """The usable SMTP server of an autoconfig file, placeholders filled in."""

    host: str
    port: int
    security: Security
    username: str


def _fill(text: str, target: Target) -> str:
    return (
        text.replace("%EMAILADDRESS%", target.address)
        .replace("%EMAILLOCALPART%", target.local)
        .replace("%EMAILDOMAIN%", target.domain_text)
    )


def parse_autoconfig(data: bytes, address: str) -> OutgoingServer:
    """The SMTP server an autoconfig file (Thunderbird's clientConfig 1.1) offers `address`.

    Only `emailProvider/outgoingServer[@type="smtp"]` is read; implicit TLS ("SSL") is
    preferred to STARTTLS and "plain" is never chosen. A file with a DTD or an entity
    declaration is refused before parsing (no entity expansion, no external fetches).
    Raises AutoconfigError (its message: why, in a few words).
    """
    target = parse_target(address)
    if len(data) > MAX_AUTOCONFIG_BYTES:
        raise AutoconfigError(say("autoconfig.too-large"))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AutoconfigError("not UTF-8 text") from None
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise AutoconfigError(say("autoconfig.dtd"))
    try:
        # A str is parsed as it is: an encoding declaration cannot change what we checked.
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise AutoconfigError("bad XML") from None
    if root.tag != "clientConfig":
        raise AutoconfigError(say("autoconfig.not-autoconfig", tag=root.tag[:40]))

    candidates: dict[Security, OutgoingServer] = {}
    plain = False
    for element in root.findall("./emailProvider/outgoingServer"):
        if element.get("type", "").lower() != "smtp":
            continue
        socket_type = (element.findtext("socketType") or "").strip().upper()
        security: Security
        if socket_type == "SSL":
            security = "tls"
        elif socket_type == "STARTTLS":
            security = "starttls"
        else:
            plain = plain or socket_type == "PLAIN"
            continue
        host = normalise_domain(_fill((element.findtext("hostname") or "").strip(), target))
        port_text = (element.findtext("port") or "").strip()
        if host is None or "." not in host or not port_text.isdigit():
            continue
        port = int(port_text)
        if not 1 <= port <= 65535:
            continue
        username = _fill((element.findtext("username") or "").strip(), target)
        if not username or _PLACEHOLDER_RE.search(username) or CONTROL_RE.search(username):
            username = target.address
        candidates.setdefault(security, OutgoingServer(host, port, security, username))
    for security in ("tls", "starttls"):
        if security in candidates:
            return candidates[security]
    if plain:
        raise AutoconfigError(say("autoconfig.unencrypted-only"))
    raise AutoconfigError(say("autoconfig.no-server"))


def _certificate_problem(error: BaseException) -> str | None:
    """The verify message of a certificate failure somewhere in `error`'s chain."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return str(link.verify_message or link.reason or say("autoconfig.not-valid"))
    for link in chain:
        text = str(link)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            _before, _marker, reason = text.partition("certificate verify failed: ")
            return reason.split(" (_ssl.c")[0] or say("autoconfig.not-valid")
    return None


async def _fetch(
    client: httpx.AsyncClient, options: Options, url: httpx.URL
) -> tuple[bytes | None, str, httpx.URL]:
    """(file, "", where it really came from) or (None, what went wrong, the last URL asked).
    Follows up to MAX_REDIRECTS https redirects."""
    for _hop in range(MAX_REDIRECTS + 1):
        host = url.host
        headers = {"Accept": "application/xml, text/xml"}
        extensions: dict[str, object] = {}
        request_url = url
        if options.addresses is not None:
            address = options.addresses.get(host)
            if address is None:
                return None, say("autoconfig.unresolved", host=host), url
            request_url = url.copy_with(host=address)
            # The name still decides the Host header, SNI and the certificate check; a
            # fresh connection each time, so no connection made for one name serves another.
            headers["Host"] = url.netloc.decode("ascii")
            headers["Connection"] = "close"
            extensions["sni_hostname"] = host
        try:
            async with client.stream(
                "GET",
                request_url,
                headers=headers,
                extensions=extensions,
                follow_redirects=False,
            ) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    try:
                        next_url = url.join(location)
                    except httpx.InvalidURL:
                        return None, say("autoconfig.bad-redirect", host=host), url
                    if next_url.scheme != "https":
                        return None, say("autoconfig.plain-redirect", host=host), url
                    url = next_url
                    continue
                if response.status_code != 200:
                    status = response.status_code
                    return None, say("autoconfig.http-status", host=host, status=status), url
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_AUTOCONFIG_BYTES:
                        return None, say("autoconfig.file-too-large", host=host), url
                return bytes(body), "", url
        except httpx.TimeoutException:
            return None, say("autoconfig.timed-out", host=host), url
        except (httpx.HTTPError, ssl.SSLError, OSError) as error:
            problem = _certificate_problem(error)
            if problem is not None:
                return None, say("autoconfig.certificate", host=host, problem=problem), url
            if isinstance(error, httpx.ConnectError):
                return None, say("autoconfig.no-connect", host=host), url
            return None, say("autoconfig.failed", host=host, error=type(error).__name__), url
    return None, say("autoconfig.too-many-redirects", host=url.host), url


async def _autoconfig_one(
    client: httpx.AsyncClient, options: Options, target: Target, url: httpx.URL
) -> tuple[Suggestion | None, str]:
    data, problem, source = await _fetch(client, options, url)
    if data is None:
        return None, problem
    shown = str(url.copy_with(query=None))
    real = str(source.copy_with(query=None))
    try:
        server = parse_autoconfig(data, target.address)
    except AutoconfigError as error:
        return None, f"{source.host}: {error}"
    provider = provider_for_host(server.host)
    security = SECURITY_WORDS[server.security]
    words = say("autoconfig.words", host=server.host, port=server.port, security=security)
    detail = f"{url.host}: {server.host}:{server.port} ({server.security})"
    redirected = source.host != url.host
    outside = redirected and not _inside(source.host, target.domain)
    if redirected:
        # The answer is the other host's word, not the domain's: say whose, and let the
        # user decide when that host is outside the domain.
        domain = target.domain
        why = say("autoconfig.redirected-why", domain=domain, shown=shown, real=real, words=words)
        if outside:
            why += say("autoconfig.outside-why", host=source.host, domain=domain)
        detail = say(
            "autoconfig.redirected",
            asked=url.host,
            host=source.host,
            server=server.host,
            port=server.port,
        )
        if outside:
            detail += say("autoconfig.outside")
    else:
        why = say("autoconfig.why", domain=target.domain, shown=shown, words=words)
    suggestion = Suggestion(
        host=server.host,
        port=server.port,
        security=server.security,
        provider_id=provider.id if provider is not None else CUSTOM_ID,
        username_hint=server.username,
        source="autoconfig",
        why=why,
        needs_confirmation=outside,
        origin=real,
        redirected=redirected,
    )
    return suggestion, detail


def _inside(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


async def autoconfig_layer(target: Target, options: Options) -> Outcome:
    domain = target.domain
    port = "" if options.https_port == 443 else f":{options.https_port}"
    urls = (
        httpx.URL(
            f"https://autoconfig.{domain}{port}/mail/config-v1.1.xml",
            params={"emailaddress": target.address},
        ),
        httpx.URL(f"https://{domain}{port}/.well-known/autoconfig/mail/config-v1.1.xml"),
    )
    if options.http is not None:
        return await _autoconfig_with(options.http, options, target, urls)
    verify = options.ssl_context or system_context()
    async with httpx.AsyncClient(
        verify=verify,
        trust_env=options.addresses is None,
        timeout=options.http_timeout,
        follow_redirects=False,
    ) as client:
        return await _autoconfig_with(client, options, target, urls)


async def _autoconfig_with(
    client: httpx.AsyncClient, options: Options, target: Target, urls: Sequence[httpx.URL]
) -> Outcome:
    # Both places are asked at once; the first one's answer wins when it has one.
    tasks = [asyncio.create_task(_autoconfig_one(client, options, target, url)) for url in urls]
    details: list[str] = []
    try:
        for task in tasks:
            suggestion, detail = await task
            details.append(detail)
            if suggestion is not None:
                return Outcome(True, detail, (suggestion,))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return Outcome(False, "; ".join(details))
