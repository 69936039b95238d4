"""Find my settings: the search for an address's SMTP server, one layer at a time, live.

The app opens this screen when the typed address's domain is not in the catalogue. The
search (tui.core.discover.engine) runs as an async worker on the app's loop, so Escape cancels it
at once whatever the network does; each layer appears as a line ("Looking up
configuration: ...") with a tick or a dash and what it found. The screen then shows the
answer and why mailwiz thinks so, and dismisses with a `Discovered` (None: back to the
picker). It decides nothing about the fields: the app fills them in.

tui.core.discover.engine (dnspython, httpx) is slow to import: it is imported in a thread when the
search starts, so neither the first screen nor this one waits for it.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker

from tui.core.keys import SECURITY_WORDS
from tui.core.texts import Texts
from tui.widgets.footer import FittingFooter
from tui.widgets.text import printable

if TYPE_CHECKING:
    from tui.core.discover import DiscoveryEvent, Suggestion

say = Texts(__package__ or "tui.screens", "discover_texts.toml")

State = Literal["running", "found", "confirm", "none"]

MARK_FOUND = "✓"
MARK_NOTHING = "–"
MARK_RUNNING = "…"


def format_seconds(seconds: float) -> str:
    """A layer's duration for people: "12 ms", "3.0 s"."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def domain_of(address: str) -> str:
    return address.strip().rpartition("@")[2].strip().lower().rstrip(".")


@dataclass(frozen=True)
class Discovered:
    """How the search ended, for the app to fill the fields with.

    suggestion: the settings to use (confirmed by the user when they needed it), or None
                when nothing was found or the user refused it: then "Other SMTP server"
                with `fallback_host`;
    note:       one or two sentences for the fields screen: where the settings came from.
    """

    address: str
    suggestion: Suggestion | None
    fallback_host: str
    note: str


def server_words(suggestion: Suggestion) -> str:
    """ "smtp.gmail.com, port 465, TLS from the first byte" """
    security = SECURITY_WORDS.get(suggestion.security, suggestion.security)
    return say("server", host=suggestion.host, port=suggestion.port, security=security)


class LayerLine(Horizontal):
    """One layer of the search: a mark, what is looked up, and what came of it."""

    def __init__(
        self, layer: str, description: str, *, found: bool | None = None, detail: str = ""
    ) -> None:
        super().__init__(classes="layer-line")
        self.layer_name = layer
        self.description = description
        self.found = found
        self.detail = detail
        self.time_text = ""
        self.started = time.monotonic()
        self._set_classes()

    def compose(self) -> ComposeResult:
        yield Static(self._mark(), classes="mark", markup=False)
        with Vertical(classes="layer-text"):
            yield Static(self.description, classes="description", markup=False)
            yield Static(self._detail(), classes="detail")

    def _mark(self) -> str:
        if self.found is None:
            return MARK_RUNNING
        return MARK_FOUND if self.found else MARK_NOTHING

    def _detail(self) -> Content:
        if self.found is None:
            return Content.assemble(say("looking"), ("  " + self.time_text, "dim"))
        text = Content(printable(self.detail))  # DNS and autoconfig text: from outside
        if self.time_text:
            text = Content.assemble(text, ("  " + self.time_text, "dim"))
        return text

    def _set_classes(self) -> None:
        self.set_class(self.found is None, "-running")
        self.set_class(self.found is True, "-found")
        self.set_class(self.found is False, "-nothing")

    def tick(self, time_text: str) -> None:
        """While the layer runs: how long it has been running, so a slow look-up shows."""
        self.time_text = time_text
        if self.is_mounted and self.found is None:
            self.query_one(".detail", Static).update(self._detail())

    def finish(self, found: bool, detail: str, time_text: str = "") -> None:
        self.found = found
        self.detail = detail
        self.time_text = time_text
        self._set_classes()
        if self.is_mounted:
            self.query_one(".mark", Static).update(self._mark())
            self.query_one(".detail", Static).update(self._detail())


class Verdict(Vertical):
    """Under the layers: the search's answer, why mailwiz thinks so, and what the keys do."""

    def __init__(self) -> None:
        super().__init__(id="result")

    def compose(self) -> ComposeResult:
        yield Static(say("searching"), id="verdict")
        yield Static("", id="why", markup=False)
        yield Static("", id="next")

    def on_mount(self) -> None:
        self.query_one("#why").display = False
        self.query_one("#next").display = False

    def nothing(self, domain: str, why: str, fallback_host: str) -> None:
        self._show(
            Content.from_markup(say("none_verdict"), mark=MARK_NOTHING, domain=domain),
            why,
            Content.from_markup(say("none_next"), host=printable(fallback_host)),
        )

    def confirm(self, suggestion: Suggestion, fallback_host: str) -> None:
        server = printable(server_words(suggestion))
        self._show(
            Content.from_markup(say("confirm_verdict"), server=server),
            printable(suggestion.why),
            Content.from_markup(say("confirm_next"), host=printable(fallback_host)),
        )

    def found(self, suggestion: Suggestion) -> None:
        verdict = Content.from_markup(
            say("found_verdict"),
            mark=MARK_FOUND,
            server=printable(server_words(suggestion)),
            name=provider_name(suggestion),
        )
        self._show(verdict, printable(suggestion.why), Content.from_markup(say("found_next")))

    def _show(self, verdict: Content, why: str, next_step: Content) -> None:
        self.query_one("#verdict", Static).update(verdict)
        self.query_one("#why", Static).update(why)
        self.query_one("#next", Static).update(next_step)
        self.query_one("#why").display = self.query_one("#next").display = True


def nothing_found_text(dns_failures: tuple[str, ...], tried: tuple[str, ...]) -> str:
    """Why nothing was found: DNS failures, a search stopped early, or nothing to find."""
    from tui.core.discover import DNS_CAVEAT, LAYERS

    if dns_failures:
        failed = "; ".join(printable(line) for line in dns_failures[:3])
        extra = len(dns_failures) - 3
        more = say("dns_failed_more", count=extra) if extra > 0 else ""
        return say("dns_failed", failed=failed, more=more, caveat=DNS_CAVEAT)
    if 0 < len(tried) < len(LAYERS):
        # Only a domain that does not exist stops the search before its last layer.
        return say("stopped_early")
    return say("nothing_found")


def provider_name(suggestion: Suggestion) -> str:
    from tui.core.providers import get_provider

    try:
        return get_provider(suggestion.provider_id).name
    except KeyError:
        return suggestion.provider_id


class DiscoverScreen(Screen[Discovered | None]):
    """Search for the settings of `address`; dismisses Discovered, or None on Escape.

    options: keyword arguments for tui.core.discover.engine.discover (a resolver, a hosts table,
             ports...: how tests keep the search on 127.0.0.1); empty for the real network.
    time_format: turns each layer's duration into text (a fixed one makes snapshots stable).
    """

    CSS_PATH = "discover.tcss"
    AUTO_FOCUS = "#layers"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", say("keys.back")),
        Binding("escape", "back_after", say("keys.back_after")),
        Binding("enter", "accept", say("keys.accept")),
        Binding("y", "use", say("keys.use")),
        Binding("n", "refuse", say("keys.refuse")),
    ]

    def __init__(
        self,
        address: str,
        options: Mapping[str, object] | None = None,
        *,
        time_format: Callable[[float], str] = format_seconds,
    ) -> None:
        super().__init__()
        self.address = address.strip()
        self.domain = domain_of(self.address)
        self.options = dict(options or {})
        self._time_format = time_format
        self.state: State = "running"
        self.suggestion: Suggestion | None = None
        self.fallback_host = f"smtp.{self.domain}"
        self.tried: tuple[str, ...] = ()
        self.dns_failures: tuple[str, ...] = ()
        self.not_run: tuple[tuple[str, str], ...] = ()  # layers the time limit left out
        self.problem = ""  # why the search itself could not run, if it could not
        self.worker: Worker[None] | None = None
        self._lines: dict[str, LayerLine] = {}
        self._ticker: Timer | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(
            Content.from_markup(say("title"), address=self.address),
            id="title",
        )
        yield VerticalScroll(id="layers")
        yield Verdict()
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#layers").can_focus = True
        self.worker = self.run_worker(
            self._search(), name="discover", exit_on_error=False, exclusive=True
        )
        self._ticker = self.set_interval(0.5, self._tick)

    def _tick(self) -> None:
        if self.state != "running":
            if self._ticker is not None:
                self._ticker.stop()
            return
        now = time.monotonic()
        for line in self._lines.values():
            if line.found is None:
                line.tick(self._time_format(now - line.started))

    # ------------------------------------------------------------------ the search

    async def _search(self) -> None:
        try:
            module = await asyncio.to_thread(importlib.import_module, "tui.core.discover.engine")
            events = module.discover(self.address, **self.options)
            async for event in events:
                await self._show(event)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # an address discovery cannot read, a bad option...
            if self.state == "running":
                reason = str(error) or type(error).__name__
                self.problem = say("could_not_run", reason=reason)
                self._finish(None, (), self.fallback_host)

    async def _show(self, event: DiscoveryEvent) -> None:
        from tui.core.discover import DiscoveryFinished, LayerEnded, LayerStarted

        if isinstance(event, LayerStarted):
            line = LayerLine(event.layer, event.description)
            self._lines[event.layer] = line
            layers = self.query_one("#layers", VerticalScroll)
            await layers.mount(line)
            layers.scroll_end(animate=False)
        elif isinstance(event, LayerEnded):
            line = self._lines[event.layer]
            line.finish(event.found, event.detail, self._time_format(event.seconds))
            self.query_one("#layers", VerticalScroll).scroll_end(animate=False)
        elif isinstance(event, DiscoveryFinished):
            self.dns_failures = event.dns_failures
            self.not_run = event.not_run
            self._finish(event.suggestion, event.tried, event.fallback_host)

    def _finish(
        self, suggestion: Suggestion | None, tried: tuple[str, ...], fallback_host: str
    ) -> None:
        self.suggestion = suggestion
        self.tried = tried
        self.fallback_host = fallback_host
        # Layers the time limit left no room for never started: show them too.
        layers = self.query_one("#layers", VerticalScroll)
        for description, why in self.not_run:
            line = LayerLine("", description, found=False, detail=why)
            self._lines[f"not-run-{len(self._lines)}"] = line
            layers.mount(line)
        for line in self._lines.values():
            if line.found is None:
                line.finish(False, say("stopped"))
        layers.scroll_end(animate=False)

        verdict = self.query_one(Verdict)
        if suggestion is None:
            self._set_state("none")
            why = self.problem or nothing_found_text(self.dns_failures, tried)
            verdict.nothing(self.domain, why, fallback_host)
        elif suggestion.needs_confirmation:
            self._set_state("confirm")
            verdict.confirm(suggestion, fallback_host)
        else:
            self._set_state("found")
            verdict.found(suggestion)

    def _set_state(self, state: State) -> None:
        self.state = state
        self.set_class(state == "running", "-running")
        self.set_class(state == "found", "-found")
        self.set_class(state == "confirm", "-confirm")
        self.set_class(state == "none", "-none")
        self.refresh_bindings()

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.state == "running"
        if action == "back_after":
            return self.state != "running"
        if action == "accept":
            return self.state in ("found", "none")
        if action in ("use", "refuse"):
            return self.state == "confirm"
        return True

    def action_back(self) -> None:
        """Escape: stop the search at once and go back to the picker."""
        if self.worker is not None:
            self.worker.cancel()
        self.dismiss(None)

    def action_back_after(self) -> None:
        self.dismiss(None)

    def action_accept(self) -> None:
        if self.state == "found" and self.suggestion is not None:
            self.dismiss(
                Discovered(
                    self.address,
                    self.suggestion,
                    self.fallback_host,
                    say("notes.found", why=self.suggestion.why),
                )
            )
        elif self.state == "none":
            self.dismiss(Discovered(self.address, None, self.fallback_host, self._guess_note()))

    def action_use(self) -> None:
        if self.state == "confirm" and self.suggestion is not None:
            self.dismiss(
                Discovered(
                    self.address,
                    self.suggestion,
                    self.fallback_host,
                    say("notes.used", host=self.suggestion.host, domain=self.domain),
                )
            )

    def action_refuse(self) -> None:
        if self.state == "confirm" and self.suggestion is not None:
            note = say("notes.refused", host=self.suggestion.host, fallback=self.fallback_host)
            self.dismiss(Discovered(self.address, None, self.fallback_host, note))

    def _guess_note(self) -> str:
        return say("notes.guess", domain=self.domain, fallback=self.fallback_host)
