"""Second, diagnostic connections: short, capped by the deadline, sending no secret.

- `probe_speaks_tls`: while a greeting does not come, does the port complete a TLS
  handshake from the first byte? ("starttls on port 465" fails fast and clearly.)
- `probe_banner`: after a failed implicit-TLS handshake, does the port greet in plain text?
- `fetch_certificate`: the certificate that failed verification, fetched again WITHOUT
  verification only to describe it (only the handshake is done; nothing is sent inside).
None of them raises: a probe that cannot tell returns "don't know".
"""

from __future__ import annotations

import asyncio
import ssl

from tui.core.events import CertificateInfo
from tui.core.texts import Texts
from tui.core.tls import certificate_info, unverified_context
from tui.core.transports.smtp.connection import Closed, Connection, open_connection
from tui.core.transports.smtp.reply import NotSmtp, ReplyParser, is_reply_line
from tui.core.transports.smtp.session import Session

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

PROBE_SECONDS = 5.0  # cap for a second, diagnostic connection
_PROBLEMS = (TimeoutError, Closed, NotSmtp, OSError, EOFError)


async def _side_connection(session: Session) -> Connection | None:
    target = session.target
    if session.deadline.remaining() < 0.3 or not target.sockaddr:
        return None
    try:
        return await open_connection(target.family, target.sockaddr)
    except OSError:
        return None


async def probe_banner(session: Session) -> str | None:
    """The plain-text greeting of the port, or None."""
    try:
        async with asyncio.timeout(session.deadline.cap(2.0)):
            conn = await _side_connection(session)
            if conn is None:
                return None
            try:
                line = (await conn.read_line()).rstrip(b"\r\n").decode("utf-8", "replace")
            finally:
                conn.abort()
    except _PROBLEMS:
        return None
    return line[:200] if is_reply_line(line) else None


async def probe_speaks_tls(session: Session) -> bool:
    try:
        async with asyncio.timeout(session.deadline.cap(PROBE_SECONDS)):
            conn = await _side_connection(session)
            if conn is None:
                return False
            try:
                await conn.start_tls(unverified_context(), session.target.host)
                return True
            finally:
                conn.abort()
    except _PROBLEMS:
        return False


async def fetch_certificate(
    session: Session, reason: str, ehlo_name: str | None
) -> CertificateInfo:
    der: bytes | None = None
    try:
        async with asyncio.timeout(session.deadline.cap(PROBE_SECONDS)):
            conn = await _side_connection(session)
            if conn is not None:
                try:
                    if session.security == "starttls":
                        await _quiet_starttls(conn, ehlo_name or "localhost")
                    await conn.start_tls(unverified_context(), session.target.host)
                    ssl_object = conn.ssl_object()
                    if ssl_object is not None:
                        der = ssl_object.getpeercert(binary_form=True)
                finally:
                    conn.abort()
    except (*_PROBLEMS, ssl.SSLError):
        der = None
    if not der:
        return CertificateInfo(reason=reason)
    info = certificate_info(der, reason)
    names = ", ".join(info.names) or "?"
    since, until, issuer = info.not_before or "?", info.not_after or "?", info.issuer or "?"
    session.note(say("probes.certificate", names=names, since=since, until=until, issuer=issuer))
    return info


async def _quiet_starttls(conn: Connection, ehlo_name: str) -> None:
    """Greeting, EHLO, STARTTLS on a side connection, up to the point of the handshake."""

    async def reply() -> int:
        parser = ReplyParser()
        while True:
            line = (await conn.read_line()).decode("utf-8", "replace").rstrip("\r\n")
            done = parser.feed(line)
            if done is not None:
                return done.code

    if await reply() != 220:
        raise Closed("no greeting")
    await conn.write(f"EHLO {ehlo_name}\r\n".encode())
    if await reply() != 250:
        raise Closed("EHLO refused")
    await conn.write(b"STARTTLS\r\n")
    if await reply() != 220:
        raise Closed("STARTTLS refused")
