"""`mailwiz login` in its own process against the real practice authorization server:
device code (approved, declined, expired, slow_down, --json), browser + PKCE with the address
pasted on standard input (and a wrong state refused), or caught on the loopback listener."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import httpx
import pytest

from tests.oauth_server import CODE_LINE, approve_in_browser, finish, mailwiz, read_until
from tests.waiting import wait_until
from tui.core.exits import Exit
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import load_settings, save_settings

AUTHORIZE_LINE = re.compile(r"^(http://127\.0\.0\.1:\d+/authorize\?\S+)$")


def token_file(config: Path) -> Path:
    return config.with_name(config.name + ".token")


def assert_no_token(practice: OAuthPractice, *texts: str) -> None:
    issued = practice.authorization.secrets_issued()
    for text in texts:
        for secret in issued:
            assert secret not in text


def test_device_login_approved(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    process = mailwiz("login", "--config", str(oauth_config))
    seen: list[str] = []
    code = read_until(process, CODE_LINE, seen)
    assert oauth_practice.authorization.verification_url in "".join(seen)
    assert oauth_practice.authorization.approve(code)
    out, err = finish(process, seen)
    assert process.returncode == Exit.OK, err
    assert "Signed in as practice@example.com" in out
    assert f"Next: mailwiz --config {oauth_config} test" in out  # the settings it was given
    stored = token_file(oauth_config)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    saved = json.loads(stored.read_text())
    assert saved["refresh_token"] in oauth_practice.authorization.secrets_issued()
    assert saved["username"] == "practice@example.com"
    assert saved["refresh_token"] not in oauth_config.read_text()  # never in the settings
    assert_no_token(oauth_practice, out, err)

    show = mailwiz("show", "--config", str(oauth_config))
    shown, shown_err = show.communicate(timeout=30)
    assert show.returncode == 0, shown_err
    assert re.search(r"signed in as\s+practice@example.com", shown)
    assert str(stored) in shown
    assert_no_token(oauth_practice, shown, shown_err)


def test_device_login_declined_is_exit_16(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    process = mailwiz("login", "--config", str(oauth_config))
    seen: list[str] = []
    assert oauth_practice.authorization.deny(read_until(process, CODE_LINE, seen))
    _, err = finish(process, seen)
    assert process.returncode == Exit.AUTH
    assert "declined" in err and re.search(r"mailwiz --config \S+ login", err)
    assert not token_file(oauth_config).exists()


@pytest.mark.parametrize("practice_options", [{"device_lifetime": 2}])
def test_device_code_expiry_is_exit_12(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    process = mailwiz("login", "--json", "--config", str(oauth_config))
    out, err = process.communicate(timeout=60)
    assert process.returncode == Exit.TIMEOUT, err
    first, *_, last = [json.loads(line) for line in out.splitlines()]
    assert first["expires_in"] == 2
    assert last["result"] == "failed" and last["exit"] == Exit.TIMEOUT
    assert last["error"] == "expired_token"
    assert not token_file(oauth_config).exists()


@pytest.mark.parametrize("practice_options", [{"slow_down_polls": 1}])
def test_slow_down_adds_five_seconds(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    process = mailwiz("login", "--config", str(oauth_config))
    seen: list[str] = []
    code = read_until(process, CODE_LINE, seen)
    server = oauth_practice.authorization
    # the first poll is answered slow_down, then mailwiz waits 1 + 5 s
    wait_until(lambda: len(server.polls) >= 2)
    server.approve(code)
    _, err = finish(process, seen)
    assert process.returncode == Exit.OK, err
    assert len(server.polls) >= 2
    assert server.polls[1] - server.polls[0] >= 5.5  # interval 1 s + 5 s for slow_down


def test_device_login_json_lines(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    process = mailwiz("login", "--json", "--config", str(oauth_config))
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())  # printed before waiting
    assert first["verification_uri"] == oauth_practice.authorization.verification_url
    assert first["expires_in"] > 0 and first["expires_at"]
    assert oauth_practice.authorization.approve(first["user_code"])
    out, err = process.communicate(timeout=60)
    result = json.loads(out.splitlines()[-1])
    assert process.returncode == 0, err
    assert result == {
        "result": "ok",
        "exit": 0,
        "username": "practice@example.com",
        "stored_in": result["stored_in"],
    }
    assert_no_token(oauth_practice, out, err)


def test_browser_login_by_pasted_address(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    process = mailwiz("login", "--browser", "--config", str(oauth_config))
    seen: list[str] = []
    url = read_until(process, AUTHORIZE_LINE, seen)
    assert "code_challenge_method=S256" in url and "state=" in url
    redirected = approve_in_browser(url)  # nobody listens there in the user's own browser
    out, err = finish(process, seen, redirected + "\n")
    assert process.returncode == Exit.OK, err
    assert "Signed in as practice@example.com" in out
    assert token_file(oauth_config).exists()
    assert_no_token(oauth_practice, out, err)


def test_browser_login_refuses_a_wrong_state(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    process = mailwiz("login", "--browser", "--config", str(oauth_config))
    seen: list[str] = []
    redirected = approve_in_browser(read_until(process, AUTHORIZE_LINE, seen))
    forged = re.sub(r"state=[^&]+", "state=someone-elses", redirected)
    _, err = finish(process, seen, forged + "\n")
    assert process.returncode == Exit.AUTH
    assert "state does not match" in err
    assert not token_file(oauth_config).exists()


def test_browser_login_declined(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    process = mailwiz("login", "--browser", "--config", str(oauth_config))
    seen: list[str] = []
    redirected = approve_in_browser(read_until(process, AUTHORIZE_LINE, seen), "deny")
    assert "error=access_denied" in redirected
    _, err = finish(process, seen, redirected + "\n")
    assert process.returncode == Exit.AUTH
    assert "declined" in err


def test_browser_on_this_machine_hits_the_loopback_listener(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    process = mailwiz("login", "--browser", "--json", "--config", str(oauth_config))
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    assert first["redirect_uri"].startswith("http://127.0.0.1:")
    redirected = approve_in_browser(first["authorization_url"])
    page = httpx.get(redirected)  # the browser follows the redirect to mailwiz itself
    assert page.status_code == 200 and "go back to mailwiz" in page.text
    out, err = process.communicate(timeout=60)  # standard input stays empty
    assert process.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["result"] == "ok"


def test_login_needs_oauth_settings_and_a_store(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    loaded = load_settings(oauth_config)
    loaded.settings.password.store = "none"
    save_settings(loaded.settings, oauth_config)
    process = mailwiz("login", "--config", str(oauth_config))
    _, err = process.communicate(timeout=30)
    # Said before anyone signs in, with the choice that applies to a sign-in.
    assert process.returncode == Exit.NOT_READY
    assert 'store = "none"' in err and re.search(r"mailwiz --config \S+ login --store file", err)
    assert "MAILWIZ_PASSWORD" not in err
    assert oauth_practice.authorization.pending_codes() == []
    loaded.settings.smtp.auth = "password"
    loaded.settings.password.store = "file"
    save_settings(loaded.settings, oauth_config)
    process = mailwiz("login", "--config", str(oauth_config))
    _, err = process.communicate(timeout=30)
    assert process.returncode == Exit.USAGE
    assert "oauth2" in err


def test_login_with_an_unknown_client_is_exit_16(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    loaded = load_settings(oauth_config)
    loaded.settings.oauth.client_id = "not-registered"
    save_settings(loaded.settings, oauth_config)
    process = mailwiz("login", "--json", "--config", str(oauth_config))
    out, err = process.communicate(timeout=30)
    assert process.returncode == Exit.AUTH, err
    result = json.loads(out.splitlines()[-1])
    assert result["error"] == "invalid_client"
    assert "client_id" in result["fix"]
