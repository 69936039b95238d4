"""Validation: every problem with a settings value, each naming its field (errors and
warnings); the wizard shows them beside the fields, the command line refuses errors."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from tui.core.addresses import address_note, address_problem, header_problem, looks_like_address
from tui.core.hosts import is_loopback_host, normalize_host, url_problem
from tui.core.settings.model import (
    MAX_TIMEOUT,
    LocalSettings,
    PasswordStore,
    Security,
    Settings,
)

# ----------------------------------------------------------------------- validation


class Problem(NamedTuple):  # not a frozen dataclass: cheaper to create at start-up
    field: str  # "smtp.host", "sender.address", ... (see DESIGN.md's settings file)
    message: str
    severity: Literal["error", "warning"] = "error"


def certificate_checks_required_by(settings: Settings) -> str | None:
    """The name of the provider whose servers forbid turning certificate checks off, judged
    by the provider chosen and by the host (provider "custom" with host smtp.gmail.com is
    Gmail too), or None for the user's own servers."""
    # Imported here: the catalogue is only needed when certificate checks are off.
    from tui.core.providers import CUSTOM_ID, get_provider, provider_for_host

    if settings.provider != CUSTOM_ID:
        try:
            return get_provider(settings.provider).name
        except KeyError:
            return settings.provider
    try:
        host = normalize_host(settings.smtp.host)
    except ValueError:
        return None
    provider = provider_for_host(host)
    return provider.name if provider and provider.certificate_checks_required else None


def goes_to_big_provider(settings: Settings) -> bool:
    """Whether these settings send through a catalogue provider (by id or by host), where
    internal addresses (root@localhost) are refused."""
    from tui.core.providers import CUSTOM_ID, get_provider, provider_for_host

    if settings.protocol != "smtp":
        return False
    if settings.provider != CUSTOM_ID:
        try:
            return bool(get_provider(settings.provider).host)
        except KeyError:
            return False  # the practice server, or an id this version does not know
    try:
        return provider_for_host(normalize_host(settings.smtp.host)) is not None
    except ValueError:
        return False


TIMEOUT_MESSAGE = f"The timeout is in seconds, between 1 and {MAX_TIMEOUT}."
PORT_465_STARTTLS = (
    'Port 465 expects TLS from the first byte (security "tls"), not STARTTLS: '
    "set security to tls, or use port 587 with starttls."
)


def timeout_ok(value: float) -> bool:
    """1..600 seconds; nan, inf and tiny values (every send would time out) are refused."""
    return isinstance(value, int | float) and 1 <= value <= MAX_TIMEOUT


class _Collector:
    """Gathers problems; error() ignores None so checks can be written as one line each."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, field_name: str, message: str | None) -> None:
        if message:
            self.problems.append(Problem(field_name, message))

    def warn(self, field_name: str, message: str | None) -> None:
        if message:
            self.problems.append(Problem(field_name, message, "warning"))


def _validate_smtp(settings: Settings, out: _Collector) -> None:
    smtp = settings.smtp
    try:
        normalize_host(smtp.host)
    except ValueError as host_error:
        out.error("smtp.host", str(host_error))
    if not 1 <= smtp.port <= 65535:
        out.error("smtp.port", "The port must be between 1 and 65535 (usually 465, 587 or 25).")
    if smtp.security not in get_args(Security):
        out.error("smtp.security", 'Encryption must be "tls", "starttls" or "none".')
    elif smtp.port == 465 and smtp.security == "starttls":
        out.warn("smtp.security", PORT_465_STARTTLS)
    elif smtp.port == 587 and smtp.security == "tls":
        out.warn("smtp.security", "Port 587 usually expects STARTTLS, not TLS from the first byte.")
    if smtp.port == 25:
        out.warn(
            "smtp.port",
            "Port 25 is not encrypted on many networks and often blocked; "
            "465 or 587 are recommended.",
        )
    if smtp.security == "none" and smtp.username.strip():
        out.error(
            "smtp.username",
            "With no encryption the username and password would travel in clear. "
            "Choose TLS or STARTTLS, or leave the username empty for a local relay.",
        )
    elif smtp.security != "none" and not smtp.username.strip() and smtp.auth != "oauth2":
        # (with OAuth the account that signs in is the username)
        out.error("smtp.username", "Enter the username (usually your email address).")
    else:
        out.error("smtp.username", header_problem(smtp.username))
    if not smtp.verify_certificate:
        required_by = certificate_checks_required_by(settings)
        if required_by:
            out.error(
                "smtp.verify_certificate",
                f"{required_by} has a valid certificate: checking it can not be turned off. "
                "Set verify_certificate = true.",
            )
        else:
            out.warn(
                "smtp.verify_certificate",
                "The certificate is not checked: anyone between you and the server could "
                "read the password. Only for your own server with a self-signed certificate; "
                "better, set ca_file to its certificate and verify_certificate = true.",
            )
    if smtp.ca_file.strip() and not Path(smtp.ca_file.strip()).expanduser().is_file():
        out.error("smtp.ca_file", f"There is no file at {smtp.ca_file.strip()}.")
    if not timeout_ok(smtp.timeout):
        out.error("smtp.timeout", TIMEOUT_MESSAGE)
    if settings.from_address:
        out.error("sender.address", address_problem(settings.from_address))
    else:
        out.error("sender.address", "Enter the email address the messages are sent from.")


def _validate_http(settings: Settings, out: _Collector) -> None:
    out.error("http.url", url_problem(settings.http.url))
    if not timeout_ok(settings.http.timeout):
        out.error("http.timeout", TIMEOUT_MESSAGE)
    if not settings.sender.reply_to.strip():
        out.error(
            "sender.reply_to",
            "With an HTTP relay, enter the address replies go to (usually your business address).",
        )
    if settings.sender.address.strip():
        out.error("sender.address", address_problem(settings.sender.address))


def http_api_problems(settings: Settings) -> list[Problem]:
    """The [http] problems of a provider API (api other than "relay"): the base URL may be
    empty (the provider's default), the sender address is required (it is the From), and
    Mailgun needs a sending domain ([http] domain, else the sender address's domain)."""
    http = settings.http
    problems: list[Problem] = []
    if http.url.strip():
        problem = url_problem(http.url)
        if problem:
            problems.append(Problem("http.url", problem.replace("the relay's URL", "the URL")))
    if not timeout_ok(http.timeout):
        problems.append(Problem("http.timeout", TIMEOUT_MESSAGE))
    address = settings.sender.address.strip()
    problem = address_problem(address) if address else "Enter the address messages come from."
    if problem:
        problems.append(Problem("sender.address", problem))
    domain = http.domain.strip()
    if domain:
        from tui.core.providers import normalise_domain  # only needed when a domain is set

        if "." not in domain or normalise_domain(domain) is None:
            problems.append(
                Problem("http.domain", "Enter the sending domain, e.g. mg.example.com.")
            )
    elif http.api == "mailgun" and "@" not in address:
        problems.append(
            Problem("http.domain", "Enter the Mailgun sending domain, e.g. mg.example.com.")
        )
    return problems


def _validate_sender(settings: Settings, out: _Collector) -> None:
    sender = settings.sender
    if sender.name:
        out.error("sender.name", header_problem(sender.name))
    if sender.reply_to.strip():
        out.error("sender.reply_to", address_problem(sender.reply_to))
    if sender.copy_to.strip():
        out.error("sender.copy_to", address_problem(sender.copy_to))
    # Internal addresses are fine for a server's own relay; a big provider refuses them.
    notes = [
        (key, address_note(value))
        for key, value in (
            ("sender.address", settings.from_address),
            ("sender.reply_to", sender.reply_to),
            ("sender.copy_to", sender.copy_to),
        )
        if value.strip() and not address_problem(value)
    ]
    notes = [(key, note) for key, note in notes if note]
    if notes and goes_to_big_provider(settings):  # the catalogue loads only for a note
        for key, note in notes:
            out.warn(key, note)


def validate(settings: Settings) -> list[Problem]:
    """Every problem with these settings, errors and warnings, each naming its field.
    The wizard shows them beside the fields; the command line refuses errors.
    A new table's checks go in a _validate_<table>() of their own, called below."""
    out = _Collector()
    if settings.protocol == "smtp":
        _validate_smtp(settings, out)
    elif settings.http.api != "relay":
        out.problems += http_api_problems(settings)
    else:
        _validate_http(settings, out)
    _validate_sender(settings, out)
    if settings.password.store not in get_args(PasswordStore):
        out.error("password.store", 'The password store must be "keyring", "file" or "none".')
    out.problems += local_problems(settings.local)
    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        out.problems += oauth_problems(settings)
    return out.problems


def local_problems(local: LocalSettings) -> list[Problem]:
    """[local] (the sendmail entry): admin is a full address; each alias is a local name
    pointing at addresses or other local names (comma-separated), with no loop."""
    problems: list[Problem] = []
    admin = local.admin.strip()
    if admin:
        problem = address_problem(admin)
        if problem is None and admin.rpartition("@")[2].lower() in ("localhost", ""):
            problem = "The admin address must be a real mailbox, not a local name."
        if problem:
            problems.append(Problem("local.admin", problem))
    for name, value in local.aliases.items():
        where = f"local.aliases.{name}"
        if not name.strip() or "@" in name or header_problem(name) or " " in name:
            problems.append(Problem(where, "An alias name is a local name, like www-data."))
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, "An alias points at an address or a local name."))
            continue
        for part in (p.strip() for p in value.split(",")):
            if "@" in part and address_problem(part):
                problems.append(Problem(where, f"{part}: {address_problem(part)}"))
            elif not part or header_problem(part) or " " in part:
                problems.append(Problem(where, f"{part!r} is not an address or a local name."))
    loop = _alias_loop(local.aliases)
    if loop:
        problems.append(
            Problem("local.aliases", f"These aliases point at each other: {' -> '.join(loop)}.")
        )
    return problems


def _alias_loop(aliases: dict[str, str]) -> list[str]:
    """The first loop among local-name aliases (["a", "b", "a"]), or []."""
    table = {k.lower(): str(v) for k, v in aliases.items()}

    def targets(name: str) -> list[str]:
        return [p.strip().lower() for p in table.get(name, "").split(",") if "@" not in p]

    for start in table:
        path = [start]
        stack = [(start, iter(targets(start)))]
        while stack:
            _name, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                path.pop()
            elif step in path:
                return [*path[path.index(step) :], step]
            elif step in table:
                path.append(step)
                stack.append((step, iter(targets(step))))
    return []


def errors(settings: Settings) -> list[Problem]:
    return [problem for problem in validate(settings) if problem.severity == "error"]


def cleaned(settings: Settings) -> Settings:
    """A copy with surrounding spaces removed and the host in its IDNA form."""
    smtp = replace(
        settings.smtp,
        host=settings.smtp.host.strip(),
        username=settings.smtp.username.strip(),
        ca_file=settings.smtp.ca_file.strip(),
    )
    with contextlib.suppress(ValueError):
        smtp.host = normalize_host(smtp.host)
    sender = replace(
        settings.sender,
        address=settings.sender.address.strip(),
        name=settings.sender.name.strip(),
        reply_to=settings.sender.reply_to.strip(),
        copy_to=settings.sender.copy_to.strip(),
    )
    http = replace(settings.http, url=settings.http.url.strip())
    return replace(settings, smtp=smtp, http=http, sender=sender)


def _oauth_url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if any(ch.isspace() for ch in url) or parts.scheme not in ("https", "http"):
        return "Enter an https:// address."
    if not parts.hostname:
        return "The address has no host name after https://."
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "Use https://: sign-in codes and tokens must not travel unencrypted."
    return None


def oauth_problems(settings: Settings) -> list[Problem]:
    """The problems of the [oauth] table, for `smtp.auth = "oauth2"`."""
    oauth = settings.oauth
    problems: list[Problem] = []

    def error(field_name: str, message: str | None) -> None:
        if message:
            problems.append(Problem(field_name, message))

    if settings.smtp.security == "none":
        error(
            "smtp.security", "A sign-in token must not travel unencrypted: choose TLS or STARTTLS."
        )
    app = oauth.grant == "app"
    if app:
        problems += _app_grant_problems(settings)
    if not oauth.client_id.strip() and not (app and oauth.provider == "google"):
        error(
            "oauth.client_id",
            "Enter the client ID of your app registration (see the sign-in guidance).",
        )
    if oauth.provider == "microsoft" and not re.fullmatch(r"[A-Za-z0-9.-]+", oauth.tenant.strip()):
        error(
            "oauth.tenant",
            "Enter organizations, consumers, common, or your tenant's ID or domain.",
        )
    for name in ("device_authorization_url", "authorization_url", "token_url"):
        value = getattr(oauth, name).strip()
        if value:
            error(f"oauth.{name}", _oauth_url_problem(value))
    if oauth.provider == "custom":
        if not oauth.token_url.strip():
            error("oauth.token_url", "Enter the token URL of your sign-in server.")
        if not app and not (
            oauth.device_authorization_url.strip() or oauth.authorization_url.strip()
        ):
            error(
                "oauth.authorization_url",
                "Enter the authorization URL (or the device authorization URL) of your "
                "sign-in server.",
            )
    for name in ("client_id", "client_secret", "tenant", "scope"):
        problem = header_problem(getattr(oauth, name))
        error(f"oauth.{name}", problem and problem.replace("here", "in " + name))
    return problems


_SHARED_TENANTS = ("organizations", "common", "consumers")


def _app_grant_problems(settings: Settings) -> list[Problem]:
    """`grant = "app"`: the mailbox to send as, the tenant, and the key the app signs with."""
    oauth, problems = settings.oauth, []
    if not looks_like_address(settings.smtp.username.strip()):
        problems.append(
            Problem("smtp.username", "Enter the mailbox the app sends as (an email address).")
        )
    if oauth.provider == "microsoft" and oauth.tenant.strip().lower() in _SHARED_TENANTS:
        problems.append(
            Problem(
                "oauth.tenant",
                "An app signs in to one organisation: enter your tenant's ID or its "
                "domain (contoso.onmicrosoft.com), not " + oauth.tenant.strip() + ".",
            )
        )
    if oauth.provider == "google" and not oauth.service_account.strip():
        problems.append(
            Problem(
                "oauth.service_account",
                "Enter the path of the service account's JSON key file.",
            )
        )
    expires = oauth.secret_expires.strip()
    if expires and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires):
        problems.append(
            Problem("oauth.secret_expires", "Enter the date as YYYY-MM-DD, or leave it empty.")
        )
    return problems
