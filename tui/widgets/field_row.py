"""One row of a form: a label on the left; the controls, a message and help on the right."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, Static

from tui.core.settings import Problem


def show_messages(target: Static, problems: Sequence[Problem]) -> None:
    """Problems as lines marked ✗ (error) or ! (warning); hidden when there are none."""
    target.display = bool(problems)
    if not problems:
        target.update("")
        return
    errors = [p for p in problems if p.severity == "error"]
    target.set_class(bool(errors), "-error")
    target.set_class(not errors, "-warning")
    target.update(
        Content("\n").join(
            Content.from_markup(
                "[b]$mark[/b] $text", mark="✗" if p.severity == "error" else "!", text=p.message
            )
            for p in problems
        )
    )


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

    def show(self, problems: Sequence[Problem], help_text: str, *, keep_help: bool = False) -> None:
        """Show what is wrong with this field; the help line only while nothing is (or
        always, with `keep_help`). Errors mark the row `-invalid`."""
        show_messages(self.query_one(".message", Static), problems)
        help_line = self.query_one(".help", Static)
        help_line.update(help_text)
        help_line.display = bool(help_text) and (not problems or keep_help)
        self.set_class(any(p.severity == "error" for p in problems), "-invalid")
