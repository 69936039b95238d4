"""Delivery: one attempt through tui.core.send, what the outcome means for the queue, the
retry schedule, and flushing the queue (the drop folder first).

A temporary failure (any 4xx, a refused connection, a timeout, DNS, TLS or sign-in
trouble: things that get better or get fixed) defers the message: the next try comes
after RETRY_DELAYS, and after GIVE_UP_AFTER it moves to failed/. A permanent refusal (a
5xx to MAIL, RCPT or DATA) moves it to failed/ at once. `flush(force=True)` (sendmail -q,
mailwiz queue --flush) tries every queued message now; the runner keeps to the schedule.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, TypeAlias

from tui.core.events import Failure, FailureKind, Reason, SendEvent, SendFinished, StageEnded
from tui.core.message import RawOutgoing
from tui.core.mta import syslog
from tui.core.mta.ingest import accept_drops
from tui.core.mta.local import Resolver
from tui.core.mta.notice import expire_failed, send_notice
from tui.core.mta.spool import Envelope, Held, Spool, new_id, tidy
from tui.core.settings import Settings
from tui.core.wire import Formed

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource

# Seconds to wait after the 1st, 2nd, ... failed attempt (the last one repeats).
RETRY_DELAYS = (120, 300, 900, 1800, 3600, 7200, 14400)
GIVE_UP_AFTER = 5 * 24 * 3600.0

Outcome = Literal["sent", "deferred", "failed"]
Secret: TypeAlias = (
    "str | TokenSource | None"  # the password, an OAuth sign-in's token source, or none
)
OnEvent = Callable[[SendEvent], None]


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    error: str = ""  # one line: the stage and the server's words ("" when sent)
    refused: str = ""  # the address(es) refused, for a permanent refusal
    failure: Failure | None = None
    refused_recipients: tuple[str, ...] = ()  # recipients refused for good (the rest went)
    remaining: tuple[str, ...] | None = None  # for a deferral: who still needs it
    relay: str = ""  # where it was sent (host:port, or the URL's host)
    answer: str = ""  # the relay's answer to the message (redacted), when it took it


def classify(failure: Failure) -> Outcome:
    """A failed attempt: worth trying again later, or refused for good?"""
    code = failure.code or 0
    if failure.reason == Reason.SIZE_LIMIT or failure.enhanced == "5.3.4":
        return "failed"  # too big for the relay: no retry makes it smaller (552 5.3.4)
    if failure.kind in (FailureKind.SENDER, FailureKind.RECIPIENT, FailureKind.MESSAGE):
        return "failed" if 500 <= code < 600 else "deferred"
    if failure.kind == FailureKind.HTTP and 400 <= code < 500:
        return "deferred" if code in (401, 403, 407, 408, 429) else "failed"
    return "deferred"


def _one_line(failure: Failure) -> str:
    words = (failure.reply or failure.detail or failure.kind.name.lower()).splitlines()
    text = " / ".join(line.strip() for line in words if line.strip())
    return f"{failure.stage}: {text}"[:300] if failure.stage else text[:300]


def _refused(failure: Failure, envelope: Envelope, account: str) -> str:
    if failure.kind == FailureKind.RECIPIENT and failure.location:
        return failure.location
    if failure.kind == FailureKind.SENDER:
        return account
    return ", ".join(envelope.recipients)


async def _send_once(
    settings: Settings,
    password: Secret,
    outgoing: RawOutgoing,
    on_event: OnEvent | None,
    on_accepted: Callable[[], None] | None,
) -> Failure | None:
    from tui.core.send import run_send

    finished: SendFinished | None = None
    async for event in run_send(settings, password, outgoing):
        if on_event is not None:
            on_event(event)
        accepted = isinstance(event, StageEnded) and event.stage == "data" and event.ok
        if accepted and on_accepted is not None:
            on_accepted()
        if isinstance(event, SendFinished):
            finished = event
    if finished is None:
        from tui.core.mta.texts import say

        return Failure(FailureKind.INTERNAL, "", detail=say("no-result"))
    if finished.ok and finished.failure is None:
        return None
    return finished.failure or Failure(FailureKind.INTERNAL, "", detail="the send failed")


def send_id(message_id: str, recipients: tuple[str, ...]) -> str:
    """The same id for every try of one queued message to these recipients: an HTTP API
    that takes an idempotency key (Resend) then sends a retry only once, even when the
    first try was accepted but answered after the deadline."""
    who = "\n".join(sorted(r.strip().lower() for r in recipients))
    return f"mailwiz-{message_id}-{hashlib.sha256(who.encode()).hexdigest()[:16]}"


def relay_name(settings: Settings) -> str:
    """Where the queue sends, for the system log: host:port, or the HTTP API or URL."""
    if settings.protocol == "http":
        return settings.http.url or settings.http.api
    return f"{settings.smtp.host}:{settings.smtp.port}"


async def attempt(
    settings: Settings,
    password: Secret,
    data: Formed,
    envelope: Envelope,
    on_event: OnEvent | None = None,
    on_accepted: Callable[[], None] | None = None,
) -> Attempt:
    """`_attempt`, with where it went and the relay's answer to the message."""
    answers: list[str] = []

    def watch(event: SendEvent) -> None:
        final = isinstance(event, StageEnded) and event.stage in ("data", "response")
        if final and isinstance(event, StageEnded) and event.ok and event.reply:
            answers.append(event.reply)
        if on_event is not None:
            on_event(event)

    result = await _attempt(settings, password, data, envelope, watch, on_accepted)
    return replace(result, relay=relay_name(settings), answer=answers[-1] if answers else "")


async def _attempt(
    settings: Settings,
    password: Secret,
    data: Formed,
    envelope: Envelope,
    on_event: OnEvent,
    on_accepted: Callable[[], None] | None,
) -> Attempt:
    """Send one message once. `on_accepted` runs as soon as the server has taken it for
    every recipient still wanted (the 250 after DATA), before QUIT, so the queue can forget
    it at the earliest moment. A recipient refused for good does not stop the others: the
    send is tried again at once without it, and the attempt says who was refused.
    `data` is the message's bytes or its file in the queue: SMTP sends it from there in
    chunks; the HTTP relay and APIs read its text from there as they send it."""
    # The HTTP relay takes one recipient per request; SMTP takes the whole envelope.
    http = settings.protocol == "http"
    pending: list[tuple[str, ...]] = (
        [(r,) for r in envelope.recipients] if http else [tuple(envelope.recipients)]
    )
    refused: list[str] = []
    errors: list[str] = []
    while pending:
        batch = pending.pop(0)
        outgoing = RawOutgoing(
            to=batch[0],
            subject=envelope.subject,
            text="",
            data=data,
            recipients=batch,
            send_id=send_id(envelope.id, batch),
        )
        failure = await _send_once(
            settings, password, outgoing, on_event, None if pending else on_accepted
        )
        if failure is None:
            continue
        outcome = classify(failure)
        one = batch[0] if http and len(batch) == 1 else _refused(failure, envelope, "")
        if outcome == "failed" and one in batch and (len(batch) > 1 or pending or http):
            refused.append(one)
            errors.append(_one_line(failure))
            rest = tuple(r for r in batch if r != one)
            if rest:
                pending.insert(0, rest)
            continue
        if outcome == "deferred":
            still = tuple(r for b in [batch, *pending] for r in b)
            return Attempt(
                outcome, _one_line(failure), "", failure, tuple(refused), remaining=still
            )
        errors.append(_one_line(failure))
        refused.append(_refused(failure, envelope, settings.from_address))
        return Attempt("failed", "; ".join(errors), ", ".join(refused), failure)
    if refused:
        return Attempt("failed", "; ".join(errors), ", ".join(refused), None, tuple(refused))
    return Attempt("sent")


Notify = Callable[[Envelope, Formed], None]


def settle(
    held: Held, result: Attempt, now: float | None = None, notify: Notify | None = None
) -> Outcome:
    """Record an attempt's outcome in the queue; returns where the message now is. What
    fails for good is handed to `notify` (the notice of tui.core.mta.notice)."""
    now = time.time() if now is None else now
    envelope = held.envelope
    if result.outcome == "sent":
        held.delivered()
        _log(held.id, "delivered", envelope, result)
        return "sent"
    envelope.attempts += 1
    envelope.last_try = now
    envelope.last_error = result.error
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
    envelope.history = [*envelope.history[-9:], f"{stamp} {result.outcome}: {result.error}"]
    outcome: Outcome = result.outcome
    if result.refused_recipients:
        if outcome == "deferred":  # refused ones are kept apart, in failed/
            _failed_copy(held, list(result.refused_recipients), result.error, notify)
        else:
            envelope.recipients = list(result.refused_recipients)
    if result.remaining is not None:
        envelope.recipients = list(result.remaining)
    waits_for_sign_in = result.failure is not None and result.failure.stage == "token"
    if outcome == "deferred" and now - envelope.created > GIVE_UP_AFTER and not waits_for_sign_in:
        # (mail waiting for a sign-in is kept: signing in again sends it, see mailwiz status)
        envelope.last_error = f"gave up after {GIVE_UP_AFTER / 86400:g} days: {result.error}"
        outcome = "failed"
    if outcome == "failed":
        held.failed()
        _log(held.id, "failed", envelope, result)
        if notify is not None:
            notify(envelope, held.message)
        return "failed"
    delay = RETRY_DELAYS[min(envelope.attempts, len(RETRY_DELAYS)) - 1]
    envelope.next_try = now + delay
    held.deferred()
    _log(held.id, "deferred", envelope, result)
    return "deferred"


def _log(message_id: str, status: str, envelope: Envelope, result: Attempt) -> None:
    answer = result.answer if status == "delivered" else (envelope.last_error or result.error)
    syslog.event(
        message_id, status, envelope.user, envelope.recipients, relay=result.relay, answer=answer
    )


def _failed_copy(held: Held, recipients: list[str], error: str, notify: Notify | None) -> None:
    """A failed/ entry for recipients refused for good while the message went on."""
    spool, original = held.spool, held.envelope
    envelope = Envelope(
        new_id(), recipients, original.created, original.subject, original.size,
        original.sender, original.user, original.uid, attempts=1, last_try=time.time(),
        last_error=error,
    )  # fmt: skip
    spool.add(held.message.chunks(), envelope).failed()
    syslog.event(envelope.id, "failed", envelope.user, recipients, answer=error)
    if notify is not None:
        notify(envelope, held.message)


async def deliver_held(
    held: Held,
    settings: Settings,
    password: Secret,
    on_event: OnEvent | None = None,
) -> tuple[Outcome, Attempt]:
    """Try a held message once and record the outcome (and the notice of a permanent
    failure); always releases it."""
    accepted = False

    def notify(envelope: Envelope, data: Formed) -> None:
        send_notice(held.spool, envelope, data, settings)

    def forget() -> None:
        nonlocal accepted
        accepted = True
        held.delivered()

    try:
        # The message goes from its file in the queue, in chunks: never held whole.
        result = await attempt(settings, password, held.message, held.envelope, on_event, forget)
        if accepted:  # gone from the queue already; a failed QUIT changes nothing
            envelope = held.envelope
            went = [r for r in envelope.recipients if r not in result.refused_recipients]
            syslog.event(
                held.id, "delivered", envelope.user, went, relay=result.relay,
                answer=result.answer,
            )  # fmt: skip
            if result.refused_recipients:  # ...but some recipients were refused for good
                _failed_copy(held, list(result.refused_recipients), result.error, notify)
                return "failed", result
            return "sent", Attempt("sent", relay=result.relay, answer=result.answer)
        return settle(held, result, notify=notify), result
    finally:
        held.release()


@dataclass(frozen=True)
class FlushResult:
    id: str
    outcome: Outcome
    attempt: Attempt


async def flush(
    spool: Spool,
    settings: Settings,
    password: Secret,
    resolver: Resolver,
    force: bool,
    on_event: OnEvent | None = None,
    now: float | None = None,
) -> list[FlushResult]:
    """Deliver what is due (everything with `force`); messages being delivered by another
    process are left to it."""
    spool.check_owner()  # SpoolError: never work on another user's queue, or through links
    tidy(spool)
    expire_failed(spool)
    accept_drops(spool, settings, resolver)
    results: list[FlushResult] = []
    for message_id in spool.ids():
        envelope = spool.envelope(message_id)
        moment = time.time() if now is None else now
        if envelope is not None and not force and envelope.next_try > moment:
            continue
        held = spool.hold(message_id)
        if held is None:
            continue
        try:
            outcome, result = await deliver_held(held, settings, password, on_event)
        except Exception as error:  # one message never stops the queue
            outcome, result = _stuck(spool, message_id, error)
        results.append(FlushResult(message_id, outcome, result))
    return results


def _stuck(spool: Spool, message_id: str, error: Exception) -> tuple[Outcome, Attempt]:
    """A message whose delivery raised (a bug, or an entry mailwiz cannot read): failed/,
    with the reason, so that the rest of the queue goes on and it is not tried forever."""
    from tui.core.mta.texts import say

    result = Attempt("failed", say("not-sent", error=f"{type(error).__name__}: {error}")[:300])
    held = spool.hold(message_id)
    if held is None:
        return "deferred", result
    try:
        return settle(held, result), result
    finally:
        held.release()
