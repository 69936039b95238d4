"""The SMTP dialogue, one function per stage: greeting, ehlo, starttls, token, auth, mail,
rcpt (one stage per recipient, its `target` the address), data, quit.

Each step begins its stage, talks through the Session, and ends the stage with the reply;
a refusal raises Stop with the classified Failure (classify.py). Nothing here decides what
the user should do: failures carry the facts (field, location, reason) for the diagnosis.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from tui.core.credentials.tokens import TokenError
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.texts import Texts
from tui.core.transports.smtp import network, probes
from tui.core.transports.smtp.auth import Login, Mechanism, choose
from tui.core.transports.smtp.connection import Closed
from tui.core.transports.smtp.esmtp import Extensions
from tui.core.transports.smtp.preflight import Address, Credentials, Prepared
from tui.core.transports.smtp.reply import NotSmtp, Reply
from tui.core.transports.smtp.session import Session
from tui.core.transports.stages import Stop
from tui.core.wire import SHOWN_LINES

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

GREETING_GRACE = 3.0  # seconds without a greeting before checking for implicit TLS


async def greeting(session: Session) -> None:
    session.rec.begin("greeting")
    reply = await _read_greeting(session)
    session.expect(reply, 220)
    session.rec.end(reply.wire)


async def _read_greeting(session: Session) -> Reply:
    """The greeting; meanwhile, after a grace period, check for a TLS-only port (not on
    port 25, where an early talker gets blocked by postscreen-style filters)."""
    smtp = session.settings.smtp
    reply_task = asyncio.ensure_future(session.read_reply())
    if smtp.security == "tls" or smtp.port == 25:
        return await reply_task
    probe: asyncio.Future[bool] | None = None
    try:
        grace = min(GREETING_GRACE, float(smtp.timeout) / 3)
        done, _ = await asyncio.wait({reply_task}, timeout=grace)
        if not done:
            session.note(say("dialogue.no-greeting-yet", grace=grace))
            probe = asyncio.ensure_future(probes.probe_speaks_tls(session))
            waiting: set[asyncio.Future[Any]] = {reply_task, probe}
            finished, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if reply_task not in finished and probe.result():
                session.note(say("dialogue.speaks-tls", port=smtp.port))
                raise Stop(_implicit_tls_port(session))
        return await reply_task
    finally:
        for task in (reply_task, probe):
            if task is not None and not task.done():
                task.cancel()


def _implicit_tls_port(session: Session) -> Failure:
    smtp = session.settings.smtp
    return Failure(
        FailureKind.TLS,
        "greeting",
        detail=say("dialogue.implicit-tls-port", port=smtp.port, security=smtp.security),
        field=Key.SECURITY,
        location=f"{session.target.host}:{smtp.port}",
        reason=Reason.IMPLICIT_TLS_PORT,
    )


async def ehlo(session: Session, prepared: Prepared) -> None:
    session.rec.begin("ehlo")
    if prepared.ehlo_name is None:
        # getfqdn() may do a reverse lookup: never block the event loop (the wizard).
        fqdn = await asyncio.get_running_loop().run_in_executor(None, socket.getfqdn)
        prepared.ehlo_name = _ehlo_name(session, fqdn)
    await session.send_line(f"EHLO {prepared.ehlo_name}")
    reply = await session.read_reply()
    session.expect(reply, 250)
    prepared.extensions = Extensions.from_reply(reply)
    session.rec.end(reply.wire)


def _ehlo_name(session: Session, name: str) -> str:
    """This machine's name when it is a usable domain, else its address literal."""
    if "." in name and name.isascii() and all(c.isalnum() or c in ".-" for c in name):
        return name
    transport = session.conn.transport if session.conn is not None else None
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    address = str(sockname[0]) if sockname else "127.0.0.1"
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


async def starttls(session: Session, prepared: Prepared) -> None:
    assert session.conn is not None
    session.rec.begin("starttls")
    if not prepared.extensions.starttls:
        session.note(say("dialogue.no-starttls-note"))
        raise Stop(
            Failure(
                FailureKind.NO_STARTTLS,
                "starttls",
                detail=say("dialogue.no-starttls"),
                reason=Reason.STARTTLS_NOT_OFFERED,
                location=f"{session.target.host}:{session.target.port}",
            )
        )
    await session.send_line("STARTTLS")
    reply = await session.read_reply()
    if reply.code != 220:
        session.note(say("dialogue.starttls-refused"))
    session.expect(reply, 220)
    if session.conn.buffer:
        # RFC 3207 5: the server says nothing between 220 and the handshake. Bytes here
        # were sent in clear, possibly injected, and would be read as if encrypted.
        session.note(say("dialogue.bytes-after-220", count=len(session.conn.buffer)))
        raise Stop(
            Failure(
                FailureKind.TLS,
                "starttls",
                reply=reply.wire,
                detail=say("dialogue.injection"),
                reason=Reason.STARTTLS_INJECTION,
            )
        )
    await network.handshake(session, "starttls", prepared)
    session.rec.end(reply.wire)


async def token(session: Session, credentials: Credentials, *, refresh: bool = False) -> None:
    """The `token` stage: an access token from the TokenSource (refreshed when asked)."""
    assert credentials.tokens is not None
    session.rec.begin("token")
    try:
        credentials.token = await credentials.tokens.access_token(refresh=refresh)
    except TokenError as exc:
        raise Stop(token_failure(exc)) from exc
    session.rec.redactor.add(credentials.token)
    session.rec.end(say("dialogue.fresh-token" if refresh else "dialogue.token"))


def token_failure(exc: TokenError) -> Failure:
    # reply is exactly the endpoint's "error: description" (the diagnosis reads it so)
    words = f"{exc.error}: {exc.description}" if exc.description else exc.error
    codes = f" ({', '.join(exc.codes)})" if exc.codes else ""
    return Failure(
        FailureKind.TEMPORARY if exc.temporary else FailureKind.AUTH,
        "token",
        reply=words,
        detail=say("dialogue.no-token", words=words, codes=codes),
        field=Key.PASSWORD,
        reason=Reason.TOKEN_UNAVAILABLE if exc.temporary else Reason.TOKEN_REFUSED,
    )


async def auth(session: Session, prepared: Prepared, credentials: Credentials) -> None:
    session.rec.begin("auth")
    if not session.tls:  # not an assert: it must hold under python -O too
        raise RuntimeError("refusing to send credentials outside TLS")
    mechanism = _mechanism(session, prepared, credentials)
    reply, refused = await _attempt(session, mechanism, credentials)
    if refused and credentials.tokens is not None:
        # The token was refused (expired, revoked): refresh once, retry once.
        session.rec.end(reply.wire, ok=False)
        await token(session, credentials, refresh=True)
        session.rec.begin("auth")
        reply, refused = await _attempt(session, mechanism, credentials)
    try:
        session.expect(reply, 235)
    except Stop as stop:
        if refused:
            raise Stop(stop.failure._replace(reason=Reason.TOKEN_REJECTED)) from None
        raise
    session.rec.end(reply.wire)


def _mechanism(session: Session, prepared: Prepared, credentials: Credentials) -> Mechanism:
    offered = prepared.extensions.auth
    mechanism = choose(offered, credentials.kind)
    if mechanism is not None:
        return mechanism
    what = " ".join(offered) if offered else say("dialogue.no-login-at-all")
    ours = say(f"dialogue.{'token' if credentials.kind == 'token' else 'password'}-mechanisms")
    session.note(say("dialogue.offers-note", what=what, ours=ours))
    raise Stop(
        Failure(
            FailureKind.AUTH,
            "auth",
            detail=say("dialogue.offers", what=what, ours=ours),
            field=Key.AUTH,
            reason=Reason.AUTH_NOT_OFFERED,
        )
    )


async def _attempt(
    session: Session, mechanism: Mechanism, credentials: Credentials
) -> tuple[Reply, bool]:
    login = Login(
        credentials.username, credentials.secret, session.target.host, session.target.port
    )
    session.rec.redactor.add(login.secret, mechanism.forms(login))
    attempt = await mechanism.run(session, login)
    return attempt.reply, attempt.token_refused


async def mail(session: Session, prepared: Prepared) -> None:
    session.rec.begin("mail")
    extensions = prepared.extensions
    size = prepared.message.size
    limit = extensions.size_limit
    if limit is not None and limit < size:
        raise Stop(
            Failure(
                FailureKind.MESSAGE,
                "mail",
                detail=say("dialogue.too-large", size=size, limit=limit),
                reason=Reason.SIZE_LIMIT,
            )
        )
    utf8 = _use_smtputf8(prepared)
    params = f" SIZE={size}" if "SIZE" in extensions else ""
    if prepared.message.eight_bit and "8BITMIME" in extensions:
        params += " BODY=8BITMIME"  # a formed message with an 8-bit body, kept as it is
    params += " SMTPUTF8" if utf8 else ""
    await session.send_line(f"MAIL FROM:<{_envelope(prepared.sender, utf8)}>{params}")
    reply = await session.read_reply()
    session.expect(reply, 250, 251, location=prepared.sender.text)
    session.rec.end(reply.wire)


def _use_smtputf8(prepared: Prepared) -> bool:
    """SMTPUTF8 when offered and an address needs it; stop when needed but not offered."""
    addresses = (prepared.sender, *prepared.recipients)
    if prepared.extensions.smtputf8:
        return any(not a.text.isascii() for a in addresses) or bool(prepared.needs_utf8)
    if not prepared.needs_utf8:
        return False
    first = prepared.needs_utf8[0]
    kind = {Key.SENDER_ADDRESS: FailureKind.SENDER, Key.REPLY_TO: FailureKind.MESSAGE}.get(
        first.field, FailureKind.RECIPIENT
    )
    raise Stop(
        Failure(
            kind,
            "mail",
            detail=say("dialogue.needs-smtputf8", field=first.field.value, text=first.text),
            field=first.field,
            location=first.text,
            reason=Reason.SMTPUTF8_NOT_OFFERED,
        )
    )


def _envelope(address: Address, utf8: bool) -> str:
    return address.text if utf8 or address.ascii is None else address.ascii


async def rcpt(session: Session, prepared: Prepared) -> None:
    """One `rcpt` stage per envelope recipient (the recipient, then the copy address)."""
    utf8 = prepared.extensions.smtputf8
    for recipient in prepared.recipients:
        session.rec.begin("rcpt", target=recipient.text)
        address = _envelope(recipient, utf8)
        await session.send_line(f"RCPT TO:<{address}>")
        reply = await session.read_reply()
        session.expect(
            reply,
            250,
            251,
            detail=say("dialogue.rcpt-refused", address=address),
            location=recipient.text,
            field=recipient.field,
        )
        session.rec.end(reply.wire)
    session.recipients = tuple(r.text for r in prepared.recipients)


async def data(session: Session, prepared: Prepared) -> None:
    assert session.conn is not None
    session.rec.begin("data")
    await session.send_line("DATA")
    reply = await session.read_reply()
    session.expect(reply, 354)
    message = prepared.message
    direction = session.direction(sent=True)
    for line in message.head:
        session.rec.line(direction, line)
    if message.lines > SHOWN_LINES:
        hidden = message.lines - SHOWN_LINES
        session.note(say("dialogue.not-shown", count=hidden, size=message.size))
    for chunk in message.chunks():
        await session.conn.write(chunk)
    await session.conn.write(b".\r\n")
    session.rec.line(direction, ".")
    reply = await session.read_reply()
    session.expect(reply, 250)
    session.accepted = reply
    session.rec.end(reply.wire)


async def quit_(session: Session) -> None:
    session.rec.begin("quit")
    try:
        await session.send_line("QUIT")
        reply = await session.read_reply()
    except (Closed, NotSmtp, OSError) as exc:
        # The message is already accepted: a rude goodbye is not a failure.
        session.note(say("dialogue.quit-unanswered", error=exc))
        session.rec.end("", ok=False)
        return
    session.rec.end(reply.wire, ok=reply.code == 221)


async def polite_quit(session: Session, failure: Failure) -> None:
    """After a refusal on a live SMTP connection, say QUIT (shown, not a stage)."""
    conn = session.conn
    remaining = session.deadline.remaining()
    if conn is None or conn.closed or failure.code is None or remaining < 0.2:
        return
    try:
        async with asyncio.timeout(min(1.0, remaining - 0.1)):
            await session.send_line("QUIT")
            await session.read_reply()
    except (TimeoutError, Closed, NotSmtp, OSError):
        pass
