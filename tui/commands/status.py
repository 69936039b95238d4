"""`mailwiz status [--json]`: the sign-in, the queue and the last send, for people and for
monitoring. Exit codes follow the monitoring-plugin convention: 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN (tui.core.status decides; this module only prints)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.commands.base import SubParsers, emit, printable


def add_parser(commands: SubParsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        parents=parents,
        help="is mail working: the sign-in, the queue, the last send (exit 0/1/2/3)",
        description="Say who mailwiz signs in as, how the sign-in is kept, when it was last "
        "refreshed and what ends it; the queue (queued, deferred, failed, oldest) and the last "
        "send. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as monitoring checks expect.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config_path: Path) -> int:
    from tui.core.mta import settings_path, spool_path
    from tui.core.status import gather, text

    explicit = Path(args.config).expanduser() if getattr(args, "config", None) else None
    status = gather(explicit or settings_path(), spool_path())
    if args.json:
        emit(status.to_json())
        return status.exit
    print(f"mailwiz {text('level', status.level)}: {printable(status.settings_path)}")
    for note in status.notes:
        print(f"  {text('level', note.level)}: {printable(note.text)}")
    sign_in, queue = status.sign_in, status.queue
    rows: list[tuple[str, str]] = []
    if sign_in:
        rows += [
            (text("label", "account"), sign_in["account"]),
            (text("label", "kept"), sign_in["kept"]),
        ]
        if sign_in["method"] in ("person", "app"):
            rows.append(
                (text("label", "refreshed"), sign_in["last_refresh"] or text("label", "never"))
            )
        rows.append((text("label", "ends"), sign_in["ends"]))
    if "queued" in queue:
        counts = text("label", "counts", **{k: queue[k] for k in ("queued", "deferred", "failed")})
        rows.append((text("label", "queue"), f"{counts} ({queue['path']})"))
        if queue["oldest"]:
            rows.append((text("label", "oldest"), queue["oldest"]))
    last = status.last_send
    if last is not None:
        key = "sent" if last["ok"] else "not-sent"
        rows.append(
            (text("label", "last-send"), text("label", key, when=last["at"], detail=last["detail"]))
        )
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        print(f"  {label:<{width}}  {printable(str(value))}")
    return status.exit
