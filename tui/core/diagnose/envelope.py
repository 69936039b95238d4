"""Handlers for the envelope and the message: values refused before connecting, the sender,
the recipients, the message itself, temporary refusals, and mailwiz's own bugs."""

from __future__ import annotations

from tui.core.diagnose.context import Ctx, Diagnosis
from tui.core.diagnose.texts import name_of
from tui.core.keys import Key

_ADDRESSES = (Key.SENDER_ADDRESS, Key.REPLY_TO, Key.COPY_TO, Key.RECIPIENT, Key.LOCAL_ADMIN)


def setting(c: Ctx) -> Diagnosis:
    """Reason.SETTINGS: a value mailwiz refused before connecting; Failure.field names it."""
    key = c.failure.field or Key.SENDER_ADDRESS
    # MessageError's text starts with the key it names: no need to say it twice.
    problem = c.failure.detail.removeprefix(f"{key.value}: ") or c.failure.reply
    example = c.sub("setting", "address") if key in _ADDRESSES else ""
    return c.make(
        "setting",
        key,
        what=name_of(key, c.audience),
        field_place=name_of(key, c.audience, place=True, config_path=c.config_path),
        problem=problem,
        example=example,
    )


def smtputf8(c: Ctx) -> Diagnosis:
    """Reason.SMTPUTF8_NOT_OFFERED: a non-ASCII address, a server without SMTPUTF8."""
    key = c.failure.field or Key.RECIPIENT
    address = c.failure.location or "this address"
    return c.make("smtputf8", key, address=address, key_name=name_of(key, c.audience))


def sender(c: Ctx) -> Diagnosis:
    f, s = c.failure, c.settings
    if f.code == 530 or (f.enhanced.startswith("5.7.0") and not s.smtp.username):
        return c.make("sign-in-first", Key.USERNAME)
    user, address = s.smtp.username, c.value("sender")
    own = bool(user) and "@" in user and user.lower() != str(address).lower()
    first = "own-address" if own else "account-address"
    return c.make("sender", Key.SENDER_ADDRESS, after=(first, "alias"))


def _refused_copy(c: Ctx) -> bool:
    """Whether the refused recipient is the copy (Bcc) address: the failure's field says."""
    f, copy = c.failure, c.settings.sender.copy_to.strip().lower()
    if f.field is not None:
        return f.field is Key.COPY_TO
    return bool(copy) and f.location.strip().lower() == copy


def recipient(c: Ctx) -> Diagnosis:
    f = c.failure
    is_copy = _refused_copy(c)
    field = Key.COPY_TO if is_copy else Key.RECIPIENT
    copy = c.settings.sender.copy_to.strip()
    c.values.update(which=c.part("copy", copy=copy) if is_copy else c.part("recipient"))
    if f.enhanced == "5.7.1":
        return c.make("no-relay", field if c.settings.smtp.username else Key.USERNAME)
    if f.enhanced == "5.2.2" or f.code in (452, 552):
        return c.make("mailbox-full", field)
    return c.make("recipient", field)


def message(c: Ctx) -> Diagnosis:
    f = c.failure
    if f.enhanced == "5.2.2":
        return recipient(c)
    if f.code is None:
        return c.make("dropped")
    if f.code == 552 or f.enhanced in ("5.3.4", "5.2.3"):
        return c.make("too-large")
    return c.make("message-refused")


def size_limit(c: Ctx) -> Diagnosis:
    """Reason.SIZE_LIMIT: larger than the SIZE the server announced; nothing was sent."""
    detail = f" ({c.failure.detail})" if c.failure.detail else ""
    return c.make("size-limit", detail=detail)


def temporary(c: Ctx) -> Diagnosis:
    f = c.failure
    if f.stage == "auth":
        return c.make("auth-busy")
    if f.code == 421:
        what = c.part("temp-421")
    else:
        during = c.part("during") if f.stage else ""
        what = c.part("temp-other", during=during)
    return c.make("try-later", what=what)


def internal(c: Ctx) -> Diagnosis:
    f = c.failure
    where = f" during the {f.stage} step" if f.stage else ""
    return c.make("internal", where=where)
