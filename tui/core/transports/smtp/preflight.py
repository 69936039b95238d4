"""Before connecting: the checks that need no server, and everything the dialogue sends.

`prepare()` refuses (raises Stop) before any connection when the settings cannot work:
security none with a login (credentials are never sent in clear), a missing password, an
empty host, a bad port, a value that cannot go into the message or the envelope, an
unreadable CA file. Each such Failure has reason SETTINGS and `field` naming the setting,
and no StageStarted precedes it. Addresses on special-use and internal domains
(root@localhost, x@nas.local, ops@corp.internal) are fine here: only what would break the
protocol is refused.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import NamedTuple

from tui.core.addresses import envelope_problem
from tui.core.credentials.tokens import TokenSource
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.message import MessageError, Outgoing, RawOutgoing, render_message
from tui.core.settings import Settings, header_problem
from tui.core.texts import Texts
from tui.core.tls import client_context
from tui.core.transports.smtp.auth import Kind
from tui.core.transports.smtp.esmtp import Extensions
from tui.core.transports.stages import Stop
from tui.core.wire import MessageData

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

# Where a value that cannot go into the message is reported: kind and stage.
_FIELD_KIND = {
    Key.SENDER_ADDRESS: (FailureKind.SENDER, "mail"),
    Key.SENDER_NAME: (FailureKind.SENDER, "mail"),
    Key.REPLY_TO: (FailureKind.MESSAGE, "data"),
    Key.COPY_TO: (FailureKind.RECIPIENT, "rcpt"),
    Key.RECIPIENT: (FailureKind.RECIPIENT, "rcpt"),
}


@dataclass(repr=False, eq=False)  # no repr: it would show the password or token
class Credentials:
    """How this send signs in: a password, an OAuth token source, or not at all."""

    username: str = ""
    password: str | None = None
    tokens: TokenSource | None = None
    token: str = ""  # the access token, once the token stage has fetched it

    @classmethod
    def of(cls, settings: Settings, secret: str | TokenSource | None) -> Credentials:
        username = settings.smtp.username.strip()
        if secret is None or isinstance(secret, str):
            return cls(username=username, password=secret)
        return cls(username=secret.username or username, tokens=secret)

    @property
    def kind(self) -> Kind:
        return "token" if self.tokens is not None else "password"

    @property
    def needed(self) -> bool:
        """Does this send sign in?"""
        return bool(self.username) or self.tokens is not None

    @property
    def secret(self) -> str:
        return self.token if self.tokens is not None else (self.password or "")


class Address(NamedTuple):
    """An envelope address: the setting it comes from, as typed, and its ASCII form
    (IDNA domain) or None when its local part is not ASCII (SMTPUTF8 only)."""

    field: Key
    text: str
    ascii: str | None


@dataclass(repr=False, eq=False)  # one send's working state, never compared
class Prepared:
    sender: Address
    recipients: tuple[Address, ...]
    message: MessageData
    context: ssl.SSLContext | None
    ehlo_name: str | None
    needs_utf8: tuple[Address, ...] = ()  # addresses that can only go with SMTPUTF8
    extensions: Extensions = field(default_factory=Extensions)


def settings_failure(
    kind: FailureKind, stage: str, key: Key, detail: str, location: str = ""
) -> Stop:
    return Stop(
        Failure(kind, stage, detail=detail, field=key, reason=Reason.SETTINGS, location=location)
    )


def prepare(
    settings: Settings, credentials: Credentials, outgoing: Outgoing, ehlo_name: str | None
) -> Prepared:
    _check_connection_settings(settings, credentials)
    sender = envelope_address(Key.SENDER_ADDRESS, settings.from_address)
    recipients = tuple(
        envelope_address(key, address) for key, address in envelope_fields(settings, outgoing)
    )
    addresses = [sender, *recipients]
    if settings.sender.reply_to.strip():
        addresses.append(envelope_address(Key.REPLY_TO, settings.sender.reply_to))
    needs_utf8 = tuple(a for a in addresses if a.ascii is None)
    try:
        message = render_message(settings, outgoing, utf8=bool(needs_utf8))
    except MessageError as exc:
        key = _key(exc.field)
        kind, stage = (
            _FIELD_KIND.get(key, (FailureKind.MESSAGE, "data"))
            if key
            else (
                FailureKind.MESSAGE,
                "data",
            )
        )
        raise Stop(
            Failure(kind, stage, detail=str(exc), field=key, reason=Reason.SETTINGS)
        ) from exc
    context = _tls_context(settings) if settings.smtp.security != "none" else None
    if ehlo_name is not None and (header_problem(ehlo_name) or " " in ehlo_name):
        ehlo_name = None
    return Prepared(sender, recipients, message, context, ehlo_name, needs_utf8)


def _check_connection_settings(settings: Settings, credentials: Credentials) -> None:
    smtp = settings.smtp
    if smtp.security not in ("tls", "starttls", "none"):
        raise settings_failure(
            FailureKind.TLS, "connect", Key.SECURITY, f"unknown security {smtp.security!r}"
        )
    if smtp.security == "none" and credentials.needed:
        raise settings_failure(
            FailureKind.NO_STARTTLS,
            "auth",
            Key.SECURITY,
            say("preflight.login-in-clear"),
        )
    if credentials.kind == "password" and credentials.username and not credentials.password:
        raise Stop(
            Failure(
                FailureKind.NO_PASSWORD,
                "auth",
                detail=say("preflight.no-password", username=credentials.username),
                field=Key.PASSWORD,
                reason=Reason.SETTINGS,
            )
        )
    host = smtp.host.strip()
    if not host or header_problem(host) or " " in host:
        raise settings_failure(FailureKind.DNS, "resolve", Key.HOST, say("preflight.bad-host"))
    if not 0 < int(smtp.port) < 65536:
        raise settings_failure(
            FailureKind.REFUSED, "connect", Key.PORT, say("preflight.bad-port", port=smtp.port)
        )


def envelope_fields(settings: Settings, outgoing: Outgoing) -> list[tuple[Key, str]]:
    """Who the server is asked to deliver to: the recipient, then the copy address; for a
    RawOutgoing (the sendmail entry) exactly its recipients."""
    if isinstance(outgoing, RawOutgoing):
        return [(Key.RECIPIENT, address) for address in outgoing.recipients]
    found: list[tuple[Key, str]] = []
    seen: set[str] = set()
    for key, address in ((Key.RECIPIENT, outgoing.to), (Key.COPY_TO, settings.sender.copy_to)):
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            found.append((key, address))
    return found


def envelope_address(key: Key, address: str) -> Address:
    """An address fit for MAIL FROM / RCPT TO: one line, no brackets or spaces. Refused
    before connecting (reason SETTINGS, field `key`), never as a server refusal."""
    kind, stage = _FIELD_KIND[key]
    address = address.strip()
    problem = envelope_problem(address)
    ascii_form: str | None = None
    if problem is None:
        local, at, domain = address.rpartition("@")
        domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
        ascii_form = f"{local}{at}{domain}" if local.isascii() else None
    if problem is not None:
        raise settings_failure(kind, stage, key, f"{key.value}: {address!r} {problem}", address)
    return Address(key, address, ascii_form)


def _key(name: str) -> Key | None:
    try:
        return Key(name)
    except ValueError:
        return None


def _tls_context(settings: Settings) -> ssl.SSLContext:
    smtp = settings.smtp
    stage = "tls" if smtp.security == "tls" else "starttls"
    try:
        return client_context(smtp.ca_file, smtp.verify_certificate)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise settings_failure(
            FailureKind.CERTIFICATE,
            stage,
            Key.CA_FILE,
            say("preflight.ca-unreadable", path=smtp.ca_file, error=exc),
            smtp.ca_file,
        ) from exc
