"""The Authlib side of the practice authorization server: a Flask app with Authlib's
AuthorizationServer, its grants (authorization code + PKCE S256 required, refresh with
rotation, device code) and endpoints (device authorization, revocation), wired to the
tables of `PracticeTables`. Imported only when a practice server starts.
"""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidGrantError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import (
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialDict,
)
from flask import Flask, request

from tui.core.oauth_practice.app_grants import register as register_app_grants
from tui.core.oauth_practice.app_grants import token_user
from tui.core.oauth_practice.tables import (
    Code,
    Device,
    IssuedToken,
    PracticeTables,
    id_token,
    is_loopback_redirect,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.oauth_practice")  # texts.toml beside this file


class Client:
    """The one registered client: public (no secret), loopback redirects on any port."""

    def __init__(self, practice: PracticeTables) -> None:
        self.practice = practice

    def get_client_id(self) -> str:
        return self.practice.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return is_loopback_redirect(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # a public client, as mailwiz is

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token", DeviceCodeGrant.GRANT_TYPE)


class Credential:
    """What Authlib needs of a stored token (TokenMixin), over an IssuedToken."""

    def __init__(self, token: IssuedToken, client: Client) -> None:
        self.token = token
        self.client = client

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
        return self.client


class _Practice:
    """Gives Authlib's grant and endpoint classes the practice server (`server.practice`)."""

    server: Any

    @property
    def practice(self) -> PracticeTables:
        practice: PracticeTables = self.server.practice
        return practice

    def credential(self, token_string: str) -> Credential | None:
        token = self.practice.find(token_string)
        return Credential(token, Client(self.practice)) if token is not None else None


class CodeGrant(_Practice, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def save_authorization_code(self, code: str, req: Any) -> None:
        item = Code(
            code=code,
            client_id=self.practice.client_id,
            redirect_uri=req.payload.redirect_uri or "",
            scope=req.scope or "",
            code_challenge=req.payload.data.get("code_challenge", ""),
            code_challenge_method=req.payload.data.get("code_challenge_method", ""),
            user=str(req.user),
        )
        with self.practice.lock:
            self.practice.codes[code] = item

    def query_authorization_code(self, code: str, client: Any) -> _CodeView | None:
        with self.practice.lock:
            item = self.practice.codes.get(code)
        if item is None or time.time() - item.created > 300:
            return None
        return _CodeView(item)

    def delete_authorization_code(self, authorization_code: _CodeView) -> None:
        with self.practice.lock:
            self.practice.codes.pop(authorization_code.item.code, None)

    def authenticate_user(self, authorization_code: _CodeView) -> str:
        return authorization_code.item.user


class RefreshGrant(_Practice, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each refresh gives a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Credential | None:
        credential = self.credential(refresh_token)
        if credential is None or credential.token.refresh_token != refresh_token:
            return None
        if not credential.is_revoked() and self.practice.idle_too_long(credential.token):
            raise InvalidGrantError(description=say("refusal.idle"))
        return None if credential.is_revoked() else credential

    def authenticate_user(self, credential: Credential) -> str:
        return credential.get_user()

    def revoke_old_credential(self, credential: Credential) -> None:
        with self.practice.lock:
            credential.token.refresh_used = True


class DeviceGrant(_Practice, DeviceCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
        with self.practice.lock:
            device = self.practice.devices.get(device_code)
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
        with self.practice.lock:
            for device in self.practice.devices.values():
                if device.user_code == user_code and device.decision is not None:
                    return device.user, device.decision
        return None

    def should_slow_down(self, credential: Any) -> bool:
        """Polled faster than the interval, or told to (`slow_down_polls`): slow_down, and
        the interval grows by five seconds, as RFC 8628 says a server may do."""
        practice = self.practice
        now = time.monotonic()
        with practice.lock:
            practice.polls.append(now)
            device = practice.devices[credential["device_code"]]
            too_fast = bool(device.last_poll) and now - device.last_poll < device.interval - 0.5
            device.last_poll = now
            if practice.slow_down_polls > 0:
                practice.slow_down_polls -= 1
                device.interval += 5
                return True
            return too_fast


class DeviceEndpoint(_Practice, DeviceAuthorizationEndpoint):
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def get_verification_uri(self) -> str:
        return self.practice.verification_url

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        practice = self.practice
        device = Device(
            device_code=data["device_code"],
            user_code=data["user_code"],
            client_id=client_id,
            scope=scope or "",
            expires_at=time.time() + practice.device_lifetime,
            interval=practice.device_interval,
            decision=True if practice.approves_everything else None,
        )
        with practice.lock:
            practice.devices[device.device_code] = device


class Revocation(_Practice, RevocationEndpoint):
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Credential | None:
        return self.credential(token_string)

    def revoke_token(self, credential: Credential, req: Any) -> None:
        with self.practice.lock:
            credential.token.revoked = True


def _authorization_server(app: Flask, practice: PracticeTables) -> Any:
    client = Client(practice)

    def save_token(token: dict[str, Any], req: Any) -> None:
        user = req.user or token_user(req.client) or practice.account
        practice.keep(token, str(user))

    server = AuthorizationServer(
        app,
        query_client=lambda cid: (
            client if cid == practice.client_id else practice.query_app_client(cid)
        ),
    )
    server.init_app(app, save_token=save_token)
    server.practice = practice
    bearer = BearerTokenGenerator(
        lambda *a, **k: "pat-" + secrets.token_urlsafe(24),
        lambda *a, **k: "prt-" + secrets.token_urlsafe(32),
        lambda client, grant_type: practice.access_token_lifetime,
    )

    def generate(**kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = bearer(**kwargs)
        scope = (kwargs.get("scope") or "").split()
        if practice.refresh_token_lifetime and token.get("refresh_token"):
            token["refresh_token_expires_in"] = practice.refresh_token_lifetime
        if practice.with_id_token and "openid" in scope and kwargs.get("user"):
            token["id_token"] = id_token(kwargs["user"], practice.client_id, practice.base_url)
        return token

    server.register_token_generator("default", generate)
    device_endpoint = DeviceEndpoint(server)
    device_endpoint.EXPIRES_IN = practice.device_lifetime
    device_endpoint.INTERVAL = practice.device_interval
    server.register_grant(CodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshGrant)
    server.register_grant(DeviceGrant)
    server.register_endpoint(device_endpoint)
    server.register_endpoint(Revocation)
    register_app_grants(server, practice)
    return server


def build_app(practice: PracticeTables) -> Flask:
    """The Flask app: the protocol endpoints, and the pages where the user decides."""
    app = Flask("mailwiz-oauth-practice")
    server = _authorization_server(app, practice)

    @app.post("/device_authorization")
    def device_authorization() -> Any:
        hostile = _hostile(practice.hostile_device)
        if hostile is not None:
            return hostile
        return _public_client_refusal(practice) or server.create_endpoint_response(
            "device_authorization"
        )

    @app.post("/token")
    def token() -> Any:
        hostile = _hostile(practice.hostile_token)
        if hostile is not None:
            return hostile
        refusal = practice.refusal
        if refusal is not None:  # a test's or the sandbox's chosen refusal (AADSTS...)
            error, description = refusal
            return {"error": error, "error_description": description}, 400
        return _public_client_refusal(practice) or server.create_token_response()

    @app.post("/revoke")
    def revoke() -> Any:
        return server.create_endpoint_response(RevocationEndpoint.ENDPOINT_NAME)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=practice.account)
        except OAuth2Error as error:
            return _page(say("page.refused-title"), f"{error.error}: {error.description}"), 400
        decision = request.values.get("decision", "")
        if decision in ("approve", "deny"):
            user = practice.account if decision == "approve" else None
            return server.create_authorization_response(grant_user=user, grant=grant)
        query = html.escape(request.query_string.decode("ascii", "replace"))
        asks = say("page.asks", account=html.escape(practice.account), query=query)
        return _page(say("page.title"), asks)

    @app.route("/device", methods=["GET", "POST"])
    def device() -> Any:
        code = request.values.get("user_code", "")
        decision = request.values.get("decision", "")
        if code and decision in ("approve", "deny"):
            done = practice.decide(code, decision == "approve")
            said = "page.approved" if decision == "approve" else "page.denied"
            text = say(said, code=html.escape(code)) if done else say("page.no-such-code")
            return _page(say("page.title"), text)
        return _page(say("page.title"), say("page.form", code=html.escape(code)))

    return app


@dataclass
class _CodeView:
    """An authorization code as Authlib reads it (AuthorizationCodeMixin)."""

    item: Code

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


def _hostile(answer: Any) -> Any:
    """A hostile answer a test chose (`PracticeTables.hostile_token`, `hostile_device`): it
    is given the request's body and form and returns (status, headers, body), the body bytes
    or an iterable of chunks (a 100 MB answer is streamed, never held)."""
    if answer is None:
        return None
    from flask import Response

    status, headers, body = answer(request.get_data(), dict(request.form))
    return Response(body, status=status, headers=headers)


def _public_client_refusal(practice: PracticeTables) -> Any:
    """Microsoft's answer to a public client that sends a secret, even an empty one: the
    practice server is as strict, so a client that sends `client_secret=` fails here too."""
    if request.form.get("client_id") != practice.client_id:
        return None  # the app sign-ins' confidential clients are Authlib's to check
    presented = "client_secret" in request.form or "client_assertion" in request.form
    if not presented:
        return None
    with practice.lock:
        practice.client_secrets_seen.append(request.form.get("client_secret", ""))
    if not practice.refuse_client_secrets:
        return None
    body = {"error": "invalid_client", "error_description": say("refusal.public-client")}
    return body, 401


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body style='font-family:sans-serif'>"
        f"<h1>{html.escape(title)}</h1><p>{body}</p></body></html>"
    )
