"""The footer of the first screen: Textual's Footer, with its keys in the screen's first frame.

Footer adds its keys after the next refresh whenever the bindings change, as they do when a
new screen focuses its first widget: the picker's first frame showed an empty footer bar,
then a second layout and frame drew the keys (about 4% of the start-up's instructions).
This one recomposes as soon as its message queue gets there, before that refresh.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class PromptFooter(Footer):
    """A Footer whose keys are drawn with the first frame of its screen."""

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Footer's own, with call_later for call_after_refresh (textual 8.2).
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_later(self.recompose)
