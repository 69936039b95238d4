"""The facts of each `[http] api`, written once: its name, what it is called, the base URL it
posts to when `[http] url` is empty, whether it needs a key and how it takes an idempotency
key. Everything else reads them from here: the HTTP engine and its format modules
(tui.core.transports.http), the key's keyring entry (tui.core.credentials.store), the form's
choices and hints (tui.screens), `show`, the stage labels and the test message.

Plain data, no heavy import: the settings, the credentials and the first screen may read it.
`service_name` and `http_rows` name the API the same way everywhere a user reads it (the
result line of `test`/`send`, the stage labels, the save screen, `show`, the test message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from tui.core.redact import redact_url
from tui.core.texts import Texts


class _Http(Protocol):  # the [http] table (tui.core.settings.HttpSettings), read only
    @property
    def api(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def domain(self) -> str: ...


class Sends(Protocol):
    """What naming the service reads from the settings (tui.core.settings.Settings, which
    reaches this module through the catalogue: no import back, no cycle)."""

    @property
    def protocol(self) -> str: ...
    @property
    def http(self) -> _Http: ...


@dataclass(frozen=True)
class ApiFacts:
    """One HTTP API as mailwiz knows it."""

    name: str  # the `[http] api` value
    title: str  # what the user reads: "Postmark", "HTTP relay"
    choice: str  # its label in the form's API choice: "Postmark", "Relay"
    default_url: str  # the base URL when `[http] url` is empty ("" : the user must give one)
    url_hint: str  # the default as the form shows it (Mailgun's EU address too)
    key_required: bool  # the relay's key is optional; every provider API needs one
    #: The request header that carries an idempotency key ("" when the API takes none:
    #: Postmark, Mailgun and SendGrid document no such header for sending).
    idempotency_header: str = ""
    #: Whether 429 and 5xx mean "try again later" (exit 20). The relay's contract is that
    #: any non-2xx is its refusal (exit 21); the queue retries its 5xx all the same.
    temporary_statuses: bool = True

    @property
    def default_host(self) -> str:
        """The host of `default_url` ("" for the relay)."""
        return urlsplit(self.default_url).hostname or "" if self.default_url else ""

    @property
    def what(self) -> str:
        """How a sentence names it: "the relay", "the Postmark API"."""
        return "the relay" if self.name == "relay" else f"the {self.title} API"


#: Every `[http] api` value, the relay (the default) first.
APIS: dict[str, ApiFacts] = {
    facts.name: facts
    for facts in (
        ApiFacts(
            "relay", "HTTP relay", "Relay", "", "", key_required=False, temporary_statuses=False
        ),
        ApiFacts(
            "postmark",
            "Postmark",
            "Postmark",
            "https://api.postmarkapp.com",
            "https://api.postmarkapp.com",
            key_required=True,
        ),
        ApiFacts(
            "mailgun",
            "Mailgun",
            "Mailgun",
            "https://api.mailgun.net",
            "https://api.mailgun.net (EU: https://api.eu.mailgun.net)",
            key_required=True,
        ),
        ApiFacts(
            "sendgrid",
            "SendGrid",
            "SendGrid",
            "https://api.sendgrid.com",
            "https://api.sendgrid.com",
            key_required=True,
        ),
        ApiFacts(
            "resend",
            "Resend",
            "Resend",
            "https://api.resend.com",
            "https://api.resend.com",
            key_required=True,
            idempotency_header="Idempotency-Key",
        ),
    )
}
API_NAMES: tuple[str, ...] = tuple(APIS)


def facts_of(name: str) -> ApiFacts:
    """The facts of an `[http] api` value; the relay's for an unknown one (validation has
    already named it)."""
    return APIS.get(name, APIS["relay"])


def key_problem(key: str) -> str | None:
    """Why this API key (or the relay's key) cannot be sent, or None. A key travels in an
    HTTP header, which holds printable ASCII only: a character outside it (an accented
    letter, a typographic quote, a control character or line break from a paste) is named
    by its place only, never shown, so the reason can be printed and logged."""
    for place, char in enumerate(key, start=1):
        if not " " <= char <= "~":
            control = char < " " or char == "\x7f"
            kind = say("key-control" if control else "key-non-ascii")
            return say("key-problem", kind=kind, place=place)
    return None


say = Texts("tui.core", "http_texts.toml")
"""The HTTP side's sentences (tui/core/http_texts.toml), {values} filled in."""


def service_name(settings: Sends) -> str:
    """Who takes the message, as a sentence names it: "the server" (SMTP), "the relay",
    "the Postmark API"."""
    return facts_of(settings.http.api).what if settings.protocol == "http" else "the server"


def http_rows(settings: Sends) -> list[tuple[str, str]]:
    """The HTTP settings as (label, value) rows, URLs redacted: the relay's URL, or the API,
    the URL it posts to (its default when none is set) and Mailgun's sending domain."""
    http = settings.http
    facts = facts_of(http.api)
    if facts.name == "relay":
        return [(say("row-relay-url"), redact_url(http.url.strip()) or say("row-none"))]
    url = redact_url(http.url.strip()) or say("row-api-default", url=facts.default_url)
    rows = [(say("row-http-api"), facts.title), (say("row-api-url"), url)]
    if facts.name == "mailgun":
        domain = http.domain.strip() or say("row-sender-domain")
        rows.append((say("row-sending-domain"), domain))
    return rows
