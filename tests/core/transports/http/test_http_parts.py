"""The HTTP side's parts: the multipart and HTML bodies, loopback hosts, certificates, URLs
shown without their keys."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.core.transports.http.sending import (
    collect,
    started,
)
from tests.relay_server import (
    Reply,
    relay_settings,
    serve,
)
from tui.cli import main
from tui.core.diagnose.handlers import diagnose
from tui.core.exits import Exit
from tui.core.hosts import is_loopback_host
from tui.core.message import Attachment, Outgoing
from tui.core.redact import redact_url
from tui.core.settings import load_settings, validate
from tui.core.tls import certificate_info
from tui.core.transports.http.api import html_body, message_text
from tui.core.transports.http.body import multipart_body, text_of
from tui.core.transports.http.classify import shorten_body

# --------------------------------------------------------------------------- helpers


def test_multipart_escapes_quotes_and_newlines_in_names() -> None:
    _, made = multipart_body(
        [("a", "1")], (Attachment('x"\r\ny.txt', "text/plain\r\nX: y", b"data"),), boundary="B"
    )
    body = made.getvalue()
    assert b'filename="x%22%0D%0Ay.txt"' in body
    assert b"Content-Type: text/plainX: y\r\n" in body
    assert body.count(b"\r\nX: y") == 0


def test_html_body_escapes_text() -> None:
    out = Outgoing(to="a@b.c", subject="s", text="a<b\r\nc & d")
    assert text_of(html_body(out, message_text(out))) == "a&lt;b<br>\nc &amp; d"


def test_shorten_body_strips_control_characters() -> None:
    assert shorten_body(b"bad\x1b[31m thing\x00\n") == "bad [31m thing"


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("localhost.example.org", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host: str, ok: bool) -> None:
    assert is_loopback_host(host) is ok


def test_certificate_info_reads_a_real_certificate(ca: trustme.CA) -> None:
    from cryptography import x509

    leaf = ca.issue_cert("mail.example.org", "*.example.net", "192.0.2.1", "2001:db8::1")
    pem = leaf.cert_chain_pems[0].bytes()
    der = ssl.PEM_cert_to_DER_cert(pem.decode())
    info = certificate_info(der, "why")
    parsed = x509.load_der_x509_certificate(der)
    assert info.names == ("mail.example.org", "*.example.net", "192.0.2.1", "2001:db8::1")
    assert parsed.not_valid_after_utc.strftime("%Y-%m-%d %H:%M:%S") in info.not_after
    assert parsed.not_valid_before_utc.strftime("%Y-%m-%d %H:%M:%S") in info.not_before
    assert info.issuer
    assert info.reason == "why"


def test_certificate_info_survives_garbage() -> None:
    assert certificate_info(b"\x30\x82\xff", "r").reason == "r"
    assert certificate_info(b"", "r").names == ()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://relay.example/send", "https://relay.example/send"),
        ("https://relay.example/send?key=abc123", "https://relay.example/send?key=[redacted]"),
        ("https://u:pw123@relay.example:8443/s", "https://u:[redacted]@relay.example:8443/s"),
    ],
)
def test_urls_are_shown_through_the_one_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


async def test_a_redirect_target_with_a_key_of_its_own_is_masked() -> None:
    reply = Reply(307, b"", {"Location": "https://relay2.example.org/send?token=Other123Key"})
    with serve(reply) as relay:
        _, done = await collect(relay_settings(f"http://127.0.0.1:{relay.port}/send"))
    assert done.failure is not None
    assert "Location: https://relay2.example.org/send?token=[redacted]" in done.failure.reply
    assert "Other123Key" not in repr(done)


async def test_an_unparsable_url_with_a_key_is_not_repeated() -> None:
    _, done = await collect(relay_settings("https://[relay/send?key=Broken123Key"))
    assert done.failure is not None and done.failure.stage == "resolve"
    assert "Broken123Key" not in repr(done)


async def test_http_is_refused_when_one_of_several_addresses_is_off_this_computer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A DNS answer that mixes this computer and another: every address must be loopback
    # (this test fails with any() in place of all(); checked by hand).
    real = asyncio.BaseEventLoop.getaddrinfo

    async def mixed(self: Any, host: str, port: Any, *args: Any, **kw: Any) -> Any:
        if host == "relay.localhost":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.7", port)),
            ]
        return await real(self, host, port, *args, **kw)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", mixed)
    with serve() as relay:
        events, done = await collect(relay_settings(f"http://relay.localhost:{relay.port}/send"))
    assert done.failure is not None and done.failure.stage == "resolve"
    assert "127.0.0.1, 192.0.2.7" in done.failure.reply
    assert relay.received == [] and started(events) == ["resolve"]


UNPARSABLE = ["https://[relay/send?key=Broken123Key", "https://[::1/send?key=Broken123Key"]


@pytest.mark.parametrize("url", UNPARSABLE)
def test_an_unparsable_relay_url_is_a_usage_error_that_never_shows_its_key(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        f'version = 1\nprotocol = "http"\nprovider = "http"\n[http]\nurl = "{url}"\n'
        '[sender]\naddress = "shop@example.org"\nreply_to = "orders@example.org"\n'
    )
    for argv in (["test"], ["test", "--json"], ["show"]):
        code = main([*argv, "--config", str(path)])
        out, err = capsys.readouterr()
        assert "Broken123Key" not in out + err, argv
        if argv[0] == "test":
            assert code == Exit.USAGE, (argv, out, err)  # not 1: not a bug
    problems = [p.message for p in validate(load_settings(path).settings)]
    assert any("URL" in p for p in problems) and "Broken123Key" not in repr(problems)


@pytest.mark.parametrize("url", UNPARSABLE)
async def test_an_unparsable_url_is_diagnosed_without_its_key(url: str) -> None:
    settings = relay_settings(url)
    _, done = await collect(settings)
    assert done.failure is not None
    d = diagnose(done.failure, settings)
    assert "Broken123Key" not in f"{d.title} {d.cause} {d.fix} {done!r}"
