"""The OAuth practice SMTP server: STARTTLS, XOAUTH2/OAUTHBEARER only, live tokens of its
authorization server accepted, anything else answered with the 334 JSON challenge then 535
(as Gmail and Microsoft do); and `mailwiz sandbox --oauth` in its own process."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import smtplib
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.oauth_server import CODE_LINE, mailwiz, read_until
from tui.core.credentials import endpoints_for, poll_device_flow, start_device_flow
from tui.core.oauth_practice import OAuthPractice


async def _no_wait(seconds: float) -> None:
    return None


async def live_token(practice: OAuthPractice) -> str:
    practice.authorization.approve_everything()
    endpoints = endpoints_for(practice.settings())
    record = await poll_device_flow(endpoints, await start_device_flow(endpoints), sleep=_no_wait)
    return record.access_token


def connect(practice: OAuthPractice) -> smtplib.SMTP:
    smtp = smtplib.SMTP(practice.smtp.host, practice.smtp.port, timeout=10)
    smtp.starttls(context=ssl.create_default_context(cafile=str(practice.smtp.ca_file)))
    smtp.ehlo()
    return smtp


def xoauth2(user: str, token: str) -> str:
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()


def oauthbearer(user: str, token: str) -> str:
    text = f"n,a={user},\x01host=127.0.0.1\x01port=587\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def practice(tmp_path: Path) -> OAuthPractice:
    with OAuthPractice(folder=tmp_path) as started:
        yield started  # type: ignore[misc]


async def test_a_live_token_signs_in_with_either_mechanism(practice: OAuthPractice) -> None:
    token = await live_token(practice)
    for encode, name in ((xoauth2, "XOAUTH2"), (oauthbearer, "OAUTHBEARER")):
        with connect(practice) as smtp:
            assert set(smtp.esmtp_features["auth"].split()) == {"XOAUTH2", "OAUTHBEARER"}
            code, _ = smtp.docmd("AUTH", f"{name} {encode('practice@example.com', token)}")
            assert code == 235
    assert practice.smtp.signed_in == ["practice@example.com"] * 2


async def test_a_dead_token_gets_the_challenge_then_535(practice: OAuthPractice) -> None:
    token = await live_token(practice)
    practice.authorization.expire_access_tokens()
    with connect(practice) as smtp:
        code, challenge = smtp.docmd("AUTH", f"XOAUTH2 {xoauth2('practice@example.com', token)}")
        assert code == 334
        assert json.loads(base64.b64decode(challenge))["status"] == "401"
        code, reply = smtp.docmd("")  # XOAUTH2 answers the challenge with an empty line
        assert code == 535 and b"5.7.8" in reply
    with connect(practice) as smtp:
        code, _ = smtp.docmd("AUTH", f"OAUTHBEARER {oauthbearer('practice@example.com', 'x')}")
        assert code == 334
        code, _ = smtp.docmd("AQ==")  # OAUTHBEARER's answer: a single ^A
        assert code == 535
    with connect(practice) as smtp:  # passwords are not a way in
        code, _ = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0a\0b").decode())
        assert code == 504


async def test_a_token_for_another_account_is_refused(practice: OAuthPractice) -> None:
    token = await live_token(practice)
    with connect(practice) as smtp:
        code, _ = smtp.docmd("AUTH", f"XOAUTH2 {xoauth2('someone@example.com', token)}")
        assert code == 334
        assert smtp.docmd("")[0] == 535


def test_a_server_offering_only_xoauth2(tmp_path: Path) -> None:
    with (
        OAuthPractice(mechanisms=("XOAUTH2",), folder=tmp_path) as practice,
        connect(practice) as smtp,
    ):
        assert smtp.esmtp_features["auth"].split() == ["XOAUTH2"]


def test_sandbox_oauth_login_then_approve_from_its_prompt(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path)}
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "--oauth"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        seen: list[str] = []
        config = read_until(sandbox, re.compile(r"mailwiz --config (\S+) login --store file"), seen)
        assert "XOAUTH2, OAUTHBEARER (no passwords)" in "".join(seen)
        asked = mailwiz("login", "--config", config)  # the choice first, as without a keyring
        _, said = asked.communicate(timeout=60)
        assert asked.returncode == 3 and "--store file" in said
        login = mailwiz("login", "--store", "file", "--config", config)
        login_seen: list[str] = []
        code = read_until(login, CODE_LINE, login_seen)
        assert sandbox.stdin is not None
        sandbox.stdin.write(code + "\n")  # approved at the sandbox's own prompt
        sandbox.stdin.flush()
        _, err = login.communicate(timeout=60)
        assert login.returncode == 0, err
        assert Path(config + ".token").exists()
        app = read_until(
            sandbox, re.compile(r"mailwiz --config (\S+app-certificate\S+) test"), seen
        )
        done = mailwiz("test", "--config", app)
        _, err = done.communicate(timeout=60)
        assert done.returncode == 0, err  # the app signs in itself, no login
    finally:
        sandbox.send_signal(signal.SIGTERM)
        sandbox.communicate(timeout=30)
    assert not Path(config).exists()  # the practice folder is gone with its token
