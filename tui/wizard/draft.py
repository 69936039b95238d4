"""What the user has typed so far in the wizard, kept while they go back and forth between
the screens: the draft settings and password, the password read from the store at the start
(and the note the form shows about it), and what a save passes on.

Plain Python: the app holds one `Draft` and tells it what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.core.texts import Texts

if TYPE_CHECKING:
    from tui.core.credentials import PasswordLookup
    from tui.core.settings import Settings
    from tui.screens.fields import FieldsScreen
    from tui.screens.fields_model import FormResult

say = Texts(__package__ or "tui.wizard")


@dataclass
class Draft:
    """The wizard's draft. `initial`: the settings file's settings (None for new ones)."""

    initial: Settings | None
    settings: Settings | None = None  # the form's settings when the user went back
    password: str = field(default="", repr=False)
    stored_password: str | None = field(default=None, repr=False)  # read from the store
    password_note: str = ""  # the line under the password field
    password_read: bool = False  # the stored password's reading is over (or not needed)
    carried: str = ""  # what was kept from the provider before, said on the next form
    dirty: bool = False  # a form was changed and left with Escape
    saved: bool = False
    last_result: FormResult | None = None  # the form's last submission
    test_to: str = ""  # the test send's recipient, offered again

    @property
    def base(self) -> Settings | None:
        """What a new choice of provider starts from: the draft, else the file's settings."""
        return self.settings or self.initial

    def reading(self, stored_password: bool) -> None:
        """The settings file's settings open: their stored password is being read (the form
        shows it pending), or, without one (a person's sign-in), there is none to read."""
        if stored_password:
            self.password_note = say("draft.reading")
        else:
            self.password_read = True

    def forget_secret(self, base: Settings | None, settings: Settings) -> None:
        """Another provider: the password (or key) typed or stored for the one before is not
        offered to it; a username kept from before is said on the form."""
        self.password = ""
        self.password_note = ""
        self.carried = ""
        username = settings.smtp.username
        if base is not None and username and base.smtp.username == username:
            self.carried = say("draft.carried_username", username=username)

    def take_carried(self) -> str:
        """The carried-username note, said once (on the form that opens next)."""
        carried, self.carried = self.carried, ""
        return carried

    def form_closed(self, result: FormResult) -> None:
        """Escape on the fields: keep what was typed for when a provider is chosen again."""
        if result.dirty:
            self.dirty = True
        self.settings = result.settings
        self.password = result.password

    def submitted(self, result: FormResult) -> None:
        self.last_result = result
        self.password = result.password

    def unsaved(self, form: FieldsScreen | None) -> bool:
        """Whether quitting now loses something typed: a form left changed, or `form` (the
        one open, if any) changed."""
        if self.saved:
            return False
        return self.dirty or (form is not None and form.is_dirty())

    def edits_initial_provider(self, current: Settings | None) -> bool:
        """Whether the form in use (`current`; None: the draft's) is still for the provider
        the settings file names."""
        current = current or self.base
        initial = self.initial
        return (
            current is not None
            and initial is not None
            and (current.provider, current.protocol) == (initial.provider, initial.protocol)
        )

    def password_found(
        self, lookup: PasswordLookup, current: Settings | None
    ) -> tuple[str | None, str]:
        """The stored password was read: the password the form gets (None: none) and the note
        under it. `current`: the form's settings (None: the draft's); when they are no longer
        for the file's provider, the password is not theirs and the form gets none, no note."""
        self.password_read = True
        self.stored_password = lookup.password
        if not self.edits_initial_provider(current):
            return None, ""
        self.password_note = password_note(lookup)
        if lookup.password is not None and not self.password:
            self.password = lookup.password
        return lookup.password, self.password_note

    def password_unreadable(self) -> str:
        """The stored password could not be read: the note under the field."""
        self.password_read = True
        self.password_note = say("draft.unreadable")
        return self.password_note

    def secret_to_save(self, result: FormResult) -> str | None:
        """The secret the save screen passes on; None keeps the stored one."""
        from tui.core.save import secret_to_save

        return secret_to_save(result.settings, result.password, self.initial, self.stored_password)


def password_note(lookup: PasswordLookup) -> str:
    """A line under the password field saying where the filled-in password came from."""
    if lookup.password is not None:
        where = say.raw("draft.password_from")
        note = say("draft.found", where=where.get(lookup.source, where["stored"]))
        return f"{note} {lookup.warning}" if lookup.warning else note
    if lookup.problem:
        # Where it was looked for, not the core's whole explanation: saving says that.
        reasons = say.raw("draft.problem")
        return str(reasons.get(lookup.source, reasons["none"]))
    return ""
