"""What carries over when the user switches provider or protocol in the wizard, and the
settings a provider choice opens the fields with.

No secret does: the password, the API key and any sign-in belong to the provider (and the
account) they were given for, and switching clears them. A username is kept only where it is
the same mailbox and the new provider takes it: an address whose domain the new provider
serves, or an address at a domain of the user's own (a company domain may be hosted by
Microsoft 365, Google Workspace or a server of its own). Gmail's address is not Yahoo's
username; Amazon SES's `AKIA...` key ID is nobody else's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from tui.core.addresses import looks_like_address
from tui.core.provider_model import CUSTOM_ID, PROVIDER_APIS, Provider
from tui.core.settings import OAuthSettings, Settings
from tui.core.sign_in_ways import oauth_family, recommended_way

if TYPE_CHECKING:
    from tui.core.discover import Suggestion


class Choice(NamedTuple):  # not a dataclass: this module loads with the first screen
    """What the user picked: a provider, and the address typed (or "")."""

    provider: Provider
    address: str = ""

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].strip().lower()

    @property
    def suggested_host(self) -> str:
        """For an unknown domain: the usual guess, smtp.<domain>, when discovery finds none."""
        return f"smtp.{self.domain}" if self.domain else ""


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


def provider_or_custom(provider_id: str) -> Provider:
    """The catalogue's provider `provider_id`, or "Other SMTP server" for one it does not know."""
    from tui.core.providers import get_provider

    try:
        return get_provider(provider_id)
    except KeyError:
        return get_provider(CUSTOM_ID)


def settings_for_choice(
    choice: Choice, base: Settings | None, *, keep_server: bool = False
) -> Settings:
    """The settings to open the fields with after a provider was chosen.

    What the user typed before (addresses, name) is kept, the username only where it is the
    same mailbox (`username_carries`), never a secret; the server, port and security come from
    the provider's preset unless `keep_server` (same provider again).
    """
    provider = choice.provider
    settings = base.copy() if base is not None else Settings()
    settings.provider = provider.id
    settings.protocol = provider.protocol
    smtp = settings.smtp
    if not keep_server:
        # No secret follows the user to another provider: the sign-in settings go too, and
        # the username stays only where it is the same mailbox; a fixed username (SendGrid's
        # apikey) is _fixed_username's.
        settings.oauth = OAuthSettings()
        if not provider.username and not username_carries(smtp.username, provider):
            smtp.username = ""
    if provider.protocol == "smtp" and not keep_server:
        if provider.host:
            smtp.host, smtp.port, smtp.security = provider.host, provider.port, provider.security
        else:
            smtp.host = choice.suggested_host
            smtp.port, smtp.security = provider.port, provider.security
    if provider.certificate_checks_required:
        smtp.verify_certificate = True
        smtp.ca_file = ""
    if provider.protocol == "http" and provider.id in PROVIDER_APIS:
        settings.http.api = provider.id  # type: ignore[assignment]  # one API's entry: that API
    if not keep_server:
        _sign_in_preset(settings, provider)
    if choice.address:
        if provider.protocol == "smtp":
            smtp.username = choice.address
            settings.sender.address = ""
        elif not settings.sender.reply_to:
            settings.sender.reply_to = choice.address
    if provider.protocol == "smtp" and not keep_server:
        _fixed_username(settings, provider, base, choice.address)
    return settings


def _sign_in_preset(settings: Settings, provider: Provider) -> None:
    """Microsoft no longer takes passwords for most accounts: sign-in is the default there;
    Google may sign in too (a password stays its default)."""
    signs_in = recommended_way(provider.id) == "oauth2"
    settings.smtp.auth = "oauth2" if signs_in else "password"
    oauth_provider = oauth_family(provider.id)
    if oauth_provider is not None:
        settings.oauth.provider = oauth_provider
    if provider.id == "outlook" and settings.oauth.tenant == "organizations":
        settings.oauth.tenant = "consumers"  # personal accounts


def _fixed_username(
    settings: Settings, provider: Provider, base: Settings | None, address: str
) -> None:
    """A provider whose SMTP username is fixed (SendGrid's `apikey`) gets it filled in, the
    address then being the sender's; another provider's fixed username is not carried over."""
    smtp = settings.smtp
    if provider.username:
        if looks_like_address(smtp.username) and not settings.sender.address:
            settings.sender.address = smtp.username
        smtp.username = provider.username
        return
    before = provider_or_custom(base.provider) if base is not None else None
    if before is not None and before.username and smtp.username == before.username:
        smtp.username = address


def settings_for_suggestion(
    suggestion: Suggestion, address: str, base: Settings | None
) -> Settings:
    """The settings to open the fields with after discovery found a server for `address`.

    The server, port and security are the suggestion's; the username is its hint; the
    sender address is asked for (filled with `address`) only when that hint is not one.
    """
    provider = provider_or_custom(suggestion.provider_id)
    settings = settings_for_choice(Choice(provider, address), base)
    smtp = settings.smtp
    smtp.host, smtp.port, smtp.security = suggestion.host, suggestion.port, suggestion.security
    smtp.username = suggestion.username_hint or address
    settings.sender.address = "" if looks_like_address(smtp.username) else address
    return settings


def settings_for_discovery(
    choice: Choice, suggestion: Suggestion | None, fallback_host: str, base: Settings | None
) -> tuple[Provider, Settings]:
    """The provider and the settings to open the fields with after discovery for the address
    typed: its suggestion's, or "Other SMTP server" at `fallback_host` when it found none."""
    if suggestion is None:
        from tui.core.providers import get_provider

        settings = settings_for_choice(choice, base)
        settings.smtp.host = fallback_host
        return get_provider(CUSTOM_ID), settings
    provider = provider_or_custom(suggestion.provider_id)
    return provider, settings_for_suggestion(suggestion, choice.address, base)


def provider_as_found(provider: Provider, settings: Settings, note: str) -> Provider:
    """The provider as the guidance and the fields present it after discovery: with the
    discovery's `note` before its own notes, and, where its guidance names the server it
    fills in, the server found (a region's, say)."""
    shown = provider._replace(notes=" ".join(part for part in (note, provider.notes) if part))
    if provider.host:
        smtp = settings.smtp
        shown = shown._replace(host=smtp.host, port=smtp.port, security=smtp.security)
    return shown
