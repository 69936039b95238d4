"""The live test send: the recipient, then the stages one by one, the transcript, the verdict.

The send runs as an async worker on the app's loop (the engine never blocks), so Escape cancels
it at once whatever the server does. The screen only renders what the core's events say; its
parts, by job: the stage list and progress (test_send_stages), the result line
(test_send_result), the run control (test_send_run: the engine, the credential, the send).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from tui.core.events import (
    Failure,
    FailureKind,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.http_apis import service_name
from tui.core.report import SendRecord, format_ms
from tui.core.send import planned_stages
from tui.core.settings import Settings, address_problem
from tui.core.texts import Texts
from tui.screens.test_send_result import RecipientRow, ResultLine
from tui.screens.test_send_run import TestRun
from tui.screens.test_send_stages import (
    MARK_FAILED,
    MARK_OK,
    SendProgress,
    StageList,
    StageRow,
    Transcript,
)
from tui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from tui.core.diagnose import Diagnosis

__all__ = ["MARK_FAILED", "MARK_OK", "StageRow", "TestOutcome", "TestSendScreen"]

say = Texts(__package__ or "tui.screens", "test_send_texts.toml")

State = Literal["ready", "running", "ok", "failed", "cancelled"]

#: The keys: (key, action, shown in the footer); each action's words are in the texts file.
_KEYS = (
    ("escape", "cancel_send", True),
    ("escape", "back", True),
    ("c", "cancel_send", False),
    ("enter", "start", True),
    ("enter", "save", True),
    ("s", "save", False),
    ("t", "troubleshoot", True),
    ("e", "fix", True),
    ("e", "edit", True),
    ("r", "retry", True),
    ("s", "save_anyway", True),
    ("l", "toggle_log", False),
)

#: The states in which an action is offered (one not named here: always).
_OFFERED: dict[str, tuple[State, ...]] = {
    "cancel_send": ("running",),
    "back": ("ready", "ok", "failed", "cancelled"),
    "start": ("ready",),
    "save": ("ok",),
    "troubleshoot": ("failed",),
    "save_anyway": ("failed",),
    "fix": ("failed",),
    "edit": ("ok", "cancelled"),
    "retry": ("ok", "failed", "cancelled"),
}


@dataclass(frozen=True)
class TestOutcome:
    """How the test screen ended.

    action: "save"   go on to saving (ok tells whether the test passed; after a failure the
                     user chose "save anyway", and the save screen asks for confirmation);
            "edit"   back to the fields, focusing `field` (a settings field name, "" = none);
            "cancel" Escape: back to the previous screen, nothing decided.
    """

    __test__ = False  # not a pytest test class

    ok: bool
    action: Literal["save", "edit", "cancel"]
    field: str = ""
    to: str = ""
    failure: Failure | None = None


class TestSendScreen(Screen[TestOutcome]):
    """Send a test message with `settings` and show every stage as it happens.

    password: the password to use; None means "use the stored one" (looked up in a thread).
    time_format: turns every duration shown into text (a fixed one makes snapshots stable).
    """

    __test__ = False  # not a pytest test class

    CSS_PATH = "test_send.tcss"
    AUTO_FOCUS = "#to"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, action, say(f"keys.{action}"), show=show) for key, action, show in _KEYS
    ]

    def __init__(
        self,
        settings: Settings,
        password: str | None,
        config_path: Path,
        *,
        to: str = "",
        time_format: Callable[[float], str] = format_ms,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.config_path = config_path
        self._initial_to = to or settings.from_address
        self._clock = clock
        self.state: State = "ready"
        self.record = SendRecord()
        self.diagnosis: Diagnosis | None = None
        self.failure: Failure | None = None
        self._worker: Worker[None] | None = None
        self._started_at = 0.0
        self.total_ms = 0.0  # the Total shown: from Enter to the verdict
        self._run = TestRun(
            settings,
            config_path,
            password,
            emit=self._on_event,
            finish=lambda failure: self._finish(self._verdict(failure)),
            running=lambda: self.state == "running",
            clock=clock,
        )
        self._progress = SendProgress(len(planned_stages(settings)), time_format)
        self._stages = StageList(settings, self._progress)
        self._result = ResultLine()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(say("title"), classes="screen-title")
        yield RecipientRow(self._initial_to)
        yield self._stages
        yield self._progress
        yield self._result
        yield Transcript()
        yield FittingFooter()

    def on_mount(self) -> None:
        self._progress.display = False  # until a send starts
        # The engine's import (up to ~0.7 s) while the user reads the screen, not after Enter.
        self.run_worker(self._run.preload, thread=True, name="load-engine", exit_on_error=False)

    # ----------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.state in _OFFERED.get(action, (self.state,))

    def _set_state(self, state: State) -> None:
        self.state = state
        self.set_class(state == "running", "-running")
        self.refresh_bindings()

    @on(Input.Submitted, "#to")
    def _recipient_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if self.state != "running":
            self.start()

    def action_start(self) -> None:
        if self.state == "ready":
            self.start()

    def start(self) -> None:
        """Start a test send to the address in the recipient field."""
        recipient = self.query_one(RecipientRow)
        to = recipient.address
        problem = address_problem(to)
        if problem:
            self._result.problem("bad_recipient", problem=problem)
            recipient.edit()
            return
        from tui.core.message import MessageError, test_outgoing

        try:
            outgoing = test_outgoing(self.settings, to)
        except MessageError as error:
            self._result.problem("not_built", error=error)
            return
        self._started_at = self._clock()  # the user's time: from Enter to the verdict
        self._stages.clear()
        self.failure = None
        self.diagnosis = None
        self.query_one(Transcript).clear()
        self.record = SendRecord(to=to)
        recipient.locked = True
        self.query_one(Transcript).focus()
        self._set_state("running")
        self._result.sending()
        self._progress.restart(self._elapsed_ms)
        self._worker = self.run_worker(
            self._run.send(outgoing), name="test-send", group="test-send", exit_on_error=False
        )

    def action_cancel_send(self) -> None:
        if self.state != "running":
            return
        if self._worker is not None:
            self._worker.cancel()
        stage = self.record.current_stage
        self._progress.stop()
        self._stages.cancel_open()
        self._set_state("cancelled")
        self.query_one(RecipientRow).locked = False
        self._result.cancelled(stage)

    def action_back(self) -> None:
        if self.state != "running":
            self._leave("cancel", ok=self.state == "ok")

    def action_save(self) -> None:
        if self.state == "ok":
            self._leave("save", ok=True)

    def action_save_anyway(self) -> None:
        if self.state == "failed":
            self._leave("save", failure=self.failure)

    def action_fix(self) -> None:
        """Back to the fields, at the one the diagnosis names."""
        if self.state == "failed":
            self._go_to_field(self.diagnosis.field if self.diagnosis else "")

    def action_edit(self) -> None:
        if self.state in ("ok", "cancelled"):
            self._go_to_field("")

    def action_retry(self) -> None:
        if self.state in ("ok", "failed", "cancelled"):
            self.start()

    def action_toggle_log(self) -> None:
        log = self.query_one(Transcript)
        log.display = not log.display

    def action_troubleshoot(self) -> None:
        if self.state != "failed" or self.failure is None:
            return
        from tui.screens.troubleshoot import TroubleshootScreen

        screen = TroubleshootScreen(
            self.failure,
            self.diagnosis,
            self.settings,
            self.report_text(),
            config_path=self.config_path,
        )
        self.app.push_screen(screen, self._troubleshoot_done)

    def _troubleshoot_done(self, field: str | None) -> None:
        if field:
            self._go_to_field(field)

    def _go_to_field(self, field: str) -> None:
        if field == "recipient":
            self.query_one(RecipientRow).edit()
            return
        self._leave("edit", field=field, failure=self.failure)

    def _leave(
        self,
        action: Literal["save", "edit", "cancel"],
        *,
        ok: bool = False,
        field: str = "",
        failure: Failure | None = None,
    ) -> None:
        self.dismiss(TestOutcome(ok, action, field=field, to=self.record.to, failure=failure))

    def report_text(self) -> str:
        """The support report for the last send (never holds the password)."""
        return self._run.report(self.record, self.diagnosis)

    # ------------------------------------------------------------------ the events

    def _on_event(self, event: SendEvent) -> None:
        self.record.add(event)
        if isinstance(event, StageStarted):
            self._stages.started(event, self.record.to)
        elif isinstance(event, StageEnded):
            self._stages.ended(event, self.record.to)
        elif isinstance(event, TranscriptLine):
            self.query_one(Transcript).add(event)
        elif isinstance(event, SendFinished):
            self._finish(event)

    def _verdict(self, failure: Failure) -> SendFinished:
        return SendFinished(ok=False, total_ms=self._elapsed_ms(), failure=failure)

    def _finish(self, finished: SendFinished) -> None:
        self.record.finished = finished
        # The user's time from Enter, every wait included (the engine's total_ms counts only
        # the send itself).
        self.total_ms = self._elapsed_ms() if self._started_at else finished.total_ms
        self._progress.stop(self.total_ms)
        self.query_one(RecipientRow).locked = False
        self.call_after_refresh(self.query_one(Transcript).scroll_end, animate=False)
        if finished.ok:
            self._progress.complete()
            self._set_state("ok")
            self._result.accepted(service_name(self.settings), self.record.to)
            return
        failure = finished.failure or Failure(kind=FailureKind.INTERNAL, stage="")
        self.failure = failure
        self.diagnosis = self._run.diagnose(failure)
        self._set_state("failed")
        self._result.failed(self.diagnosis)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or self.state != "running":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            detail = f"{type(error).__name__}: {error}" if error else say("unknown_error")
        elif event.state == WorkerState.SUCCESS and self.record.finished is None:
            detail = say("no_result")
        else:
            return
        stage = self.record.current_stage
        self._finish(self._verdict(Failure(kind=FailureKind.INTERNAL, stage=stage, detail=detail)))

    def _elapsed_ms(self) -> float:
        return (self._clock() - self._started_at) * 1000
