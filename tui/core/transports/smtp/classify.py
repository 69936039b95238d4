"""Reply -> Failure: which kind of failure a refusal or a broken connection is, per stage.

Pure functions of the stage, the reply and what the dialogue knows; the dialogue raises
`Stop(failure)` with the result. Facts go in fields (code, enhanced, reply, field, location,
reason), never only in the words of `detail`.
"""

from __future__ import annotations

from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.texts import Texts
from tui.core.transports.smtp.connection import Closed
from tui.core.transports.smtp.reply import NotSmtp, Reply

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

# The kind of failure when a stage ends badly with a 5xx reply or a broken connection.
STAGE_KIND = {
    "token": FailureKind.AUTH,
    "resolve": FailureKind.DNS,
    "connect": FailureKind.REFUSED,
    "tls": FailureKind.TLS,
    "greeting": FailureKind.REFUSED,
    "ehlo": FailureKind.REFUSED,
    "starttls": FailureKind.NO_STARTTLS,
    "auth": FailureKind.AUTH,
    "mail": FailureKind.SENDER,
    "rcpt": FailureKind.RECIPIENT,
    "data": FailureKind.MESSAGE,
    "quit": FailureKind.MESSAGE,
}

# The setting a refusal at this stage points at, when the stage alone says it.
STAGE_FIELD = {
    "auth": Key.PASSWORD,
    "mail": Key.SENDER_ADDRESS,
}


def refusal(
    stage: str,
    reply: Reply,
    expected: tuple[int, ...],
    *,
    detail: str = "",
    location: str = "",
    field: Key | None = None,
) -> Failure:
    """The failure for `reply` where one of `expected` was needed."""
    kind = STAGE_KIND[stage]
    reason: Reason | None = None
    if reply.code == 421 or (400 <= reply.code < 500 and stage != "starttls"):
        kind = FailureKind.TEMPORARY
    elif reply.code == 552:
        kind = FailureKind.MESSAGE  # message too big, whatever the stage (SIZE_LIMIT is
        # only for our own check against the announced SIZE: nothing sent)
    elif reply.code == 530 and stage in ("mail", "rcpt"):
        kind = FailureKind.NO_STARTTLS if "STARTTLS" in reply.text.upper() else FailureKind.AUTH
    elif reply.code < 400:
        detail = detail or say("classify.unexpected", code=reply.code, expected=expected[0])
    return Failure(
        kind,
        stage,
        code=reply.code,
        enhanced=reply.enhanced,
        reply=reply.wire,
        detail=detail,
        field=field or STAGE_FIELD.get(stage),
        location=location,
        reason=reason,
    )


def broken(stage: str, exc: BaseException, security: str) -> Failure:
    """A broken connection or a non-SMTP answer during `stage`."""
    if isinstance(exc, NotSmtp):
        detail = say("classify.not-smtp", error=exc)
        if stage == "greeting":
            detail += say("classify.other-service")
        return Failure(
            STAGE_KIND.get(stage, FailureKind.INTERNAL),
            stage,
            detail=detail,
            reason=Reason.NOT_SMTP,
        )
    reason = Reason.CONNECTION_LOST
    kind = STAGE_KIND.get(stage, FailureKind.INTERNAL)
    detail = say("classify.closed", error=exc)
    if stage == "data":
        detail = say("classify.lost-in-data", error=exc)
    elif stage == "greeting" and security != "tls":
        detail += say("classify.before-greeting")
    elif stage == "starttls" and isinstance(exc, Closed | OSError | EOFError):
        # Asked for STARTTLS, the server hung up: a TLS failure, not "STARTTLS not offered".
        kind, reason = FailureKind.TLS, Reason.STARTTLS_CLOSED
        detail = say("classify.closed-at-starttls", error=exc)
    return Failure(kind, stage, detail=detail, reason=reason)
