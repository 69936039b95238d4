"""The rows of the fields screen, built from the settings it opens with (one small builder
per part of the form; the screen decides which rows show)."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input

from tui.core.keys import Key, label
from tui.core.settings import MAX_TIMEOUT, Settings
from tui.core.sign_in_ways import sign_in_way
from tui.core.texts import Texts
from tui.screens import fields_model as model
from tui.screens.fields_model import PORTS, SECURITIES
from tui.widgets import ChoiceRow, FieldRow, GlyphCheckbox

say = Texts(__package__ or "tui.screens", "fields_texts.toml")


def _input(
    value: str,
    widget_id: str,
    placeholder: str = "",
    *,
    password: bool = False,
    restrict: str | None = None,
    max_length: int = 0,
) -> Input:
    return Input(
        value,
        placeholder=placeholder,
        id=widget_id,
        compact=True,
        password=password,
        restrict=restrict,
        max_length=max_length,
    )


def protocol_row(settings: Settings) -> FieldRow:
    index = 1 if settings.protocol == "http" else 0
    choice = ChoiceRow(say.raw("rows.protocol.choices"), index=index, id="protocol")
    return FieldRow(say("rows.protocol.label"), choice, row_id="protocol")


def http_rows(settings: Settings) -> list[Widget]:
    http = settings.http
    api = model.APIS.index(http.api) if http.api in model.APIS else 0
    return [
        FieldRow(
            say("rows.api.label"), ChoiceRow(model.API_CHOICES, index=api, id="api"), row_id="api"
        ),
        FieldRow(
            say("rows.url.relay_label"),
            _input(http.url, "url", say("rows.url.relay_placeholder")),
            row_id="url",
        ),
        FieldRow(
            say("rows.domain.label"),
            _input(http.domain, "domain", say("rows.domain.placeholder")),
            row_id="domain",
        ),
    ]


def server_rows(settings: Settings) -> list[Widget]:
    smtp = settings.smtp
    other = smtp.port not in PORTS
    choices = (*(str(port) for port in PORTS), say("rows.port.other"))
    port = ChoiceRow(choices, index=len(PORTS) if other else PORTS.index(smtp.port), id="port")
    port_other = _input(
        str(smtp.port) if other else "",
        "port-other",
        say("rows.port.other_placeholder"),
        restrict=r"[0-9]*",
        max_length=5,
    )
    security = SECURITIES.index(smtp.security) if smtp.security in SECURITIES else 1
    return [
        FieldRow(
            say("rows.host.label"),
            _input(smtp.host, "host", say("rows.host.placeholder")),
            row_id="host",
        ),
        FieldRow(
            say("rows.port.label"), port, port_other, row_id="port", help_text=say("rows.port.help")
        ),
        FieldRow(
            label(Key.SECURITY),
            ChoiceRow(say.raw("rows.security.choices"), index=security, id="security"),
            row_id="security",
        ),
    ]


def login_rows(settings: Settings, provider_id: str) -> list[Widget]:
    """The sign-in choice (providers with OAuth only; hidden otherwise) and the username."""
    smtp = settings.smtp
    choices = model.sign_in_choices(provider_id)
    way = sign_in_way(settings)
    auth = next((n for n, (_, value) in enumerate(choices) if value == way), 0)
    return [
        FieldRow(
            say("rows.auth.label"),
            ChoiceRow([text for text, _ in choices], index=auth, id="auth"),
            row_id="auth",
        ),
        FieldRow(
            say("rows.username.label"),
            _input(smtp.username, "username", say("rows.username.placeholder")),
            row_id="username",
        ),
    ]


def secret_rows(settings: Settings, password: str, password_help: str) -> list[Widget]:
    """The sender address, the password (or API key), and the OAuth app registration."""
    oauth = settings.oauth
    return [
        _row("address", settings.sender.address),
        FieldRow(
            say("rows.password.label"),
            _input(password, "password", password=True),
            GlyphCheckbox(say("rows.password.show"), id="show-password", compact=True),
            row_id="password",
            help_text=password_help,
        ),
        _row("client-id", oauth.client_id),
        _row("client-secret", oauth.client_secret),
        _row("tenant", oauth.tenant),
        _row("certificate", oauth.certificate),
        _row("service-account", oauth.service_account),
    ]


def sender_rows(settings: Settings) -> list[Widget]:
    sender = settings.sender
    return [
        _row("name", sender.name),
        GlyphCheckbox(label(Key.COPY_TO), bool(sender.copy_to), id="copy-on", compact=True),
        _row("copy-to", sender.copy_to),
        GlyphCheckbox(label(Key.REPLY_TO), bool(sender.reply_to), id="reply-on", compact=True),
        _row("reply-to", sender.reply_to),
    ]


def certificate_rows(settings: Settings) -> list[Widget]:
    smtp = settings.smtp
    no_verify = GlyphCheckbox(
        label(Key.VERIFY_CERTIFICATE), not smtp.verify_certificate, id="no-verify", compact=True
    )
    return [
        FieldRow(
            say("rows.no_verify.label"),
            no_verify,
            row_id="no-verify",
            help_text=say("rows.no_verify.help"),
        ),
        _row("ca-file", smtp.ca_file),
    ]


def timeout_row(settings: Settings) -> FieldRow:
    table = settings.http if settings.protocol == "http" else settings.smtp
    placeholder = say("rows.timeout.placeholder")
    timeout = _input(
        f"{table.timeout:g}", "timeout", placeholder, restrict=r"[0-9.]*", max_length=6
    )
    help_text = say("rows.timeout.help", max=MAX_TIMEOUT)
    return FieldRow(say("rows.timeout.label"), timeout, row_id="timeout", help_text=help_text)


def _row(row_id: str, value: str) -> FieldRow:
    """A row of one text field: label, hint and help from [rows.<row_id>] of the texts."""
    texts = say.raw("rows." + row_id.replace("-", "_"))
    field = _input(value, row_id, texts.get("placeholder", ""))
    return FieldRow(texts["label"], field, row_id=row_id, help_text=texts.get("help", ""))
