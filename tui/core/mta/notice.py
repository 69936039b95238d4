"""The one notice of a permanent failure (a DSN-like message), so that mail refused for good
from callers who ignore exit codes (PHP as www-data, cron) still reaches someone.

It goes to the submitting local user's address (their alias) or, failing that, to
`[local] admin`; it names the refused recipients and the relay's words, and carries the
original headers (never the body). A notice is queued like any message, marked in its
envelope (`notice`): a notice that fails itself gets no notice, and neither does a message
that is an automatic reply (Auto-Submitted: auto-replied). Failed messages are kept in
failed/ for FAILED_KEPT seconds, then removed by the runner.
"""

from __future__ import annotations

import contextlib
import os
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING

from tui.core.mta import syslog
from tui.core.mta.local import Resolver, UnknownLocalName, local_domains
from tui.core.mta.spool import Envelope, Spool, new_id
from tui.core.mta.texts import commands, say
from tui.core.settings import Settings

if TYPE_CHECKING:
    from tui.core.wire import Formed

FAILED_KEPT = 30 * 24 * 3600.0  # how long failed/ keeps a message
_HEADERS_KEPT = 32 * 1024  # bytes of the original headers quoted in the notice


def _headers(data: Formed) -> str:
    start = data if isinstance(data, bytes) else data.head(_HEADERS_KEPT * 2)
    text = start[: _HEADERS_KEPT * 2].replace(b"\r\n", b"\n")
    end = text.find(b"\n\n")
    return text[: end if end >= 0 else len(text)][:_HEADERS_KEPT].decode("utf-8", "replace")


def _auto_reply(data: Formed) -> bool:
    for line in _headers(data).lower().splitlines():
        if line.startswith("auto-submitted:") and "auto-replied" in line:
            return True
    return False


def recipient_for(envelope: Envelope, settings: Settings) -> str | None:
    """The submitting user's address, else the admin's; None when there is neither."""
    resolver = Resolver(settings.local, local_domains())
    for name in (envelope.user, "root"):
        if not name or name.startswith("uid ") or "@" in name:
            continue
        with contextlib.suppress(UnknownLocalName, ValueError):
            found = resolver.resolve(name)
            if found:
                return found[0]
    return settings.local.admin or None


def build(envelope: Envelope, data: Formed, settings: Settings, to: str) -> bytes:
    """The notice as sent (CRLF)."""
    notice = EmailMessage()
    notice["From"] = formataddr((say("notice-from"), settings.from_address))
    notice["To"] = to
    notice["Subject"] = say("notice-subject")
    notice["Date"] = formatdate(localtime=True)
    notice["Message-ID"] = make_msgid("mailwiz")
    notice["Auto-Submitted"] = "auto-replied"
    refused = ", ".join(envelope.recipients) or "(the message could not be taken)"
    notice.set_content(
        say(
            "notice-body", host=os.uname().nodename, refused=refused,
            reason=envelope.last_error or "unknown", id=envelope.id,
            subject=envelope.subject or "(none)", days=f"{FAILED_KEPT / 86400:g}",
            **commands(None),
        )
    )  # fmt: skip
    notice.add_attachment(_headers(data), subtype="rfc822-headers")
    return notice.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send_notice(spool: Spool, envelope: Envelope, data: Formed, settings: Settings) -> str | None:
    """Queue the one notice for a message that just failed; returns its queue id (None
    when none is due: a notice's own failure, an automatic reply, nobody to tell)."""
    if envelope.notice or _auto_reply(data):
        return None
    to = recipient_for(envelope, settings)
    if to is None:
        why = say("notice-nobody")
        syslog.event(envelope.id, "failed", envelope.user, envelope.recipients, answer=why)
        return None
    body = build(envelope, data, settings, to)
    notice = Envelope(new_id(), [to], time.time(), subject=say("notice-subject"),
                      size=len(body), user="mailwiz", uid=os.getuid(), notice=True)  # fmt: skip
    held = spool.add(body, notice)
    held.release()
    syslog.event(notice.id, "accepted", "mailwiz", [to], answer=f"notice of {envelope.id}")
    return notice.id


def expire_failed(spool: Spool, now: float | None = None) -> list[str]:
    """Remove failed messages older than FAILED_KEPT; returns their ids."""
    now = time.time() if now is None else now
    gone: list[str] = []
    for message_id in spool.ids("failed"):
        path = spool.failed / f"{message_id}.msg"
        try:
            if now - os.stat(path, follow_symlinks=False).st_mtime <= FAILED_KEPT:
                continue
        except OSError:
            continue
        spool.delete(message_id, "failed")
        gone.append(message_id)
    return gone
