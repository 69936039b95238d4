"""Talking to an OAuth 2.0 server: each provider's endpoints, the HTTP client, its errors.

The token endpoint is spoken through Authlib's httpx client (`authlib.integrations.httpx_client`):
it builds the requests (PKCE, client authentication, refresh) and parses the answers (errors,
`expires_in` -> `expires_at`). Authlib is imported only inside the functions that talk to a
token endpoint, so a send with a password never loads it (a test checks this).

What a sign-in server answers is never trusted:
- an answer is read up to `MAX_ANSWER` bytes, without a content encoding (a compressed
  answer could grow without bound), and anything odd in it (a number of seconds too large for
  a clock, JSON nested too deep to parse) is a `TokenError("invalid_response")`;
- every secret a request carried (the refresh token, the client secret, the device code, the
  authorization code and its PKCE verifier) is redacted from the server's words before they
  become a `TokenError`: a server that repeats the request in its `error_description` cannot
  make mailwiz print them (`secret_words`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.core.credentials.texts import say
from tui.core.credentials.tokens import TokenError
from tui.core.redact import Redactor
from tui.core.tls import system_context

if TYPE_CHECKING:
    import httpx

    from tui.core.settings import Settings

MICROSOFT_LOGIN = "https://login.microsoftonline.com"
MICROSOFT_SCOPE = "https://outlook.office.com/SMTP.Send offline_access openid profile email"
GOOGLE_AUTHORIZATION_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_REVOCATION_URL = "https://oauth2.googleapis.com/revoke"
# Google's device flow does not allow the Gmail scope, so Google always signs in in a browser.
GOOGLE_SCOPE = "https://mail.google.com/ openid email"

HTTP_TIMEOUT = 30.0  # seconds for one request to the token endpoint
MAX_ANSWER = 1_000_000  # bytes: a token answer is a few kilobytes; a bigger one is refused

_AADSTS = re.compile(r"\bAADSTS\d+\b")


@dataclass(frozen=True, repr=False)
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

    def __repr__(self) -> str:
        return f"Endpoints(provider={self.provider!r}, client_id={self.client_id!r}, ...)"

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


def provider_name(provider: str) -> str:
    return {"microsoft": "Microsoft", "google": "Google"}.get(provider) or say(
        "token.the-sign-in-server"
    )


# --------------------------------------------------------------------------- secrets


def secret_words(endpoints: Endpoints, *secrets: str) -> Redactor:
    """A Redactor for what a request to the sign-in server carried: the client secret and
    `secrets` (refresh token, device code, authorization code, PKCE verifier), in every form
    (plain, base64, URL-encoded as the request body had them), and the token URL's query."""
    redactor = carried_words(endpoints.client_secret, *secrets)
    redactor.add_url(endpoints.token_url)
    return redactor


def carried_words(*secrets: str) -> Redactor:
    """A Redactor for secrets a token request carried, plain, base64 and URL-encoded (an app's
    client secret, its signed assertion)."""
    redactor = Redactor()
    for secret in secrets:
        redactor.add(secret, forms=_url_forms(secret))
    return redactor


def _url_forms(secret: str) -> Iterable[str]:
    from urllib.parse import quote, quote_plus

    return {form for form in (quote(secret, safe=""), quote_plus(secret)) if form != secret}


# --------------------------------------------------------------------------- errors


class AnswerRefused(Exception):
    """The sign-in server's answer is not one mailwiz reads (too large, compressed)."""


def token_error_from(exc: BaseException, words: Redactor | None = None) -> TokenError:
    """Authlib's and httpx's exceptions, and odd answers, as a TokenError: data, with the
    server's words cleaned by `words` (see `secret_words`), never a token."""
    import httpx
    from authlib.integrations.base_client.errors import OAuthError

    clean = (words or Redactor()).clean
    if isinstance(exc, TokenError):
        return TokenError(
            clean(exc.error, 100),
            clean(exc.description, 1000),
            codes=exc.codes,
            temporary=exc.temporary,
        )
    if isinstance(exc, OAuthError):
        description = clean(str(exc.description or ""), 1000)
        codes = tuple(dict.fromkeys(_AADSTS.findall(description)))
        error = clean(str(exc.error or "unknown_error"), 100)
        temporary = error in ("temporarily_unavailable", "server_error")
        return TokenError(error, description, codes=codes, temporary=temporary)
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return TokenError(
            "server_error",
            say("token.http-status", status=status),
            temporary=status >= 500 or status == 429,
        )
    if isinstance(exc, httpx.TimeoutException):
        return TokenError("timeout", say("token.timeout"), temporary=True)
    if isinstance(exc, httpx.TransportError):
        return TokenError(
            "network",
            say("token.unreachable", error=type(exc).__name__),
            temporary=True,
        )
    if isinstance(exc, AnswerRefused):
        return TokenError("invalid_response", str(exc))
    if isinstance(exc, OverflowError | RecursionError | ValueError | TypeError | KeyError):
        # 1e400 or "inf" seconds, JSON nested 100,000 deep, a number where text belongs...
        return TokenError("invalid_response", say("token.not-json"))
    raise exc


# --------------------------------------------------------------------------- the client


class _CappedTransport:
    """httpx's transport, reading at most MAX_ANSWER bytes of an uncompressed answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import httpx

        response = await self._inner.handle_async_request(request)
        try:
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise AnswerRefused(say("token.compressed", encoding=encoding))
            body = bytearray()
            async for chunk in response.stream:  # type: ignore[union-attr]
                body += chunk
                if len(body) > MAX_ANSWER:
                    raise AnswerRefused(say("token.too-large", limit=MAX_ANSWER))
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(bytes(body)),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _CappedTransport:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._inner.__aexit__(*exc_info)


def oauth_client(endpoints: Endpoints, **options: Any) -> Any:
    """Authlib's async httpx OAuth 2.0 client for these endpoints (imported here, lazily).

    TLS is checked with the system's trust store (`tui.core.tls.system_context()`), like every
    other connection mailwiz makes; no proxy variables are read, no retries; answers are
    capped (`MAX_ANSWER`). A public client (no secret) sends no `client_secret` at all: an
    empty one makes Microsoft refuse the request (AADSTS700025).
    """
    import httpx
    from authlib.deprecate import AuthlibDeprecationWarning  # installs its "always" filter

    with warnings.catch_warnings():
        # Authlib 1.9 prefers httpx2 and warns when it falls back to httpx, which mailwiz
        # uses everywhere; the warning would land on the user's terminal.
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    transport = httpx.AsyncHTTPTransport(verify=system_context(), trust_env=False)
    return AsyncOAuth2Client(
        client_id=endpoints.client_id,
        client_secret=endpoints.client_secret or None,
        # Google's desktop clients send their secret in the body; public clients send none.
        token_endpoint_auth_method="client_secret_post" if endpoints.client_secret else "none",
        scope=endpoints.scope or None,
        timeout=HTTP_TIMEOUT,
        transport=_CappedTransport(transport),
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
        **options,
    )
