"""The two ways to sign in: the device code flow (RFC 8628), for a server with no browser, and
the authorization code flow with PKCE (RFC 7636) and a loopback redirect (RFC 8252).

Both are plain async functions that the command line (`mailwiz login`) and the wizard's
sign-in screen drive; both end in a `TokenRecord` or raise `TokenError`. Authlib builds and
parses the token requests (device code grant, code exchange with the PKCE verifier); the
polling rules of RFC 8628 section 3.5 (the interval, `slow_down` adding five seconds) are here.

The browser flow works two ways at once: a small HTTP listener on 127.0.0.1 receives the
redirect when the browser runs on this machine, and `code_from_redirect` takes the code out of
an address the user pasted (over SSH the page at 127.0.0.1 does not load on the user's own
computer, but the address bar holds everything needed). Either way `state` is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from tui.core.credentials.oauth import TokenRecord, record_from_response
from tui.core.credentials.oauth_endpoint import (
    Endpoints,
    oauth_client,
    secret_words,
    token_error_from,
)
from tui.core.credentials.texts import say as say_token
from tui.core.credentials.tokens import TokenError
from tui.core.diagnose.texts import say

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5  # seconds added to the interval on each slow_down (RFC 8628 3.5)
DEFAULT_INTERVAL = 5
BROWSER_SIGN_IN_TIME = 600  # seconds the browser flow waits for the redirect
LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_SHOWN = 2048  # characters: an address or code longer than this is not shown


# ------------------------------------------------------------------------- device code


@dataclass(frozen=True, repr=False)
class DeviceCode:
    """The device authorization answer. The user code is meant to be shown; the device code
    is what mailwiz polls with (kept out of repr)."""

    verification_uri: str
    user_code: str
    expires_in: float
    interval: float
    device_code: str
    verification_uri_complete: str = ""
    started: float = 0.0  # time.monotonic() when it was issued

    def __repr__(self) -> str:
        return f"DeviceCode(verification_uri={self.verification_uri!r}, user_code=...)"


async def start_device_flow(endpoints: Endpoints) -> DeviceCode:
    """Ask for a device code and a user code to show (RFC 8628 section 3.1). What the server
    sends to be shown is checked first (`shown_address`, `shown_code`)."""
    if not endpoints.device_authorization_url:
        raise TokenError("invalid_request", say_token("token.no-device-flow"))
    data = {"client_id": endpoints.client_id}
    if endpoints.client_secret:
        data["client_secret"] = endpoints.client_secret
    if endpoints.scope:
        data["scope"] = endpoints.scope
    words = secret_words(endpoints)
    try:
        async with oauth_client(endpoints) as client:
            # auth=None: this request carries no token (there is none yet).
            response = await client.post(endpoints.device_authorization_url, data=data, auth=None)
            answer = _json_object(response)
        if "error" in answer:
            raise _error_from_answer(answer)
        device_code = str(answer["device_code"])
        uri = answer.get("verification_uri") or answer["verification_url"]
        complete = answer.get("verification_uri_complete") or ""
        device = DeviceCode(
            verification_uri=shown_address(str(uri)),
            user_code=shown_code(str(answer["user_code"])),
            expires_in=_positive(answer.get("expires_in"), 900),
            interval=_positive(answer.get("interval"), DEFAULT_INTERVAL),
            device_code=device_code,
            verification_uri_complete=_optional_address(str(complete)),
            started=time.monotonic(),
        )
    except KeyError:
        raise TokenError("invalid_response", say("signin", "answer", "missing")) from None
    except Exception as exc:
        raise token_error_from(exc, words) from None
    return device


def _positive(value: object, default: float) -> float:
    """Seconds as the server said them (a number, or a numeral), within a day."""
    if value is None or value == "":
        return float(default)
    seconds = float(str(value))
    if not 0 < seconds <= 86400:  # NaN and infinities fail this too
        raise ValueError("seconds out of range")
    return seconds


def _unprintable(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in text)


def shown_address(uri: str) -> str:
    """The address a device sign-in asks the user to open, as it may be shown: printable,
    https (or http on this computer, for practice). TokenError otherwise: a hostile server
    must not drive the terminal, nor send the user to a plain-http page."""
    uri = uri.strip()
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    secure = parts is not None and (
        (parts.scheme == "https" and bool(host))
        or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    )
    if not secure or _unprintable(uri) or " " in uri or len(uri) > MAX_SHOWN:
        from tui.core.redact import printable, truncate

        shown = truncate(printable(uri), 120)
        raise TokenError("invalid_response", say("signin", "answer", "bad-uri", uri=shown))
    return uri


def _optional_address(uri: str) -> str:
    try:
        return shown_address(uri) if uri else ""
    except TokenError:
        return ""  # only a convenience: the plain address and the code still work


def shown_code(code: str) -> str:
    """The user code as it may be shown and typed: control, format and separator characters
    removed (a hostile server could hide text with them); TokenError when nothing usable is
    left."""
    cleaned = "".join(ch for ch in code if not _unprintable(ch) and not ch.isspace())
    if not cleaned or len(cleaned) > 64:
        from tui.core.redact import printable, truncate

        shown = truncate(printable(code), 40)
        raise TokenError("invalid_response", say("signin", "answer", "bad-code", code=shown))
    return cleaned


def _json_object(response: object) -> dict[str, object]:
    import httpx

    assert isinstance(response, httpx.Response)
    if response.status_code >= 500:
        response.raise_for_status()
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        response.raise_for_status()
        raise TokenError(
            "invalid_response", say_token("token.no-oauth-json", status=response.status_code)
        )
    return answer


def _error_from_answer(answer: dict[str, object]) -> TokenError:
    from authlib.integrations.base_client.errors import OAuthError

    error = OAuthError(str(answer.get("error")), str(answer.get("error_description") or ""))
    return token_error_from(error)


Sleep = Callable[[float], Awaitable[None]]


async def poll_device_flow(
    endpoints: Endpoints,
    device: DeviceCode,
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_poll: Callable[[float], None] | None = None,
) -> TokenRecord:
    """Poll the token endpoint until the user approves, refuses, or the code expires.

    `authorization_pending` waits `interval` seconds; `slow_down` adds five seconds to it for
    this and every later request. Raises TokenError: `access_denied`, `expired_token` (also
    when the code's lifetime passes here), or whatever else the server answers.
    `on_poll(interval)` is told before each wait (progress on screen)."""
    interval = max(device.interval, 1.0)
    deadline = (device.started or clock()) + device.expires_in
    words = secret_words(endpoints, device.device_code)
    async with oauth_client(endpoints) as client:
        while True:
            if on_poll is not None:
                on_poll(interval)
            if clock() + interval > deadline:
                raise TokenError("expired_token", say_token("token.code-expired"))
            await sleep(interval)
            try:
                token = await client.fetch_token(
                    endpoints.token_url,
                    grant_type=DEVICE_CODE_GRANT,
                    device_code=device.device_code,
                    client_id=endpoints.client_id,
                )
                return record_from_response(token)
            except Exception as exc:
                error = token_error_from(exc, words)
                if error.error == "authorization_pending":
                    continue
                if error.error == "slow_down":
                    interval += SLOW_DOWN_STEP
                    continue
                raise error from None


# -------------------------------------------------------------- browser, PKCE, loopback


@dataclass(frozen=True, repr=False)
class BrowserSignIn:
    """One browser sign-in: the address to open, and what checks the way back."""

    url: str
    redirect_uri: str
    state: str
    code_verifier: str

    def __repr__(self) -> str:
        return f"BrowserSignIn(redirect_uri={self.redirect_uri!r})"


def start_browser_flow(endpoints: Endpoints, port: int) -> BrowserSignIn:
    """The authorization address (PKCE S256, a fresh `state`) for a loopback redirect."""
    from authlib.common.security import generate_token
    from authlib.oauth2.client import OAuth2Client

    if not endpoints.authorization_url:
        raise TokenError("invalid_request", say_token("token.no-authorization-url"))
    redirect_uri = f"http://{LOOPBACK}:{port}/"
    verifier = generate_token(64)
    extra: dict[str, str] = {}
    if endpoints.provider == "google":
        extra = {"access_type": "offline", "prompt": "consent"}  # or no refresh token
    # Authlib's protocol client alone (no HTTP session): building the address sends nothing.
    client = OAuth2Client(
        None,
        client_id=endpoints.client_id,
        scope=endpoints.scope or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    url, state = client.create_authorization_url(
        endpoints.authorization_url, code_verifier=verifier, **extra
    )
    return BrowserSignIn(str(url), redirect_uri, str(state), verifier)


RedirectFault = Literal["empty", "no-state", "wrong-state", "no-code"]


class RedirectProblem(ValueError):
    """A pasted address mailwiz refuses: `fault` says which way; str() says it in words."""

    def __init__(self, fault: RedirectFault) -> None:
        super().__init__(say("signin", "redirect", fault))
        self.fault = fault


def code_from_redirect(address: str, expected_state: str) -> str:
    """The authorization code in the address the browser was sent to, after checking that
    its `state` is this sign-in's. An `error` in it (the user said no) is a TokenError."""
    text = address.strip().strip("<>\"'")
    if not text:
        raise RedirectProblem("empty")
    parts = urlsplit(text if "://" in text or text.startswith("?") else "?" + text)
    params = {key: values[0] for key, values in parse_qs(parts.query or parts.fragment).items()}
    if "state" not in params:
        raise RedirectProblem("no-state")
    if not secrets.compare_digest(params["state"].encode(), expected_state.encode()):
        raise RedirectProblem("wrong-state")
    if "error" in params:
        raise TokenError(params["error"], params.get("error_description", ""))
    code = params.get("code", "")
    if not code:
        raise RedirectProblem("no-code")
    return code


async def finish_browser_flow(
    endpoints: Endpoints, sign_in: BrowserSignIn, code: str
) -> TokenRecord:
    """Exchange the code (with the PKCE verifier) for tokens."""
    words = secret_words(endpoints, code, sign_in.code_verifier)
    try:
        async with oauth_client(endpoints, redirect_uri=sign_in.redirect_uri) as client:
            token = await client.fetch_token(
                endpoints.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=sign_in.code_verifier,
                redirect_uri=sign_in.redirect_uri,
                client_id=endpoints.client_id,
            )
        return record_from_response(token)
    except Exception as exc:
        raise token_error_from(exc, words) from None


_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>mailwiz</title></head>"
    "<body style='font-family:sans-serif'><h1>{title}</h1><p>{text}</p></body></html>"
)


class LoopbackReceiver:
    """Listens on 127.0.0.1 for the browser's redirect and hands its address to `addresses`.

    h11 (httpx's own HTTP/1.1 parser) reads the request. Only an address carrying this
    sign-in's `state` is offered (any other local program that calls is answered 400 and
    ignored: not counted, not fatal), and the page says to go back to the terminal. Requests
    without a query (a favicon) get 404.
    """

    def __init__(self) -> None:
        self.addresses: asyncio.Queue[str] = asyncio.Queue()
        self.state = ""  # set once the sign-in's address is made
        self._server: asyncio.Server | None = None
        self.port = 0

    def _ours(self, address: str) -> bool:
        try:
            code_from_redirect(address, self.state)
        except RedirectProblem as problem:
            return problem.fault == "no-code"  # the state is ours: let the sign-in say so
        except TokenError:
            return True  # the user said no, with our state
        return bool(self.state)

    async def __aenter__(self) -> LoopbackReceiver:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import h11

        connection = h11.Connection(h11.SERVER)
        try:
            request = None
            while request is None:
                data = await asyncio.wait_for(reader.read(65536), 10)
                connection.receive_data(data)
                while True:
                    event = connection.next_event()
                    if event is h11.NEED_DATA or event is h11.PAUSED:
                        break
                    if isinstance(event, h11.Request):
                        request = event
                        break
                    if isinstance(event, h11.ConnectionClosed):
                        return
                if not data and request is None:
                    return
            target = request.target.decode("ascii", "replace")
            address = f"http://{LOOPBACK}:{self.port}{target}"
            if "?" not in target:
                status, page = 404, "not-here"
            elif self._ours(address):
                self.addresses.put_nowait(address)
                status, page = 200, "done"
            else:
                status, page = 400, "not-ours"
            body = _PAGE.format(
                title=say("signin", "page", f"{page}-title"), text=say("signin", "page", page)
            )
            payload = body.encode()
            headers = [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(payload))),
                ("Connection", "close"),
            ]
            writer.write(connection.send(h11.Response(status_code=status, headers=headers)))
            writer.write(connection.send(h11.Data(data=payload)))
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
        except (TimeoutError, h11.RemoteProtocolError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
