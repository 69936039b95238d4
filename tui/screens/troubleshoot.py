"""Troubleshooting: the diagnosis for THIS failure first, then the general steps, and a support
report the user can copy or write to a file.

Dismisses with the settings field to go back to ("password", "smtp.host", ...), or None to go
back to the test screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from tui.core.diagnose import general_steps
from tui.core.events import Failure
from tui.core.keys import label
from tui.core.report import write_report
from tui.core.settings import Settings
from tui.core.texts import Texts
from tui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from tui.core.diagnose import Diagnosis

say = Texts(__package__ or "tui.screens", "troubleshoot_texts.toml")


class TroubleshootScreen(Screen[str | None]):
    """Why the test failed, what to do, and a support report to hand to a helper."""

    CSS_PATH = "troubleshoot.tcss"
    AUTO_FOCUS = "#body"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", say("keys.back")),
        Binding("f", "go_to_field", say("keys.go_to_field")),
        Binding("c", "copy_report", say("keys.copy_report")),
        Binding("w", "write_report", say("keys.write_report")),
    ]

    def __init__(
        self,
        failure: Failure,
        diagnosis: Diagnosis | None,
        settings: Settings,
        report_text: str,
        *,
        config_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.failure = failure
        self.diagnosis = diagnosis
        self.settings = settings
        self.report_text = report_text
        self.config_path = config_path
        self.report_path: Path | None = None

    @property
    def field(self) -> str:
        return self.diagnosis.field if self.diagnosis else ""

    def compose(self) -> ComposeResult:
        yield Static(say("title"), classes="screen-title")
        with VerticalScroll(id="body"):
            yield from self._diagnosis_widgets()
            yield Static(say("general"), classes="section")
            steps = [
                Content.assemble((f"{number}. ", "bold"), step)
                for number, step in enumerate(general_steps(self.settings), 1)
            ]
            yield Static(Content("\n").join(steps), id="general")
        yield Static(self._report_hint(), id="report")
        yield FittingFooter()

    def _diagnosis_widgets(self) -> ComposeResult:
        diagnosis = self.diagnosis
        title = diagnosis.title if diagnosis else say("untitled")
        yield Static(Content(title), id="title")
        if self.field:
            yield Static(
                Content.assemble(
                    (say("field_label"), "bold"),
                    (label(self.field), "bold underline"),
                    say("field_hint"),
                ),
                id="field",
            )
        if diagnosis is not None:
            yield Static(
                Content.assemble((say("cause_label"), "bold"), diagnosis.cause), id="cause"
            )
        reply = self.failure.reply.strip()
        if reply and (diagnosis is None or reply not in diagnosis.cause):
            code = str(self.failure.code) if self.failure.code is not None else ""
            said = reply if not code or reply.startswith(code) else f"{code} {reply}"
            yield Static(Content.assemble((say("reply_label"), "bold"), said), id="reply")
        if diagnosis is not None:
            yield Static(Content.assemble((say("fix_label"), "bold"), diagnosis.fix), id="fix")

    def _report_hint(self) -> Content:
        return Content.assemble(
            (say("report"), "bold"),
            say("report_hint"),
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_to_field":
            return bool(self.field)
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_go_to_field(self) -> None:
        if self.field:
            self.dismiss(self.field)

    def action_copy_report(self) -> None:
        self.app.copy_to_clipboard(self.report_text)
        self._say(say("copied"))

    def action_write_report(self) -> None:
        folder = self.config_path.parent if self.config_path else Path.cwd()
        try:
            self.report_path = write_report(self.report_text, folder)
        except OSError as error:
            reason = error.strerror or str(error)
            self._say(say("not_written", folder=folder, reason=reason), error=True)
            return
        said = say("written", path=self.report_path)
        if getattr(self.app, "practice", False):
            said += say("written_practice")
        self._say(said)

    def _say(self, text: str, *, error: bool = False) -> None:
        report = self.query_one("#report", Static)
        report.set_class(error, "-error")
        report.set_class(not error, "-done")
        report.update(Content.assemble((say("report_label"), "bold"), text))
