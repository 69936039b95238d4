"""The sendmail command line, parsed as real callers write it (tui.core.mta.options)."""

from __future__ import annotations

import pytest

from tui.core.mta.options import OptionsError, parse


@pytest.mark.parametrize(
    ("argv", "recipients", "extract", "dots", "sender", "name"),
    [
        # cronie
        ("-FCronDaemon -i -odi -oem -oi -t -f USER", [], True, True, "USER", "CronDaemon"),
        # Debian cron
        ("-i -FCronDaemon -B8BITMIME -oem root", ["root"], False, True, None, "CronDaemon"),
        # anacron: no -i, so a line "." ends the message
        ("-FAnacron -odi root", ["root"], False, False, None, "Anacron"),
        # mailutils / s-nail / bsd-mailx
        ("-i -f me@example.com -- a@example.com b", ["a@example.com", "b"], False, True,
         "me@example.com", ""),
        ("-oi -t", [], True, True, None, ""),
        # PHP, git send-email, unattended-upgrades, fail2ban
        ("-t -i", [], True, True, None, ""),
        ("-i a@example.com b@example.com", ["a@example.com", "b@example.com"], False, True,
         None, ""),
        ("-f fail2ban root", ["root"], False, False, "fail2ban", ""),
    ],
)  # fmt: skip
def test_each_callers_command_line(
    argv: str,
    recipients: list[str],
    extract: bool,
    dots: bool,
    sender: str | None,
    name: str,
) -> None:
    invocation = parse(argv.split())
    assert invocation.mode == "deliver"
    assert invocation.recipients == recipients
    assert invocation.extract is extract
    assert invocation.ignore_dots is dots
    assert invocation.sender == sender
    assert invocation.full_name == name


def test_clusters_attached_values_and_options_after_recipients() -> None:
    invocation = parse(["root", "-ti", "-FCron Daemon", "-vB8BITMIME", "-oem", "www-data"])
    assert invocation.recipients == ["root", "www-data"]
    assert invocation.extract and invocation.ignore_dots and invocation.verbose
    assert invocation.full_name == "Cron Daemon"
    assert "-B8BITMIME" in invocation.ignored and "-oem" in invocation.ignored


def test_values_in_the_next_argument_and_the_empty_sender() -> None:
    assert parse(["-f", "", "root"]).sender == ""
    assert parse(["-f", "<>", "root"]).sender == "<>"
    assert parse(["-r", "x@example.com", "root"]).sender == "x@example.com"
    assert parse(["-F", "Backup job", "root"]).full_name == "Backup job"


def test_double_dash_ends_the_options() -> None:
    assert parse(["-i", "--", "-odd-name", "root"]).recipients == ["-odd-name", "root"]


def test_recipient_lists_are_split() -> None:
    assert parse(["a@example.com, Bee <b@example.com>"]).recipients == [
        "a@example.com",
        "b@example.com",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        "-odi -odb -oem -oee -B8BITMIME -NNEVER -Rhdrs -Venvid -Xlog -Ltag -h3 -Am -C/etc/x "
        "-m -n -U -G -OOption=1 root",
        "-N never -R full -V id -X /tmp/x -L tag -h 5 -C cf root",
    ],
)
def test_ignored_flags_are_accepted(argv: str) -> None:
    invocation = parse(argv.split())
    assert invocation.recipients == ["root"]
    assert invocation.mode == "deliver"


@pytest.mark.parametrize(
    ("argv", "mode"),
    [("-bm root", "deliver"), ("-bp", "list"), ("-q", "flush"), ("-q30m", "flush"),
     ("-bi", "initialize")],
)  # fmt: skip
def test_modes(argv: str, mode: str) -> None:
    assert parse(argv.split()).mode == mode


@pytest.mark.parametrize("argv", [["-bs"], ["-bd"], ["-Z"], ["-f"], ["--frobnicate"]])
def test_usage_errors(argv: list[str]) -> None:
    with pytest.raises(OptionsError):
        parse(argv)
