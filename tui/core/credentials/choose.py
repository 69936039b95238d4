"""Choose the credential a send signs in with: the sign-in's token source for OAuth, the
stored password (or `$MAILWIZ_PASSWORD`) otherwise, nothing when no sign-in is needed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.credentials.lookup import uses_oauth_sign_in
from tui.core.credentials.oauth import CredentialMissing
from tui.core.credentials.oauth_store import user_token_source

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.settings import Settings


def token_source_for(
    settings: Settings, config_path: Path, clock: Callable[[], float] = time.time
) -> TokenSource:
    """The token source for settings with `smtp.auth = "oauth2"`, or NotSignedIn: the app's
    own sign-in for `grant = "app"` (app_grants), else the person's stored sign-in."""
    if settings.oauth.grant == "app":
        from tui.core.credentials.app_grants import app_token_source

        return app_token_source(settings, config_path, clock)
    return user_token_source(settings, config_path, clock)


def credential_for(settings: Settings, config_path: Path) -> str | TokenSource | None:
    """What the send signs in with: a TokenSource for OAuth, the stored password (or
    $MAILWIZ_PASSWORD) otherwise, None when no sign-in is needed.

    Raises NotSignedIn for OAuth without a stored sign-in, and `CredentialMissing` (a
    NotSignedIn) when a password is needed and none is available."""
    if uses_oauth_sign_in(settings):
        return token_source_for(settings, config_path)
    from tui.core.credentials.store import load_password, password_needed

    if not password_needed(settings):
        return None
    lookup = load_password(settings, config_path)
    if lookup.missing:
        raise CredentialMissing(f"no password available. {lookup.problem}")
    return lookup.password  # None: the relay's optional key is not stored
