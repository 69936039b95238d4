"""The first screen: which service sends the email? A list, or an email address typed in.

The list is grouped under headings (personal mail, business mail, transactional senders,
other); a heading is a disabled option, so the arrow keys skip it, and `[` / `]` jump to the
previous / next group, which keeps 29 entries quick to reach on an 80x24 terminal.

The screen does not decide what comes next: it posts `ProviderScreen.Chosen` and the app
moves on (discovery for an address the catalogue does not know, guidance, the fields). It
stays underneath, so Escape comes back to it with what was typed still there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.carry import Choice
from tui.core.providers import (
    CUSTOM_ID,
    GROUPS,
    Provider,
    catalogue,
    get_provider,
    grouped,
    provider_for_address,
)
from tui.core.settings import address_problem
from tui.core.texts import Texts
from tui.widgets.footer import PromptFooter

say = Texts(__package__ or "tui.screens", "provider_texts.toml")

NAME_WIDTH = 18  # the longest name (17) and a space: hints up to 54 fit beside the scrollbar
#: The option id prefix of a group heading (never a provider id: those have no ":").
HEADING = "group:"


def choice_for_address(address: str) -> Choice | None:
    """The provider serving a typed address, or "Other SMTP server"; None if not an address."""
    text = address.strip()
    if address_problem(text):
        return None
    provider = provider_for_address(text)
    return Choice(provider or get_provider(CUSTOM_ID), text)


class ProviderList(OptionList):
    """The catalogue under group headings; Enter chooses, [ and ] jump between groups."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", say("keys.choose")),
        Binding("right_square_bracket", "next_group", say("keys.next_group")),
        Binding("left_square_bracket", "previous_group", say("keys.previous_group"), show=False),
    ]

    def _headings(self) -> list[int]:
        return [
            index
            for index in range(self.option_count)
            if (self.get_option_at_index(index).id or "").startswith(HEADING)
        ]

    def action_next_group(self) -> None:
        current = self.highlighted if self.highlighted is not None else -1
        later = [index for index in self._headings() if index > current]
        if later:
            self.highlighted = later[0] + 1
            self._show_heading()

    def action_previous_group(self) -> None:
        current = self.highlighted if self.highlighted is not None else 0
        earlier = [index for index in self._headings() if index < current - 1]
        self.highlighted = earlier[-1] + 1 if earlier else self.first_choice()
        self._show_heading()

    def _show_heading(self) -> None:
        """The group's heading at the top of the list, its first entry highlighted below."""
        self.scroll_to_highlight(top=True)
        self.call_after_refresh(self.scroll_relative, y=-1, animate=False)

    def first_choice(self) -> int:
        for index in range(self.option_count):
            if not self.get_option_at_index(index).disabled:
                return index
        return 0


class ProviderScreen(Screen[None]):
    """Pick the provider from the catalogue, or type an email address to pick it."""

    CSS_PATH = "provider.tcss"
    AUTO_FOCUS = "#providers"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", say("keys.switch"), priority=True),
        Binding("escape", "focus_list", say("keys.focus_list"), show=False),
        # f1, not "?": "?" is typed into the address field
        Binding("f1", "app.show_keys", say("keys.show_keys")),
    ]

    class Chosen(Message):
        """The user chose; the app takes it from here."""

        def __init__(self, choice: Choice) -> None:
            super().__init__()
            self.choice = choice

    def __init__(self, current: str = "", extra: Sequence[Provider] = ()) -> None:
        """`current`: the provider id of the settings being edited, highlighted in the list.
        `extra`: entries shown before the catalogue (the practice server)."""
        super().__init__()
        self.extra = tuple(extra)
        self.providers = (*extra, *catalogue())
        self.current = current

    def _options(self) -> list[Option]:
        """The extra entries first, then each group under its heading."""
        options = [Option(self._prompt(provider), id=provider.id) for provider in self.extra]
        for group, members in grouped(catalogue()):
            # A rule, not only a style: without colour a highlighted provider (underlined)
            # must not look like a heading.
            heading = Text(f"── {GROUPS[group]} ──", style="bold")
            options.append(Option(heading, id=f"{HEADING}{group}", disabled=True))
            options += [Option(self._prompt(provider), id=provider.id) for provider in members]
        return options

    def compose(self) -> ComposeResult:
        with Vertical(id="body"):
            yield Static(say("title"), id="title")
            yield Static(say("question"))
            yield ProviderList(*self._options(), id="providers")
            with Horizontal(id="address-row"):
                yield Label(say("address_label"), id="address-label")
                yield Input(placeholder=say("address_placeholder"), id="address", compact=True)
            yield Static("", id="address-feedback")
        yield PromptFooter()

    @staticmethod
    def _prompt(provider: Provider) -> Text:
        return Text.assemble((provider.name.ljust(NAME_WIDTH), "bold"), provider.hint)

    def index_of(self, provider_id: str) -> int | None:
        """The list position of a provider (headings take positions too), or None."""
        providers = self.query_one("#providers", ProviderList)
        for index in range(providers.option_count):
            if providers.get_option_at_index(index).id == provider_id:
                return index
        return None

    def on_mount(self) -> None:
        providers = self.query_one("#providers", ProviderList)
        index = self.index_of(self.current) if self.current else None
        providers.highlighted = providers.first_choice() if index is None else index

    # ------------------------------------------------------------------ choosing

    @on(OptionList.OptionSelected, "#providers")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = [provider for provider in self.providers if provider.id == event.option.id]
        if chosen:
            self.post_message(self.Chosen(Choice(chosen[0])))

    @on(Input.Changed, "#address")
    def _address_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        feedback = self.query_one("#address-feedback", Static)
        choice = choice_for_address(text) if "@" in text else None
        if choice is None:
            feedback.update("")
        elif choice.provider.id == CUSTOM_ID:
            feedback.update(
                Content.from_markup(
                    say("not_listed"),
                    domain=choice.domain,
                    host=choice.suggested_host,
                )
            )
        else:
            feedback.update(Content.from_markup(say("listed"), name=choice.provider.name))

    @on(Input.Submitted, "#address")
    def _address_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        feedback = self.query_one("#address-feedback", Static)
        if not text:
            feedback.update(say("nothing_typed"))
            return
        choice = choice_for_address(text)
        if choice is None:
            feedback.update(
                Content.from_markup("[$error]$problem[/]", problem=address_problem(text))
            )
            return
        self.post_message(self.Chosen(choice))

    def action_focus_list(self) -> None:
        self.query_one("#providers", OptionList).focus()
