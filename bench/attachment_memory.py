"""Peak memory of a send with a large attachment, through the real SMTP engine.

Prints, for 20 MB and 100 MB attachments, how much the sending process's peak RSS grew
during the send, and that growth as a multiple of the attachment's size (issue 12 asks
for at most about 2.5x). The server is a local aiosmtpd sink in its own process, so what
it buffers is not counted; each size is measured in a fresh process. Figures only, no
asserts: timings and memory belong here, not in tests.

    .venv/bin/python bench/attachment_memory.py [MB ...]
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _sink(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 2.0.0 discarded"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    controller.stop()


def _child(megabytes: int, port: int) -> None:
    from tui.core.events import SendFinished
    from tui.core.message import Attachment, Outgoing
    from tui.core.settings import SenderSettings, Settings, SmtpSettings
    from tui.core.transports.smtp.engine import send_smtp

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.bin"
        with path.open("wb") as handle:
            for _ in range(megabytes):
                handle.write(os.urandom(1 << 20))
        settings = Settings(
            smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=300),
            sender=SenderSettings(address="bench@example.com"),
        )
        outgoing = Outgoing(
            "sink@example.com", "memory", "see attached", attachments=(Attachment.from_path(path),)
        )

        async def send() -> SendFinished:
            finished = None
            async for event in send_smtp(settings, None, outgoing):
                if isinstance(event, SendFinished):
                    finished = event
            assert finished is not None
            return finished

        before = _rss_kib()
        started = time.perf_counter()
        finished = asyncio.run(send())
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grown = (peak - before) / 1024
    ratio = grown / megabytes
    status = "sent" if finished.ok else f"FAILED ({finished.failure})"
    print(
        f"{megabytes:>5} MB  peak RSS +{grown:7.1f} MB  = {ratio:4.2f}x  {seconds:5.1f} s  {status}"
    )


def main() -> None:
    if sys.argv[1:2] == ["--sink"]:
        _sink(int(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--child"]:
        _child(int(sys.argv[2]), int(sys.argv[3]))
        return
    sizes = [int(arg) for arg in sys.argv[1:]] or [20, 100]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        print("attachment  growth of the sender's peak RSS during the send (goal: <= 2.5x)")
        for megabytes in sizes:
            subprocess.run(
                [sys.executable, __file__, "--child", str(megabytes), str(port)], check=False
            )
    finally:
        if sink.stdin is not None:
            sink.stdin.close()
        sink.wait(timeout=30)


if __name__ == "__main__":
    main()
