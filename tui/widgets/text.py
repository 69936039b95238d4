"""Text that came from outside (a server's reply, a file) made safe to show.

Shown through `Content(...)` or `Static(markup=False)`, so `[bold]` or `[link=...]` in a
reply stays text; control characters (ESC, BEL, CR, ...) become visible `\\xNN` escapes, so
none reaches the terminal. The core's `tui.core.redact.printable`, when present, does the
same for the command line; this is the screens' guard and never weaker than it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character escaped (newlines too, unless `keep_newlines`)."""
    if not keep_newlines:
        text = text.replace("\n", "\\n")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
