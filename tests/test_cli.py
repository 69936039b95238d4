"""The command line's first part: show, password, argument errors, exit codes."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.memory_keyring import MemoryKeyring
from tui.cli import main
from tui.core.settings import Settings, load_settings, save_settings

SECRET = "correct horse battery staple"


def gmail_file(tmp_path: Path) -> Path:
    settings = Settings(provider="gmail")
    settings.smtp.host = "smtp.gmail.com"
    settings.smtp.port = 465
    settings.smtp.security = "tls"
    settings.smtp.username = "me@gmail.com"
    return save_settings(settings, tmp_path / "settings.toml")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_show_masks_the_password_and_says_where_it_is(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    path = gmail_file(tmp_path)
    memory_keyring.entries[("mailwiz", "me@gmail.com@smtp.gmail.com")] = SECRET
    code, out, err = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert SECRET not in out + err
    assert "smtp.gmail.com" in out
    assert "******** (stored)" in out
    assert "entry mailwiz / me@gmail.com@smtp.gmail.com" in out


def test_show_says_when_no_password_is_available(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    path = gmail_file(tmp_path)
    code, out, _ = run(["--config", str(path), "show"], capsys)
    assert code == 0
    assert "NOT AVAILABLE" in out


def test_show_reports_a_file_others_can_read(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    path = gmail_file(tmp_path)
    path.chmod(0o644)
    code, _, err = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert f"chmod 600 {path}" in err


def test_missing_settings_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["show", "--config", str(tmp_path / "none.toml")], capsys)
    assert code == 3
    assert "no settings yet" in err


def test_invalid_settings_exit_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('version = 1\n[smtp]\nhots = "x"\n')
    code, _, err = run(["show", "--config", str(path)], capsys)
    assert code == 2
    assert "line 3" in err and "smtp.hots" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["send"],
        ["frobnicate"],
        ["test", "--bogus"],
        ["send", "--to", "a@b.c", "--body", "x", "--body-file", "f"],
    ],
)
def test_argument_errors_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("mailwiz")


def test_password_from_stdin_goes_to_the_keyring(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = gmail_file(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    code, out, err = run(["password", "--stdin", "--config", str(path)], capsys)
    assert code == 0, err
    assert memory_keyring.entries[("mailwiz", "me@gmail.com@smtp.gmail.com")] == SECRET
    assert SECRET not in out + err
    assert "system keyring" in out


def test_password_into_a_private_file_when_asked(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = gmail_file(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET))
    code, _, err = run(["password", "--stdin", "--store", "file", "--config", str(path)], capsys)
    assert code == 0, err
    password_file = tmp_path / "settings.toml.password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert SECRET in password_file.read_text()
    assert load_settings(path).settings.password.store == "file"
    assert SECRET not in path.read_text()
    assert memory_keyring.entries == {}


def test_password_without_a_terminal_asks_for_stdin(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = gmail_file(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(["password", "--config", str(path)], capsys)
    assert code == 2
    assert "--stdin" in err


def test_password_when_no_keyring_works_explains_and_offers_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        path = gmail_file(tmp_path)
        monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
        code, out, err = run(["password", "--stdin", "--config", str(path)], capsys)
    finally:
        keyring.set_keyring(previous)
    assert code == 3
    assert "mailwiz password --store file --stdin" in err
    assert SECRET not in out + err


def run_fresh_python(code: str, tmp_path: Path) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MAILWIZ_PASSWORD": "x"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout


def test_show_and_test_do_not_import_textual(tmp_path: Path) -> None:
    path = gmail_file(tmp_path)
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        f"main(['show', '--config', {str(path)!r}])\n"
        f"main(['test', '--config', {str(tmp_path / 'missing.toml')!r}])\n"
        "print('TEXTUAL-LOADED' if 'textual' in sys.modules else 'TEXTUAL-ABSENT')\n"
    )
    assert "TEXTUAL-ABSENT" in run_fresh_python(code, tmp_path)


def test_python_dash_m_tui_is_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "show", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert "no settings yet" in result.stderr
