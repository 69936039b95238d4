"""What a send reports while it runs: stage events, transcript lines, and the outcome.

The SMTP and HTTP engines yield these; the wizard and the command line only render them.

They are NamedTuples, not frozen dataclasses: every run of `mailwiz send` (cron, the sendmail
entry) creates these classes at start-up, and a frozen dataclass costs about five times as
much to create (it compiles its methods). Code tells them apart by class (isinstance,
`match`), never by being a tuple.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, NamedTuple

# FailureKind lives beside its exit codes; events re-exports it for the engines and faces.
from tui.core.exits import FailureKind as FailureKind
from tui.core.exits import exit_code_for
from tui.core.keys import Key


class Reason(StrEnum):
    """Why a failure happened, where its kind alone does not say: data the diagnosis reads,
    so that no module parses another module's words. Add members as transports learn more."""

    SETTINGS = "settings"  # refused before connecting; Failure.field names the setting
    SMTPUTF8_NOT_OFFERED = "smtputf8-not-offered"  # a non-ASCII address, a server without it
    STARTTLS_CLOSED = "starttls-closed"  # the server hung up when asked for STARTTLS
    SIZE_LIMIT = "size-limit"  # the message is larger than the server's SIZE
    TOKEN_REFUSED = "token-refused"  # the token endpoint refused (invalid_grant, ...)
    TOKEN_UNAVAILABLE = "token-unavailable"  # the token endpoint could not be reached
    API_KEY_REFUSED = "api-key-refused"  # an HTTP API answered 401/403
    STARTTLS_NOT_OFFERED = "starttls-not-offered"  # EHLO lists no STARTTLS: nothing sent
    STARTTLS_INJECTION = "starttls-injection"  # bytes between the 220 and the handshake
    IMPLICIT_TLS_PORT = "implicit-tls-port"  # security starttls/none on a port that wants TLS
    PLAIN_TEXT_PORT = "plain-text-port"  # security tls on a port that greets in plain text
    NOT_SMTP = "not-smtp"  # the server's answer is not SMTP (another service on the port)
    CONNECTION_LOST = "connection-lost"  # the server closed the connection mid-stage
    AUTH_NOT_OFFERED = "auth-not-offered"  # no AUTH mechanism mailwiz can use
    TOKEN_REJECTED = "token-rejected"  # the server refused the token, also after a refresh
    NETWORK_UNREACHABLE = "network-unreachable"  # no route to the host (ENETUNREACH...)


class CertificateInfo(NamedTuple):
    """What we could learn about a certificate that failed verification."""

    names: tuple[str, ...] = ()
    not_before: str = ""
    not_after: str = ""
    issuer: str = ""
    reason: str = ""  # OpenSSL's verify message, e.g. "certificate has expired"


class StageStarted(NamedTuple):
    stage: str
    target: str = ""  # what the stage is about when it repeats: the recipient of an rcpt


class StageEnded(NamedTuple):
    stage: str
    ok: bool
    ms: float
    reply: str = ""  # the server's reply for this stage, redacted ("250 2.1.0 OK")
    target: str = ""  # as in StageStarted


Direction = Literal["->", "<-", "~>", "<~", "**"]


class TranscriptLine(NamedTuple):
    """One line exchanged, like swaks: -> sent, <- received, ~> and <~ inside TLS,
    ** a note from mailwiz. The text is already redacted."""

    direction: Direction
    text: str


class Failure(NamedTuple):
    kind: FailureKind
    stage: str
    code: int | None = None  # SMTP reply code or HTTP status
    enhanced: str = ""  # SMTP enhanced status code, e.g. "5.7.8"
    reply: str = ""  # the server's words (shortened, redacted)
    detail: str = ""  # the exception text, for the support report
    certificate: CertificateInfo | None = None
    field: Key | None = None  # the setting to fix, when the failure knows it
    location: str = ""  # what it concerns: the refused address, host:port, the file
    reason: Reason | None = None

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.kind)


class SendFinished(NamedTuple):
    ok: bool
    total_ms: float
    failure: Failure | None = None
    reply: str = ""  # the final acceptance, e.g. "250 2.0.0 OK queued as 1234"
    recipients: tuple[str, ...] = ()


SendEvent = StageStarted | StageEnded | TranscriptLine | SendFinished
