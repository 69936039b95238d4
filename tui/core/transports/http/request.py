"""The POST itself: one request, the `connect`, `tls`, `post` and `response` stages as
httpcore reports them (its `trace` extension: the real TCP connect and TLS handshake), and
the answer's body read up to BODY_READ_LIMIT.

A transport that reports nothing (not httpcore: a test's) gets one honest `post` stage for
the whole exchange instead of invented connect/tls timings. Redirects are never followed,
environment proxies and .netrc are ignored (`trust_env=False`), httpx retries nothing.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from tui.core.events import Direction
from tui.core.http_apis import say
from tui.core.message import human_size
from tui.core.redact import REDACTED
from tui.core.tls import system_context
from tui.core.transports.http.api import Request
from tui.core.transports.http.classify import map_error
from tui.core.transports.http.session import HttpSession

#: How much of an answer is read.
BODY_READ_LIMIT = 64 * 1024
#: The size of one write of the request body.
WRITE_SIZE = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What came back: the response (headers, status), its body (capped), the status line."""

    response: httpx.Response
    body: bytes
    status_line: str


def summary_of(request: Request) -> str:
    """The transcript's line for the request: path (query masked), format, size."""
    url = request.url
    path = url.raw_path.decode("ascii", "replace").split("?", 1)[0] or "/"
    if url.query:
        path += "?" + REDACTED
    return f"POST {path} ({request.summary}, {human_size(request.body.length)})"


def directions(s: HttpSession) -> tuple[Direction, Direction]:
    """The transcript's arrows: `~>`/`<~` over TLS, `->`/`<-` in clear."""
    return ("~>", "<~") if s.secure else ("->", "<-")


async def post(s: HttpSession, request: Request) -> Answer:
    """Send `request`; an httpx error ends the send with its mapped Failure."""
    summary = summary_of(request)
    out, inn = directions(s)

    async def trace(name: str, info: dict[str, Any]) -> None:
        on_trace(s, name, info, summary)

    # The body goes in pieces as it is read, with its length known (never chunked).
    headers = {
        "User-Agent": "mailwiz",
        "Accept": "*/*",
        **request.headers,
        "Content-Length": str(request.body.length),
    }
    transport = s.transport or httpx.AsyncHTTPTransport(
        verify=s.verify or system_context(), retries=0, trust_env=False
    )
    async with httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(None), follow_redirects=False, trust_env=False
    ) as client:
        built = client.build_request(
            "POST",
            request.url,
            content=_pieces(request),
            headers=headers,
            extensions={"trace": trace},
        )
        try:
            response = await client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise await map_error(s, exc) from None
        try:
            if "post" not in s.seen:
                s.start("post")
                s.note(out, summary)
                s.end(True)
                s.start("response")
            status_line = f"{response.status_code} {response.reason_phrase}".strip()
            if "response-headers" not in s.seen:
                s.note(inn, status_line)
            body = await _read_body(s, response)
        finally:
            await response.aclose()
    return Answer(response, body, status_line)


async def _pieces(request: Request) -> AsyncIterator[bytes]:
    """The body in writes of about WRITE_SIZE (its pieces may be a few bytes each)."""
    pending = bytearray()
    for piece in request.body.pieces():
        pending += piece
        if len(pending) >= WRITE_SIZE:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


async def _read_body(s: HttpSession, response: httpx.Response) -> bytes:
    data = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= BODY_READ_LIMIT:
                break
    except httpx.HTTPError as exc:
        # The status is what counts (any 2xx: accepted); only the body is cut.
        s.note("**", say("body-cut", error=exc))
    return bytes(data[:BODY_READ_LIMIT])


def on_trace(s: HttpSession, name: str, info: dict[str, Any], summary: str) -> None:
    """One httpcore trace event: start or end the stage it belongs to."""
    out, inn = directions(s)
    _, _, event = name.partition(".")
    if event == "connect_tcp.started":
        s.start("connect")
    elif event == "connect_tcp.complete":
        stream = info.get("return_value")
        if hasattr(stream, "aclose"):
            s.streams.append(stream)
        where = _peer(stream)
        if where:
            s.note("**", say("connected", where=where))
        s.end(True, where)
    elif event == "start_tls.started":
        s.start("tls")
    elif event == "start_tls.complete":
        _tls_done(s, info.get("return_value"))
    elif event == "send_request_headers.started":
        s.start("post")
        s.note(out, summary)
    elif event == "send_request_body.complete":
        s.end(True)
    elif event == "send_request_body.failed":
        s.end(False, say("closed-early", what=s.what))
    elif event == "receive_response_headers.started":
        s.start("response")
    elif event == "receive_response_headers.complete":
        value = info.get("return_value")
        if isinstance(value, tuple) and len(value) >= 3:
            reason = value[2].decode("latin-1", "replace") if value[2] else ""
            s.seen.add("response-headers")
            s.note(inn, f"{value[1]} {reason}".strip())


def _tls_done(s: HttpSession, stream: object) -> None:
    sslobj = _extra(stream, "ssl_object")
    text = ""
    if isinstance(sslobj, ssl.SSLObject):
        cipher = sslobj.cipher()
        text = f"{sslobj.version()} {cipher[0] if cipher else ''}".strip()
        s.note("**", say("tls-verified", tls=text, host=s.host))
    s.end(True, text)


def _extra(stream: object, key: str) -> object:
    getter = getattr(stream, "get_extra_info", None)
    if getter is None:
        return None
    try:
        return getter(key)
    except Exception:
        return None


def _peer(stream: object) -> str:
    addr = _extra(stream, "server_addr")
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]} port {addr[1]}"
    return ""
