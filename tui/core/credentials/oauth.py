"""OAuth 2.0 sign-in for SMTP: the endpoints of each provider, the stored token, and the
`TokenSource` the SMTP engine signs in with.

The token endpoint is spoken through Authlib's httpx client (`authlib.integrations.httpx_client`):
it builds the requests (PKCE, client authentication, refresh) and parses the answers (errors,
`expires_in` -> `expires_at`). Authlib is imported only inside the functions that talk to a
token endpoint, so a send with a password never loads it (a test checks this).

`token_source_for(settings, config_path)` gives the `StoredTokenSource` of `smtp.auth = "oauth2"`;
which credential a send uses is decided once, in `choose.credential_for`. The sign-in itself (device
code, browser + PKCE) is in `oauth_flows`; where the token is kept is in `oauth_store`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui.core.credentials.tokens import TokenError
from tui.core.tls import system_context

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.settings import Settings

MICROSOFT_LOGIN = "https://login.microsoftonline.com"
MICROSOFT_SCOPE = "https://outlook.office.com/SMTP.Send offline_access openid profile email"
GOOGLE_AUTHORIZATION_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_REVOCATION_URL = "https://oauth2.googleapis.com/revoke"
# Google's device flow does not allow the Gmail scope, so Google always signs in in a browser.
GOOGLE_SCOPE = "https://mail.google.com/ openid email"

REFRESH_MARGIN = 300  # seconds: a token with less left than this is refreshed before use
FRESH_ENOUGH = 30  # seconds left on a token another mailwiz renewed a moment ago
HTTP_TIMEOUT = 30.0  # seconds for one request to the token endpoint

_AADSTS = re.compile(r"\bAADSTS\d+\b")


@dataclass(frozen=True)
class Endpoints:
    """Where and how to sign in, from `[oauth]`: the provider's defaults, overridden by any URL
    set in the file. `device_authorization_url` is "" where there is no device flow to use."""

    provider: str
    client_id: str
    client_secret: str
    scope: str
    token_url: str
    authorization_url: str
    device_authorization_url: str

    @property
    def has_device_flow(self) -> bool:
        return bool(self.device_authorization_url)


def endpoints_for(settings: Settings) -> Endpoints:
    """The endpoints and scope for these settings' `[oauth]` table."""
    oauth = settings.oauth
    if oauth.provider == "microsoft":
        base = f"{MICROSOFT_LOGIN}/{oauth.tenant.strip() or 'organizations'}/oauth2/v2.0"
        defaults = (f"{base}/token", f"{base}/authorize", f"{base}/devicecode", MICROSOFT_SCOPE)
    elif oauth.provider == "google":
        defaults = (GOOGLE_TOKEN_URL, GOOGLE_AUTHORIZATION_URL, "", GOOGLE_SCOPE)
    else:
        defaults = ("", "", "", "")
    token_url, authorization_url, device_url, scope = defaults
    device = oauth.device_authorization_url.strip() or device_url
    return Endpoints(
        provider=oauth.provider,
        client_id=oauth.client_id.strip(),
        client_secret=oauth.client_secret.strip(),
        scope=" ".join(oauth.scope.split()) or scope,
        token_url=oauth.token_url.strip() or token_url,
        authorization_url=oauth.authorization_url.strip() or authorization_url,
        device_authorization_url="" if oauth.provider == "google" else device,
    )


# ------------------------------------------------------------------------- the stored token


@dataclass(frozen=True, repr=False)
class TokenRecord:
    """What a sign-in leaves in the store: a secret as a whole (never printed, never in the
    settings file). `expires_at` is the access token's end, in epoch seconds (0: unknown)."""

    refresh_token: str
    access_token: str = ""
    expires_at: float = 0.0
    username: str = ""  # the signed-in account, from the ID token, when the provider said
    token_type: str = "Bearer"
    scope: str = ""
    # When the refresh token itself ends, where the server said (refresh_token_expires_in:
    # Google's apps in Testing status, 7 days; 0: not said). Status warns ahead of it.
    refresh_expires_at: float = 0.0

    def __repr__(self) -> str:
        return f"TokenRecord(username={self.username!r}, expires_at={self.expires_at:.0f}, ...)"

    __str__ = __repr__

    def to_json(self) -> str:
        """One line of JSON (the store keeps it as one line)."""
        return json.dumps(
            {
                "version": 1,
                "refresh_token": self.refresh_token,
                "access_token": self.access_token,
                "expires_at": self.expires_at,
                "username": self.username,
                "token_type": self.token_type,
                "scope": self.scope,
                "refresh_expires_at": self.refresh_expires_at,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TokenRecord:
        """ValueError (with no secret in it) when the text is not a stored sign-in."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("it is not a sign-in saved by mailwiz (not JSON)") from None
        if not isinstance(data, dict) or not isinstance(data.get("refresh_token"), str):
            raise ValueError("it is not a sign-in saved by mailwiz (no refresh token)")
        expires = data.get("expires_at", 0)
        return cls(
            refresh_token=data["refresh_token"],
            access_token=str(data.get("access_token") or ""),
            expires_at=float(expires) if isinstance(expires, int | float) else 0.0,
            username=str(data.get("username") or ""),
            token_type=str(data.get("token_type") or "Bearer"),
            scope=str(data.get("scope") or ""),
            refresh_expires_at=_number(data.get("refresh_expires_at")),
        )

    def live_for(self, now: float) -> float:
        """Seconds the access token has left: 0 when there is none; unbounded when the server
        gave no lifetime (it is used until the SMTP server refuses it, then refreshed)."""
        if not self.access_token:
            return 0.0
        if not self.expires_at:
            return float("inf")
        return max(0.0, self.expires_at - now)


def username_from_id_token(id_token: str) -> str:
    """The account an ID token names (`preferred_username`, else `email`), or "".

    The ID token came straight from the token endpoint over TLS, so its signature need not be
    checked to learn who signed in (OpenID Connect Core 3.1.3.7); it is not used to
    authorise anything.
    """
    parts = id_token.split(".")
    if len(parts) < 2:
        return ""
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return ""
    if not isinstance(claims, dict):
        return ""
    for claim in ("preferred_username", "email", "upn"):
        value = claims.get(claim)
        if isinstance(value, str) and "@" in value:
            return value.strip()
    return ""


def record_from_response(
    token: Mapping[str, Any], previous: TokenRecord | None = None, now: float | None = None
) -> TokenRecord:
    """A TokenRecord from a token endpoint's answer. A refresh answer without a new refresh
    token (Google's) keeps the old one; without an ID token, the old username stays."""
    now = time.time() if now is None else now
    old = previous or TokenRecord(refresh_token="")
    expires_at = token.get("expires_at")
    if not isinstance(expires_at, int | float):
        expires_in = token.get("expires_in")
        expires_at = now + float(expires_in) if isinstance(expires_in, int | float) else 0.0
    id_token = token.get("id_token")
    username = username_from_id_token(id_token) if isinstance(id_token, str) else ""
    refresh_in = _number(token.get("refresh_token_expires_in"))
    if refresh_in:
        refresh_expires_at = now + refresh_in
    else:  # the same refresh token kept (Google's refresh answers): its end stays
        refresh_expires_at = 0.0 if token.get("refresh_token") else old.refresh_expires_at
    return TokenRecord(
        refresh_token=str(token.get("refresh_token") or old.refresh_token),
        access_token=str(token.get("access_token") or ""),
        expires_at=float(expires_at),
        username=username or old.username,
        token_type=str(token.get("token_type") or "Bearer"),
        scope=str(token.get("scope") or old.scope),
        refresh_expires_at=refresh_expires_at,
    )


def _number(value: object) -> float:
    """A JSON number (or a numeric string) as a float; 0.0 for anything else."""
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value)) if value else 0.0
    except ValueError:
        return 0.0


# ------------------------------------------------------------- talking to a token endpoint


def token_error_from(exc: BaseException) -> TokenError:
    """Authlib's and httpx's exceptions as a TokenError: data, never a token."""
    import httpx
    from authlib.integrations.base_client.errors import OAuthError

    if isinstance(exc, TokenError):
        return exc
    if isinstance(exc, OAuthError):
        description = str(exc.description or "")
        codes = tuple(dict.fromkeys(_AADSTS.findall(description)))
        error = str(exc.error or "unknown_error")
        temporary = error in ("temporarily_unavailable", "server_error")
        return TokenError(error, description, codes=codes, temporary=temporary)
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return TokenError(
            "server_error",
            f"the sign-in server answered HTTP {status}",
            temporary=status >= 500 or status == 429,
        )
    if isinstance(exc, httpx.TimeoutException):
        return TokenError("timeout", "the sign-in server did not answer in time", temporary=True)
    if isinstance(exc, httpx.TransportError):
        return TokenError(
            "network",
            f"the sign-in server could not be reached ({type(exc).__name__})",
            temporary=True,
        )
    if isinstance(exc, ValueError):
        return TokenError("invalid_response", "the sign-in server's answer was not OAuth JSON")
    raise exc


def oauth_client(endpoints: Endpoints, **options: Any) -> Any:
    """Authlib's async httpx OAuth 2.0 client for these endpoints (imported here, lazily).

    TLS is checked with the system's trust store (`tui.core.tls.system_context()`), like every
    other connection mailwiz makes; no proxy variables are read, no retries.
    """
    from authlib.deprecate import AuthlibDeprecationWarning  # installs its "always" filter

    with warnings.catch_warnings():
        # Authlib 1.9 prefers httpx2 and warns when it falls back to httpx, which mailwiz
        # uses everywhere; the warning would land on the user's terminal.
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=endpoints.client_id,
        client_secret=endpoints.client_secret or None,
        # Google's desktop clients send their secret in the body; public clients send none.
        token_endpoint_auth_method="client_secret_post" if endpoints.client_secret else "none",
        scope=endpoints.scope or None,
        timeout=HTTP_TIMEOUT,
        verify=system_context(),
        trust_env=False,
        **options,
    )


async def refresh_record(endpoints: Endpoints, record: TokenRecord) -> TokenRecord:
    """A new access token (and, where the server rotates them, a new refresh token)."""
    if not endpoints.token_url:
        raise TokenError("invalid_request", "no token URL is set in [oauth] token_url")
    try:
        async with oauth_client(endpoints) as client:
            token = await client.refresh_token(
                endpoints.token_url, refresh_token=record.refresh_token
            )
    except Exception as exc:
        raise token_error_from(exc) from None
    return record_from_response(token, previous=record)


# ------------------------------------------------------------------------ the token source


class NotSignedIn(Exception):
    """No usable sign-in is stored for these settings; str() says what to do."""


class Vault(Protocol):
    """Where a token source reads and keeps its sign-in (`oauth_store.TokenVault`).
    `acquire` blocks until no other mailwiz is refreshing the same sign-in (a refresh token
    rotated by one process must not be spent again by another); it is called in a thread."""

    def load(self) -> TokenRecord | None: ...

    def save(self, record: TokenRecord) -> None: ...

    def acquire(self) -> object: ...

    def release(self, held: object) -> None: ...


class StoredTokenSource:
    """A `TokenSource` backed by the store: the cached access token while more than five
    minutes remain, else a refresh, whose answer (with its rotated refresh token) is ALWAYS
    stored before the new access token is handed out.

    A refresh holds the vault's lock and first reads the store again: when another process
    refreshed meanwhile, its token is used instead of spending a refresh token twice."""

    def __init__(
        self,
        endpoints: Endpoints,
        record: TokenRecord,
        vault: Vault,
        fallback_username: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._endpoints = endpoints
        self._record = record
        self._vault = vault
        self._fallback_username = fallback_username.strip()
        self._clock = clock
        self._lock = asyncio.Lock()
        self.refreshed = 0  # how many refreshes this source made (for tests and the report)

    def __repr__(self) -> str:
        return f"StoredTokenSource(username={self.username!r})"

    @property
    def username(self) -> str:
        return self._record.username or self._fallback_username

    def _live(self, record: TokenRecord, margin: float = REFRESH_MARGIN) -> bool:
        return record.live_for(self._clock()) > margin

    async def access_token(self, *, refresh: bool = False) -> str:
        async with self._lock:
            if not refresh and self._live(self._record):
                return self._record.access_token
            held = await asyncio.to_thread(self._vault.acquire)
            try:
                return await self._refresh(rejected=self._record.access_token if refresh else "")
            finally:
                self._vault.release(held)

    async def _refresh(self, rejected: str) -> str:
        latest = await asyncio.to_thread(self._vault.load)
        if latest is not None and latest.refresh_token != self._record.refresh_token:
            self._record = latest  # another mailwiz refreshed meanwhile
            # Just renewed there: good enough unless it is the one the server just refused.
            if latest.access_token != rejected and self._live(latest, FRESH_ENOUGH):
                return latest.access_token
        if not self._record.refresh_token:
            raise TokenError("invalid_grant", "no refresh token is stored: sign in again")
        new = await refresh_record(self._endpoints, self._record)
        if not new.access_token:
            raise TokenError("invalid_response", "the refresh gave no access token")
        # The old refresh token may be dead now (rotation): keep the new one first.
        try:
            await asyncio.to_thread(self._vault.save, new)
        except Exception as error:  # TokenStoreError; its text holds no secret
            raise TokenError("store_failed", f"the renewed sign-in was not kept: {error}") from None
        self._record = new
        self.refreshed += 1
        return new.access_token


def token_source_for(
    settings: Settings,
    config_path: Path,
    clock: Callable[[], float] = time.time,
    typed_secret: str = "",
) -> TokenSource:
    """The token source for settings with `smtp.auth = "oauth2"`, or NotSignedIn: the app's
    own sign-in for `grant = "app"` (app_grants), else the person's stored sign-in.
    `clock` is the time the source goes by (a test's fast clock); `typed_secret` an app's
    client secret typed in the wizard and not stored yet (its test before saving)."""
    if settings.oauth.grant == "app":
        from tui.core.credentials.app_grants import app_token_source

        return app_token_source(settings, config_path, clock, typed_secret)
    from tui.core.credentials.oauth_store import TokenStoreError, TokenVault

    vault = TokenVault(settings, config_path)
    try:
        record = vault.load()
    except TokenStoreError as error:
        raise NotSignedIn(str(error)) from None
    if record is None:
        from tui.core.settings import command_for  # loaded already: settings exist

        raise NotSignedIn(
            f"not signed in yet: run `{command_for(config_path, 'login')}` to sign in "
            f"with {provider_name(settings.oauth.provider)}"
        )
    return StoredTokenSource(endpoints_for(settings), record, vault, settings.smtp.username, clock)


def uses_oauth(settings: Settings) -> bool:
    return settings.protocol == "smtp" and settings.smtp.auth == "oauth2"


class CredentialMissing(NotSignedIn):
    """A secret is needed (an app's client secret or key) and none is stored or given."""


def provider_name(provider: str) -> str:
    return {"microsoft": "Microsoft", "google": "Google"}.get(provider, "the sign-in server")


def with_username(record: TokenRecord, username: str) -> TokenRecord:
    """The record with a username filled in when the provider gave none."""
    return record if record.username or not username else replace(record, username=username)
