"""The rows of the fields screen, built from the settings it opens with (one small builder
per part of the form; the screen decides which rows show)."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input

from tui.core.keys import Key, label
from tui.core.settings import Settings
from tui.screens import fields_model as model
from tui.screens.fields_model import PORTS, SECURITIES
from tui.widgets import ChoiceRow, FieldRow, GlyphCheckbox


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
    choice = ChoiceRow(("SMTP server", "HTTP API"), index=index, id="protocol")
    return FieldRow("Send with", choice, row_id="protocol")


def http_rows(settings: Settings) -> list[Widget]:
    http = settings.http
    api = model.APIS.index(http.api) if http.api in model.APIS else 0
    return [
        FieldRow("Service", ChoiceRow(model.API_CHOICES, index=api, id="api"), row_id="api"),
        FieldRow(
            "Relay URL", _input(http.url, "url", "https://relay.example.com/send"), row_id="url"
        ),
        FieldRow(
            "Domain",
            _input(http.domain, "domain", "the sending domain, e.g. mg.example.com"),
            row_id="domain",
        ),
    ]


def server_rows(settings: Settings) -> list[Widget]:
    smtp = settings.smtp
    other = smtp.port not in PORTS
    port = ChoiceRow(
        model.PORT_CHOICES, index=len(PORTS) if other else PORTS.index(smtp.port), id="port"
    )
    port_other = _input(
        str(smtp.port) if other else "", "port-other", "port", restrict=r"[0-9]*", max_length=5
    )
    security = SECURITIES.index(smtp.security) if smtp.security in SECURITIES else 1
    return [
        FieldRow("Server", _input(smtp.host, "host", "smtp.example.com"), row_id="host"),
        FieldRow("Port", port, port_other, row_id="port", help_text=model.PORT_HELP),
        FieldRow(
            label(Key.SECURITY),
            ChoiceRow(model.SECURITY_CHOICES, index=security, id="security"),
            row_id="security",
        ),
    ]


def login_rows(settings: Settings, provider_id: str) -> list[Widget]:
    """The sign-in choice (providers with OAuth only; hidden otherwise) and the username."""
    smtp = settings.smtp
    choices = model.sign_in_choices(provider_id)
    way = model.sign_in_way(settings)
    auth = next((n for n, (_, value) in enumerate(choices) if value == way), 0)
    return [
        FieldRow(
            "Sign-in",
            ChoiceRow([text for text, _ in choices], index=auth, id="auth"),
            row_id="auth",
        ),
        FieldRow(
            "Username",
            _input(smtp.username, "username", "usually your email address"),
            row_id="username",
        ),
    ]


def secret_rows(settings: Settings, password: str, password_help: str) -> list[Widget]:
    """The sender address, the password (or API key), and the OAuth app registration."""
    oauth = settings.oauth
    return [
        FieldRow(
            "Email address",
            _input(settings.sender.address, "address", "the address emails are sent from"),
            row_id="address",
            help_text="Your username is not an email address: which address sends?",
        ),
        FieldRow(
            "Password",
            _input(password, "password", password=True),
            GlyphCheckbox("Show", id="show-password", compact=True),
            row_id="password",
            help_text=password_help,
        ),
        FieldRow(
            "Client ID",
            _input(oauth.client_id, "client-id", "the application (client) ID"),
            row_id="client-id",
            help_text="From your app registration (ctrl+g: how to make one).",
        ),
        FieldRow(
            "Client secret",
            _input(oauth.client_secret, "client-secret", "the desktop app's client secret"),
            row_id="client-secret",
        ),
        FieldRow(
            "Tenant",
            _input(oauth.tenant, "tenant", "organizations, consumers, common or a tenant ID"),
            row_id="tenant",
            help_text="organizations: work or school; consumers: Outlook.com; or your tenant ID.",
        ),
        FieldRow(
            "Certificate",
            _input(oauth.certificate, "certificate", "optional: PEM with key and certificate"),
            row_id="certificate",
            help_text="A 0600 PEM file (private key + certificate); empty: a client secret.",
        ),
        FieldRow(
            "Key file",
            _input(oauth.service_account, "service-account", "the service account's JSON key"),
            row_id="service-account",
            help_text="The JSON key file (chmod 600); ctrl+g: domain-wide delegation.",
        ),
    ]


def sender_rows(settings: Settings) -> list[Widget]:
    sender = settings.sender
    return [
        FieldRow(
            "Your name",
            _input(sender.name, "name", "optional: shown beside the address"),
            row_id="name",
        ),
        GlyphCheckbox(label(Key.COPY_TO), bool(sender.copy_to), id="copy-on", compact=True),
        FieldRow(
            "Copy to", _input(sender.copy_to, "copy-to", "archive@example.com"), row_id="copy-to"
        ),
        GlyphCheckbox(label(Key.REPLY_TO), bool(sender.reply_to), id="reply-on", compact=True),
        FieldRow(
            "Replies to",
            _input(sender.reply_to, "reply-to", "replies@example.com"),
            row_id="reply-to",
        ),
    ]


def certificate_rows(settings: Settings) -> list[Widget]:
    smtp = settings.smtp
    no_verify = GlyphCheckbox(
        label(Key.VERIFY_CERTIFICATE), not smtp.verify_certificate, id="no-verify", compact=True
    )
    return [
        FieldRow("Certificate", no_verify, row_id="no-verify", help_text=model.NO_VERIFY_HELP),
        FieldRow(
            "CA file",
            _input(smtp.ca_file, "ca-file", "optional: PEM file of your own certificate authority"),
            row_id="ca-file",
        ),
    ]


def timeout_row(settings: Settings) -> FieldRow:
    table = settings.http if settings.protocol == "http" else settings.smtp
    timeout = _input(f"{table.timeout:g}", "timeout", "30", restrict=r"[0-9.]*", max_length=6)
    return FieldRow("Timeout", timeout, row_id="timeout", help_text=model.TIMEOUT_HELP)
