"""The wizard's footers: Textual's Footer showing only the keys that fit whole.

`FittingFooter`: at 60 columns Textual's Footer cut the last key mid-word ("^q Qui"); this
one leaves out the keys that do not fit (all of them are in the F1 list anyway).

`PromptFooter`, the first screen's: its keys come with the screen's first frame. Footer adds
its keys after the next refresh whenever the bindings change, as they do when a new screen
focuses its first widget: the picker's first frame showed an empty footer bar, then a second
layout and frame drew the keys (about 4% of the start-up's instructions). This one
recomposes as soon as its message queue gets there, before that refresh.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer


def _cells(item: object) -> int:
    """What one of the Footer's keys takes: " key " and "description " (its padding); 0
    for anything else it holds."""
    shown, words = getattr(item, "key_display", None), getattr(item, "description", None)
    if not isinstance(shown, str) or not isinstance(words, str):
        return 0
    return Content(shown).cell_length + 2 + Content(words).cell_length + 1


class FittingFooter(Footer):
    """A Footer that leaves out the keys that would be cut, in the order it shows them."""

    _fitted_width = 0

    def compose(self) -> ComposeResult:
        width = self.size.width
        self._fitted_width = width
        used = 0
        for item in list(super().compose()):
            cells = _cells(item) if width > 0 else 0
            used += cells
            if cells and used > width:
                continue
            yield item

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:
            self.call_later(self.recompose)


class PromptFooter(FittingFooter):
    """A FittingFooter whose keys are drawn with the first frame of its screen."""

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Footer's own, with call_later for call_after_refresh (textual 8.2).
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_later(self.recompose)


__all__ = ["FittingFooter", "PromptFooter"]
