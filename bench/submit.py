"""The sendmail entry's cost to its caller: one submission (`sendmail -i root`, which queues
and returns, delivering in the background; and `-odq`, queue only) beside a bare
`python -c pass`, runs alternating so load affects all alike; then the peak memory of a
submission and of a delivery of a 30 MB message. Prints medians; asserts nothing (figures,
not tests). `--before DIR` adds the same two submissions run from another checkout's `tui`
(e.g. `git archive main | tar -x -C DIR`), in the same passes, so before and after are paired.

    .venv/bin/python bench/submit.py [RUNS] [--before DIR]
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.ERROR)
MAILWIZ = Path(sys.executable).with_name("mailwiz")
BIG = 30 * 1024 * 1024


class Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_text(port: int) -> str:
    return (
        'version = 1\nprotocol = "smtp"\nprovider = "custom"\n\n[smtp]\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "none"\nusername = ""\n\n[sender]\n'
        'address = "bench@example.org"\n\n[local]\nadmin = "ops@example.org"\n\n'
        '[password]\nstore = "none"\n'
    )


def measured(argv: list[str], data: bytes, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, from the children's resource usage) and the
    children's peak RSS so far (KiB) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, input=data, env=env, check=False, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss


def settle(spool: Path, limit: float = 30.0) -> None:
    """Wait until no process works on this spool (a background delivery is detached): its
    CPU must not overlap, and so inflate, the next measurement."""
    marker = f"\0MAILWIZ_SPOOL={spool}\0".encode()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                busy = marker in b"\0" + Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if busy:
                break
        if not busy:
            return
        time.sleep(0.02)


def peak_rss(argv: list[str], data: bytes, env: dict[str, str]) -> int:
    """Peak RSS (KiB) of one process, from a fresh interpreter that runs it."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdin=sys.stdin, check=False)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], input=data, env=env, capture_output=True,
        check=False,
    )  # fmt: skip
    return int(done.stdout.decode().split()[-1])


def main() -> None:
    words = sys.argv[1:]
    before = words[words.index("--before") + 1] if "--before" in words else None
    before = str(Path(before).resolve()) if before else None
    runs = int(words[0]) if words and words[0].isdigit() else 15
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="mailwiz-bench-"))
    os.chdir(folder)  # `python -c` puts the current folder first on sys.path: not a checkout
    config = folder / "settings.toml"
    config.write_text(settings_text(port))
    config.chmod(0o600)  # as mailwiz saves it (readable by others, each run warns about it)
    # .pyc files as an installed mailwiz has them (pip compiles at install time); this machine
    # sets PYTHONDONTWRITEBYTECODE, which would leave mailwiz compiling its modules each run.
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "MAILWIZ_CONFIG": str(config),
        "MAILWIZ_SPOOL": str(folder / "spool"),
        "MAILWIZ_ALIASES": str(folder / "aliases"),
    }
    message = b"Subject: bench\n\nhello\n"
    sendmail = [str(MAILWIZ), "sendmail", "-i", "root"]
    queue_only = [str(MAILWIZ), "sendmail", "-odq", "-i", "root"]
    bare = [sys.executable, "-c", "pass"]
    # The other checkout's entry point, as its `mailwiz` script would run it.
    launch = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]
    old_env = {**env, "PYTHONPATH": before or ""}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c pass": (bare, env),
        "sendmail": (sendmail, env),
        "sendmail -odq": (queue_only, env),
    }
    if before:
        commands["sendmail (before)"] = ([*launch, *sendmail[1:]], old_env)
        commands["sendmail -odq (before)"] = ([*launch, *queue_only[1:]], old_env)
    rows: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
    try:
        for argv, environ in list(commands.values())[1:]:  # warm the caches, write .pyc files
            measured(argv, message, environ)
        for _ in range(runs):
            for name, (argv, environ) in commands.items():
                rows[name].append(measured(argv, message, environ))
                settle(folder / "spool")
        base = statistics.median(w for w, _c, _m in rows["python -c pass"])
        print(f"{runs} runs each, alternating (medians; CPU = user + system):")
        for name, values in rows.items():
            wall = statistics.median(w for w, _c, _m in values)
            cpu = statistics.median(c for _w, c, _m in values)
            least = min(c for _w, c, _m in values)  # steadier than the median under load
            print(f"  {name:<22} wall {wall * 1000:7.1f} ms ({wall / base:4.2f}x)"
                  f"  cpu {cpu * 1000:7.1f} ms (min {least * 1000:5.1f})")  # fmt: skip
        subprocess.run([str(MAILWIZ), "queue", "--flush"], env=env, check=False,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        big = b"Subject: big\n\n" + (b"x" * 75 + b"\n") * (BIG // 76)
        print(f"peak memory (RSS), a {len(big) / 2**20:.0f} MB message:")
        print(f"  python -c pass           {peak_rss(bare, b'', env) / 1024:7.1f} MB")
        print(f"  sendmail -odq (queue)    {peak_rss(queue_only, big, env) / 1024:7.1f} MB")
        flush = [str(MAILWIZ), "queue", "--flush"]
        print(f"  queue --flush (deliver)  {peak_rss(flush, b'', env) / 1024:7.1f} MB")
    finally:
        controller.stop()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
