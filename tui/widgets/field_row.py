"""One row of a form: a label on the left; the controls, a message and help on the right."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


class FieldRow(Horizontal):
    """`FieldRow("Port", choice, other_input, row_id="port")`: the ids `port-row`,
    `port-message` (what is wrong, set by the screen) and `port-help` (a hint)."""

    DEFAULT_CSS = """
    FieldRow {
        height: auto;
    }
    FieldRow > .field-label {
        width: 15;
        padding-right: 1;
        text-align: right;
        text-style: bold;
    }
    FieldRow.-invalid > .field-label {
        color: $text-error;
    }
    FieldRow > .field-body {
        width: 1fr;
        height: auto;
    }
    FieldRow .controls {
        height: auto;
    }
    """

    def __init__(self, label: str, *controls: Widget, row_id: str, help_text: str = "") -> None:
        super().__init__(id=f"{row_id}-row", classes="row")
        self.label = label
        self.controls = controls
        self.row_id = row_id
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        with Vertical(classes="field-body"):
            with Horizontal(classes="controls"):
                yield from self.controls
            yield Static("", id=f"{self.row_id}-message", classes="message", markup=False)
            yield Static(self.help_text, id=f"{self.row_id}-help", classes="help", markup=False)
