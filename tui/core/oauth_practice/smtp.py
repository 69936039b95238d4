"""The practice SMTP server of `tui.core.practice`, signing in with tokens only: XOAUTH2 and
OAUTHBEARER, a live token of the practice authorization server accepted, anything else
answered with the 334 JSON challenge, then 535 (as Gmail and Microsoft do)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import ssl
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from aiosmtpd.smtp import SMTP, AuthResult

from tui.core.oauth_practice.app_grants import APP_USER_PREFIX
from tui.core.oauth_practice.server import PracticeAuthorizationServer
from tui.core.oauth_practice.tables import ACCOUNT, SCOPE
from tui.core.practice import SERVER_NAME, FailMode, PracticeServer
from tui.core.practice_smtp import PracticeHandler
from tui.core.settings import PasswordSettings, Settings

MECHANISMS: Final = ("XOAUTH2", "OAUTHBEARER")


def _decode(blob: bytes | str) -> str:
    try:
        raw = base64.b64decode(blob, validate=True) if isinstance(blob, str | bytes) else b""
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


_XOAUTH2 = re.compile(r"user=([^\x01]*)\x01auth=Bearer ([^\x01\s]+)\x01\x01")


def parse_xoauth2(text: str) -> tuple[str, str]:
    """(user, token) from XOAUTH2's `user=U^Aauth=Bearer T^A^A`, exactly as Gmail and
    Exchange Online read it (the closing ^A^A included); ("", "") if malformed."""
    match = _XOAUTH2.fullmatch(text)
    return (match.group(1), match.group(2)) if match else ("", "")


def parse_oauthbearer(text: str) -> tuple[str, str]:
    """(user, token) from OAUTHBEARER's `n,a=U,^Aauth=Bearer T^A^A` (RFC 7628 section 3.1:
    a GS2 header, key=value pairs each ended by ^A, and a last ^A); ("", "") if malformed."""
    header, separator, rest = text.partition("\x01")
    if not separator or not rest.endswith("\x01\x01") or not header.startswith(("n,", "y,")):
        return "", ""
    pairs = dict(item.split("=", 1) for item in rest[:-2].split("\x01") if "=" in item)
    auth = pairs.get("auth", "")
    token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
    user = next((p[2:] for p in header.split(",") if p.startswith("a=")), "")
    return user.replace("=2C", ",").replace("=3D", "="), token if " " not in token else ""


class _TokenHandler(PracticeHandler):
    """The practice handler, signing in with tokens only. Methods named auth_* are aiosmtpd's
    hooks for those mechanisms; which are offered is chosen in `_smtp_factory`."""

    def __init__(self, owner: TokenSmtpServer) -> None:
        super().__init__(owner)
        self._tokens = owner

    async def _check(
        self, server: SMTP, args: list[str], parse: Callable[[str], tuple[str, str]]
    ) -> AuthResult:
        blob: Any = args[1].encode() if len(args) > 1 else await server.challenge_auth("")
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=True)  # aborted; aiosmtpd answered
        text = _decode(blob) if len(args) > 1 else blob.decode("utf-8", "replace")
        user, token = parse(text)
        authorization = self._tokens.authorization
        account = authorization.user_for(token) if token else None
        if account is not None and account.startswith(APP_USER_PREFIX):
            # An app token: Exchange checks the mailbox permission of its service principal.
            if user and authorization.app.may_send_as(user, authorization.account):
                self._tokens.signed_in.append(user)
                return AuthResult(success=True, auth_data=user)
            return AuthResult(
                success=False, handled=False, message="535 5.7.3 Authentication unsuccessful"
            )
        if account is not None and (not user or user.lower() == account.lower()):
            self._tokens.signed_in.append(account)
            return AuthResult(success=True, auth_data=account)
        challenge = json.dumps({"status": "401", "schemes": "bearer", "scope": SCOPE})
        await server.challenge_auth(challenge)  # the client answers "" or AQ== (nak)
        return AuthResult(
            success=False,
            handled=False,
            message="535 5.7.8 Username and token not accepted (mailwiz practice server)",
        )

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._check(server, args, parse_xoauth2)

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._check(server, args, parse_oauthbearer)


class TokenSmtpServer(PracticeServer):
    """The practice SMTP server, accepting only live tokens of `authorization`."""

    def __init__(
        self,
        authorization: PracticeAuthorizationServer,
        mechanisms: Iterable[str] = MECHANISMS,
        fail: FailMode | str | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(fail=fail, folder=folder)
        self.authorization = authorization
        self.mechanisms = tuple(m.upper() for m in mechanisms)
        self.username = authorization.account
        self.signed_in: list[str] = []  # accounts that signed in, in order

    def _smtp_factory(
        self, tls: ssl.SSLContext | None
    ) -> Callable[[Any], Any]:  # same server as the practice one, other mechanisms
        handler = _TokenHandler(self)
        excluded = ["PLAIN", "LOGIN", *(m for m in MECHANISMS if m not in self.mechanisms)]

        def make(loop: Any) -> SMTP:
            return SMTP(
                handler,
                hostname=SERVER_NAME,
                ident="mailwiz OAuth practice server",
                tls_context=tls,
                require_starttls=tls is not None,
                auth_required=True,
                auth_require_tls=True,
                auth_exclude_mechanism=excluded,
                timeout=120,
                loop=loop,
            )

        return make

    def settings(self, sender: str = ACCOUNT, timeout: float | None = None) -> Settings:
        """Settings ready for `mailwiz login` then `test`: OAuth against the practice
        authorization server, the sign-in kept in a 0600 file beside the settings."""
        settings = super().settings(sender=sender, timeout=timeout)
        settings.smtp.username = self.authorization.account
        settings.password = PasswordSettings(store="file")
        return self.authorization.settings_for(settings)
