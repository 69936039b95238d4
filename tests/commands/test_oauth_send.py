"""End to end, each command in its own process: `mailwiz login`, then `test`, `send` and
`show` through the practice SMTP server that accepts only the practice server's tokens.
A live token; an expired one refreshed silently (the 334 challenge, one refresh, one retry)
and its rotated refresh token kept and used next time; a revoked sign-in (exit 16, fix
`mailwiz login`); a server offering only XOAUTH2 or only OAUTHBEARER; and no token, in any
form, in any output."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.leaks import leak_forms
from tests.oauth_server import CODE_LINE, mailwiz, read_until
from tui.core.exits import Exit
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import save_settings

#: The sign-in hint, for settings outside the usual place: `mailwiz --config PATH login`.
LOGIN = r"mailwiz --config \S+ login"


def login(practice: OAuthPractice, config: Path) -> None:
    process = mailwiz("login", "--config", str(config))
    seen: list[str] = []
    assert practice.authorization.approve(read_until(process, CODE_LINE, seen))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def run(*args: str) -> subprocess.CompletedProcess[str]:
    process = mailwiz(*args)
    out, err = process.communicate(timeout=90)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def secret_forms(practice: OAuthPractice) -> list[str]:
    """Every token issued, plain and inside the XOAUTH2/OAUTHBEARER blobs (base64)."""
    forms: list[str] = []
    user = practice.authorization.account
    for token in practice.authorization.secrets_issued():
        forms += leak_forms(token)
        for blob in (
            f"user={user}\x01auth=Bearer {token}\x01\x01",
            f"n,a={user},\x01auth=Bearer {token}\x01\x01",
        ):
            forms.append(base64.b64encode(blob.encode()).decode())
    return forms


def assert_no_secret(practice: OAuthPractice, *outputs: str) -> None:
    forms = secret_forms(practice)
    assert forms
    for output in outputs:
        for form in forms:
            assert form not in output


def stages(json_lines: str) -> list[str]:
    found = [json.loads(line)["stage"] for line in json_lines.splitlines() if '"ok"' in line]
    return [stage for stage in found[:-1] if stage != "engine"]  # a fresh process loads it


def test_login_then_test_send_and_show(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    login(oauth_practice, oauth_config)
    done = run("test", "--json", "--config", str(oauth_config))
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    records = [r for r in records if r.get("stage") != "engine"]  # a fresh process loads it
    assert records[0]["stage"] == "token" and records[0]["ok"]
    assert records[-1]["result"] == "ok"
    sent = run(
        "send",
        "--to",
        "someone@example.com",
        "--subject",
        "Hi",
        "--body",
        "hello",
        "--transcript",
        "--config",
        str(oauth_config),
    )
    assert sent.returncode == 0, sent.stderr
    assert "token" in sent.stdout
    assert [m.recipients for m in oauth_practice.smtp.messages][-1] == ("someone@example.com",)
    shown = run("show", "--config", str(oauth_config))
    assert shown.returncode == 0
    assert_no_secret(
        oauth_practice,
        done.stdout,
        done.stderr,
        sent.stdout,
        sent.stderr,
        shown.stdout,
        shown.stderr,
    )
    assert oauth_practice.smtp.signed_in == ["practice@example.com"] * 2


def test_an_expired_token_is_refreshed_and_the_rotated_one_kept(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    login(oauth_practice, oauth_config)
    token_file = oauth_config.with_name("settings.toml.token")
    before = json.loads(token_file.read_text())
    oauth_practice.authorization.expire_access_tokens()  # mailwiz still thinks it is live
    done = run("test", "--transcript", "--config", str(oauth_config))
    assert done.returncode == 0, done.stdout + done.stderr
    after = json.loads(token_file.read_text())
    assert after["refresh_token"] != before["refresh_token"]  # rotated, and kept
    assert after["access_token"] != before["access_token"]
    # The old refresh token is dead on the server; the kept one works the next time.
    oauth_practice.authorization.expire_access_tokens()
    again = run("test", "--config", str(oauth_config))
    assert again.returncode == 0, again.stderr
    assert json.loads(token_file.read_text())["refresh_token"] != after["refresh_token"]
    assert_no_secret(oauth_practice, done.stdout, done.stderr, again.stdout, again.stderr)


def revoked_then_sent(
    practice: OAuthPractice, config: Path
) -> list[subprocess.CompletedProcess[str]]:
    login(practice, config)
    practice.authorization.revoke_all()
    done = run("test", "--json", "--config", str(config))
    plain = run("send", "--to", "a@example.com", "--config", str(config))
    assert_no_secret(practice, done.stdout, done.stderr, plain.stdout, plain.stderr)
    return [done, plain]


def test_a_revoked_sign_in_is_exit_16(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    done, plain = revoked_then_sent(oauth_practice, oauth_config)
    assert done.returncode == Exit.AUTH, done.stdout + done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    # The cached token is refused (334, then 535), the one refresh gets invalid_grant.
    assert [r["stage"] for r in records if not r.get("ok", True)][-2:] == ["auth", "token"]
    assert records[-1]["exit"] == Exit.AUTH
    assert plain.returncode == Exit.AUTH


def test_a_revoked_sign_in_says_run_mailwiz_login(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    done, plain = revoked_then_sent(oauth_practice, oauth_config)
    assert re.search(LOGIN, json.loads(done.stdout.splitlines()[-1])["fix"])
    assert re.search(LOGIN, plain.stderr)


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_a_server_offering_one_mechanism(tmp_path: Path, mechanism: str) -> None:
    with OAuthPractice(mechanisms=(mechanism,), folder=tmp_path, device_interval=1) as practice:
        config = save_settings(practice.settings(), tmp_path / "settings.toml")
        login(practice, config)
        done = run("test", "--transcript", "--config", str(config))
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"AUTH {mechanism}" in done.stdout
        assert_no_secret(practice, done.stdout, done.stderr)


def test_not_signed_in_is_exit_3_with_the_login_fix(oauth_config: Path) -> None:
    done = run("test", "--config", str(oauth_config))
    assert done.returncode == Exit.NOT_READY
    assert re.search(LOGIN, done.stderr)


def test_after_login_sendmail_signs_in_too(
    oauth_practice: OAuthPractice,
    oauth_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cron's `sendmail -t` (and the queue runner, through the same load_system) choose the
    credential as `mailwiz test` does (tui.core.credentials.choose): after `mailwiz login`
    the sign-in sends system mail; nothing is deferred with "no password is available"."""
    login(oauth_practice, oauth_config)
    monkeypatch.setenv("MAILWIZ_CONFIG", str(oauth_config))
    monkeypatch.setenv("MAILWIZ_SPOOL", str(tmp_path / "spool"))
    message = "To: someone@example.com\nSubject: cron\n\nbackup done\n"
    process = mailwiz("sendmail", "-oi", "-t", "-v")
    out, err = process.communicate(message, timeout=90)
    assert process.returncode == 0, err
    assert "no password" not in err
    assert [m.recipients for m in oauth_practice.smtp.messages][-1] == ("someone@example.com",)
    assert oauth_practice.smtp.signed_in[-1] == "practice@example.com"
    assert not list((tmp_path / "spool").rglob("*.msg"))  # delivered, nothing left deferred
    assert_no_secret(oauth_practice, out, err)


def test_after_mailwiz_login_sendmail_t_delivers_through_xoauth2(tmp_path: Path) -> None:
    """Issue 21 item 3: cron's `sendmail -t` uses the sign-in `mailwiz login` kept, like
    `mailwiz test` does (the server offers XOAUTH2 only, and parses it strictly)."""
    from tests.mta_helpers import Mta
    from tests.waiting import wait_until
    from tui.core.settings import LocalSettings

    with OAuthPractice(mechanisms=("XOAUTH2",), folder=tmp_path / "practice") as practice:
        settings = practice.settings()
        settings.local = LocalSettings(admin=practice.authorization.account)
        mta = Mta(tmp_path / "box", settings)
        login(practice, mta.config)
        message = b"To: someone@example.com\nSubject: nightly backup\n\nall done\n"
        done = mta.run(["-t"], message, entry="symlink")
        assert done.returncode == 0, done.stderr
        wait_until(lambda: practice.smtp.messages)
        assert practice.smtp.signed_in == [practice.authorization.account]
        assert "nightly backup" in practice.smtp.messages[0].summary()
        assert mta.waiting() == []
