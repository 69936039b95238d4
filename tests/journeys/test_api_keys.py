"""An HTTP API's key is a secret kept like a password (keyring, 0600 file or
MAILWIZ_PASSWORD), and an OAuth sign-in has no password at all (issues 13, 15)."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from tests.api_servers import KEY, MAILGUN_DOMAIN, serve_api
from tests.memory_keyring import MemoryKeyring
from tui.cli import main
from tui.core.credentials.store import (
    describe_store,
    keyring_account,
    load_password,
    password_needed,
    save_password,
    uses_api_key,
)
from tui.core.http_apis import APIS
from tui.core.keys import Key
from tui.core.providers import PROVIDER_APIS
from tui.core.settings import HttpApi, Settings, load_settings, save_settings, to_toml
from tui.core.transports.http import API_NAMES, api_for, key_required

NO_ENV: dict[str, str] = {}


def api_settings(api: str, url: str = "") -> Settings:
    s = Settings(protocol="http", provider=api)
    s.http.api = api  # type: ignore[assignment]
    s.http.url = url
    s.http.domain = MAILGUN_DOMAIN if api == "mailgun" else ""
    s.http.timeout = 10
    s.sender.address = "shop@example.org"
    s.sender.reply_to = "orders@example.org"
    return s


def oauth_settings() -> Settings:
    s = Settings(provider="microsoft365")
    s.smtp.host = "smtp.office365.com"
    s.smtp.port = 587
    s.smtp.security = "starttls"
    s.smtp.username = "me@contoso.com"
    s.smtp.auth = "oauth2"
    s.oauth.provider = "microsoft"
    s.oauth.client_id = "11111111-2222-3333-4444-555555555555"
    return s


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ names and facts


def test_the_keyring_account_names_the_api_and_its_host() -> None:
    assert keyring_account(api_settings("postmark")) == "api:postmark@api.postmarkapp.com"
    eu = api_settings("mailgun", "https://API.EU.mailgun.net/")
    assert keyring_account(eu) == "api:mailgun@api.eu.mailgun.net"
    gateway = api_settings("sendgrid", "https://user:pw@mail-gw.example.com:8443/v?key=x")
    assert keyring_account(gateway) == "api:sendgrid@mail-gw.example.com"


@pytest.mark.parametrize("api", API_NAMES)
def test_the_store_agrees_with_the_transports_on_each_api(api: str) -> None:
    settings = api_settings(api)
    assert uses_api_key(settings) == key_required(settings)
    # the relay's key is optional, but kept in the store unless store = "none"
    assert password_needed(settings)
    # One place for each API's facts: the engine's format, the store and the settings read it.
    assert api_for(api).facts is APIS[api]
    if key_required(settings):
        assert keyring_account(settings) == f"api:{api}@{APIS[api].default_host}"
        assert api_for(api).default_url == f"https://{APIS[api].default_host}"


def test_every_api_is_named_once() -> None:
    assert get_args(HttpApi) == API_NAMES == tuple(APIS)
    assert tuple(name for name in APIS if APIS[name].key_required) == PROVIDER_APIS


def test_reading_key_required_loads_no_httpx() -> None:
    code = (
        "import sys\nfrom tui.core.transports.http import key_required\n"
        "import tui.core.credentials.store\nprint('httpx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_api_key_is_saved_and_found_like_a_password(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config = tmp_path / "settings.toml"
    settings = api_settings("resend")
    save_password(settings, config, KEY)
    assert memory_keyring.entries[("mailwiz", "api:resend@api.resend.com")] == KEY
    found = load_password(settings, config, env=NO_ENV)
    assert (found.password, found.source) == (KEY, "keyring")
    assert "api:resend@api.resend.com" in describe_store(settings, config)
    settings.password.store = "file"
    save_password(settings, config, KEY)
    assert load_password(settings, config, env=NO_ENV).password == KEY
    assert describe_store(settings, config).startswith("the API key file")


# ------------------------------------------------------------------ the command line


def test_password_stores_the_key_then_test_and_show_use_it(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serve_api("postmark") as server:
        path = save_settings(
            api_settings("postmark", f"http://127.0.0.1:{server.port}"), tmp_path / "s.toml"
        )
        account = "api:postmark@127.0.0.1"
        monkeypatch.setattr(sys, "stdin", io.StringIO(KEY + "\n"))
        code, out, err = run(["password", "--stdin", "--config", str(path)], capsys)
        assert code == 0, err
        assert memory_keyring.entries[("mailwiz", account)] == KEY
        assert "API key stored in the system keyring" in out

        code, out, err = run(["test", "--config", str(path)], capsys)  # no MAILWIZ_PASSWORD
        assert code == 0, out + err
        assert [seen.headers.get("x-postmark-server-token") for seen in server.received] == [KEY]

        code, out, err = run(["show", "--config", str(path)], capsys)
    assert code == 0, err
    assert "API key" in out and "******** (stored)" in out
    assert f"entry mailwiz / {account}" in out
    assert KEY not in out + err


def test_the_key_in_a_private_file_reaches_the_send(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serve_api("sendgrid") as server:
        path = save_settings(
            api_settings("sendgrid", f"http://127.0.0.1:{server.port}"), tmp_path / "s.toml"
        )
        monkeypatch.setattr(sys, "stdin", io.StringIO(KEY))
        argv = ["password", "--stdin", "--store", "file", "--config", str(path)]
        code, _, err = run(argv, capsys)
        assert code == 0, err
        key_file = tmp_path / "s.toml.password"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert load_settings(path).settings.password.store == "file"
        assert KEY not in path.read_text()
        code, out, err = run(["send", "--to", "c@example.net", "--config", str(path)], capsys)
        assert code == 0, out + err
        assert server.received[-1].headers.get("authorization") == f"Bearer {KEY}"
    assert memory_keyring.entries == {}


def test_an_api_with_no_key_anywhere_is_exit_3_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save_settings(api_settings("mailgun"), tmp_path / "s.toml")
    code, _, err = run(["test", "--config", str(path)], capsys)
    assert code == 3
    assert "no API key available" in err and "api:mailgun@api.mailgun.net" in err


def test_a_key_less_relay_file_still_claims_no_keyring(tmp_path: Path) -> None:
    # A relay that keeps no key (store = "none") is written without [password], and such a
    # file (every relay saved so far) loads as "none": its sends never ask a keyring.
    relay = api_settings("relay", "https://relay.example.com/send")
    relay.password.store = "none"
    assert "[password]" not in to_toml(relay) and "keyring" not in to_toml(relay)
    path = save_settings(relay, tmp_path / "s.toml")
    assert load_settings(path).settings.password.store == "none"
    relay.password.store = "keyring"  # its key is kept: the store is named
    assert 'store = "keyring"' in to_toml(relay)


def test_show_names_the_api_where_it_posts_and_the_domain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = save_settings(api_settings("mailgun"), tmp_path / "s.toml")
    code, out, _ = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert "HTTP API             Mailgun" in out  # the name a user reads
    assert "https://api.mailgun.net (the API's default)" in out
    assert f"sending domain       {MAILGUN_DOMAIN}" in out
    eu = api_settings("mailgun", "https://api.eu.mailgun.net/?key=s3cr3t-k3y")
    path = save_settings(eu, tmp_path / "s.toml")
    code, out, _ = run(["show", "--config", str(path)], capsys)
    assert "https://api.eu.mailgun.net/?key=[redacted]" in out and "s3cr3t-k3y" not in out
    assert "relay URL" not in out


# ------------------------------------------------------------------ OAuth


def test_an_oauth_sign_in_needs_no_password(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    settings = oauth_settings()
    assert not password_needed(settings)
    with pytest.raises(ValueError, match=f"`mailwiz --config {tmp_path / 's.toml'} login`"):
        save_password(settings, tmp_path / "s.toml", "pw")
    assert load_password(settings, tmp_path / "s.toml", env=NO_ENV).password is None
    assert "OAuth" in describe_store(settings, tmp_path / "s.toml")
    assert memory_keyring.entries == {}


def test_password_with_oauth_is_exit_2_pointing_at_login(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save_settings(oauth_settings(), tmp_path / "s.toml")
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret-pw\n"))
    code, out, err = run(["password", "--stdin", "--config", str(path)], capsys)
    assert code == 2
    assert f"`mailwiz --config {path} login`" in err
    assert memory_keyring.entries == {}
    code, out, err = run(["show", "--config", str(path)], capsys)
    assert "signed in" in out
    assert "(stored)" not in out and "password kept in" not in out


def test_moving_the_key_to_a_file_removes_the_keyring_copy(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save_settings(api_settings("postmark"), tmp_path / "s.toml")
    memory_keyring.entries[("mailwiz", "api:postmark@api.postmarkapp.com")] = "old-key"
    monkeypatch.setattr(sys, "stdin", io.StringIO(KEY + "\n"))
    code, _, err = run(["password", "--stdin", "--store", "file", "--config", str(path)], capsys)
    assert code == 0, err
    assert memory_keyring.entries == {}
    assert (tmp_path / "s.toml.password").read_text() == KEY + "\n"


async def test_the_wizards_save_screen_stores_the_api_key(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    from tests.ui_helpers import ScreenHost, settle, visible_text
    from tui.screens.save import SaveScreen

    config = tmp_path / "mailwiz" / "settings.toml"
    screen = SaveScreen(api_settings("postmark"), KEY, config, tested=True)
    async with ScreenHost(screen).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "api:postmark@api.postmarkapp.com" in visible_text(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved." in visible_text(screen)
        assert KEY not in visible_text(screen)
    assert memory_keyring.entries == {("mailwiz", "api:postmark@api.postmarkapp.com"): KEY}
    assert KEY not in config.read_text()


# ------------------------------------------------------------------ a key that cannot be sent

BAD_KEY = "key-T0p-s3crét-API-value"  # an accented letter: no HTTP header can carry it


@pytest.mark.parametrize("api", API_NAMES)
def test_a_non_ascii_key_is_refused_by_mailwiz_password(
    api: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save_settings(api_settings(api), tmp_path / "s.toml")
    monkeypatch.setattr(sys, "stdin", io.StringIO(BAD_KEY + "\n"))
    code = main(["password", "--stdin", "--store", "file", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code == 2  # a usage error, with the reason, not an internal error at send time
    assert "non-ASCII character at position 13" in err and "nothing was stored" in err
    assert BAD_KEY not in out + err
    assert not (tmp_path / "s.toml.password").exists()


def test_a_non_ascii_key_is_refused_by_configure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.toml"
    monkeypatch.setattr(sys, "stdin", io.StringIO(BAD_KEY + "\n"))
    code = main(
        ["configure", "--config", str(path), "--set", "protocol=http", "--set",
         "http.api=resend", "--set", "sender.address=shop@example.org", "--store", "file",
         "--password-stdin"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "non-ASCII character" in out + err and BAD_KEY not in out + err
    assert not path.exists()


def test_a_non_ascii_key_in_mailwiz_password_fails_the_send_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_api("resend") as server:
        settings = api_settings("resend", f"http://127.0.0.1:{server.port}")
        settings.password.store = "none"
        path = save_settings(settings, tmp_path / "s.toml")
        monkeypatch.setenv("MAILWIZ_PASSWORD", BAD_KEY)
        code = main(["test", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code == 16  # the key (exit 16), said before connecting
    assert "non-ASCII character" in out + err and BAD_KEY not in out + err
    assert server.received == []


@pytest.mark.parametrize("api", API_NAMES)
def test_the_wizard_form_refuses_a_non_ascii_key_beside_its_field(api: str) -> None:
    from tui.screens.fields_checks import FormState, form_problems

    state = FormState(BAD_KEY, False, False, False, "", "")
    problems = form_problems(api_settings(api, "https://api.example.com"), state)
    [problem] = problems[Key.PASSWORD]
    assert "non-ASCII character at position 13" in problem.message
    assert BAD_KEY not in problem.message
    good = FormState(KEY, False, False, False, "", "")
    assert Key.PASSWORD not in form_problems(api_settings(api, "https://api.example.com"), good)
