"""What a transport needs to sign in with OAuth 2.0: a source of access tokens.

The SMTP engine calls `access_token()` at AUTH time (the `token` stage) and, when the server
rejects the token with a 334 challenge, once more with `refresh=True` before its one retry.
How tokens are obtained, refreshed and stored (Authlib, the keyring, the token file) stays
outside the engine, in `tui.core.credentials.oauth`. This module is light: no OAuth library.
"""

from __future__ import annotations

from typing import Protocol


class TokenSource(Protocol):
    @property
    def username(self) -> str:
        """The signed-in account, sent as XOAUTH2's user= and OAUTHBEARER's a=."""
        ...

    async def access_token(self, *, refresh: bool = False) -> str:
        """A live access token; `refresh=True` forces a refresh even if it looks live.
        Raises TokenError when no token can be had."""
        ...


class TokenError(Exception):
    """The token endpoint refused (or could not be reached): data, not prose.

    `error` is the OAuth error code (`invalid_grant`, `access_denied`, ...), `description`
    the provider's words, `codes` provider-specific codes such as Microsoft's AADSTS numbers.
    `temporary` is true for network trouble and 5xx answers, which a later try may fix.
    """

    def __init__(
        self,
        error: str,
        description: str = "",
        *,
        codes: tuple[str, ...] = (),
        temporary: bool = False,
    ) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.codes = codes
        self.temporary = temporary
