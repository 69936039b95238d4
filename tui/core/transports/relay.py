"""The HTTP relay send: one multipart POST, reported stage by stage.

The relay protocol (DESIGN.md, "The HTTP relay protocol"): `POST <url>` with
`multipart/form-data` fields, in this order:

    from      the sender's display name (settings.sender.name, else the sender address)
    reply_to  the address replies go to (settings.sender.reply_to; required for http)
    to        the recipient
    subject   the subject
    body      the message as HTML (Outgoing.html, else the text escaped, lines joined by <br>)

and then one file part per attachment, each with the field name `attachment`, its file name
and its MIME type. Any 2xx answer means the relay took the message; any other answer fails
the send and its (shortened) body is shown to the user.

Stages: `resolve` (our own getaddrinfo, so a wrong name is told apart from a refused
connection), `connect` and `tls` (measured by httpcore's `trace` extension, so they are the
real TCP connect and TLS handshake), `post` (request line, headers and body written) and
`response` (status and body read). A stage the transport does not report is skipped, never
faked. One deadline, `settings.http.timeout`, covers the whole send; cancelling the task that
iterates ends it promptly and closes the connection.

Decisions:
- Redirects are never followed. The message is posted only to the URL the user entered and
  tested: a redirect to plain http is refused as unencrypted; a redirect to another https
  address fails too, naming the new address so the user can confirm it and enter it
  (a 301/302/303 would also turn the POST into a GET and lose the message).
- `https://` is verified with `ssl.create_default_context()` (hostname checked). `http://` is
  allowed only when the host is this computer (localhost or a loopback address, and every
  address it resolves to is loopback); anything else is refused before connecting.
- Environment proxies and .netrc are ignored (`trust_env=False`): no Authorization header is
  ever sent in this version, and none is ever logged. A URL with a user name or password in
  it is refused; the query string (which may hold a relay key) is never shown.
- The relay protocol has no copy field, so `sender.copy_to` is not applied here; the
  transcript says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import html
import ipaddress
import re
import secrets
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from tui.core.events import (
    CertificateInfo,
    Direction,
    Failure,
    FailureKind,
    SendEvent,
    SendFinished,
    StageEnded,
    StageStarted,
    TranscriptLine,
)
from tui.core.message import Attachment, Outgoing, human_size
from tui.core.settings import Settings
from tui.core.tls import certificate_info

#: The multipart field name of every attachment part.
ATTACHMENT_FIELD = "attachment"
#: How much of a relay's answer is read, and how much of it is shown.
BODY_READ_LIMIT = 64 * 1024
REPLY_SHOWN = 300
#: The prefix before a redirect target in Failure.reply (diagnose.py reads it back).
REDIRECT_MARK = "Location: "
#: The longest wait for the certificate details after a verification failure.
CERT_PROBE_SECONDS = 5.0

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


class _Stop(Exception):
    """Ends the send with this failure (raised inside the worker)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reply or failure.kind.name)
        self.failure = failure


# --------------------------------------------------------------------------- public API


async def send_http(
    settings: Settings,
    outgoing: Outgoing,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | None = None,
) -> AsyncIterator[SendEvent]:
    """POST `outgoing` to the relay at `settings.http.url`, yielding events as they happen.

    Ends with exactly one SendFinished; network problems never raise. `transport` replaces
    httpx's (tests, or a caller with its own); `verify` replaces the default TLS context
    (tests trust their own CA with it; the application always passes None).
    """
    queue: asyncio.Queue[SendEvent] = asyncio.Queue()
    worker = asyncio.create_task(
        _Send(settings, outgoing, queue.put_nowait, transport, verify).run(),
        name="mailwiz-http-send",
    )
    getter: asyncio.Future[SendEvent] | None = None
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, worker}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                event = getter.result()
                getter = None
                yield event
                if isinstance(event, SendFinished):
                    return
                continue
            getter.cancel()
            getter = None
            # The worker ended: drain what it queued; it always queues a SendFinished unless
            # it crashed, in which case the crash becomes an INTERNAL failure.
            while not queue.empty():
                event = queue.get_nowait()
                yield event
                if isinstance(event, SendFinished):
                    return
            exc = worker.exception()
            yield SendFinished(
                ok=False,
                total_ms=0.0,
                failure=Failure(
                    FailureKind.INTERNAL,
                    "",
                    detail=f"{type(exc).__name__}: {exc}" if exc else "no outcome",
                ),
            )
            return
    finally:
        if getter is not None:
            getter.cancel()
        if not worker.done():
            worker.cancel()
            # Let the worker close its connection; asyncio.wait does not re-raise the
            # worker's CancelledError, so closing the generator stays clean.
            await asyncio.wait({worker})


def multipart_body(
    fields: list[tuple[str, str]], attachments: tuple[Attachment, ...], boundary: str
) -> bytes:
    """Encode form fields and file parts as multipart/form-data (as browsers do, RFC 7578)."""
    out = bytearray()
    for name, value in fields:
        out += f"--{boundary}\r\n".encode()
        out += f'Content-Disposition: form-data; name="{_quote_name(name)}"\r\n\r\n'.encode()
        out += value.encode("utf-8") + b"\r\n"
    for item in attachments:
        ctype = _CONTROL.sub("", item.content_type).strip() or "application/octet-stream"
        out += f"--{boundary}\r\n".encode()
        out += (
            f'Content-Disposition: form-data; name="{ATTACHMENT_FIELD}"; '
            f'filename="{_quote_name(item.filename)}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n"
        ).encode()
        out += item.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def relay_fields(settings: Settings, outgoing: Outgoing) -> list[tuple[str, str]]:
    """The relay's text fields, in protocol order."""
    sender = settings.sender
    return [
        ("from", sender.name.strip() or settings.from_address),
        ("reply_to", sender.reply_to.strip()),
        ("to", outgoing.to.strip()),
        ("subject", outgoing.subject),
        ("body", html_body(outgoing)),
    ]


def html_body(outgoing: Outgoing) -> str:
    """The HTML body: Outgoing.html, or the plain text escaped with its lines kept."""
    if outgoing.html:
        return outgoing.html
    lines = outgoing.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br>\n".join(html.escape(line) for line in lines)


def shorten_body(data: bytes, content_type: str = "", limit: int = REPLY_SHOWN) -> str:
    """A relay's answer made fit to show: tags and control characters out, one line, short."""
    charset = "utf-8"
    match = re.search(r"charset=([\w.-]+)", content_type, re.IGNORECASE)
    if match:
        charset = match.group(1)
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    if "html" in content_type.lower() or text.lstrip()[:1] == "<":
        text = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", text)))
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (where plain http:// is allowed)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- the send


class _Send:
    def __init__(
        self,
        settings: Settings,
        outgoing: Outgoing,
        emit: Callable[[SendEvent], None],
        transport: httpx.AsyncBaseTransport | None,
        verify: ssl.SSLContext | None,
    ) -> None:
        self.settings = settings
        self.outgoing = outgoing
        self.emit = emit
        self.transport = transport
        self.verify = verify
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.stage = ""  # the stage now open, "" between stages
        self.last_stage = "resolve"
        self.stage_t0 = 0.0
        self.seen: set[str] = set()
        self.secure = True
        self.host = ""
        self.port = 0
        self.secret_parts: list[str] = []
        self.deadline = self.t0
        self.streams: list[Any] = []  # every TCP stream opened, closed again at the end

    # -- stage bookkeeping

    def start(self, stage: str) -> None:
        if self.stage:
            self.end(True)
        self.stage = self.last_stage = stage
        self.seen.add(stage)
        self.stage_t0 = self.loop.time()
        self.emit(StageStarted(stage))

    def end(self, ok: bool, reply: str = "") -> None:
        if not self.stage:
            return
        ms = (self.loop.time() - self.stage_t0) * 1000
        self.emit(StageEnded(self.stage, ok, round(ms, 1), self.scrub(reply)))
        self.stage = ""

    def note(self, direction: Direction, text: str) -> None:
        self.emit(TranscriptLine(direction, self.scrub(text)))

    def scrub(self, text: str) -> str:
        for part in self.secret_parts:
            if part:
                text = text.replace(part, "...")
        return text

    def total_ms(self) -> float:
        return round((self.loop.time() - self.t0) * 1000, 1)

    def fail(self, kind: FailureKind, **kw: Any) -> _Stop:
        return _Stop(Failure(kind, self.stage or self.last_stage, **kw))

    # -- the whole send

    async def run(self) -> None:
        try:
            finished = await self._outcome_of_send()
        finally:
            await self._close_leftovers()
        self.emit(finished)

    async def _close_leftovers(self) -> None:
        """Close connections httpcore may leave open: it does not close the TCP stream when
        the TLS handshake is cancelled (deadline or Cancel)."""
        for stream in self.streams:
            with contextlib.suppress(Exception):
                await stream.aclose()
        self.streams.clear()

    async def _outcome_of_send(self) -> SendFinished:
        try:
            try:
                self.deadline = self.loop.time() + self.settings.http.timeout
                async with asyncio.timeout_at(self.deadline):
                    finished = await self._send()
            except TimeoutError:
                raise self.fail(
                    FailureKind.TIMEOUT,
                    detail=f"no answer within {self.settings.http.timeout:g} s",
                ) from None
        except _Stop as stop:
            failure = dataclasses.replace(
                stop.failure,
                reply=self.scrub(stop.failure.reply),
                detail=self.scrub(stop.failure.detail),
            )
            self.end(False, failure.reply or failure.detail)
            finished = SendFinished(ok=False, total_ms=self.total_ms(), failure=failure)
        except Exception as exc:  # a bug: report it, never crash the caller
            failure = Failure(
                FailureKind.INTERNAL,
                self.stage or self.last_stage,
                detail=self.scrub(f"{type(exc).__name__}: {exc}"),
            )
            self.end(False, failure.detail)
            finished = SendFinished(ok=False, total_ms=self.total_ms(), failure=failure)
        return finished

    async def _send(self) -> SendFinished:
        url = self._check_url()
        await self._resolve()
        fields = relay_fields(self.settings, self.outgoing)
        attachments = self.outgoing.attachments
        boundary = "mailwiz-" + secrets.token_hex(16)
        while any(boundary.encode() in a.data for a in attachments) or any(
            boundary in v for _, v in fields
        ):
            boundary = "mailwiz-" + secrets.token_hex(16)  # pragma: no cover
        body = multipart_body(fields, attachments, boundary)
        if self.settings.sender.copy_to.strip():
            self.note(
                "**",
                "the relay protocol has no copy field: no copy goes to "
                f"{self.settings.sender.copy_to.strip()}",
            )
        path = url.raw_path.decode("ascii", "replace").split("?", 1)[0] or "/"
        if url.query:
            path += "?..."
        n = len(attachments)
        summary = (
            f"POST {path} (multipart, {len(fields)} fields, {n} attachment"
            f"{'' if n == 1 else 's'}, {human_size(len(body))})"
        )
        out: Direction = "~>" if self.secure else "->"
        inn: Direction = "<~" if self.secure else "<-"

        async def trace(name: str, info: dict[str, Any]) -> None:
            self._on_trace(name, info, summary, out, inn)

        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "User-Agent": "mailwiz",
            "Accept": "*/*",
        }
        transport = self.transport or httpx.AsyncHTTPTransport(
            verify=self.verify or ssl.create_default_context(), retries=0, trust_env=False
        )
        async with httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(None),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            request = client.build_request(
                "POST", url, content=body, headers=headers, extensions={"trace": trace}
            )
            posted_at = self.loop.time()
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise await self._map_error(exc) from None
            try:
                if "post" not in self.seen:
                    # The transport reported nothing (not httpcore): one honest stage for the
                    # whole exchange instead of invented connect/tls timings.
                    self.start("post")
                    self.stage_t0 = posted_at
                    self.note(out, summary)
                    self.end(True)
                    self.start("response")
                status_line = f"{response.status_code} {response.reason_phrase}".strip()
                if "response-headers" not in self.seen:
                    self.note(inn, status_line)
                data = bytearray()
                try:
                    async for chunk in response.aiter_bytes():
                        data += chunk
                        if len(data) >= BODY_READ_LIMIT:
                            break
                except httpx.HTTPError as exc:
                    # The status is what counts (any 2xx: accepted); only the body is cut.
                    self.note("**", f"the rest of the answer could not be read ({exc})")
            finally:
                await response.aclose()
        return self._outcome(response, bytes(data), status_line, inn)

    def _outcome(
        self, response: httpx.Response, data: bytes, status_line: str, inn: Direction
    ) -> SendFinished:
        status = response.status_code
        shown = shorten_body(data, response.headers.get("content-type", ""))
        if shown:
            self.note(inn, shown)
        if 200 <= status < 300:
            self.end(True, status_line)
            return SendFinished(
                ok=True,
                total_ms=self.total_ms(),
                reply=f"{status_line}: {shown}" if shown else status_line,
                recipients=(self.outgoing.to.strip(),),
            )
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            target = ""
            if location:
                try:
                    target = str(response.request.url.join(location))
                except httpx.InvalidURL:
                    target = location
            plain = target.lower().startswith("http://")
            self.note(
                "**",
                f"redirect to {target or '(no address)'} not followed"
                + (": it is not encrypted" if plain else ""),
            )
            raise self.fail(
                FailureKind.HTTP,
                code=status,
                reply=f"{status_line}; {REDIRECT_MARK}{target}" if target else status_line,
                detail="redirects are not followed",
            )
        raise self.fail(
            FailureKind.HTTP,
            code=status,
            reply=f"{status_line}: {shown}" if shown else status_line,
        )

    # -- before the network

    def _check_url(self) -> httpx.URL:
        self.start("resolve")
        raw = self.settings.http.url.strip()
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise self.fail(
                FailureKind.HTTP, reply="the relay URL is not valid", detail=str(exc)
            ) from None
        if url.query:
            self.secret_parts.append(url.query.decode("ascii", "replace"))
        if url.userinfo:
            self.secret_parts.append(url.userinfo.decode("ascii", "replace"))
            raise self.fail(
                FailureKind.HTTP,
                reply="the relay URL contains a user name or password; mailwiz does not send "
                "credentials to a relay",
            )
        if url.scheme not in ("https", "http") or not url.host:
            raise self.fail(
                FailureKind.HTTP, reply="the relay URL must start with https:// and name a host"
            )
        self.secure = url.scheme == "https"
        if not self.secure and not is_loopback_host(url.host):
            raise self.fail(
                FailureKind.HTTP,
                reply="http:// (unencrypted) is allowed only for a relay on this computer; "
                "use https://",
            )
        self.host = url.host
        self.port = url.port or (443 if self.secure else 80)
        return url

    async def _resolve(self) -> None:
        try:
            infos = await self.loop.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except socket.gaierror as exc:
            raise self.fail(
                FailureKind.DNS, reply=f"{self.host}: {exc.strerror}", detail=str(exc)
            ) from None
        except UnicodeError as exc:
            raise self.fail(
                FailureKind.DNS, reply=f"{self.host}: not a valid name", detail=str(exc)
            ) from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self.secure and not all(is_loopback_host(a) for a in addresses):
            raise self.fail(
                FailureKind.HTTP,
                reply=f"{self.host} is not only this computer ({', '.join(addresses)}); "
                "http:// is allowed only for a local relay, use https://",
            )
        shown = ", ".join(addresses[:4]) + (" ..." if len(addresses) > 4 else "")
        self.note("**", f"{self.host} is {shown}")
        self.end(True, shown)

    # -- what httpcore reports

    def _on_trace(
        self, name: str, info: dict[str, Any], summary: str, out: Direction, inn: Direction
    ) -> None:
        _, _, event = name.partition(".")
        if event == "connect_tcp.started":
            self.start("connect")
        elif event == "connect_tcp.complete":
            if hasattr(info.get("return_value"), "aclose"):
                self.streams.append(info["return_value"])
            where = _peer(info.get("return_value"))
            if where:
                self.note("**", f"connected to {where}")
            self.end(True, where)
        elif event == "start_tls.started":
            self.start("tls")
        elif event == "start_tls.complete":
            sslobj = _extra(info.get("return_value"), "ssl_object")
            text = ""
            if isinstance(sslobj, ssl.SSLObject):
                cipher = sslobj.cipher()
                text = f"{sslobj.version()} {cipher[0] if cipher else ''}".strip()
                self.note("**", f"{text}, certificate verified for {self.host}")
            self.end(True, text)
        elif event == "send_request_headers.started":
            self.start("post")
            self.note(out, summary)
        elif event == "send_request_body.complete":
            self.end(True)
        elif event == "send_request_body.failed":
            self.end(False, "the relay closed the connection before the whole message was sent")
        elif event == "receive_response_headers.started":
            self.start("response")
        elif event == "receive_response_headers.complete":
            value = info.get("return_value")
            if isinstance(value, tuple) and len(value) >= 3:
                reason = value[2].decode("latin-1", "replace") if value[2] else ""
                self.seen.add("response-headers")
                self.note(inn, f"{value[1]} {reason}".strip())

    # -- errors

    async def _map_error(self, exc: BaseException) -> _Stop:
        chain = list(_chain(exc))
        detail = f"{type(exc).__name__}: {exc}"
        for item in chain:
            if isinstance(item, ssl.SSLCertVerificationError):
                reason = item.verify_message or item.reason or str(item)
                cert = await self._probe_certificate(reason)
                return self.fail(
                    FailureKind.CERTIFICATE, reply=reason, detail=detail, certificate=cert
                )
        for item in chain:
            if isinstance(item, ssl.SSLError):
                return self.fail(FailureKind.TLS, reply=item.reason or str(item), detail=detail)
        for item in chain:
            if isinstance(item, socket.gaierror):
                return self.fail(FailureKind.DNS, reply=str(item), detail=detail)
        for item in chain:
            if isinstance(item, ConnectionRefusedError) or (
                isinstance(item, OSError)
                and item.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH)
            ):
                return self.fail(FailureKind.REFUSED, reply=_os_text(item), detail=detail)
        if isinstance(exc, httpx.TimeoutException):
            return self.fail(FailureKind.TIMEOUT, detail=detail)
        if isinstance(exc, httpx.ConnectError) or self.stage == "connect":
            return self.fail(FailureKind.REFUSED, reply=str(exc), detail=detail)
        if self.stage == "tls":
            return self.fail(FailureKind.TLS, reply=str(exc), detail=detail)
        if isinstance(exc, httpx.TransportError | httpx.DecodingError):
            return self.fail(
                FailureKind.HTTP,
                reply=f"the relay did not answer with valid HTTP ({exc})",
                detail=detail,
            )
        return self.fail(FailureKind.INTERNAL, detail=detail)

    async def _probe_certificate(self, reason: str) -> CertificateInfo:
        """Fetch the certificate that failed verification, only to describe it.

        A second handshake without verification; nothing is sent over it. Any problem (or
        more than CERT_PROBE_SECONDS) gives just the reason.
        """
        budget = min(CERT_PROBE_SECONDS, self.deadline - self.loop.time() - 0.1)
        if budget <= 0:
            return CertificateInfo(reason=reason)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        writer = None
        try:
            async with asyncio.timeout(budget):
                _, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=context, server_hostname=self.host
                )
                sslobj = writer.get_extra_info("ssl_object")
                der = sslobj.getpeercert(binary_form=True) if sslobj else None
        except (OSError, TimeoutError, ValueError):
            der = None
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1):
                        await writer.wait_closed()
        return certificate_info(der, reason) if der else CertificateInfo(reason=reason)


# --------------------------------------------------------------------------- small helpers


def _quote_name(value: str) -> str:
    """A name or file name inside a quoted Content-Disposition parameter (WHATWG form)."""
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the members of exception groups."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, BaseExceptionGroup):
            todo.extend(item.exceptions)
        if item.__cause__ is not None:
            todo.append(item.__cause__)
        if item.__context__ is not None:
            todo.append(item.__context__)


def _os_text(exc: OSError) -> str:
    return exc.strerror or str(exc)
