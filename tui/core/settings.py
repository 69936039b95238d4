"""The settings model (TOML, version 1): typed values, validation, load and atomic save.

See DESIGN.md, "The settings file". The password is never part of this file.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import stat
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from tui.core import files

# Re-exported: the screens and tests import these from the settings module.
from tui.core.addresses import address_note as address_note
from tui.core.addresses import address_problem as address_problem
from tui.core.addresses import header_problem as header_problem
from tui.core.addresses import looks_like_address as looks_like_address
from tui.core.hosts import is_loopback_host
from tui.core.hosts import normalize_host as normalize_host
from tui.core.hosts import parse_port as parse_port
from tui.core.hosts import url_problem as url_problem

SETTINGS_VERSION = 1
CONFIG_ENV = "MAILWIZ_CONFIG"

Protocol = Literal["smtp", "http"]
Security = Literal["tls", "starttls", "none"]
PasswordStore = Literal["keyring", "file", "none"]
SmtpAuth = Literal["password", "oauth2"]
HttpApi = Literal["relay", "postmark", "mailgun", "sendgrid", "resend"]
OAuthProvider = Literal["microsoft", "google", "custom"]
OAuthGrant = Literal["user", "app"]

# The usual pairing of port and security mode (RFC 8314): 465 is implicit TLS, 587 is
# submission with STARTTLS, 25 is server-to-server and often unencrypted.
USUAL_SECURITY_FOR_PORT: dict[int, Security] = {465: "tls", 587: "starttls", 25: "none"}
MAX_TIMEOUT = 600


@dataclass
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    verify_certificate: bool = True
    ca_file: str = ""
    timeout: float = 30
    auth: SmtpAuth = "password"  # "oauth2": sign in with a token from [oauth]


@dataclass
class HttpSettings:
    url: str = ""  # the relay URL, or the API's base URL (empty = the provider's default)
    timeout: float = 30
    api: HttpApi = "relay"
    domain: str = ""  # mailgun: the sending domain


@dataclass
class OAuthSettings:
    """How to sign in when `smtp.auth = "oauth2"`; the refresh token is a secret, stored apart."""

    provider: OAuthProvider = "microsoft"
    client_id: str = ""
    client_secret: str = ""  # only where the provider's desktop clients have one (Google)
    tenant: str = "organizations"  # microsoft: organizations | consumers | common | a tenant id
    scope: str = ""  # empty = the provider's default
    device_authorization_url: str = ""
    authorization_url: str = ""
    token_url: str = ""
    # "user": a person signs in (device code or browser); "app": the app signs in itself
    # (client credentials; Google: a service account's JWT bearer grant). See app_grants.
    grant: OAuthGrant = "user"
    certificate: str = ""  # app, microsoft/custom: PEM with the private key and certificate
    service_account: str = ""  # app, google: the service account's JSON key file
    secret_expires: str = ""  # app: the client secret's expiry date (YYYY-MM-DD), to warn


@dataclass
class LocalSettings:
    """The system's own mail (the sendmail entry): where local names such as root go."""

    admin: str = ""  # mail for root, postmaster and every local name without an alias
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> address


@dataclass
class SenderSettings:
    address: str = ""
    name: str = ""
    reply_to: str = ""
    copy_to: str = ""


@dataclass
class PasswordSettings:
    store: PasswordStore = "keyring"


@dataclass
class Settings:
    protocol: Protocol = "smtp"
    provider: str = "custom"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    sender: SenderSettings = field(default_factory=SenderSettings)
    password: PasswordSettings = field(default_factory=PasswordSettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    local: LocalSettings = field(default_factory=LocalSettings)

    def copy(self) -> Settings:
        """An independent copy to edit: the one place settings are copied (a screen or a
        use case that changes settings it was handed changes its copy, never the caller's)."""
        return copy.deepcopy(self)

    @property
    def from_address(self) -> str:
        """The From address: the sender address, or the username when that is one."""
        if self.sender.address.strip():
            return self.sender.address.strip()
        username = self.smtp.username.strip()
        return username if looks_like_address(username) else ""


# --------------------------------------------------------------------------- errors


class SettingsError(Exception):
    """A problem with the settings file a user can act on; str() is the whole message."""


class SettingsMissing(SettingsError):
    """There is no settings file yet."""


class SettingsFileError(SettingsError):
    """The file exists but cannot be used: bad TOML, unknown key, wrong type, newer version."""

    def __init__(self, message: str, *, path: Path, line: int | None = None, key: str = ""):
        self.path = path
        self.line = line
        self.key = key
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class SettingsBusy(SettingsError):
    """Another process is writing the settings file right now."""


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


# ----------------------------------------------------------------------------- paths


def default_config_path() -> Path:
    import platformdirs  # only when neither --config nor $MAILWIZ_CONFIG says where

    return Path(platformdirs.user_config_dir("mailwiz")) / "settings.toml"


def resolve_config_path(
    cli_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """--config, else $MAILWIZ_CONFIG, else the platform's config folder."""
    environ = os.environ if env is None else env
    if cli_path:
        return Path(cli_path).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    return default_config_path()


def command_for(config_path: Path | None, *args: str) -> str:
    """A mailwiz command line to suggest, with `--config PATH` when the settings are not
    where mailwiz looks by itself (so the suggestion works as printed)."""
    import shlex

    words = ["mailwiz", *args]
    if config_path is not None and config_path != resolve_config_path(None):
        words += ["--config", str(config_path)]
    return shlex.join(words)


# ---------------------------------------------------------------------------- load


@dataclass
class Loaded:
    settings: Settings
    path: Path
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the file as read, so problems can name their line

    def line_of(self, dotted: str) -> int | None:
        """The line where a key ("sender.reply_to", "protocol") is set in the file, or None."""
        table, _, key = dotted.rpartition(".")
        return _line_of(self.text, table, key) if key else None


_TABLES: dict[str, type[Any]] = {
    "smtp": SmtpSettings,
    "http": HttpSettings,
    "sender": SenderSettings,
    "password": PasswordSettings,
    "oauth": OAuthSettings,
    "local": LocalSettings,
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "protocol": get_args(Protocol),
    "smtp.security": get_args(Security),
    "smtp.auth": get_args(SmtpAuth),
    "http.api": get_args(HttpApi),
    "oauth.provider": get_args(OAuthProvider),
    "oauth.grant": get_args(OAuthGrant),
    "password.store": get_args(PasswordStore),
}


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line where `key` is set inside `[table]` ("" for the top level), for messages."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?", stripped)
        if header:
            current = header.group(1)
            if not key and current == table:
                return number
            continue
        if key and current == table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _check_value(value: Any, expected: Any, dotted: str) -> str | None:
    """Why a TOML value has the wrong type for a settings field, or None."""
    if expected is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if expected is int:
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool)
            else "must be a whole number"
        )
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number of seconds"
    if expected is dict:
        if not isinstance(value, dict):
            return 'must be a table of names and addresses, like { "www-data" = "web@example.com" }'
        if not all(isinstance(item, str) for item in value.values()):
            return "must map each name to an address in quotes"
        return None
    if not isinstance(value, str):
        return "must be text in quotes"
    choices = _CHOICES.get(dotted)
    if choices and value not in choices:
        return "must be one of " + ", ".join(f'"{choice}"' for choice in choices)
    return None


_FIELD_TYPES: dict[str, type] = {
    "bool": bool,
    "int": int,
    "float": float,
    "dict[str, str]": dict,
}


def _field_type(cls: type[Any], name: str) -> type:
    annotation = next(f.type for f in fields(cls) if f.name == name)
    return _FIELD_TYPES.get(str(annotation), str)


def parse_settings(text: str, path: Path) -> Settings:
    """The settings in `text`, or SettingsFileError naming the line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise SettingsFileError(
            f"this is not valid TOML ({reason}). Fix that line, or move the file away and "
            "run mailwiz to create a new one.",
            path=path,
            line=line,
        ) from None

    def fail(message: str, table: str, key: str) -> SettingsFileError:
        dotted = f"{table}.{key}" if table else key
        line = _line_of(text, table, key) or (None if table else _line_of(text, key, ""))
        return SettingsFileError(f'"{dotted}" {message}.', path=path, line=line, key=dotted)

    version = data.get("version")
    if version is None:
        raise SettingsFileError(
            'the "version" key is missing: add version = 1 at the top.', path=path
        )
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail("must be a whole number", "", "version")
    if version > SETTINGS_VERSION:
        raise fail(
            f"is {version}: this file was written by a newer mailwiz, which this one "
            f"(reading version {SETTINGS_VERSION}) cannot read safely. Update mailwiz",
            "",
            "version",
        )
    if version < 1:
        raise fail("must be 1", "", "version")

    settings = Settings()
    for key, value in data.items():
        if key == "version":
            continue
        if key in ("protocol", "provider"):
            problem = _check_value(value, str, key)
            if problem:
                raise fail(problem, "", key)
            setattr(settings, key, value)
            continue
        cls = _TABLES.get(key)
        if cls is None:
            known = ", ".join(["version", "protocol", "provider", *_TABLES])
            raise fail(f"is not a setting mailwiz knows (known: {known})", "", key)
        if not isinstance(value, dict):
            raise fail("must be a table, like [" + key + "]", "", key)
        table = getattr(settings, key)
        names = {f.name for f in fields(cls)}
        for name, item in value.items():
            if name not in names:
                known = ", ".join(sorted(names))
                raise fail(f"is not a setting mailwiz knows (known in [{key}]: {known})", key, name)
            expected = _field_type(cls, name)
            problem = _check_value(item, expected, f"{key}.{name}")
            if problem:
                raise fail(problem, key, name)
            setattr(table, name, float(item) if expected is float else item)
            if expected is dict:
                setattr(table, name, dict(item))
    if "password" not in data and uses_relay(settings):
        # A relay's file without [password] stores no key: its sends never ask a keyring
        # (which may be locked, or hang on a desktop nobody sees over SSH).
        settings.password.store = "none"
    return settings


def permission_warning(path: Path) -> str | None:
    """A warning when a secrets-adjacent file can be read by group or others (like msmtp)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"{path} can be read by other users of this machine (mode {stat.filemode(mode)}). "
            f"Fix it with: chmod 600 {path}"
        )
    return None


def load_settings(path: Path) -> Loaded:
    """Read the settings file. SettingsMissing when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsMissing(
            f"There are no settings yet at {path}. Run {command_for(path)} to set up email."
        ) from None
    except UnicodeDecodeError:
        raise SettingsFileError("this is not a text file (not UTF-8).", path=path) from None
    except OSError as error:
        raise SettingsError(f"Cannot read {path}: {error.strerror}.") from None
    loaded = Loaded(parse_settings(text, path), path, text=text)
    warning = permission_warning(path)
    if warning:
        loaded.warnings.append(warning)
    return loaded


# ---------------------------------------------------------------------------- save


def to_toml(settings: Settings) -> str:
    import tomli_w  # only needed when saving

    data: dict[str, Any] = {
        "version": SETTINGS_VERSION,
        "protocol": settings.protocol,
        "provider": settings.provider,
    }
    # Only the table of the protocol in use is written (DESIGN.md).
    in_use = "smtp" if settings.protocol == "smtp" else "http"
    data[in_use] = vars(getattr(settings, in_use)).copy()
    data["sender"] = vars(settings.sender).copy()
    if not _relay_with_default_store(settings):
        data["password"] = vars(settings.password).copy()
    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        data["oauth"] = vars(settings.oauth).copy()
    if settings.local != LocalSettings():
        data["local"] = {"admin": settings.local.admin, "aliases": dict(settings.local.aliases)}
    if "timeout" in data[in_use] and float(data[in_use]["timeout"]).is_integer():
        data[in_use]["timeout"] = int(data[in_use]["timeout"])
    return tomli_w.dumps(data)


def _relay_with_default_store(settings: Settings) -> bool:
    """A relay that stores no key (`store = "none"`) is written without [password], which
    loading reads back as "none"; a relay whose key is kept names its store."""
    return uses_relay(settings) and settings.password == PasswordSettings(store="none")


def uses_relay(settings: Settings) -> bool:
    """Whether these settings post to the original multipart relay, whose key is optional."""
    return settings.protocol == "http" and settings.http.api == "relay"


def _busy(target: Path) -> SettingsBusy:
    return SettingsBusy(
        f"{target} is being written by another process (another mailwiz?). "
        "Wait for it to finish, then try again."
    )


LOCK_WAIT = 30.0  # seconds a save waits for another writer of the same settings


def settings_target(path: Path) -> Path:
    """The real settings file behind `path` (a symlinked settings file keeps its link)."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def settings_lock(path: Path, wait: float = LOCK_WAIT) -> Iterator[Path]:
    """Hold the settings file's lock (`<name>.lock` beside it) and yield the real file.

    Every writer of the settings, and of the secret they point at, holds it from the first
    read to the last write (and any rollback), so concurrent saves are serialised and none
    undoes another's. The folder is created 0700. SettingsBusy after `wait` seconds."""
    target = settings_target(path)
    folder = target.parent
    try:
        files.make_private_folder(folder)
    except OSError as error:
        raise SettingsError(f"Cannot create the folder {folder}: {error.strerror}.") from None
    try:
        with files.exclusive_lock(target.with_name(target.name + ".lock"), wait):
            files.remove_stale_temps(target)
            files.remove_stale_temps(target.with_name(target.name + ".bak"))
            yield target
    except files.LockBusy:
        raise _busy(target) from None
    except files.UnsafePath as error:
        raise SettingsError(str(error)) from None


def read_current(target: Path) -> bytes | None:
    """The settings file's bytes as they are now (None: no file), refusing a file that
    cannot be parsed: the user may have work in it, so it is never overwritten."""
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SettingsError(f"Cannot read {target}: {error.strerror}.") from None
    parse_settings(data.decode("utf-8", errors="replace"), target)
    return data


def write_settings(settings: Settings, target: Path, previous: bytes | None) -> None:
    """With the lock held (`settings_lock`): keep `previous` as <name>.bak, then write the
    settings to a temp file and rename it over the target. On failure the target is as it
    was and no temp file is left."""
    text = to_toml(settings)
    try:
        if previous is not None:
            files.write_atomically(target.with_name(target.name + ".bak"), previous)
        files.write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise SettingsError(
            f"Could not save {target}: {error.strerror or error}. The previous settings are "
            "unchanged."
        ) from None


def restore_settings(target: Path, previous: bytes | None) -> None:
    """With the lock held: put back the file `write_settings` replaced (a rollback), or
    remove it when there was none."""
    if previous is None:
        target.unlink(missing_ok=True)
    else:
        files.write_atomically(target, previous)


def save_settings(settings: Settings, path: Path) -> Path:
    """Write the settings atomically; returns the real file written (links are followed).

    The previous file is kept as <name>.bak. On any failure the previous file is intact
    and no temporary file is left behind; temp files a killed writer left are removed. An
    existing file that cannot be parsed is never overwritten: the user may have work in it.
    The folder is created 0700; the lock and temp files never follow a planted symlink.
    Settings with a secret are saved by `tui.core.save` (the secret under the same lock)."""
    with settings_lock(path) as target:
        write_settings(settings, target, read_current(target))
    return target


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
