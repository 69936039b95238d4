"""The secrets typed in the fields screen, one per place they belong to.

A password belongs to the SMTP provider it was typed for, an API key to its API (the relay's
key to the relay alone): `tui.core.carry.secret_slot` names the place. A switch of protocol
or API never shows one place's secret in another's; coming back shows the one typed there.
The stored secret, read while the form is already open, belongs to the place the form opened
with, even when the user has moved on by the time it arrives.
"""

from __future__ import annotations

from tui.core.carry import secret_slot
from tui.core.settings import Settings


class SecretKeeper:
    """The secret typed for each place; plain data, the screen shows what it says."""

    def __init__(self, settings: Settings) -> None:
        self.slot = secret_slot(settings)  # the place the secret field is for now
        self.first_slot = self.slot  # the place the form opened with
        self._kept: dict[tuple[str, str], str] = {}

    def switch(self, draft: Settings, shown: str) -> str | None:
        """The form now reads `draft`: keep `shown` for the place left and return the secret
        to show for the new place ("" at first); None while the place is the same."""
        slot = secret_slot(draft)
        if slot == self.slot:
            return None
        self._kept[self.slot] = shown
        self.slot = slot
        return self._kept.get(slot, "")

    def stored(self, password: str | None, note: str) -> tuple[str | None, str]:
        """The stored secret (and its note) arrived for the first place: what to show now.
        If the form moved on, nothing (it is kept for the first place, unless one was typed
        there)."""
        if self.slot == self.first_slot:
            return password, note
        if password is not None and not self._kept.get(self.first_slot):
            self._kept[self.first_slot] = password
        return None, ""
