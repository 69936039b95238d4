"""Handlers for failures before any mail was spoken: names, connections, deadlines, TLS."""

from __future__ import annotations

from tui.core.diagnose.context import Ctx, Diagnosis
from tui.core.events import Reason
from tui.core.keys import Key
from tui.core.providers import alternate_endpoint

# The submission ports hosting providers block on new accounts, with 25.
_MAIL_PORTS = (465, 587)


def dns(c: Ctx) -> Diagnosis:
    host = c.host
    before: list[str] = []
    if any(mark in host for mark in ("://", "@", " ", "/")):
        before.append("no-scheme")
    p = c.provider
    if c.catalogue and p is not None and p.host and p.host.lower() != host.lower():
        before.append("provider-server")
    what = c.sub("dns", "what-http" if c.http else "what-smtp")
    return c.make(
        "dns",
        c.host_field,
        after=(*before, "dns-check"),
        what=what,
        lookup=host or "example.com",
    )


def refused(c: Ctx) -> Diagnosis:
    port = c.port
    if not c.http and c.failure.stage in ("greeting", "ehlo"):
        if c.failure.stage == "greeting" and c.settings.smtp.security != "tls" and port == 465:
            return implicit_tls(c)
        return c.make("hung-up", Key.PORT)
    field = Key.URL if c.http else Key.PORT
    steps = ("relay-port", "relay-running") if c.http else ("check-port", "check-host")
    if c.failure.reason == Reason.NETWORK_UNREACHABLE:
        return c.make("unreachable", field, after=(*steps, "no-route"))
    if not c.http and port in _MAIL_PORTS:
        return c.make("refused-blocked", field, after=(*steps, *blocked_port_steps(c)))
    return c.make("refused", field, after=(*steps, "firewall-rejects"))


def blocked_port_steps(c: Ctx) -> tuple[str, ...]:
    """What works where a hosting provider blocks the mail ports: the catalogue's alternate
    port (2525...), its HTTP API, or else a service that has them."""
    steps = ["cloud-block"]
    p = c.provider
    alt = alternate_endpoint(p) if p is not None else None
    if alt is not None:
        c.values.update(host_2525=alt.host, alt_port=alt.port)
        steps.append("port-2525")
    if p is not None and p.api:
        c.values.update(api=p.api)
        steps.append("use-api")
    if alt is None and not (p is not None and p.api):
        steps.append("use-relay-service")
    return tuple(steps)


def timeout(c: Ctx) -> Diagnosis:
    stage = c.failure.stage
    if c.http:
        if stage in ("resolve", "connect", "tls", ""):
            return c.make("relay-no-answer", Key.URL)
        return c.make("relay-slow", Key.HTTP_TIMEOUT)
    port = c.port
    if stage in ("resolve", "connect", ""):
        if port == 25:
            steps: tuple[str, ...] = ("port-25", "local-firewall", "cloud-block")
        else:
            steps = ("other-port", "local-firewall", *blocked_port_steps(c))
        return c.make("no-answer", Key.PORT, after=(*steps, "raise-timeout"))
    if stage in ("greeting", "tls") and c.settings.smtp.security != "tls" and port == 465:
        return implicit_tls(c, waited=True)
    if stage == "greeting":
        return c.make("no-greeting", Key.SECURITY)
    sent = c.part("maybe-sent" if stage in ("data", "quit") else "not-sent")
    return c.make("stopped", Key.SMTP_TIMEOUT, sent=sent)


def implicit_tls(c: Ctx, *, waited: bool = False) -> Diagnosis:
    """Plain text spoken to a port that expects TLS from the first byte (465)."""
    extra = c.part("wait-greeting") if waited else ""
    other = c.sub("implicit-tls", "other-587" if c.port != 587 else "other-465")
    return c.make("implicit-tls", Key.SECURITY, extra=extra, other=other)


def tls(c: Ctx) -> Diagnosis:
    if c.http:
        return c.make("relay-tls", Key.URL)
    security, port, stage = c.settings.smtp.security, c.port, c.failure.stage
    if security == "tls" and port != 465 and stage in ("tls", "greeting", "connect"):
        return plain_text_port(c)
    if security != "tls" and (port == 465 or stage == "greeting"):
        return implicit_tls(c)
    if stage == "starttls":
        return c.make("starttls-failed", Key.SECURITY)
    return c.make("tls", Key.SECURITY)


def starttls_closed(c: Ctx) -> Diagnosis:
    """Reason.STARTTLS_CLOSED: the server offered STARTTLS, then hung up when asked."""
    return c.make("starttls-closed", Key.SECURITY)


def plain_text_port(c: Ctx) -> Diagnosis:
    """Reason.PLAIN_TEXT_PORT: security TLS on a port that greets in plain text (587, 25)."""
    return c.make("not-implicit", Key.SECURITY)


def starttls_injection(c: Ctx) -> Diagnosis:
    """Reason.STARTTLS_INJECTION: bytes between the 220 to STARTTLS and the handshake."""
    return c.make("starttls-injection", Key.SECURITY)
