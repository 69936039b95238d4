"""OAuth practice: a local authorization server beside an SMTP server that accepts only its tokens.

`mailwiz sandbox --oauth` runs both, so support staff can rehearse `mailwiz login` (device
code, or browser + PKCE with the address pasted back) and a send with XOAUTH2/OAUTHBEARER
without any account. The tests sign in against the same servers: they are real parts.

The authorization server is Authlib's (`authlib.integrations.flask_oauth2`): device code
(RFC 8628), authorization code with PKCE S256 required (RFC 7636), refresh with rotation (the
old refresh token dies when a new one is issued), and revocation (RFC 7009). It runs in
werkzeug's threaded server on 127.0.0.1. The user approves on its web pages (`/device`,
`/authorize`) or through `approve()` (the sandbox's own prompt, and the tests). With `openid`
in the scope, the token answer carries an ID token naming the practice account (unsigned:
practice only; mailwiz reads it as it reads a real provider's answer).

The SMTP server is the practice server of `tui.core.practice` (STARTTLS required, its own
certificate authority), offering XOAUTH2 and OAUTHBEARER only: a live token of this server is
accepted, anything else gets the 334 JSON challenge and then 535, as Gmail and Microsoft do.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from aiosmtpd.smtp import SMTP, AuthResult

from tui.core.practice import SERVER_NAME, FailMode, PracticeServer, _Handler
from tui.core.settings import OAuthSettings, PasswordSettings, Settings

CLIENT_ID: Final = "mailwiz-practice"
ACCOUNT: Final = "practice@example.com"
SCOPE: Final = "smtp.send offline_access openid email"
MECHANISMS: Final = ("XOAUTH2", "OAUTHBEARER")


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
class _Device:
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
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    user: str
    created: float = field(default_factory=time.time)


class PracticeAuthorizationServer:
    """An OAuth 2.0 authorization server on 127.0.0.1 for practice and tests (see the module's
    description). Tune it before `start()`; control it while it runs with `approve`, `deny`,
    `revoke_all`, `expire_access_tokens`; read `tokens` to see what it issued."""

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
        self._devices: dict[str, _Device] = {}
        self._codes: dict[str, _Code] = {}
        self._lock = threading.RLock()
        self._http: Any = None
        self._thread: threading.Thread | None = None
        self._approve_all = False

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

    # --- life cycle

    def start(self) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log(self, type: str, message: str, *args: Any) -> None:
                pass  # no request lines over the sandbox's screen (they hold codes)

        app = _build_app(self)
        self._http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        self.port = self._http.server_port
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="mailwiz-oauth-practice", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> PracticeAuthorizationServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what the user does on the server's side

    def pending_codes(self) -> list[str]:
        """User codes waiting for a decision, oldest first."""
        now = time.time()
        with self._lock:
            return [
                d.user_code
                for d in self._devices.values()
                if d.decision is None and d.expires_at > now
            ]

    def decide(self, user_code: str, approved: bool) -> bool:
        """Approve or deny a device code; False when no such code is waiting."""
        wanted = _normal_code(user_code)
        with self._lock:
            for device in self._devices.values():
                if _normal_code(device.user_code) == wanted and device.decision is None:
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
        self._approve_all = yes

    def revoke_all(self) -> None:
        """As if the user signed out everywhere: every access and refresh token dies."""
        with self._lock:
            for token in self.tokens:
                token.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired (refresh tokens stay good)."""
        with self._lock:
            for token in self.tokens:
                token.expires_in = 0

    def user_for(self, access_token: str) -> str | None:
        """The account a live access token was issued to, or None."""
        now = time.time()
        with self._lock:
            for token in self.tokens:
                if secrets.compare_digest(token.access_token, access_token):
                    return token.user if token.access_live(now) else None
        return None

    def secrets_issued(self) -> list[str]:
        """Every access and refresh token handed out (tests assert none is ever printed)."""
        with self._lock:
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


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _id_token(user: str, client_id: str, issuer: str) -> str:
    """An unsigned ID token (practice only): header.payload. with no signature."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": issuer, "aud": client_id, "sub": user, "iat": now, "exp": now + 3600}
    claims |= {"preferred_username": user, "email": user}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# -------------------------------------------------------------------- the Authlib side


def _build_app(practice: PracticeAuthorizationServer) -> Any:
    """The Flask app: Authlib's AuthorizationServer with the grants and endpoints wired to
    the practice server's in-memory tables."""
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2 import OAuth2Error
    from authlib.oauth2.rfc6749 import grants
    from authlib.oauth2.rfc6750 import BearerTokenGenerator
    from authlib.oauth2.rfc7009 import RevocationEndpoint
    from authlib.oauth2.rfc7636 import CodeChallenge
    from authlib.oauth2.rfc8628 import (
        DeviceAuthorizationEndpoint,
        DeviceCodeGrant,
        DeviceCredentialDict,
    )
    from flask import Flask, request

    app = Flask("mailwiz-oauth-practice")

    class Client:
        def get_client_id(self) -> str:
            return practice.client_id

        def get_default_redirect_uri(self) -> str | None:
            return None

        def get_allowed_scope(self, scope: str) -> str:
            return scope or ""

        def check_redirect_uri(self, redirect_uri: str) -> bool:
            return _is_loopback_redirect(redirect_uri)

        def check_client_secret(self, client_secret: str) -> bool:
            return False  # a public client, as mailwiz is

        def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
            return method == "none"

        def check_response_type(self, response_type: str) -> bool:
            return response_type == "code"

        def check_grant_type(self, grant_type: str) -> bool:
            return grant_type in (
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            )

    client = Client()

    class Credential:
        """What Authlib needs of a stored token (TokenMixin), over an IssuedToken."""

        def __init__(self, token: IssuedToken) -> None:
            self.token = token

        def check_client(self, other: Any) -> bool:
            return bool(other.get_client_id() == self.token.client_id)

        def get_scope(self) -> str:
            return self.token.scope

        def get_expires_in(self) -> int:
            return self.token.expires_in

        def is_expired(self) -> bool:
            return False  # refresh tokens here live until rotated or revoked

        def is_revoked(self) -> bool:
            return self.token.revoked or self.token.refresh_used

        def get_user(self) -> str:
            return self.token.user

        def get_client(self) -> Client:
            return client

    def find(token_string: str) -> IssuedToken | None:
        with practice._lock:
            for token in practice.tokens:
                if token_string in (token.access_token, token.refresh_token):
                    return token
        return None

    def save_token(token: dict[str, Any], req: Any) -> None:
        with practice._lock:
            practice.tokens.append(
                IssuedToken(
                    access_token=token["access_token"],
                    refresh_token=token.get("refresh_token", ""),
                    client_id=practice.client_id,
                    user=str(req.user or practice.account),
                    scope=token.get("scope", ""),
                    issued_at=time.time(),
                    expires_in=int(token.get("expires_in", practice.access_token_lifetime)),
                )
            )

    server = AuthorizationServer(
        app, query_client=lambda cid: client if cid == practice.client_id else None
    )
    server.init_app(app, save_token=save_token)
    bearer = BearerTokenGenerator(
        lambda *a, **k: "pat-" + secrets.token_urlsafe(24),
        lambda *a, **k: "prt-" + secrets.token_urlsafe(32),
        lambda client, grant_type: practice.access_token_lifetime,
    )

    def generate(**kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = bearer(**kwargs)
        scope = (kwargs.get("scope") or "").split()
        if practice.with_id_token and "openid" in scope and kwargs.get("user"):
            token["id_token"] = _id_token(kwargs["user"], practice.client_id, practice.base_url)
        return token

    server.register_token_generator("default", generate)

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            with practice._lock:
                practice._codes[code] = _Code(
                    code=code,
                    client_id=practice.client_id,
                    redirect_uri=req.payload.redirect_uri or "",
                    scope=req.scope or "",
                    code_challenge=req.payload.data.get("code_challenge", ""),
                    code_challenge_method=req.payload.data.get("code_challenge_method", ""),
                    user=str(req.user),
                )

        def query_authorization_code(self, code: str, other: Any) -> Any:
            with practice._lock:
                item = practice._codes.get(code)
            if item is None or time.time() - item.created > 300:
                return None
            return _CodeView(item)

        def delete_authorization_code(self, authorization_code: Any) -> None:
            with practice._lock:
                practice._codes.pop(authorization_code.item.code, None)

        def authenticate_user(self, authorization_code: Any) -> str:
            return str(authorization_code.item.user)

    class RefreshGrant(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
        INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

        def authenticate_refresh_token(self, refresh_token: str) -> Credential | None:
            token = find(refresh_token)
            if token is None or token.refresh_token != refresh_token:
                return None
            credential = Credential(token)
            return None if credential.is_revoked() else credential

        def authenticate_user(self, credential: Credential) -> str:
            return credential.get_user()

        def revoke_old_credential(self, credential: Credential) -> None:
            with practice._lock:
                credential.token.refresh_used = True

    class DeviceGrant(DeviceCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

        def query_device_credential(self, device_code: str) -> Any:
            with practice._lock:
                device = practice._devices.get(device_code)
            if device is None:
                return None
            return DeviceCredentialDict(
                client_id=device.client_id,
                scope=device.scope,
                user_code=device.user_code,
                expires_at=device.expires_at,
                device_code=device.device_code,
            )

        def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
            with practice._lock:
                for device in practice._devices.values():
                    if device.user_code == user_code and device.decision is not None:
                        return device.user, device.decision
            return None

        def should_slow_down(self, credential: Any) -> bool:
            now = time.monotonic()
            with practice._lock:
                practice.polls.append(now)
                device = practice._devices[credential["device_code"]]
                too_fast = device.last_poll and now - device.last_poll < device.interval - 0.5
                device.last_poll = now
                if practice.slow_down_polls > 0:
                    practice.slow_down_polls -= 1
                    device.interval += 5
                    return True
                return bool(too_fast)

    class DeviceEndpoint(DeviceAuthorizationEndpoint):
        CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

        def get_verification_uri(self) -> str:
            return practice.verification_url

        def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
            device = _Device(
                device_code=data["device_code"],
                user_code=data["user_code"],
                client_id=client_id,
                scope=scope or "",
                expires_at=time.time() + practice.device_lifetime,
                interval=practice.device_interval,
                decision=True if practice._approve_all else None,
            )
            with practice._lock:
                practice._devices[device.device_code] = device

    class Revocation(RevocationEndpoint):
        CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

        def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
            token = find(token_string)
            return Credential(token) if token is not None else None

        def revoke_token(self, credential: Credential, req: Any) -> None:
            with practice._lock:
                credential.token.revoked = True

    device_endpoint = DeviceEndpoint(server)
    device_endpoint.EXPIRES_IN = practice.device_lifetime
    device_endpoint.INTERVAL = practice.device_interval
    server.register_grant(CodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshGrant)
    server.register_grant(DeviceGrant)
    server.register_endpoint(device_endpoint)
    server.register_endpoint(Revocation)

    @app.post("/device_authorization")
    def device_authorization() -> Any:
        return server.create_endpoint_response("device_authorization")

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.post("/revoke")
    def revoke() -> Any:
        return server.create_endpoint_response(RevocationEndpoint.ENDPOINT_NAME)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=practice.account)
        except OAuth2Error as error:
            return _page("Sign-in refused", f"{error.error}: {error.description}"), 400
        decision = request.values.get("decision", "")
        if decision in ("approve", "deny"):
            user = practice.account if decision == "approve" else None
            return server.create_authorization_response(grant_user=user, grant=grant)
        query = html.escape(request.query_string.decode("ascii", "replace"))
        return _page(
            "mailwiz practice sign-in",
            f"mailwiz asks to send mail as {html.escape(practice.account)}.</p><p>"
            f"<a href='/authorize?{query}&amp;decision=approve'>Approve</a> &nbsp; "
            f"<a href='/authorize?{query}&amp;decision=deny'>Deny</a>",
        )

    @app.route("/device", methods=["GET", "POST"])
    def device() -> Any:
        code = request.values.get("user_code", "")
        decision = request.values.get("decision", "")
        if code and decision in ("approve", "deny"):
            done = practice.decide(code, decision == "approve")
            word = "approved" if decision == "approve" else "denied"
            text = f"Code {html.escape(code)} {word}." if done else "No such code is waiting."
            return _page("mailwiz practice sign-in", text)
        return _page(
            "mailwiz practice sign-in",
            "<form method='post'>Code: <input name='user_code' value='"
            f"{html.escape(code)}'> <button name='decision' value='approve'>Approve</button> "
            "<button name='decision' value='deny'>Deny</button></form>",
        )

    return app


@dataclass
class _CodeView:
    """An authorization code as Authlib reads it (AuthorizationCodeMixin)."""

    item: _Code

    @property
    def code_challenge(self) -> str:
        return self.item.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.item.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.item.redirect_uri

    def get_scope(self) -> str:
        return self.item.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> None:
        return None


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body style='font-family:sans-serif'>"
        f"<h1>{html.escape(title)}</h1><p>{body}</p></body></html>"
    )


# -------------------------------------------------------------------------- the SMTP side


def _decode(blob: bytes | str) -> str:
    try:
        raw = base64.b64decode(blob, validate=True) if isinstance(blob, str | bytes) else b""
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


def parse_xoauth2(text: str) -> tuple[str, str]:
    """(user, token) from XOAUTH2's `user=U^Aauth=Bearer T^A^A`; ("", "") if malformed."""
    fields = dict(item.split("=", 1) for item in text.split("\x01") if "=" in item)
    auth = fields.get("auth", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    return fields.get("user", ""), token


def parse_oauthbearer(text: str) -> tuple[str, str]:
    """(user, token) from OAUTHBEARER's GS2 header and key=value pairs (RFC 7628)."""
    header, _, rest = text.partition("\x01")
    user = next((p[2:] for p in header.split(",") if p.startswith("a=")), "")
    _, token = parse_xoauth2(rest)
    return user.replace("=2C", ",").replace("=3D", "="), token


class _TokenHandler(_Handler):
    """The practice handler, signing in with tokens only. Methods named auth_* are aiosmtpd's
    hooks for those mechanisms; which are offered is chosen in `_smtp_factory`."""

    def __init__(self, owner: TokenSmtpServer) -> None:
        super().__init__(owner)
        self._tokens = owner

    async def _check(
        self, server: SMTP, args: list[str], parse: Callable[[str], tuple[str, str]]
    ) -> AuthResult:
        blob: Any = args[1].encode() if len(args) > 1 else await server.challenge_auth("")
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=True)  # aborted; aiosmtpd answered
        text = _decode(blob) if len(args) > 1 else blob.decode("utf-8", "replace")
        user, token = parse(text)
        account = self._tokens.authorization.user_for(token) if token else None
        if account is not None and (not user or user.lower() == account.lower()):
            self._tokens.signed_in.append(account)
            return AuthResult(success=True, auth_data=account)
        challenge = json.dumps({"status": "401", "schemes": "bearer", "scope": SCOPE})
        await server.challenge_auth(challenge)  # the client answers "" or AQ== (nak)
        return AuthResult(
            success=False,
            handled=False,
            message="535 5.7.8 Username and token not accepted (mailwiz practice server)",
        )

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._check(server, args, parse_xoauth2)

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._check(server, args, parse_oauthbearer)


class TokenSmtpServer(PracticeServer):
    """The practice SMTP server, accepting only live tokens of `authorization`."""

    def __init__(
        self,
        authorization: PracticeAuthorizationServer,
        mechanisms: Iterable[str] = MECHANISMS,
        fail: FailMode | str | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(fail=fail, folder=folder)
        self.authorization = authorization
        self.mechanisms = tuple(m.upper() for m in mechanisms)
        self.username = authorization.account
        self.signed_in: list[str] = []  # accounts that signed in, in order

    def _smtp_factory(
        self, tls: ssl.SSLContext | None
    ) -> Callable[[Any], Any]:  # same server as the practice one, other mechanisms
        handler = _TokenHandler(self)
        excluded = ["PLAIN", "LOGIN", *(m for m in MECHANISMS if m not in self.mechanisms)]

        def make(loop: Any) -> SMTP:
            return SMTP(
                handler,
                hostname=SERVER_NAME,
                ident="mailwiz OAuth practice server",
                tls_context=tls,
                require_starttls=tls is not None,
                auth_required=True,
                auth_require_tls=True,
                auth_exclude_mechanism=excluded,
                timeout=120,
                loop=loop,
            )

        return make

    def settings(self, sender: str = ACCOUNT, timeout: float | None = None) -> Settings:
        """Settings ready for `mailwiz login` then `test`: OAuth against the practice
        authorization server, the sign-in kept in a 0600 file beside the settings."""
        settings = super().settings(sender=sender, timeout=timeout)
        settings.smtp.username = self.authorization.account
        settings.password = PasswordSettings(store="file")
        return self.authorization.settings_for(settings)


class OAuthPractice:
    """Both servers, started and stopped together (`mailwiz sandbox --oauth`)."""

    def __init__(
        self,
        mechanisms: Iterable[str] = MECHANISMS,
        folder: Path | None = None,
        **authorization_options: Any,
    ) -> None:
        self.authorization = PracticeAuthorizationServer(**authorization_options)
        self.smtp = TokenSmtpServer(self.authorization, mechanisms=mechanisms, folder=folder)

    def __enter__(self) -> OAuthPractice:
        self.authorization.start()
        try:
            self.smtp.start()
        except BaseException:
            self.authorization.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            self.smtp.stop()
        self.authorization.stop()

    def settings(self) -> Settings:
        return self.smtp.settings()

    def rows(self) -> list[tuple[str, str]]:
        """What the sandbox prints about itself."""
        smtp = self.smtp
        return [
            ("Sign-in server", self.authorization.base_url),
            ("SMTP server", f"{smtp.host} port {smtp.port}, STARTTLS required"),
            ("Sign-in methods", ", ".join(smtp.mechanisms) + " (no passwords)"),
            ("Practice account", self.authorization.account),
            ("Client ID", self.authorization.client_id),
            ("Approve codes at", self.authorization.verification_url),
        ]
