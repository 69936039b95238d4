"""App-only sign-ins (`[oauth] grant = "app"`) against the real practice authorization server:
client credentials with a client secret and with a signed client assertion (its signature
checked by Authlib's server with the certificate's public key), Google's JWT bearer grant with
a service account key file (its token_uri honoured); `mailwiz test` proving each; and every
token-endpoint refusal the issue names, answered by the practice server, explained in words
with its fix."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.oauth_server import mailwiz
from tui.core.credentials import TokenError, TokenRecord, save_tokens, token_source_for
from tui.core.credentials.app_grants import AppKeyProblem, app_token_source
from tui.core.credentials.store import save_password
from tui.core.diagnose.handlers import diagnose
from tui.core.diagnose.texts import Audience
from tui.core.exits import Exit
from tui.core.oauth_practice import OAuthPractice
from tui.core.oauth_practice.app_grants import PracticeApp
from tui.core.settings import Settings, errors, save_settings
from tui.core.status import gather
from tui.core.transports.smtp.dialogue import token_failure


def app_config(practice: OAuthPractice, tmp_path: Path, how: str) -> tuple[Settings, Path]:
    settings = practice.authorization.settings_for_app(practice.settings(), how, tmp_path)
    assert errors(settings) == []
    path = save_settings(settings, tmp_path / f"{how}.toml")
    if how == "client_secret":
        save_password(settings, path, practice.authorization.app.client_secret)
    return settings, path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    process = mailwiz(*args)
    out, err = process.communicate(timeout=90)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("how", ["client_secret", "certificate", "service_account"])
def test_mailwiz_test_proves_an_app_sign_in(
    oauth_practice: OAuthPractice, tmp_path: Path, how: str
) -> None:
    _, path = app_config(oauth_practice, tmp_path, how)
    done = run("test", "--config", str(path), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert oauth_practice.smtp.signed_in == [oauth_practice.authorization.account]
    issued = oauth_practice.authorization.tokens
    assert len(issued) == 1 and issued[0].refresh_token == ""  # no person's token to expire
    for secret in [*oauth_practice.authorization.secrets_issued()]:
        assert secret not in done.stdout + done.stderr
    assert oauth_practice.authorization.app.client_secret not in done.stdout + done.stderr
    if how == "certificate":
        assert oauth_practice.authorization.app.used_jti  # a signed assertion was checked


async def test_an_assertion_signed_with_another_key_is_refused(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    """The signature is verified for real: the right certificate with a wrong key fails."""
    settings, path = app_config(oauth_practice, tmp_path, "certificate")
    stranger = PracticeApp()
    Path(settings.oauth.certificate).write_bytes(
        stranger.key_pem + oauth_practice.authorization.app.certificate_pem
    )
    with pytest.raises(TokenError) as refused:
        await app_token_source(settings, path).access_token()
    assert refused.value.error == "invalid_client"
    assert oauth_practice.authorization.tokens == []


async def test_a_service_account_whose_key_is_not_the_registered_one_is_refused(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    settings, path = app_config(oauth_practice, tmp_path, "service_account")
    key_file = Path(settings.oauth.service_account)
    key = json.loads(key_file.read_text())
    key["private_key"] = PracticeApp().key_pem.decode()
    key_file.write_text(json.dumps(key))
    with pytest.raises(TokenError) as refused:
        await app_token_source(settings, path).access_token()
    assert refused.value.error == "invalid_grant"


def test_a_key_file_others_may_read_is_refused(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    settings, path = app_config(oauth_practice, tmp_path, "certificate")
    os.chmod(settings.oauth.certificate, 0o644)
    with pytest.raises(AppKeyProblem, match="chmod 600"):
        token_source_for(settings, path)
    done = run("test", "--config", str(path))
    assert done.returncode == Exit.NOT_READY, done.stderr
    assert "chmod 600" in done.stderr


def test_delegation_not_granted_names_the_admin_console_steps(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    _, path = app_config(oauth_practice, tmp_path, "service_account")
    oauth_practice.authorization.app.delegation = False
    done = run("test", "--config", str(path))
    assert done.returncode == Exit.AUTH, done.stdout + done.stderr
    assert "Domain-wide delegation is not granted" in done.stderr
    assert "100000000000000000001" in done.stderr  # the service account's client ID
    assert "https://mail.google.com/" in done.stderr


def test_a_mailbox_the_app_may_not_use_is_535_5_7_3_with_the_exchange_commands(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    _, path = app_config(oauth_practice, tmp_path, "certificate")
    oauth_practice.authorization.app.mailboxes = {"someone-else@example.com"}
    done = run("test", "--config", str(path))
    assert done.returncode == Exit.AUTH, done.stdout + done.stderr
    assert "Exchange does not let the app send as this mailbox" in done.stderr
    assert "New-ServicePrincipal -AppId mailwiz-practice-app" in done.stderr
    assert "Add-MailboxPermission -Identity practice@example.com" in done.stderr


REFUSALS = [
    ("user", "invalid_grant", "AADSTS700082: The refresh token has expired due to inactivity.",
     "not used for a long time"),
    ("user", "invalid_grant", "AADSTS70043: The refresh token has expired or is invalid due "
     "to sign-in frequency checks by conditional access.", "sign-in policy"),
    ("user", "invalid_grant", "AADSTS50076: Due to a configuration change made by your "
     "administrator, you must use multi-factor authentication.", "sign-in policy"),
    ("user", "invalid_grant", "AADSTS50079: The user is required to use multi-factor "
     "authentication.", "sign-in policy"),
    ("user", "invalid_grant", "AADSTS50173: The provided grant has expired due to it being "
     "revoked.", "password was changed"),
    ("user", "invalid_grant", "AADSTS54005: OAuth2 Authorization code was already redeemed.",
     "already used"),
    ("app", "invalid_client", "AADSTS700025: Client is public so neither 'client_assertion' "
     "nor 'client_secret' should be presented.", "is public"),
    ("app", "invalid_client", "AADSTS7000215: Invalid client secret provided.",
     "client secret is wrong"),
    ("app", "invalid_client", "AADSTS7000222: The provided client secret keys for app are "
     "expired.", "client secret has expired"),
    ("app", "invalid_grant", "AADSTS65001: The user or administrator has not consented to use "
     "the application.", "consent"),
    ("app", "unauthorized_client", "AADSTS700016: Application with identifier 'x' was not "
     "found in the directory 'contoso'.", "no app registration"),
    ("app", "invalid_request", "AADSTS90002: Tenant 'contoso' not found.", "does not know"),
    ("google-user", "invalid_grant", "Token has been expired or revoked.", "Google ended"),
    ("google-app", "unauthorized_client", "Client is unauthorized to retrieve access tokens "
     "using this method.", "Domain-wide delegation"),
    ("google-app", "invalid_grant", "Invalid email or User ID", "refused the service account"),
]  # fmt: skip


@pytest.mark.parametrize(("grant", "error", "description", "words"), REFUSALS)
async def test_every_token_refusal_in_plain_words(
    oauth_practice: OAuthPractice,
    tmp_path: Path,
    grant: str,
    error: str,
    description: str,
    words: str,
) -> None:
    authorization = oauth_practice.authorization
    if grant.endswith("app"):
        how = "service_account" if grant == "google-app" else "certificate"
        settings, path = app_config(oauth_practice, tmp_path, how)
    else:
        settings = oauth_practice.settings()
        if grant == "google-user":
            settings.oauth.provider = "google"
        path = save_settings(settings, tmp_path / "settings.toml")
        save_tokens(settings, path, TokenRecord(refresh_token="prt-stored"))
    authorization.refusal = (error, description)
    with pytest.raises(TokenError) as refused:
        await token_source_for(settings, path).access_token()
    code = description.split(":")[0]
    if code.startswith("AADSTS"):
        assert refused.value.codes == (code,)
    diagnosis = diagnose(token_failure(refused.value), settings, audience=Audience.CLI)
    text = " ".join([diagnosis.title, diagnosis.cause, diagnosis.fix])
    assert words in text, text
    assert diagnosis.fix and "{" not in text


def test_smtp_auth_disabled_for_the_tenant_names_set_casmailbox(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    from tui.core.events import Failure, FailureKind

    settings, _ = app_config(oauth_practice, tmp_path, "certificate")
    reply = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
        "the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."
    )
    failure = Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.139", reply=reply)
    diagnosis = diagnose(failure, settings, audience=Audience.CLI)
    assert "turned off SMTP AUTH" in diagnosis.title
    assert "-SmtpClientAuthenticationDisabled $false" in diagnosis.fix


def test_status_warns_ahead_of_a_client_secret_and_a_certificate_ending(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    import datetime

    settings, path = app_config(oauth_practice, tmp_path, "client_secret")
    soon = datetime.date.today() + datetime.timedelta(days=10)
    settings.oauth.secret_expires = soon.isoformat()
    save_settings(settings, path)
    status = gather(path, tmp_path / "spool")
    assert status.exit == 1 and status.sign_in["method"] == "app"
    assert f"client secret of the sign-in for practice@example.com ends on {soon}" in (
        status.notes[0].text
    )
    assert "the client secret ends on" in status.sign_in["ends"]
    settings.oauth.secret_expires = "2020-01-01"
    save_settings(settings, path)
    assert gather(path, tmp_path / "spool").exit == 2
    # A certificate's notAfter is read from the file itself.
    settings, path = app_config(oauth_practice, tmp_path, "certificate")
    status = gather(path, tmp_path / "spool")
    assert status.exit == 0 and status.sign_in["ends_at"], status.to_json()
    shown = run("show", "--config", str(path)).stdout
    assert "the certificate ends on" in shown and "sends as" in shown


# ----------------------------------------------------------------- the wizard


async def test_the_wizard_offers_the_app_sign_in_for_work_accounts_only() -> None:
    from tests.screens.forms import Host, preset, visible
    from tests.ui_helpers import SIZE
    from tui.screens.fields import FieldsScreen
    from tui.widgets import ChoiceRow

    settings = preset("microsoft365", username="ops@contoso.com", auth="oauth2")
    settings.oauth.tenant = "contoso.onmicrosoft.com"
    app = Host(FieldsScreen(settings))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.fields
        auth = screen.query_one("#auth", ChoiceRow)
        auth.action_pick(2)  # for a server: sign in as the app
        await pilot.pause()
        assert auth.value == "Sign in as the app"
        assert auth.region.x + auth._spans()[-1][1] <= SIZE[0]  # the three fit in 80 columns
        assert screen.app_sign_in and visible(screen, "certificate")
        assert visible(screen, "password")  # no certificate: the client secret goes there
        assert screen._guide_provider().guidance == "microsoft-app"  # type: ignore[union-attr]
        draft = screen.draft()
        assert draft.smtp.auth == "oauth2" and draft.oauth.grant == "app"
    settings = preset("outlook", username="me@outlook.com")
    app = Host(FieldsScreen(settings))
    async with app.run_test(size=SIZE) as pilot:
        choices = app.fields.query_one("#auth", ChoiceRow)
        assert len(choices.options) == 2  # personal accounts: no app sign-in offered


async def test_the_wizards_test_send_uses_a_typed_client_secret(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    """Before saving, the secret is only in the form: the test send signs in with it."""
    from tests.ui_helpers import SIZE, ScreenHost
    from tests.waiting import eventually
    from tui.screens.test_send import TestSendScreen

    settings = oauth_practice.authorization.settings_for_app(
        oauth_practice.settings(), "client_secret", tmp_path
    )
    screen = TestSendScreen(
        settings, oauth_practice.authorization.app.client_secret, tmp_path / "s.toml"
    )
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await eventually(lambda: screen.state in ("ok", "failed"))
        assert screen.state == "ok", screen.failure


def test_mailwiz_password_keeps_the_client_secret_and_login_explains_there_is_none(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    settings = oauth_practice.authorization.settings_for_app(
        oauth_practice.settings(), "client_secret", tmp_path
    )
    path = save_settings(settings, tmp_path / "app.toml")
    process = mailwiz("password", "--stdin", "--config", str(path))
    out, err = process.communicate(oauth_practice.authorization.app.client_secret + "\n", 60)
    assert process.returncode == 0, err
    assert out.startswith("Client secret stored in")
    assert run("test", "--config", str(path)).returncode == 0
    login = run("login", "--config", str(path))
    assert login.returncode == Exit.USAGE and "the app signs in itself" in login.stderr
