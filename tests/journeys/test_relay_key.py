"""The HTTP relay's optional key (issue 15): kept in the store under `api:relay@HOST`, sent as
`Authorization: Bearer KEY`, never shown. Against the relay stand-ins of tests/api_servers.py:
`relay` wants `Bearer KEY` (401 otherwise, repeating what it got), `open-relay` takes none."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.api_servers import KEY, ApiServer, serve_api
from tests.memory_keyring import LockedKeyring, MemoryKeyring, installed_keyring
from tui.cli import main
from tui.core.credentials.store import describe_store, keyring_account, load_password
from tui.core.exits import Exit
from tui.core.settings import Settings, load_settings, save_settings

ACCOUNT = ("mailwiz", "api:relay@127.0.0.1")
WRONG = "wr0ng-relay-K3y-987654"


def relay_settings(server: ApiServer, store: str | None = None) -> Settings:
    s = Settings(protocol="http", provider="http")
    s.http.url = f"http://127.0.0.1:{server.port}/send"
    s.http.timeout = 10
    s.sender.address = "shop@example.org"
    s.sender.reply_to = "orders@example.org"
    if store is not None:
        s.password.store = store  # type: ignore[assignment]
    return s


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def send(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    argv = ["send", "--to", "c@example.net", "--body", "hi", "--config", str(path), *extra]
    return run(argv, capsys)


def store_key(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    """`mailwiz password --stdin` with KEY typed on standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(KEY + "\n"))
    return run(["password", "--stdin", *extra, "--config", str(path)], capsys)


def auth_seen(server: ApiServer) -> list[str | None]:
    return [seen.headers.get("authorization") for seen in server.received]


def test_the_relay_key_has_an_api_account_and_is_called_an_api_key(tmp_path: Path) -> None:
    s = Settings(protocol="http")
    s.http.url = "https://Relay.Example.com:8443/send?x=1"
    assert keyring_account(s) == "api:relay@relay.example.com"
    where = describe_store(s, tmp_path / "s.toml")
    assert "api:relay@relay.example.com" in where and "optional" in where
    s.password.store = "file"
    assert describe_store(s, tmp_path / "s.toml").startswith("the API key file")
    s.password.store = "none"
    assert describe_store(s, tmp_path / "s.toml").startswith("nowhere: no API key is sent")


def test_a_key_stored_with_password_in_the_keyring_goes_as_bearer(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serve_api("relay") as server:
        path = save_settings(relay_settings(server), tmp_path / "s.toml")
        code, out, err = store_key(path, monkeypatch, capsys)
        assert code == 0, err
        assert "API key stored in the system keyring" in out
        assert memory_keyring.entries == {ACCOUNT: KEY}
        code, out, err = send(path, capsys)
        assert code == 0, out + err
        assert auth_seen(server) == [f"Bearer {KEY}"]
        code, out, err = run(["show", "--config", str(path)], capsys)
    assert code == 0, err
    assert "******** (stored)" in out and "api:relay@127.0.0.1" in out
    assert KEY not in out + err


def test_a_key_in_the_password_file_goes_as_bearer(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serve_api("relay") as server:
        path = save_settings(relay_settings(server), tmp_path / "s.toml")
        code, _, err = store_key(path, monkeypatch, capsys, "--store", "file")
        assert code == 0, err
        assert load_settings(path).settings.password.store == "file"
        assert KEY not in path.read_text()
        code, out, err = run(["test", "--config", str(path)], capsys)
        assert code == 0, out + err
        assert auth_seen(server) == [f"Bearer {KEY}"]
    assert memory_keyring.entries == {}


def test_without_a_stored_key_or_the_variable_no_header_is_sent(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_api("open-relay") as server:
        path = save_settings(relay_settings(server, "none"), tmp_path / "s.toml")
        # A relay file without [password] (as every relay was saved before its key could be
        # stored) means store = "none": no keyring is asked.
        assert "[password]" not in path.read_text()
        assert load_settings(path).settings.password.store == "none"
        code, out, err = send(path, capsys)
        assert code == 0, out + err
        assert auth_seen(server) == [None]
        code, out, _ = run(["show", "--config", str(path)], capsys)
    assert "NOT AVAILABLE" not in out
    assert memory_keyring.entries == {}


def test_a_relay_that_wants_a_key_and_got_none_says_how_to_give_one(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_api("relay") as server:  # answers 401 unless it gets its Bearer key
        path = save_settings(relay_settings(server, "none"), tmp_path / "s.toml")
        code, _, err = send(path, capsys)
        assert auth_seen(server) == [None]
    assert code == Exit.HTTP
    assert "takes an API key" in err and f"`mailwiz --config {path} password`" in err


def test_the_variable_wins_over_the_stored_key(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory_keyring.entries[ACCOUNT] = "an-old-stored-key"
    monkeypatch.setenv("MAILWIZ_PASSWORD", KEY)
    with serve_api("relay") as server:
        path = save_settings(relay_settings(server), tmp_path / "s.toml")
        code, out, err = send(path, capsys)
        assert code == 0, out + err
        assert auth_seen(server) == [f"Bearer {KEY}"]


def test_a_missing_key_file_is_not_ready_and_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_api("relay") as server:
        path = save_settings(relay_settings(server, "file"), tmp_path / "s.toml")
        code, _, err = send(path, capsys)
        assert server.received == []
    assert code == 3
    assert "no API key available" in err


def test_a_keyring_that_cannot_be_read_is_not_ready_and_says_how_to_do_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A key may be behind the lock: sending without it would hide the real problem.
    with serve_api("relay") as server, installed_keyring(LockedKeyring()):
        path = save_settings(relay_settings(server), tmp_path / "s.toml")
        code, _, err = send(path, capsys)
        assert server.received == []
    assert code == 3
    assert 'store = "none"' in err


@pytest.mark.parametrize("where", ["keyring", "file"])
def test_a_refused_key_is_exit_16_and_never_shown(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    with serve_api("relay") as server:
        settings = relay_settings(server, where)
        path = save_settings(settings, tmp_path / "s.toml")
        if where == "keyring":
            memory_keyring.entries[ACCOUNT] = WRONG
        else:
            (tmp_path / "s.toml.password").write_text(WRONG + "\n")
            (tmp_path / "s.toml.password").chmod(0o600)
        code, out, err = send(path, capsys, "--transcript")
        assert auth_seen(server) == [f"Bearer {WRONG}"]
        code_json, out_json, err_json = send(path, capsys, "--json", "--transcript")
    assert code == code_json == 16
    assert "The API key was refused" in err
    assert f"mailwiz --config {path} password" in err  # the fix names where the key is kept
    final = json.loads(out_json.strip().splitlines()[-1])
    # the relay repeated the key it got in its answer (no "Bearer" before it): masked
    assert final["exit"] == 16 and "invalid key: [redacted]" in final["reply"]
    for text in (out, err, out_json, err_json):
        assert WRONG not in text


async def test_the_wizards_test_send_sends_the_stored_key(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    from tests.ui_helpers import ScreenHost, finished, visible_text
    from tui.screens.test_send import TestSendScreen

    memory_keyring.entries[ACCOUNT] = WRONG
    with serve_api("relay") as server:
        screen = TestSendScreen(relay_settings(server), None, tmp_path / "settings.toml")
        async with ScreenHost(screen).run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")
            await finished(pilot)
            assert screen.state == "failed", visible_text(screen)
            shown = visible_text(screen)
            report = screen.report_text()
        assert auth_seen(server) == [f"Bearer {WRONG}"]
    assert "API key" in shown
    assert WRONG not in shown and WRONG not in report
    assert "invalid key" in report


async def test_the_save_screen_stores_a_typed_key_and_no_key_means_store_none(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    from tests.ui_helpers import ScreenHost, settle, visible_text
    from tui.screens.save import SaveScreen

    config = tmp_path / "mailwiz" / "settings.toml"
    with serve_api("relay") as server:
        settings = relay_settings(server)
    for key in (KEY, ""):
        screen = SaveScreen(settings, key, config, tested=True)
        async with ScreenHost(screen).run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            text = visible_text(screen)
            assert "Saved." in text and KEY not in text
        saved = load_settings(config).settings
        if key:
            assert memory_keyring.entries == {ACCOUNT: KEY}
            assert saved.password.store == "keyring"
            assert load_password(saved, config, env={}).password == KEY
        else:  # an emptied field: nothing is looked up any more
            assert saved.password.store == "none"
            assert load_password(saved, config, env={}).missing is False
    assert KEY not in config.read_text()


def test_password_delete_removes_the_key_and_stops_sending_it(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    memory_keyring.entries[ACCOUNT] = KEY
    with serve_api("open-relay") as server:
        path = save_settings(relay_settings(server), tmp_path / "s.toml")
        code, out, err = run(["password", "--delete", "--config", str(path)], capsys)
        assert code == 0, err
        assert "API key removed" in out
        assert memory_keyring.entries == {}
        assert load_settings(path).settings.password.store == "none"
        code, out, err = send(path, capsys)
        assert code == 0, out + err
        assert auth_seen(server) == [None]


@pytest.mark.parametrize("stored", [True, False])
def test_install_mta_copies_the_relay_key_like_an_api_key(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    stored: bool,
) -> None:
    # Root's keyring is rarely usable: a stored key goes to a 0600 file beside the system
    # settings; a relay without one is copied as it is, without a note about a missing key.
    from tui.commands.install_mta import copy_settings

    with serve_api("relay") as server:
        settings = relay_settings(server)
    source = save_settings(settings, tmp_path / "user" / "settings.toml")
    if stored:
        memory_keyring.entries[ACCOUNT] = KEY
    target = tmp_path / "root" / "etc" / "mailwiz" / "settings.toml"
    copy_settings(source, target)
    out = capsys.readouterr().out
    copied = load_settings(target).settings
    found = load_password(copied, target, env={})
    if stored:
        assert copied.password.store == "file" and found.password == KEY
        assert (target.with_name("settings.toml.password").stat().st_mode & 0o077) == 0
    else:
        assert copied.password.store == "keyring" and not found.missing
        assert "no password was found" not in out
    assert KEY not in target.read_text() + out


def test_password_delete_with_nothing_stored_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_api("open-relay") as server:
        path = save_settings(relay_settings(server, "none"), tmp_path / "s.toml")
    before = path.read_text()
    code, out, err = run(["password", "--delete", "--config", str(path)], capsys)
    assert code == 0, err
    assert "nothing to remove" in out
    assert path.read_text() == before
    code, _, err = run(["password", "--delete", "--store", "file", "--config", str(path)], capsys)
    assert code == 2 and "do not go together" in err


def test_the_transcript_says_a_key_was_sent_masked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key goes to the relay only when one was given for it, and the transcript says that
    one was sent, masked; without one it says none was."""
    with serve_api("relay") as server:
        path = save_settings(relay_settings(server), tmp_path / "s.toml")
        code, _, err = store_key(path, monkeypatch, capsys, "--store", "file")
        assert code == 0, err
        code, out, err = send(path, capsys, "--transcript")
        assert code == 0, out + err
        assert "API key sent in Authorization: ********" in out
        assert KEY not in out + err
    with serve_api("open-relay") as server:
        path = save_settings(relay_settings(server, "none"), tmp_path / "open.toml")
        code, out, err = send(path, capsys, "--transcript")
        assert code == 0, out + err
        assert "no API key sent" in out
        assert auth_seen(server) == [None]
