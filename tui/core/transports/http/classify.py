"""Answer -> outcome, error -> Failure: one rule for the relay and every API.

- 2xx: accepted.
- 3xx: not followed (the message goes only to the URL the user entered and tested); a
  redirect to plain http is named as unencrypted, any other names its target.
- 401, once a key was sent: the key (AUTH, API_KEY_REFUSED, field password, exit 16).
  403, once a key was sent: the key too, unless its words are about the sender (an address
  or domain not verified at the provider: Resend and SendGrid answer that with 403).
- 429 and every 5xx from an API: temporary (TEMPORARY, exit 20). From the relay, any
  non-2xx is its refusal (HTTP, exit 21: the contract of the original relay); the queue
  retries the relay's 5xx all the same.
- Any other status: refused (HTTP, exit 21), with the provider's own words in `reply`.
- Network errors (httpx's, and what they wrap) map to DNS, REFUSED, TIMEOUT, TLS,
  CERTIFICATE (with the certificate fetched again to describe it), or HTTP for an answer
  that is not HTTP.
"""

from __future__ import annotations

import errno
import html
import re
import socket
import ssl
from collections.abc import Iterator

import httpx

from tui.core.events import Failure, FailureKind, Reason
from tui.core.http_apis import say
from tui.core.keys import Key
from tui.core.redact import redact_url
from tui.core.transports.http.probes import probe_certificate
from tui.core.transports.http.session import HttpSession
from tui.core.transports.stages import Outcome, Stop, unreachable_reason

#: How much of an answer is shown.
REPLY_SHOWN = 300
#: The prefix before a redirect target in Failure.reply (the diagnosis reads it back).
REDIRECT_MARK = "Location: "

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
#: Words of a 403 that is about the sender (or who may be sent to), not the key.
_SENDER_WORDS = (
    "sender identity",
    "from address",
    "'from' address",
    "sender signature",
    "domain is not verified",
    "not verified",
    "verify your domain",
    "not allowed to send",
)


def is_temporary(status: int) -> bool:
    """429 (slow down) and any 5xx (the server's own trouble): try again later."""
    return status == 429 or 500 <= status < 600


def about_sender(words: str) -> bool:
    """Whether a refusal's words are about the sender (an unverified address or domain)."""
    text = words.lower()
    return any(marker in text for marker in _SENDER_WORDS)


def key_refused(status: int, words: str) -> bool:
    """Whether a 401/403 means the key: a 401 always; a 403 unless it is about the sender."""
    return status == 401 or (status == 403 and not about_sender(words))


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


def words_of(s: HttpSession, response: httpx.Response, data: bytes) -> str:
    """The provider's own words for this answer, one short line."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    try:
        words = s.api.message(response.status_code, data, headers)
    except Exception:  # a format that cannot read an odd answer: show the body
        words = ""
    if words:
        return one_line(words)
    return shorten_body(data, headers.get("content-type", ""))


def outcome(s: HttpSession, response: httpx.Response, data: bytes, status_line: str) -> Outcome:
    """Accepted (the send's Outcome), or a Stop with the Failure this answer means."""
    status = response.status_code
    shown = words_of(s, response, data)
    if shown:
        s.note("<~" if s.secure else "<-", shown)
    reply = f"{status_line}: {shown}" if shown else status_line
    if 200 <= status < 300:
        s.end(True, status_line)
        return None, reply, (s.outgoing.to.strip(),)
    if 300 <= status < 400:
        raise redirect(s, response, status, status_line)
    key_sent = bool(s.key or s.api.key_required)
    if status in (401, 403) and key_sent and key_refused(status, shown):
        raise s.fail(
            FailureKind.AUTH,
            code=status,
            reply=reply,
            reason=Reason.API_KEY_REFUSED,
            field=Key.PASSWORD,
            location=s.host,
        )
    temporary = s.api.facts.temporary_statuses and is_temporary(status)
    kind = FailureKind.TEMPORARY if temporary else FailureKind.HTTP
    raise s.fail(kind, code=status, reply=reply, location=s.host)


def redirect(s: HttpSession, response: httpx.Response, status: int, status_line: str) -> Stop:
    location = response.headers.get("location", "")
    target = ""
    if location:
        try:
            target = str(response.request.url.join(location))
        except httpx.InvalidURL:
            target = location
        target = redact_url(target)  # its query may hold another key
    plain = target.lower().startswith("http://")
    s.note(
        "**",
        say(
            "redirect",
            target=target or say("redirect-nowhere"),
            plain=say("redirect-plain") if plain else "",
        ),
    )
    return s.fail(
        FailureKind.HTTP,
        code=status,
        reply=f"{status_line}; {REDIRECT_MARK}{target}" if target else status_line,
        detail=say("redirect-detail"),
        location=target,
    )


async def map_error(s: HttpSession, exc: BaseException) -> Stop:
    """The Failure an httpx error means, by what it wraps (certificate, TLS, DNS, refused),
    else by the stage it happened in."""
    chain = list(_chain(exc))
    detail = f"{type(exc).__name__}: {exc}"
    where = s.where
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            reason = item.verify_message or item.reason or str(item)
            cert = await probe_certificate(s, reason)
            return s.fail(
                FailureKind.CERTIFICATE,
                reply=reason,
                detail=detail,
                certificate=cert,
                location=where,
            )
    failure = _network_failure(s, chain, detail)
    if failure is not None:
        return Stop(failure)
    if isinstance(exc, httpx.TimeoutException):
        return s.fail(FailureKind.TIMEOUT, detail=detail, location=where)
    if isinstance(exc, httpx.ConnectError) or s.stage == "connect":
        return s.fail(FailureKind.REFUSED, reply=str(exc), detail=detail, location=where)
    if s.stage == "tls":
        return s.fail(FailureKind.TLS, reply=str(exc), detail=detail, location=where)
    if isinstance(exc, httpx.TransportError | httpx.DecodingError):
        return s.fail(
            FailureKind.HTTP,
            reply=say("not-http", what=s.what, error=exc),
            detail=detail,
        )
    return s.fail(FailureKind.INTERNAL, detail=detail)


def _network_failure(s: HttpSession, chain: list[BaseException], detail: str) -> Failure | None:
    """TLS, DNS or refused, when the chain holds the OS's own error for it."""
    where = s.where
    for item in chain:
        if isinstance(item, ssl.SSLError):
            return s.fail(
                FailureKind.TLS, reply=item.reason or str(item), detail=detail, location=where
            ).failure
    for item in chain:
        if isinstance(item, socket.gaierror):
            return s.fail(FailureKind.DNS, reply=str(item), detail=detail).failure
    for item in chain:
        if isinstance(item, ConnectionRefusedError) or (
            isinstance(item, OSError)
            and item.errno in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH)
        ):
            return s.fail(
                FailureKind.REFUSED,
                reply=item.strerror or str(item),
                detail=detail,
                location=where,
                reason=unreachable_reason(item),
            ).failure
    return None


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
