"""The wizard's dialogs, one style: a framed box in the middle, the question in bold, the
detail below, the keys on the buttons. `ConfirmDialog` asks yes/no; `KeysDialog` lists the
keys of the screen underneath (`?` / F1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui.core.texts import Texts
from tui.widgets.footer import FittingFooter

say = Texts(__package__ or "tui.dialogs")

ResultT = TypeVar("ResultT")


# The keys every screen's widgets share, which no footer has room for.
def moving_keys() -> tuple[tuple[str, str], ...]:
    return tuple((key, words) for key, words in say.raw("moving"))


_MOVING_KEYS = frozenset({"up", "down", "left", "right", "space", "enter"})


def screen_keys(app: App[Any]) -> list[tuple[str, str]]:
    """The keys of the screen in front, as (key, what it does), for `KeysDialog`: every key
    its footer shows (the focused list's too), the screen's and the app's other keys, then
    the keys for moving around, which no footer has room for."""
    keys: list[tuple[str, str]] = []
    active = [a for a in app.screen.active_bindings.values() if a.enabled]
    # What the footer shows first, in its order; then the screen's and the app's other keys
    # (the moving keys are said once, below).
    for shown in (True, False):
        for one in active:
            binding = one.binding
            own = one.node is app.screen or one.node is app
            if binding.show != shown or not (own or shown) or not binding.description:
                continue
            if not shown and binding.key in _MOVING_KEYS:
                continue
            entry = (app.get_key_display(binding), binding.description)
            hidden = ("show_keys", "app.show_keys", "keys_in_field")
            if binding.action not in hidden and entry not in keys:
                keys.append(entry)
    keys += [entry for entry in moving_keys() if entry[0] not in {key for key, _ in keys}]
    keys.append((say("help_keys"), say("help")))
    return keys


class Dialog(ModalScreen[ResultT]):
    """The frame every dialog shares (subclasses fill `#dialog`)."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    Dialog > #dialog {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $warning;
        background: $surface;
        padding: 0 1;
    }
    Dialog #question {
        text-style: bold;
        width: 1fr;
    }
    Dialog #detail {
        width: 1fr;
        margin-top: 1;
    }
    Dialog #buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    Dialog Button {
        margin-left: 2;
    }
    Dialog Button:focus {
        text-style: reverse bold;
    }
    """


class ConfirmDialog(Dialog[bool]):
    """Ask one question. `y` (or Enter on the yes button) answers True; `n`, Escape (or Enter
    on the no button) answers False."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", say("keys.yes")),
        Binding("n,escape", "answer(False)", say("keys.no")),
        Binding("left,right", "app.focus_next", say("keys.switch"), show=False),
    ]

    def __init__(
        self,
        question: str,
        detail: str = "",
        *,
        yes: str = "",
        no: str = "",
        default_yes: bool = False,
    ) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes or say("yes")
        self.no_label = no or say("no")
        self.default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Content(self.question), id="question")
            if self.detail:
                yield Static(Content(self.detail), id="detail")
            with Horizontal(id="buttons"):
                no = say("button", label=self.no_label, key="n")
                yes = say("button", label=self.yes_label, key="y")
                yield Button(no, id="no", compact=True)
                yield Button(yes, id="yes", variant="warning", compact=True)
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#yes" if self.default_yes else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class KeysDialog(Dialog[None]):
    """The keys of one screen, as (key, what it does) pairs; any of Escape, `?`, F1 or Enter
    closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,enter,q", "close", say("keys.close")),
    ]

    def __init__(self, title: str, keys: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = tuple(keys)

    def compose(self) -> ComposeResult:
        width = max((len(key) for key, _ in self.keys), default=0) + 2
        lines = [
            Content.assemble((f"{key:<{width}}", "bold"), description)
            for key, description in self.keys
        ]
        with Vertical(id="dialog"):
            yield Label(Content(self.title_text), id="question")
            yield Static(
                Content("\n").join(lines) if lines else Content(say("no_keys")), id="detail"
            )
            with Horizontal(id="buttons"):
                yield Button(say("close"), id="close", compact=True)
        yield FittingFooter()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
