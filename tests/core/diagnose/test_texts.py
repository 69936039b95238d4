"""The diagnosis texts as data, and who reads them (the wizard's labels, the command
line's keys)."""

from __future__ import annotations

import re

import pytest

from tests.core.diagnose.diagnosing import (
    http_settings,
    smtp_settings,
)
from tui.core.diagnose.handlers import (
    Audience,
    diagnose,
    general_steps,
)
from tui.core.events import CertificateInfo, Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.providers import catalogue, get_provider
from tui.core.settings import Settings

# --------------------------------------------------------------------------- the texts as data


def _code_strings() -> tuple[dict[str, set[str]], set[str], set[str]]:
    """From the diagnosis code: the ids named in make()/part()/sub() calls, every string
    constant, and the fixed prefixes of f-strings (f"where-{store}" gives "where-")."""
    import ast
    from pathlib import Path

    import tui.core.diagnose as package
    import tui.screens.guidance as guidance_screen
    import tui.screens.troubleshoot as troubleshoot_screen

    files = [*Path(package.__path__[0]).glob("*.py")]
    files += [Path(str(guidance_screen.__file__)), Path(str(troubleshoot_screen.__file__))]
    calls: dict[str, set[str]] = {"make": set(), "part": set(), "sub": set()}
    constants: set[str] = set()
    prefixes: set[str] = set()
    for file in files:
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    prefixes.add(first.value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in calls
                and node.args
            ):
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if len(args) == len(node.args) and all(isinstance(a, str) for a in args):
                    calls[node.func.attr].add(".".join(str(a) for a in args))
    return calls, constants, prefixes


def _toml_references() -> set[str]:
    """Names the texts themselves use: "@name" steps, d = "..." in the tables, page marks."""
    from pathlib import Path

    import tui.core.diagnose as package
    from tui.core.diagnose.texts import data

    found = set(re.findall(r'"@([a-z0-9-]+)"', str(data()).replace("'", '"')))
    for table in ("reply", "token"):
        found |= {rule["d"] for rule in data()[table]}
    for page in Path(package.__path__[0], "guidance").glob("*.md"):
        found |= set(re.findall(r"<!--\s*steps:\s*([a-z0-9-]+)\s*-->", page.read_text()))
    return found


def test_every_text_the_code_names_exists() -> None:
    from tui.core.diagnose.texts import data

    calls, _, _ = _code_strings()
    texts = data()
    assert calls["make"] and calls["part"] and calls["sub"]
    assert calls["make"] <= set(texts["d"]), calls["make"] - set(texts["d"])
    assert calls["part"] <= set(texts["part"]), calls["part"] - set(texts["part"])
    for pair in calls["sub"]:
        diagnosis, name = pair.split(".")
        assert name in texts["d"][diagnosis], pair
    named_steps = _toml_references() - set(texts["d"])
    assert named_steps <= set(texts["step"]) | set(texts["steps"]) | {"app-password"}


def test_every_text_is_used() -> None:
    from tui.core.diagnose.texts import data

    calls, constants, prefixes = _code_strings()
    used = constants | _toml_references() | {p.split(".")[0] for p in calls["sub"]}

    def is_used(name: str) -> bool:
        return name in used or any(prefix and name.startswith(prefix) for prefix in prefixes)

    texts = data()
    for table in ("d", "part", "step", "steps"):
        unused = [name for name in texts[table] if not is_used(name)]
        assert not unused, f"[{table}] texts nothing uses: {unused}"
    for name, entry in texts["d"].items():
        extra = set(entry) - {"title", "cause", "fix"}
        unused = [key for key in extra if f"{name}.{key}" not in calls["sub"] and not is_used(key)]
        assert not unused, f"[d.{name}] pieces nothing uses: {unused}"
    # Each app-password step list belongs to a guidance key of the catalogue, or is generic.
    keys = {p.guidance for p in catalogue() if p.guidance}
    for name in texts["app_password"]["letters"]:
        assert name in keys, name


# --------------------------------------------------------------------------- who reads it


@pytest.mark.parametrize(
    ("failure", "settings", "cli_key", "wizard_label"),
    [
        (
            Failure(FailureKind.CERTIFICATE, "tls", certificate=CertificateInfo(reason="x")),
            smtp_settings(),
            "smtp.ca_file",
            "CA file",
        ),
        (
            Failure(FailureKind.CERTIFICATE, "tls", certificate=CertificateInfo(reason="x")),
            smtp_settings(),
            "smtp.verify_certificate = false",
            "Do not validate TLS certificate",
        ),
        (
            Failure(FailureKind.AUTH, "auth", code=535, enhanced="5.7.8", reply="535 no"),
            smtp_settings(),
            "mailwiz password",
            "Show password",
        ),
        (
            Failure(FailureKind.TIMEOUT, "greeting"),
            smtp_settings(port=2525),
            "smtp.security",
            "Encryption",
        ),
    ],
)
def test_fixes_name_the_settings_key_on_the_command_line(
    failure: Failure, settings: Settings, cli_key: str, wizard_label: str
) -> None:
    wizard = diagnose(failure, settings)
    cli = diagnose(failure, settings, audience=Audience.CLI)
    assert wizard_label in wizard.fix and cli_key not in wizard.fix
    assert cli_key in cli.fix and wizard_label not in cli.fix
    assert wizard.field == cli.field


@pytest.mark.parametrize("kind", list(FailureKind))
@pytest.mark.parametrize("reason", [None, *Reason])
def test_every_reason_and_kind_reads_well_on_the_command_line(
    kind: FailureKind, reason: Reason | None
) -> None:
    f = Failure(kind=kind, stage="auth", code=535, reply="x", reason=reason, field=Key.COPY_TO)
    for settings in (smtp_settings(), http_settings()):
        d = diagnose(f, settings, audience=Audience.CLI)
        assert d.title.endswith(".") and d.cause and d.fix
        assert "Show password" not in d.fix and " field" not in d.fix


def test_the_relays_troubleshooting_has_no_smtp_steps() -> None:
    steps = " ".join(general_steps(http_settings())).lower()
    for smtp_word in ("starttls", "port 465", "smtp", "app password", "thunderbird"):
        assert smtp_word not in steps
    assert "https://" in steps


# --------------------------------------------------------------------------- blocked ports


@pytest.mark.parametrize("port", [465, 587])
@pytest.mark.parametrize("kind", [FailureKind.TIMEOUT, FailureKind.REFUSED])
def test_blocked_submission_port_names_the_clouds_and_what_works(
    port: int, kind: FailureKind
) -> None:
    provider = get_provider("sendgrid")
    s = smtp_settings(provider="sendgrid", host=provider.host, port=port)
    d = diagnose(Failure(kind, "connect", detail="[Errno 111] refused"), s)
    for cloud in ("AWS", "Google Cloud", "Azure", "DigitalOcean", "Hetzner", "Linode"):
        assert cloud in d.fix
    assert f"port 2525 ({provider.host})" in d.fix  # the catalogue's alternate port
    assert 'http.api = "sendgrid"' in d.fix
    assert d.field == Key.PORT


def test_blocked_port_without_2525_or_api_suggests_a_service_that_has_them() -> None:
    s = smtp_settings(port=587)
    d = diagnose(Failure(FailureKind.TIMEOUT, "connect"), s)
    assert "2525" in d.fix and "SMTP2GO" in d.fix
    assert "http.api" not in d.fix


def test_a_refused_uncommon_port_does_not_blame_the_hosting_provider() -> None:
    d = diagnose(Failure(FailureKind.REFUSED, "connect"), smtp_settings(port=2526))
    assert "cloud" not in d.fix
