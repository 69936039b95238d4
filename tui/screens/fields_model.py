"""What the fields screen knows besides widgets: the choices it offers, the order of its
fields, which widget edits which settings key, and the checks the core does not make
(they concern the form, or a password that never goes into the settings file)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal, get_args

from tui.core.http_apis import facts_of, key_problem
from tui.core.keys import Key
from tui.core.settings import (
    MAX_TIMEOUT,
    HttpApi,
    OAuthProvider,
    Problem,
    Security,
    Settings,
    validate,
)

FormAction = Literal["test", "save", "back"]

PORTS = (465, 587, 25)
PORT_CHOICES = (*(str(port) for port in PORTS), "Other")
SECURITIES: tuple[Security, ...] = ("tls", "starttls", "none")
SECURITY_CHOICES = ("TLS", "STARTTLS", "None")
# One wording for port 465 everywhere: "TLS from the first byte".
SECURITY_HELP: dict[Security, str] = {
    "tls": "TLS from the first byte (usual on port 465).",
    "starttls": "Encrypted before the password is sent (usual on port 587).",
    "none": "Not encrypted: only for a local relay, with no username.",
}
PORT_HELP = "465 and 587 are encrypted and recommended; 25 often is not."
NO_VERIFY_HELP = "Only for your own server, with a self-signed certificate."

APIS: tuple[HttpApi, ...] = get_args(HttpApi)
API_CHOICES = tuple(facts_of(api).choice for api in APIS)
API_DEFAULT_URLS: dict[HttpApi, str] = {
    api: facts_of(api).url_hint for api in APIS if facts_of(api).default_url
}

# Providers that offer a sign-in (OAuth) besides the password, and the choices shown:
# (label, how) in the order shown, the recommended one first. "app" is smtp.auth = "oauth2"
# with oauth.grant = "app": offered only where an organisation can set it up (APP_SIGN_IN).
SignInWay = Literal["password", "oauth2", "app"]
APP_CHOICE: tuple[str, SignInWay] = ("Sign in as the app", "app")  # for a server
SIGN_IN_CHOICES: dict[OAuthProvider, tuple[tuple[str, SignInWay], ...]] = {
    "microsoft": (("Sign in with Microsoft (recommended)", "oauth2"), ("Password", "password")),
    "google": (("App password", "password"), ("Sign in with Google", "oauth2")),
}
APP_SIGN_IN = ("microsoft365", "google-workspace")  # work accounts: the app can sign in
# ctrl+g with the app chosen: the page naming every step outside mailwiz.
APP_GUIDE_PAGES = {"microsoft": "microsoft-app", "google": "google-service-account"}


def sign_in_choices(provider_id: str) -> tuple[tuple[str, SignInWay], ...]:
    """The sign-in choices of a provider with OAuth (the app's own for work accounts)."""
    family = oauth_provider_for(provider_id) or "microsoft"
    choices = SIGN_IN_CHOICES[family]
    if provider_id not in APP_SIGN_IN:
        return choices
    # Three choices share the row: the recommended one says so in its help, not its label.
    return (*((text.removesuffix(" (recommended)"), way) for text, way in choices), APP_CHOICE)


def sign_in_way(settings: Settings) -> SignInWay:
    if settings.smtp.auth != "oauth2":
        return "password"
    return "app" if settings.oauth.grant == "app" else "oauth2"


OAUTH_PROVIDERS: dict[str, OAuthProvider] = {
    "microsoft365": "microsoft",
    "outlook": "microsoft",
    "gmail": "google",
    "google-workspace": "google",
}
TIMEOUT_HELP = f"Seconds for the whole send, 1 to {MAX_TIMEOUT}. A slow or silent server ends here."

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


def oauth_provider_for(provider_id: str) -> OAuthProvider | None:
    """ "microsoft" or "google" when the provider offers a sign-in, else None."""
    return OAUTH_PROVIDERS.get(provider_id)


def parse_timeout(text: str) -> tuple[float, str]:
    """The timeout typed, and a message when it is not a number of seconds in range."""
    message = f"The timeout is a number of seconds, between 1 and {MAX_TIMEOUT}."
    try:
        value = float(text)
    except ValueError:
        return 0.0, message
    if not math.isfinite(value) or not 1 <= value <= MAX_TIMEOUT:
        return value if math.isfinite(value) else 0.0, message
    return value, ""


@dataclass
class FormResult:
    """What the form holds: settings (cleaned when valid) and the password typed.
    `dirty`: the user changed something since the screen opened."""

    settings: Settings
    password: str = field(repr=False)
    action: FormAction = "test"
    dirty: bool = False


@dataclass(frozen=True)
class FormState:
    """What the form's own checks need besides the draft settings."""

    password: str = field(repr=False)
    password_pending: bool  # the stored password is still being read
    signs_in: bool  # OAuth sign-in chosen (a person's, or the app's own)
    app_password: bool  # the provider wants an app password
    port_error: str  # "Other" port holds no valid number
    timeout_error: str
    password_warning: str = ""  # the password cannot be the provider's app password
    app: bool = False  # the app signs in itself (oauth.grant = "app")


def form_problems(settings: Settings, state: FormState) -> dict[Key, list[Problem]]:
    """The core's problems with the draft, by field, plus the form's own checks (the port
    and timeout typed, the password and the sign-in that never go into the file)."""
    found: dict[Key, list[Problem]] = defaultdict(list)
    for problem in validate(settings):
        found[as_key(problem.field) or Key.PROVIDER].append(problem)
    if state.timeout_error:
        key = Key.SMTP_TIMEOUT if settings.protocol == "smtp" else Key.HTTP_TIMEOUT
        found[key] = [Problem(key, state.timeout_error)]
    if settings.protocol == "smtp":
        _smtp_problems(settings, state, found)
    else:
        _http_problems(settings, state, found)
    return found


def _smtp_problems(settings: Settings, state: FormState, found: dict[Key, list[Problem]]) -> None:
    if state.port_error:
        found[Key.PORT] = [Problem(Key.PORT, state.port_error)]
    if state.signs_in:
        oauth = settings.oauth
        google_app = state.app and oauth.provider == "google"
        if not oauth.client_id.strip() and not google_app:
            message = "Enter the client ID of your app registration."
            found[Key.OAUTH_CLIENT_ID].append(Problem(Key.OAUTH_CLIENT_ID, message))
        if state.app and not google_app and not oauth.certificate.strip() and not state.password:
            message = "Enter the client secret's value, or a certificate file above."
            found[Key.PASSWORD].append(Problem(Key.PASSWORD, message))
        return
    login = settings.smtp.username.strip() and settings.smtp.security != "none"
    if not state.password_pending and login and not state.password:
        message = (
            "Enter the app password (not your normal password)."
            if state.app_password
            else "Enter the password for this username."
        )
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, message))
    elif state.password_warning:
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, state.password_warning, "warning"))


def _http_problems(settings: Settings, state: FormState, found: dict[Key, list[Problem]]) -> None:
    # The core checks an API's URL, sender and Mailgun domain; the key never is in the file.
    if settings.http.api != "relay" and not state.password:
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, "Enter the API key."))
    problem = key_problem(state.password)
    if problem:  # it could never go in the request's header
        found[Key.PASSWORD].append(Problem(Key.PASSWORD, problem[0].upper() + problem[1:] + "."))
