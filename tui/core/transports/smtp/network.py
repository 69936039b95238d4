"""The network stages: `resolve`, `connect`, and the TLS handshake (`tls`, or inside
`starttls`). A certificate failure is described by fetching the certificate again without
verification (probes.fetch_certificate); a failed implicit-TLS handshake checks whether the
port greets in plain text (probes.probe_banner).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import cast

from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.texts import Texts
from tui.core.tls import peer_certificate_info
from tui.core.transports.smtp import probes
from tui.core.transports.smtp.connection import open_connection
from tui.core.transports.smtp.preflight import Prepared
from tui.core.transports.smtp.session import Session
from tui.core.transports.stages import Stop, unreachable_reason

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file


async def resolve_and_connect(session: Session) -> None:
    addresses = await _resolve(session)
    await _connect(session, addresses)


async def _resolve(session: Session) -> list[tuple[int, tuple[object, ...]]]:
    host, port = session.target.host, session.target.port
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        session.target = session.target._replace(host=str(literal))
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        return [(family, (str(literal), port))]
    rec = session.rec
    rec.begin("resolve")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        rec.note(say("network.unresolved", host=host, reason=reason))
        raise Stop(
            Failure(
                FailureKind.DNS,
                "resolve",
                detail=f"{host}: {reason}",
                field=Key.HOST,
                location=host,
            )
        ) from exc
    addresses: list[tuple[int, tuple[object, ...]]] = []
    for info in infos:
        resolved = (int(info[0]), cast(tuple[object, ...], info[4]))
        if resolved not in addresses:
            addresses.append(resolved)
    if not addresses:
        raise Stop(
            Failure(
                FailureKind.DNS,
                "resolve",
                detail=say("network.no-address", host=host),
                field=Key.HOST,
                location=host,
            )
        )
    shown = ", ".join(str(address[0]) for _family, address in addresses)
    rec.note(say("network.resolves", host=host, addresses=shown))
    rec.end(shown)
    return addresses


async def _connect(session: Session, addresses: list[tuple[int, tuple[object, ...]]]) -> None:
    rec, port = session.rec, session.target.port
    rec.begin("connect")
    last_error: OSError | None = None
    for family, sockaddr in addresses:
        ip = str(sockaddr[0])
        rec.note(say("network.connecting", ip=ip, port=port))
        try:
            session.conn = await open_connection(family, sockaddr)
        except OSError as exc:
            last_error = exc
            rec.note(say("network.connect-failed", ip=ip, port=port, error=exc.strerror or exc))
            continue
        session.target = session.target._replace(family=family, sockaddr=sockaddr, ip=ip)
        rec.end(say("network.connected", ip=ip, port=port))
        return
    assert last_error is not None
    kind = FailureKind.TIMEOUT if isinstance(last_error, TimeoutError) else FailureKind.REFUSED
    host = session.target.host
    raise Stop(
        Failure(
            kind,
            "connect",
            detail=say(
                "network.unreachable", host=host, port=port, error=last_error.strerror or last_error
            ),
            field=Key.PORT,
            location=f"{host}:{port}",
            reason=unreachable_reason(last_error),
        )
    )


async def handshake(session: Session, stage: str, prepared: Prepared) -> None:
    """TLS on the current connection: the `tls` stage, or within `starttls`."""
    assert session.conn is not None and prepared.context is not None
    rec = session.rec
    if stage == "tls":
        rec.begin("tls")
    try:
        await session.conn.start_tls(prepared.context, session.target.host)
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or str(exc)
        rec.note(say("network.certificate-refused", reason=reason))
        info = await probes.fetch_certificate(session, reason, prepared.ehlo_name)
        raise Stop(
            Failure(
                FailureKind.CERTIFICATE,
                stage,
                detail=str(exc),
                certificate=info,
                location=session.target.host,
            )
        ) from exc
    except (ssl.SSLError, OSError, EOFError) as exc:
        rec.note(say("network.handshake-failed", error=exc))
        raise Stop(await _tls_failure(session, stage, exc)) from exc
    session.tls = True
    rec.note(tls_summary(session))
    if stage == "tls":
        rec.end(tls_short(session))


async def _tls_failure(session: Session, stage: str, exc: BaseException) -> Failure:
    failure = Failure(FailureKind.TLS, stage, detail=say("network.handshake-failed", error=exc))
    if stage != "tls":
        return failure
    banner = await probes.probe_banner(session)
    if banner is None:
        return failure
    session.rec.note(say("network.plain-smtp", banner=banner))
    return failure._replace(
        reply=banner,
        field=Key.SECURITY,
        reason=Reason.PLAIN_TEXT_PORT,
        detail=say(
            "network.plain-text-port",
            port=session.target.port,
            banner=banner,
            detail=failure.detail,
        ),
    )


def tls_short(session: Session) -> str:
    ssl_object = session.conn.ssl_object() if session.conn is not None else None
    if ssl_object is None:  # pragma: no cover
        return "TLS"
    cipher = ssl_object.cipher()
    return f"{ssl_object.version()}, {cipher[0] if cipher else '?'}"


def tls_summary(session: Session) -> str:
    short = tls_short(session)
    if not session.settings.smtp.verify_certificate:
        return say("network.not-verified", version=short)
    ssl_object = session.conn.ssl_object() if session.conn is not None else None
    # Verified, so the dict form exists: no need for cryptography (tls.certificate_info).
    info = peer_certificate_info(ssl_object.getpeercert() if ssl_object is not None else None)
    return say(
        "network.verified",
        version=short,
        host=session.target.host,
        names=", ".join(info.names) or "?",
        issuer=info.issuer or "?",
        until=info.not_after or "?",
    )
