"""Rendering a send's events for the terminal: the stage list, the transcript, the diagnosis,
or one JSON object per line. Shared by `test` and `send` (and any subcommand that sends)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from tui.commands.base import emit, one_line, printable, say, stage_mark
from tui.core.exits import Exit
from tui.core.http_apis import service_name
from tui.core.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from tui.core.credentials import TokenSource


async def run_and_render(
    settings: Settings,
    password: str | TokenSource | None,
    outgoing: Any,
    json_mode: bool,
    show_transcript: bool,
    config_path: Path | None = None,
) -> int:
    from tui.core.events import FailureKind, SendFinished, StageEnded, TranscriptLine
    from tui.core.send import run_send

    last_stage = ""
    finished: SendFinished | None = None
    async for event in run_send(settings, password, outgoing, engine_stage=True):
        if isinstance(event, StageEnded):
            last_stage = event.stage
            if json_mode:
                record: dict[str, Any] = {"stage": event.stage, "ok": event.ok, "ms": event.ms}
                if event.reply:
                    record["reply"] = event.reply
                emit(record)
            else:
                reply = f"  {printable(one_line(event.reply))}" if event.reply else ""
                print(f"  {stage_mark(event.ok)} {event.stage:<9} {event.ms:8.1f} ms{reply}")
        elif isinstance(event, TranscriptLine) and show_transcript and not json_mode:
            print(f"      {event.direction} {printable(event.text)}")
        elif isinstance(event, SendFinished):
            finished = event
    if finished is None:  # the engines always end with SendFinished; this guards a bug
        raise RuntimeError("the send ended without a result")
    if finished.ok:
        if json_mode:
            emit({"result": "ok", "stage": last_stage, "exit": 0, "reply": finished.reply})
        else:
            to = printable(", ".join(finished.recipients) or outgoing.to)
            who = service_name(settings)  # "the server", "the relay", "the Postmark API"
            print(say("render.sent", who=who, to=to))
        return Exit.OK
    failure = finished.failure
    assert failure is not None
    secret = password if isinstance(password, str) else None
    render_failure(failure, settings, json_mode, secret, config_path)
    return failure.exit_code if failure.kind != FailureKind.INTERNAL else Exit.BUG


def render_failure(
    failure: Any,
    settings: Settings,
    json_mode: bool,
    password: str | None = None,
    config_path: Path | None = None,
) -> None:
    # Imported only on failure: a successful send never loads the diagnosis. The command
    # line's fixes name settings keys (audience CLI); the password is only measured (does
    # it look like an app password?), never shown.
    from tui.core.diagnose import Audience, diagnose

    diagnosis = diagnose(
        failure, settings, audience=Audience.CLI, password=password, config_path=config_path
    )
    if json_mode:
        emit(
            {
                "result": "failed",
                "stage": failure.stage,
                "exit": failure.exit_code,
                "reply": failure.reply,
                "cause": diagnosis.cause,
                "fix": diagnosis.fix,
                "field": diagnosis.field,
            }
        )
    else:
        # A diagnosis quotes the server's reply: escape it like everything from outside.
        print(say("render.not-sent", title=printable(diagnosis.title)), file=sys.stderr)
        cause = printable(diagnosis.cause, newlines=True)
        print(say("render.what-happened", cause=cause), file=sys.stderr)
        print(
            say("render.what-to-do", fix=printable(diagnosis.fix, newlines=True)), file=sys.stderr
        )
