"""One send, start to finish, against a local STARTTLS+AUTH server: `mailwiz send` beside a
minimal smtplib script (and msmtp and swaks when installed), `--help` beside a bare Python
start, and the peak memory of a plain send. Runs alternate so load affects all alike.
Prints paired medians and ratios; asserts nothing (figures, not tests).

    .venv/bin/python bench/send_startup.py [RUNS] [--compare DIR]

`--compare DIR` also times `mailwiz send` from another checkout (say an older commit
unpacked with `git archive COMMIT | tar -x -C DIR`), so a change is measured side by side in
one run.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD, ADDRESS = "bench@example.org", "bench-password", "bench@example.org"

# The same TLS work as mailwiz: the system's trusted authorities plus the test CA (ca_file).
SMTPLIB = """
import smtplib, ssl, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context()
context.load_verify_locations(ca)
with smtplib.SMTP(host, port, timeout=30) as smtp:
    smtp.starttls(context=context)
    smtp.login("bench@example.org", "bench-password")
    smtp.sendmail("bench@example.org", ["bench@example.org"],
                  "From: bench@example.org\\r\\nTo: bench@example.org\\r\\n"
                  "Subject: b\\r\\n\\r\\nhi\\r\\n")
"""


logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's deprecation chatter


class Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def authenticate(
    server: object, session: object, envelope: object, mechanism: str, data: object
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# A child's peak RSS (ru_maxrss) counts the memory of the process it was forked from, so
# it is read through this lean launcher (no site, ~8 MiB) rather than from the bench itself.
LAUNCHER = """
import os, sys
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss if os.waitstatus_to_exitcode(status) == 0 else -1)
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of one process."""
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv[:5]} failed: {result.stderr.decode()}")
    return elapsed


def peak_kib(argv: list[str], env: dict[str, str]) -> int:
    """Peak resident memory of one process, in KiB."""
    launcher = [sys.executable, "-S", "-c", LAUNCHER, *argv]
    out = subprocess.run(launcher, env=env, capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])


# Runs mailwiz from the checkout named first on its command line (for --compare).
RUN_FROM = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('tui', run_name='__main__', alter_sys=True)"
)


def commands(
    folder: Path, port: int, ca_file: Path, compare: Path | None = None
) -> dict[str, list[str]]:
    config = folder / "settings.toml"
    config.write_text(
        'version = 1\nprotocol = "smtp"\nprovider = "custom"\n[smtp]\n'
        f'host = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\nusername = "{USER}"\n'
        f'ca_file = "{ca_file}"\n[sender]\naddress = "{ADDRESS}"\n[password]\nstore = "none"\n'
    )
    config.chmod(0o600)
    found: dict[str, list[str]] = {
        "python start-up (-c pass)": [sys.executable, "-c", "pass"],
        "mailwiz send --help": [sys.executable, "-m", "tui", "send", "--help"],
        "smtplib script": [sys.executable, "-c", SMTPLIB, "127.0.0.1", str(port), str(ca_file)],
        "mailwiz send": [
            sys.executable,
            "-m",
            "tui",
            "send",
            "--config",
            str(config),
            "--to",
            ADDRESS,
            "--body",
            "hi",
        ],
    }
    if compare is not None:
        send = found["mailwiz send"][3:]
        label = f"mailwiz send from {compare.name}"
        found[label] = [sys.executable, "-c", RUN_FROM, str(compare), *send]
    if shutil.which("msmtp"):
        rc = folder / "msmtprc"
        rc.write_text(
            f"account bench\nhost 127.0.0.1\nport {port}\nauth on\nuser {USER}\n"
            f"password {PASSWORD}\ntls on\ntls_starttls on\ntls_trust_file {ca_file}\n"
            f"from {ADDRESS}\naccount default : bench\n"
        )
        rc.chmod(0o600)
        found["msmtp"] = ["sh", "-c", f"printf 'Subject: b\\n\\nhi\\n' | msmtp -C {rc} {ADDRESS}"]
    if shutil.which("swaks"):
        found["swaks"] = [
            "swaks", "--silent", "2", "--server", f"127.0.0.1:{port}", "--tls",
            "--tls-verify", "--tls-ca-path", str(ca_file), "--auth", "PLAIN",
            "--auth-user", USER, "--auth-password", PASSWORD,
            "--from", ADDRESS, "--to", ADDRESS,
        ]  # fmt: skip
    return found


def report(times: dict[str, list[float]], peaks: dict[str, int], runs: int) -> None:
    def median(label: str) -> float:
        return statistics.median(times[label]) * 1000

    print(f"runs each: {runs}\n")
    for label in times:
        peak = peaks[label] / 1024
        print(f"  {label:<28} median {median(label):7.1f} ms   peak RSS {peak:5.1f} MiB")
    base = median("smtplib script")
    print("\nratios against the smtplib script (aim: mailwiz send within 2.0x, stretch 1.5x):")
    compared = [label for label in times if label.startswith("mailwiz send from ")]
    for label in ("mailwiz send", *compared, "msmtp", "swaks"):
        if label in times:
            print(f"  {label:<28} {median(label) / base:5.2f}x")
    extra = median("mailwiz send --help") - median("python start-up (-c pass)")
    print(f"\n--help above Python's start-up (aim: at most 60 ms): {extra:.0f} ms")
    peak = peaks["mailwiz send"] / 1024
    print(f"peak memory of a plain send (aim: at most 30 MB): {peak:.1f} MiB")


def main() -> None:
    args = sys.argv[1:]
    compare = Path(args.pop(args.index("--compare") + 1)).resolve() if "--compare" in args else None
    args = [a for a in args if a != "--compare"]
    runs = int(args[0]) if args else 15
    authority = trustme.CA()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ca_file = folder / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        port = free_port()
        controller = Controller(
            Sink(), hostname="127.0.0.1", port=port, tls_context=context,
            require_starttls=True, auth_require_tls=True, authenticator=authenticate,
        )  # fmt: skip
        controller.start()
        try:
            argvs = commands(folder, port, ca_file, compare)
            # .pyc files as an installed mailwiz has them (pip compiles at install time).
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["MAILWIZ_PASSWORD"] = PASSWORD
            for argv in argvs.values():  # warm the file cache and the .pyc files
                timed(argv, env)
            times: dict[str, list[float]] = {label: [] for label in argvs}
            for _ in range(runs):
                for label, argv in argvs.items():
                    times[label].append(timed(argv, env))
            peaks = {
                label: max(peak_kib(argv, env) for _ in range(3)) for label, argv in argvs.items()
            }
        finally:
            controller.stop()
    report(times, peaks, runs)


if __name__ == "__main__":
    main()
