"""The one error the system mail ends with: a sysexits code and a sentence from texts.toml."""

from __future__ import annotations

from tui.core.exits import SysExit


class MtaError(Exception):
    """End with this sysexits code; `message` says what happened and what to do."""

    def __init__(self, code: SysExit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def of(cls, code: SysExit, text_id: str, **values: object) -> MtaError:
        from tui.core.mta.texts import say

        return cls(code, say(text_id, **values))
