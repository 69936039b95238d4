"""The sentences the credentials say (stores, keyring, sign-in, app grants), read from
texts.toml beside this file when one is first said."""

from __future__ import annotations

from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.credentials")
