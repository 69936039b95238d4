"""OAuth 2.0 sign-in for SMTP: the stored token and the `TokenSource` the SMTP engine signs
in with. How mailwiz talks to a sign-in server (the endpoints, the HTTP client, its errors) is
in `oauth_endpoint`.

This module knows nothing of where a sign-in is kept: `StoredTokenSource` is handed a `Vault`
(`oauth_store.TokenVault`). The sign-in itself (device code, browser + PKCE) is in
`oauth_flows`, the use case that drives it in `signin`, where the token is kept in
`oauth_store`, and the credential a send uses is chosen in `choose`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tui.core.credentials.oauth_endpoint import (
    Endpoints,
    oauth_client,
    secret_words,
    token_error_from,
)
from tui.core.credentials.texts import say as say_token
from tui.core.credentials.tokens import TokenError
from tui.core.diagnose.texts import say

REFRESH_MARGIN = 300  # seconds: a token with less left than this is refreshed before use
FRESH_ENOUGH = 30  # seconds left on a token another mailwiz renewed a moment ago
LONGEST_LIFE = 366 * 86400  # seconds: an access token said to live longer is odd

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
        except (json.JSONDecodeError, RecursionError):
            raise ValueError(say("keep", "not-json")) from None
        if not isinstance(data, dict) or not isinstance(data.get("refresh_token"), str):
            raise ValueError(say("keep", "no-refresh-token"))
        expires = data.get("expires_at", 0)
        return cls(
            refresh_token=data["refresh_token"],
            access_token=str(data.get("access_token") or ""),
            expires_at=float(expires)
            if isinstance(expires, int | float) and math.isfinite(expires)
            else 0.0,
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


def _seconds(value: float) -> float:
    """An access token's lifetime as the server said it, refused when no clock can hold it
    (1e400, "inf", NaN) or it is beyond any real token's (a year)."""
    if not math.isfinite(value) or not 0 <= value <= LONGEST_LIFE:
        raise TokenError("invalid_response", say_token("token.bad-lifetime"))
    return value


def record_from_response(
    token: Mapping[str, Any], previous: TokenRecord | None = None, now: float | None = None
) -> TokenRecord:
    """A TokenRecord from a token endpoint's answer. A refresh answer without a new refresh
    token (Google's) keeps the old one; without an ID token, the old username stays."""
    now = time.time() if now is None else now
    old = previous or TokenRecord(refresh_token="")
    expires_in = token.get("expires_in")
    expires_at = token.get("expires_at")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = now + _seconds(float(expires_in))
    elif isinstance(expires_at, int | float) and not isinstance(expires_at, bool):
        expires_at = now + _seconds(float(expires_at) - now)
    else:
        expires_at = 0.0
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
    """A JSON number (or a numeric string) of seconds as a float; 0.0 for anything else,
    and for what no clock can hold (1e400, "inf", NaN, negative)."""
    if isinstance(value, bool):
        return 0.0
    try:
        number = float(value) if isinstance(value, int | float) else float(str(value or 0))
    except (ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) and 0 <= number <= 100 * 366 * 86400 else 0.0


async def refresh_record(endpoints: Endpoints, record: TokenRecord) -> TokenRecord:
    """A new access token (and, where the server rotates them, a new refresh token)."""
    if not endpoints.token_url:
        raise TokenError("invalid_request", say_token("token.no-token-url"))
    words = secret_words(endpoints, record.refresh_token)
    try:
        async with oauth_client(endpoints) as client:
            token = await client.refresh_token(
                endpoints.token_url, refresh_token=record.refresh_token
            )
        new = record_from_response(token, previous=record)
    except Exception as exc:
        raise token_error_from(exc, words) from None
    return new


# ------------------------------------------------------------------------ the token source


class NotSignedIn(Exception):
    """No usable sign-in is stored for these settings; str() says what to do."""


class CredentialMissing(NotSignedIn):
    """A password (or an app's client secret) is needed and none is stored or given."""


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
            try:
                held = await asyncio.to_thread(self._vault.acquire)
            except Exception as error:  # TokenStoreError: its text holds no secret
                raise TokenError("store_failed", str(error)) from None
            try:
                return await self._refresh(rejected=self._record.access_token if refresh else "")
            finally:
                self._vault.release(held)

    async def _refresh(self, rejected: str) -> str:
        try:
            latest = await asyncio.to_thread(self._vault.load)
        except Exception as error:  # TokenStoreError: its text holds no secret
            raise TokenError("store_failed", str(error)) from None
        if latest is not None and latest.refresh_token != self._record.refresh_token:
            self._record = latest  # another mailwiz refreshed meanwhile
            # Just renewed there: good enough unless it is the one the server just refused.
            if latest.access_token != rejected and self._live(latest, FRESH_ENOUGH):
                return latest.access_token
        if not self._record.refresh_token:
            raise TokenError("invalid_grant", say_token("token.no-refresh-token"))
        new = await refresh_record(self._endpoints, self._record)
        if not new.access_token:
            raise TokenError("invalid_response", say_token("token.refresh-no-access-token"))
        # The old refresh token may be dead now (rotation): keep the new one first.
        try:
            await asyncio.to_thread(self._vault.save, new)
        except Exception as error:  # TokenStoreError; its text holds no secret
            raise TokenError(
                "store_failed", say_token("token.renewed-not-kept", error=error)
            ) from None
        self._record = new
        self.refreshed += 1
        return new.access_token


def with_username(record: TokenRecord, username: str) -> TokenRecord:
    """The record with a username filled in when the provider gave none."""
    return record if record.username or not username else replace(record, username=username)
