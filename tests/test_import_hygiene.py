"""Layers stated and tested (issue 10), and start-up kept lean (issue 16).

The layers, read from the source with ast (every import, also those inside functions,
except under `if TYPE_CHECKING:`):
- tui/core imports no textual or rich, recursively;
- tui/core/transports never reaches tui/core/diagnose (a send reports data; the diagnosis
  reads it);
- tui/core/credentials never reaches tui/core/transports (storing a secret needs no engine);
- no import cycle among the modules of tui/ at import time.

Start-up, checked in fresh processes by the modules they load (timings are in bench/): no
Textual for the command line, no asyncio or settings model for --help, no keyring when
MAILWIZ_PASSWORD is set, no email-validator for plain addresses, no diagnosis on success, no
cryptography when the certificate verified, no HTTP or OAuth libraries for an SMTP send.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from tests.processes import unmeasured_environment
from tests.servers import PASSWORD, SmtpServer
from tui.core.exits import Exit
from tui.core.settings import save_settings

ROOT = Path(__file__).resolve().parent.parent
TUI = ROOT / "tui"
CORE = TUI / "core"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def imported_names(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Absolute names of every module imported by path (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    prefix = package[: len(package) - (node.level - 1)]
                    base = ".".join([*prefix, base] if base else prefix)
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names)
            nested = isinstance(node, ast.If | ast.Try | ast.With)
            if nested or not top_level_only:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        visit([c for c in children if isinstance(c, ast.stmt | ast.excepthandler)])  # type: ignore[misc]

    visit(tree.body)
    return names


@cache
def graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in sorted(TUI.rglob("*.py"))}
    return {
        name: {m for m in imported_names(path, top_level_only=top_level_only) if m in modules}
        - {name}
        for name, path in modules.items()
    }


def reachable(start: str, edges: dict[str, set[str]]) -> dict[str, list[str]]:
    """Every module reachable from start, with one import path leading to it."""
    paths = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop()
        for nxt in sorted(edges[current]):
            if nxt not in paths:
                paths[nxt] = [*paths[current], nxt]
                todo.append(nxt)
    return paths


def test_the_import_graph_is_read_from_real_files() -> None:
    edges = graph(False)
    assert len(edges) > 30 and "tui.core.settings" in edges["tui.cli"] | set().union(
        *edges.values()
    ), "the graph came out empty: the layer tests would prove nothing"


def test_core_sources_never_import_textual() -> None:
    sources = sorted(CORE.rglob("*.py"))
    assert sources, "tui/core has no Python files: the test would prove nothing"
    offenders = {
        str(path.relative_to(CORE)): sorted(
            n for n in imported_names(path) if n.split(".")[0] in ("textual", "rich")
        )
        for path in sources
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_importing_every_core_module_loads_no_textual() -> None:
    modules = [module_name(p) for p in sorted(CORE.rglob("*.py"))]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("tui.core.transports", "tui.core.diagnose"),
        ("tui.core.credentials", "tui.core.transports"),
        ("tui.core", "tui.screens"),
        ("tui.core", "tui.commands"),
        ("tui.core", "tui.app"),
        ("tui.commands", "tui.app"),  # the command line never loads the wizard's modules
        ("tui.commands", "tui.wizard"),
        ("tui.wizard", "tui.app"),
    ],
)
def test_a_layer_never_reaches_what_it_must_not(layer: str, forbidden: str) -> None:
    edges = graph(False)
    if layer == "tui.commands":  # only cli.py's wizard branch may import tui.app
        starts = [m for m in edges if m.startswith("tui.commands")]
    else:
        starts = [m for m in edges if m == layer or m.startswith(layer + ".")]
    assert starts, f"no module in {layer}"
    breaches = {
        start: " -> ".join(path)
        for start in starts
        for target, path in reachable(start, edges).items()
        if target == forbidden or target.startswith(forbidden + ".")
    }
    assert breaches == {}


def test_no_import_cycle_at_import_time() -> None:
    edges = graph(True)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert [" -> ".join(cycle) for cycle in cycles] == []


# ---------------------------------------------------------------- start-up modules

HEAVY = ("textual", "rich", "keyring", "email_validator", "asyncio", "tui.core.diagnose")


def loaded_modules(
    argv: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[int, set[str]]:
    """Run mailwiz's main(argv) in a fresh interpreter; its exit code and the modules it
    loaded (a name marked absent in sys.modules, as tui/__init__ does, is not loaded)."""
    report = tmp_path / "modules.json"
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "loaded = sorted(name for name, module in sys.modules.items() if module is not None)\n"
        "import json\n"  # after the count: mailwiz itself may not need it
        f"open({str(report)!r}, 'w').write(json.dumps([code, loaded]))\n"
    )
    environ = unmeasured_environment()
    environ.pop("MAILWIZ_PASSWORD", None)
    subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, **(env or {})},
        capture_output=True,
        timeout=60,
        check=True,
    )
    exit_code, modules = json.loads(report.read_text())
    return exit_code, set(modules)


def present(modules: set[str], *names: str) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


@pytest.mark.parametrize("argv", [["send", "--help"], ["--help"], ["test", "--help"]])
def test_help_loads_no_asyncio_settings_or_ui(argv: list[str], tmp_path: Path) -> None:
    code, modules = loaded_modules(argv, tmp_path)
    assert code == 0
    assert present(modules, *HEAVY, "tui.core.settings", "tui.core.message", "ssl") == []
    # nor what only some subcommands use (--json output, login's clock and thread)
    assert present(modules, "json", "datetime", "threading") == []


@pytest.fixture
def send_settings(starttls_server: SmtpServer, tmp_path: Path) -> Callable[..., Path]:
    def make(**overrides: object) -> Path:
        settings = starttls_server.settings(**overrides)
        settings.password.store = "keyring"  # stored... but MAILWIZ_PASSWORD wins
        return save_settings(settings, tmp_path / "settings.toml")

    return make


def test_a_successful_test_loads_no_keyring_validator_diagnosis_or_ui(
    send_settings: Callable[..., Path], starttls_server: SmtpServer, tmp_path: Path
) -> None:
    path = send_settings()
    code, modules = loaded_modules(
        ["test", "--config", str(path)], tmp_path, env={"MAILWIZ_PASSWORD": PASSWORD}
    )
    assert code == 0
    assert len(starttls_server.received) == 1
    assert "asyncio" in modules  # the send ran in this process
    assert present(modules, "textual", "rich", "keyring", "email_validator") == []
    assert present(modules, "tui.core.diagnose", "tui.core.providers", "tui.app") == []
    # A verified certificate is described from getpeercert(): cryptography only on failure.
    assert present(modules, "cryptography", "idna", "httpx", "authlib", "flask", "tomli_w") == []


def test_a_plain_send_loads_only_what_it_uses(
    send_settings: Callable[..., Path], starttls_server: SmtpServer, tmp_path: Path
) -> None:
    path = send_settings()
    argv = ["send", "--config", str(path), "--to", "you@example.org", "--body", "hi"]
    code, modules = loaded_modules(argv, tmp_path, env={"MAILWIZ_PASSWORD": PASSWORD})
    assert code == 0
    assert len(starttls_server.received) == 1
    assert "asyncio" in modules  # the send ran in this process
    assert present(modules, "textual", "keyring", "email_validator", "tui.core.diagnose") == []
    assert present(modules, "cryptography", "httpx", "idna", "tomli_w", "authlib") == []
    # no HTML part (only the test message has one), no attachment, no strptime for the
    # certificate's dates
    assert present(modules, "html", "mimetypes", "_strptime", "tui.core.providers") == []
    # MAILWIZ_PASSWORD wins over every store, so the store's code is not even loaded
    assert present(modules, "tui.core.credentials.store") == []


@pytest.mark.parametrize("store", ["keyring", "none"])
def test_a_relay_send_whose_key_is_not_stored_loads_no_store(store: str, tmp_path: Path) -> None:
    # The relay's key from MAILWIZ_PASSWORD (which wins over any stored one), or none at
    # all with store = "none": the store's code and keyring are not loaded for it either.
    from tests.api_servers import KEY, serve_api
    from tui.core.settings import Settings

    settings = Settings(protocol="http")
    settings.sender.address = "shop@example.org"
    settings.sender.reply_to = "orders@example.org"
    settings.password.store = store  # type: ignore[assignment]
    env = {"MAILWIZ_PASSWORD": KEY} if store == "keyring" else {}
    with serve_api("relay" if env else "open-relay") as relay:
        settings.http.url = f"http://127.0.0.1:{relay.port}/send"
        path = save_settings(settings, tmp_path / "settings.toml")
        argv = ["send", "--config", str(path), "--to", "you@example.org", "--body", "hi"]
        code, modules = loaded_modules(argv, tmp_path, env=env)
        assert code == 0
        assert [seen.headers.get("authorization") for seen in relay.received] == [
            f"Bearer {KEY}" if env else None
        ]
    assert present(modules, "tui.core.credentials.store", "keyring") == []


def test_a_send_with_a_password_file_loads_the_store(
    send_settings: Callable[..., Path], starttls_server: SmtpServer, tmp_path: Path
) -> None:
    # The other side of the test above: without the variable the store is read.
    from tui.core.credentials.store import password_file_path

    path = send_settings()
    path.write_text(path.read_text().replace('store = "keyring"', 'store = "file"'))
    password_file_path(path).write_text(PASSWORD)
    password_file_path(path).chmod(0o600)
    argv = ["send", "--config", str(path), "--to", "you@example.org", "--body", "hi"]
    code, modules = loaded_modules(argv, tmp_path)
    assert code == 0
    assert len(starttls_server.received) == 1
    assert present(modules, "tui.core.credentials.store") == ["tui.core.credentials.store"]
    assert present(modules, "keyring") == []


def test_a_failed_test_loads_the_diagnosis(
    send_settings: Callable[..., Path], starttls_server: SmtpServer, tmp_path: Path
) -> None:
    # The other side of the test above: the check can see a module that loads.
    path = send_settings()
    code, modules = loaded_modules(
        ["test", "--config", str(path)], tmp_path, env={"MAILWIZ_PASSWORD": "wrong password"}
    )
    assert code == 16
    assert present(modules, "tui.core.diagnose") == ["tui.core.diagnose"]
    assert present(modules, "textual", "keyring") == []


def test_a_certificate_that_fails_verification_is_read_with_cryptography(
    smtp_server: Callable[..., SmtpServer], tmp_path: Path
) -> None:
    # The other side of "no cryptography when verified": the failure still names the cert.
    server = smtp_server("starttls", cert="untrusted")
    path = save_settings(server.settings(), tmp_path / "settings.toml")
    code, modules = loaded_modules(
        ["test", "--config", str(path)], tmp_path, env={"MAILWIZ_PASSWORD": PASSWORD}
    )
    assert code == Exit.CERTIFICATE
    assert present(modules, "cryptography") == ["cryptography"]


def test_an_address_that_needs_the_full_check_loads_email_validator(tmp_path: Path) -> None:
    settings_path = tmp_path / "settings.toml"
    settings_path.write_text(
        'version = 1\n[smtp]\nhost = "mail.example.org"\nusername = "me@example.org"\n'
        '[sender]\naddress = "josé@example.org"\n[password]\nstore = "none"\n'
    )
    settings_path.chmod(0o600)
    code, modules = loaded_modules(["show", "--config", str(settings_path)], tmp_path)
    assert code == 0
    assert present(modules, "email_validator") == ["email_validator"]
