"""Turn a failed send into words a non-expert can act on: what happened, what it means, what to do.

Decisions rest on the failure's kind, stage, reply code, enhanced status code and the provider
id; the server's free text is only consulted where a provider's known wording is the only signal
(Gmail's "Application-specific password required", Microsoft's "SendAsDenied"). The server's
reply is quoted where it helps. All text is plain ASCII so it reads the same in any terminal.
"""

from __future__ import annotations

import calendar
import ipaddress
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.core.events import CertificateInfo, Failure, FailureKind
from tui.core.providers import CatalogueError, Provider, get_provider
from tui.core.settings import Settings

GENERAL_STEPS: tuple[str, ...] = (
    "Check the server name, the port and the security setting (TLS on port 465, "
    "STARTTLS on port 587) against what your email provider publishes.",
    "Check the username and the password. Many providers (Gmail, Yahoo, iCloud and others) "
    "refuse your normal password here and need an app password made for this program.",
    "Make sure a firewall, an antivirus program or your hosting provider is not blocking or "
    "scanning outgoing mail connections.",
    "Try the same settings in another email program (such as Mozilla Thunderbird) on the same "
    "network: if it fails too, the problem is the account or the network, not mailwiz.",
)
"""The troubleshooting steps shown after the diagnosis of a particular failure."""

# The fields a diagnosis can point at (the wizard jumps there).
FIELDS = (
    "smtp.host",
    "smtp.port",
    "smtp.security",
    "smtp.username",
    "password",
    "sender.address",
    "sender.copy_to",
    "sender.reply_to",
    "recipient",
    "smtp.verify_certificate",
    "smtp.ca_file",
    "http.url",
    "",
)

# The prefix http.py writes before a redirect target in Failure.reply.
REDIRECT_MARK = "Location: "


@dataclass(frozen=True)
class Diagnosis:
    title: str  # one short sentence for the test screen
    cause: str  # what happened and what it means, in plain words
    fix: str  # what to do, concrete; may be several numbered lines
    field: str  # the settings field concerned (one of FIELDS), "" for none


# --------------------------------------------------------------------------- helpers

_GMAIL_IDS = {"gmail", "google", "googlemail", "google-workspace", "google_workspace", "workspace"}
_MICROSOFT_IDS = {
    "outlook",
    "office365",
    "microsoft",
    "microsoft365",
    "m365",
    "hotmail",
    "live",
    "exchange",
    "exchange-online",
}
_MICROSOFT_HOST_ENDS = ("office365.com", "outlook.com", "hotmail.com", "live.com")

_APP_PASSWORD_STEPS = {
    "gmail": (
        "Gmail needs an app password here, not your normal password:\n"
        "1. Turn on 2-Step Verification in your Google Account (myaccount.google.com).\n"
        "2. Open Google Account > Security > App passwords "
        "(https://myaccount.google.com/apppasswords) and create one for mailwiz.\n"
        "3. Paste the 16-letter app password into the Password field (spaces do not matter).\n"
        "4. The username is your full Gmail address."
    ),
    "yahoo": (
        "Yahoo Mail needs an app password here, not your normal password:\n"
        "1. Open https://login.yahoo.com/account/security.\n"
        '2. Click "Generate app password" (or "Manage app passwords").\n'
        '3. Choose "Other app", type mailwiz, and click "Generate password".\n'
        "4. Paste the generated password into the Password field.\n"
        "5. The username is your full Yahoo address."
    ),
    "icloud": (
        "iCloud Mail needs an app-specific password here, not your Apple Account password:\n"
        "1. Sign in at https://account.apple.com (two-factor authentication must be on).\n"
        "2. Open Sign-In and Security > App-Specific Passwords and create one for mailwiz.\n"
        "3. Paste it into the Password field.\n"
        "4. The username is your full iCloud address (name@icloud.com), even if you send "
        "from another address."
    ),
    "fastmail": (
        "Fastmail needs an app password here, not your normal password:\n"
        "1. In Fastmail, open Settings > Privacy & Security > Manage app passwords.\n"
        '2. Create a new app password with access "SMTP" (or "Mail").\n'
        "3. Paste it into the Password field; the username is your full Fastmail address."
    ),
}
_APP_PASSWORD_ALIASES = {
    "googlemail": "gmail",
    "google": "gmail",
    "yahoomail": "yahoo",
    "ymail": "yahoo",
    "apple": "icloud",
    "me": "icloud",
}


def _provider_id(settings: Settings, provider: Provider | None) -> str:
    pid = provider.id if provider is not None else settings.provider
    pid = (pid or "").strip().lower()
    return _APP_PASSWORD_ALIASES.get(pid, pid)


def _is_catalogue(settings: Settings, provider: Provider | None) -> bool:
    """True for a known mail provider (Gmail, Yahoo, ...); False for "Other SMTP server" and
    the HTTP relay. Certificate checks are never to be turned off for a known provider."""
    # Only a catalogue entry counts: an id the catalogue does not know (the practice
    # server's "practice", say) is somebody's own server.
    return (
        provider is not None
        and provider.protocol == "smtp"
        and provider.certificate_checks_required
    )


def _is_gmail(settings: Settings, provider: Provider | None) -> bool:
    host = settings.smtp.host.strip().lower()
    return _provider_id(settings, provider) in _GMAIL_IDS or host in (
        "smtp.gmail.com",
        "smtp.googlemail.com",
    )


def _is_microsoft(settings: Settings, provider: Provider | None) -> bool:
    host = settings.smtp.host.strip().lower().rstrip(".")
    return _provider_id(settings, provider) in _MICROSOFT_IDS or host.endswith(_MICROSOFT_HOST_ENDS)


def _provider_name(settings: Settings, provider: Provider | None) -> str:
    if provider is not None and provider.name:
        return provider.name
    return "your email provider"


def _quote(reply: str, who: str = "The server") -> str:
    """The server's words, quoted, as a sentence to append; "" when there are none."""
    reply = " ".join(reply.split())
    if not reply:
        return ""
    if len(reply) > 300:
        reply = reply[:297] + "..."
    end = "" if reply[-1] in ".!?" else "."
    return f' {who} said: "{reply}"{end}'


def _is_http(settings: Settings) -> bool:
    return settings.protocol == "http"


def _url_host_port(url: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "", None
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return host, port


def _target(settings: Settings) -> tuple[str, int | None]:
    """The host and port the send was aimed at."""
    if _is_http(settings):
        return _url_host_port(settings.http.url)
    return settings.smtp.host.strip(), settings.smtp.port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


def _usual_ports(settings: Settings, provider: Provider | None) -> str:
    """A sentence naming the ports to try."""
    if provider is not None and _is_catalogue(settings, provider) and provider.endpoints:
        ways = [
            f"port {e.port} with {_mode_name(e.security)}"
            + ("" if e.host == provider.host else f" on {e.host}")
            for e in provider.endpoints[:3]
        ]
        text = f"{provider.name} uses {provider.host} " + ", or ".join(ways) + "."
        return text
    return (
        "The usual ports are 465 (security: TLS) and 587 (security: STARTTLS); "
        "port 25 is meant for servers passing mail to each other and is often blocked."
    )


def _mode_name(security: str) -> str:
    return {"tls": "TLS", "starttls": "STARTTLS", "none": "no encryption"}.get(security, security)


def _host_field(settings: Settings) -> str:
    return "http.url" if _is_http(settings) else "smtp.host"


def _numbered(steps: list[str]) -> str:
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))


# --------------------------------------------------------------------------- entry point


_MESSAGE_FIELDS = (
    "sender.address",
    "sender.name",
    "sender.reply_to",
    "sender.copy_to",
    "recipient",
)


def _settings_problem(f: Failure) -> Diagnosis | None:
    """A value refused before connecting (message.MessageError text: "field: message")."""
    field, sep, message = f.detail.partition(": ")
    if f.code is not None or not sep or field not in _MESSAGE_FIELDS:
        return None
    label = {
        "sender.address": "sender address",
        "sender.name": "sender name",
        "sender.reply_to": "reply-to address",
        "sender.copy_to": "copy address",
        "recipient": "recipient address",
    }[field]
    return Diagnosis(
        title=f"The {label} cannot be used.",
        cause=(
            f"mailwiz checked the {label} before connecting and found a problem: {message}. "
            "Nothing was sent."
        ),
        fix=_numbered([f"Correct the {label}: one plain address, such as name@example.com."]),
        field="sender.address" if field == "sender.name" else field,
    )


def diagnose(failure: Failure, settings: Settings, provider: Provider | None = None) -> Diagnosis:
    """Explain `failure` for a non-expert: cause, fix, and the settings field to look at.

    `provider` defaults to the catalogue entry named by `settings.provider`, if any.
    """
    if provider is None and settings.provider:
        try:
            provider = get_provider(settings.provider)
        except (KeyError, CatalogueError):
            provider = None
    if failure.kind in (FailureKind.SENDER, FailureKind.RECIPIENT, FailureKind.MESSAGE):
        problem = _settings_problem(failure)
        if problem is not None:
            return problem
    handler = _HANDLERS.get(failure.kind, _internal)
    return handler(failure, settings, provider)


def _internal(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    where = f" during the {f.stage} step" if f.stage else ""
    detail = f' The error was: "{f.detail}".' if f.detail else ""
    return Diagnosis(
        title="mailwiz hit an unexpected error (a bug).",
        cause=(
            f"Something went wrong inside mailwiz itself{where}; this is not a problem with "
            f"your settings or with the server as far as mailwiz can tell.{detail}"
        ),
        fix=_numbered(
            [
                "Run the test again: if it passes, the problem was passing.",
                "If it happens again, report it to the mailwiz developers with the step "
                "where it failed, the error text above and the output of `mailwiz test --json`. "
                "mailwiz never prints your password, so that output is safe to share.",
            ]
        ),
        field="",
    )


def _no_password(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    account = s.smtp.username or "this account"
    if s.smtp.host:
        account += f" at {s.smtp.host}"
    if s.password.store == "keyring":
        where = "in the system keyring"
        todo = (
            "Type the password in the Password field of the wizard, or run "
            "`mailwiz password` to store it in the keyring."
        )
    elif s.password.store == "file":
        where = "in the password file beside the settings"
        todo = "Type the password in the Password field, or run `mailwiz password` to store it."
    else:
        where = "anywhere, because the settings say never to store it"
        todo = "Type the password when mailwiz asks for it."
    detail = f' ("{f.detail}")' if f.detail else ""
    return Diagnosis(
        title="No password is available.",
        cause=(
            f"mailwiz needs the password for {account}, but found none {where}{detail}, "
            "and the MAILWIZ_PASSWORD environment variable is not set. Nothing was sent."
        ),
        fix=_numbered(
            [
                todo,
                "For scripts, containers and cron jobs, set MAILWIZ_PASSWORD in the "
                "environment instead.",
            ]
        ),
        field="password",
    )


def _dns(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    host, _ = _target(s)
    steps = [f'Check the spelling of the server name. You typed: "{host}".']
    if "://" in host or "@" in host or " " in host or "/" in host:
        steps.append(
            "Type only the server name, without a scheme, an @ or a path "
            "(for example smtp.example.com)."
        )
    if p is not None and _is_catalogue(s, p) and p.host and p.host.lower() != host.lower():
        steps.append(f"{p.name}'s server is {p.host}.")
    steps.append(
        "If the spelling is right, check that this computer can look up names at all "
        f"(for example: getent hosts {host or 'example.com'}); if nothing resolves, the "
        "network or its DNS server is down."
    )
    what = "relay" if _is_http(s) else "mail server"
    return Diagnosis(
        title=f'The server name "{host}" was not found.',
        cause=(
            f'This computer asked DNS for the address of "{host}" and got no answer. The name '
            f"is misspelled, does not exist, or this computer cannot reach a DNS server. The "
            f"{what} was never contacted, so nothing was sent."
        ),
        fix=_numbered(steps),
        field=_host_field(s),
    )


def _refused(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    host, port = _target(s)
    if not _is_http(s) and f.stage in ("greeting", "ehlo"):
        if f.stage == "greeting" and s.smtp.security != "tls" and port == 465:
            return _mode_mismatch_implicit(f, s, p)
        detail = f' ("{f.detail}")' if f.detail else ""
        return Diagnosis(
            title=f"The server on port {port} hung up or did not speak SMTP.",
            cause=(
                f"The connection to {host} port {port} opened, but during the {f.stage} step "
                f"the server closed it or answered something that is not mail "
                f"(SMTP){detail}.{_quote(f.reply)} The port may belong to another service, "
                "the server may refuse connections from this computer's address, or a "
                "firewall may cut the connection. Nothing was sent."
            ),
            fix=_numbered(
                [
                    f"Check the port and security pair: {_usual_ports(s, p)}",
                    "If the port expects encryption from the first byte (usually 465), set "
                    "security to TLS.",
                    "Test again in a few minutes: some servers turn away addresses that "
                    "connect too often.",
                ]
            ),
            field="smtp.port",
        )
    unreachable = "unreachable" in f.detail.lower()
    if _is_http(s):
        field = "http.url"
        steps = [
            f"Check the port in the relay URL (the request went to port {port}).",
            "Check that the relay service is running on that computer.",
        ]
    else:
        field = "smtp.port"
        steps = [
            f"Check the port: you chose {port}. {_usual_ports(s, p)}",
            f'Check the server name "{host}": it may be the wrong computer.',
        ]
    if unreachable:
        steps.append(
            "Check this computer's network connection; if the server has an IPv6 address, "
            "this network may lack working IPv6."
        )
        return Diagnosis(
            title=f"The network cannot reach {host}.",
            cause=(
                f"This computer has no route to {host} (port {port}): the network is down, or "
                "a firewall rejects the connection. Nothing was sent."
            ),
            fix=_numbered(steps),
            field=field,
        )
    steps.append(
        "A firewall set to reject connections can look like this too: check that outgoing "
        f"connections to port {port} are allowed."
    )
    return Diagnosis(
        title=f"{host} refused the connection on port {port}.",
        cause=(
            f"The computer at {host} answered, but nothing accepts connections on port {port}: "
            "the port is wrong, or the service is not running there. Nothing was sent."
        ),
        fix=_numbered(steps),
        field=field,
    )


def _timeout(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    host, port = _target(s)
    limit = s.http.timeout if _is_http(s) else s.smtp.timeout
    waited = _seconds(limit)
    stage = f.stage
    if _is_http(s):
        if stage in ("resolve", "connect", "tls", ""):
            return Diagnosis(
                title=f"No answer from the relay within {waited}.",
                cause=(
                    f"The connection to {host} port {port} got no answer at all. Usually a "
                    "firewall between this computer and the relay silently drops the traffic, "
                    "or the relay is down. Nothing was sent."
                ),
                fix=_numbered(
                    [
                        "Check the relay URL, including its port.",
                        f"Check that this computer may connect out to {host} port {port} "
                        "(firewall, proxy-only network).",
                        f"If the network is just slow, raise the timeout (now {waited}).",
                    ]
                ),
                field="http.url",
            )
        return Diagnosis(
            title=f"The relay did not answer within {waited}.",
            cause=(
                f"The relay accepted the connection but did not finish answering during the "
                f"{stage} step. The relay may be overloaded, or the message (with its "
                "attachments) is slow to upload on this network. It is not known whether the "
                "message was sent."
            ),
            fix=_numbered(
                [
                    "Wait a few minutes and test again.",
                    f"If the network is slow or the attachments are large, raise the timeout "
                    f"(now {waited}).",
                ]
            ),
            field="",
        )
    if stage in ("resolve", "connect", ""):
        steps = []
        if port == 25:
            steps.append(
                "Use port 587 (security: STARTTLS) or 465 (security: TLS) instead of 25: many "
                "cloud and hosting providers (AWS, Google Cloud, Azure, DigitalOcean and others) "
                "and home internet providers block outgoing port 25."
            )
        else:
            steps.append(
                f"Try the other submission port: {_usual_ports(s, p)} Some networks and "
                "hosting providers block one but not the other."
            )
        steps += [
            f"Check the firewall on this computer and on your network: outgoing connections to "
            f"{host} port {port} must be allowed.",
            "If this is a cloud server, your hosting provider may block outgoing mail ports: "
            "check its documentation or ask it to lift the block, or use the HTTP relay.",
            f"If the network is just slow, raise the timeout (now {waited}).",
        ]
        return Diagnosis(
            title=f"No answer from {host} port {port} within {waited}.",
            cause=(
                f"The connection to {host} port {port} got no answer at all. This usually means "
                "something between this computer and the server silently drops the traffic: a "
                "firewall, or a network or hosting provider that blocks outgoing mail ports. "
                "Nothing was sent."
            ),
            fix=_numbered(steps),
            field="smtp.port",
        )
    if stage in ("greeting", "tls") and s.smtp.security != "tls" and port == 465:
        return _mode_mismatch_implicit(f, s, p, waited=waited)
    if stage == "greeting":
        return Diagnosis(
            title=f"The server did not greet within {waited}.",
            cause=(
                f"The connection to {host} port {port} opened, but the server did not send its "
                "greeting. Either the port expects encryption from the first byte (then "
                "security must be TLS), or the server is overloaded or very slow. Nothing was "
                "sent."
            ),
            fix=_numbered(
                [
                    f"If {port} is an encrypted port (usually 465), set security to TLS.",
                    f"Otherwise wait a few minutes and test again, or raise the timeout (now "
                    f"{waited}).",
                ]
            ),
            field="smtp.security",
        )
    sent = (
        "It is not known whether the message was sent."
        if stage in ("data", "quit")
        else "The message was not sent."
    )
    return Diagnosis(
        title=f"The server stopped answering during the {stage} step.",
        cause=(
            f"The whole test may take {waited}; the server at {host} stopped answering during "
            f"the {stage} step and the time ran out. Servers do this when overloaded, when a "
            f"filter holds the connection, or when the network is very slow. {sent}"
        ),
        fix=_numbered(
            [
                "Wait a few minutes and test again.",
                f"If the network is slow or the message is large, raise the timeout (now "
                f"{waited}).",
            ]
        ),
        field="",
    )


def _mode_mismatch_implicit(
    f: Failure, s: Settings, p: Provider | None, *, waited: str = ""
) -> Diagnosis:
    """Plain text spoken to a port that expects TLS from the first byte (465)."""
    port = s.smtp.port
    extra = f" and waited {waited} for a greeting that never came" if waited else ""
    return Diagnosis(
        title=f"Port {port} expects TLS from the first byte.",
        cause=(
            f"mailwiz connected with security {_mode_name(s.smtp.security)}{extra}. Port {port} "
            "is an implicit-TLS port: the server waits for encryption to start before it says "
            "anything, so the two sides waited for each other. Nothing was sent."
        ),
        fix=_numbered(
            [
                f"Set security to TLS and keep port {port}, or",
                "keep STARTTLS and use port 587." if port != 587 else "use port 465 with TLS.",
            ]
        ),
        field="smtp.security",
    )


def _tls(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    host, port = _target(s)
    detail = f' The error was: "{f.detail}".' if f.detail else ""
    if _is_http(s):
        return Diagnosis(
            title="The encrypted connection to the relay failed.",
            cause=(
                f"mailwiz reached {host} port {port} but could not set up HTTPS with it. The "
                "port may serve plain HTTP, or the relay's encryption settings are too old for "
                f"this computer.{detail} Nothing was sent."
            ),
            fix=_numbered(
                [
                    "Check the relay URL: https:// with the relay's HTTPS port.",
                    "If the relay is yours, check its TLS configuration (TLS 1.2 or newer).",
                ]
            ),
            field="http.url",
        )
    security = s.smtp.security
    if security == "tls" and port != 465 and f.stage in ("tls", "greeting", "connect"):
        return Diagnosis(
            title=f"Port {port} does not speak TLS from the first byte.",
            cause=(
                f"mailwiz started encryption at once (security TLS), but the server on port "
                f"{port} answered in plain text, which is how STARTTLS ports (587 and 25) "
                f"work: encryption is switched on later, after the greeting.{detail} Nothing "
                "was sent."
            ),
            fix=_numbered(
                [
                    f"Set security to STARTTLS and keep port {port}, or",
                    "keep security TLS and use port 465.",
                ]
            ),
            field="smtp.security",
        )
    if security != "tls" and (port == 465 or f.stage == "greeting"):
        return _mode_mismatch_implicit(f, s, p)
    if f.stage == "starttls":
        cause = (
            f"The server agreed to switch to encryption (STARTTLS), but the encrypted "
            f"connection could not be set up.{detail} Its TLS may be too old for this "
            "computer, or something on the network interferes with the connection."
        )
    else:
        cause = (
            f"The encrypted connection to {host} port {port} could not be set up.{detail} The "
            "server's TLS may be too old for this computer, or something on the network "
            "interferes with the connection."
        )
    return Diagnosis(
        title="The encrypted connection failed.",
        cause=cause + " Nothing was sent.",
        fix=_numbered(
            [
                f"Check the port and security pair: {_usual_ports(s, p)}",
                "Make sure no antivirus or firewall scans or rewrites mail connections.",
                "If this is your own server, enable TLS 1.2 or newer on it.",
            ]
        ),
        field="smtp.security",
    )


# --- certificates


def _parse_cert_time(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(ssl.cert_time_to_seconds(text))
    except ValueError:
        pass
    formats = (
        "%Y-%m-%d %H:%M:%S UTC",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d",
    )
    for fmt in formats:
        try:
            return float(calendar.timegm(time.strptime(text.replace("+00:00", "Z"), fmt)))
        except ValueError:
            continue
    return None


def _name_matches(host: str, name: str) -> bool:
    host = host.lower().rstrip(".")
    name = name.lower().rstrip(".")
    if name.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == name[2:]
    return host == name


def _cert_facts(c: CertificateInfo) -> str:
    facts = []
    if c.names:
        facts.append("issued for " + ", ".join(c.names[:8]) + (" ..." if len(c.names) > 8 else ""))
    if c.not_before or c.not_after:
        facts.append(f"valid from {c.not_before or '?'} to {c.not_after or '?'}")
    if c.issuer:
        facts.append(f"issued by {c.issuer}")
    return ("The certificate is " + "; ".join(facts) + ".") if facts else ""


def _certificate(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    host, _ = _target(s)
    if f.certificate is None and s.smtp.ca_file and not _is_http(s):
        return Diagnosis(
            title="The CA file cannot be used.",
            cause=(
                f'mailwiz could not read the CA file "{s.smtp.ca_file}": '
                f"{f.detail or 'unknown error'}. Nothing was sent."
            ),
            fix=_numbered(
                [
                    "Check the path, and that the file is readable by this user.",
                    "The file must hold PEM certificates (text starting with "
                    '"-----BEGIN CERTIFICATE-----").',
                ]
            ),
            field="smtp.ca_file",
        )
    cert = f.certificate or CertificateInfo()
    reason = (cert.reason or f.detail).lower()
    facts = _cert_facts(cert)
    facts = f" {facts}" if facts else ""
    now = time.time()
    not_after = _parse_cert_time(cert.not_after)
    not_before = _parse_cert_time(cert.not_before)
    http = _is_http(s)
    catalogue = _is_catalogue(s, p) and not http

    expired = "expired" in reason or (not_after is not None and not_after < now)
    not_yet = "not yet valid" in reason or (not_before is not None and not_before > now)
    mismatch = (
        "mismatch" in reason
        or "not valid for" in reason
        or (bool(cert.names) and not any(_name_matches(host, n) for n in cert.names))
    )
    if expired or not_yet:
        when = (
            f"expired on {cert.not_after}"
            if expired and cert.not_after
            else "has expired"
            if expired
            else f"is not valid before {cert.not_before}"
            if cert.not_before
            else "is not valid yet"
        )
        steps = [
            "Check this computer's date and time (run: date). A wrong clock makes good "
            "certificates look expired or not yet valid.",
        ]
        if catalogue:
            steps.append(
                f"{_provider_name(s, p)} keeps its certificates current, so if the clock is "
                "right, something on your network (antivirus, company proxy) is intercepting "
                "the connection with its own certificate: turn off its mail or HTTPS scanning."
            )
        else:
            steps.append(
                "If the clock is right, the server's administrator must renew the certificate."
            )
        return Diagnosis(
            title=f"The server's certificate {when}.",
            cause=(
                f"The server at {host} presented a certificate that {when}, so mailwiz cannot "
                f"be sure it is talking to the real server and stopped before sending your "
                f"password or the message.{facts}"
            ),
            fix=_numbered(steps),
            field="",
        )
    if mismatch:
        names = ", ".join(cert.names[:8]) if cert.names else ""
        steps = []
        if _is_ip(host):
            steps.append(
                "You typed an IP address; certificates are issued for names. Use the server's "
                "host name instead" + (f", for example {cert.names[0]}." if cert.names else ".")
            )
        elif catalogue and p is not None and p.host and p.host.lower() != host.lower():
            steps.append(f"Use {p.name}'s server name: {p.host}.")
        elif names:
            steps.append(
                f"If {names} is the same server (hosting providers often share one server "
                "name between many domains), use that name as the server name."
            )
        if _is_ip(host):
            pass
        elif catalogue:
            steps.append(
                "If the name is right, something on your network (antivirus, company proxy) "
                "is intercepting the connection: turn off its mail or HTTPS scanning."
            )
        else:
            steps.append(
                "If the name is right, the server's administrator must install a certificate "
                "that covers it."
            )
        return Diagnosis(
            title="The server's certificate is for another name.",
            cause=(
                f'mailwiz connected to "{host}", but the certificate the server presented does '
                f"not cover that name{': it covers ' + names if names else ''}. Either the "
                "name you typed differs from the server's own name, or the connection went to "
                f"a different server. mailwiz stopped before sending anything.{facts}"
            ),
            fix=_numbered(steps),
            field="http.url" if http else "smtp.host",
        )
    # untrusted: self-signed, private CA, or interception
    if catalogue:
        return Diagnosis(
            title="The server's certificate is not trusted.",
            cause=(
                f"The certificate presented for {host} is not signed by an authority this "
                f"computer trusts.{facts} {_provider_name(s, p)} always uses trusted "
                "certificates, so something between you and it (antivirus mail scanning, a "
                "company proxy or firewall) is probably intercepting the encrypted connection. "
                "mailwiz stopped before sending your password."
            ),
            fix=_numbered(
                [
                    "Turn off mail or HTTPS scanning in your antivirus, or ask your IT team "
                    "whether the network intercepts encrypted connections.",
                    "Make sure this computer's trusted certificates are up to date "
                    "(for example: the ca-certificates package).",
                    "Do not turn off certificate checks for this provider: your password "
                    "would be exposed to whoever intercepts the connection.",
                ]
            ),
            field="",
        )
    if http:
        return Diagnosis(
            title="The relay's certificate is not trusted.",
            cause=(
                f"The certificate presented by {host} is not signed by an authority this "
                f"computer trusts (it may be self-signed).{facts} mailwiz stopped before "
                "sending the message."
            ),
            fix=_numbered(
                [
                    "Give the relay a certificate from a public authority (Let's Encrypt is "
                    "free), or",
                    "run the relay on this computer and use an http://localhost/ URL.",
                ]
            ),
            field="http.url",
        )
    if s.smtp.ca_file:
        steps = [
            f'The CA file you gave ("{s.smtp.ca_file}") does not vouch for this certificate: '
            "check that it holds the certificate of the authority that signed the server's "
            "certificate" + (f" ({cert.issuer})." if cert.issuer else "."),
        ]
    else:
        steps = [
            "Best: if this is your own server with a self-signed certificate or a private "
            "certificate authority, save that authority's certificate (a PEM file) on this "
            'computer and enter its path in the "CA file" field.',
        ]
    if s.smtp.verify_certificate:
        steps.append(
            "Only for your own server, and only if you accept the risk: tick "
            '"Do not validate TLS certificate". Warning: then anyone on the network path can '
            "pretend to be your server and read your password and your mail."
        )
    steps.append("Or give the server a certificate from a public authority (Let's Encrypt).")
    return Diagnosis(
        title="The server's certificate is not trusted.",
        cause=(
            f"The certificate presented by {host} is not signed by an authority this computer "
            f"trusts: typical for a self-signed certificate on your own server, or for a "
            f"network device that intercepts encrypted connections.{facts} mailwiz stopped "
            "before sending your password."
        ),
        fix=_numbered(steps),
        field="smtp.ca_file",
    )


def _no_starttls(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    port = s.smtp.port
    if s.smtp.security == "none" and f.code is None:
        return Diagnosis(
            title="mailwiz will not send a password without encryption.",
            cause=(
                'Security is set to "none" but a username is filled in: signing in would '
                "send your password in clear text over the network, so mailwiz did not "
                "connect."
            ),
            fix=_numbered(
                [
                    "Set security to STARTTLS (port 587) or TLS (port 465), or",
                    "clear the username if this is a local relay that needs no sign-in.",
                ]
            ),
            field="smtp.security",
        )
    if f.code == 530 or (s.smtp.security == "none" and f.stage in ("mail", "rcpt")):
        return Diagnosis(
            title="The server requires encryption.",
            cause=(
                "The server refused to go on without an encrypted connection (STARTTLS)."
                f"{_quote(f.reply)} Security is set to "
                f'"{_mode_name(s.smtp.security)}".'
            ),
            fix=_numbered(["Set security to STARTTLS (port 587) or TLS (port 465)."]),
            field="smtp.security",
        )
    if f.code is not None:
        what = "The server answered the request to start encryption (STARTTLS) with an error."
    else:
        what = f"The server on port {port} did not offer encryption (STARTTLS)."
    steps = [
        "Try port 465 with security TLS: encryption starts with the first byte there, so "
        "nothing on the way can remove it.",
        "Turn off email scanning in your antivirus, and ask your network administrator whether "
        'a firewall "SMTP inspection" feature is on: both can hide STARTTLS.',
    ]
    if port == 25:
        steps.append(
            "Port 25 is meant for servers passing mail to each other; for sending with a "
            "password, use 587 (STARTTLS) or 465 (TLS)."
        )
    return Diagnosis(
        title="The server did not offer encryption, so the password was not sent.",
        cause=(
            f"{what}{_quote(f.reply)} Without encryption your password would travel in clear "
            "text, so mailwiz stopped before signing in. Mail servers normally offer STARTTLS; "
            "when it is missing, something between you and the server may be removing it "
            "(antivirus mail scanning, a firewall or a proxy), or the server is not set up for "
            "encryption on this port."
        ),
        fix=_numbered(steps),
        field="smtp.security" if port != 25 else "smtp.port",
    )


# --- authentication


def _auth(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    code = f.code
    enh = f.enhanced
    said = _quote(f.reply)
    reply_low = f.reply.lower()
    pid = _provider_id(s, p)
    gmail = _is_gmail(s, p)

    if gmail and (enh == "5.7.9" or "application-specific password required" in reply_low):
        return Diagnosis(
            title="Gmail needs an app password, not your normal password.",
            cause=(
                "Google refused the sign-in because this account only accepts app passwords "
                f"from programs like mailwiz (your normal Google password never works here).{said}"
            ),
            fix=_APP_PASSWORD_STEPS["gmail"],
            field="password",
        )
    if gmail and enh == "5.7.14":
        return Diagnosis(
            title="Google blocked the sign-in until you confirm it in a browser.",
            cause=(
                "Google saw a sign-in from a new place (this server) and wants you to confirm "
                f"it was you before it lets programs sign in.{said}"
            ),
            fix=_numbered(
                [
                    "Sign in to Gmail in a web browser and confirm any security alert "
                    '("Was this you?") at https://myaccount.google.com/notifications.',
                    "Use an app password, not your normal password: turn on 2-Step "
                    "Verification, then Google Account > Security > App passwords "
                    "(https://myaccount.google.com/apppasswords).",
                    "Test again after a few minutes.",
                ]
            ),
            field="password",
        )
    if _is_microsoft(s, p) and pid == "outlook" and enh in ("5.7.139", "5.7.3"):
        return Diagnosis(
            title="Outlook.com refused password sign-in.",
            cause=(
                "Microsoft refused the sign-in. Microsoft is retiring password sign-in for "
                "mail programs on Outlook.com, Hotmail and Live accounts, so even the right "
                f"password can be refused; a wrong password gives the same answer.{said}"
            ),
            fix=_numbered(
                [
                    "Check the username (your full address) and the password.",
                    "If two-step verification is on for the account, create an app password "
                    "(account.microsoft.com > Security > Advanced security options > App "
                    "passwords) and use it.",
                    "If it is still refused, Outlook.com no longer accepts passwords for this "
                    "account: send through another provider or the HTTP relay.",
                ]
            ),
            field="password",
        )
    if _is_microsoft(s, p) and enh in ("5.7.139", "5.7.3"):
        disabled = enh == "5.7.139"
        cause = (
            "Microsoft refused the sign-in because password sign-in for sending mail (called "
            '"SMTP AUTH" or "Authenticated SMTP") is turned off for your organisation or for '
            "this mailbox, or blocked by its security defaults."
            if disabled
            else "Microsoft refused the sign-in. With Microsoft 365 this usually means "
            'password sign-in for sending mail ("Authenticated SMTP") is turned off for this '
            "mailbox or the organisation; it can also mean a wrong password."
        )
        steps = [
            "Ask your Microsoft 365 administrator to turn on Authenticated SMTP for this "
            "mailbox: Microsoft 365 admin center > Users > Active users > (the user) > Mail > "
            'Manage email apps > tick "Authenticated SMTP".',
            "If it is off for the whole organisation, the administrator can turn it on in "
            "Exchange Online PowerShell: Set-TransportConfig -SmtpClientAuthenticationDisabled "
            "$false.",
            "If the organisation uses Security defaults (Microsoft Entra ID > Properties > "
            "Manage security defaults), they block password sign-in for SMTP; the "
            "administrator must decide whether to allow it.",
        ]
        if not disabled:
            steps.append("Also check the username (your full address) and the password.")
        steps.append(
            "If your organisation does not allow this at all, use another way to send, such as "
            "the HTTP relay."
        )
        return Diagnosis(
            title="Microsoft 365 has turned off password sign-in for sending mail."
            if disabled
            else "Microsoft refused the sign-in (SMTP sign-in may be turned off).",
            cause=cause + said,
            fix=_numbered(steps),
            field="" if disabled else "password",
        )
    if code == 530 and f.stage in ("mail", "rcpt"):
        return Diagnosis(
            title="The server needs you to sign in before sending.",
            cause=(
                "The server refused to accept mail without a sign-in: it does not pass on "
                f"mail for anyone who is not signed in.{said}"
            ),
            fix=_numbered(
                [
                    "Enter the username and password of the sending account.",
                    "Signing in needs encryption: set security to STARTTLS (port 587) or TLS "
                    "(port 465).",
                ]
            ),
            field="smtp.username",
        )
    if code == 530 or code == 538 or enh == "5.7.11":
        return Diagnosis(
            title="The server needs encryption before signing in.",
            cause=f"The server will only accept a sign-in over an encrypted connection.{said}",
            fix=_numbered(
                [
                    "Set security to STARTTLS (port 587) or TLS (port 465).",
                ]
            ),
            field="smtp.security",
        )
    if code is None and f.stage == "auth":
        return Diagnosis(
            title="The server does not offer a way to sign in.",
            cause=(
                f"On port {s.smtp.port} the server does not offer sign-in (AUTH) with a method "
                "mailwiz supports (PLAIN or LOGIN). Servers often offer sign-in only on the "
                "submission ports 587 and 465, not on port 25, and only after encryption."
                + (f' ("{f.detail}")' if f.detail else "")
                + said
            ),
            fix=_numbered(
                [
                    f"Use the submission port: {_usual_ports(s, p)}",
                    "If this is a local relay that accepts mail without a password, clear the "
                    "username and use security none.",
                ]
            ),
            field="smtp.port",
        )
    if code == 504 or code == 534:
        return Diagnosis(
            title="The server refused the sign-in method.",
            cause=(
                "The server does not accept the sign-in method mailwiz used (PLAIN or LOGIN), "
                f"or wants a stronger one.{said}"
            ),
            fix=_numbered(
                [
                    "Check that security is TLS or STARTTLS: some servers accept these "
                    "methods only after encryption.",
                    "If the provider requires app passwords, create one and use it.",
                ]
            ),
            field="smtp.security",
        )
    # 535 5.7.8 and every other refusal of the credentials
    app = p is not None and p.app_password
    key = pid if pid in _APP_PASSWORD_STEPS else ("gmail" if gmail else "")
    checks = [
        "Check the username: usually it is your full email address"
        + (f' (you typed "{s.smtp.username}").' if s.smtp.username else "."),
        "Type the password again (Show password lets you check it). A password that was "
        "changed, or an app password that was revoked, no longer works.",
        "Do not test many times in a row: repeated failures can lock the account for a while.",
    ]
    if key or app:
        name = "Gmail" if key == "gmail" else _provider_name(s, p)
        cause = (
            f"The server refused the username or password. {name} refuses your normal "
            f"password here: it needs an app password made for this program.{said}"
        )
        if key:
            guidance = _APP_PASSWORD_STEPS[key]
        else:
            guidance = (
                f"{name} needs an app password for programs like this one. Follow the "
                f"app-password guidance shown when you picked {name}, then paste the app "
                "password into the Password field."
            )
        fix = guidance + "\nIf you already use an app password:\n" + _numbered(checks)
    else:
        cause = (
            "The server refused the username or password: one of them is wrong, or the "
            "provider wants an app password (a separate password made for one program) "
            f"instead of your normal one.{said}"
        )
        fix = _numbered(
            [
                *checks[:2],
                "If your provider offers app passwords (look in its security settings), "
                "create one for mailwiz and use it.",
                checks[2],
            ]
        )
    return Diagnosis(
        title="The server refused the username or password.",
        cause=cause,
        fix=fix,
        field="password",
    )


# --- envelope


def _sender(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    said = _quote(f.reply)
    sender = s.from_address or s.sender.address
    if f.code == 530 or (f.enhanced.startswith("5.7.0") and not s.smtp.username):
        return Diagnosis(
            title="The server needs you to sign in before sending.",
            cause=(
                "The server refused to accept mail without a sign-in: it is not an open "
                f"relay for this computer.{said}"
            ),
            fix=_numbered(
                [
                    "Enter the username and password of the sending account.",
                    "Signing in needs encryption: set security to STARTTLS (port 587) or TLS "
                    "(port 465).",
                ]
            ),
            field="smtp.username",
        )
    user = s.smtp.username
    steps = []
    if user and "@" in user and user.lower() != sender.lower():
        steps.append(f'Set the sender address to the account\'s own address ("{user}"), or')
    else:
        steps.append("Set the sender address to the address of the account you sign in with, or")
    steps.append(
        f'add "{sender}" as an allowed alias ("send as" address) in the settings of '
        f"{_provider_name(s, p)}, then test again."
    )
    return Diagnosis(
        title=f'The server refused the sender address "{sender}".',
        cause=(
            "Mail servers only let you send From the address of the account you signed in "
            "with, or from an alias the provider has allowed for that account. The server "
            f'would not accept "{sender}" as the sender.{said}'
        ),
        fix=_numbered(steps),
        field="sender.address",
    )


def _recipient(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    said = _quote(f.reply)
    copy = s.sender.copy_to.strip()
    text = (f.reply + " " + f.detail).lower()
    is_copy = bool(copy) and copy.lower() in text
    field = "sender.copy_to" if is_copy else "recipient"
    which = f'the copy address "{copy}"' if is_copy else "the recipient address"
    enh = f.enhanced
    if enh.startswith("5.7.1") or ("relay" in text and f.code in (550, 551, 554)):
        return Diagnosis(
            title="The server will not pass the message on to that address.",
            cause=(
                f"The server refused {which} because it does not relay mail for you: you are "
                "not signed in, or this account may not send to outside addresses, or a policy "
                f"blocked it.{said}"
            ),
            fix=_numbered(
                [
                    "Make sure you sign in: enter the username and password, with security "
                    "STARTTLS or TLS.",
                    "Check the server name: it must be your provider's server for sending "
                    "(submission), not the receiving server (MX) of another domain.",
                ]
            ),
            field="smtp.username" if not s.smtp.username else field,
        )
    if enh == "5.2.2" or f.code == 452 or f.code == 552:
        return Diagnosis(
            title="The recipient's mailbox is full.",
            cause=f"The server refused {which} because that mailbox is full.{said}",
            fix=_numbered(["Send to another address, or ask the recipient to make room."]),
            field=field,
        )
    return Diagnosis(
        title=f"The server refused {which}.",
        cause=(
            f"The server would not accept {which}: it is probably misspelled or does not "
            f"exist, or the server does not accept mail for it.{said} Your settings for the "
            "server, the username and the password work; only this address was refused."
        ),
        fix=_numbered(
            [
                "Check the address for typing mistakes.",
                "Test with another address you know works, such as your own.",
            ]
        ),
        field=field,
    )


def _message(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    said = _quote(f.reply)
    text = f.reply.lower()
    if "sendasdenied" in text:
        return Diagnosis(
            title=f'The server refused to send as "{s.from_address}".',
            cause=(
                "The account you signed in with may not send From this address."
                f"{said} The message was not sent."
            ),
            fix=_numbered(
                [
                    "Set the sender address to the account's own address, or",
                    'ask the administrator to grant this account "Send As" permission for '
                    "that address.",
                ]
            ),
            field="sender.address",
        )
    if f.code is None and f.stage == "mail":
        return Diagnosis(
            title="The message is too large for the server.",
            cause=(
                "The server announces a size limit, and this message is larger, so mailwiz "
                f"did not send it ({f.detail})."
            ),
            fix=_numbered(
                [
                    "Send smaller attachments, or fewer at once: attachments grow by about a "
                    "third when sent."
                ]
            ),
            field="",
        )
    if f.enhanced == "5.2.2":
        return _recipient(f, s, p)
    if f.code is None:
        return Diagnosis(
            title="The connection dropped while sending the message; it was not sent.",
            cause=(
                "The server closed the connection in the middle of the message, so it was not "
                "accepted. This happens when the message is larger than the server allows, "
                "when a filter (antivirus, spam filter) rejected it, or when the network "
                "connection broke."
            ),
            fix=_numbered(
                [
                    "Test again: a broken network connection is often passing.",
                    "If it keeps happening with documents, try a smaller attachment: many "
                    "servers limit messages to 10-25 MB, and attachments grow by about a third "
                    "when sent.",
                    "Check that no antivirus or firewall scans outgoing mail.",
                ]
            ),
            field="",
        )
    if f.code == 552 or f.enhanced in ("5.3.4", "5.2.3"):
        return Diagnosis(
            title="The message is too large for the server.",
            cause=f"The server refused the message because of its size.{said}",
            fix=_numbered(
                [
                    "Send smaller attachments, or fewer at once: attachments grow by about a "
                    "third when sent."
                ]
            ),
            field="",
        )
    return Diagnosis(
        title="The server refused the message.",
        cause=(
            "The server accepted the sender and the recipient but refused the message itself, "
            f"usually because a spam or content filter or a policy rejected it.{said} The "
            "message was not sent."
        ),
        fix=_numbered(
            [
                "Read the server's words above: they usually say which rule was broken.",
                "Check that the sender address belongs to the account you sign in with.",
                "If it names spam or policy, ask your provider what it blocked.",
            ]
        ),
        field="",
    )


def _temporary(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    said = _quote(f.reply)
    code = f.code
    if f.stage == "auth":
        return Diagnosis(
            title="The server could not check the sign-in right now.",
            cause=(
                f"The server answered with a temporary error ({code}) while checking the "
                "sign-in: it may be busy, or it limits sign-in attempts after several "
                f"failures.{said} This does not say your password is wrong."
            ),
            fix=_numbered(
                [
                    "Wait 10 to 15 minutes before testing again: repeated attempts can extend "
                    "a lock on the account.",
                    "If it persists, check the provider's status page or sign in on its "
                    "website to see whether the account is locked.",
                ]
            ),
            field="",
        )
    if code == 421:
        cause = (
            "The server said it is closing the connection for now (code 421): it is busy, "
            "restarting, or limits connections from this computer's address."
        )
    else:
        cause = (
            f"The server answered with a temporary error ({code})"
            + (f" during the {f.stage} step" if f.stage else "")
            + ": it is busy, applies a sending limit, or delays mail from new senders "
            '("greylisting").'
        )
    return Diagnosis(
        title="The server said: try again later.",
        cause=(
            f"{cause}{said} A reply starting with 4 means a temporary problem on the server's "
            "side; nothing is necessarily wrong with your settings. The message was not sent."
        ),
        fix=_numbered(
            [
                "Wait a few minutes and test again.",
                "If it keeps happening, you may have reached the provider's sending limit for "
                "the day, or the provider has a problem: check its status page.",
            ]
        ),
        field="",
    )


def _http(f: Failure, s: Settings, p: Provider | None) -> Diagnosis:
    code = f.code
    said = _quote(f.reply, "The relay")
    url = s.http.url.strip()
    if code is None and f.stage in ("resolve", ""):
        return Diagnosis(
            title="The relay URL cannot be used.",
            cause=(
                f'mailwiz will not send to "{url}".{said} The URL must start with https://, '
                "or with http:// only for a relay on this same computer (localhost)."
            ),
            fix=_numbered(["Correct the relay URL, for example https://relay.example.com/send."]),
            field="http.url",
        )
    if code is None:
        return Diagnosis(
            title="The relay answered something that is not a valid web reply.",
            cause=(
                f"mailwiz reached {url} but the answer was not valid HTTP, or the connection "
                f"closed without an answer.{said} The URL may point at something that is not "
                "the relay (for example http:// on an https port). It is not known whether the "
                "message was sent."
            ),
            fix=_numbered(["Check the relay URL, including its scheme and port."]),
            field="http.url",
        )
    if 300 <= code < 400:
        after = f.reply.partition(REDIRECT_MARK)[2].split()
        location = after[0] if after else ""
        if location.lower().startswith("http://"):
            return Diagnosis(
                title="The relay redirected to an unencrypted address; mailwiz refused.",
                cause=(
                    f"The relay at {url} answered {code} and sent mailwiz on to {location}, "
                    "which is plain http: the message would travel unencrypted, so mailwiz "
                    "did not follow. Nothing was sent."
                ),
                fix=_numbered(
                    [
                        "Check the relay URL: it should be the relay's https:// address.",
                        "If the relay is yours, make it accept the message over https without "
                        "redirecting.",
                    ]
                ),
                field="http.url",
            )
        return Diagnosis(
            title="The relay's address has moved.",
            cause=(
                f"The relay at {url} answered {code}, pointing to "
                f"{location or 'another address'}. mailwiz sends a message only to the "
                "address you entered, so it did not follow. Nothing was sent."
            ),
            fix=_numbered(
                [
                    "If you trust the new address, enter it as the relay URL"
                    + (f": {location}" if location else "")
                    + ", then test again."
                ]
            ),
            field="http.url",
        )
    if code in (401, 403):
        return Diagnosis(
            title=f"The relay refused the message ({code}: not allowed).",
            cause=(
                f"The relay at {url} says this request is not allowed.{said} It may need a "
                "key or an account (some relays put a key in the URL), or it accepts mail only "
                "from certain addresses or networks."
            ),
            fix=_numbered(
                [
                    "Check the relay URL exactly as the relay's operator gave it, including "
                    "any key in it.",
                    "Ask the relay's operator whether this server or the reply-to address "
                    "must be allowed first.",
                ]
            ),
            field="http.url",
        )
    if code in (404, 405, 410):
        return Diagnosis(
            title=f"No relay at this URL ({code}).",
            cause=(f"The web server at {url} answered, but there is no relay at that path.{said}"),
            fix=_numbered(["Check the path part of the relay URL (the part after the name)."]),
            field="http.url",
        )
    if code == 413:
        return Diagnosis(
            title="The message is too large for the relay (413).",
            cause=f"The relay refused the message because of its size.{said}",
            fix=_numbered(["Send smaller or fewer attachments."]),
            field="",
        )
    if code == 429 or code >= 500:
        what = (
            "The relay limits how many messages it takes and asks you to slow down."
            if code == 429
            else "The relay has a problem of its own."
        )
        return Diagnosis(
            title=f"The relay could not take the message right now ({code}).",
            cause=f"{what}{said} Your settings are probably fine. The message was not sent.",
            fix=_numbered(
                [
                    "Wait a few minutes and test again.",
                    "If it persists, tell the relay's operator and include the words above.",
                ]
            ),
            field="",
        )
    return Diagnosis(
        title=f"The relay refused the message ({code}).",
        cause=(
            f"The relay answered {code}, which means it did not accept the message.{said} "
            "Its words usually say which field it did not like (for example the reply-to or "
            "the recipient address)."
        ),
        fix=_numbered(
            [
                "Read the relay's answer above and correct that field.",
                "Check the reply-to address and the recipient address.",
            ]
        ),
        field="",
    )


_HANDLERS = {
    FailureKind.INTERNAL: _internal,
    FailureKind.NO_PASSWORD: _no_password,
    FailureKind.DNS: _dns,
    FailureKind.REFUSED: _refused,
    FailureKind.TIMEOUT: _timeout,
    FailureKind.TLS: _tls,
    FailureKind.CERTIFICATE: _certificate,
    FailureKind.NO_STARTTLS: _no_starttls,
    FailureKind.AUTH: _auth,
    FailureKind.SENDER: _sender,
    FailureKind.RECIPIENT: _recipient,
    FailureKind.MESSAGE: _message,
    FailureKind.TEMPORARY: _temporary,
    FailureKind.HTTP: _http,
}
