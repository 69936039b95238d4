"""A server that runs between `start()` and `stop()`, also as a `with` block.

The practice SMTP server (`practice.py`) and the practice authorization server
(`oauth_practice/server.py`) share this: `with Server() as server:` starts it and always
stops it, whatever ends the block.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Running:
    """Subclasses define `start()` and `stop()`; `stop()` must be safe to call twice."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
