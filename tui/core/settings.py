"""The settings model (TOML, version 1): typed values, validation, load and atomic save.

See DESIGN.md, "The settings file". The password is never part of this file.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import re
import shutil
import stat
import tempfile
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import idna
import platformdirs

SETTINGS_VERSION = 1
CONFIG_ENV = "MAILWIZ_CONFIG"

Protocol = Literal["smtp", "http"]
Security = Literal["tls", "starttls", "none"]
PasswordStore = Literal["keyring", "file", "none"]
SmtpAuth = Literal["password", "oauth2"]
HttpApi = Literal["relay", "postmark", "mailgun", "sendgrid", "resend"]
OAuthProvider = Literal["microsoft", "google", "custom"]

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


@dataclass(frozen=True)
class Problem:
    field: str  # "smtp.host", "sender.address", ... (see DESIGN.md's settings file)
    message: str
    severity: Literal["error", "warning"] = "error"


def looks_like_address(text: str) -> bool:
    """Whether a username is an email address (the seed shows the address field if not)."""
    return re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text.strip()) is not None


def header_problem(value: str) -> str | None:
    """Why a value cannot go into a mail header, or None. CR/LF and encoded-word markers
    could smuggle extra headers (CVE-2024-6923), so they are refused outright."""
    if any(ch in "\r\n\x85\u2028\u2029" for ch in value):
        return "Line breaks are not allowed here."
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "Control characters are not allowed here."
    if "=?" in value:
        return 'The sequence "=?" is not allowed here (it could hide extra mail headers).'
    return None


def address_problem(value: str) -> str | None:
    """Why a value is not one valid email address, or None. No DNS look-up."""
    text = value.strip()
    if not text:
        return "Enter an email address."
    problem = header_problem(text)
    if problem:
        return problem
    if "," in text or ";" in text or len(text.split()) > 1:
        return "Enter one email address only."
    import email_validator  # compiling its patterns costs ~15 ms: not before the first check

    try:
        email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        return f"This is not a valid email address: {error}"
    return None


def normalize_host(text: str) -> str:
    """The host name in the form we connect to (IDNA A-labels, lower case), or ValueError
    with a message that says what to change."""
    host = text.strip()
    if not host:
        raise ValueError("Enter the server's host name, for example smtp.example.com.")
    if "://" in host:
        scheme = host.split("://", 1)[0]
        raise ValueError(f'Remove "{scheme}://": type only the host name, like smtp.example.com.')
    if host.startswith("[") and "]" in host:
        inside, _, rest = host[1:].partition("]")
        if rest.startswith(":"):
            raise ValueError("Put the port in the Port field, not after the host name.")
        host = inside
    if any(ch.isspace() for ch in host):
        raise ValueError("A host name cannot contain spaces.")
    if "/" in host or "\\" in host or "?" in host:
        raise ValueError("Type only the host name, without a path (nothing after a /).")
    if "@" in host:
        raise ValueError(
            "That looks like an email address. The host is the server's name, "
            "like smtp.example.com; the address goes in the Username field."
        )
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        if port.isdigit():
            raise ValueError(
                f'Put the port in the Port field: host "{name}", port {port}.'
            ) from None
    if ":" in host:
        raise ValueError("This is neither a host name nor an IP address.")
    host = host.rstrip(".")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError(f"This is not a valid host name ({error}).") from None
    if len(ascii_host) > 253 or not all(
        re.fullmatch(r"(?!-)[a-z0-9-]{1,63}(?<!-)", label, re.IGNORECASE)
        for label in ascii_host.split(".")
    ):
        raise ValueError("This is not a valid host name: use letters, digits, dots and hyphens.")
    return ascii_host.lower()


def parse_port(text: str) -> int:
    """A port typed by the user, or ValueError with a message."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise ValueError("The port is a whole number, usually 465, 587 or 25.")
    port = int(cleaned)
    if not 1 <= port <= 65535:
        raise ValueError("The port must be between 1 and 65535 (usually 465, 587 or 25).")
    return port


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why an HTTP relay URL cannot be used, or None."""
    text = url.strip()
    if not text:
        return "Enter the relay's URL, for example https://relay.example.com/send."
    if any(ch.isspace() for ch in text):
        return "A URL cannot contain spaces."
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http"):
        return "The URL must start with https://."
    if not parts.hostname:
        return "The URL has no host name after https://."
    if parts.username is not None or parts.password is not None:
        return (
            "Do not put a name or password inside the URL: "
            "anyone who sees the settings would see them."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return (
            "Use https://: with http:// the message and the addresses travel unencrypted. "
            "http:// is accepted only for a relay on this machine (localhost)."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        return "The port in the URL is not valid."
    return None


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
    if not 0 < http.timeout <= MAX_TIMEOUT:
        problems.append(
            Problem("http.timeout", f"The timeout is in seconds, between 1 and {MAX_TIMEOUT}.")
        )
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


def _provider_name(provider_id: str) -> str:
    # Imported here: the catalogue is only needed when a provider forbids something.
    from tui.core.providers import get_provider

    try:
        return get_provider(provider_id).name
    except KeyError:
        return provider_id


def validate(settings: Settings) -> list[Problem]:
    """Every problem with these settings, errors and warnings, each naming its field.
    The wizard shows them beside the fields; the command line refuses errors."""
    problems: list[Problem] = []

    def error(field_name: str, message: str | None) -> None:
        if message:
            problems.append(Problem(field_name, message))

    def warn(field_name: str, message: str) -> None:
        problems.append(Problem(field_name, message, "warning"))

    if settings.protocol == "smtp":
        smtp = settings.smtp
        try:
            normalize_host(smtp.host)
        except ValueError as host_error:
            error("smtp.host", str(host_error))
        if not 1 <= smtp.port <= 65535:
            error("smtp.port", "The port must be between 1 and 65535 (usually 465, 587 or 25).")
        if smtp.security not in get_args(Security):
            error("smtp.security", 'Security must be "tls", "starttls" or "none".')
        elif smtp.port == 465 and smtp.security == "starttls":
            warn(
                "smtp.security",
                "Port 465 usually expects TLS from the first byte (security TLS), not STARTTLS.",
            )
        elif smtp.port == 587 and smtp.security == "tls":
            warn("smtp.security", "Port 587 usually expects STARTTLS, not TLS from the first byte.")
        if smtp.port == 25:
            warn(
                "smtp.port",
                "Port 25 is not encrypted on many networks and often blocked; "
                "465 or 587 are recommended.",
            )
        if smtp.security == "none" and smtp.username.strip():
            error(
                "smtp.username",
                "With no encryption the username and password would travel in clear. "
                "Choose TLS or STARTTLS, or leave the username empty for a local relay.",
            )
        elif smtp.security != "none" and not smtp.username.strip():
            error("smtp.username", "Enter the username (usually your email address).")
        else:
            error("smtp.username", header_problem(smtp.username))
        if not smtp.verify_certificate:
            if settings.provider != "custom":
                error(
                    "smtp.verify_certificate",
                    f"{_provider_name(settings.provider)} has a valid certificate: checking it "
                    "can not be turned off.",
                )
            else:
                warn(
                    "smtp.verify_certificate",
                    "The certificate is not checked: anyone between you and the server could "
                    "read the password. Only for your own server with a self-signed certificate.",
                )
        if smtp.ca_file.strip() and not Path(smtp.ca_file.strip()).expanduser().is_file():
            error("smtp.ca_file", f"There is no file at {smtp.ca_file.strip()}.")
        if not 0 < smtp.timeout <= MAX_TIMEOUT:
            error("smtp.timeout", f"The timeout is in seconds, between 1 and {MAX_TIMEOUT}.")
        if settings.from_address:
            error("sender.address", address_problem(settings.from_address))
        else:
            error("sender.address", "Enter the email address the messages are sent from.")
    elif settings.http.api != "relay":
        problems += http_api_problems(settings)
    else:
        error("http.url", url_problem(settings.http.url))
        if not 0 < settings.http.timeout <= MAX_TIMEOUT:
            error("http.timeout", f"The timeout is in seconds, between 1 and {MAX_TIMEOUT}.")
        if not settings.sender.reply_to.strip():
            error(
                "sender.reply_to",
                "With an HTTP relay, enter the address replies go to (usually your business "
                "address).",
            )
        if settings.sender.address.strip():
            error("sender.address", address_problem(settings.sender.address))
    if settings.sender.name:
        error("sender.name", header_problem(settings.sender.name))
    if settings.sender.reply_to.strip():
        error("sender.reply_to", address_problem(settings.sender.reply_to))
    if settings.sender.copy_to.strip():
        error("sender.copy_to", address_problem(settings.sender.copy_to))
    if settings.password.store not in get_args(PasswordStore):
        error("password.store", 'The password store must be "keyring", "file" or "none".')
    return problems


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


# ---------------------------------------------------------------------------- load


@dataclass
class Loaded:
    settings: Settings
    path: Path
    warnings: list[str] = field(default_factory=list)


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
            f"There are no settings yet at {path}. Run mailwiz to set up email."
        ) from None
    except UnicodeDecodeError:
        raise SettingsFileError("this is not a text file (not UTF-8).", path=path) from None
    except OSError as error:
        raise SettingsError(f"Cannot read {path}: {error.strerror}.") from None
    loaded = Loaded(parse_settings(text, path), path)
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
    data["password"] = vars(settings.password).copy()
    if settings.protocol == "smtp" and settings.smtp.auth == "oauth2":
        data["oauth"] = vars(settings.oauth).copy()
    if settings.local != LocalSettings():
        data["local"] = {"admin": settings.local.admin, "aliases": dict(settings.local.aliases)}
    if "timeout" in data[in_use] and float(data[in_use]["timeout"]).is_integer():
        data[in_use]["timeout"] = int(data[in_use]["timeout"])
    return tomli_w.dumps(data)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _write_lock(target: Path) -> Iterator[None]:
    lock_path = target.with_name(target.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SettingsBusy(
                f"{target} is being written by another process (another mailwiz?). "
                "Wait for it to finish, then try again."
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock; the lock file stays, empty and harmless


def save_settings(settings: Settings, path: Path) -> Path:
    """Write the settings atomically; returns the real file written (links are followed).

    The previous file is kept as <name>.bak. On any failure the previous file is intact
    and no temporary file is left behind. An existing file that cannot be parsed is never
    overwritten: the user may have work in it."""
    target = Path(os.path.realpath(path))  # a symlinked settings file keeps its link
    folder = target.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"Cannot create the folder {folder}: {error.strerror}.") from None
    text = to_toml(settings)
    try:
        with _write_lock(target):
            if target.exists():
                parse_settings(target.read_text(encoding="utf-8", errors="replace"), path)
            fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            temp = Path(temp_name)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                if target.exists():
                    _keep_backup(target)
                os.replace(temp, target)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            _fsync_folder(folder)
    except SettingsError:
        raise
    except OSError as error:
        raise SettingsError(
            f"Could not save {target}: {error.strerror or error}. The previous settings are "
            "unchanged."
        ) from None
    return target


def _keep_backup(target: Path) -> None:
    backup = target.with_name(target.name + ".bak")
    fd, temp_name = tempfile.mkstemp(prefix=f".{backup.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(target, temp_name)  # the copy keeps mkstemp's 0600 mode
        os.replace(temp_name, backup)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
