"""The save screen's store choice: where the password (API key, sign-in) goes.

The keyring is probed in a thread (it can take seconds, or hang on a locked desktop keyring);
the words for each place come from the core (tui.core.save.describe_secret). With no working
keyring the user chooses, explicitly, a password file or no stored password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import RadioSet, Static

from tui.core.settings import PasswordStore, Settings
from tui.core.texts import Texts
from tui.widgets import GlyphRadioButton

if TYPE_CHECKING:
    from tui.core.credentials import KeyringStatus

say = Texts(__package__ or "tui.screens", "save_texts.toml")


@dataclass(frozen=True)
class Probe:
    status: KeyringStatus | None  # None: no keyring needed
    where: str  # where the secret goes with the current settings, in words


def first_sentence(text: str) -> str:
    """The first sentence of an explanation (the rest is offered as choices on screen)."""
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.DOTALL)
    return match.group(1) if match else text.strip()


class SecretPlace(Vertical):
    """Where the secret goes, the keyring's problem if any, and the choice it calls for."""

    DEFAULT_CSS = "SecretPlace { height: auto; }"

    def __init__(self, settings: Settings, password: str | None, config_path: Path) -> None:
        super().__init__()
        self.settings = settings
        self.password = password
        self.config_path = config_path
        self.keyring: KeyringStatus | None = None
        self.probing = True
        self.choice: PasswordStore | None = None  # chosen when there is no working keyring

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble((self.label, "bold"), say("store.checking")), id="where-password"
        )
        yield Static("", id="keyring-problem")
        with RadioSet(id="store-choice", compact=True):
            yield GlyphRadioButton(say("store.file"), id="store-file")
            yield GlyphRadioButton(say("store.none"), id="store-none")

    def on_mount(self) -> None:
        self.query_one("#store-choice").display = False
        self.query_one("#keyring-problem").display = False

    @property
    def label(self) -> str:
        """A sign-in (OAuth) keeps a refresh token, not a password: say which it is."""
        if self._signs_in():
            return say("store.signin_label")
        return say(
            "store.api_key_label" if self.settings.protocol == "http" else "store.password_label"
        )

    @property
    def needs_choice(self) -> bool:
        return self.keyring is not None and not self.keyring.usable

    def probe(self) -> Probe:
        """The keyring's state, when the secret goes there (run in a thread: it may hang)."""
        from tui.core.credentials import check_keyring
        from tui.core.save import describe_secret, keyring_wanted

        wanted = keyring_wanted(self.settings, self.password)
        status = check_keyring() if wanted else None
        return Probe(status, describe_secret(self.settings, self.config_path))

    def probed(self, probe: Probe) -> None:
        self.probing = False
        self.keyring = probe.status
        where = self.query_one("#where-password", Static)
        if probe.status is None or probe.status.usable:
            where.update(Content.assemble((self.label, "bold"), self.where_text(probe.where)))
            return
        where.update(Content.assemble((self.label, "bold"), say("store.no_keyring")))
        problem = self.query_one("#keyring-problem", Static)
        problem.update(
            Content.assemble(
                first_sentence(probe.status.explanation), (say("store.choose_instead"), "bold")
            )
        )
        problem.display = True
        choice = self.query_one("#store-choice", RadioSet)
        choice.display = True
        # Scroll only once the choice has its place: scrolling at focus time raced the layout
        # (the body sat at either of two offsets, whichever came first).
        choice.focus(scroll_visible=False)
        self.call_after_refresh(choice.scroll_visible, animate=False)

    def failed(self) -> None:
        """The probe itself failed (the screen says why)."""
        self.probing = False

    def where_text(self, where: str) -> str:
        """Where the secret is (`where`: the place in words), as the user will read it."""
        if self._signs_in():
            return say("store.kept_in", where=where)
        if self.password is None and self.settings.smtp.username.strip():
            return say("store.unchanged", where=where)
        return where

    def focus_choice(self) -> None:
        self.query_one("#store-choice", RadioSet).focus()

    @on(RadioSet.Changed, "#store-choice")
    def _store_chosen(self, event: RadioSet.Changed) -> None:
        from tui.core.credentials import describe_store

        self.choice = "file" if event.pressed.id == "store-file" else "none"
        chosen = self.settings.copy()
        chosen.password.store = self.choice
        self.query_one("#where-password", Static).update(
            Content.assemble((self.label, "bold"), describe_store(chosen, self.config_path))
        )

    def _signs_in(self) -> bool:
        from tui.core.credentials import uses_oauth_sign_in

        return uses_oauth_sign_in(self.settings)
