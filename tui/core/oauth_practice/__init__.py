"""OAuth practice: a local authorization server beside an SMTP server that accepts only its tokens.

`mailwiz sandbox --oauth` runs both, so support staff can rehearse `mailwiz login` (device
code, or browser + PKCE with the address pasted back) and a send with XOAUTH2/OAUTHBEARER
without any account. The tests sign in against the same servers: they are real parts.

The authorization server is Authlib's (`authlib.integrations.flask_oauth2`): device code
(RFC 8628), authorization code with PKCE S256 required (RFC 7636), refresh with rotation (the
old refresh token dies when a new one is issued), and revocation (RFC 7009). It runs in
werkzeug's threaded server on 127.0.0.1. The user approves on its web pages (`/device`,
`/authorize`) or through `approve()` (the sandbox's own prompt, and the tests). With `openid`
in the scope, the token answer carries an ID token naming the practice account (unsigned:
practice only; mailwiz reads it as it reads a real provider's answer).

The SMTP server is the practice server of `tui.core.practice` (STARTTLS required, its own
certificate authority), offering XOAUTH2 and OAUTHBEARER only: a live token of this server is
accepted, anything else gets the 334 JSON challenge and then 535, as Gmail and Microsoft do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tui.core.oauth_practice.server import PracticeAuthorizationServer
from tui.core.oauth_practice.smtp import MECHANISMS, TokenSmtpServer
from tui.core.oauth_practice.tables import ACCOUNT, CLIENT_ID, SCOPE, IssuedToken
from tui.core.settings import Settings

__all__ = [
    "ACCOUNT",
    "CLIENT_ID",
    "MECHANISMS",
    "SCOPE",
    "IssuedToken",
    "OAuthPractice",
    "PracticeAuthorizationServer",
    "TokenSmtpServer",
]


class OAuthPractice:
    """Both servers, started and stopped together (`mailwiz sandbox --oauth`)."""

    def __init__(
        self,
        mechanisms: Iterable[str] = MECHANISMS,
        folder: Path | None = None,
        **authorization_options: Any,
    ) -> None:
        self.authorization = PracticeAuthorizationServer(**authorization_options)
        self.smtp = TokenSmtpServer(self.authorization, mechanisms=mechanisms, folder=folder)

    def __enter__(self) -> OAuthPractice:
        self.authorization.start()
        try:
            self.smtp.start()
        except BaseException:
            self.authorization.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            self.smtp.stop()
        self.authorization.stop()

    def settings(self) -> Settings:
        return self.smtp.settings()

    def rows(self) -> list[tuple[str, str]]:
        """What the sandbox prints about itself."""
        smtp = self.smtp
        return [
            ("Sign-in server", self.authorization.base_url),
            ("SMTP server", f"{smtp.host} port {smtp.port}, STARTTLS required"),
            ("Sign-in methods", ", ".join(smtp.mechanisms) + " (no passwords)"),
            ("Practice account", self.authorization.account),
            ("Client ID", self.authorization.client_id),
            ("Approve codes at", self.authorization.verification_url),
        ]
