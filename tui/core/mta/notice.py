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

from tui.core.mta import syslog
from tui.core.mta.local import Resolver, UnknownLocalName, local_domains
from tui.core.mta.spool import Envelope, Spool, new_id
from tui.core.settings import Settings

FAILED_KEPT = 30 * 24 * 3600.0  # how long failed/ keeps a message
_HEADERS_KEPT = 32 * 1024  # bytes of the original headers quoted in the notice


def _headers(data: bytes) -> str:
    text = data[: _HEADERS_KEPT * 2].replace(b"\r\n", b"\n")
    end = text.find(b"\n\n")
    return text[: end if end >= 0 else len(text)][:_HEADERS_KEPT].decode("utf-8", "replace")


def _auto_reply(data: bytes) -> bool:
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


def build(envelope: Envelope, data: bytes, settings: Settings, to: str) -> bytes:
    """The notice as sent (CRLF)."""
    notice = EmailMessage()
    notice["From"] = formataddr(("Mail Delivery System", settings.from_address))
    notice["To"] = to
    notice["Subject"] = "Undelivered Mail Returned to Sender"
    notice["Date"] = formatdate(localtime=True)
    notice["Message-ID"] = make_msgid("mailwiz")
    notice["Auto-Submitted"] = "auto-replied"
    refused = ", ".join(envelope.recipients) or "(the message could not be taken)"
    notice.set_content(
        f"This is mailwiz on {os.uname().nodename}, the system's mail program.\n\n"
        "Your message could not be delivered to these recipients, and will not be tried "
        f"again:\n\n    {refused}\n\nThe reason (the relay's own words where it answered):\n\n"
        f"    {envelope.last_error or 'unknown'}\n\n"
        f"Queue id {envelope.id}; subject: {envelope.subject or '(none)'}. The message is "
        f"kept for {FAILED_KEPT / 86400:g} days in the failed queue (mailwiz queue lists it; "
        "mailwiz queue --requeue ID sends it again). Its headers follow.\n"
    )
    notice.add_attachment(_headers(data), subtype="rfc822-headers")
    return notice.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send_notice(spool: Spool, envelope: Envelope, data: bytes, settings: Settings) -> str | None:
    """Queue the one notice for a message that just failed; returns its queue id (None
    when none is due: a notice's own failure, an automatic reply, nobody to tell)."""
    if envelope.notice or _auto_reply(data):
        return None
    to = recipient_for(envelope, settings)
    if to is None:
        why = "no notice sent: no address for the user and no [local] admin"
        syslog.event(envelope.id, "failed", envelope.user, envelope.recipients, answer=why)
        return None
    body = build(envelope, data, settings, to)
    notice = Envelope(new_id(), [to], time.time(), subject="Undelivered Mail Returned to Sender",
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
