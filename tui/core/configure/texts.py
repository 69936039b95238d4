"""The sentences `mailwiz configure` says, read from texts.toml beside this file (once)."""

from __future__ import annotations

from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.configure")
