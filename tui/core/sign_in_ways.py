"""The ways a provider offers to sign in to its SMTP server, and which one a settings value uses.

A provider with OAuth (Microsoft's, Google's) offers its password (or app password) and a
person's sign-in; a work account's organisation can also let the app sign in itself
(`smtp.auth = "oauth2"` with `oauth.grant = "app"`). Any other provider takes its password.
The order is the order a person is offered them, the recommended one first where there is one.
"""

from __future__ import annotations

from typing import Literal

from tui.core.settings import OAuthProvider, Settings

SignInWay = Literal["password", "oauth2", "app"]

# The catalogue's providers that sign in with OAuth, and whose sign-in server they use.
OAUTH_FAMILIES: dict[str, OAuthProvider] = {
    "microsoft365": "microsoft",
    "outlook": "microsoft",
    "gmail": "google",
    "google-workspace": "google",
}
# Work accounts: an organisation can set up the app's own sign-in there.
APP_SIGN_IN = ("microsoft365", "google-workspace")
# Microsoft no longer takes passwords for most accounts: its sign-in comes first. Google's
# app password still works and asks for no app registration: it comes first there.
_WAYS: dict[OAuthProvider, tuple[SignInWay, ...]] = {
    "microsoft": ("oauth2", "password"),
    "google": ("password", "oauth2"),
}
_RECOMMENDED: dict[OAuthProvider, SignInWay] = {"microsoft": "oauth2"}


def oauth_family(provider_id: str) -> OAuthProvider | None:
    """ "microsoft" or "google" when the provider offers a sign-in, else None."""
    return OAUTH_FAMILIES.get(provider_id)


def sign_in_ways(provider_id: str) -> tuple[SignInWay, ...]:
    """The ways offered, in order (a provider without OAuth is shown Microsoft's, hidden)."""
    ways = _WAYS[oauth_family(provider_id) or "microsoft"]
    return (*ways, "app") if provider_id in APP_SIGN_IN else ways


def recommended_way(provider_id: str) -> SignInWay | None:
    """The way to recommend to a person, if one is better than the others (also the way a
    provider choice opens the form with: Microsoft's sign-in, else the password)."""
    family = oauth_family(provider_id)
    return _RECOMMENDED.get(family) if family is not None else None


def sign_in_way(settings: Settings) -> SignInWay:
    """The way `settings` signs in."""
    if settings.smtp.auth != "oauth2":
        return "password"
    return "app" if settings.oauth.grant == "app" else "oauth2"
