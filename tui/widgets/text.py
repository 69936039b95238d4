"""Text that came from outside (a server's reply, a DNS answer, a file) made safe to show.

Shown through `Content(...)` or `Static(markup=False)`, so `[bold]` or `[link=...]` in a
reply stays text; control characters and escape sequences (ESC, BEL, CSI, OSC, line
separators) become visible escapes (`\\x1b`), so none reaches the terminal. The rule is the
core's (`tui.core.redact.printable`), the same the command line uses.
"""

from __future__ import annotations

from tui.core.redact import printable as _printable


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character escaped (newlines too, unless `keep_newlines`)."""
    return _printable(text, multiline=keep_newlines)
