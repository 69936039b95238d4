"""Choose the credential: what a send signs in with, decided once for every front end.

`mailwiz test` and `send`, the wizard's test screen, `sendmail` and the queue runner all call
`credential_for(settings, config_path)`:

- `smtp.auth = "oauth2"`: the sign-in kept by `mailwiz login` (or the wizard), as a
  `TokenSource` that renews itself; never a password, never `MAILWIZ_PASSWORD`.
- otherwise, when the settings take a secret (a password with a username, an HTTP API's key,
  the relay's optional key): `MAILWIZ_PASSWORD` when set, else the store `[password] store`
  names; for the relay, no key when none is stored.
- nothing for a server used without login.

`NoCredential` says why there is none (`kind`: "unusable" for a `MAILWIZ_PASSWORD` no server
takes, "missing" for a secret that is not stored, "not_signed_in" for OAuth); its str() is the
whole sentence for the user. The secret is never in a repr, a str or an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui.core.credentials.lookup import (
    PasswordLookup,
    password_from_env,
    password_needed,
    secret_word,
    uses_oauth_sign_in,
)

if TYPE_CHECKING:
    from tui.core.credentials.tokens import TokenSource
    from tui.core.settings import Settings


class NoCredential(Exception):
    """No credential for a send that needs one; str() says what happened and what to do."""

    def __init__(self, kind: Literal["unusable", "missing", "not_signed_in"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, repr=False)
class Credential:
    """What a send signs in with, and where it came from (`source`: "env", "keyring", "file",
    "oauth", "typed" (in the wizard), or "none": no secret taken, or the relay gets no key).
    `warning`: found, but something is unsafe (a password file others can read)."""

    secret: str | TokenSource | None
    source: str
    warning: str = ""

    def __repr__(self) -> str:
        shown = "None" if self.secret is None else "***"
        return f"Credential(secret={shown}, source={self.source!r})"

    __str__ = __repr__


def credential_for(
    settings: Settings,
    config_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    typed: str | None = None,
    unattended: bool = False,
) -> Credential:
    """The credential these settings send with (see the module's docstring), or NoCredential.

    `typed`: the password (or key) the user typed in the wizard for these very settings; it
    is used as typed ("" for the relay: no key), never for a person's OAuth sign-in (for an
    app's sign-in it is the client secret, when one is typed). None: look it
    up. Reading the keyring may take seconds: call this in a thread from a screen.
    `unattended` (sendmail, the queue): a sign-in comes as a source that notes and logs
    refusals and never raises here (one not signed in fails its token stage with the reason,
    and the message stays queued)."""
    if uses_oauth_sign_in(settings) and unattended:
        from tui.core.credentials.health import monitored_source

        return Credential(monitored_source(settings, config_path), "oauth")
    if uses_oauth_sign_in(settings):
        from tui.core.credentials.oauth import NotSignedIn
        from tui.core.credentials.sources import token_source_for

        try:
            # An app's client secret typed in the wizard (not stored yet) signs the app in.
            tokens = token_source_for(settings, config_path, typed_secret=typed or "")
            return Credential(tokens, "oauth")
        except NotSignedIn as error:
            raise NoCredential("not_signed_in", str(error)) from None
    if not password_needed(settings):
        return Credential(None, "none")
    if typed is not None:
        return Credential(typed or None, "typed" if typed else "none")
    found: PasswordLookup | None = password_from_env(env, config_path)
    if found is None:
        from tui.core.credentials.store import load_password

        found = load_password(settings, config_path, env={})
    if found.source == "env" and found.password is None:
        raise NoCredential("unusable", found.problem)
    if found.missing:
        raise NoCredential("missing", f"no {secret_word(settings)} available. {found.problem}")
    source = found.source if found.password is not None else "none"
    return Credential(found.password, source, found.warning)
