"""The test screen's stage list and progress: one row per stage (a mark, the stage in words,
its time, the server's reply), the progress bar and the clock beside it, the transcript.

These widgets only draw; the screen feeds them the core's events.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Log, ProgressBar, Static

from tui.core.events import StageEnded, StageStarted, TranscriptLine
from tui.core.report import stage_label
from tui.core.settings import Settings
from tui.core.texts import Texts
from tui.widgets.text import printable

say = Texts(__package__ or "tui.screens", "test_send_texts.toml")

MARK_OK = "✓"
MARK_FAILED = "✗"
MARK_RUNNING = "…"


def short_reply(reply: str) -> str:
    """The first line of a server reply, for a one-line row, control characters escaped."""
    return printable(reply.strip().splitlines()[0]) if reply.strip() else ""


class StageRow(Horizontal):
    """One stage: a mark, the stage in words, its time, the server's reply.

    The parts are made up front, so `finish` works even before the row is on screen (a
    stage can start and end in the same moment, or end without having started)."""

    def __init__(self, stage: str, label: str, target: str = "") -> None:
        super().__init__(classes="stage-row -running")
        self.stage = stage
        self.target = target
        self.label = label
        self.ok: bool | None = None
        self._mark = Static(MARK_RUNNING, classes="mark", markup=False)
        self._label = Static(printable(label), classes="label", markup=False)
        self._ms = Static("", classes="ms", markup=False)
        self._reply = Static("", classes="reply", markup=False)

    def compose(self) -> ComposeResult:
        yield self._mark
        yield self._label
        yield self._ms
        yield self._reply

    def finish(self, ok: bool, ms_text: str, reply: str) -> None:
        self.ok = ok
        self.remove_class("-running")
        self.add_class("-ok" if ok else "-failed")
        self._mark.update(MARK_OK if ok else MARK_FAILED)
        self._ms.update(ms_text)
        self._reply.update(short_reply(reply))


class StageList(Vertical):
    """The stages of one send, in the order they started; each that went well advances
    `progress`, and the bar grows when a stage repeats (one rcpt per recipient)."""

    def __init__(self, settings: Settings, progress: SendProgress) -> None:
        super().__init__(id="stages")
        self.settings = settings
        self.progress = progress
        self.rows: list[StageRow] = []

    def clear(self) -> None:
        for row in self.rows:
            row.remove()
        self.rows = []

    def started(self, event: StageStarted, to: str) -> None:
        """A new running row (`to`: the recipient, for the words)."""
        self._add(event.stage, event.target, to)

    def ended(self, event: StageEnded, to: str) -> None:
        row = self.open_row(event.stage, event.target) or self._add(
            event.stage, event.target, to
        )  # ended without a start: show it all the same
        row.finish(event.ok, self.progress.time_text(event.ms), event.reply)
        if event.ok:
            self.progress.advance()

    def _add(self, stage: str, target: str, to: str) -> StageRow:
        row = StageRow(stage, self._label(stage, target, to), target)
        self.rows.append(row)
        self.mount(row)
        self.progress.stages_seen(len(self.rows))
        return row

    def open_row(self, stage: str, target: str) -> StageRow | None:
        """The row an end belongs to: the last unfinished one of that stage and target."""
        open_rows = [row for row in reversed(self.rows) if row.stage == stage and row.ok is None]
        return next((row for row in open_rows if row.target == target), None) or next(
            iter(open_rows), None
        )

    def cancel_open(self) -> None:
        """Every row still running ends as cancelled."""
        for row in self.rows:
            if row.ok is None:
                row.finish(False, "", say("cancelled_reply"))

    def _label(self, stage: str, target: str, to: str) -> str:
        again = stage == "ehlo" and any(row.stage == "ehlo" for row in self.rows)
        text = stage_label(stage, self.settings, to=target or to, again=again)
        if text == stage:  # a stage the core's report has no words for
            extra: dict[str, str] = say.raw("stages")
            text = extra.get(stage, text)
        if target and stage != "rcpt":
            text = f"{text}: {target}"
        return text


class SendProgress(Horizontal):
    """The progress bar (one step per stage that went well) and the clock beside it."""

    def __init__(self, total: int, time_format: Callable[[float], str]) -> None:
        super().__init__(id="progress-row")
        self._total = total
        self._time_format = time_format
        self._ticker: Timer | None = None
        self._elapsed: Callable[[], float] = lambda: 0.0

    def compose(self) -> ComposeResult:
        yield ProgressBar(
            total=self._total,
            show_eta=False,
            show_percentage=False,
            id="progress",
        )
        yield Static("", id="elapsed", markup=False)

    @property
    def bar(self) -> ProgressBar:
        return self.query_one("#progress", ProgressBar)

    def restart(self, elapsed_ms: Callable[[], float]) -> None:
        """Shown from zero, the clock ticking `elapsed_ms()` until `stop`."""
        self.bar.update(progress=0)
        self.display = True
        self._elapsed = elapsed_ms
        self._tick()
        self._ticker = self.set_interval(0.1, self._tick)

    def stages_seen(self, count: int) -> None:
        """A stage can repeat (one rcpt per recipient): the bar grows to the rows shown."""
        bar = self.bar
        if bar.total is not None and count > bar.total:
            bar.update(total=count)

    def time_text(self, ms: float) -> str:
        return self._time_format(ms)

    def advance(self) -> None:
        self.bar.advance(1)

    def complete(self) -> None:
        bar = self.bar
        bar.update(progress=bar.total or 0)

    def stop(self, total_ms: float | None = None) -> None:
        """The clock stops; `total_ms`: the time to show as the Total."""
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if total_ms is not None:
            self._show(say("total", time=self.time_text(total_ms)))

    def _tick(self) -> None:
        self._show(say("elapsed", time=self.time_text(self._elapsed())))

    def _show(self, text: str) -> None:
        self.query_one("#elapsed", Static).update(text)


class Transcript(Log):
    """The conversation with the server, line by line, secrets already hidden by the core."""

    def __init__(self) -> None:
        super().__init__(id="transcript", max_lines=2000)
        self.border_title = say("transcript_title")

    def add(self, line: TranscriptLine) -> None:
        self.write_line(f"{line.direction} {printable(line.text)}")
