"""Handler for a certificate that failed verification: dates, name, or trust."""

from __future__ import annotations

import calendar
import ipaddress
import ssl
import time

from tui.core.diagnose.context import Ctx, Diagnosis
from tui.core.events import CertificateInfo
from tui.core.keys import Key

_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)


def parse_cert_time(text: str) -> float | None:
    """Seconds since the epoch for OpenSSL's or the engine's date format, else None."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(ssl.cert_time_to_seconds(text))
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return float(calendar.timegm(time.strptime(text.replace("+00:00", "Z"), fmt)))
        except ValueError:
            continue
    return None


def _name_matches(host: str, name: str) -> bool:
    host, name = host.lower().rstrip("."), name.lower().rstrip(".")
    if name.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == name[2:]
    return host == name


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _facts(c: Ctx, cert: CertificateInfo) -> str:
    facts = []
    if cert.names:
        names = ", ".join(cert.names[:8]) + (" ..." if len(cert.names) > 8 else "")
        facts.append(c.part("cert-issued-for", names=names))
    if cert.not_before or cert.not_after:
        start, end = cert.not_before or "?", cert.not_after or "?"
        facts.append(c.part("cert-valid", start=start, end=end))
    if cert.issuer:
        facts.append(c.part("cert-issued-by", issuer=cert.issuer))
    return " " + c.part("cert-facts", facts="; ".join(facts)) if facts else ""


def certificate(c: Ctx) -> Diagnosis:
    f, s = c.failure, c.settings
    if f.certificate is None and s.smtp.ca_file and not c.http:
        problem = f.detail or c.sub("ca-file", "unknown")
        return c.make("ca-file", Key.CA_FILE, problem=problem)
    cert = f.certificate or CertificateInfo()
    c.values.update(facts=_facts(c, cert))
    reason = (cert.reason or f.detail).lower()
    now = time.time()
    not_after, not_before = parse_cert_time(cert.not_after), parse_cert_time(cert.not_before)
    expired = "expired" in reason or (not_after is not None and not_after < now)
    not_yet = "not yet valid" in reason or (not_before is not None and not_before > now)
    if expired or not_yet:
        return _dates(c, cert, expired)
    host = c.host
    names_differ = bool(cert.names) and not any(_name_matches(host, n) for n in cert.names)
    if "mismatch" in reason or "not valid for" in reason or names_differ:
        return _wrong_name(c, cert)
    if c.catalogue and not c.http:
        return c.make("cert-intercepted")
    if c.http:
        return c.make("relay-cert", Key.URL)
    return _untrusted(c, cert)


def _dates(c: Ctx, cert: CertificateInfo, expired: bool) -> Diagnosis:
    if expired:
        when = c.part("cert-expired-on", date=cert.not_after) if cert.not_after else ""
        when = when or c.part("cert-expired")
    else:
        when = c.part("cert-not-before", date=cert.not_before) if cert.not_before else ""
        when = when or c.part("cert-not-yet")
    after = "catalogue-clock" if c.catalogue and not c.http else "renew"
    return c.make("cert-dates", after=(after,), when=when)


def _wrong_name(c: Ctx, cert: CertificateInfo) -> Diagnosis:
    host, p = c.host, c.provider
    names = ", ".join(cert.names[:8])
    steps: list[str] = []
    if _is_ip(host):
        example = c.part("ip-example", name=cert.names[0]) if cert.names else ""
        c.values.update(example=example)
        steps.append("ip-typed")
    elif c.catalogue and p is not None and p.host and p.host.lower() != host.lower():
        steps.append("provider-name")
    elif names:
        steps.append("shared-name")
    if not _is_ip(host):
        steps.append("catalogue-intercept" if c.catalogue else "install-cert")
    covers = c.part("cert-covers", names=names) if names else ""
    return c.make("cert-name", c.host_field, after=tuple(steps), names=names, covers=covers)


def _untrusted(c: Ctx, cert: CertificateInfo) -> Diagnosis:
    s = c.settings
    steps = ["ca-file-given" if s.smtp.ca_file else "ca-file-best"]
    c.values.update(issuer=f" ({cert.issuer})" if cert.issuer else "")
    if s.smtp.verify_certificate:
        steps.append("no-verify")
    steps.append("public-cert")
    return c.make("cert-untrusted", Key.CA_FILE, after=tuple(steps))
