"""Waiting for a condition, never for a fixed time: the one pair of polling helpers.

A test that needs something to happen (a worker to finish, a server to see a poll, a queue
file to appear) waits until it has, up to a generous limit that only a failure reaches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# seconds: far above any healthy wait (a loaded 2-core CI), so only a failure reaches it
LIMIT = 60.0


def wait_until(condition: Callable[[], object], timeout: float = LIMIT) -> None:
    """Block until `condition()` is true (threads, other processes)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition}")
        time.sleep(0.01)


async def eventually(condition: Callable[[], object], timeout: float = LIMIT) -> None:
    """Await until `condition()` is true, letting the event loop (and a Pilot app) run."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition}")
        await asyncio.sleep(0.01)
