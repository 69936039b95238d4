"""DNS for the MX and SRV layers: one resolver, answers as data, and a record of the
look-ups that failed (timeout, SERVFAIL) so discovery can say so instead of "nothing found"."""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver

from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

# -- DNS ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    records: tuple[object, ...] = ()
    problem: str = ""  # why there are no records, in words ("no records", "timed out"...)
    nxdomain: bool = False
    no_records: bool = False  # the name exists but has no records of this type


class Dns:
    """The resolver, created on first use (a system without one gets a clear problem)."""

    def __init__(self, resolver: dns.asyncresolver.Resolver | None) -> None:
        self._resolver = resolver
        self._problem = ""
        #: Look-ups that failed (not "no such name" or "no records": those are answers).
        self.failures: list[str] = []

    def failed(self, name: str, rdtype: str, problem: str) -> None:
        line = f"{rdtype} {name}: {problem}"
        if line not in self.failures:
            self.failures.append(line)

    def _get(self) -> dns.asyncresolver.Resolver | None:
        if self._resolver is None and not self._problem:
            try:
                self._resolver = dns.asyncresolver.Resolver()
            except (dns.exception.DNSException, OSError) as error:
                self._problem = say("dns.no-resolver", error=error)
        return self._resolver

    async def query(self, name: str, rdtype: str, lifetime: float) -> Answer:
        resolver = self._get()
        if resolver is None:
            self.failed(name, rdtype, self._problem)
            return Answer(problem=self._problem)
        try:
            qname = dns.name.from_text(name)
            answer = await resolver.resolve(qname, rdtype, search=False, lifetime=lifetime)
        except dns.resolver.NXDOMAIN:
            return Answer(problem=say("dns.nxdomain"), nxdomain=True)
        except dns.resolver.NoAnswer:
            return Answer(problem=say("dns.no-records"), no_records=True)
        except dns.exception.Timeout:
            problem = say("timed-out")
        except dns.resolver.NoNameservers:
            problem = say("dns.no-answer")
        except dns.exception.DNSException as error:
            problem = say("dns.failed", error=type(error).__name__)
        else:
            return Answer(records=tuple(answer))
        self.failed(name, rdtype, problem)
        return Answer(problem=problem)


def host_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()
