"""The wizard's own keys, whatever the screen: quit (`ctrl+q`, `q`: asking first when
something typed would be lost, tui.wizard.quitting), the keys of the screen in front in a
dialog (`?` / F1; in a text field "?" is typed as text, so the footer names F1 there), and
Tab, which moves on before the keys typed after it are handed out.

`WizardKeys` is the App the wizard (tui.app.MailwizApp) builds on; the wizard says whether
anything is unsaved and which exit code it ends with.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from tui.core.texts import Texts
from tui.wizard import quitting

say = Texts("tui.wizard")


class WizardKeys(App[int]):
    """An App with the wizard's keys; `has_unsaved_changes` and `exit_code` are the wizard's."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("q", "quit", "Quit", show=False),
        # In a text field "?" is typed as text: the footer names F1 there.
        Binding("f1", "keys_in_field", "Keys"),
        Binding("f1,question_mark", "show_keys", "Keys", show=False),
        # Tab moves on in the app's own queue, before the keys typed after it are handed out:
        # a burst (a password manager's auto-type, a paste with a tab) would otherwise reach
        # the field it left, as the field passes Tab up to the screen only afterwards.
        Binding("tab", "focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True),
    ]

    def has_unsaved_changes(self) -> bool:
        """Whether quitting now loses something the user typed (asked first if so)."""
        return False

    def exit_code(self) -> int:
        return quitting.EXIT_OK

    async def action_quit(self) -> None:
        """Every way of quitting comes here: one question, asked only when something the
        user typed would be lost."""
        quitting.quit_asking(self, unsaved=self.has_unsaved_changes(), code=self.exit_code)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keys_in_field":
            from textual.widgets import Input

            return isinstance(self.focused, Input)
        return True

    def action_keys_in_field(self) -> None:
        self.action_show_keys()

    def action_show_keys(self) -> None:
        """`?` / F1: the keys of the screen in front, in a dialog titled with its name."""
        from tui.dialogs.confirm import KeysDialog, screen_keys

        if isinstance(self.screen, KeysDialog):
            return
        keys = screen_keys(self)
        names: dict[str, str] = say.raw("keys.screens")
        screen = names.get(type(self.screen).__name__, say("keys.other_screen"))
        self.push_screen(KeysDialog(say("keys.title", screen=screen), keys))
