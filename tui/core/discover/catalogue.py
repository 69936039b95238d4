"""Layer 1: mailwiz's own provider list knows the domain (offline, no look-up)."""

from __future__ import annotations

from tui.core.discover.model import (
    Outcome,
    Security,
    Suggestion,
    Target,
)
from tui.core.providers import (
    Provider,
    provider_for_domain,
)
from tui.core.texts import Texts

say = Texts(__package__ or "tui.core.discover")  # texts.toml beside this file

# -- layer 1: the catalogue -------------------------------------------------------------


def usable(provider: Provider | None) -> Provider | None:
    """The provider, if it names an encrypted SMTP server we can suggest."""
    if provider is None or provider.protocol != "smtp" or not provider.host:
        return None
    if provider.security == "none":
        return None
    return provider


def catalogue_layer(target: Target) -> Outcome:
    provider = usable(provider_for_domain(target.domain))
    if provider is None:
        return Outcome(False, say("catalogue.not-listed", domain=target.domain))
    suggestion = Suggestion(
        host=provider.host,
        port=provider.port,
        security=security_of(provider.security),
        provider_id=provider.id,
        username_hint=target.address,
        source="catalogue",
        why=say("catalogue.why", domain=target.domain, provider=provider.name),
        needs_confirmation=False,
    )
    return Outcome(True, f"{target.domain} -> {provider.name}", (suggestion,))


def security_of(value: str) -> Security:
    if value == "tls":
        return "tls"
    if value == "starttls":
        return "starttls"
    raise ValueError(f"not an encrypted setting: {value!r}")  # callers filter "none" out
