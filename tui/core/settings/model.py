"""The settings model (TOML, version 1): the typed values, each field with its meaning, and the
errors a settings file can give. The password is never part of it (see README.md).

Settings are edited on a copy (`Settings.copy()`, the one place they are copied): a screen or a
use case never changes the settings it was handed.

The tables are records (tui.core.records), not dataclasses: every `sendmail` call reads the
settings, and the dataclasses module's import and each class's compiled methods cost more than
queueing itself (issue 24). Use `replaced`, `field_names` and `as_dict` from tui.core.records
where a dataclass would use replace, fields and asdict."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tui.core.addresses import looks_like_address
from tui.core.records import Record, field

SETTINGS_VERSION = 1

Protocol = Literal["smtp", "http"]
Security = Literal["tls", "starttls", "none"]
PasswordStore = Literal["keyring", "file", "none"]
SmtpAuth = Literal["password", "oauth2"]
HttpApi = Literal["relay", "postmark", "mailgun", "sendgrid", "resend"]
OAuthProvider = Literal["microsoft", "google", "custom"]
OAuthGrant = Literal["user", "app"]

# The usual pairing of port and security mode (RFC 8314): 465 is implicit TLS, 587 is
# submission with STARTTLS, 25 is server-to-server and often unencrypted.
USUAL_SECURITY_FOR_PORT: dict[int, Security] = {465: "tls", 587: "starttls", 25: "none"}
MAX_TIMEOUT = 600


class SmtpSettings(Record):
    """[smtp]: the mail server, when `protocol = "smtp"`."""

    host: str = ""
    """The server's name (IDNA form when saved), e.g. smtp.gmail.com."""
    port: int = 587
    """1..65535; 465 (TLS), 587 (STARTTLS) or 25 are the usual ones."""
    security: Security = "starttls"
    """ "tls": encrypted from the first byte; "starttls": upgraded before login; "none"."""
    username: str = ""
    """The login, usually the email address; empty only with security "none"."""
    verify_certificate: bool = True
    """Check the server's certificate; off only for the user's own server, with a warning."""
    ca_file: str = ""
    """A PEM file of extra trusted CAs (a private server's), or empty."""
    timeout: float = 30
    """Seconds for the WHOLE send, 1..600."""
    auth: SmtpAuth = "password"
    """ "password", or "oauth2": sign in with a token, as [oauth] says."""


class HttpSettings(Record):
    """[http]: the HTTP relay or API, when `protocol = "http"`."""

    url: str = ""
    """The relay URL, or the API's base URL (empty: the provider's default)."""
    timeout: float = 30
    """Seconds for the whole request, 1..600."""
    api: HttpApi = "relay"
    """Which API: "relay" (the original multipart relay), or a provider's."""
    domain: str = ""
    """Mailgun's sending domain (empty: the sender address's domain)."""


class OAuthSettings(Record):
    """[oauth]: how to sign in when `smtp.auth = "oauth2"`; the refresh token is a secret,
    stored apart (where [password] store says)."""

    provider: OAuthProvider = "microsoft"
    """ "microsoft", "google" or "custom" (the URLs below then say where)."""
    client_id: str = ""
    """The app registration's client ID."""
    client_secret: str = ""
    """Only where the provider's desktop clients have one (Google)."""
    tenant: str = "organizations"
    """Microsoft: organizations, consumers, common, or a tenant's ID or domain."""
    scope: str = ""
    """Empty: the provider's default."""
    device_authorization_url: str = ""
    """The device-code endpoint (custom; empty: the provider's, or none)."""
    authorization_url: str = ""
    """The browser sign-in endpoint (custom; empty: the provider's)."""
    token_url: str = ""
    """The token endpoint (custom; empty: the provider's)."""
    grant: OAuthGrant = "user"
    """ "user": a person signs in (device code or browser); "app": the app signs in itself
    (client credentials; Google: a service account's JWT bearer grant). See app_grants."""
    certificate: str = ""
    """App, Microsoft/custom: a PEM with the private key and certificate (empty: the stored
    secret is the client secret)."""
    service_account: str = ""
    """App, Google: the service account's JSON key file."""
    secret_expires: str = ""
    """App: the client secret's expiry date (YYYY-MM-DD), to warn before it ends."""


class LocalSettings(Record):
    """[local]: the system's own mail (the sendmail entry): where local names such as root go."""

    admin: str = ""
    """Where mail for root, postmaster and every local name without an alias goes."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Local name -> addresses or other local names, comma-separated."""


class SenderSettings(Record):
    """[sender]: who the messages are from; applies to every protocol."""

    address: str = ""
    """The From address; asked only when the username is not one (and for HTTP)."""
    name: str = ""
    """An optional display name."""
    reply_to: str = ""
    """Where replies go; required for the HTTP relay."""
    copy_to: str = ""
    """A copy of every email goes here (Bcc)."""


class PasswordSettings(Record):
    """[password]: where the secret (password, API key, sign-in) is kept; never in this file."""

    store: PasswordStore = "keyring"
    """ "keyring" (the system keyring), "file" (a 0600 file beside the settings, chosen when
    there is no keyring), or "none" (given at each use in MAILWIZ_PASSWORD)."""


class Settings(Record):
    """The whole settings file (version 1)."""

    protocol: Protocol = "smtp"
    """ "smtp" or "http": which table below is in use (the other is not saved)."""
    provider: str = "custom"
    """A catalogue id (gmail, microsoft365, postmark...) or "custom"."""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    """The mail server."""
    http: HttpSettings = field(default_factory=HttpSettings)
    """The HTTP relay or API."""
    sender: SenderSettings = field(default_factory=SenderSettings)
    """Who the messages are from."""
    password: PasswordSettings = field(default_factory=PasswordSettings)
    """Where the secret is kept."""
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    """How to sign in (smtp.auth = "oauth2")."""
    local: LocalSettings = field(default_factory=LocalSettings)
    """The system's own mail."""

    def copy(self) -> Settings:
        """An independent copy to edit: the one place settings are copied (a screen or a
        use case that changes settings it was handed changes its copy, never the caller's)."""
        import copy

        return copy.deepcopy(self)

    @property
    def from_address(self) -> str:
        """The From address: the sender address, or the username when that is one."""
        if self.sender.address.strip():
            return self.sender.address.strip()
        username = self.smtp.username.strip()
        return username if looks_like_address(username) else ""


def uses_relay(settings: Settings) -> bool:
    """Whether these settings post to the original multipart relay, whose key is optional."""
    return settings.protocol == "http" and settings.http.api == "relay"


# --------------------------------------------------------------------------- errors


class SettingsError(Exception):
    """A problem with the settings file a user can act on; str() is the whole message."""


class SettingsMissing(SettingsError):
    """There is no settings file yet."""


class SettingsFileError(SettingsError):
    """The file exists but cannot be used: bad TOML, unknown key, wrong type, newer version."""

    def __init__(self, message: str, *, path: Path, line: int | None = None, key: str = ""):
        self.path = path
        self.line = line
        self.key = key
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class SettingsBusy(SettingsError):
    """Another process is writing the settings file right now."""
