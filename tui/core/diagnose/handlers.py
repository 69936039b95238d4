"""Turn a failed send into words a non-expert can act on: what happened, what it means, what to do.

`diagnose()` reads the failure's data, never its text: first its `reason` (a table of small
handlers), then the provider replies table of texts.toml (codes and known words of Gmail,
Microsoft...), then its `kind` (a second table). The handlers pick a diagnosis and fill in
values; every sentence they show lives in texts.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.core.diagnose import certificates, envelope, network, signin, web
from tui.core.diagnose.context import Ctx, Diagnosis
from tui.core.diagnose.texts import Audience, expand, lookup
from tui.core.events import Failure, FailureKind, Reason
from tui.core.keys import Key
from tui.core.providers import Provider, find_provider, provider_for_host
from tui.core.settings import Settings

__all__ = [
    "Audience",
    "Diagnosis",
    "diagnose",
    "explain_not_kept",
    "explain_sign_in",
    "explain_token_error",
    "general_steps",
]

Handler = Callable[[Ctx], Diagnosis]


def _auth(c: Ctx) -> Diagnosis:
    return web.api_key(c) if c.http else signin.auth(c)


def _temporary(c: Ctx) -> Diagnosis:
    return web.temporary(c) or envelope.temporary(c)


def _setting(c: Ctx) -> Diagnosis:
    """Refused before connecting: the kinds with their own words keep them (no password, a
    login without encryption, a CA file); any other value is "this setting cannot be used"."""
    kind = c.failure.kind
    if kind is FailureKind.NO_PASSWORD or (
        kind in (FailureKind.NO_STARTTLS, FailureKind.CERTIFICATE) and c.failure.code is None
    ):
        return BY_KIND[kind](c)
    return envelope.setting(c)


def _implicit_tls(c: Ctx) -> Diagnosis:
    return network.implicit_tls(c, waited=c.failure.kind is FailureKind.TIMEOUT)


BY_REASON: dict[Reason, Handler] = {
    Reason.SETTINGS: _setting,
    Reason.IMPLICIT_TLS_PORT: _implicit_tls,
    Reason.PLAIN_TEXT_PORT: network.plain_text_port,
    Reason.STARTTLS_INJECTION: network.starttls_injection,
    Reason.AUTH_NOT_OFFERED: signin.auth_not_offered,
    Reason.TOKEN_REJECTED: signin.token_rejected,
    Reason.SMTPUTF8_NOT_OFFERED: envelope.smtputf8,
    Reason.STARTTLS_CLOSED: network.starttls_closed,
    Reason.SIZE_LIMIT: envelope.size_limit,
    Reason.TOKEN_REFUSED: signin.token_refused,
    Reason.TOKEN_UNAVAILABLE: signin.token_unavailable,
    Reason.API_KEY_REFUSED: web.api_key,
}

BY_KIND: dict[FailureKind, Handler] = {
    FailureKind.INTERNAL: envelope.internal,
    FailureKind.NO_PASSWORD: signin.no_password,
    FailureKind.DNS: network.dns,
    FailureKind.REFUSED: network.refused,
    FailureKind.TIMEOUT: network.timeout,
    FailureKind.TLS: network.tls,
    FailureKind.CERTIFICATE: certificates.certificate,
    FailureKind.NO_STARTTLS: signin.no_starttls,
    FailureKind.AUTH: _auth,
    FailureKind.SENDER: envelope.sender,
    FailureKind.RECIPIENT: envelope.recipient,
    FailureKind.MESSAGE: envelope.message,
    FailureKind.TEMPORARY: _temporary,
    FailureKind.HTTP: web.http,
}


def provider_of(settings: Settings) -> Provider | None:
    """The catalogue entry the settings name; for "Other SMTP server", the one whose server
    they use (smtp.gmail.com is Gmail whatever the picker said)."""
    provider = find_provider(settings.provider)
    if settings.protocol == "smtp" and (provider is None or provider.id == "custom"):
        provider = provider_for_host(settings.smtp.host) or provider
    return provider


def diagnose(
    failure: Failure,
    settings: Settings,
    provider: Provider | None = None,
    *,
    audience: Audience = Audience.WIZARD,
    password: str | None = None,
    config_path: Path | None = None,
) -> Diagnosis:
    """Explain `failure` for a non-expert: cause, fix, and the setting to look at.

    `provider` defaults to the one the settings name (see `provider_of`). `audience` says who
    reads it: the wizard (its controls' names) or the command line (settings keys).
    `password`, when given, is only measured (does it look like an app password?).
    `config_path`, the settings' file, is named in the commands it suggests (command_for).
    """
    if provider is None or provider.id == "custom":
        provider = provider_of(settings) or provider
    c = Ctx(failure, settings, provider, audience, password, config_path=config_path)
    by_reason = BY_REASON.get(failure.reason) if failure.reason is not None else None
    if by_reason is not None:
        return by_reason(c)
    return signin.known_reply(c) or BY_KIND.get(failure.kind, envelope.internal)(c)


def explain_token_error(
    error: str,
    description: str,
    settings: Settings,
    *,
    audience: Audience = Audience.CLI,
    config_path: Path | None = None,
) -> Diagnosis:
    """A token endpoint's answer ("invalid_grant", "AADSTS700082: ...") explained, for
    `mailwiz login` and for a send whose token refresh was refused."""
    failure = Failure(FailureKind.AUTH, "token", reason=Reason.TOKEN_REFUSED)
    c = Ctx(failure, settings, provider_of(settings), audience, config_path=config_path)
    return signin.token_diagnosis(c, error, description)


def explain_sign_in(
    error: str,
    description: str,
    settings: Settings,
    *,
    temporary: bool = False,
    audience: Audience = Audience.CLI,
    values: dict[str, object] | None = None,
    config_path: Path | None = None,
) -> Diagnosis:
    """A sign-in that failed (`mailwiz login`, the wizard's sign-in screen): the sign-in
    server's refusal (the [[token]] table), mailwiz's own outcomes (no address came back, a
    wrong one was pasted, another account was not confirmed), or a server out of reach."""
    failure = Failure(FailureKind.AUTH, "login", reason=Reason.TOKEN_REFUSED)
    c = Ctx(failure, settings, provider_of(settings), audience, config_path=config_path)
    c.values.update(values or {})
    return signin.sign_in_diagnosis(c, error, description, temporary=temporary)


def explain_not_kept(
    problem: str, settings: Settings, *, audience: Audience, config_path: Path | None = None
) -> Diagnosis:
    """Signed in, but the place the settings name could not keep it (`problem`, its words)."""
    failure = Failure(FailureKind.NO_PASSWORD, "login")
    c = Ctx(failure, settings, provider_of(settings), audience, config_path=config_path)
    return c.make("signin-not-kept", Key.AUTH, problem=c.redact(problem))


def general_steps(
    settings: Settings, audience: Audience = Audience.WIZARD, config_path: Path | None = None
) -> tuple[str, ...]:
    """The troubleshooting steps shown after the diagnosis: the relay's for protocol http."""
    which = "http" if settings.protocol == "http" else "smtp"
    return tuple(expand(lookup("general", which), audience, {}, config_path=config_path))
