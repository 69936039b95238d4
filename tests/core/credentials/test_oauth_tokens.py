"""The token source and the token store, against the real practice authorization server:
cached while more than five minutes remain, refreshed otherwise, the rotated refresh token
always stored and used next time, a revoked sign-in raising invalid_grant; the keyring and
file stores; the endpoints per provider; validation of [oauth]; no OAuth import for a
password send."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.memory_keyring import MemoryKeyring, installed_keyring
from tests.servers import PASSWORD, SmtpServer
from tui.core.credentials import (
    MICROSOFT_SCOPE,
    NoCredential,
    NotSignedIn,
    StoredTokenSource,
    TokenError,
    TokenRecord,
    credential_for,
    endpoints_for,
    keyring_token_account,
    load_tokens,
    poll_device_flow,
    record_from_response,
    save_tokens,
    start_device_flow,
    token_file_path,
    token_source_for,
    username_from_id_token,
)
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import Settings, load_settings, oauth_problems


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def sign_in(practice: OAuthPractice, settings: Settings) -> TokenRecord:
    """A real device-code sign-in, approved at once, without waiting the interval."""
    practice.authorization.approve_everything()
    endpoints = endpoints_for(settings)
    device = await start_device_flow(endpoints)
    return await poll_device_flow(endpoints, device, sleep=_no_wait)


class MemoryVault:
    """A store of one record, for a token source that must not touch the real store."""

    def __init__(self, record: TokenRecord) -> None:
        self.record: TokenRecord | None = record

    def load(self) -> TokenRecord | None:
        return self.record

    def save(self, record: TokenRecord) -> None:
        self.record = record

    def acquire(self) -> object:
        return None

    def release(self, held: object) -> None:
        return None


@pytest.fixture
def settings(oauth_config: Path) -> Settings:
    return load_settings(oauth_config).settings


async def test_a_live_access_token_is_used_without_a_refresh(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    save_tokens(settings, oauth_config, await sign_in(oauth_practice, settings))
    issued = len(oauth_practice.authorization.tokens)
    source = token_source_for(settings, oauth_config)
    token = await source.access_token()
    assert oauth_practice.authorization.user_for(token) == "practice@example.com"
    assert source.username == "practice@example.com"
    assert len(oauth_practice.authorization.tokens) == issued  # nothing asked of the server
    assert source.refreshed == 0


@pytest.mark.parametrize("practice_options", [{"access_token_lifetime": 240}])
async def test_under_five_minutes_left_refreshes_and_stores_the_rotated_token(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    first = await sign_in(oauth_practice, settings)
    save_tokens(settings, oauth_config, first)
    source = token_source_for(settings, oauth_config)
    token = await source.access_token()  # 240 s left < 300 s: refreshed
    assert token != first.access_token and source.refreshed == 1
    stored = load_tokens(settings, oauth_config)
    assert stored is not None
    assert stored.refresh_token != first.refresh_token  # rotated, and kept
    assert stored.access_token == token
    # The old refresh token is dead on the server now; the stored one works next time.
    with pytest.raises(TokenError) as dead:
        await StoredTokenSource(endpoints_for(settings), first, MemoryVault(first)).access_token()
    assert dead.value.error == "invalid_grant"
    again = token_source_for(settings, oauth_config)
    assert oauth_practice.authorization.user_for(await again.access_token(refresh=True))
    newest = load_tokens(settings, oauth_config)
    assert newest is not None and newest.refresh_token != stored.refresh_token


@pytest.mark.parametrize("practice_options", [{"access_token_lifetime": 240}])
async def test_two_senders_refreshing_at_once_spend_the_refresh_token_once(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    """With rotation, a refresh token spent twice is refused: the second sender (another
    mailwiz, the sendmail queue) waits for the first and uses what it stored."""
    save_tokens(settings, oauth_config, await sign_in(oauth_practice, settings))
    issued = len(oauth_practice.authorization.tokens)
    first, second = (
        token_source_for(settings, oauth_config),
        token_source_for(settings, oauth_config),
    )
    tokens = await asyncio.gather(first.access_token(), second.access_token())
    assert tokens[0] == tokens[1]
    assert oauth_practice.authorization.user_for(tokens[0]) == "practice@example.com"
    assert len(oauth_practice.authorization.tokens) == issued + 1  # one refresh, not two
    assert first.refreshed + second.refreshed == 1


async def test_an_expired_access_token_is_refreshed_silently(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    record = await sign_in(oauth_practice, settings)
    save_tokens(settings, oauth_config, record)
    oauth_practice.authorization.expire_access_tokens()
    assert oauth_practice.authorization.user_for(record.access_token) is None
    source = token_source_for(settings, oauth_config)
    # The store still believes the token is live: the engine's 334 retry asks for a refresh.
    assert await source.access_token() == record.access_token
    fresh = await source.access_token(refresh=True)
    assert oauth_practice.authorization.user_for(fresh) == "practice@example.com"


async def test_a_revoked_sign_in_raises_invalid_grant(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    save_tokens(settings, oauth_config, await sign_in(oauth_practice, settings))
    oauth_practice.authorization.revoke_all()
    source = token_source_for(settings, oauth_config)
    with pytest.raises(TokenError) as refused:
        await source.access_token(refresh=True)
    assert refused.value.error == "invalid_grant"
    assert not refused.value.temporary


async def test_an_unreachable_token_endpoint_is_temporary(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    save_tokens(settings, oauth_config, await sign_in(oauth_practice, settings))
    oauth_practice.authorization.stop()
    with pytest.raises(TokenError) as failed:
        await token_source_for(settings, oauth_config).access_token(refresh=True)
    assert failed.value.temporary


async def test_the_token_file_is_private_and_apart_from_the_settings(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    record = await sign_in(oauth_practice, settings)
    save_tokens(settings, oauth_config, record)
    path = token_file_path(oauth_config)
    assert path.name == "settings.toml.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["refresh_token"] == record.refresh_token
    assert record.refresh_token not in oauth_config.read_text()
    assert record.refresh_token not in repr(record) and record.access_token not in str(record)


async def test_the_keyring_store_uses_its_own_entry(
    oauth_practice: OAuthPractice, settings: Settings, oauth_config: Path
) -> None:
    settings.password.store = "keyring"
    backend = MemoryKeyring()
    backend.entries[("mailwiz", "practice@example.com@127.0.0.1")] = "a password entry"
    with installed_keyring(backend):
        record = await sign_in(oauth_practice, settings)
        save_tokens(settings, oauth_config, record)
        account = keyring_token_account(settings)
        assert account == "practice@example.com@127.0.0.1#oauth"
        assert json.loads(backend.entries[("mailwiz", account)])["refresh_token"]
        assert backend.entries[("mailwiz", "practice@example.com@127.0.0.1")] == (
            "a password entry"
        )
        loaded = load_tokens(settings, oauth_config)
        assert loaded is not None and loaded.refresh_token == record.refresh_token
    assert not token_file_path(oauth_config).exists()


def test_not_signed_in_says_run_login(settings: Settings, oauth_config: Path) -> None:
    with pytest.raises(NotSignedIn, match=r"mailwiz --config \S+ login"):
        token_source_for(settings, oauth_config)
    token_file_path(oauth_config).write_text("not json\n")
    with pytest.raises(NoCredential, match=r"mailwiz --config \S+ login"):
        credential_for(settings, oauth_config)


def test_endpoints_per_provider() -> None:
    settings = Settings()
    settings.smtp.auth = "oauth2"
    settings.oauth.tenant = "contoso.onmicrosoft.com"
    ms = endpoints_for(settings)
    base = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0"
    assert (ms.device_authorization_url, ms.authorization_url, ms.token_url) == (
        f"{base}/devicecode",
        f"{base}/authorize",
        f"{base}/token",
    )
    assert ms.scope == MICROSOFT_SCOPE
    assert "https://outlook.office.com/SMTP.Send" in ms.scope and "offline_access" in ms.scope
    settings.oauth.provider = "google"
    settings.oauth.device_authorization_url = "https://example.com/device"
    google = endpoints_for(settings)
    assert google.authorization_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert google.token_url == "https://oauth2.googleapis.com/token"
    assert "https://mail.google.com/" in google.scope.split()
    assert not google.has_device_flow  # the Gmail scope is not allowed in Google's device flow
    settings.oauth.provider = "custom"
    settings.oauth.scope = "  a   b "
    assert endpoints_for(settings).scope == "a b"


def test_oauth_validation_names_the_keys() -> None:
    settings = Settings()
    settings.smtp.auth = "oauth2"
    settings.oauth.provider = "custom"
    settings.oauth.token_url = "http://login.example.com/token"
    fields = {problem.field for problem in oauth_problems(settings)}
    assert {"oauth.client_id", "oauth.token_url", "oauth.authorization_url"} <= fields
    settings.oauth.client_id = "abc"
    settings.oauth.token_url = "http://127.0.0.1:8080/token"  # loopback may be http
    settings.oauth.device_authorization_url = "https://login.example.com/device"
    assert oauth_problems(settings) == []
    settings.smtp.security = "none"
    assert [p.field for p in oauth_problems(settings)] == ["smtp.security"]


def test_id_token_username() -> None:
    import base64

    def token(claims: dict[str, str]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJub25lIn0.{body}.sig"

    assert username_from_id_token(token({"preferred_username": "a@b.example"})) == "a@b.example"
    assert username_from_id_token(token({"email": "c@d.example"})) == "c@d.example"
    assert username_from_id_token(token({"name": "no address"})) == ""
    assert username_from_id_token("garbage") == ""
    record = record_from_response({"access_token": "x", "expires_in": 10}, now=100.0)
    assert record.expires_at == 110.0 and record.refresh_token == ""
    kept = record_from_response({"access_token": "y"}, previous=TokenRecord("r", username="u"))
    assert (kept.refresh_token, kept.username) == ("r", "u")  # Google's refresh answers


def test_a_password_send_does_not_import_the_oauth_library(
    tmp_path: Path, starttls_server: SmtpServer
) -> None:
    """The import guard: a real `mailwiz send` with a password, then a look at sys.modules."""
    from tui.core.settings import save_settings

    config = save_settings(starttls_server.settings(), tmp_path / "settings.toml")
    script = (
        "import sys; from tui.cli import main; "
        f"code = main(['send', '--config', {str(config)!r}, '--to', 'rcpt@example.com', "
        "'--body', 'hi']); "
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'authlib', 'flask'}))"
    )
    env = {**os.environ, "MAILWIZ_PASSWORD": PASSWORD}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr
    assert len(starttls_server.received) == 1


def test_oauth_settings_need_no_typed_username() -> None:
    from tui.core.settings import validate

    settings = Settings()
    settings.smtp.host = "smtp.example.com"
    settings.sender.address = "me@example.com"
    assert "smtp.username" in {p.field for p in validate(settings)}
    settings.smtp.auth = "oauth2"  # the account that signs in is the username
    assert "smtp.username" not in {p.field for p in validate(settings)}


def test_a_token_without_a_lifetime_is_used_until_refused() -> None:
    record = record_from_response({"access_token": "a", "refresh_token": "r"}, now=100.0)
    assert record.expires_at == 0.0 and record.live_for(10**9) == float("inf")
    assert TokenRecord("r").live_for(0) == 0.0  # no access token at all
