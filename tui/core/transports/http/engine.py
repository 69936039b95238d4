"""The generic HTTP send: one POST built by an API format, reported stage by stage.

It runs on the transports' shared parts (transports/stages.py): the StageRecorder emits
every event through one Redactor (the key in every form the format sends it, the URL's
query), Stop ends the send with a failure, one Deadline bounds it, stream_events runs it.

Stages: `resolve` (our own getaddrinfo, so a wrong name is told apart from a refused
connection), `connect` and `tls` (measured by httpcore's `trace` extension, so they are the
real TCP connect and TLS handshake), `post` (request line, headers and body written) and
`response` (status and body read). A stage the transport does not report is skipped, never
faked. One deadline, `settings.http.timeout`, covers the whole send; cancelling the task that
iterates ends it promptly and closes the connection.

Decisions, the same for every API:
- Redirects are never followed. The message is posted only to the URL the user entered and
  tested: a redirect to plain http is refused as unencrypted; a redirect to another https
  address fails too, naming the new address (a 301/302/303 would also turn the POST into a
  GET and lose the message).
- `https://` is verified with `tui.core.tls.system_context()` (hostname checked). `http://` is
  allowed only when the host is this computer (localhost or a loopback address, and every
  address it resolves to is loopback); anything else is refused before connecting.
- Environment proxies and .netrc are ignored (`trust_env=False`). A URL with a user name or
  password in it is refused; its query string (which may hold a key) is never shown, and
  neither is the API key in any of the forms the request carries it.
- Answers: 2xx accepted; 3xx not followed; 401/403 the key refused (AUTH, API_KEY_REFUSED,
  field password) when the format says the status means the key; 429 and 5xx temporary
  (TEMPORARY) for the provider APIs; any other status refused (HTTP) with the provider's
  own words in `reply`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import re
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from tui.core.events import (
    CertificateInfo,
    Direction,
    Failure,
    FailureKind,
    Reason,
    SendEvent,
)
from tui.core.hosts import is_loopback_host
from tui.core.keys import Key
from tui.core.message import Outgoing, human_size
from tui.core.redact import REDACTED, Redactor, redact_url
from tui.core.settings import Settings
from tui.core.tls import certificate_info, system_context
from tui.core.transports.http.api import ApiSettingsError, HttpApi, Request
from tui.core.transports.stages import (
    Deadline,
    Outcome,
    StageRecorder,
    Stop,
    stream_events,
    unreachable_reason,
)

#: How much of an answer is read, and how much of it is shown.
BODY_READ_LIMIT = 64 * 1024
REPLY_SHOWN = 300
#: The prefix before a redirect target in Failure.reply (the diagnosis reads it back).
REDIRECT_MARK = "Location: "
#: The longest wait for the certificate details after a verification failure.
CERT_PROBE_SECONDS = 5.0
#: What stands in for a secret in everything shown (the one marker of tui.core.redact).
MASK = REDACTED

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


async def send_with(
    api: HttpApi,
    settings: Settings,
    outgoing: Outgoing,
    key: str | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | None = None,
) -> AsyncIterator[SendEvent]:
    """POST `outgoing` in `api`'s format, yielding events as they happen.

    Ends with exactly one SendFinished; network problems never raise. `key` is the secret
    (the API key; the relay's optional bearer key). `transport` replaces httpx's (tests);
    `verify` replaces the default TLS context (tests trust their own CA with it).
    """
    redactor = Redactor(secrets=[key])
    redactor.add_url(settings.http.url.strip())
    job = _Send(api, settings, outgoing, key or None, redactor, transport, verify)
    async for event in stream_events(job.run, redactor, name=f"mailwiz-http-{api.name}"):
        yield event


def shorten_body(data: bytes, content_type: str = "", limit: int = REPLY_SHOWN) -> str:
    """An answer made fit to show: tags and control characters out, one line, short."""
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
    return one_line(text, limit)


def one_line(text: str, limit: int = REPLY_SHOWN) -> str:
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


# --------------------------------------------------------------------------- the send


class _Send:
    def __init__(
        self,
        api: HttpApi,
        settings: Settings,
        outgoing: Outgoing,
        key: str | None,
        redactor: Redactor,
        transport: httpx.AsyncBaseTransport | None,
        verify: ssl.SSLContext | None,
    ) -> None:
        self.api = api
        self.settings = settings
        self.outgoing = outgoing
        self.key = key
        self.redactor = redactor
        self.transport = transport
        self.verify = verify
        self.rec: StageRecorder | None = None
        self.deadline = Deadline(settings.http.timeout)
        self.seen: set[str] = set()  # stages (and "response-headers") reported so far
        self.secure = True
        self.host = ""
        self.port = 0
        self.streams: list[Any] = []  # every TCP stream opened, closed again at the end
        self.what = "relay" if api.name == "relay" else f"{api.title} API"

    # -- the shared recorder (transports/stages.py), with the stages this send has seen

    @property
    def recorder(self) -> StageRecorder:
        assert self.rec is not None, "used before run()"
        return self.rec

    @property
    def stage(self) -> str:
        return self.recorder.stage or ""

    def start(self, stage: str) -> None:
        self.seen.add(stage)
        self.recorder.begin(stage)

    def end(self, ok: bool, reply: str = "") -> None:
        self.recorder.end(reply, ok=ok)

    def note(self, direction: Direction, text: str) -> None:
        self.recorder.line(direction, text)

    def fail(self, kind: FailureKind, **kw: Any) -> Stop:
        rec = self.recorder
        return Stop(Failure(kind, rec.stage or rec.last_stage or "resolve", **kw))

    # -- the whole send

    async def run(self, rec: StageRecorder) -> Outcome:
        self.rec = rec
        try:
            async with self.deadline:
                return await self._send()
        except TimeoutError:
            if not self.deadline.expired:
                raise
            raise self.fail(
                FailureKind.TIMEOUT,
                detail=f"no answer within {self.settings.http.timeout:g} s",
                location=f"{self.host}:{self.port}" if self.host else "",
            ) from None
        finally:
            await self._close_leftovers()

    async def _close_leftovers(self) -> None:
        """Close connections httpcore may leave open: it does not close the TCP stream when
        the TLS handshake is cancelled (deadline or Cancel)."""
        for stream in self.streams:
            with contextlib.suppress(Exception):
                await stream.aclose()
        self.streams.clear()

    def _build(self, base: httpx.URL) -> Request:
        if self.api.key_required and not self.key:
            raise self.fail(
                FailureKind.NO_PASSWORD,
                field=Key.PASSWORD,
                reply=f"no API key for {self.api.title}: store it, or set MAILWIZ_PASSWORD",
            )
        try:
            request = self.api.build(base, self.settings, self.outgoing, self.key)
        except ApiSettingsError as exc:
            raise self.fail(
                FailureKind.HTTP, reason=Reason.SETTINGS, field=exc.field, reply=str(exc)
            ) from None
        self.redactor.add(self.key, forms=[part for part in request.secrets if part])
        return request

    async def _send(self) -> Outcome:
        request = self._build(self._check_url())
        await self._resolve()
        for text in request.notes:
            self.note("**", text)
        url = request.url
        path = url.raw_path.decode("ascii", "replace").split("?", 1)[0] or "/"
        if url.query:
            path += "?" + MASK
        summary = f"POST {path} ({request.summary}, {human_size(len(request.body))})"
        out: Direction = "~>" if self.secure else "->"
        inn: Direction = "<~" if self.secure else "<-"

        async def trace(name: str, info: dict[str, Any]) -> None:
            self._on_trace(name, info, summary, out, inn)

        headers = {"User-Agent": "mailwiz", "Accept": "*/*", **request.headers}
        transport = self.transport or httpx.AsyncHTTPTransport(
            verify=self.verify or system_context(), retries=0, trust_env=False
        )
        async with httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(None),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            built = client.build_request(
                "POST", url, content=request.body, headers=headers, extensions={"trace": trace}
            )
            try:
                response = await client.send(built, stream=True)
            except httpx.HTTPError as exc:
                raise await self._map_error(exc) from None
            try:
                if "post" not in self.seen:
                    # The transport reported nothing (not httpcore): one honest stage for the
                    # whole exchange instead of invented connect/tls timings.
                    self.start("post")
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

    # -- the answer

    def _words(self, response: httpx.Response, data: bytes) -> str:
        """The provider's own words for this answer, one short line."""
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            words = self.api.message(response.status_code, data, headers)
        except Exception:  # a format that cannot read an odd answer: show the body
            words = ""
        if words:
            return one_line(words)
        return shorten_body(data, headers.get("content-type", ""))

    def _outcome(
        self, response: httpx.Response, data: bytes, status_line: str, inn: Direction
    ) -> Outcome:
        status = response.status_code
        shown = self._words(response, data)
        if shown:
            self.note(inn, shown)
        reply = f"{status_line}: {shown}" if shown else status_line
        if 200 <= status < 300:
            self.end(True, status_line)
            return None, reply, (self.outgoing.to.strip(),)
        if 300 <= status < 400:
            raise self._redirect(response, status, status_line)
        key_sent = bool(self.key or self.api.key_required)
        if status in (401, 403) and key_sent and self.api.key_refused(status, data):
            raise self.fail(
                FailureKind.AUTH,
                code=status,
                reply=reply,
                reason=Reason.API_KEY_REFUSED,
                field=Key.PASSWORD,
                location=self.host,
            )
        if self.api.temporary_statuses and (status == 429 or status >= 500):
            raise self.fail(FailureKind.TEMPORARY, code=status, reply=reply, location=self.host)
        raise self.fail(FailureKind.HTTP, code=status, reply=reply, location=self.host)

    def _redirect(self, response: httpx.Response, status: int, status_line: str) -> Stop:
        location = response.headers.get("location", "")
        target = ""
        if location:
            try:
                target = str(response.request.url.join(location))
            except httpx.InvalidURL:
                target = location
            target = redact_url(target)  # its query may hold another key
        plain = target.lower().startswith("http://")
        self.note(
            "**",
            f"redirect to {target or '(no address)'} not followed"
            + (": it is not encrypted" if plain else ""),
        )
        return self.fail(
            FailureKind.HTTP,
            code=status,
            reply=f"{status_line}; {REDIRECT_MARK}{target}" if target else status_line,
            detail="redirects are not followed",
            location=target,
        )

    # -- before the network

    def _check_url(self) -> httpx.URL:
        self.start("resolve")
        raw = self.settings.http.url.strip() or self.api.default_url
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise self.fail(
                FailureKind.HTTP,
                field=Key.URL,
                reply=f"the {self.what} URL is not valid",
                detail=f"{type(exc).__name__} for {redact_url(raw)}",  # never the raw URL
            ) from None
        if url.query:  # its values, and the whole of a bare "?KEY"
            self.redactor.add(url.query.decode("ascii", "replace"))
        if url.userinfo:
            self.redactor.add(url.userinfo.decode("ascii", "replace"))
            raise self.fail(
                FailureKind.HTTP,
                field=Key.URL,
                reply=f"the {self.what} URL contains a user name or password; mailwiz does "
                "not send credentials inside a URL",
            )
        if url.scheme not in ("https", "http") or not url.host:
            raise self.fail(
                FailureKind.HTTP,
                field=Key.URL,
                reply=f"the {self.what} URL must start with https:// and name a host",
            )
        self.secure = url.scheme == "https"
        if not self.secure and not is_loopback_host(url.host):
            raise self.fail(
                FailureKind.HTTP,
                field=Key.URL,
                reply="http:// (unencrypted) is allowed only for a relay on this computer; "
                "use https://",
            )
        self.host = url.host
        self.port = url.port or (443 if self.secure else 80)
        return url

    async def _resolve(self) -> None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
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
        # The name said "this computer"; the addresses must agree (a hosts file or a DNS
        # answer could send "x.localhost" elsewhere, in clear).
        if not self.secure and not all(is_loopback_host(a) for a in addresses):
            raise self.fail(
                FailureKind.HTTP,
                field=Key.URL,
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
            self.end(False, f"the {self.what} closed the connection before the whole message")
        elif event == "receive_response_headers.started":
            self.start("response")
        elif event == "receive_response_headers.complete":
            value = info.get("return_value")
            if isinstance(value, tuple) and len(value) >= 3:
                reason = value[2].decode("latin-1", "replace") if value[2] else ""
                self.seen.add("response-headers")
                self.note(inn, f"{value[1]} {reason}".strip())

    # -- errors

    async def _map_error(self, exc: BaseException) -> Stop:
        chain = list(_chain(exc))
        detail = f"{type(exc).__name__}: {exc}"
        where = f"{self.host}:{self.port}"
        for item in chain:
            if isinstance(item, ssl.SSLCertVerificationError):
                reason = item.verify_message or item.reason or str(item)
                cert = await self._probe_certificate(reason)
                return self.fail(
                    FailureKind.CERTIFICATE,
                    reply=reason,
                    detail=detail,
                    certificate=cert,
                    location=where,
                )
        for item in chain:
            if isinstance(item, ssl.SSLError):
                return self.fail(
                    FailureKind.TLS, reply=item.reason or str(item), detail=detail, location=where
                )
        for item in chain:
            if isinstance(item, socket.gaierror):
                return self.fail(FailureKind.DNS, reply=str(item), detail=detail)
        for item in chain:
            if isinstance(item, ConnectionRefusedError) or (
                isinstance(item, OSError)
                and item.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH)
            ):
                return self.fail(
                    FailureKind.REFUSED,
                    reply=_os_text(item),
                    detail=detail,
                    location=where,
                    reason=unreachable_reason(item),
                )
        if isinstance(exc, httpx.TimeoutException):
            return self.fail(FailureKind.TIMEOUT, detail=detail, location=where)
        if isinstance(exc, httpx.ConnectError) or self.stage == "connect":
            return self.fail(FailureKind.REFUSED, reply=str(exc), detail=detail, location=where)
        if self.stage == "tls":
            return self.fail(FailureKind.TLS, reply=str(exc), detail=detail, location=where)
        if isinstance(exc, httpx.TransportError | httpx.DecodingError):
            return self.fail(
                FailureKind.HTTP,
                reply=f"the {self.what} did not answer with valid HTTP ({exc})",
                detail=detail,
            )
        return self.fail(FailureKind.INTERNAL, detail=detail)

    async def _probe_certificate(self, reason: str) -> CertificateInfo:
        """Fetch the certificate that failed verification, only to describe it.

        A second handshake without verification; nothing is sent over it. Any problem (or
        more than CERT_PROBE_SECONDS) gives just the reason.
        """
        budget = self.deadline.cap(CERT_PROBE_SECONDS, margin=0.1)
        if budget <= 0.05:
            return CertificateInfo(reason=reason)
        context = system_context()
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
