"""The practice authorization server's tables: what it issued (codes, device codes, tokens),
its options, and what the user does on its side (approve, deny, revoke, expire).

Authlib's side (`app.py`) reads and writes these tables; `server.py` runs the HTTP server
around them. Nothing here imports either, so neither imports the other's insides.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from tui.core.settings import OAuthSettings, Settings

CLIENT_ID: Final = "mailwiz-practice"
ACCOUNT: Final = "practice@example.com"
SCOPE: Final = "smtp.send offline_access openid email"


@dataclass
class IssuedToken:
    """One access token (and its refresh token) this server handed out."""

    access_token: str
    refresh_token: str
    client_id: str
    user: str
    scope: str
    issued_at: float
    expires_in: int
    revoked: bool = False
    refresh_used: bool = False  # rotated: this refresh token was exchanged once already

    def access_live(self, now: float) -> bool:
        return not self.revoked and now < self.issued_at + self.expires_in


@dataclass
class Device:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: float
    last_poll: float = 0.0
    decision: bool | None = None  # None: not yet; True approved; False denied
    user: str = ACCOUNT


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    user: str
    created: float = field(default_factory=time.time)


class PracticeTables:
    """What the practice server issued and its options; the user's side of it (`approve`,
    `deny`, `revoke_all`, `expire_access_tokens`); `tokens` is what it issued.

    `refuse_client_secrets`: the client is public, and a request that carries a
    `client_secret` at all (even an empty one) is refused, as Microsoft refuses it
    (AADSTS700025)."""

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        account: str = ACCOUNT,
        access_token_lifetime: int = 3600,
        device_lifetime: int = 900,
        device_interval: int = 5,
        slow_down_polls: int = 0,
        with_id_token: bool = True,
    ) -> None:
        self.client_id = client_id
        self.account = account
        self.access_token_lifetime = access_token_lifetime
        self.device_lifetime = device_lifetime
        self.device_interval = device_interval
        self.slow_down_polls = slow_down_polls  # answer slow_down to this many first polls
        self.with_id_token = with_id_token
        self.tokens: list[IssuedToken] = []
        self.polls: list[float] = []  # monotonic times of device-code polls
        self.port = 0
        self.devices: dict[str, Device] = {}
        self.codes: dict[str, Code] = {}
        self.lock = threading.RLock()
        self.approves_everything = False
        self.refuse_client_secrets = True
        self.client_secrets_seen: list[str] = []  # what the public client sent as a secret
        from tui.core.oauth_practice.app_grants import PracticeApp

        # When set, the token endpoint answers every request with this error and
        # description (AADSTS700082, invalid_grant, ...): the refusals rehearsed.
        self.refusal: tuple[str, str] | None = None
        # A test's fast clock, and how long a refresh token may lie unused before it ends
        # by inactivity (AADSTS700082, as Microsoft's do after 90 days); 0: never.
        self.clock: Callable[[], float] = time.time
        self.refresh_idle_lifetime = 0.0
        # Seconds a refresh token lives at most, said as refresh_token_expires_in (Google's
        # apps in Testing status: 7 days); 0: not said.
        self.refresh_token_lifetime = 0
        self.app = PracticeApp()  # the app sign-ins (client credentials, service account)
        self.query_app_client: Any = lambda client_id: None  # set when the server starts

    # --- addresses

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def device_authorization_url(self) -> str:
        return f"{self.base_url}/device_authorization"

    @property
    def authorization_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def revocation_url(self) -> str:
        return f"{self.base_url}/revoke"

    @property
    def verification_url(self) -> str:
        return f"{self.base_url}/device"

    # --- what the user does on the server's side

    def pending_codes(self) -> list[str]:
        """User codes waiting for a decision, oldest first."""
        now = time.time()
        with self.lock:
            return [
                d.user_code
                for d in self.devices.values()
                if d.decision is None and d.expires_at > now
            ]

    def decide(self, user_code: str, approved: bool) -> bool:
        """Approve or deny a device code; False when no such code is waiting."""
        wanted = normal_code(user_code)
        with self.lock:
            for device in self.devices.values():
                if normal_code(device.user_code) == wanted and device.decision is None:
                    device.decision = approved
                    device.user = self.account
                    return True
        return False

    def approve(self, user_code: str) -> bool:
        return self.decide(user_code, True)

    def deny(self, user_code: str) -> bool:
        return self.decide(user_code, False)

    def approve_everything(self, yes: bool = True) -> None:
        """Approve each device code as it is issued (an unattended demo, some tests)."""
        self.approves_everything = yes

    def revoke_all(self) -> None:
        """As if the user signed out everywhere: every access and refresh token dies."""
        with self.lock:
            for token in self.tokens:
                token.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired (refresh tokens stay good)."""
        with self.lock:
            for token in self.tokens:
                token.expires_in = 0

    def keep(self, token: dict[str, Any], user: str) -> None:
        """Record a token just issued (Authlib's save_token)."""
        issued = IssuedToken(
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token", ""),
            client_id=self.client_id,
            user=user,
            scope=token.get("scope", ""),
            issued_at=self.clock(),
            expires_in=int(token.get("expires_in", self.access_token_lifetime)),
        )
        with self.lock:
            self.tokens.append(issued)

    def idle_too_long(self, token: IssuedToken) -> bool:
        """Whether a refresh token lay unused past `refresh_idle_lifetime`."""
        idle = self.clock() - token.issued_at
        return bool(self.refresh_idle_lifetime) and idle > self.refresh_idle_lifetime

    def find(self, token_string: str) -> IssuedToken | None:
        """The issued token whose access or refresh token this is."""
        with self.lock:
            for token in self.tokens:
                if token_string in (token.access_token, token.refresh_token):
                    return token
        return None

    def user_for(self, access_token: str) -> str | None:
        """The account a live access token was issued to, or None."""
        now = self.clock()
        with self.lock:
            for token in self.tokens:
                if secrets.compare_digest(token.access_token, access_token):
                    return token.user if token.access_live(now) else None
        return None

    def secrets_issued(self) -> list[str]:
        """Every access and refresh token handed out (tests assert none is ever printed)."""
        with self.lock:
            return [t.access_token for t in self.tokens] + [
                t.refresh_token for t in self.tokens if t.refresh_token
            ]

    def settings_for(self, settings: Settings) -> Settings:
        """`settings` signing in with this server: auth oauth2, provider custom, its URLs."""
        settings.smtp.auth = "oauth2"
        settings.oauth = OAuthSettings(
            provider="custom",
            client_id=self.client_id,
            scope=SCOPE,
            device_authorization_url=self.device_authorization_url,
            authorization_url=self.authorization_url,
            token_url=self.token_url,
        )
        return settings

    def settings_for_app(self, settings: Settings, how: str, folder: Path) -> Settings:
        """`settings` signing in as the practice app: `how` is "client_secret" (the secret
        must then be stored, see `app.client_secret`), "certificate" (a PEM written into
        `folder`) or "service_account" (a Google-style key file written into `folder`)."""
        settings = self.settings_for(settings)
        oauth = settings.oauth
        oauth.grant = "app"
        oauth.scope = ""
        oauth.device_authorization_url = oauth.authorization_url = ""
        if how == "service_account":
            oauth.provider = "google"
            oauth.client_id = oauth.token_url = ""
            path = self.app.write_service_account(folder / "service-account.json", self.token_url)
            oauth.service_account = str(path)
            return settings
        oauth.client_id = self.app.client_id
        oauth.scope = "https://outlook.office365.com/.default"
        if how == "certificate":
            oauth.certificate = str(self.app.write_certificate(folder / "app-certificate.pem"))
        return settings


def normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def id_token(user: str, client_id: str, issuer: str) -> str:
    """An unsigned ID token (practice only): header.payload. with no signature."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": issuer, "aud": client_id, "sub": user, "iat": now, "exp": now + 3600}
    claims |= {"preferred_username": user, "email": user}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
