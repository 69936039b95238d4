"""The four provider APIs against strict local stand-ins (tests/api_servers.py) over TLS."""

from __future__ import annotations

import base64
import json
import re
import ssl
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

import pytest
import trustme

from tests.api_servers import BUSY, KEY, MAILGUN_DOMAIN, Answer, Seen, serve_api
from tests.certificates import server_context, trusting
from tests.leaks import leak_forms
from tui.core.events import (
    Failure,
    FailureKind,
    Reason,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
)
from tui.core.exits import Exit
from tui.core.keys import Key
from tui.core.message import Attachment, Outgoing
from tui.core.settings import Settings
from tui.core.transports.http import API_NAMES, api_for, send_http

APIS = ("postmark", "mailgun", "sendgrid", "resend")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR--boundary?\xff\x00"
OUT = Outgoing(
    to="customer@example.net",
    subject="Invoice 42 — ünïcode",
    text="Dear customer,\nthe invoice is attached.",
    html="<p>Dear customer,</p><p>the invoice is attached.</p>",
    attachments=(
        Attachment("Invoice 42.pdf", "application/pdf", b"%PDF-1.4 fake"),
        Attachment("logo.png", "image/png", PNG),
    ),
)


@pytest.fixture(scope="module")
def tls(ca: trustme.CA) -> ssl.SSLContext:
    return server_context(ca, "127.0.0.1")


@pytest.fixture(scope="module")
def trust(ca: trustme.CA) -> ssl.SSLContext:
    return trusting(ca)


def api_settings(api: str, port: int, **sender: str) -> Settings:
    s = Settings(protocol="http", provider=api)
    s.http.api = api  # type: ignore[assignment]
    s.http.url = f"https://127.0.0.1:{port}"
    s.http.domain = MAILGUN_DOMAIN if api == "mailgun" else ""
    s.http.timeout = 10
    s.sender.address = sender.get("address", "shop@example.org")
    s.sender.name = sender.get("name", 'Corner "Shop"')
    s.sender.reply_to = sender.get("reply_to", "orders@example.org")
    s.sender.copy_to = sender.get("copy_to", "archive@example.org")
    return s


async def run(
    settings: Settings, trust: ssl.SSLContext, key: str | None = KEY, out: Outgoing = OUT
) -> tuple[list[SendEvent], SendFinished]:
    events = [e async for e in send_http(settings, out, key, verify=trust)]
    done = events[-1]
    assert isinstance(done, SendFinished)
    assert sum(isinstance(e, SendFinished) for e in events) == 1
    return events, done


def carried(api: str, seen: Seen) -> dict[str, Any]:
    """What the request carried, read the way the provider reads it."""
    if api == "mailgun":
        form = seen.form()
        values = {n: d.decode() for n, h, d in form if "param:filename" not in h}
        files = [
            (h["param:filename"], h["content-type"], d) for n, h, d in form if n == "attachment"
        ]
        return {
            "from": parseaddr(values["from"]),
            "to": values["to"],
            "reply_to": values.get("h:Reply-To"),
            "bcc": values.get("bcc"),
            "subject": values["subject"],
            "text": values.get("text"),
            "html": values.get("html"),
            "files": files,
        }
    data = seen.json()
    if api == "postmark":
        return {
            "from": parseaddr(data["From"]),
            "to": data["To"],
            "reply_to": data.get("ReplyTo"),
            "bcc": data.get("Bcc"),
            "subject": data["Subject"],
            "text": data.get("TextBody"),
            "html": data.get("HtmlBody"),
            "files": [
                (a["Name"], a["ContentType"], base64.b64decode(a["Content"]))
                for a in data.get("Attachments", [])
            ],
        }
    if api == "sendgrid":
        [person] = data["personalizations"]
        content = {c["type"]: c["value"] for c in data["content"]}
        name = data["from"].get("name")
        return {
            "from": (name, data["from"]["email"]),
            "to": ",".join(t["email"] for t in person["to"]),
            "reply_to": data.get("reply_to", {}).get("email"),
            "bcc": ",".join(b["email"] for b in person.get("bcc", [])),
            "subject": data["subject"],
            "text": content.get("text/plain"),
            "html": content.get("text/html"),
            "files": [
                (a["filename"], a["type"], base64.b64decode(a["content"]))
                for a in data.get("attachments", [])
            ],
        }
    return {
        "from": parseaddr(data["from"]),
        "to": ",".join(data["to"]),
        "reply_to": data.get("reply_to"),
        "bcc": ",".join(data.get("bcc", [])),
        "subject": data["subject"],
        "text": data.get("text"),
        "html": data.get("html"),
        "files": [
            (a["filename"], a["content_type"], base64.b64decode(a["content"]))
            for a in data.get("attachments", [])
        ],
    }


def secret_forms(api: str = "mailgun") -> list[str]:
    """The key as it travels for this API (Mailgun: inside basic auth), and in base64."""
    forms = leak_forms(KEY)
    if api == "mailgun":
        forms.append(base64.b64encode(f"api:{KEY}".encode()).decode())
    return forms


def test_every_api_name_has_a_module() -> None:
    for name in API_NAMES:
        assert api_for(name).name == name
    assert api_for("mailgun").default_url == "https://api.mailgun.net"
    assert api_for("postmark").default_url == "https://api.postmarkapp.com"
    assert api_for("sendgrid").default_url == "https://api.sendgrid.com"
    assert api_for("resend").default_url == "https://api.resend.com"
    with pytest.raises(ValueError):
        api_for("smtp")


@pytest.mark.parametrize("api", APIS)
async def test_accepted_with_every_field(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api(api, tls) as server:
        events, done = await run(api_settings(api, server.port), trust)
    assert done.ok, done.failure
    assert done.reply.startswith("202" if api == "sendgrid" else "200")
    assert any(word in done.reply for word in ("MessageID ", "id ", "X-Message-Id "))
    assert [e.stage for e in events if isinstance(e, StageStarted)] == [
        "resolve",
        "connect",
        "tls",
        "post",
        "response",
    ]
    assert all(e.ok for e in events if isinstance(e, StageEnded))
    [seen] = server.received
    got = carried(api, seen)
    assert got["from"] == ('Corner "Shop"', "shop@example.org")
    assert got["to"] == "customer@example.net"
    assert got["reply_to"] == "orders@example.org"
    assert got["bcc"] == "archive@example.org"
    assert got["subject"] == OUT.subject
    assert got["text"] == OUT.text
    assert got["html"] == OUT.html
    assert got["files"] == [
        ("Invoice 42.pdf", "application/pdf", b"%PDF-1.4 fake"),
        ("logo.png", "image/png", PNG),
    ]
    shown = repr(events)
    assert all(form not in shown for form in secret_forms(api))


@pytest.mark.parametrize("api", APIS)
async def test_a_wrong_key_is_the_key_refused(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api(api, tls) as server:
        events, done = await run(api_settings(api, server.port), trust, key="not-the-key")
    failure = done.failure
    assert failure is not None
    assert failure.kind == FailureKind.AUTH and failure.exit_code == Exit.AUTH
    assert failure.reason == Reason.API_KEY_REFUSED
    assert failure.field == Key.PASSWORD
    assert failure.code in (401, 403)
    assert failure.stage == "response"
    assert "not-the-key" not in repr(events)


@pytest.mark.parametrize(
    ("api", "status", "words"),
    [
        ("postmark", 422, "is not a Sender Signature on your account"),
        ("mailgun", 404, "Domain not found: example.net"),
        ("sendgrid", 403, "does not match a verified Sender Identity"),
        ("resend", 403, "example.net domain is not verified"),
    ],
)
async def test_an_unverified_sender_is_shown_in_the_providers_words(
    api: str, status: int, words: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api(api, tls) as server:
        settings = api_settings(api, server.port, address="me@example.net")
        settings.http.domain = "example.net" if api == "mailgun" else ""
        _, done = await run(settings, trust)
    failure = done.failure
    assert failure is not None
    assert failure.kind == FailureKind.HTTP and failure.exit_code == Exit.HTTP
    assert failure.code == status
    assert words in failure.reply
    assert failure.reason is None


@pytest.mark.parametrize("api", APIS)
async def test_a_missing_field_is_refused_with_the_providers_message(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    out = Outgoing(to="customer@example.net", subject="", text="no subject")
    with serve_api(api, tls) as server:
        _, done = await run(api_settings(api, server.port), trust, out=out)
    failure = done.failure
    assert failure is not None and failure.kind == FailureKind.HTTP
    assert failure.code in (400, 422)
    assert "subject" in failure.reply.lower()


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("busy", ["429", "500"])
async def test_busy_or_broken_is_temporary(
    api: str, busy: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api(api, tls) as server:
        server.forced = BUSY[api] if busy == "429" else Answer(500, b"Internal Server Error")
        _, done = await run(api_settings(api, server.port), trust)
    failure = done.failure
    assert failure is not None
    assert failure.kind == FailureKind.TEMPORARY and failure.exit_code == Exit.TEMPORARY
    assert failure.code == int(busy)


@pytest.mark.parametrize("api", APIS)
async def test_no_key_sends_nothing(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAILWIZ_PASSWORD", raising=False)
    with serve_api(api, tls) as server:
        events, done = await run(api_settings(api, server.port), trust, key=None)
    assert done.failure is not None and done.failure.kind == FailureKind.NO_PASSWORD
    assert done.failure.field == Key.PASSWORD
    assert server.received == []
    assert [e.stage for e in events if isinstance(e, StageStarted)] == ["resolve"]


async def test_the_key_comes_from_mailwiz_password_when_none_is_given(
    tls: ssl.SSLContext, trust: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILWIZ_PASSWORD", KEY)
    with serve_api("resend", tls) as server:
        _, done = await run(api_settings("resend", server.port), trust, key=None)
    assert done.ok, done.failure


@pytest.mark.parametrize("api", APIS)
async def test_a_server_that_echoes_the_key_never_gets_it_shown(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    # Fails if redaction is removed: the answer really holds every form of the key.
    echo = " ".join(secret_forms(api))
    with serve_api(api, tls) as server:
        server.forced = Answer(
            400,
            json.dumps({"message": echo, "Message": echo}).encode(),
            {"Content-Type": "application/json"},
        )
        events, done = await run(api_settings(api, server.port), trust)
    assert done.failure is not None and done.failure.code == 400
    shown = repr(events)
    assert all(form not in shown for form in secret_forms(api))
    assert "[redacted]" in done.failure.reply


async def test_mailgun_without_a_domain_uses_the_senders(
    tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api("mailgun", tls) as server:
        settings = api_settings("mailgun", server.port, address=f"shop@{MAILGUN_DOMAIN}")
        settings.http.domain = ""
        _, done = await run(settings, trust)
    assert done.ok, done.failure
    assert server.received[0].path == f"/v3/{MAILGUN_DOMAIN}/messages"


async def test_mailgun_eu_region_and_private_gateways_keep_their_path_prefix(
    tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api("postmark", tls) as server:
        settings = api_settings("postmark", server.port)
        settings.http.url = f"https://127.0.0.1:{server.port}/gateway/"
        _, done = await run(settings, trust)
    assert server.received[0].path == "/gateway/email"
    assert done.failure is not None and done.failure.code == 404


async def test_mailgun_with_a_domain_that_is_not_one(trust: ssl.SSLContext) -> None:
    settings = api_settings("mailgun", 9)
    settings.http.domain = "not a domain"
    events, done = await run(settings, trust)
    assert done.failure is not None
    assert done.failure.reason == Reason.SETTINGS and done.failure.field == Key.DOMAIN
    assert [e.stage for e in events if isinstance(e, StageStarted)] == ["resolve"]


# --------------------------------------------------------------------------- settings


def _problems(settings: Settings) -> dict[str, str]:
    from tui.core.settings import validate

    return {p.field: p.message for p in validate(settings) if p.severity == "error"}


def test_api_settings_need_no_url_nor_reply_to_but_a_sender() -> None:
    settings = api_settings("postmark", 443)
    settings.http.url = ""
    settings.sender.reply_to = ""
    assert _problems(settings) == {}
    settings.sender.address = ""
    assert "sender.address" in _problems(settings)


def test_api_settings_check_the_url_and_the_domain() -> None:
    settings = api_settings("mailgun", 443)
    settings.http.url = "http://api.eu.mailgun.net"
    settings.http.domain = "not a domain"
    problems = _problems(settings)
    assert set(problems) == {"http.url", "http.domain"}
    settings.http.url = "https://api.eu.mailgun.net"
    settings.http.domain = ""  # the sender's domain is used
    assert _problems(settings) == {}


def test_the_relay_still_needs_its_url_and_reply_to() -> None:
    settings = Settings(protocol="http")
    settings.sender.address = "shop@example.org"
    assert {"http.url", "sender.reply_to"} <= set(_problems(settings))


@pytest.mark.parametrize("api", APIS)
async def test_an_empty_body_is_still_a_request_the_provider_takes(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    out = Outgoing(to="customer@example.net", subject="Ping", text="", html="<p>hi</p>")
    with serve_api(api, tls) as server:
        _, done = await run(api_settings(api, server.port), trust, out=out)
    assert done.ok, done.failure


# --------------------------------------------------------------------------- what a 401/403 means


async def test_resends_401_validation_error_is_the_key(
    tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    # Resend today: 401 {"name": "validation_error", "message": "API key is invalid"}.
    with serve_api("resend", tls) as server:
        _, done = await run(api_settings("resend", server.port), trust, key="re_expired")
    failure = done.failure
    assert failure is not None and failure.code == 401
    assert "validation_error" in failure.reply
    assert failure.reason == Reason.API_KEY_REFUSED and failure.exit_code == Exit.AUTH == 16


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    ("status", "words", "the_key"),
    [
        (401, "The domain is not verified", True),  # a 401 is the key, whatever it says
        (403, "access forbidden: this key may not send mail", True),
        (403, "The from address does not match a verified Sender Identity", False),
        (403, "The example.org domain is not verified", False),
    ],
)
async def test_a_401_is_the_key_and_a_403_unless_it_is_about_the_sender(
    api: str,
    status: int,
    words: str,
    the_key: bool,
    tls: ssl.SSLContext,
    trust: ssl.SSLContext,
) -> None:
    body = {"message": words, "Message": words, "errors": [{"message": words}], "name": "x"}
    with serve_api(api, tls) as server:
        server.forced = Answer(
            status, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        _, done = await run(api_settings(api, server.port), trust)
    failure = done.failure
    assert failure is not None and failure.code == status
    assert (failure.exit_code == Exit.AUTH) == the_key
    assert (failure.exit_code == Exit.HTTP) == (not the_key)


# --------------------------------------------------------------------------- keys as they are


@pytest.mark.parametrize("api", ["relay", *APIS])
@pytest.mark.parametrize("key", [f"{KEY}é", f"{KEY}\n", "clé-" + KEY])
async def test_a_key_that_cannot_go_in_a_header_is_refused_before_sending(
    api: str, key: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    with serve_api("open-relay" if api == "relay" else api, tls) as server:
        settings = api_settings(api, server.port)
        if api == "relay":
            settings.http.url += "/send"
        events, done = await run(settings, trust, key=key)
    failure = done.failure
    assert failure is not None and failure.kind == FailureKind.AUTH  # not a bug (exit 1)
    assert failure.reason == Reason.SETTINGS and failure.field == Key.PASSWORD
    assert "position" in failure.reply and "ASCII" in failure.reply
    assert server.received == []
    assert key.strip() not in repr(events)


# --------------------------------------------------------------------------- at most once


async def test_resend_gets_the_messages_send_id_as_its_idempotency_key(
    tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    out = Outgoing(to="customer@example.net", subject="Hi", text="x", send_id="mailwiz-1-ab")
    with serve_api("resend", tls) as server:
        _, first = await run(api_settings("resend", server.port), trust, out=out)
        _, again = await run(api_settings("resend", server.port), trust, out=out)
    assert first.ok and again.ok
    assert [seen.headers["idempotency-key"] for seen in server.received] == ["mailwiz-1-ab"] * 2
    assert len(server.sent) == 1  # the second request sent nothing
    assert first.reply == again.reply  # the same id back


@pytest.mark.parametrize("api", ["postmark", "mailgun", "sendgrid"])
async def test_apis_without_idempotency_keys_get_no_such_header(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    out = Outgoing(to="customer@example.net", subject="Hi", text="x", send_id="mailwiz-1-ab")
    with serve_api(api, tls) as server:
        _, done = await run(api_settings(api, server.port), trust, out=out)
    assert done.ok, done.failure
    assert "idempotency-key" not in server.received[0].headers


@pytest.mark.parametrize("api", ["relay", *APIS])
async def test_a_key_echoed_url_encoded_is_never_shown(
    api: str, tls: ssl.SSLContext, trust: ssl.SSLContext
) -> None:
    key = "abc+def/ghi=jkl+mno/pqr=="
    echo = f"bad key {quote(key, safe='')} ({quote(key, safe='').lower()})"
    with serve_api("open-relay" if api == "relay" else api, tls) as server:
        server.forced = Answer(
            400,
            json.dumps({"message": echo, "Message": echo, "errors": [{"message": echo}]}).encode(),
            {"Content-Type": "application/json"},
        )
        settings = api_settings(api, server.port)
        if api == "relay":
            settings.http.url += "/send"
        events, done = await run(settings, trust, key=key)
    assert done.failure is not None and done.failure.code == 400
    shown = repr(events).lower()
    assert "%2b" not in shown and "def" not in shown and "mno" not in shown
    assert "[redacted]" in done.failure.reply


# --------------------------------------------------------------------------- each API is itself


@pytest.mark.parametrize(
    ("api", "what"),
    [
        ("relay", "the relay"),
        ("postmark", "the Postmark API"),
        ("mailgun", "the Mailgun API"),
        ("sendgrid", "the SendGrid API"),
        ("resend", "the Resend API"),
    ],
)
def test_every_place_a_user_reads_names_the_api(api: str, what: str) -> None:
    from tui.core.http_apis import http_rows, service_name
    from tui.core.message import test_outgoing
    from tui.core.report import stage_label
    from tui.screens.save import summary_rows

    settings = api_settings(api, 443)
    settings.http.url = ""
    assert service_name(settings) == what
    assert stage_label("post", settings) == f"Sending the message to {what}"
    assert stage_label("response", settings) == f"Reading {what}'s answer"
    provider = dict(summary_rows(settings, KEY))["Provider"]
    message = test_outgoing(settings, "customer@example.net")
    rows = dict(http_rows(settings))
    if api == "relay":
        assert provider == "HTTP relay" and "relay URL" in rows
    else:
        title = what.removeprefix("the ").removesuffix(" API")
        assert provider == f"{title} API"
        assert rows["HTTP API"] == title and api_for(api).default_url in rows["API URL"]
        assert "relay" not in message.text.lower()
        assert re.search(rf"HTTP API: +{title}\n", message.text)
        assert stage_label("resolve", settings) == f"Looking up {api_for(api).default_url[8:]}"


def test_the_result_line_of_mailwiz_send_names_the_api(
    tmp_path: Any, capsys: Any, monkeypatch: Any
) -> None:
    from tui.cli import main
    from tui.core.settings import save_settings

    with serve_api("resend") as server:  # plain http on loopback: no CA to hand over
        settings = api_settings("resend", server.port)
        settings.http.url = f"http://127.0.0.1:{server.port}"
        settings.password.store = "none"
        path = save_settings(settings, tmp_path / "s.toml")
        monkeypatch.setenv("MAILWIZ_PASSWORD", KEY)
        code = main(["send", "--to", "c@example.net", "--body", "hi", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "Sent: the Resend API accepted the message for c@example.net" in out


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (Failure(FailureKind.TIMEOUT, "connect"), "No answer from the Postmark API"),
        (Failure(FailureKind.TIMEOUT, "response"), "The Postmark API did not answer"),
        (Failure(FailureKind.TLS, "tls", reply="wrong version"), "connection to the Postmark API"),
        (Failure(FailureKind.HTTP, "resolve", reply="bad"), "The URL of the Postmark API"),
        (Failure(FailureKind.HTTP, "response", reply="x"), "The Postmark API answered"),
    ],
)
def test_the_diagnosis_names_the_api_not_a_relay(failure: Failure, words: str) -> None:
    from tui.core.diagnose.handlers import diagnose

    settings = api_settings("postmark", 443)
    settings.http.url = ""
    d = diagnose(failure, settings)
    assert words in d.title, d.title
    assert "relay" not in f"{d.title} {d.cause}".lower()


async def test_the_wizards_test_screen_names_the_api(tmp_path: Any, monkeypatch: Any) -> None:
    from tests.ui_helpers import ScreenHost, finished, visible_text
    from tui.screens.test_send import TestSendScreen

    monkeypatch.setenv("MAILWIZ_PASSWORD", KEY)
    with serve_api("resend") as server:
        settings = api_settings("resend", server.port)
        settings.http.url = f"http://127.0.0.1:{server.port}"
        screen = TestSendScreen(settings, KEY, tmp_path / "settings.toml")
        async with ScreenHost(screen).run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")
            await finished(pilot)
            shown = visible_text(screen)
    assert screen.state == "ok", shown
    assert "The Resend API accepted the message" in shown
    assert "Sending the message to the Resend API" in shown
    assert "relay" not in shown.lower()
