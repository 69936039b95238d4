"""The settings model: validation messages, loading errors, and the atomic save."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.core.settings import (
    Settings,
    SettingsBusy,
    SettingsError,
    SettingsFileError,
    SettingsMissing,
    cleaned,
    errors,
    load_settings,
    normalize_host,
    parse_port,
    resolve_config_path,
    save_settings,
    to_toml,
    validate,
)


def gmail() -> Settings:
    settings = Settings(provider="gmail")
    settings.smtp.host = "smtp.gmail.com"
    settings.smtp.port = 465
    settings.smtp.security = "tls"
    settings.smtp.username = "me@gmail.com"
    return settings


def messages(settings: Settings, field: str) -> list[str]:
    return [problem.message for problem in validate(settings) if problem.field == field]


def test_a_complete_gmail_configuration_is_valid() -> None:
    assert validate(gmail()) == []


# ----------------------------------------------------------------------- host names


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("smtp.gmail.com", "smtp.gmail.com"),
        ("  SMTP.Example.COM. ", "smtp.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("192.0.2.10", "192.0.2.10"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
    ],
)
def test_host_names_are_normalized(typed: str, expected: str) -> None:
    assert normalize_host(typed) == expected


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("", "Enter the server's host name"),
        ("smtp://smtp.example.com", 'Remove "smtp://"'),
        ("smtp.example.com/submit", "without a path"),
        ("smtp.gmail.com:587", "Put the port in the Port field"),
        ("[2001:db8::1]:25", "Put the port in the Port field"),
        ("smtp example.com", "cannot contain spaces"),
        ("me@example.com", "looks like an email address"),
        ("-bad-.example.com", "not a valid host name"),
        ("a..b", "not a valid host name"),
    ],
)
def test_bad_host_names_say_what_to_change(typed: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        normalize_host(typed)
    settings = gmail()
    settings.smtp.host = typed
    assert any(hint in message for message in messages(settings, "smtp.host"))


def test_cleaned_converts_the_host_and_trims_spaces() -> None:
    settings = gmail()
    settings.smtp.host = " Bücher.Example "
    settings.sender.reply_to = " office@example.com "
    result = cleaned(settings)
    assert result.smtp.host == "xn--bcher-kva.example"
    assert result.sender.reply_to == "office@example.com"
    assert settings.smtp.host == " Bücher.Example "  # the original is untouched


# ----------------------------------------------------------------- port and security


@pytest.mark.parametrize("text", ["0", "65536", "abc", "", "58 7"])
def test_bad_ports_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="port"):
        parse_port(text)


def test_port_must_be_in_range_in_the_model_too() -> None:
    settings = gmail()
    settings.smtp.port = 70000
    assert messages(settings, "smtp.port")


@pytest.mark.parametrize(("port", "security"), [(465, "starttls"), (587, "tls")])
def test_unusual_port_and_security_pairs_warn_but_do_not_fail(port: int, security: str) -> None:
    settings = gmail()
    settings.smtp.port = port
    settings.smtp.security = security  # type: ignore[assignment]
    problems = [p for p in validate(settings) if p.field == "smtp.security"]
    assert problems and all(p.severity == "warning" for p in problems)
    assert errors(settings) == []


def test_port_25_warns_that_it_is_often_blocked() -> None:
    settings = gmail()
    settings.smtp.port = 25
    settings.smtp.security = "starttls"
    (warning,) = [p for p in validate(settings) if p.field == "smtp.port"]
    assert warning.severity == "warning"
    assert "often blocked" in warning.message


def test_credentials_without_encryption_are_an_error() -> None:
    settings = gmail()
    settings.provider = "custom"
    settings.smtp.security = "none"
    settings.smtp.port = 25
    assert any("in clear" in m for m in messages(settings, "smtp.username"))


def test_a_local_relay_without_username_is_valid() -> None:
    settings = Settings()
    settings.smtp.host = "localhost"
    settings.smtp.port = 25
    settings.smtp.security = "none"
    settings.sender.address = "server@example.com"
    assert errors(settings) == []


def test_username_is_required_with_encryption() -> None:
    settings = gmail()
    settings.smtp.username = ""
    settings.sender.address = "me@gmail.com"
    assert messages(settings, "smtp.username") == [
        "Enter the username (usually your email address)."
    ]


def test_certificate_checks_cannot_be_turned_off_for_a_catalogue_provider() -> None:
    settings = gmail()
    settings.smtp.verify_certificate = False
    (problem,) = [p for p in validate(settings) if p.field == "smtp.verify_certificate"]
    assert problem.severity == "error"
    assert "can not be turned off" in problem.message


def test_turning_certificate_checks_off_for_an_own_server_is_a_warning() -> None:
    settings = gmail()
    settings.provider = "custom"
    settings.smtp.host = "mail.example.org"
    settings.smtp.verify_certificate = False
    (problem,) = [p for p in validate(settings) if p.field == "smtp.verify_certificate"]
    assert problem.severity == "warning"


@pytest.mark.parametrize("host", ["smtp.gmail.com", "SMTP.Office365.com", "smtp.mail.yahoo.com."])
def test_certificate_rule_is_keyed_on_the_host_too(host: str) -> None:
    # Provider "custom" pointing at a big provider's server is that provider all the same.
    settings = gmail()
    settings.provider = "custom"
    settings.smtp.host = host
    settings.smtp.verify_certificate = False
    (problem,) = [p for p in validate(settings) if p.field == "smtp.verify_certificate"]
    assert problem.severity == "error"
    assert "can not be turned off" in problem.message


@pytest.mark.parametrize("timeout", [0.0001, 0.5, -5, 0, 601, 1e30, float("nan"), float("inf")])
def test_timeout_outside_one_to_six_hundred_is_an_error(timeout: float) -> None:
    settings = gmail()
    settings.smtp.timeout = timeout
    assert messages(settings, "smtp.timeout") == ["The timeout is in seconds, between 1 and 600."]


@pytest.mark.parametrize("timeout", [1, 1.5, 30, 600])
def test_timeout_inside_the_range_is_fine(timeout: float) -> None:
    settings = gmail()
    settings.smtp.timeout = timeout
    assert messages(settings, "smtp.timeout") == []


def test_missing_ca_file_is_named(tmp_path: Path) -> None:
    settings = gmail()
    settings.smtp.ca_file = str(tmp_path / "nope.pem")
    assert messages(settings, "smtp.ca_file") == [f"There is no file at {tmp_path / 'nope.pem'}."]


# ---------------------------------------------------------------------- the sender


def test_sender_address_is_needed_when_the_username_is_not_an_address() -> None:
    settings = gmail()
    settings.smtp.username = "jsmith"
    assert messages(settings, "sender.address") == [
        "Enter the email address the messages are sent from."
    ]
    settings.sender.address = "john@example.com"
    assert messages(settings, "sender.address") == []
    assert settings.from_address == "john@example.com"


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("reply_to", "a@example.com, b@example.com", "one email address"),
        ("copy_to", "not-an-address", "not a valid email address"),
        ("reply_to", "a@example.com\r\nBcc: victim@example.com", "Line breaks"),
        ("name", "Shop\nBcc: x@example.com", "Line breaks"),
        ("name", "=?UTF-8?Q?=0A?=Bcc: x", '"=?"'),
        ("name", "Bell\x07", "Control characters"),
    ],
)
def test_header_fields_reject_injection_and_lists(field: str, value: str, hint: str) -> None:
    settings = gmail()
    setattr(settings.sender, field, value)
    assert any(hint in message for message in messages(settings, f"sender.{field}"))


def test_non_ascii_display_name_is_fine() -> None:
    settings = gmail()
    settings.sender.name = "Café Müller"
    assert validate(settings) == []


# ------------------------------------------------------------------------ HTTP relay


def relay(url: str) -> Settings:
    settings = Settings(protocol="http", provider="http")
    settings.http.url = url
    settings.sender.reply_to = "office@example.com"
    return settings


@pytest.mark.parametrize(
    "url", ["https://relay.example.com/send", "http://127.0.0.1:8025/send", "http://localhost/x"]
)
def test_good_relay_urls(url: str) -> None:
    assert validate(relay(url)) == []


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://relay.example.com/send", "Use https://"),
        ("https://user:secret@relay.example.com/", "Do not put a name or password"),
        ("ftp://relay.example.com", "must start with https://"),
        ("https://", "no host name"),
        ("", "Enter the relay's URL"),
    ],
)
def test_bad_relay_urls(url: str, hint: str) -> None:
    assert any(hint in m for m in messages(relay(url), "http.url"))


def test_relay_needs_a_reply_to_address() -> None:
    settings = relay("https://relay.example.com/send")
    settings.sender.reply_to = ""
    assert messages(settings, "sender.reply_to")


# ------------------------------------------------------------------------ file paths


def test_config_path_order(tmp_path: Path) -> None:
    cli = tmp_path / "cli.toml"
    env = {"MAILWIZ_CONFIG": str(tmp_path / "env.toml")}
    assert resolve_config_path(cli, env) == cli
    assert resolve_config_path(None, env) == tmp_path / "env.toml"
    default = resolve_config_path(None, {})
    assert default.name == "settings.toml" and "mailwiz" in default.parts


# ---------------------------------------------------------------------------- load


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_round_trip(tmp_path: Path) -> None:
    settings = gmail()
    settings.sender.name = "Café Müller"
    settings.sender.copy_to = "archive@example.com"
    path = save_settings(settings, tmp_path / "settings.toml")
    loaded = load_settings(path)
    assert loaded.settings == settings
    assert loaded.warnings == []


def test_only_the_table_in_use_is_written() -> None:
    assert "[http]" not in to_toml(gmail())
    assert "[smtp]" not in to_toml(relay("https://relay.example.com/"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsMissing, match="no settings yet"):
        load_settings(tmp_path / "settings.toml")


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("version = 1\nprotocol = = 2\n", 2, "not valid TOML"),
        ('version = 1\n[smtp]\nhost = "x"\nprot = 5\n', 4, '"smtp.prot" is not a setting'),
        ('version = 1\n\n[smtpp]\nhost = "x"\n', 3, '"smtpp" is not a setting'),
        ('version = 1\n[smtp]\nport = "587"\n', 3, '"smtp.port" must be a whole number'),
        ("version = 1\n[smtp]\nverify_certificate = 1\n", 3, "must be true or false"),
        ('version = 1\n[smtp]\nsecurity = "ssl"\n', 3, 'must be one of "tls"'),
        ('version = 2\nprotocol = "smtp"\n', 1, "newer mailwiz"),
    ],
)
def test_bad_files_name_the_line_and_key(tmp_path: Path, text: str, line: int, hint: str) -> None:
    path = write(tmp_path / "settings.toml", text)
    with pytest.raises(SettingsFileError, match=hint) as caught:
        load_settings(path)
    assert caught.value.line == line
    assert f"line {line}" in str(caught.value)


def test_missing_version_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", 'protocol = "smtp"\n')
    with pytest.raises(SettingsFileError, match="version = 1"):
        load_settings(path)


def test_a_file_others_can_read_is_reported(tmp_path: Path) -> None:
    path = save_settings(gmail(), tmp_path / "settings.toml")
    path.chmod(0o644)
    (warning,) = load_settings(path).warnings
    assert f"chmod 600 {path}" in warning


# ---------------------------------------------------------------------------- save


def test_save_creates_private_folders_and_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "mailwiz" / "settings.toml"
    save_settings(gmail(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text().replace("[password]", "").replace('auth = "password"', "")
    assert "password" not in text


def test_save_keeps_the_previous_file_as_bak(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(gmail(), path)
    first = path.read_text()
    changed = gmail()
    changed.smtp.port = 587
    changed.smtp.security = "starttls"
    save_settings(changed, path)
    backup = tmp_path / "settings.toml.bak"
    assert backup.read_text() == first
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert load_settings(path).settings.smtp.port == 587
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "settings.toml",
        "settings.toml.bak",
        "settings.toml.lock",
    ]


def test_an_unparsable_file_is_never_overwritten(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", "version = 1\nthis is my work in progress\n")
    with pytest.raises(SettingsFileError):
        save_settings(gmail(), path)
    assert path.read_text() == "version = 1\nthis is my work in progress\n"


def test_a_symlinked_settings_file_keeps_its_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "settings.toml"
    save_settings(gmail(), real)
    link = tmp_path / "settings.toml"
    link.symlink_to(real)
    changed = gmail()
    changed.sender.name = "Shop"
    save_settings(changed, link)
    assert link.is_symlink()
    assert load_settings(real).settings.sender.name == "Shop"


def test_a_second_writer_is_told_the_file_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(gmail(), path)
    before = path.read_text()
    fd = os.open(tmp_path / "settings.toml.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's lock: flock locks are per open file
    try:
        with pytest.raises(SettingsBusy, match="being written by another process"):
            save_settings(relay("https://relay.example.com/"), path)
    finally:
        os.close(fd)
    assert path.read_text() == before


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Make `folder` unwritable, for root too: root ignores modes, not the immutable flag."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root and the immutable flag is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_read_only_folder_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    path = folder / "settings.toml"
    save_settings(gmail(), path)
    before = path.read_text()
    with read_only_folder(folder), pytest.raises(SettingsError, match="previous settings are"):
        save_settings(relay("https://relay.example.com/"), path)
    assert path.read_text() == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_previous_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk shows up as an error from fsync or write; simulate it at os.fsync."""
    path = tmp_path / "settings.toml"
    save_settings(gmail(), path)
    before = path.read_text()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(SettingsError, match="No space left on device"):
        save_settings(relay("https://relay.example.com/"), path)
    monkeypatch.undo()
    assert path.read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
