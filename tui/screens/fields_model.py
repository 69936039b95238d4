"""What the fields screen knows besides widgets: the choices it offers, the order of its
fields, which widget edits which settings key, and what the form hands back. The form's own
checks are in fields_checks; its sentences in fields_texts.toml."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from tui.core.http_apis import facts_of
from tui.core.keys import Key
from tui.core.settings import HttpApi, Security, Settings
from tui.core.sign_in_ways import SignInWay, oauth_family, recommended_way, sign_in_ways
from tui.core.texts import Texts

say = Texts(__package__ or "tui.screens", "fields_texts.toml")

FormAction = Literal["test", "save", "back"]

PORTS = (465, 587, 25)
SECURITIES: tuple[Security, ...] = ("tls", "starttls", "none")

APIS: tuple[HttpApi, ...] = get_args(HttpApi)
API_CHOICES = tuple(facts_of(api).choice for api in APIS)
API_DEFAULT_URLS: dict[HttpApi, str] = {
    api: facts_of(api).url_hint for api in APIS if facts_of(api).default_url
}

# ctrl+g with the app chosen: the page naming every step outside mailwiz.
APP_GUIDE_PAGES = {"microsoft": "microsoft-app", "google": "google-service-account"}


def sign_in_choices(provider_id: str) -> tuple[tuple[str, SignInWay], ...]:
    """The sign-in row's choices, (label, way), for a provider with OAuth."""
    ways = sign_in_ways(provider_id)
    # With three choices on the row, the recommended one says so in its help, not its label.
    recommended = recommended_way(provider_id) if "app" not in ways else None
    return tuple((_way_label(provider_id, way, way == recommended), way) for way in ways)


def _way_label(provider_id: str, way: SignInWay, recommended: bool) -> str:
    family = oauth_family(provider_id) or "microsoft"
    if way == "oauth2":
        text = say(f"rows.auth.oauth2.{family}")
    elif way == "password":
        text = say("rows.auth.app_password" if family == "google" else "rows.auth.password")
    else:
        text = say("rows.auth.app")
    return say("rows.auth.recommended", choice=text) if recommended else text


# The order of the form, for "the first invalid field gets the focus".
FORM_ORDER: tuple[Key, ...] = (
    Key.PROTOCOL,
    Key.API,
    Key.HOST,
    Key.PORT,
    Key.SECURITY,
    Key.AUTH,
    Key.USERNAME,
    Key.SENDER_ADDRESS,
    Key.PASSWORD,
    Key.OAUTH_CLIENT_ID,
    Key.OAUTH_CLIENT_SECRET,
    Key.OAUTH_TENANT,
    Key.OAUTH_CERTIFICATE,
    Key.OAUTH_SERVICE_ACCOUNT,
    Key.URL,
    Key.DOMAIN,
    Key.SENDER_NAME,
    Key.COPY_TO,
    Key.REPLY_TO,
    Key.VERIFY_CERTIFICATE,
    Key.CA_FILE,
    Key.SMTP_TIMEOUT,
    Key.HTTP_TIMEOUT,
)

# Settings key -> the id of the widget that edits it.
FIELD_WIDGETS: dict[Key, str] = {
    Key.PROTOCOL: "protocol",
    Key.PROVIDER: "protocol",
    Key.API: "api",
    Key.HOST: "host",
    Key.PORT: "port",
    Key.SECURITY: "security",
    Key.AUTH: "auth",
    Key.USERNAME: "username",
    Key.SENDER_ADDRESS: "address",
    Key.PASSWORD: "password",
    Key.OAUTH_CLIENT_ID: "client-id",
    Key.OAUTH_CLIENT_SECRET: "client-secret",
    Key.OAUTH_TENANT: "tenant",
    Key.OAUTH_CERTIFICATE: "certificate",
    Key.OAUTH_SERVICE_ACCOUNT: "service-account",
    Key.URL: "url",
    Key.DOMAIN: "domain",
    Key.SENDER_NAME: "name",
    Key.COPY_TO: "copy-to",
    Key.REPLY_TO: "reply-to",
    Key.VERIFY_CERTIFICATE: "no-verify",
    Key.CA_FILE: "ca-file",
    Key.SMTP_TIMEOUT: "timeout",
    Key.HTTP_TIMEOUT: "timeout",
}
# A widget that is hidden shows its messages on the one that reveals it.
FALLBACK_WIDGETS = {"address": "username", "copy-to": "copy-on", "reply-to": "reply-on"}
# Widgets that are part of another widget's row.
ROW_OF = {"port-other": "port", "show-password": "password"}


def as_key(name: str) -> Key | None:
    """The Key for a field name ("smtp.port", "password"), None for one the form lacks."""
    try:
        return Key(name)
    except ValueError:
        return None


@dataclass
class FormResult:
    """What the form holds: settings (cleaned when valid) and the password typed.
    `dirty`: the user changed something since the screen opened."""

    settings: Settings
    password: str = field(repr=False)
    action: FormAction = "test"
    dirty: bool = False
