"""The token source a send signs in with, for settings with `smtp.auth = "oauth2"`: the app's
own sign-in (`grant = "app"`, `app_grants`) or the person's stored one (`oauth_store`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.credentials.oauth_store import user_token_source

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.settings import Settings


def token_source_for(
    settings: Settings,
    config_path: Path,
    clock: Callable[[], float] = time.time,
    typed_secret: str = "",
) -> TokenSource:
    """The token source, or NotSignedIn. `clock` is the time the source goes by (a test's
    fast clock); `typed_secret` an app's client secret typed in the wizard and not stored yet
    (its test before saving)."""
    if settings.oauth.grant == "app":
        from tui.core.credentials.app_grants import app_token_source

        return app_token_source(settings, config_path, clock, typed_secret)
    return user_token_source(settings, config_path, clock)
