"""What carries over when the user switches provider or protocol in the wizard.

No secret does: the password, the API key and any sign-in belong to the provider (and the
account) they were given for, and switching clears them. A username is kept only where it is
the same mailbox and the new provider takes it: an address whose domain the new provider
serves, or an address at a domain of the user's own (a company domain may be hosted by
Microsoft 365, Google Workspace or a server of its own). Gmail's address is not Yahoo's
username; Amazon SES's `AKIA...` key ID is nobody else's.
"""

from __future__ import annotations

from tui.core.addresses import looks_like_address
from tui.core.provider_model import Provider
from tui.core.settings import Settings


def username_carries(username: str, provider: Provider) -> bool:
    """Whether a username typed for another provider stays in `provider`'s form."""
    from tui.core.providers import provider_for_address

    username = username.strip()
    if provider.protocol != "smtp" or provider.username or not looks_like_address(username):
        return False
    owner = provider_for_address(username)
    return owner is None or owner.id == provider.id


def secret_slot(settings: Settings) -> tuple[str, str]:
    """The place a typed secret belongs to: the HTTP API it was given for (the relay's key is
    the relay's alone), or the SMTP provider. The wizard keeps one secret per place."""
    if settings.protocol == "http":
        return ("http", settings.http.api)
    return ("smtp", settings.provider)
