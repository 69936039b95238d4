"""Taking a prepared message into the queue, and taking in the drop folder: the part of
submitting that the sendmail entry and the queue runner share.

Every drop file is handled on its own: it is queued, or it goes to failed/ with the
reason, or (junk: not a message mailwiz wrote) to the root-only quarantine; whatever one
file holds, the others are still taken in.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from tui.core.addresses import envelope_problem
from tui.core.exits import SysExit
from tui.core.mta import syslog
from tui.core.mta.errors import MtaError
from tui.core.mta.local import Resolver, UnknownLocalName
from tui.core.mta.options import Invocation, from_record
from tui.core.mta.reading import Reader
from tui.core.mta.rewrite import Head, MessageProblem, Prepared, prepare_head
from tui.core.mta.spool import Envelope, Held, Spool, SpoolError, new_id, user_name
from tui.core.settings import Settings

if TYPE_CHECKING:
    from tui.core.mta import dropbox

Message = TypeVar("Message", Prepared, Head)
_NOTICE_QUOTES = 64 * 1024  # the start of a message, for a notice (its header block)


def new_envelope(prepared: Prepared | Head, invocation: Invocation, uid: int) -> Envelope:
    return Envelope(
        id=new_id(),
        recipients=list(prepared.recipients),
        created=time.time(),
        subject=prepared.subject,
        size=len(prepared.data),
        sender=invocation.sender,
        user=user_name(uid),
        uid=uid,
    )


def queue(
    spool: Spool,
    prepared: Prepared | Head,
    invocation: Invocation,
    uid: int,
    data: Iterable[bytes] | None = None,
) -> Held:
    """Queue a prepared message (or a prepared head and `data`, the whole message in chunks
    as they are read), held (locked) for its first attempt. MtaError (73)."""
    envelope = new_envelope(prepared, invocation, uid)
    try:
        held = spool.add(prepared.data if data is None else data, envelope)
    except SpoolError as error:
        raise MtaError.of(SysExit.CANTCREAT, "not-queued", error=error.strerror) from None
    syslog.event(held.id, "accepted", envelope.user, envelope.recipients, size=envelope.size)
    return held


def split_refused(prepared: Message) -> tuple[Message, list[tuple[str, str]]]:
    """The message for the recipients the envelope checks accept, and (address, problem)
    for each they refuse: such a refusal never reached a server and never gets better."""
    good: list[str] = []
    refused: list[tuple[str, str]] = []
    for address in prepared.recipients:
        problem = envelope_problem(address)
        if problem is None:
            good.append(address)
        else:
            refused.append((address, problem))
    if not refused:
        return prepared, []
    return prepared._replace(recipients=tuple(good)), refused


def fail_refused(
    spool: Spool,
    prepared: Prepared,
    invocation: Invocation,
    uid: int,
    refused: list[tuple[str, str]],
) -> list[Envelope]:
    """One failed/ entry per recipient refused before any server was asked (the reason
    in its envelope). MtaError (73) when failed/ cannot be written."""
    entries: list[Envelope] = []
    for address, problem in refused:
        envelope = new_envelope(prepared, invocation, uid)
        envelope.recipients = [address]
        envelope.last_error = f"refused before sending: {address!r} {problem}"
        try:
            spool.add(prepared.data, envelope).failed()
        except OSError as error:
            raise MtaError.of(SysExit.CANTCREAT, "not-queued", error=error.strerror) from None
        syslog.event(envelope.id, "failed", envelope.user, [address], answer=envelope.last_error)
        entries.append(envelope)
    return entries


def fail_message(spool: Spool, data: bytes | Iterable[bytes], uid: int, error: str) -> Envelope:
    """A message that cannot be taken at all, kept in failed/ with the reason."""
    envelope = Envelope(new_id(), [], time.time(), user=user_name(uid), uid=uid, last_error=error)
    spool.add(data, envelope).failed()
    syslog.event(envelope.id, "failed", envelope.user, [], answer=error)
    return envelope


def accept_drops(spool: Spool, settings: Settings, resolver: Resolver) -> list[str]:
    """Queue what callers without access to the settings left in the drop folder; each
    records its submitting user (the file's owner). Returns the new queue IDs. A message
    is read from its drop file as it is written to the queue, never held whole."""
    from tui.core.mta import dropbox  # the runner's; a submission never reads the drop folder

    queued: list[str] = []
    for dropped in dropbox.take(spool):
        try:
            queued += _accept(spool, dropped, settings, resolver)
        except (OSError, MtaError):
            continue  # the queue cannot be written now: the drop file waits for the next run
        except Exception as error:  # one message never stops the others
            try:
                fail_message(spool, dropped.chunks(), dropped.uid, _unexpected(error))
            except OSError:
                continue
        dropped.remove()
    return queued


def _unexpected(error: Exception) -> str:
    from tui.core.mta.texts import say

    return say("not-taken", error=f"{type(error).__name__}: {error}")[:300]


def send_notice(spool: Spool, failed: Envelope, data: bytes, settings: Settings) -> None:
    from tui.core.mta import notice  # the runner's; the sendmail entry never loads it

    notice.send_notice(spool, failed, data, settings)


def _accept(
    spool: Spool, dropped: dropbox.Dropped, settings: Settings, resolver: Resolver
) -> list[str]:
    """One drop file: queued, or failed/ with the reason. Never raises for its content."""
    read = from_record(dropped.header)
    reader = Reader(dropped.stream(), ignore_dots=True)
    try:
        if read is None:
            from tui.core.mta.texts import say

            raise MessageProblem(say("not-our-header"))
        invocation, submitted = read
        head = prepare_head(reader.head(), invocation, settings, resolver, submitted)
    except MessageProblem as problem:
        return _refuse(spool, dropped, str(problem), settings)
    except UnknownLocalName as unknown:
        from tui.core.mta.texts import say

        error = say("no-alias", name=unknown.name)
        return _refuse(spool, dropped, error, settings)
    head, refused = split_refused(head)
    if refused:  # (rare) the whole message in memory, as the sendmail entry does then
        prepared = Prepared(head.recipients, head.data + b"".join(reader.body()), head.subject)
        for failed in fail_refused(spool, prepared, invocation, dropped.uid, refused):
            send_notice(spool, failed, prepared.data, settings)  # the caller never hears it
        if not prepared.recipients:
            return []
        held = queue(spool, prepared, invocation, dropped.uid)
    else:
        body = itertools.chain([head.data], reader.body())
        held = queue(spool, head, invocation, dropped.uid, body)
    held.release()
    return [held.id]


def _refuse(spool: Spool, dropped: dropbox.Dropped, error: str, settings: Settings) -> list[str]:
    """A drop file whose message cannot be taken: failed/, and the notice (which quotes
    the header block only: the message's start is enough)."""
    failed = fail_message(spool, dropped.chunks(), dropped.uid, error)
    send_notice(spool, failed, dropped.stream().read(_NOTICE_QUOTES), settings)
    return []
