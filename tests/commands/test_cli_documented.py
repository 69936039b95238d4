"""The command line as the README documents it: --config in either place (sendmail too),
suggestions that keep it, --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.mta_helpers import Mta, local_settings
from tests.paths import REPO
from tests.servers import SmtpServer
from tui.cli import main
from tui.core.settings import Settings, save_settings


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"mailwiz {version('mailwiz')}\n"


@pytest.mark.parametrize("place", ["before", "after", "equals"])
def test_sendmail_takes_config_before_and_after(
    place: str, tmp_path: Path, plain_server: SmtpServer
) -> None:
    """$MAILWIZ_CONFIG points nowhere: only --config can make the message go out."""
    mta = Mta(tmp_path, local_settings(plain_server.settings()))
    mta.env["MAILWIZ_CONFIG"] = str(tmp_path / "absent.toml")
    config = str(mta.config)
    words = {
        "before": ["--config", config, "sendmail", "-i", "root"],
        "after": ["sendmail", "-i", "--config", config, "root"],
        "equals": ["sendmail", f"--config={config}", "-i", "root"],
    }[place]
    done = subprocess.run(
        [sys.executable, "-m", "tui", *words],
        input=b"Subject: s\n\nbody\n",
        env=mta.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    mta.settled()
    assert done.returncode == 0, done.stderr.decode()
    assert len(plain_server.received) == 1
    assert mta.spool.ids() == []


@pytest.mark.parametrize("before", [True, False])
def test_a_suggested_command_keeps_the_config_it_was_given(
    before: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "my settings.toml"
    words = ["test", "--to", "a@example.com"]
    argv = ["--config", str(missing), *words] if before else [*words, "--config", str(missing)]
    assert main(argv) == 3
    assert f"Run mailwiz --config '{missing}' to set up email." in capsys.readouterr().err

    settings = Settings(provider="custom")
    settings.smtp.host, settings.smtp.username = "smtp.example.com", "me@example.com"
    settings.sender.address = "me@example.com"
    settings.password.store = "file"
    config = save_settings(settings, tmp_path / "other.toml")
    assert main(["--config", str(config), *words]) == 3
    assert f"Run `mailwiz --config {config} password` to store it" in capsys.readouterr().err


def test_send_to_a_word_without_an_at_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(provider="custom")
    settings.smtp.host, settings.smtp.username = "smtp.example.com", "me@example.com"
    settings.sender.address = "me@example.com"
    config = save_settings(settings, tmp_path / "settings.toml")
    assert main(["send", "--config", str(config), "--to", "not-an-address"]) == 2
    err = capsys.readouterr().err
    assert "it has no @" in err and "needs a dot" not in err


def test_discover_help_gives_the_order_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.core.discover.model import LAYERS

    with pytest.raises(SystemExit):
        main(["discover", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    words = {
        "catalogue": "provider list",
        "mx": "MX records",
        "srv": "SRV records",
        "autoconfig": "autoconfig file",
        "probe": "probe",
    }
    places = [text.index(words[layer]) for layer in LAYERS]
    assert places == sorted(places)


def test_a_practice_report_is_not_deleted_without_a_word(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tui.app
    from tui.core.report import write_report

    def run(app: tui.app.MailwizApp) -> int:  # the user wrote a report with `w`, then quit
        write_report("report", app.config_path.parent)
        return 0

    monkeypatch.setattr(tui.app, "_run", run)
    assert tui.app.run_wizard(Path("unused.toml"), practice=True) == 0
    err = capsys.readouterr().err
    assert "practice folder was deleted" in err and "mailwiz-report-" in err


def test_the_readme_screenshots_keep_their_spaces_when_rendered() -> None:
    """rsvg-convert dropped the space where the style changes ("Press Enterto continue")
    unless the SVG preserves spaces; the sign-in, an HTTP API and the practice run are shown."""
    folder = REPO / "screenshots"
    names = {path.name for path in folder.glob("*.svg")}
    assert {"11-practice.svg", "12-http-api.svg", "13-microsoft-sign-in.svg"} <= names
    readme = (folder.parent / "README.md").read_text(encoding="utf-8")
    for name in names:
        svg = (folder / name).read_text(encoding="utf-8")
        assert svg.startswith('<svg xml:space="preserve" '), name
        assert f"screenshots/{name}" in readme


def test_the_sign_in_hint_keeps_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(provider="microsoft365")
    settings.smtp.host, settings.smtp.port = "smtp.office365.com", 587
    settings.smtp.username = settings.sender.address = "me@example.com"
    settings.smtp.auth = "oauth2"
    settings.oauth.provider, settings.oauth.client_id = "microsoft", "client-id"
    settings.password.store = "file"
    config = save_settings(settings, tmp_path / "ms.toml")
    main(["test", "--config", str(config), "--to", "a@example.com"])
    assert f"`mailwiz --config {config} login`" in capsys.readouterr().err
