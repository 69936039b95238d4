"""Benchmark of discovery's probe layer: parallel probes bounded by one deadline.

Local SMTP servers on loopback stand in for smtp.example.com and mail.example.com: one
answers after about 0.3 s, one after about 0.6 s, one port is blackholed (accepts the
connection and never says a word) and one refuses. The probe layer runs with a 2 s
deadline; the figures compare its total time with the slowest useful probe (the slowest
one that answered) and with the sum of all probe times (what probing one after the
other would cost).

Two scenarios:
  A. the blackholed port is less preferred than the answer: the probe stops as soon as
     the preferred answer is known, cutting the blackholed probe short;
  B. the blackholed port is the preferred one (implicit TLS on smtp.example.com): the
     probe must wait for it, and cuts it off at the deadline.

Run: .venv/bin/python bench/discover_probe.py [--runs N]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import ssl
import statistics
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.core.discover.engine import ProbePorts, ProbeReport, probe_servers

DEADLINE = 2.0
HOSTS = ("smtp.example.com", "mail.example.com")


@dataclass(frozen=True)
class Behaviour:
    """What one local server does: answer after `delay`, or never (blackhole)."""

    delay: float | None  # None: blackhole
    implicit_tls: bool


class Server:
    def __init__(self, behaviour: Behaviour, context: ssl.SSLContext) -> None:
        self.behaviour = behaviour
        self.context = context
        self._server: asyncio.Server | None = None
        self._stop = asyncio.Event()

    async def start(self, host: str, port: int) -> None:
        implicit = self.behaviour.implicit_tls and self.behaviour.delay is not None
        self._server = await asyncio.start_server(
            self._serve, host, port, ssl=self.context if implicit else None
        )

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.behaviour.delay is None:
                await self._stop.wait()  # accept, then never say a word
                return
            await asyncio.sleep(self.behaviour.delay)
            writer.write(b"220 bench.example.com ESMTP\r\n")
            while line := await reader.readline():
                verb = line.decode("ascii", "replace").split(" ")[0].strip().upper()
                if verb == "EHLO":
                    offer = b"250-STARTTLS\r\n" if not self.behaviour.implicit_tls else b""
                    writer.write(b"250-bench.example.com\r\n" + offer + b"250 SIZE 1000\r\n")
                elif verb == "STARTTLS":
                    writer.write(b"220 go ahead\r\n")
                    await writer.drain()
                    await writer.start_tls(self.context)
                    continue
                elif verb == "QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"502 no\r\n")
                await writer.drain()
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            writer.transport.abort()


def _same_free_port(addresses: list[str]) -> int:
    """A port number free on every address (for two hosts on one port)."""
    for _attempt in range(50):
        sockets: list[socket.socket] = []
        try:
            first = socket.socket(socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET)
            sockets.append(first)
            first.bind((addresses[0], 0))
            port = int(first.getsockname()[1])
            for address in addresses[1:]:
                other = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
                sockets.append(other)
                other.bind((address, port))
            return port
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no common free port")


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@contextlib.asynccontextmanager
async def servers(
    layout: dict[tuple[str, str], Behaviour], addresses: dict[str, str], context: ssl.SSLContext
) -> AsyncIterator[ProbePorts]:
    """Start a server per (host, "tls"|"starttls") in `layout`; the rest refuse."""
    used = sorted(set(addresses.values()))
    ports = ProbePorts(tls=_same_free_port(used), starttls=_same_free_port(used))
    started: list[Server] = []
    try:
        for (host, mode), behaviour in layout.items():
            server = Server(behaviour, context)
            await server.start(addresses[host], ports.tls if mode == "tls" else ports.starttls)
            started.append(server)
        yield ports
    finally:
        for server in started:
            server.close()


async def run_scenario(
    title: str,
    layout: dict[tuple[str, str], Behaviour],
    addresses: dict[str, str],
    hosts: tuple[str, ...],
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
    runs: int,
) -> None:
    reports: list[ProbeReport] = []
    async with servers(layout, addresses, server_context) as ports:
        for _run in range(runs):
            reports.append(
                await probe_servers(
                    hosts,
                    ports=ports,
                    timeout=DEADLINE,
                    ssl_context=client_context,
                    addresses=addresses,
                )
            )
    last = reports[-1]
    print(f"\n{title}")
    print(f"  deadline {DEADLINE:.1f} s, {runs} run(s); last run, in order of preference:")
    for result in last.results:
        mode = "implicit TLS" if result.security == "tls" else "STARTTLS"
        print(
            f"    {result.host:<18} {mode:<13} {result.outcome:<9}"
            f" {result.seconds:6.3f} s  {result.detail}"
        )
    best = last.best
    print(f"  chosen: {best.host} {best.security}" if best else "  chosen: nothing")

    totals = [report.seconds for report in reports]
    slowest_useful = [
        max((r.seconds for r in report.results if r.ok), default=0.0) for report in reports
    ]
    # Probing one after the other: every probe's own time, a blackhole costing the deadline.
    sums = [
        sum(DEADLINE if r.outcome in ("timeout", "skipped") else r.seconds for r in report.results)
        for report in reports
    ]
    print(f"  total time of the probe layer (median): {statistics.median(totals):6.3f} s")
    print(f"  slowest useful probe (median):          {statistics.median(slowest_useful):6.3f} s")
    print(f"  sum of the probes, i.e. sequential:     {statistics.median(sums):6.3f} s")
    ratio = statistics.median(totals) / max(statistics.median(slowest_useful), 1e-9)
    print(f"  total / slowest useful: {ratio:.2f}")


async def main(runs: int) -> None:
    ca = trustme.CA(organization_name="mailwiz bench CA")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*HOSTS).configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    slow = Behaviour(delay=0.6, implicit_tls=True)
    fast = Behaviour(delay=0.3, implicit_tls=False)
    if _ipv6():
        addresses = {"smtp.example.com": "127.0.0.1", "mail.example.com": "::1"}
        hosts: tuple[str, ...] = HOSTS
        layout_a = {
            ("smtp.example.com", "tls"): slow,
            ("smtp.example.com", "starttls"): fast,
            ("mail.example.com", "tls"): Behaviour(delay=None, implicit_tls=True),
        }
        layout_b = {
            ("smtp.example.com", "tls"): Behaviour(delay=None, implicit_tls=True),
            ("smtp.example.com", "starttls"): fast,
            ("mail.example.com", "tls"): slow,
        }
    else:  # one host only: the blackhole must then be the implicit-TLS port in B
        print("(no IPv6 loopback: one host only)")
        addresses = {"smtp.example.com": "127.0.0.1"}
        hosts = HOSTS[:1]
        layout_a = {("smtp.example.com", "tls"): slow, ("smtp.example.com", "starttls"): fast}
        layout_b = {
            ("smtp.example.com", "tls"): Behaviour(delay=None, implicit_tls=True),
            ("smtp.example.com", "starttls"): fast,
        }
    print("Probe layer: answers after ~0.3 s (STARTTLS) and ~0.6 s (implicit TLS),")
    print("one blackholed port, the other ports refuse.")
    await run_scenario(
        "A. blackholed port less preferred than the answer: stop when the answer is known",
        layout_a,
        addresses,
        hosts,
        server_context,
        client_context,
        runs,
    )
    await run_scenario(
        "B. blackholed port is the preferred one: it is cut off at the deadline",
        layout_b,
        addresses,
        hosts,
        server_context,
        client_context,
        runs,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    asyncio.run(main(parser.parse_args().runs))
