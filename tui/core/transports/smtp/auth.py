"""AUTH: the mechanism encoders, their secret forms, and the table that picks one.

Each encoder is a small pure function returning the bytes sent (base64, as on the wire);
beside it, `*_forms` gives the text forms of the secret it produces, which the Redactor
is handed, so redaction cannot drift from what is sent. One mechanism per attempt (never
PLAIN-then-LOGIN, which doubles lockout counts). With an OAuth token the server may answer
with a 334 JSON challenge: `Attempt.token_refused` is then set, after the answer the
mechanism requires (an empty line for XOAUTH2, `AQ==` for OAUTHBEARER), so the caller can
refresh the token once and retry once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

from tui.core.texts import Texts
from tui.core.transports.smtp.reply import Reply

say = Texts(__package__ or "tui.core.transports.smtp")  # texts.toml beside this file

Kind = Literal["password", "token"]


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


# -- encoders (RFC 4616, draft-murchison-sasl-login, Google's XOAUTH2, RFC 7628)


def plain(username: str, password: str) -> bytes:
    return _b64(f"\0{username}\0{password}".encode())


def login_username(username: str) -> bytes:
    return _b64(username.encode())


def login_password(password: str) -> bytes:
    return _b64(password.encode())


def xoauth2(username: str, token: str) -> bytes:
    return _b64(f"user={username}\x01auth=Bearer {token}\x01\x01".encode())


def oauthbearer(username: str, token: str, host: str, port: int) -> bytes:
    gs2 = f"n,a={username.replace('=', '=3D').replace(',', '=2C')},"
    return _b64(f"{gs2}\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01".encode())


XOAUTH2_ABORT = b""  # the answer to XOAUTH2's error challenge
OAUTHBEARER_ABORT = b"AQ=="  # base64 of \x01: RFC 7628 3.2.3's answer to the error


@dataclass(frozen=True, repr=False, eq=False)  # no repr: it would show the secret
class Login:
    """What one AUTH attempt needs. `secret` is the password or the access token."""

    username: str
    secret: str
    host: str = ""
    port: int = 0


# -- the secret forms beside their encoders


def plain_forms(login: Login) -> list[str]:
    return [plain(login.username, login.secret).decode()]


def login_forms(login: Login) -> list[str]:
    return [login_password(login.secret).decode()]


def xoauth2_forms(login: Login) -> list[str]:
    return [xoauth2(login.username, login.secret).decode(), f"Bearer {login.secret}"]


def oauthbearer_forms(login: Login) -> list[str]:
    encoded = oauthbearer(login.username, login.secret, login.host, login.port)
    return [encoded.decode(), f"Bearer {login.secret}"]


# -- running one attempt


class Channel(Protocol):
    """The part of the SMTP session a mechanism talks through."""

    async def send_line(self, text: str, shown: str | None = None) -> None: ...

    async def read_reply(self) -> Reply: ...

    def note(self, text: str) -> None: ...


class Attempt(NamedTuple):
    reply: Reply  # the final answer (235 when signed in)
    token_refused: bool = False  # an OAuth token was answered with the error challenge


def decoded_challenge(reply: Reply) -> str:
    """The text of a 334 challenge (base64), or "" when it is not decodable text."""
    try:
        return base64.b64decode(reply.lines[0].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, IndexError, ValueError):
        return ""


async def _run_plain(channel: Channel, login: Login) -> Attempt:
    blob = plain(login.username, login.secret).decode()
    await channel.send_line(f"AUTH PLAIN {blob}", shown="AUTH PLAIN [redacted]")
    reply = await channel.read_reply()
    if reply.code == 334:  # it wants the response separately: cancel, never retry
        await channel.send_line("*")
        reply = await channel.read_reply()
    return Attempt(reply)


async def _run_login(channel: Channel, login: Login) -> Attempt:
    await channel.send_line("AUTH LOGIN")
    reply = await channel.read_reply()
    for answer in (login_username(login.username), login_password(login.secret)):
        if reply.code != 334:
            break
        asked = decoded_challenge(reply)
        if asked:
            channel.note(say("auth.asks", asked=asked))
        await channel.send_line(answer.decode(), shown="[redacted]")
        reply = await channel.read_reply()
    return Attempt(reply)


def _token_runner(
    name: str, encode: Callable[[Login], bytes], abort: bytes
) -> Callable[[Channel, Login], Awaitable[Attempt]]:
    async def run(channel: Channel, login: Login) -> Attempt:
        await channel.send_line(
            f"AUTH {name} {encode(login).decode()}", shown=f"AUTH {name} [redacted]"
        )
        reply = await channel.read_reply()
        if reply.code != 334:
            return Attempt(reply)
        _note_error_challenge(channel, reply)
        await channel.send_line(abort.decode())
        return Attempt(await channel.read_reply(), token_refused=True)

    return run


def _note_error_challenge(channel: Channel, reply: Reply) -> None:
    text = decoded_challenge(reply)
    try:
        import json  # only for a refused OAuth token's challenge

        status = json.loads(text).get("status", "") if text else ""
    except (ValueError, AttributeError):
        status = ""
    channel.note(say("auth.token-refused", status=status or "?"))


class Mechanism(NamedTuple):
    name: str
    kind: Kind
    run: Callable[[Channel, Login], Awaitable[Attempt]]
    forms: Callable[[Login], list[str]]


MECHANISMS: dict[str, Mechanism] = {
    mechanism.name: mechanism
    for mechanism in (
        Mechanism("PLAIN", "password", _run_plain, plain_forms),
        Mechanism("LOGIN", "password", _run_login, login_forms),
        Mechanism(
            "XOAUTH2",
            "token",
            _token_runner("XOAUTH2", lambda lg: xoauth2(lg.username, lg.secret), XOAUTH2_ABORT),
            xoauth2_forms,
        ),
        Mechanism(
            "OAUTHBEARER",
            "token",
            _token_runner(
                "OAUTHBEARER",
                lambda lg: oauthbearer(lg.username, lg.secret, lg.host, lg.port),
                OAUTHBEARER_ABORT,
            ),
            oauthbearer_forms,
        ),
    )
}

# In order of preference, per kind of credential.
PREFERENCE: dict[Kind, tuple[str, ...]] = {
    "password": ("PLAIN", "LOGIN"),
    "token": ("XOAUTH2", "OAUTHBEARER"),
}


def choose(offered: tuple[str, ...], kind: Kind) -> Mechanism | None:
    """The first mechanism of our preference for `kind` that the server offers."""
    for name in PREFERENCE[kind]:
        if name in offered:
            return MECHANISMS[name]
    return None
