"""The live test send: the recipient, then the stages one by one, the transcript, the verdict.

The send runs as an async worker on the app's loop (the engine never blocks), so Escape cancels
it at once whatever the server does. The screen only renders what the core's events say.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Log, ProgressBar, Static
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
from tui.core.report import SendRecord, build_report, format_ms, stage_label
from tui.core.send import planned_stages
from tui.core.settings import Settings, address_problem
from tui.widgets.footer import FittingFooter
from tui.widgets.text import printable

if TYPE_CHECKING:
    from tui.core.credentials import Credential, TokenSource
    from tui.core.diagnose import Diagnosis
    from tui.core.message import Outgoing

State = Literal["ready", "running", "ok", "failed", "cancelled"]

MARK_OK = "✓"
MARK_FAILED = "✗"
MARK_RUNNING = "…"

# Stages from which on the server may hold (part of) the message.
_MESSAGE_STAGES = ("data", "quit", "post", "response")


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


def short_reply(reply: str) -> str:
    """The first line of a server reply, for a one-line row, control characters escaped."""
    return printable(reply.strip().splitlines()[0]) if reply.strip() else ""


# Stages the core's report has no words for yet.
_T = TypeVar("_T")

_EXTRA_LABELS = {"token": "Getting a sign-in token"}


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


class TestSendScreen(Screen[TestOutcome]):
    """Send a test message with `settings` and show every stage as it happens.

    password: the password to use; None means "use the stored one" (looked up in a thread).
    time_format: turns every duration shown into text (a fixed one makes snapshots stable).
    """

    __test__ = False  # not a pytest test class

    CSS_PATH = "test_send.tcss"
    AUTO_FOCUS = "#to"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_send", "Cancel"),
        Binding("escape", "back", "Back"),
        Binding("c", "cancel_send", "Cancel", show=False),
        Binding("enter", "start", "Send the test"),
        Binding("enter", "save", "Continue to save"),
        Binding("s", "save", "Continue to save", show=False),
        Binding("t", "troubleshoot", "Troubleshoot"),
        Binding("e", "fix", "Fix settings"),
        Binding("e", "edit", "Edit settings"),
        Binding("r", "retry", "Retry"),
        Binding("s", "save_anyway", "Save anyway"),
        Binding("l", "toggle_log", "Transcript", show=False),
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
        self._password = password
        self._initial_to = to or settings.from_address
        self._time_format = time_format
        self._clock = clock
        self.state: State = "ready"
        self.record = SendRecord()
        self.diagnosis: Diagnosis | None = None
        self.failure: Failure | None = None
        self._worker: Worker[None] | None = None
        self._ticker: Timer | None = None
        self._started_at = 0.0
        self.total_ms = 0.0  # the Total shown: from Enter to the verdict
        self._rows: list[StageRow] = []

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("Test the settings: send a test message", classes="screen-title")
        with Horizontal(id="recipient-row"):
            yield Label("Send the test to:")
            yield Input(
                self._initial_to,
                id="to",
                compact=True,
                placeholder="someone@example.com",
                select_on_focus=False,
            )
        yield Vertical(id="stages")
        with Horizontal(id="progress-row"):
            yield ProgressBar(
                total=len(planned_stages(self.settings)),
                show_eta=False,
                show_percentage=False,
                id="progress",
            )
            yield Static("", id="elapsed", markup=False)
        yield Static(self._ready_text(), id="result")
        log = Log(id="transcript", max_lines=2000)
        log.border_title = "Transcript, secrets hidden (l hides it)"
        yield log
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#progress-row").display = False  # until a send starts
        from tui.core.send import load_engine

        # The engine's import (up to ~0.7 s) while the user reads the screen, not after Enter.
        self.run_worker(
            lambda: load_engine(self.settings),
            thread=True,
            name="load-engine",
            exit_on_error=False,
        )

    def _ready_text(self) -> Content:
        return Content.from_markup(
            "Press [b]Enter[/b] to send a test message to this address. "
            "It checks every step up to the server accepting it."
        )

    # ----------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.state == "running"
        done = self.state in ("ok", "failed", "cancelled")
        if action == "cancel_send":
            return running
        if action == "back":
            return not running
        if action == "start":
            return self.state == "ready"
        if action == "save":
            return self.state == "ok"
        if action in ("troubleshoot", "save_anyway", "fix"):
            return self.state == "failed"
        if action == "edit":
            return self.state in ("ok", "cancelled")
        if action == "retry":
            return done
        return True

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
        to_input = self.query_one("#to", Input)
        to = to_input.value.strip()
        problem = address_problem(to)
        if problem:
            self._show_result(f"The recipient: {problem}", "error")
            to_input.focus()
            return
        from tui.core.message import MessageError, test_outgoing

        try:
            outgoing = test_outgoing(self.settings, to)
        except MessageError as error:
            self._show_result(f"The test message cannot be built: {error}", "error")
            return
        self._started_at = self._clock()  # the user's time: from Enter to the verdict
        self._reset()
        self.record = SendRecord(to=to)
        to_input.disabled = True
        self.query_one("#transcript", Log).focus()
        self.query_one("#progress-row").display = True
        self._set_state("running")
        self._show_result("Sending… press Escape to cancel.", "running")
        self._tick()
        self._ticker = self.set_interval(0.1, self._tick)
        self._worker = self.run_worker(
            self._send(outgoing), name="test-send", group="test-send", exit_on_error=False
        )

    def _reset(self) -> None:
        for row in self._rows:
            row.remove()
        self._rows = []
        self.failure = None
        self.diagnosis = None
        self.query_one("#transcript", Log).clear()
        self.query_one("#progress", ProgressBar).update(progress=0)

    def action_cancel_send(self) -> None:
        if self.state != "running":
            return
        if self._worker is not None:
            self._worker.cancel()
        stage = self.record.current_stage
        self._stop_ticker()
        for row in self._rows:
            if row.ok is None:
                row.finish(False, "", "cancelled")
        self._set_state("cancelled")
        self.query_one("#to", Input).disabled = False
        if stage in _MESSAGE_STAGES:
            text = (
                "Cancelled — the server may have received part of the message "
                "(it was cancelled while sending it)."
            )
        else:
            text = "Cancelled — nothing was sent. Press r to try again."
        self._show_result(text, "cancelled")

    def action_back(self) -> None:
        if self.state == "running":
            return
        self.dismiss(TestOutcome(ok=self.state == "ok", action="cancel", to=self.record.to))

    def action_save(self) -> None:
        if self.state == "ok":
            self.dismiss(TestOutcome(ok=True, action="save", to=self.record.to))

    def action_save_anyway(self) -> None:
        if self.state == "failed":
            self.dismiss(
                TestOutcome(ok=False, action="save", to=self.record.to, failure=self.failure)
            )

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
        log = self.query_one("#transcript", Log)
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
            to_input = self.query_one("#to", Input)
            to_input.disabled = False
            to_input.focus()
            return
        self.dismiss(
            TestOutcome(
                ok=False, action="edit", field=field, to=self.record.to, failure=self.failure
            )
        )

    def report_text(self) -> str:
        """The support report for the last send (never holds the password)."""
        return build_report(
            self.settings,
            self.record,
            diagnosis=self.diagnosis,
            config_path=self.config_path,
            secrets=[self._password] if self._password else [],
        )

    # ------------------------------------------------------------------ the send

    async def _waited(self, stage: str, work: Callable[[], _T]) -> _T:
        """A wait before the send proper (the keyring, the sign-in), shown as a stage with
        its time (failed when `work` raises), in a thread so the screen keeps moving."""
        self._on_event(StageStarted(stage))
        began = self._clock()
        ok = False
        try:
            result = await asyncio.to_thread(work)
            ok = True
            return result
        finally:
            self._on_event(StageEnded(stage, ok, (self._clock() - began) * 1000))

    async def _send(self, outgoing: Outgoing) -> None:
        credential = await self._credential()
        if credential is not None:
            await self._run(outgoing, credential.secret)

    async def _run(self, outgoing: Outgoing, credential: str | TokenSource | None) -> None:
        from tui.core.send import run_send

        # Loading the engine began when the screen opened; a rest of it is a stage of its own.
        async for event in run_send(self.settings, credential, outgoing, engine_stage=True):
            if self.state != "running":
                break
            self._on_event(event)

    async def _credential(self) -> Credential | None:
        """The core's choice (tui.core.credentials.choose): the sign-in for OAuth, else the
        password typed here, else MAILWIZ_PASSWORD or the store, looked up in a thread.
        None: there is none, and the screen already says why."""
        from tui.core.credentials import NoCredential, credential_for

        def choose() -> Credential:
            return credential_for(self.settings, self.config_path, typed=self._password)

        oauth = self.settings.protocol == "smtp" and self.settings.smtp.auth == "oauth2"
        try:
            if oauth or self._password is None:
                # Reading the sign-in or the stored password (the keyring) is a wait the
                # user sees, as a stage with its time.
                credential = await self._waited("signin" if oauth else "password", choose)
            else:
                credential = await asyncio.to_thread(choose)
        except NoCredential as missing:
            failure = Failure(kind=FailureKind.NO_PASSWORD, stage="", detail=str(missing))
            self._finish(SendFinished(ok=False, total_ms=self._elapsed_ms(), failure=failure))
            return None
        if isinstance(credential.secret, str):
            self._password = credential.secret  # measured by the diagnosis, masked in reports
        return credential

    def _on_event(self, event: SendEvent) -> None:
        self.record.add(event)
        if isinstance(event, StageStarted):
            self._add_row(event.stage, event.target)
        elif isinstance(event, StageEnded):
            row = self._open_row(event.stage, event.target) or self._add_row(
                event.stage, event.target
            )  # ended without a start: show it all the same
            row.finish(event.ok, self._time_format(event.ms), event.reply)
            if event.ok:
                self.query_one("#progress", ProgressBar).advance(1)
        elif isinstance(event, TranscriptLine):
            line = f"{event.direction} {printable(event.text)}"
            self.query_one("#transcript", Log).write_line(line)
        elif isinstance(event, SendFinished):
            self._finish(event)

    def _stage_label(self, stage: str, target: str) -> str:
        again = stage == "ehlo" and any(row.stage == "ehlo" for row in self._rows)
        text = stage_label(stage, self.settings, to=target or self.record.to, again=again)
        text = _EXTRA_LABELS.get(stage, text) if text == stage else text
        if target and stage != "rcpt":
            text = f"{text}: {target}"
        return text

    def _add_row(self, stage: str, target: str) -> StageRow:
        row = StageRow(stage, self._stage_label(stage, target), target)
        self._rows.append(row)
        self.query_one("#stages", Vertical).mount(row)
        bar = self.query_one("#progress", ProgressBar)
        if bar.total is not None and len(self._rows) > bar.total:
            bar.update(total=len(self._rows))  # a stage repeats (one rcpt per recipient)
        return row

    def _open_row(self, stage: str, target: str) -> StageRow | None:
        """The row this end belongs to: the last unfinished one of that stage and target."""
        open_rows = [row for row in reversed(self._rows) if row.stage == stage and row.ok is None]
        return next((row for row in open_rows if row.target == target), None) or next(
            iter(open_rows), None
        )

    def _finish(self, finished: SendFinished) -> None:
        self.record.finished = finished
        self._stop_ticker()
        # The user's time from Enter, every wait included (the engine's total_ms counts only
        # the send itself).
        total = self._elapsed_ms() if self._started_at else finished.total_ms
        self.total_ms = total
        self.query_one("#elapsed", Static).update(f"Total {self._time_format(total)}")
        self.query_one("#to", Input).disabled = False
        self.call_after_refresh(self.query_one("#transcript", Log).scroll_end, animate=False)
        if finished.ok:
            bar = self.query_one("#progress", ProgressBar)
            bar.update(progress=bar.total or 0)
            self._set_state("ok")
            who = service_name(self.settings)  # "the server", "the Postmark API"
            self._show_result(
                f"{MARK_OK} {who[:1].upper()}{who[1:]} accepted the message — check the inbox "
                f"(and the spam folder) of {self.record.to}. Press Enter to continue to saving.",
                "ok",
            )
            return
        failure = finished.failure or Failure(kind=FailureKind.INTERNAL, stage="")
        self.failure = failure
        self.diagnosis = self._diagnose(failure)
        self._set_state("failed")
        title = printable(self.diagnosis.title) if self.diagnosis else "The test failed."
        self._show_result(f"{MARK_FAILED} {title} Press t for the cause and what to do.", "failed")

    def _diagnose(self, failure: Failure) -> Diagnosis | None:
        from tui.core.diagnose import diagnose

        # The password is only measured (does it look like an app password?), never shown.
        return diagnose(
            failure, self.settings, password=self._password or None, config_path=self.config_path
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or self.state != "running":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            detail = f"{type(error).__name__}: {error}" if error else "unknown error"
            stage = self.record.current_stage
            failure = Failure(kind=FailureKind.INTERNAL, stage=stage, detail=detail)
            self._finish(SendFinished(ok=False, total_ms=self._elapsed_ms(), failure=failure))
        elif event.state == WorkerState.SUCCESS and self.record.finished is None:
            failure = Failure(
                kind=FailureKind.INTERNAL,
                stage=self.record.current_stage,
                detail="the send ended without a result",
            )
            self._finish(SendFinished(ok=False, total_ms=self._elapsed_ms(), failure=failure))

    # ------------------------------------------------------------------- helpers

    def _elapsed_ms(self) -> float:
        return (self._clock() - self._started_at) * 1000

    def _tick(self) -> None:
        self.query_one("#elapsed", Static).update(
            f"Elapsed {self._time_format(self._elapsed_ms())}"
        )

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _show_result(self, text: str | Content, kind: str) -> None:
        result = self.query_one("#result", Static)
        result.set_classes(f"-{kind}")
        result.update(Content(text) if isinstance(text, str) else text)
