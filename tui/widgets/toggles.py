"""A checkbox and a radio button whose glyph says their state: `[X]`/`[ ]`, `(•)`/`( )`.

Textual's own draw the same glyph on and off and tell them apart by colour only, which is
lost in 16 colours, in monochrome (NO_COLOR) and for many eyes.
"""

from __future__ import annotations

from typing import ClassVar

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


def _render(button: Checkbox | RadioButton, mark: str) -> Content:
    mark_style = button.get_visual_style("toggle--button")
    label_style = button.get_visual_style("toggle--label")
    return Content.assemble((mark, mark_style), button.label.pad(1, 1).stylize_before(label_style))


_CSS = """
& > .toggle--button {
    color: $foreground-muted;
    background: transparent;
}
&.-on > .toggle--button {
    color: $text-success;
    background: transparent;
    text-style: bold;
}
"""


class GlyphCheckbox(Checkbox):
    """A Checkbox drawn `[X] label` when ticked and `[ ] label` when not."""

    DEFAULT_CSS = "GlyphCheckbox {" + _CSS + "}"
    MARKS: ClassVar[tuple[str, str]] = ("[ ]", "[X]")

    def render(self) -> Content:
        return _render(self, self.MARKS[self.value])


class GlyphRadioButton(RadioButton):
    """A RadioButton drawn `(•) label` when chosen and `( ) label` when not."""

    DEFAULT_CSS = "GlyphRadioButton {" + _CSS + "}"
    MARKS: ClassVar[tuple[str, str]] = ("( )", "(•)")

    def render(self) -> Content:
        return _render(self, self.MARKS[self.value])
