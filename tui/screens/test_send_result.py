"""The lines around the test screen's stages: the recipient above (what the user gives), the
result line below (what to do before a send, during it, and the verdict after: the server
accepted the message, or the diagnosis's title and where to read more)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label, Static

from tui.core.texts import Texts
from tui.screens.test_send_stages import MARK_FAILED, MARK_OK
from tui.widgets.text import printable

if TYPE_CHECKING:
    from tui.core.diagnose import Diagnosis

say = Texts(__package__ or "tui.screens", "test_send_texts.toml")

# Stages from which on the server may hold (part of) the message.
_MESSAGE_STAGES = ("data", "quit", "post", "response")


class RecipientRow(Horizontal):
    """Where the test goes: an address field, locked while a send runs."""

    def __init__(self, address: str) -> None:
        super().__init__(id="recipient-row")
        self._initial = address

    def compose(self) -> ComposeResult:
        yield Label(say("recipient_label"))
        yield Input(
            self._initial,
            id="to",
            compact=True,
            placeholder=say("recipient_placeholder"),
            select_on_focus=False,
        )

    @property
    def address(self) -> str:
        return self.query_one("#to", Input).value.strip()

    @property
    def locked(self) -> bool:
        return self.query_one("#to", Input).disabled

    @locked.setter
    def locked(self, locked: bool) -> None:
        self.query_one("#to", Input).disabled = locked

    def edit(self) -> None:
        """Unlocked, with the focus in the field."""
        field = self.query_one("#to", Input)
        field.disabled = False
        field.focus()


class ResultLine(Static):
    """One line (or two) under the stages, coloured by what it says."""

    def __init__(self) -> None:
        super().__init__(Content.from_markup(say("ready")), id="result")

    def show(self, text: str, kind: str) -> None:
        """`kind`: running, ok, failed, error (the user's input) or cancelled."""
        self.set_classes(f"-{kind}")
        self.update(Content(text))

    def problem(self, text_id: str, **values: object) -> None:
        self.show(say(text_id, **values), "error")

    def sending(self) -> None:
        self.show(say("sending"), "running")

    def cancelled(self, stage: str) -> None:
        """Cancelled during `stage`: from the message on, the server may hold part of it."""
        text_id = "cancelled_in_message" if stage in _MESSAGE_STAGES else "cancelled"
        self.show(say(text_id), "cancelled")

    def accepted(self, who: str, to: str) -> None:
        """`who`: "the server", "the Postmark API"."""
        self.show(say("accepted", mark=MARK_OK, who=who[:1].upper() + who[1:], to=to), "ok")

    def failed(self, diagnosis: Diagnosis | None) -> None:
        title = printable(diagnosis.title) if diagnosis else say("failed_untitled")
        self.show(say("failed", mark=MARK_FAILED, title=title), "failed")
