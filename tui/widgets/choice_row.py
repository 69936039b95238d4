"""A one-line choice of a few options: `(•) 465  ( ) 587  ( ) 25  ( ) Other`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.core.texts import Texts

say = Texts(__package__ or "tui.widgets")

ON = "(•)"
OFF = "( )"
GAP = "  "
# In 16 colours and without colour, bold or underline alone may not show (TERM=linux): the
# focused row is marked in its first column, so which group the arrows change is plain.
FOCUS_MARK = "▸ "
NO_MARK = "  "


class ChoiceRow(Widget, can_focus=True):
    """Exactly one of `options` is chosen; the glyph shows which, so it reads without colour.

    Left/right (and home/end, a click) choose at once and post `Changed`; up/down are left
    to the screen, to move between fields. `choose()` sets the choice from code, silently.
    """

    DEFAULT_CSS = """
    ChoiceRow {
        width: auto;
        height: 1;
        pointer: pointer;
    }
    ChoiceRow > .choice-row--chosen {
        text-style: bold;
        color: $text-success;
    }
    ChoiceRow:focus > .choice-row--chosen {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    ChoiceRow:ansi:focus > .choice-row--chosen {
        text-style: reverse bold;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice-row--chosen"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "step(1)", say("choice_row.keys.next"), show=False),
        Binding("left", "step(-1)", say("choice_row.keys.previous"), show=False),
        Binding("home", "pick(0)", say("choice_row.keys.first"), show=False),
        Binding("end", "pick(-1)", say("choice_row.keys.last"), show=False),
    ]

    index: reactive[int] = reactive(0)

    class Changed(Message):
        """The user chose another option."""

        def __init__(self, choice_row: ChoiceRow, index: int) -> None:
            super().__init__()
            self.choice_row = choice_row
            self.index = index

        @property
        def control(self) -> ChoiceRow:
            return self.choice_row

    def __init__(
        self,
        options: Sequence[str],
        *,
        index: int = 0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        if not options:
            raise ValueError("a ChoiceRow needs at least one option")
        self.options = tuple(options)
        self.set_reactive(ChoiceRow.index, self._clamp(index))

    @property
    def value(self) -> str:
        """The chosen option's text."""
        return self.options[self.index]

    def _clamp(self, index: int) -> int:
        return index % len(self.options)

    def choose(self, index: int) -> None:
        """Choose an option from code, without a Changed message."""
        self.set_reactive(ChoiceRow.index, self._clamp(index))
        self.refresh()

    def _pick(self, index: int) -> None:
        index = self._clamp(index)
        if index != self.index:
            self.index = index
            self.post_message(self.Changed(self, index))

    def action_step(self, delta: int) -> None:
        self._pick(self.index + delta)

    def action_pick(self, index: int) -> None:
        self._pick(index)

    @property
    def _marked(self) -> bool:
        """Few colours (or none): the focus gets a mark, not only a style."""
        return bool(self.app.ansi_color or self.app.no_color)

    def _spans(self) -> list[tuple[int, int]]:
        """(start, end) cell columns of each option, mark included."""
        spans: list[tuple[int, int]] = []
        start = len(NO_MARK) if self._marked else 0
        for option in self.options:
            end = start + len(ON) + 1 + Content(option).cell_length
            spans.append((start, end))
            start = end + len(GAP)
        return spans

    def render(self) -> Content:
        chosen = self.get_visual_style("choice-row--chosen")
        parts: list[Content] = []
        for number, option in enumerate(self.options):
            text = Content(f"{ON if number == self.index else OFF} {option}")
            parts.append(text.stylize(chosen) if number == self.index else text)
        row = Content(GAP).join(parts)
        if self._marked:
            row = Content.assemble((FOCUS_MARK, "bold") if self.has_focus else NO_MARK, row)
        return row

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._spans()[-1][1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for number, (start, end) in enumerate(self._spans()):
            if start <= offset.x < end:
                self._pick(number)
                return
