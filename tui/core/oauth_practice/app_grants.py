"""The practice server's app sign-ins: Microsoft-style client credentials (with a client
secret, or a client assertion signed with the app certificate's key, its signature, audience,
`x5t#S256` and `jti` checked for real) and Google-style service accounts (the JWT bearer grant,
signature checked with the service account's public key, `sub` the mailbox).

`PracticeApp` makes the app's identity for one run: a client secret, an RSA key with its
self-signed certificate (a 0600 PEM file, the way a user keeps one), and a service account key
file whose `token_uri` points at the practice server. The switches `delegation` (domain-wide
delegation granted) and `mailboxes` (the mailboxes the app may send as: Exchange's service
principal and mailbox permission) let a test rehearse the failures.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.oauth_practice")  # texts.toml beside this file


class PracticeAuthorizationServer(Protocol):
    """What the app grants need of the practice server (`tables.PracticeTables`)."""

    account: str
    app: PracticeApp
    query_app_client: Any

    @property
    def token_url(self) -> str: ...


APP_CLIENT_ID = "mailwiz-practice-app"
SERVICE_ACCOUNT = "mailwiz-practice@practice.iam.gserviceaccount.com"
SERVICE_ACCOUNT_ID = "100000000000000000001"
APP_USER_PREFIX = "app:"  # an IssuedToken.user of an app token: "app:<client id>"


def _private_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)


@dataclass
class PracticeApp:
    """The app registration and the service account of the practice server."""

    client_id: str = APP_CLIENT_ID
    client_secret: str = field(default_factory=lambda: "pas-" + secrets.token_urlsafe(24))
    service_account: str = SERVICE_ACCOUNT
    delegation: bool = True  # Google: domain-wide delegation granted for the scope
    mailboxes: set[str] = field(default_factory=set)  # may send as (empty: the account)
    key_pem: bytes = b""
    certificate_pem: bytes = b""
    certificate_days: int = 365
    used_jti: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailwiz practice app")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=self.certificate_days))
            .sign(key, hashes.SHA256())
        )
        self.key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def public_pem(self) -> bytes:
        return (
            x509.load_pem_x509_certificate(self.certificate_pem)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def write_certificate(self, path: Path) -> Path:
        """The key and certificate in one 0600 PEM file ([oauth] certificate)."""
        _private_file(path, self.key_pem + self.certificate_pem)
        return path

    def write_service_account(self, path: Path, token_uri: str) -> Path:
        """A service account JSON key file ([oauth] service_account), 0600."""
        key = {
            "type": "service_account",
            "project_id": "mailwiz-practice",
            "private_key_id": "practice-key-1",
            "private_key": self.key_pem.decode("ascii"),
            "client_email": self.service_account,
            "client_id": SERVICE_ACCOUNT_ID,
            "token_uri": token_uri,
        }
        _private_file(path, json.dumps(key, indent=2).encode())
        return path

    def may_send_as(self, mailbox: str, account: str) -> bool:
        allowed = {m.lower() for m in self.mailboxes} or {account.lower()}
        return mailbox.lower() in allowed

    def fresh_jti(self, jti: str) -> bool:
        with self._lock:
            if jti in self.used_jti:
                return False
            self.used_jti.add(jti)
            return True


class AppClient:
    """The app registration (confidential): a secret or a signed assertion."""

    def __init__(self, practice: PracticeAuthorizationServer, app: PracticeApp) -> None:
        self.practice = practice
        self.app = app

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.app.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_post", "client_secret_basic", "client_assertion_jwt"}

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ServiceAccountClient(AppClient):
    def get_client_id(self) -> str:
        return SERVICE_ACCOUNT_ID

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def token_user(client: Any) -> str:
    """Whom an app token stands for: "app:<client id>" for client credentials, "" else."""
    if isinstance(client, AppClient) and not isinstance(client, ServiceAccountClient):
        return APP_USER_PREFIX + client.get_client_id()
    return ""


def build_grants(practice: PracticeAuthorizationServer) -> dict[str, Any]:
    """The Authlib classes of the app grants, bound to this practice server."""
    from authlib.oauth2.rfc6749 import InvalidClientError, UnauthorizedClientError, grants
    from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant

    app = practice.app
    client = AppClient(practice, app)
    account_client = ServiceAccountClient(practice, app)

    class Assertion(JWTBearerClientAssertion):
        """The signed client assertion: signature by the certificate's key, audience the
        token URL, a `jti` never seen before, and the certificate's thumbprint."""

        def get_audiences(self) -> list[str]:
            return [practice.token_url]

        def validate_jti(self, claims: Any, jti: str) -> bool:
            return app.fresh_jti(jti)

        def resolve_client_public_key(self, client: Any) -> Any:
            from joserfc.jwk import RSAKey

            return RSAKey.import_key(app.public_pem)

        def extract_assertion(self, assertion: str) -> Any:
            headers, claims = super().extract_assertion(assertion)
            from tui.core.credentials.app_grants import load_thumbprints

            expected = load_thumbprints(app.certificate_pem)
            if headers.get("x5t#S256") != expected[1] and headers.get("x5t") != expected[0]:
                raise InvalidClientError(description=say("refusal.certificate"))
            return headers, claims

    class ClientCredentials(grants.ClientCredentialsGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
            "client_secret_post",
            "client_secret_basic",
            "client_assertion_jwt",
        ]

    class ServiceAccountGrant(JWTBearerGrant):
        def resolve_issuer_client(self, issuer: str) -> Any:
            return account_client if issuer == app.service_account else None

        def resolve_client_public_key(self, client: Any) -> Any:
            from joserfc.jwk import RSAKey

            return RSAKey.import_key(app.public_pem)

        def get_audiences(self) -> list[str]:
            return [practice.token_url]

        def authenticate_user(self, subject: str) -> str | None:
            return subject if "@" in subject else None

        def has_granted_permission(self, client: Any, user: Any) -> bool:
            if not app.delegation or user.lower() != practice.account.lower():
                raise UnauthorizedClientError(description=say("refusal.unauthorized"))
            return True

    def query(client_id: str) -> Any:
        return {app.client_id: client, SERVICE_ACCOUNT_ID: account_client}.get(client_id)

    return {
        "assertion": Assertion(),
        "grants": (ClientCredentials, ServiceAccountGrant),
        "query": query,
        "client": client,
    }


def register(server: Any, practice: PracticeAuthorizationServer) -> None:
    """Add the app grants to the practice server's Authlib AuthorizationServer."""
    from authlib.oauth2.rfc7523 import JWTBearerClientAssertion

    built = build_grants(practice)
    server.register_client_auth_method(
        JWTBearerClientAssertion.CLIENT_AUTH_METHOD, built["assertion"]
    )
    for grant in built["grants"]:
        server.register_grant(grant)
    practice.query_app_client = built["query"]
