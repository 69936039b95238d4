"""An admin's hand on the queue: `mailwiz queue --delete ID | --hold ID | --requeue ID`.

delete removes a message from queue/, hold/ or failed/; hold moves a queued message to
hold/, where the runner leaves it; requeue moves a held or failed message back to queue/,
due at once, as if never tried. Each is logged. A message being delivered right now is
left alone (try again in a moment).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from tui.core.mta import syslog
from tui.core.mta.spool import Folder, Spool, user_name
from tui.core.mta.texts import commands, say

Action = Literal["delete", "hold", "requeue"]
_FROM: dict[Action, tuple[Folder, ...]] = {
    "delete": ("queue", "hold", "failed"),
    "hold": ("queue",),
    "requeue": ("hold", "failed"),
}
_DONE = {"delete": "deleted", "hold": "held", "requeue": "requeued"}


class AdminRefused(Exception):
    """The action cannot be done; str() says why and what to do."""


def administer(
    spool: Spool, action: Action, message_id: str, config_path: Path | None = None
) -> str:
    """Do `action` on the message; returns what was done, in a few words."""
    where = spool.where(message_id)
    if where is None:
        raise AdminRefused(
            say("admin-no-such", id=message_id, spool=spool.root, **commands(config_path))
        )
    if where not in _FROM[action]:
        folders = ", ".join(f"{f}/" for f in _FROM[action])
        raise AdminRefused(
            say("admin-wrong-folder", id=message_id, where=where, action=action, folders=folders)
        )
    envelope = spool.envelope(message_id, where)
    if action == "delete":
        done = spool.delete(message_id, where)
    else:
        done = spool.move(
            message_id, where, "hold" if action == "hold" else "queue", fresh=action == "requeue"
        )
    if not done:
        raise AdminRefused(say("admin-busy", id=message_id))
    recipients = envelope.recipients if envelope else []
    by = user_name(os.getuid())
    syslog.event(
        message_id, _DONE[action], envelope.user if envelope else "", recipients, answer=f"by {by}"
    )
    return say("admin-done", id=message_id, done=_DONE[action], where=where)
