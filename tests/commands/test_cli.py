"""The command line's first part: show, password, argument errors, exit codes."""

from __future__ import annotations

import base64
import io
import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.memory_keyring import MemoryKeyring
from tests.servers import PASSWORD, RECIPIENT, SENDER, USERNAME, SmtpServer, SocketServer
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
    assert f"mailwiz --config {path} password --store file --stdin" in err
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


# ------------------------------------------------------------------- test and send


def saved(server: SmtpServer, tmp_path: Path, **overrides: object) -> Path:
    return save_settings(server.settings(**overrides), tmp_path / "settings.toml")


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def assert_no_secret(text: str) -> None:
    assert PASSWORD not in text
    for blob in (PASSWORD, f"\0{USERNAME}\0{PASSWORD}"):
        assert base64.b64encode(blob.encode()).decode() not in text


def test_live_test_with_json_lines(
    starttls_server: SmtpServer,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = saved(starttls_server, tmp_path, host="localhost")  # a name, so it is resolved
    memory_keyring.entries[("mailwiz", f"{USERNAME}@localhost")] = PASSWORD
    code, out, err = run(["test", "--json", "--config", str(path)], capsys)
    assert code == 0, err
    *stages, final = json_lines(out)
    # "engine" first when this process has not loaded the engine yet (a wait, shown)
    assert [s["stage"] for s in stages if s["stage"] != "engine"] == [
        "resolve", "connect", "greeting", "ehlo", "starttls", "ehlo",
        "auth", "mail", "rcpt", "data", "quit",
    ]  # fmt: skip
    assert all(s["ok"] is True and isinstance(s["ms"], float) for s in stages)
    assert final["result"] == "ok" and final["exit"] == 0
    (received,) = starttls_server.received
    assert received.rcpt_tos == [SENDER]  # --to defaults to the sender address
    assert "test" in received.message["Subject"].lower()
    assert_no_secret(out + err + received.data.decode(errors="replace"))


def test_wrong_password_exits_16_with_cause_and_fix(
    smtp_server: Callable[..., SmtpServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server("starttls", auth_reply="535 5.7.8 Authentication credentials invalid")
    path = saved(server, tmp_path)
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    code, out, err = run(["test", "--json", "--config", str(path)], capsys)
    assert code == 16
    final = json_lines(out)[-1]
    assert final["result"] == "failed" and final["stage"] == "auth" and final["exit"] == 16
    assert "535" in str(final["reply"])
    assert final["cause"] and final["fix"]
    assert server.received == []
    assert_no_secret(out + err)


def test_readable_output_ticks_on_stdout_diagnosis_on_stderr(
    refused_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    settings.smtp.host = "127.0.0.1"
    settings.smtp.port = refused_port
    settings.smtp.security = "none"
    settings.sender.address = SENDER
    path = save_settings(settings, tmp_path / "settings.toml")
    code, out, err = run(["test", "--config", str(path)], capsys)
    assert code == 11
    assert "connect" in out
    assert "Not sent:" in err and "What to do:" in err
    assert "Not sent:" not in out


def test_blackhole_ends_at_the_deadline_with_exit_12(
    blackhole: SocketServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save_settings(blackhole.settings(timeout=1), tmp_path / "settings.toml")
    code, out, _ = run(["test", "--json", "--config", str(path)], capsys)
    assert code == 12
    assert json_lines(out)[-1]["exit"] == 12


def test_no_password_available_exits_3(
    starttls_server: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(starttls_server, tmp_path)
    code, out, err = run(["test", "--json", "--config", str(path)], capsys)
    assert code == 3
    assert json_lines(out)[-1]["exit"] == 3
    assert f"mailwiz --config {path} password" in err
    assert starttls_server.received == []


def test_invalid_settings_are_refused_before_sending(
    starttls_server: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(starttls_server, tmp_path, address="not an address")
    code, _, err = run(["test", "--config", str(path)], capsys)
    assert code == 2
    assert "sender.address" in err


def test_send_a_document_with_attachment_and_archive_copy(
    tls_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = saved(tls_server, tmp_path, copy_to="archive@example.com")
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% a tiny document\n%%EOF\n")
    body = tmp_path / "body.txt"
    body.write_text("Please find the invoice attached.\nRegards\n")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    argv = ["send", "--config", str(path), "--to", RECIPIENT, "--subject", "Invoice 42 für Sie"]
    code, out, err = run([*argv, "--body-file", str(body), "--attach", str(invoice)], capsys)
    assert code == 0, err
    assert "Sent:" in out
    (received,) = tls_server.received
    assert sorted(received.rcpt_tos) == sorted([RECIPIENT, "archive@example.com"])
    message = received.message
    assert message["Subject"] == "Invoice 42 für Sie"
    assert "archive@example.com" not in received.data.decode(errors="replace")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content() == invoice.read_bytes()
    assert "invoice attached" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("extra", "hint"),
    [
        (["--attach", "/nonexistent/invoice.pdf"], "--attach"),
        (["--subject", "Hi\nBcc: victim@example.com"], "--subject"),
        (["--body-file", "/nonexistent/body.txt"], "--body-file"),
    ],
)
def test_send_input_errors_exit_2_before_connecting(
    starttls_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    hint: str,
) -> None:
    path = saved(starttls_server, tmp_path)
    code, _, err = run(["send", "--config", str(path), "--to", RECIPIENT, *extra], capsys)
    assert code == 2
    assert hint in err
    assert "Traceback" not in err


def test_send_to_a_bad_recipient_address_exits_2(
    starttls_server: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(starttls_server, tmp_path)
    code, _, err = run(["send", "--config", str(path), "--to", "a@b.com, c@d.com"], capsys)
    assert code == 2
    assert "one email address" in err


# -------------------------------------------------------------------------- discover


def test_discover_a_catalogue_domain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["discover", "someone@GoogleMail.com"], capsys)
    assert code == 0
    assert "Proposed: smtp.gmail.com, port 465" in out


def test_discover_json_ends_with_the_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["discover", "me@yahoo.co.uk", "--json"], capsys)
    assert code == 0
    final = json_lines(out)[-1]
    assert final["event"] == "finished"
    assert final["suggestion"]["host"] == "smtp.mail.yahoo.com"  # type: ignore[index]


def test_discover_refuses_what_is_not_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["discover", "not-an-address"], capsys)
    assert code == 2
    assert "not an email address" in err
