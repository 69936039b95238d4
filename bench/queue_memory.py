"""Peak memory of a delivery from the queue (issue 24 item 8): `mailwiz queue --flush`
delivering one queued message, and `sendmail -v` (the first attempt right after queueing,
the same delivery code as the background one, but waited for) and `queue --flush` taking
a message from the drop folder, to a local aiosmtpd server in this process, for messages
of 1, 30 and 60 MB. Prints the peak RSS of each child; then `queue --flush` to a local
HTTP server speaking as the HTTP relay and as the Postmark API (the server reads each
request in pieces, keeps nothing, and counts the bytes it got). Asserts nothing (figures,
not tests).

    .venv/bin/python bench/queue_memory.py [MB ...]
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent))
from submit import MAILWIZ, free_port, peak_rss, settings_text

from tui.core.mta.options import parse, to_record
from tui.core.mta.spool import Spool

logging.getLogger("mail.log").setLevel(logging.ERROR)


class Relay(BaseHTTPRequestHandler):
    """An HTTP relay or API that takes any POST (read in pieces, kept nowhere); a request
    without a Content-Length (chunked) is refused."""

    got: ClassVar[list[int]] = []  # the body's size of each request

    def do_POST(self) -> None:
        if "Content-Length" not in self.headers:
            self.send_error(411)
            return
        left = size = int(self.headers["Content-Length"])
        while left > 0:
            left -= len(self.rfile.read(min(left, 1 << 16)) or b"x" * left)
        self.got.append(size)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def relay_settings(port: int, api: str = "relay") -> str:
    return (
        f'version = 1\nprotocol = "http"\nprovider = "http"\n[http]\napi = "{api}"\n'
        f'url = "http://127.0.0.1:{port}/send"\n[sender]\naddress = "bench@example.org"\n'
        'reply_to = "bench@example.org"\n[local]\nadmin = "ops@example.org"\n'
        '[password]\nstore = "none"\n'
    )


class Counter:
    """Takes every message and keeps only its size."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.sizes.append(len(getattr(envelope, "original_content", b"") or b""))
        setattr(envelope, "content", b"")  # noqa: B010 (aiosmtpd keeps both copies)
        setattr(envelope, "original_content", b"")  # noqa: B010
        return "250 OK"


def message(megabytes: int) -> bytes:
    line = b"x" * 75 + b"\n"
    return b"Subject: big\n\n" + line * (megabytes * 2**20 // len(line))


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 30, 60]
    handler = Counter()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="mailwiz-bench-"))
    config = folder / "settings.toml"
    config.write_text(settings_text(port))
    env = {
        **os.environ,
        "MAILWIZ_CONFIG": str(config),
        "MAILWIZ_SPOOL": str(folder / "spool"),
        "MAILWIZ_ALIASES": str(folder / "aliases"),
    }
    queue_only = [str(MAILWIZ), "sendmail", "-odq", "-i", "root"]
    verbose = [str(MAILWIZ), "sendmail", "-v", "-i", "root"]
    flush = [str(MAILWIZ), "queue", "--flush"]
    try:
        bare = peak_rss([sys.executable, "-c", "pass"], b"", env) / 1024
        print(f"python -c pass: {bare:.1f} MB")
        for megabytes in sizes:
            data = message(megabytes)
            subprocess.run(queue_only, input=data, env=env, check=True)
            flushed = peak_rss(flush, b"", env) / 1024
            sent = peak_rss(verbose, data, env) / 1024
            # As a user who may not read the settings leaves it (PHP as www-data): the
            # runner takes it from the drop folder into the queue, then delivers it.
            record = to_record(parse(["-i", "root"]), time.time())
            Spool(folder / "spool").drop_add(record, data)
            dropped = peak_rss(flush, b"", env) / 1024
            got = [f"{s / 2**20:.1f}" for s in handler.sizes[-3:]]
            print(f"{len(data) / 2**20:5.0f} MB  queue --flush {flushed:7.1f} MB"
                  f"   sendmail -v {sent:7.1f} MB   from the drop folder {dropped:7.1f} MB"
                f"   (server got {', '.join(got)} MB)")  # fmt: skip
        relay = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        threading.Thread(target=relay.serve_forever, daemon=True).start()
        env["MAILWIZ_PASSWORD"] = "bench-key"  # the API key (the relay sends it as Bearer)
        for api in ("relay", "postmark"):  # the message's text in one request body
            config.write_text(relay_settings(relay.server_address[1], api))
            for megabytes in sizes:
                subprocess.run(queue_only, input=message(megabytes), env=env, check=True)
                peak = peak_rss(flush, b"", env) / 1024
                got = Relay.got[-1] / 2**20 if Relay.got else 0
                print(f"{megabytes:5d} MB  queue --flush to the HTTP {api:8s} {peak:7.1f} MB"
                      f"   (server got {got:.1f} MB)")  # fmt: skip
        relay.shutdown()
    finally:
        controller.stop()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
