"""Validation: every problem with a settings value, each naming its field (errors and
warnings); the wizard shows them beside the fields, the command line refuses errors."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from tui.core.addresses import address_note, address_problem, header_problem, looks_like_address
from tui.core.hosts import is_loopback_host, normalize_host, url_problem
from tui.core.records import replaced
from tui.core.settings.model import (
    MAX_TIMEOUT,
    LocalSettings,
    PasswordStore,
    Security,
    Settings,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.settings")  # texts.toml beside this file, [problem]

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


def _timeout_problem() -> str:
    return say("problem.timeout", most=MAX_TIMEOUT)


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
        out.error("smtp.port", say("problem.port"))
    if smtp.security not in get_args(Security):
        out.error("smtp.security", say("problem.security"))
    elif smtp.port == 465 and smtp.security == "starttls":
        out.warn("smtp.security", say("problem.port-465-starttls"))
    elif smtp.port == 587 and smtp.security == "tls":
        out.warn("smtp.security", say("problem.port-587-tls"))
    if smtp.port == 25:
        out.warn("smtp.port", say("problem.port-25"))
    if smtp.security == "none" and smtp.username.strip():
        out.error("smtp.username", say("problem.username-in-clear"))
    elif smtp.security != "none" and not smtp.username.strip() and smtp.auth != "oauth2":
        # (with OAuth the account that signs in is the username)
        out.error("smtp.username", say("problem.username"))
    else:
        out.error("smtp.username", header_problem(smtp.username))
    if not smtp.verify_certificate:
        required_by = certificate_checks_required_by(settings)
        if required_by:
            problem = say("problem.certificate-required", provider=required_by)
            out.error("smtp.verify_certificate", problem)
        else:
            out.warn("smtp.verify_certificate", say("problem.certificate-unchecked"))
    if smtp.ca_file.strip() and not Path(smtp.ca_file.strip()).expanduser().is_file():
        out.error("smtp.ca_file", say("problem.no-ca-file", path=smtp.ca_file.strip()))
    if not timeout_ok(smtp.timeout):
        out.error("smtp.timeout", _timeout_problem())
    if settings.from_address:
        out.error("sender.address", address_problem(settings.from_address))
    else:
        out.error("sender.address", say("problem.sender"))


def _validate_http(settings: Settings, out: _Collector) -> None:
    out.error("http.url", url_problem(settings.http.url))
    if not timeout_ok(settings.http.timeout):
        out.error("http.timeout", _timeout_problem())
    if not settings.sender.reply_to.strip():
        out.error("sender.reply_to", say("problem.reply-to"))
    if settings.sender.address.strip():
        out.error("sender.address", address_problem(settings.sender.address))


def http_api_problems(settings: Settings) -> list[Problem]:
    """The [http] problems of a provider API (api other than "relay"): the base URL may be
    empty (the provider's default), the sender address is required (it is the From), and
    Mailgun needs a sending domain ([http] domain, else the sender address's domain)."""
    http = settings.http
    problems: list[Problem] = []
    if http.url.strip():  # (an empty one is the API's default)
        problem = url_problem(http.url)
        if problem:
            problems.append(Problem("http.url", problem))
    if not timeout_ok(http.timeout):
        problems.append(Problem("http.timeout", _timeout_problem()))
    address = settings.sender.address.strip()
    problem = address_problem(address) if address else say("problem.api-sender")
    if problem:
        problems.append(Problem("sender.address", problem))
    domain = http.domain.strip()
    if domain:
        from tui.core.providers import normalise_domain  # only needed when a domain is set

        if "." not in domain or normalise_domain(domain) is None:
            problems.append(Problem("http.domain", say("problem.domain")))
    elif http.api == "mailgun" and "@" not in address:
        problems.append(Problem("http.domain", say("problem.mailgun-domain")))
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
        out.error("password.store", say("problem.store"))
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
            problem = say("problem.admin-local")
        if problem:
            problems.append(Problem("local.admin", problem))
    for name, value in local.aliases.items():
        where = f"local.aliases.{name}"
        if not name.strip() or "@" in name or header_problem(name) or " " in name:
            problems.append(Problem(where, say("problem.alias-name")))
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, say("problem.alias-empty")))
            continue
        for part in (p.strip() for p in value.split(",")):
            if "@" in part and address_problem(part):
                problem = say("problem.alias-address", part=part, problem=address_problem(part))
                problems.append(Problem(where, problem))
            elif not part or header_problem(part) or " " in part:
                problems.append(Problem(where, say("problem.alias-part", part=part)))
    loop = _alias_loop(local.aliases)
    if loop:
        problems.append(Problem("local.aliases", say("problem.alias-loop", loop=" -> ".join(loop))))
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
    smtp = replaced(
        settings.smtp,
        host=settings.smtp.host.strip(),
        username=settings.smtp.username.strip(),
        ca_file=settings.smtp.ca_file.strip(),
    )
    with contextlib.suppress(ValueError):
        smtp.host = normalize_host(smtp.host)
    sender = replaced(
        settings.sender,
        address=settings.sender.address.strip(),
        name=settings.sender.name.strip(),
        reply_to=settings.sender.reply_to.strip(),
        copy_to=settings.sender.copy_to.strip(),
    )
    http = replaced(settings.http, url=settings.http.url.strip())
    return replaced(settings, smtp=smtp, http=http, sender=sender)


def _oauth_url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if any(ch.isspace() for ch in url) or parts.scheme not in ("https", "http"):
        return say("problem.oauth-url")
    if not parts.hostname:
        return say("problem.oauth-url-host")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return say("problem.oauth-url-http")
    return None


def oauth_problems(settings: Settings) -> list[Problem]:
    """The problems of the [oauth] table, for `smtp.auth = "oauth2"`."""
    oauth = settings.oauth
    problems: list[Problem] = []

    def error(field_name: str, message: str | None) -> None:
        if message:
            problems.append(Problem(field_name, message))

    if settings.smtp.security == "none":
        error("smtp.security", say("problem.oauth-in-clear"))
    app = oauth.grant == "app"
    if app:
        problems += _app_grant_problems(settings)
    if not oauth.client_id.strip() and not (app and oauth.provider == "google"):
        error("oauth.client_id", say("problem.client-id"))
    if oauth.provider == "microsoft" and not re.fullmatch(r"[A-Za-z0-9.-]+", oauth.tenant.strip()):
        error("oauth.tenant", say("problem.tenant"))
    for name in ("device_authorization_url", "authorization_url", "token_url"):
        value = getattr(oauth, name).strip()
        if value:
            error(f"oauth.{name}", _oauth_url_problem(value))
    if oauth.provider == "custom":
        if not oauth.token_url.strip():
            error("oauth.token_url", say("problem.token-url"))
        if not app and not (
            oauth.device_authorization_url.strip() or oauth.authorization_url.strip()
        ):
            error("oauth.authorization_url", say("problem.authorization-url"))
    for name in ("client_id", "client_secret", "tenant", "scope"):
        if header_problem(getattr(oauth, name)):  # said again, naming the field
            where = say("problem.in-field", name=name)
            error(f"oauth.{name}", header_problem(getattr(oauth, name), where))
    return problems


_SHARED_TENANTS = ("organizations", "common", "consumers")


def _app_grant_problems(settings: Settings) -> list[Problem]:
    """`grant = "app"`: the mailbox to send as, the tenant, and the key the app signs with."""
    oauth, problems = settings.oauth, []
    if not looks_like_address(settings.smtp.username.strip()):
        problems.append(Problem("smtp.username", say("problem.app-mailbox")))
    if oauth.provider == "microsoft" and oauth.tenant.strip().lower() in _SHARED_TENANTS:
        problems.append(
            Problem("oauth.tenant", say("problem.app-tenant", tenant=oauth.tenant.strip()))
        )
    if oauth.provider == "google" and not oauth.service_account.strip():
        problems.append(Problem("oauth.service_account", say("problem.service-account")))
    expires = oauth.secret_expires.strip()
    if expires and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires):
        problems.append(Problem("oauth.secret_expires", say("problem.secret-expires")))
    return problems
