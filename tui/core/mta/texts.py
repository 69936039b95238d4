"""The sentences the system mail says to its callers (texts.toml beside this file), read
only when there is something to say: a submission that goes well prints nothing."""

from __future__ import annotations

from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.mta")
