"""`mailwiz configure` (issue 26): the settings from --set, --file and the environment, the secret
only from stdin, a variable or a file; idempotent, --check, --diff, --test-to against a real
aiosmtpd server with AUTH, --json; never a secret in any output."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.memory_keyring import LockedKeyring, installed_keyring
from tests.paths import PACKAGE, REPO
from tests.servers import PASSWORD, SENDER, USERNAME, SmtpServer
from tui.cli import main
from tui.core.credentials.store import load_password, password_file_path
from tui.core.exits import Exit
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import load_settings, to_toml

WRONG = "wr0ng-Passw0rd-xyz"


def settings_for(server: SmtpServer) -> list[str]:
    return [
        "--set", "smtp.host=127.0.0.1",
        "--set", f"smtp.port={server.port}",
        "--set", "smtp.security=starttls",
        "--set", f"smtp.username={USERNAME}",
        "--set", f"smtp.ca_file={server.ca_file}",
        "--set", f"sender.address={SENDER}",
    ]  # fmt: skip


def configure(
    path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
    password: str | None = None,
) -> tuple[int, str, str]:
    if password is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        extra = (*extra, "--password-stdin")
    code = main(["configure", "--config", str(path), *extra])
    out, err = capsys.readouterr()
    for secret in (PASSWORD, WRONG):  # never a secret, in any output
        assert secret not in out and secret not in err
    return code, out, err


def as_json(out: str) -> dict[str, object]:
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    record: dict[str, object] = json.loads(lines[0])
    return record


def test_a_second_identical_run_changes_nothing_and_says_so(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    args = [*settings_for(starttls_server), "--store", "file", "--json"]
    code, out, _ = configure(path, capsys, monkeypatch, *args, password=PASSWORD)
    first = as_json(out)
    assert code == Exit.OK and first["changed"] is True
    assert {"key": "smtp.port", "old": None, "new": starttls_server.port} in first["changes"]
    assert {"key": "password", "old": None, "new": "********"} in first["changes"]
    assert first["secret"]["store"] == "file" and first["secret"]["changed"] is True
    assert first["test"]["result"] == "skipped"
    settings = load_settings(path).settings
    assert settings.smtp.port == starttls_server.port and settings.password.store == "file"
    assert load_password(settings, path, env={}).password == PASSWORD
    assert os.stat(password_file_path(path)).st_mode & 0o777 == 0o600
    written = path.stat().st_mtime_ns

    code, out, _ = configure(path, capsys, monkeypatch, *args, password=PASSWORD)
    second = as_json(out)
    assert code == Exit.OK and second["changed"] is False and second["changes"] == []
    assert path.stat().st_mtime_ns == written  # not even rewritten

    code, out, _ = configure(path, capsys, monkeypatch, *settings_for(starttls_server))
    assert code == Exit.OK and "No change" in out


def test_check_changes_nothing_and_diff_masks_the_secret(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    args = [*settings_for(starttls_server), "--store", "file"]
    code, out, _ = configure(
        path, capsys, monkeypatch, *args, "--check", "--diff", password=PASSWORD
    )
    assert code == Exit.OK and "Check mode" in out and "+port = " in out
    assert "password (or key) changed" in out
    assert not path.exists() and not password_file_path(path).exists()

    configure(path, capsys, monkeypatch, *args, password=PASSWORD)
    before = path.read_bytes()
    code, out, _ = configure(
        path, capsys, monkeypatch, *args, "--set", "smtp.port=2525", "--check", "--json",
        "--diff", password=WRONG,
    )  # fmt: skip
    record = as_json(out)
    assert code == Exit.OK and record["changed"] is True
    assert {c["key"] for c in record["changes"]} == {"smtp.port", "password"}
    assert "port = 2525" in record["diff"]["after"]
    assert path.read_bytes() == before
    assert load_password(load_settings(path).settings, path, env={}).password == PASSWORD


def test_a_test_send_proves_it_and_a_failing_one_keeps_the_old_settings(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    args = [*settings_for(starttls_server), "--store", "file", "--test-to", "ops@example.net"]
    code, out, _ = configure(path, capsys, monkeypatch, *args, "--json", password=PASSWORD)
    record = as_json(out)
    assert code == Exit.OK and record["test"] == {"result": "sent", "exit": 0, "diagnosis": ""}
    assert len(starttls_server.received) == 1
    before = path.read_bytes()

    code, out, err = configure(path, capsys, monkeypatch, *args, password=WRONG)
    assert code == Exit.AUTH
    assert "Test send failed" in err and "password" in err.lower()
    assert "nothing was written" in err
    assert path.read_bytes() == before  # the old settings and password are in place
    assert load_password(load_settings(path).settings, path, env={}).password == PASSWORD

    code, out, _ = configure(
        path, capsys, monkeypatch, *args, "--json", "--keep-on-failure", password=WRONG
    )
    record = as_json(out)
    assert code == Exit.AUTH and record["changed"] is True
    assert record["test"]["result"] == "failed" and record["test"]["exit"] == Exit.AUTH
    assert record["test"]["diagnosis"]
    assert load_password(load_settings(path).settings, path, env={}).password == WRONG


def test_containers_configure_from_the_environment_and_a_secret_file(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    secret = tmp_path / "run-secrets-mail"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("MAILWIZ_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MAILWIZ_SMTP_PORT", str(starttls_server.port))
    monkeypatch.setenv("MAILWIZ_SMTP_USERNAME", USERNAME)
    monkeypatch.setenv("MAILWIZ_SMTP_VERIFY_CERTIFICATE", "true")
    ca = tmp_path / "ca-path"
    ca.write_text(str(starttls_server.ca_file))
    monkeypatch.setenv("MAILWIZ_SMTP_CA_FILE_FILE", str(ca))  # any key's value from a file
    monkeypatch.setenv("MAILWIZ_SENDER_ADDRESS", SENDER)
    monkeypatch.setenv("MAILWIZ_PASSWORD_STORE", "file")
    monkeypatch.setenv("MAILWIZ_PASSWORD_FILE", str(secret))
    path = tmp_path / "settings.toml"
    monkeypatch.setenv("MAILWIZ_TEST_TO", "ops@example.net")
    code, out, _ = configure(path, capsys, monkeypatch, "--json")
    assert code == Exit.OK and as_json(out)["test"]["result"] == "sent"
    settings = load_settings(path).settings
    assert settings.smtp.ca_file == str(starttls_server.ca_file)
    assert load_password(settings, path, env={}).password == PASSWORD

    monkeypatch.delenv("MAILWIZ_TEST_TO")
    monkeypatch.setenv("MAILWIZ_SMTP_HOTS", "typo.example.com")
    code, _, err = configure(path, capsys, monkeypatch)
    assert code == Exit.USAGE and "MAILWIZ_SMTP_HOTS" in err


def test_a_settings_file_and_set_combine_and_set_wins(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    given = tmp_path / "given.toml"
    given.write_text(
        'version = 1\n[smtp]\nhost = "127.0.0.1"\nport = 25\nusername = "u@example.com"\n'
        f'ca_file = "{starttls_server.ca_file}"\n[sender]\naddress = "{SENDER}"\n'
    )
    path = tmp_path / "settings.toml"
    code, _, _ = configure(
        path, capsys, monkeypatch, "--file", str(given), "--set", "smtp.port=587",
        "--store", "none",
    )  # fmt: skip
    settings = load_settings(path).settings
    assert (
        code == Exit.OK and settings.smtp.port == 587 and settings.smtp.username == "u@example.com"
    )

    given.write_text('version = 1\n[smtp]\nport = "x"\n')
    code, _, err = configure(path, capsys, monkeypatch, "--file", str(given))
    assert code == Exit.USAGE and "line 3" in err and "smtp.port" in err


@pytest.mark.parametrize(
    ("arg", "words"),
    [
        ("smtp.hots=x", "smtp.hots"),
        ("smtp.port=abc", "whole number"),
        ("smtp.security=ssl", "must be one of"),
        ("smtp.verify_certificate=maybe", "true or false"),
        ("smtp.host", "KEY=VALUE"),
        ("smtp.security=none", "smtp.username"),  # credentials never travel in clear
        ("oauth.client_secret=GOCSPX-x", "MAILWIZ_OAUTH_CLIENT_SECRET"),  # never in argv
    ],
)
def test_bad_input_is_exit_2_naming_the_key_and_nothing_is_written(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch, arg: str, words: str
) -> None:
    path = tmp_path / "settings.toml"
    args = [*settings_for(starttls_server), "--store", "none", "--set", arg, "--json"]
    code, out, err = configure(path, capsys, monkeypatch, *args)
    assert code == Exit.USAGE and words in err and words in as_json(out)["error"]
    assert not path.exists()


def test_no_secret_on_the_command_line_and_one_source_only(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["configure", "--password", PASSWORD])
    assert exited.value.code == Exit.USAGE
    capsys.readouterr()
    monkeypatch.setenv("MY_SECRET", PASSWORD)
    code, _, err = configure(tmp_path / "s.toml", capsys, monkeypatch, "--password-env", "NOPE")
    assert code == Exit.USAGE and "NOPE" in err


def test_a_persons_oauth_sign_in_is_written_and_exits_4_saying_to_log_in(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    code, _, err = configure(
        path, capsys, monkeypatch, "--set", "smtp.host=smtp.office365.com",
        "--set", "smtp.auth=oauth2", "--set", "oauth.client_id=abc-123",
        "--set", "sender.address=me@example.com", "--store", "file",
        "--test-to", "ops@example.net",
    )  # fmt: skip
    assert code == Exit.LOGIN_NEEDED == 4
    assert f"mailwiz --config {path} login" in err and f"`mailwiz --config {path} test`" in err
    assert load_settings(path).settings.smtp.auth == "oauth2"


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="running as another user needs root and setpriv (util-linux)",
)
def test_the_system_settings_are_roots_only(tmp_path: Path) -> None:
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    done = subprocess.run(
        [*as_nobody, sys.executable, "-m", "tui", "configure", "--system", "--json",
         "--set", "smtp.host=smtp.example.com"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == Exit.USAGE, done.stderr
    assert "only root" in done.stderr and "sudo" in done.stderr


def test_system_settings_keep_the_password_in_a_file_by_default(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "etc" / "mailwiz" / "settings.toml"
    given = tmp_path / "empty.toml"
    given.write_text("version = 1\n")
    args = [*settings_for(starttls_server), "--system", "--from", str(given)]
    code, _, _ = configure(path, capsys, monkeypatch, *args, password=PASSWORD)
    assert code == Exit.OK
    settings = load_settings(path).settings
    assert settings.password.store == "file"  # root's keyring is rarely usable
    assert load_password(settings, path, env={}).password == PASSWORD
    assert path.parent.stat().st_mode & 0o777 == 0o755  # others see it, and use the drop folder
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_app_sign_in_configures_unattended_and_is_proven(
    tmp_path: Path, oauth_practice: OAuthPractice, capsys, monkeypatch
) -> None:
    """grant = "app": the client secret goes in like a password, and the test send signs in
    with it (before it is stored) against the practice authorization and SMTP servers."""
    wanted = oauth_practice.authorization.settings_for_app(
        oauth_practice.settings(), "client_secret", tmp_path
    )
    given = tmp_path / "given.toml"
    given.write_text(to_toml(wanted))
    client_secret = oauth_practice.authorization.app.client_secret
    path = tmp_path / "settings.toml"
    monkeypatch.setattr(sys, "stdin", io.StringIO(client_secret + "\n"))
    args = ["--from", str(given), "--store", "file", "--test-to", "ops@example.net", "--json"]
    code = main(["configure", "--config", str(path), "--password-stdin", *args])
    out, err = capsys.readouterr()
    assert code == Exit.OK, err
    record = as_json(out)
    assert record["test"]["result"] == "sent" and record["secret"]["changed"] is True
    assert client_secret not in out + err
    assert oauth_practice.smtp.signed_in == [oauth_practice.authorization.account]
    settings = load_settings(path).settings
    assert settings.oauth.grant == "app"
    assert load_password(settings, path, env={}).password == client_secret


def test_aliases_and_masked_secrets_in_the_settings(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    args = [*settings_for(starttls_server), "--store", "none", "--json"]
    aliases = ['local.aliases={ "www-data" = "web@example.com" }', "local.aliases.backup=b@x.org"]
    code, out, _ = configure(
        path, capsys, monkeypatch, *args, "--set", aliases[0], "--set", aliases[1]
    )
    assert code == Exit.OK, out
    local = load_settings(path).settings.local
    assert local.aliases == {"www-data": "web@example.com", "backup": "b@x.org"}

    monkeypatch.setenv("MAILWIZ_OAUTH_CLIENT_SECRET", "GOCSPX-very-secret")
    code, out, err = configure(
        path, capsys, monkeypatch, "--set", "smtp.auth=oauth2", "--set", "oauth.client_id=id-1",
        "--diff", "--check",
    )  # fmt: skip
    assert code == Exit.OK and "GOCSPX-very-secret" not in out + err
    assert "client_secret" in out and "********" in out


def test_system_settings_and_the_install_in_one_command(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    root = tmp_path / "root"
    path = root / "etc" / "mailwiz" / "settings.toml"
    args = [*settings_for(starttls_server), "--system", "--install-mta", "--root", str(root)]
    code, out, err = configure(path, capsys, monkeypatch, *args, "--check", "--json")
    assert code == Exit.OK, err
    assert as_json(out)["install"] == {"result": "skipped", "exit": 0}
    assert not path.exists()
    code, out, err = configure(path, capsys, monkeypatch, *args, "--json", password=PASSWORD)
    record = as_json(out)
    assert code == Exit.OK and record["install"] == {"result": "done", "exit": 0}, err
    assert (root / "usr/sbin/sendmail").is_symlink()
    code, out, err = configure(path, capsys, monkeypatch, *args, "--check", "--json")
    assert as_json(out)["install"] == {"result": "planned", "exit": 0}, err
    assert "would" in err  # the plan, on standard error
    code, _, err = configure(path, capsys, monkeypatch, "--install-mta")
    assert code == Exit.USAGE and "--system" in err


def test_every_configure_text_is_used_and_every_used_one_exists() -> None:
    import re
    import tomllib

    root = PACKAGE
    texts = tomllib.loads((root / "core/configure/texts.toml").read_text())
    code = "".join(
        p.read_text()
        for p in [*(root / "core/configure").glob("*.py"), root / "commands/configure.py"]
    )
    used = set(re.findall(r'say\(\s*"(\w+)"', code))
    assert used <= set(texts), used - set(texts)
    assert set(texts) <= used, set(texts) - used


def test_a_new_store_takes_the_password_along_and_the_old_copy_goes(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    args = settings_for(starttls_server)
    configure(path, capsys, monkeypatch, *args, "--store", "file", password=PASSWORD)
    code, out, _ = configure(path, capsys, monkeypatch, *args, "--store", "keyring", "--json")
    record = as_json(out)
    assert code == Exit.OK and record["secret"]["changed"] is True
    settings = load_settings(path).settings
    assert settings.password.store == "keyring"
    assert load_password(settings, path, env={}).password == PASSWORD  # the memory keyring
    assert not password_file_path(path).exists()


def test_a_keyring_that_cannot_keep_it_changes_nothing_and_says_use_a_file(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    with installed_keyring(LockedKeyring()):
        code, out, err = configure(
            path, capsys, monkeypatch, *settings_for(starttls_server), "--store", "keyring",
            "--json", password=PASSWORD,
        )  # fmt: skip
    assert code == Exit.NOT_READY and "--store file" in err
    assert as_json(out)["changed"] is False
    assert not path.exists()


def test_the_test_send_takes_mailwiz_password_when_nothing_is_stored(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    path = tmp_path / "settings.toml"
    args = [*settings_for(starttls_server), "--store", "none", "--test-to", "ops@example.net"]
    code, out, err = configure(path, capsys, monkeypatch, *args)
    assert code == Exit.OK, err
    assert "sent" in out and len(starttls_server.received) == 1


def test_a_password_for_settings_that_take_none_is_refused(
    tmp_path: Path, plain_server: SmtpServer, capsys, monkeypatch
) -> None:
    path = tmp_path / "settings.toml"
    args = ["--set", "smtp.host=127.0.0.1", "--set", f"smtp.port={plain_server.port}",
            "--set", "smtp.security=none", "--set", f"sender.address={SENDER}"]  # fmt: skip
    code, _, err = configure(path, capsys, monkeypatch, *args, password=PASSWORD)
    assert code == Exit.USAGE and "take no password" in err and not path.exists()
    code, out, err = configure(path, capsys, monkeypatch, *args, "--test-to", "ops@example.net")
    assert code == Exit.OK and "sent" in out, err


def test_an_app_key_that_cannot_be_used_fails_the_test_and_writes_nothing(
    tmp_path: Path, oauth_practice: OAuthPractice, capsys, monkeypatch
) -> None:
    wanted = oauth_practice.authorization.settings_for_app(
        oauth_practice.settings(), "certificate", tmp_path
    )
    os.chmod(wanted.oauth.certificate, 0o644)  # a private key others may read
    given = tmp_path / "given.toml"
    given.write_text(to_toml(wanted))
    path = tmp_path / "settings.toml"
    args = ["--from", str(given), "--store", "file", "--test-to", "ops@example.net", "--json"]
    code, out, _ = configure(path, capsys, monkeypatch, *args)
    record = as_json(out)
    assert code == Exit.NOT_READY and record["test"]["result"] == "failed"
    assert "chmod 600" in record["test"]["diagnosis"] and not path.exists()


def test_a_bad_test_address_is_refused_even_in_check_mode(
    tmp_path: Path, starttls_server: SmtpServer, capsys, monkeypatch
) -> None:
    args = [*settings_for(starttls_server), "--check", "--test-to", "not an address"]
    code, _, err = configure(tmp_path / "s.toml", capsys, monkeypatch, *args)
    assert code == Exit.USAGE and "--test-to" in err
