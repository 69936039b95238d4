"""What `mailwiz test` prints (stage list, --transcript, --json, the diagnosis) against
hostile servers: one echoing the password and its AUTH PLAIN blob inside a 1,000-character
reply, one putting escape sequences in its banner and replies. These fail when the
engine's redaction or escaping is switched off."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.servers import PASSWORD, USERNAME, Script, ScriptedServerFactory, SmtpServerFactory
from tui.cli import main
from tui.core.redact import MIN_PIECE
from tui.core.settings import save_settings


def pieces(secret: str) -> list[str]:
    found = []
    for form in (secret, base64.b64encode(secret.encode()).decode()):
        found += [form[i : i + MIN_PIECE] for i in range(len(form) - MIN_PIECE + 1)]
    return found


@pytest.mark.parametrize("mode", [["--transcript"], ["--json"], []])
def test_an_echoing_server_never_gets_the_password_printed(
    smtp_server: SmtpServerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: list[str],
) -> None:
    blob = base64.b64encode(f"\0{USERNAME}\0{PASSWORD}".encode()).decode()
    server = smtp_server("tls", auth_reply=f"535 5.7.8 {'y' * 950} got {blob} i.e. {PASSWORD}")
    path = save_settings(server.settings(), tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)

    code = main(["test", "--config", str(path), *mode])
    out, err = capsys.readouterr()

    assert code == 16
    assert "[redacted]" in out + err
    for piece in pieces(PASSWORD):
        assert piece not in out + err, piece
    assert blob not in out + err


@pytest.mark.parametrize("mode", [["--transcript"], ["--json"], []])
def test_escape_sequences_from_the_server_are_not_printed_raw(
    scripted_server: ScriptedServerFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mode: list[str],
) -> None:
    evil = "\x1b]0;retitled\x07\x1b[2J"
    server = scripted_server(
        Script(greeting=f"220 mx{evil} ESMTP", replies={"RCPT": f"550 5.1.1 no{evil} such user"})
    )
    path = save_settings(server.settings(), tmp_path / "settings.toml")

    code = main(["test", "--config", str(path), *mode])
    out, err = capsys.readouterr()

    assert code == 18
    assert "\x1b" not in out + err and "\x07" not in out + err
