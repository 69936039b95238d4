"""The command line checks files and addresses the way a server admin needs (issue 11):
internal domains accepted, `show` lists every problem and exits 2, nothing from the file is
printed raw, warnings on every test and send, --config and --help everywhere."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.memory_keyring import MemoryKeyring
from tests.servers import PASSWORD, SmtpServer
from tui.cli import SUBCOMMANDS, build_parser, chosen_subcommand, main, starts_the_wizard
from tui.core.settings import Settings, save_settings

INTERNAL = ["root@localhost", "alerts@nas.local", "ops@corp.internal", "backup@example.test"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


GOOD = """version = 1
protocol = "smtp"
provider = "custom"

[smtp]
host = "mail.example.org"
port = 587
security = "starttls"
username = "me@example.org"

[sender]
address = "me@example.org"
{sender}
[password]
store = "none"
"""


# ------------------------------------------------------------- internal domains


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_sender_reply_to_copy_and_recipient(
    address: str,
    starttls_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert starttls_server.authenticator is not None
    starttls_server.authenticator.username = address.encode()  # the username too
    settings = starttls_server.settings(
        username=address, address=address, reply_to=address, copy_to=address
    )
    path = save_settings(settings, tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    code, _, err = run(["send", "--to", address, "--body", "hi", "--config", str(path)], capsys)
    assert code == 0, err
    (received,) = starttls_server.received
    assert received.mail_from == address
    assert sorted(set(received.rcpt_tos)) == [address]
    assert received.message["Reply-To"] == address
    assert "special-use" not in err
    code, _, err = run(["show", "--config", str(path)], capsys)
    assert code == 0, err


def test_an_internal_sender_through_a_big_provider_gets_a_note_not_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(provider="gmail")
    settings.smtp.host = "smtp.gmail.com"
    settings.smtp.port = 465
    settings.smtp.security = "tls"
    settings.smtp.username = "me@gmail.com"
    settings.sender.address = "root@localhost"
    settings.password.store = "none"
    path = save_settings(settings, tmp_path / "settings.toml")
    code, _, err = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert "warning: sender.address" in err and "will refuse it" in err


# ------------------------------------------------------------------- show checks


@pytest.mark.parametrize(
    ("sender", "key"),
    [
        ('reply_to = "a@example.org\\r\\nBcc: victim@example.net"', "sender.reply_to"),
        ('reply_to = "a@example.org, b@example.org"', "sender.reply_to"),
        ('copy_to = "x"', "sender.copy_to"),
    ],
)
def test_show_exits_2_naming_key_and_line(
    sender: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.format(sender=sender))
    code, out, err = run(["show", "--config", str(path)], capsys)
    assert code == 2
    assert f"{key} (line 13)" in err
    assert "\r" not in out + err
    # The file's CR LF is shown as escapes, never as a new line that looks like a header.
    assert not any(line.lstrip().startswith("Bcc:") for line in (out + err).splitlines())


def test_show_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(sender='reply_to = "a@b.org; c@d.org"').replace(
        'host = "mail.example.org"', 'host = "mail.example.org:587"'
    )
    text = text.replace('security = "starttls"', 'security = "none"')
    path = write(tmp_path, text)
    code, _, err = run(["show", "--config", str(path)], capsys)
    assert code == 2
    assert "smtp.host (line 6)" in err and "Port field" in err
    assert "smtp.username (line 9)" in err  # credentials with security "none"
    assert "sender.reply_to (line 13)" in err


@pytest.mark.parametrize("timeout", ["0.0001", "-5", "1e30", "nan"])
@pytest.mark.parametrize("command", ["show", "test", "send"])
def test_a_timeout_out_of_range_is_exit_2_naming_the_key(
    timeout: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.format(sender="").replace("port = 587", f"timeout = {timeout}"))
    argv = [command, "--config", str(path)] + (
        ["--to", "a@example.org"] if command == "send" else []
    )
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "smtp.timeout (line 7)" in err or "line 7: smtp.timeout" in err


def test_escape_sequences_in_the_file_are_not_printed_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.format(sender='name = "Ops \\u001b]0;pwned\\u0007\\u001b[2J"'))
    code, out, err = run(["show", "--config", str(path)], capsys)
    assert code == 2  # control characters in a header field are an error
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b]0;pwned" in out


# -------------------------------------------------- warnings on every test and send


def test_test_prints_the_files_warnings_before_sending(
    starttls_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = starttls_server.settings(verify_certificate=False, ca_file="")
    path = save_settings(settings, tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    for command in (["test"], ["send", "--to", "a@example.org"]):
        code, out, err = run([*command, "--json", "--config", str(path)], capsys)
        assert code == 0, err
        assert "warning: smtp.verify_certificate" in err
        assert "verify_certificate = true" in err  # the fix names the key
        assert json.loads(out.splitlines()[-1])["result"] == "ok"


def test_port_465_with_starttls_is_warned_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring
) -> None:
    text = GOOD.format(sender="").replace("port = 587", "port = 465")
    path = write(tmp_path, text.replace('"none"', '"keyring"'))
    code, _, err = run(["test", "--config", str(path)], capsys)
    assert code == 3  # no password: stops after the warnings
    assert "warning: smtp.security (line 8): Port 465 expects TLS from the first byte" in err


# ------------------------------------------------------------ the command line itself


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_takes_config_and_has_a_description(command: str, tmp_path: Path) -> None:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert choices is not None
    sub = choices[command]
    assert sub.description, f"{command} --help has no description line"
    argv = [command, "--config", str(tmp_path / "x.toml")]
    if command == "send":
        argv += ["--to", "a@example.org"]
    if command == "discover":
        argv += ["a@example.org"]
    assert parser.parse_args(argv).config == str(tmp_path / "x.toml")


@pytest.mark.parametrize(
    ("words", "chosen"),
    [
        (["send", "--to", "a@example.org"], "send"),
        (["--config", "send", "test"], "test"),  # "send" is the settings file's name
        (["--conf", "send", "test"], "test"),  # argparse's abbreviation of --config
        (["--config=x.toml", "--practice", "show"], "show"),
        (["--help"], None),
        ([], None),
        (["sned"], None),  # a typo: the full parser names the choices
        (["--", "send"], None),
    ],
)
def test_the_chosen_subcommand_is_the_one_argparse_runs(
    words: list[str], chosen: str | None
) -> None:
    assert chosen_subcommand(words) == chosen
    if chosen is not None:
        assert build_parser().parse_args(words).command == chosen


@pytest.mark.parametrize(
    "words",
    [
        ["send", "--to", "a@example.org", "--subject", "s", "--attach", "f", "--json"],
        ["--config", "x.toml", "test", "--transcript"],
        ["show", "--config", "y.toml"],
        ["discover", "a@example.org"],
        ["password", "--help"],
    ],
)
def test_parsing_with_only_the_chosen_subcommand_gives_the_same_result(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    def parse(parser: argparse.ArgumentParser) -> tuple[object, str]:
        try:
            namespace = vars(parser.parse_args(words))
        except SystemExit as exit:
            namespace = {"exit": exit.code}
        namespace.pop("run", None)  # the same module function either way
        return namespace, capsys.readouterr().out

    full = build_parser()
    lean = build_parser(only=chosen_subcommand(words))
    assert parse(lean) == parse(full)
    choices = next(a for a in lean._actions if a.dest == "command").choices
    assert choices is not None and list(choices) == [chosen_subcommand(words)]


@pytest.mark.parametrize(
    ("words", "wizard"),
    [
        ([], True),
        (["--config", "x.toml"], True),
        (["--conf", "send"], True),  # "send" is the settings file's name
        (["--config=x.toml", "--practice"], True),
        (["--pr"], True),  # argparse's abbreviation of --practice
        (["--config"], True),  # the same "expected one argument" either way
        (["--practice", "show"], False),
        (["--help"], False),
        (["-h"], False),
        (["sned"], False),
        (["--practice=yes"], False),
        (["--bogus"], False),
        (["--", "send"], False),
    ],
)
def test_a_wizard_start_parses_the_same_without_the_subcommands(
    words: list[str], wizard: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The wizard start builds no subcommand parser (they cost ~20 ms of its start-up)."""
    assert starts_the_wizard(words) == wizard
    if not wizard:
        return

    def parse(parser: argparse.ArgumentParser) -> tuple[object, str, str]:
        try:
            namespace = vars(parser.parse_args(words))
        except SystemExit as exit:
            namespace = {"exit": exit.code}
        captured = capsys.readouterr()
        return namespace, captured.out, captured.err

    lean = build_parser(only="")
    assert parse(lean) == parse(build_parser())
    choices = next(a for a in lean._actions if a.dest == "command").choices
    assert not choices


def test_practice_with_a_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--practice", "show"])
    assert exited.value.code == 2
    assert "--practice" in capsys.readouterr().err


def test_a_relay_file_does_not_claim_a_keyring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(protocol="http")
    settings.http.url = "https://relay.example.org/send"
    settings.sender.reply_to = "ops@example.org"
    settings.password.store = "none"  # a relay that takes no key (what the wizard saves)
    path = save_settings(settings, tmp_path / "settings.toml")
    assert "[password]" not in path.read_text()
    code, out, _ = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert "NOT AVAILABLE" not in out
    # a relay whose optional key may be in the keyring names that store
    settings.password.store = "keyring"
    path = save_settings(settings, tmp_path / "settings.toml")
    assert 'store = "keyring"' in path.read_text()
    code, out, _ = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert "none stored (optional" in out and "NOT AVAILABLE" not in out


def test_show_never_prints_a_key_in_the_relay_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(protocol="http")
    settings.http.url = "https://relay.example.org/send?key=s3cr3t-k3y&x=1"
    settings.sender.reply_to = "ops@example.org"
    path = save_settings(settings, tmp_path / "settings.toml")
    code, out, err = run(["show", "--config", str(path)], capsys)
    assert code == 0
    assert "s3cr3t-k3y" not in out + err
    assert "https://relay.example.org/send?key=[redacted]&x=[redacted]" in out


def test_fixes_at_the_command_line_name_settings_keys(
    starttls_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An untrusted certificate (the test CA is not given): the fix names ca_file, not a
    # wizard control.
    path = save_settings(starttls_server.settings(ca_file=""), tmp_path / "settings.toml")
    monkeypatch.setenv("MAILWIZ_PASSWORD", PASSWORD)
    code, out, err = run(["test", "--json", "--config", str(path)], capsys)
    assert code == 14, err
    final = json.loads(out.splitlines()[-1])
    assert "ca_file" in final["fix"]
    assert "Do not validate TLS certificate" not in final["fix"]
    code, _, err = run(["test", "--config", str(path)], capsys)
    assert code == 14
    assert "ca_file" in err.split("What to do:", 1)[1]


async def test_discover_says_when_dns_look_ups_failed(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.commands.discover import render_discovery
    from tui.core.discover.model import DiscoveryFinished

    async def events():  # type: ignore[no-untyped-def]
        yield DiscoveryFinished(
            suggestion=None,
            tried=("MX records: nothing",),
            fallback_host="smtp.example.org",
            dns_failures=("MX example.org: timed out", "SRV _submission._tcp.example.org: \x1b[2J"),
        )

    code = await render_discovery(events(), json_mode=False)
    out = capsys.readouterr().out
    assert code == 3
    assert "DNS look-ups failed" in out and "MX example.org: timed out" in out
    assert "Nothing found." not in out and "may be the DNS failures" in out
    assert "\x1b" not in out
