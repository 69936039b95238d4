"""Every command mailwiz suggests keeps the settings it was given (issue 21, item 7).

A settings file given with --config (or anywhere mailwiz would not look by itself) is named in
every suggested command, `mailwiz --config PATH login`; the settings mailwiz finds by itself
($MAILWIZ_CONFIG here) give the bare `mailwiz login`. Each family of suggestions is checked
through the real command or screen: the command line's hints, `show`, `status`, the
credential store, the diagnosis, the sign-in, `configure`, the queue and sendmail, and the
wizard's "What next". A last test scans every texts file and Python source for a suggestion
written by hand instead of by `tui.core.locations.command_for`.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import PASSWORD, SmtpServer
from tests.ui_helpers import ScreenHost, settle
from tui.cli import main
from tui.core.locations import command_for
from tui.core.settings import Settings, save_settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Where:
    """Settings at `path`, given with --config ("option") or found by mailwiz ("usual")."""

    path: Path
    given: bool

    @property
    def args(self) -> list[str]:
        return ["--config", str(self.path)] if self.given else []

    def command(self, *words: str) -> str:
        """The suggestion expected for these settings."""
        return " ".join(["mailwiz", *(["--config", str(self.path)] if self.given else []), *words])

    def check(self, text: str, *words: str) -> None:
        assert self.command(*words) in text, text
        if not self.given:
            assert "mailwiz --config" not in text, text


@pytest.fixture(params=["option", "usual"])
def where(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Where:
    path = tmp_path / "x.toml"
    monkeypatch.setenv("MAILWIZ_SPOOL", str(tmp_path / "spool"))
    if request.param == "usual":
        monkeypatch.setenv("MAILWIZ_CONFIG", str(path))
    return Where(path, request.param == "option")


def run(where: Where, capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str]:
    """The real command line (before the subcommand's own words), its stdout + stderr."""
    code = main([*where.args, *words])
    out, err = capsys.readouterr()
    return code, out + err


def person_sign_in(**oauth: str) -> Settings:
    settings = Settings(provider="microsoft365")
    settings.smtp.host, settings.smtp.port = "smtp.office365.com", 587
    settings.smtp.username = "me@contoso.com"
    settings.smtp.auth = "oauth2"
    settings.sender.address = "me@contoso.com"
    settings.oauth.provider = "microsoft"
    settings.oauth.client_id = "11111111-2222-3333-4444-555555555555"
    settings.password.store = "file"
    for key, value in oauth.items():
        setattr(settings.oauth, key, value)
    return settings


# ------------------------------------------------------------------ the one helper


def test_command_for_names_only_settings_mailwiz_would_not_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual, other = tmp_path / "usual.toml", tmp_path / "my settings.toml"
    monkeypatch.setenv("MAILWIZ_CONFIG", str(usual))
    assert command_for(usual, "test") == "mailwiz test"
    assert command_for(None, "login", "--browser") == "mailwiz login --browser"
    assert command_for(other, "test") == f"mailwiz --config '{other}' test"  # quoted
    # root's usual settings are not the user's: under sudo the path is always named
    assert (
        command_for(usual, "install-mta", sudo=True) == f"sudo mailwiz --config {usual} install-mta"
    )
    # the queue and sendmail look at the system mail's settings ($MAILWIZ_CONFIG first)
    assert command_for(usual, "queue", "--flush") == "mailwiz queue --flush"
    monkeypatch.delenv("MAILWIZ_CONFIG")
    assert command_for(usual, "queue").startswith("mailwiz --config ")


# ------------------------------------------------------------------ the command line


def test_show_and_password_point_at_the_sign_in_of_these_settings(
    where: Where, capsys: pytest.CaptureFixture[str]
) -> None:
    save_settings(person_sign_in(), where.path)
    _, said = run(where, capsys, "show")
    where.check(said, "login")
    code, said = run(where, capsys, "password", "--stdin")
    assert code == 2
    where.check(said, "login")


def test_status_notes_name_the_commands_for_these_settings(
    where: Where, capsys: pytest.CaptureFixture[str]
) -> None:
    save_settings(person_sign_in(), where.path)
    code, said = run(where, capsys, "status")
    assert code == 2  # CRITICAL: not signed in
    where.check(said, "login")


def test_a_missing_password_says_to_store_it_for_these_settings(
    where: Where, capsys: pytest.CaptureFixture[str], starttls_server: SmtpServer
) -> None:
    save_settings(starttls_server.settings(), where.path)  # keyring store, nothing in it
    code, said = run(where, capsys, "test")
    assert code == 3
    where.check(said, "password")


def test_the_diagnosis_of_a_refused_password_names_these_settings(
    where: Where,
    capsys: pytest.CaptureFixture[str],
    smtp_server: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server("starttls", auth_reply="535 5.7.8 Authentication credentials invalid")
    save_settings(server.settings(), where.path)
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    code, said = run(where, capsys, "test")
    assert code == 16
    where.check(said, "password")


def test_login_for_an_app_says_what_to_run_instead(
    where: Where, capsys: pytest.CaptureFixture[str]
) -> None:
    save_settings(person_sign_in(grant="app", tenant="contoso.onmicrosoft.com"), where.path)
    code, said = run(where, capsys, "login")
    assert code == 2
    where.check(said, "password")
    where.check(said, "test")


def test_configure_says_where_to_sign_in(where: Where, capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(
        where, capsys, "configure",
        "--set", "smtp.host=smtp.office365.com", "--set", "smtp.port=587",
        "--set", "smtp.security=starttls", "--set", "smtp.username=me@contoso.com",
        "--set", "smtp.auth=oauth2", "--set", "oauth.provider=microsoft",
        "--set", "oauth.client_id=11111111-2222-3333-4444-555555555555",
        "--set", "sender.address=me@contoso.com", "--store", "file",
    )  # fmt: skip
    assert code == 4, said
    where.check(said, "login")
    where.check(said, "test")


# ------------------------------------------------------------------ the system mail


def test_the_queue_admin_points_at_the_listing_for_these_settings(
    where: Where, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tui.core.mta import Spool

    Spool(tmp_path / "spool").ensure()
    code, said = run(where, capsys, "queue", "--delete", "no-such-id")
    assert code == 64, said
    where.check(said, "queue")


def test_sendmail_keeps_a_message_and_says_how_to_send_it_with_these_settings(
    where: Where, tmp_path: Path
) -> None:
    where.path.write_text("version = 1\nbogus = true\n")  # unusable: the message waits
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "sendmail", *where.args, "-t"],
        input=b"To: ops@example.com\nSubject: hi\n\nbody\n",
        capture_output=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    said = done.stdout.decode() + done.stderr.decode()
    assert "is kept" in said, said
    where.check(said, "queue", "--run")


# ------------------------------------------------------------------ the wizard


async def test_the_save_screens_what_next_keeps_the_settings_path(
    where: Where, memory_keyring: object
) -> None:
    from textual.widgets import Static

    from tui.screens.save import SaveScreen

    settings = Settings(provider="custom")
    settings.smtp.host, settings.smtp.port, settings.smtp.username = "mail.example.com", 587, "me"
    settings.sender.address = "me@example.com"
    screen = SaveScreen(settings, PASSWORD, where.path, tested=True)
    async with ScreenHost(screen).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = str(screen.query_one("#done", Static).visual)
    where.check(text.split("this server's own mail")[0], "test")
    assert where.command("show") in text
    # the system's own mail runs under sudo: there the path is always named
    assert f"sudo mailwiz --config {where.path} install-mta" in text


def test_the_guidance_pages_name_the_settings_being_edited(where: Where) -> None:
    from tui.core.diagnose import page

    where.check(page("google-oauth", "Google", where.path), "login")
    where.check(page("microsoft-entra", "Microsoft", where.path), "login", "--browser")


HOSTILE_PATH = Path("/srv/share/`&#39;;id;&#39;`/x`/settings.toml")


def _code_spans(markdown: str) -> list[str]:
    from markdown_it import MarkdownIt

    spans = []
    for block in MarkdownIt("gfm-like").disable("linkify").parse(markdown):
        spans += [t.content for t in block.children or [] if t.type == "code_inline"]
    return spans


def test_a_settings_path_that_looks_like_an_option_is_named_so_it_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    save_settings(Settings(protocol="smtp", provider="custom"), tmp_path / "--help")
    command = command_for(Path("--help"), "show")
    assert command == "mailwiz --config ./--help show"
    main(command.split()[1:])
    out, err = capsys.readouterr()
    assert "usage:" not in out + err  # not argparse's help or an "expected one argument"
    assert "these settings cannot be used" in err  # it read that file (an unfinished one)


def test_a_command_in_a_guidance_page_stays_one_code_span_whatever_the_path() -> None:
    """A backtick in the settings path cannot end the command's code span and turn the rest
    into Markdown (where &#39; would become a quote and undo the shell quoting)."""
    from tui.core.diagnose import page

    command = command_for(HOSTILE_PATH, "login")
    assert command.count("'") >= 2  # shlex quoted it
    assert command in _code_spans(page("google-oauth", "Google", HOSTILE_PATH))


def test_a_command_in_a_diagnosis_rendered_as_markdown_stays_one_code_span() -> None:
    from tui.core.diagnose.texts import Audience, render

    text = render(
        "Run `{run.login}` then test.",
        Audience.WIZARD,
        markdown=True,
        config_path=HOSTILE_PATH,
    )
    assert _code_spans(text) == [command_for(HOSTILE_PATH, "login")]


# ------------------------------------------------------------------ the guard

SUBCOMMANDS = (
    "test|send|password|login|show|status|queue|install-mta|configure|discover|sendmail|sandbox"
)
#: "mailwiz login" as a command (not /opt/mailwiz/bin/mailwiz, not mailwiz-practice).
SUGGESTION = re.compile(rf"(?<![/\w.-])mailwiz (?:{SUBCOMMANDS})\b")
#: Words that are not a command: the test message's subject.
NOT_COMMANDS = ("mailwiz test message", "'mailwiz test' root")


def _python_strings(source: str) -> Iterator[tuple[int, str]]:
    """The string constants a user can read: not docstrings, not argparse's help."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.keyword) and node.arg in ("help", "description", "epilog"):
            skip.update(id(inner) for inner in ast.walk(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def _toml_strings(value: object) -> Iterator[tuple[int, str]]:
    if isinstance(value, str):
        yield 0, value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _toml_strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _toml_strings(inner)


def hand_written_suggestions(folder: Path) -> list[str]:
    """Every "mailwiz <subcommand>" in a texts file, a page or a Python string under `folder`."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".py":
            strings = _python_strings(path.read_text(encoding="utf-8"))
        elif path.suffix == ".toml":
            strings = _toml_strings(tomllib.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".md":  # the guidance pages: {run.login} there
            strings = iter([(0, path.read_text(encoding="utf-8"))])
        else:
            continue
        for line, text in strings:
            for match in SUGGESTION.finditer(text):
                around = text[max(0, match.start() - 5) : match.end() + 12]
                if not any(words in around for words in NOT_COMMANDS):
                    found.append(f"{path}:{line}: {text[match.start() : match.end() + 20]!r}")
    return found


def test_no_suggestion_is_written_by_hand() -> None:
    """Each one goes through command_for ({login} in a texts file, filled by the code)."""
    assert hand_written_suggestions(ROOT / "tui") == []


def test_the_guard_finds_a_planted_suggestion(tmp_path: Path) -> None:
    (tmp_path / "texts.toml").write_text('[note]\nflush = "then run mailwiz queue --flush."\n')
    (tmp_path / "hint.py").write_text(
        'def hint(path):\n    """mailwiz login is named in a docstring: not shown."""\n'
        '    return f"run `mailwiz login` for {path}"\n'
    )
    found = hand_written_suggestions(tmp_path)
    assert len(found) == 2
    assert any("texts.toml" in one and "mailwiz queue" in one for one in found)
    assert any("hint.py:3" in one and "mailwiz login" in one for one in found)
