"""Layer 5: smtp.<domain> and mail.<domain> on 465 (implicit TLS) and 587 (STARTTLS), all at
once, each only as far as the EHLO reply (and STARTTLS with its TLS handshake): no
credentials are ever sent."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from tui.core.discover.model import (
    DEFAULT_PORTS,
    PROBE_TIMEOUT,
    Options,
    Outcome,
    ProbePorts,
    Security,
    Suggestion,
    Target,
)
from tui.core.keys import SECURITY_WORDS
from tui.core.providers import (
    CUSTOM_ID,
    provider_for_host,
)
from tui.core.texts import Texts
from tui.core.tls import system_context

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

# -- layer 5: the probe -------------------------------------------------------------------

_MAX_REPLY_LINES = 100


def probe_hosts_for(target: Target, options: Options) -> tuple[str, ...]:
    """The hosts the probe tries: the options', else smtp.<domain> and mail.<domain>."""
    if options.probe_hosts is not None:
        return options.probe_hosts
    return (f"smtp.{target.domain}", f"mail.{target.domain}")


ProbeOutcome = Literal[
    "ok",  # greeting, EHLO (and STARTTLS) answered, certificate valid
    "unresolved",  # the name does not resolve
    "refused",  # nothing listens there
    "timeout",  # no answer before the probe's deadline
    "tls",  # the TLS handshake failed (often: the port speaks the other mode)
    "certificate",  # the certificate failed verification
    "no-starttls",  # port 587 does not offer STARTTLS (or refused it)
    "not-smtp",  # the answers were not SMTP, or refused us
    "error",  # another network error
    "skipped",  # stopped early: a preferred server had already answered
]


@dataclass(frozen=True)
class ProbeResult:
    host: str
    port: int
    security: Security
    outcome: ProbeOutcome
    detail: str  # "answered with implicit TLS", "certificate not valid (...)", ...
    seconds: float

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class ProbeReport:
    best: ProbeResult | None  # the preferred server that answered, if any
    results: tuple[ProbeResult, ...]  # every probe, in order of preference
    seconds: float  # the whole probe


class _BadReply(Exception):
    pass


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """One SMTP reply (all its lines): (code, lines)."""
    lines: list[str] = []
    while True:
        raw = await reader.readline()
        if not raw:
            raise ConnectionResetError(say("probe.closed"))
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] not in " -"):
            raise _BadReply(line[:80])
        lines.append(line)
        if len(line) == 3 or line[3] == " ":
            return int(line[:3]), lines
        if len(lines) >= _MAX_REPLY_LINES:
            raise _BadReply(say("probe.endless"))


def _ehlo_name(writer: asyncio.StreamWriter) -> str:
    """Our side's address as an address literal: no host name of this computer is sent."""
    sockname = writer.get_extra_info("sockname")
    if isinstance(sockname, tuple) and sockname and isinstance(sockname[0], str):
        address = sockname[0]
        return f"[IPv6:{address}]" if ":" in address else f"[{address}]"
    return "[127.0.0.1]"


async def _probe_one(
    host: str,
    port: int,
    security: Security,
    context: ssl.SSLContext,
    addresses: Mapping[str, str] | None,
) -> ProbeResult:
    """Connect, read the greeting, EHLO (then STARTTLS and its handshake) and say QUIT.

    No credentials, no MAIL: nothing but EHLO, STARTTLS and QUIT is ever sent.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()

    def result(outcome: ProbeOutcome, detail: str) -> ProbeResult:
        return ProbeResult(host, port, security, outcome, detail, loop.time() - started)

    connect_to: str | None = host if addresses is None else addresses.get(host)
    if connect_to is None:
        return result("unresolved", say("probe.unresolved"))
    writer: asyncio.StreamWriter | None = None
    ok = False
    try:
        if security == "tls":
            reader, writer = await asyncio.open_connection(
                connect_to, port, ssl=context, server_hostname=host
            )
        else:
            reader, writer = await asyncio.open_connection(connect_to, port)
        code, _lines = await _read_reply(reader)
        if code != 220:
            return result("not-smtp", say("probe.greeted", code=code))
        writer.write(f"EHLO {_ehlo_name(writer)}\r\n".encode("ascii"))
        code, lines = await _read_reply(reader)
        if code != 250:
            return result("not-smtp", say("probe.ehlo", code=code))
        if security == "starttls":
            keywords = {line[4:].strip().split(" ")[0].upper() for line in lines[1:]}
            if "STARTTLS" not in keywords:
                return result("no-starttls", say("probe.no-starttls"))
            writer.write(b"STARTTLS\r\n")
            code, _lines = await _read_reply(reader)
            if code != 220:
                return result("no-starttls", say("probe.starttls", code=code))
            await writer.start_tls(context, server_hostname=host)
        writer.write(b"QUIT\r\n")
        ok = True
        words = SECURITY_WORDS[security]
        return result("ok", say("probe.ok", words=words))
    except socket.gaierror:
        return result("unresolved", say("probe.unresolved"))
    except ssl.SSLCertVerificationError as error:
        reason = error.verify_message or error.reason or say("probe.not-valid")
        return result("certificate", say("probe.certificate", reason=reason))
    except ssl.SSLError as error:
        return result("tls", say("probe.tls", reason=error.reason or type(error).__name__))
    except ConnectionRefusedError:
        return result("refused", say("probe.refused"))
    except (ConnectionError, asyncio.IncompleteReadError):
        return result("error", say("probe.closed"))
    except (_BadReply, ValueError):
        return result("not-smtp", say("probe.not-smtp"))
    except OSError as error:
        return result("error", error.strerror or type(error).__name__)
    finally:
        if writer is not None:
            if ok and security == "tls":
                writer.close()  # sends the queued QUIT, then closes the TLS session
            else:
                # After StreamWriter.start_tls, Python 3.11 logs a warning when the server's
                # end of the connection arrives; the QUIT is already on its way: just drop.
                writer.transport.abort()


async def probe_servers(
    hosts: Sequence[str],
    *,
    ports: ProbePorts = DEFAULT_PORTS,
    timeout: float = PROBE_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    addresses: Mapping[str, str] | None = None,
) -> ProbeReport:
    """Probe every host on the implicit-TLS and the STARTTLS port, all at once.

    Preference: implicit TLS before STARTTLS, then `hosts` in order. The probe ends as soon
    as the preferred answer is known (every more-preferred probe has failed), or at
    `timeout` seconds, whichever comes first; unfinished probes are then cut off.
    """
    context = ssl_context or system_context()
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout
    order: list[tuple[str, int, Security]] = [(host, ports.tls, "tls") for host in hosts]
    order += [(host, ports.starttls, "starttls") for host in hosts]
    tasks = [
        asyncio.create_task(_probe_one(host, port, security, context, addresses))
        for host, port, security in order
    ]

    def settled() -> bool:
        for task in tasks:
            if not task.done():
                return False
            if task.result().ok:
                return True
        return True

    timed_out = False
    try:
        while not settled():
            remaining = deadline - loop.time()
            if remaining <= 0:
                timed_out = True
                break
            await asyncio.wait(
                [task for task in tasks if not task.done()],
                timeout=remaining,
                return_when=asyncio.FIRST_COMPLETED,
            )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    results: list[ProbeResult] = []
    for (host, port, security), task in zip(order, tasks, strict=True):
        if not task.cancelled():
            results.append(task.result())
        elif timed_out:
            results.append(
                ProbeResult(
                    host,
                    port,
                    security,
                    "timeout",
                    say("probe.no-answer", timeout=timeout),
                    timeout,
                )
            )
        else:
            results.append(
                ProbeResult(
                    host,
                    port,
                    security,
                    "skipped",
                    say("probe.not-needed"),
                    loop.time() - started,
                )
            )
    best = next((result for result in results if result.ok), None)
    return ProbeReport(best, tuple(results), loop.time() - started)


async def probe_layer(target: Target, options: Options, timeout: float) -> Outcome:
    report = await probe_servers(
        probe_hosts_for(target, options),
        ports=options.ports,
        timeout=timeout,
        ssl_context=options.ssl_context,
        addresses=options.addresses,
    )
    detail = "; ".join(f"{r.host}:{r.port} {r.detail}" for r in report.results)
    best = report.best
    if best is None:
        return Outcome(False, detail)
    provider = provider_for_host(best.host)
    suggestion = Suggestion(
        host=best.host,
        port=best.port,
        security=best.security,
        provider_id=provider.id if provider is not None else CUSTOM_ID,
        username_hint=target.address,
        source="probe",
        why=say("probe.why", host=best.host, port=best.port, words=SECURITY_WORDS[best.security]),
        needs_confirmation=False,
    )
    return Outcome(True, detail, (suggestion,))
