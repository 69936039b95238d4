"""A unix datagram socket standing in for /dev/log ($MAILWIZ_SYSLOG), as a fixture every test
module may ask for (`syslog`): the system-mail tests read what mailwiz logged."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


class SyslogReader:
    """A unix datagram socket standing in for /dev/log ($MAILWIZ_SYSLOG)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.seen: list[str] = []

    def lines(self) -> list[str]:
        """Everything logged so far (the senders have exited: all of it has arrived)."""
        while True:
            try:
                self.seen.append(self.sock.recv(65536).decode("utf-8"))
            except BlockingIOError:
                return self.seen


@pytest.fixture
def syslog(tmp_path: Path) -> Iterator[SyslogReader]:
    reader = SyslogReader(tmp_path / "log")
    yield reader
    reader.sock.close()
