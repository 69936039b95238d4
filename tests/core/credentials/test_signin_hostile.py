"""Sign-in under attack, each command in its own process against the real practice server
made hostile: a token endpoint that repeats its request (secrets and all) in its
error_description, a device authorization that tries to drive the terminal, odd token answers
(1e400 seconds, "inf", JSON 100,000 deep, 100 MB), a symlink at the refresh lock, a local
program answering the loopback listener, a public client that must send no secret, and a
machine without a keyring."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.leaks import assert_no_leak
from tests.oauth_server import CODE_LINE, approve_in_browser, finish, mailwiz, read_until
from tui.core.exits import Exit
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import load_settings, save_settings

AUTHORIZE_LINE = re.compile(r"^(http://127\.0\.0\.1:\d+/authorize\?\S+)$")
CLIENT_SECRET = "Cl!ent/Secret+Value=42"


def echo(body: bytes, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A token endpoint that repeats the request in its error_description."""
    said = " ".join(f"{k}={v}" for k, v in form.items())
    device = form.get("device_code", "")
    encoded = base64.b64encode(device.encode()).decode()
    text = f"AADSTS9002313: bad request: {body.decode()} | {said} | {encoded}"
    answer = {"error": "invalid_grant", "error_description": text}
    return 400, {"Content-Type": "application/json"}, json.dumps(answer).encode()


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    process = mailwiz(*args)
    out, err = process.communicate(stdin, timeout=90)
    return process.returncode, out, err


def login(practice: OAuthPractice, config: Path) -> None:
    process = mailwiz("login", "--config", str(config))
    seen: list[str] = []
    assert practice.authorization.approve(read_until(process, CODE_LINE, seen))
    _, err = finish(process, seen)
    assert process.returncode == 0, err


# ----------------------------------------------------------------- issue 22 item 1


def test_a_token_endpoint_repeating_the_request_shows_no_secret_at_login(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    authorization = oauth_practice.authorization
    device_code = "Dev1ce/C0de+Secret=long"
    authorization.hostile_device = device_answer(
        "https://login.example/d", "ABCD-EFGH", device_code
    )
    authorization.hostile_token = echo
    loaded = load_settings(oauth_config)
    loaded.settings.oauth.client_secret = CLIENT_SECRET
    save_settings(loaded.settings, oauth_config)
    code, out, err = run("login", "--json", "--config", str(oauth_config))
    plain_code, plain_out, plain_err = run("login", "--config", str(oauth_config))
    assert code == plain_code == Exit.AUTH, out + err
    assert json.loads(out.splitlines()[-1])["result"] == "failed"
    assert "[redacted]" in out
    assert_no_leak([CLIENT_SECRET, device_code], out, err, plain_out, plain_err)


def test_a_refresh_refused_with_the_tokens_repeated_shows_none(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    authorization = oauth_practice.authorization
    login(oauth_practice, oauth_config)
    authorization.expire_access_tokens()
    assert run("test", "--config", str(oauth_config))[0] == Exit.OK  # rotated once
    authorization.expire_access_tokens()
    authorization.hostile_token = echo
    outputs: list[str] = []
    for args in (("test", "--json"), ("test", "--transcript"), ("send", "--to", "x@example.com",
                 "--body", "hi", "--transcript")):  # fmt: skip
        code, out, err = run(*args, "--config", str(oauth_config))
        assert code == Exit.AUTH, out + err
        outputs += [out, err]
    refresh_tokens = [t.refresh_token for t in authorization.tokens if t.refresh_token]
    assert len(refresh_tokens) == 2  # the old one and the rotated one
    assert_no_leak(authorization.secrets_issued(), *outputs)
    assert "[redacted]" in "".join(outputs)  # the server's words are shown, cleaned


# ----------------------------------------------------------------- issue 22 item 2


def device_answer(uri: str, user_code: str, device_code: str = "dc-123") -> object:
    def answer(body: bytes, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        data = {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "expires_in": 2,
            "interval": 1,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()

    return answer


def test_a_device_answer_that_would_drive_the_terminal_is_not_shown_raw(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    authorization = oauth_practice.authorization
    authorization.hostile_device = device_answer(
        "https://login.example/device\x1b]0;pwned\x07\x1b[2J", "ABCD-EFGH"
    )
    code, out, err = run("login", "--config", str(oauth_config))
    assert code == Exit.AUTH and "\x1b" not in out + err and "\x07" not in out + err
    authorization.hostile_device = device_answer("http://login.example/device", "ABCD-EFGH")
    code, out, err = run("login", "--config", str(oauth_config))
    assert code == Exit.AUTH and "not https" in err and "http://login.example" not in out
    authorization.hostile_device = device_answer(
        "https://login.example/device", "AB\x1b[8mCD-\u202eEFGH"
    )
    code, out, err = run("login", "--config", str(oauth_config))
    assert "\x1b" not in out + err and "\u202e" not in out + err
    assert "https://login.example/device\n" in out  # alone on its line, not indented
    assert "\nAB[8mCD-EFGH\n" in out  # cleaned, nothing between its letters


# ----------------------------------------------------------------- issue 22 item 5


def big_answer(body: bytes, form: dict[str, str]) -> tuple[int, dict[str, str], object]:
    def chunks() -> Iterator[bytes]:
        yield b'{"access_token": "a", "token_type": "Bearer", "pad": "'
        for _ in range(100):
            yield b" " * 1_000_000
        yield b'"}'

    return 200, {"Content-Type": "application/json"}, chunks()


def raw(text: str) -> object:
    def answer(body: bytes, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, text.encode()

    return answer


def test_odd_token_answers_are_clear_errors_with_documented_exits(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    authorization = oauth_practice.authorization
    token = '{"access_token": "a", "token_type": "Bearer", "refresh_token": "r", '
    answers = {
        "1e400": raw(token + '"expires_in": 1e400}'),
        "inf": raw(token + '"expires_in": "inf"}'),
        "deep": raw("[" * 100_000 + "]" * 100_000),
        "100 MB": big_answer,
    }
    for name, answer in answers.items():
        authorization.hostile_token = answer
        process = mailwiz("login", "--json", "--config", str(oauth_config))
        seen: list[str] = []
        read_until(process, re.compile(r'"user_code": "([A-Z0-9-]+)"'), seen)
        out, err = finish(process, seen)
        assert process.returncode == Exit.AUTH, (name, out, err)
        result = json.loads(out.splitlines()[-1])
        assert result["error"] == "invalid_response", name
        assert "Traceback" not in err and "bug" not in err.lower(), name


def test_a_symlink_at_the_refresh_lock_is_a_clear_error(
    oauth_practice: OAuthPractice, oauth_config: Path, tmp_path: Path
) -> None:
    login(oauth_practice, oauth_config)
    oauth_practice.authorization.expire_access_tokens()
    lock = oauth_config.with_name("settings.toml.token.lock")
    lock.unlink(missing_ok=True)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    lock.symlink_to(victim)
    code, out, err = run("test", "--config", str(oauth_config))
    assert code not in (Exit.OK, Exit.BUG), out + err
    assert str(lock) in out + err and "Traceback" not in err
    assert victim.read_text() == "keep me"


# ----------------------------------------------------------------- issue 22 item 10


def test_a_public_client_sends_no_client_secret_at_all(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    """Microsoft refuses a public client that sends a secret, even an empty one
    (AADSTS700025); so does the practice server, and mailwiz sends none."""
    authorization = oauth_practice.authorization
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_secret": ""}
    refused = httpx.post(authorization.token_url, data={**form, "client_id": "mailwiz-practice"})
    assert refused.status_code == 401 and "AADSTS700025" in refused.text
    authorization.client_secrets_seen.clear()
    login(oauth_practice, oauth_config)
    oauth_practice.authorization.expire_access_tokens()
    assert run("test", "--config", str(oauth_config))[0] == Exit.OK  # a refresh too
    assert authorization.client_secrets_seen == []


# ----------------------------------------------------------------- issue 22 items 3, 4


def test_show_redacts_the_token_urls_query_and_fails_when_it_cannot_tell(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    loaded = load_settings(oauth_config)
    loaded.settings.oauth.token_url += "?key=Sh0wMeNot"
    save_settings(loaded.settings, oauth_config)
    oauth_config.with_name("settings.toml.token").write_text("not a sign-in\n")
    code, out, err = run("show", "--config", str(oauth_config))
    assert "Sh0wMeNot" not in out + err and "key=[redacted]" in out
    assert "CANNOT TELL" in out and code == Exit.NOT_READY


def browser_login(config: Path) -> tuple[object, str, list[str]]:
    process = mailwiz("login", "--browser", "--config", str(config))
    seen: list[str] = []
    return process, read_until(process, AUTHORIZE_LINE, seen), seen


def test_the_loopback_listener_ignores_other_states_and_keeps_only_a_confirmed_account(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    process, url, seen = browser_login(oauth_config)
    redirect = approve_in_browser(url)
    port = re.search(r"127\.0\.0\.1:(\d+)", redirect)
    assert port is not None
    for _ in range(3):  # another local program, guessing: answered 400, not counted
        forged = re.sub(r"state=[^&]+", "state=forged", redirect)
        assert httpx.get(forged).status_code == 400
    assert httpx.get(redirect).status_code == 200
    out, err = finish(process, seen)  # type: ignore[arg-type]
    assert process.returncode == Exit.OK, err  # type: ignore[attr-defined]

    # A sign-in of another account arriving at the listener is not kept unconfirmed.
    token = oauth_config.with_name("settings.toml.token")
    token.unlink()
    loaded = load_settings(oauth_config)
    loaded.settings.smtp.username = "victim@example.com"
    save_settings(loaded.settings, oauth_config)
    process, url, seen = browser_login(oauth_config)
    assert httpx.get(approve_in_browser(url)).status_code == 200
    out, err = finish(process, seen)  # type: ignore[arg-type]
    assert process.returncode == Exit.AUTH, out + err  # type: ignore[attr-defined]
    assert "practice@example.com" in err and "victim@example.com" in err
    assert not token.exists()


# ----------------------------------------------------------------- issue 21 item 2


def test_no_keyring_the_choice_comes_before_the_sign_in_and_a_file_keeps_it(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    loaded = load_settings(oauth_config)
    loaded.settings.password.store = "keyring"
    save_settings(loaded.settings, oauth_config)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    try:
        code, out, err = run("login", "--config", str(oauth_config))
        assert code == Exit.NOT_READY, out + err
        assert (
            re.search(r"mailwiz --config \S+ login --store file", err)
            and "MAILWIZ_PASSWORD" not in err
        )
        assert oauth_practice.authorization.pending_codes() == []  # nothing asked yet
        process = mailwiz("login", "--store", "file", "--config", str(oauth_config))
        seen: list[str] = []
        assert oauth_practice.authorization.approve(read_until(process, CODE_LINE, seen))
        out, err = finish(process, seen)
        assert process.returncode == Exit.OK, err
        assert load_settings(oauth_config).settings.password.store == "file"
        token = oauth_config.with_name("settings.toml.token")
        assert stat.S_IMODE(token.stat().st_mode) == 0o600
        assert run("test", "--config", str(oauth_config))[0] == Exit.OK
    finally:
        del os.environ["PYTHON_KEYRING_BACKEND"]


def test_the_queues_last_error_holds_no_refresh_token(
    oauth_practice: OAuthPractice, tmp_path: Path
) -> None:
    """Issue 22 item 1, system mail: a refresh refused with the tokens repeated leaves the
    message queued, and neither its envelope's last error nor mailq shows them."""
    from tests.mta_helpers import Mta
    from tui.core.settings import LocalSettings

    authorization = oauth_practice.authorization
    settings = oauth_practice.settings()
    settings.local = LocalSettings(admin=authorization.account)
    mta = Mta(tmp_path / "box", settings)
    login(oauth_practice, mta.config)
    authorization.expire_access_tokens()
    authorization.hostile_token = echo
    assert mta.run(["-i", "root"], b"Subject: backup\n\ndone\n").returncode == 0
    assert mta.queue("--run").returncode == 0
    assert mta.waiting(), "the message stays queued"
    listing = mta.run([], entry="mailq")
    spool_text = "".join(
        path.read_bytes().decode("utf-8", "replace")
        for path in mta.spool_path.rglob("*")
        if path.is_file()
    )
    assert "AADSTS9002313" in spool_text + listing.stdout.decode()  # the echo was met
    assert_no_leak(
        authorization.secrets_issued(),
        listing.stdout.decode(),
        listing.stderr.decode(),
        spool_text,
    )


async def test_the_support_report_holds_no_token_the_endpoint_repeated(
    oauth_practice: OAuthPractice, oauth_config: Path
) -> None:
    """The wizard's support report (written for a helper) after a refresh the endpoint
    refused, repeating the request (the refresh token, the client secret) in its words."""
    from tests.ui_helpers import ScreenHost
    from tests.waiting import eventually
    from tui.screens.test_send import TestSendScreen

    authorization = oauth_practice.authorization
    login(oauth_practice, oauth_config)
    authorization.expire_access_tokens()
    authorization.hostile_token = echo
    screen = TestSendScreen(load_settings(oauth_config).settings, "", oauth_config)
    async with ScreenHost(screen).run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await eventually(lambda: screen.state in ("ok", "failed"))
        assert screen.state == "failed"
        report = screen.report_text()
    assert "[redacted]" in report  # the endpoint's words are there, cleaned
    assert_no_leak(authorization.secrets_issued(), report)
