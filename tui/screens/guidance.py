"""What to do at the provider before typing the password: app passwords and the like.

The text is the core's (tui/core/diagnose/guidance.py: the page and its steps, written once
for the guidance and the diagnosis alike). Links are shown as plain text
(a browser on a server over SSH is no use) and `c` copies them to the clipboard of the
terminal the user sits at (OSC 52), which works over SSH in most terminals.

This module imports the Markdown widget, which is slow to import: the app imports this
module only when the screen is first needed, so the first screen appears fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static

from tui.core.keys import SECURITY_WORDS
from tui.core.providers import Provider
from tui.core.texts import Texts
from tui.screens.guidance_source import guidance_text, has_guidance
from tui.widgets.footer import FittingFooter

__all__ = ["GuidanceScreen", "guidance_text", "has_guidance", "links_in", "server_line"]

say = Texts(__package__ or "tui.screens", "guidance_texts.toml")

_URL_RE = re.compile(r"https?://[^\s)>\]`\\]+")


def _parser() -> MarkdownIt:
    """GitHub-like Markdown without auto-links: "Outlook.com" is a name here, not a link.
    Web addresses are written as code spans, which stand out and are copied with `c`."""
    return MarkdownIt("gfm-like").disable("linkify")


def links_in(text: str) -> list[str]:
    """The web addresses in a text, in order, each once (trailing punctuation dropped)."""
    found: list[str] = []
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(".,;:")
        if url not in found:
            found.append(url)
    return found


def server_line(provider: Provider) -> str:
    """The line under the steps: the server the wizard fills in."""
    if not provider.host:
        return ""
    line = say(
        "server",
        host=provider.host,
        port=provider.port,
        security=SECURITY_WORDS[provider.security],
    )
    others = [alt for alt in provider.alternatives if alt.host == provider.host]
    if others:
        alt = others[0]
        line += say("alternative", port=alt.port, security=SECURITY_WORDS[alt.security])
    return line


class GuidanceScreen(Screen[bool]):
    """Steps to follow at the provider. Dismisses True to go on, False to go back."""

    CSS_PATH = "guidance.tcss"
    AUTO_FOCUS = "#guidance-scroll"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,ctrl+n", "next", say("keys.next")),
        Binding("c", "copy_links", say("keys.copy_links")),
        Binding("escape", "back", say("keys.back")),
    ]

    def __init__(
        self, provider: Provider, *, continue_label: str = "", config_path: Path | None = None
    ) -> None:
        """`continue_label`: the word for going on ("Continue" when empty); `config_path`: the
        settings being edited, named in the commands a page suggests."""
        super().__init__()
        self.provider = provider
        self.text = guidance_text(provider, config_path)
        self.links = links_in(self.text)
        self.continue_label = continue_label or say("continue")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="guidance-scroll"):
            yield Markdown(self.text, id="guidance", parser_factory=_parser)
            line = server_line(self.provider)
            if line:
                yield Static(line, id="server-line", markup=False)
        links = say("hint_links") if self.links else say("hint_no_links")
        hint = say("hint", action=self.continue_label.lower(), links=links)
        yield Static(hint, id="guidance-hint")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#guidance-scroll").can_focus = True

    def action_next(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)

    def action_copy_links(self) -> None:
        if not self.links:
            self.notify(say("no_link"))
            return
        self.app.copy_to_clipboard("\n".join(self.links))
        what = say("one_link") if len(self.links) == 1 else say("links", count=len(self.links))
        self.notify(say("copied", what=what, links=" ".join(self.links)), title=say("copied_title"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_links":
            return bool(self.links)
        return True
