"""App-only sign-ins (`[oauth] grant = "app"`): the app signs in itself, no person's refresh
token is involved, so nothing ends by inactivity.

- Microsoft 365 (and a custom server): the client credentials grant (RFC 6749 4.4), the app
  proving itself with a certificate (a client assertion signed with its private key, RFC 7523
  section 2.2, with the certificate's `x5t` and `x5t#S256` thumbprints in the header, as
  Microsoft asks) or with a client secret (the stored secret). Scope
  `https://outlook.office365.com/.default`; XOAUTH2's user is the mailbox (`smtp.username`).
- Google Workspace: a service account's JWT bearer grant (RFC 7523 section 2.1) with
  domain-wide delegation: the assertion's `sub` is the mailbox, its scope
  `https://mail.google.com/`, its audience the key file's `token_uri`.

Signing is Authlib's (`authlib.oauth2.rfc7523`, on joserfc); the certificate is read with
`cryptography`. Key files are kept like a password: mailwiz refuses one that other users may
read. Tokens of an app sign-in are only kept in memory: getting a new one costs one request.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.credentials.oauth import REFRESH_MARGIN, CredentialMissing, NotSignedIn
from tui.core.credentials.oauth_endpoint import (
    HTTP_TIMEOUT,
    MICROSOFT_LOGIN,
    carried_words,
    token_error_from,
)
from tui.core.credentials.texts import say
from tui.core.credentials.tokens import TokenError
from tui.core.locations import command_for
from tui.core.tls import system_context

if TYPE_CHECKING:
    from tui.core.settings import Settings

MICROSOFT_APP_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_APP_SCOPE = "https://mail.google.com/"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 600  # seconds a signed assertion is valid


class AppKeyProblem(NotSignedIn):
    """The key an app signs in with cannot be used; str() says what to do."""


def uses_app_grant(settings: Settings) -> bool:
    return (
        settings.protocol == "smtp"
        and settings.smtp.auth == "oauth2"
        and settings.oauth.grant == "app"
    )


def app_scope(settings: Settings) -> str:
    scope = " ".join(settings.oauth.scope.split())
    if scope:
        return scope
    return GOOGLE_APP_SCOPE if settings.oauth.provider == "google" else MICROSOFT_APP_SCOPE


# ---------------------------------------------------------------------------- key files


def resolve_path(value: str, config_path: Path) -> Path:
    """A key file's path: as written, relative ones from the settings file's folder."""
    path = Path(value.strip()).expanduser()
    return path if path.is_absolute() else config_path.parent / path


def read_private_file(path: Path, what: str) -> bytes:
    """A key file's bytes; refused (AppKeyProblem) when missing or readable by others."""
    try:
        info = os.stat(path)
        data = path.read_bytes()
    except OSError as exc:
        error = exc.strerror or exc
        raise AppKeyProblem(say("app.unreadable", what=what, path=path, error=error)) from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise AppKeyProblem(say("app.readable-by-others", what=what, path=path))
    return data


@dataclass(frozen=True, repr=False)
class Certificate:
    """A PEM file holding the app's private key and its certificate."""

    private_key_pem: bytes
    x5t: str  # base64url SHA-1 thumbprint of the certificate (DER)
    x5t_s256: str  # base64url SHA-256 thumbprint
    not_after: float  # epoch seconds
    subject: str

    def __repr__(self) -> str:
        return f"Certificate(subject={self.subject!r}, x5t={self.x5t!r})"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_thumbprints(pem: bytes) -> tuple[str, str]:
    """The `x5t` (SHA-1) and `x5t#S256` thumbprints of the first certificate in a PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    sha1 = hashlib.sha1(der, usedforsecurity=False).digest()  # a thumbprint, by definition
    return _b64url(sha1), _b64url(hashlib.sha256(der).digest())


def load_certificate(path: Path) -> Certificate:
    """The key and certificate of a PEM file (the key may come first or second)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = read_private_file(path, say("app.certificate-file"))
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise AppKeyProblem(say("app.no-certificate", path=path)) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise AppKeyProblem(say("app.no-private-key", path=path)) from None
    x5t, x5t_s256 = load_thumbprints(data)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Certificate(
        private_key_pem=pem,
        x5t=x5t,
        x5t_s256=x5t_s256,
        not_after=certificate.not_valid_after_utc.timestamp(),
        subject=certificate.subject.rfc4514_string(),
    )


@dataclass(frozen=True, repr=False)
class ServiceAccount:
    """A Google service account's JSON key file: who it is and where it signs in."""

    client_email: str
    client_id: str
    private_key_pem: str
    private_key_id: str
    token_uri: str

    def __repr__(self) -> str:
        return f"ServiceAccount(client_email={self.client_email!r})"


def load_service_account(path: Path) -> ServiceAccount:
    data = read_private_file(path, say("app.service-account-file"))
    try:
        key = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        key = None
    if (
        not isinstance(key, dict)
        or key.get("type") != "service_account"
        or not all(isinstance(key.get(k), str) for k in ("client_email", "private_key"))
    ):
        raise AppKeyProblem(say("app.not-service-account", path=path))
    return ServiceAccount(
        client_email=key["client_email"],
        client_id=str(key.get("client_id") or ""),
        private_key_pem=key["private_key"],
        private_key_id=str(key.get("private_key_id") or ""),
        token_uri=str(key.get("token_uri") or "https://oauth2.googleapis.com/token"),
    )


def service_account_client_id(value: str) -> str:
    """The client ID in a service account key file, "" when it cannot be read (it is what
    the Workspace administrator enters for domain-wide delegation)."""
    try:
        data = json.loads(Path(value.strip()).expanduser().read_bytes())
    except (OSError, ValueError):
        return ""
    return str(data.get("client_id") or "") if isinstance(data, dict) else ""


# ---------------------------------------------------------------------------- requests


def app_token_url(settings: Settings, account: ServiceAccount | None = None) -> str:
    """Where the app asks for tokens: `[oauth] token_url` when set, else the provider's
    (Microsoft: the tenant's endpoint; Google: the key file's token_uri)."""
    oauth = settings.oauth
    if oauth.token_url.strip():
        return oauth.token_url.strip()
    if oauth.provider == "microsoft":
        return f"{MICROSOFT_LOGIN}/{oauth.tenant.strip()}/oauth2/v2.0/token"
    if account is not None:
        return account.token_uri
    return ""


def client_credentials_form(
    settings: Settings, token_url: str, secret: str | None, certificate: Certificate | None
) -> dict[str, str]:
    """The client credentials request: with a signed assertion, else with the secret."""
    from authlib.oauth2.rfc7523 import private_key_jwt_sign
    from joserfc.jwk import RSAKey

    client_id = settings.oauth.client_id.strip()
    form = {"grant_type": "client_credentials", "client_id": client_id}
    form["scope"] = app_scope(settings)
    if certificate is not None:
        now = int(time.time())
        form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        form["client_assertion"] = private_key_jwt_sign(
            RSAKey.import_key(certificate.private_key_pem),
            client_id=client_id,
            token_endpoint=token_url,
            header={"alg": "RS256", "typ": "JWT", "x5t": certificate.x5t,
                    "x5t#S256": certificate.x5t_s256},
            claims={"nbf": now},
            issued_at=now,
            expires_at=now + ASSERTION_LIFETIME,
        )  # fmt: skip
    elif secret:
        form["client_secret"] = secret
    return form


def jwt_bearer_form(settings: Settings, account: ServiceAccount, token_url: str) -> dict[str, str]:
    """Google's service account grant: an assertion naming the mailbox as `sub`."""
    from authlib.oauth2.rfc7523 import JWTBearerGrant
    from joserfc.jwk import RSAKey

    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    if account.private_key_id:
        header["kid"] = account.private_key_id
    try:
        key = RSAKey.import_key(account.private_key_pem)
    except ValueError:
        raise AppKeyProblem(say("app.not-rsa")) from None
    assertion = JWTBearerGrant.sign(
        key,
        issuer=account.client_email,
        audience=token_url,
        subject=settings.smtp.username.strip(),
        issued_at=now,
        expires_at=now + ASSERTION_LIFETIME,
        claims={"scope": app_scope(settings)},
        header=header,
    )
    return {"grant_type": JWT_BEARER_GRANT, "assertion": assertion}


#: The fields of a token request that are secrets (the rest: grant type, client id, scope).
_SECRET_FIELDS = ("client_secret", "client_assertion", "assertion")


async def post_token_request(token_url: str, form: dict[str, str]) -> dict[str, Any]:
    """POST a token request; the answer, or TokenError (Authlib's error parsing)."""
    import httpx
    from authlib.integrations.base_client.errors import OAuthError

    # A server that repeats the request in its error must not make mailwiz print a secret.
    words = carried_words(*(value for name, value in form.items() if name in _SECRET_FIELDS))
    try:
        async with httpx.AsyncClient(
            timeout=HTTP_TIMEOUT, verify=system_context(), trust_env=False
        ) as client:
            response = await client.post(
                token_url, data=form, headers={"Accept": "application/json"}
            )
        answer = response.json()
    except Exception as exc:
        raise token_error_from(exc, words) from None
    if not isinstance(answer, dict):
        raise TokenError("invalid_response", say("token.not-json"))
    if "error" in answer:
        error = token_error_from(
            OAuthError(str(answer["error"]), str(answer.get("error_description") or "")), words
        )
        error.temporary = error.temporary or response.status_code >= 500
        raise error
    if not isinstance(answer.get("access_token"), str) or not answer["access_token"]:
        raise TokenError("invalid_response", say("token.no-access-token"))
    return answer


# ---------------------------------------------------------------------------- the source


@dataclass(frozen=True, repr=False)
class AppKey:
    """What the app proves itself with: one of a secret, a certificate, a service account."""

    secret: str | None = None
    certificate: Certificate | None = None
    service_account: ServiceAccount | None = None

    def __repr__(self) -> str:
        kind = "service_account" if self.service_account else "certificate"
        return f"AppKey({'secret' if self.secret else kind})"

    @property
    def how(self) -> str:
        if self.service_account is not None:
            return "service_account"
        return "certificate" if self.certificate is not None else "client_secret"


def app_key_for(settings: Settings, config_path: Path, typed_secret: str = "") -> AppKey:
    """The app's key, read now (AppKeyProblem / CredentialMissing when there is none);
    `typed_secret`, when given, is the client secret (typed, not stored yet)."""
    oauth = settings.oauth
    if oauth.provider == "google":
        if not oauth.service_account.strip():
            raise AppKeyProblem(say("app.no-service-account"))
        path = resolve_path(oauth.service_account, config_path)
        return AppKey(service_account=load_service_account(path))
    if oauth.certificate.strip():
        return AppKey(certificate=load_certificate(resolve_path(oauth.certificate, config_path)))
    if typed_secret:
        return AppKey(secret=typed_secret)
    from tui.core.credentials.store import load_password

    lookup = load_password(settings, config_path)
    if lookup.password is None:
        command = command_for(config_path, "password")
        raise CredentialMissing(
            say("app.no-client-secret", problem=lookup.problem, command=command)
        )
    return AppKey(secret=lookup.password)


class AppTokenSource:
    """A `TokenSource` for an app sign-in: a new access token from the token endpoint when
    the one in memory has less than five minutes left, or when the server refused it."""

    def __init__(
        self, settings: Settings, key: AppKey, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._key = key
        self._clock = clock
        self._token = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.refreshed = 0

    def __repr__(self) -> str:
        return f"AppTokenSource(username={self.username!r})"

    @property
    def username(self) -> str:
        return self._settings.smtp.username.strip()

    @property
    def how(self) -> str:
        return self._key.how

    async def access_token(self, *, refresh: bool = False) -> str:
        async with self._lock:
            if not refresh and self._token and self._expires_at - self._clock() > REFRESH_MARGIN:
                return self._token
            answer = await self._request()
            self._token = str(answer["access_token"])
            expires_in = answer.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | float | str) else 3600.0
            self._expires_at = self._clock() + lifetime
            self.refreshed += 1
            return self._token

    async def _request(self) -> dict[str, Any]:
        key, settings = self._key, self._settings
        if key.service_account is not None:
            url = app_token_url(settings, key.service_account)
            form = jwt_bearer_form(settings, key.service_account, url)
        else:
            url = app_token_url(settings)
            if not url:
                raise TokenError("invalid_request", say("token.no-token-url"))
            form = client_credentials_form(settings, url, key.secret, key.certificate)
        return await post_token_request(url, form)


def app_token_source(
    settings: Settings,
    config_path: Path,
    clock: Callable[[], float] = time.time,
    typed_secret: str = "",
) -> AppTokenSource:
    key = app_key_for(settings, config_path, typed_secret)
    return AppTokenSource(settings, key, clock)


def key_ends(settings: Settings, config_path: Path) -> tuple[str, float] | None:
    """What ends an app sign-in and when, as far as known: ("certificate", notAfter) or
    ("client_secret", the expiry date the user entered); None when nothing is known."""
    oauth = settings.oauth
    if oauth.provider != "google" and oauth.certificate.strip():
        try:
            certificate = load_certificate(resolve_path(oauth.certificate, config_path))
        except AppKeyProblem:
            return None
        return "certificate", certificate.not_after
    if oauth.provider != "google" and oauth.secret_expires.strip():
        try:
            day = datetime.strptime(oauth.secret_expires.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            return None
        return "client_secret", day.timestamp()
    return None
