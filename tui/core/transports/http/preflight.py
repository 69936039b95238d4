"""Before the POST: the URL checked, the request built, the host resolved.

- `check_url`: the URL (settings.http.url, else the API's default) must parse, be https (or
  http:// for this computer only), carry no user name or password; its query (which may
  hold a key) is added to the redactor. Never shows the raw URL.
- `build`: the key is required by every API but the relay, and must be plain printable
  ASCII (it goes in a header); the format builds the request; every form of the key it
  carries is added to the redactor; an API that takes an idempotency key gets the message's
  `send_id` in its header.
- `resolve`: our own getaddrinfo, so a wrong name is told apart from a refused connection;
  for http:// every address must be this computer (all, not any: a DNS answer that mixes a
  loopback and a public address would send the message in clear to the public one).
"""

from __future__ import annotations

import asyncio
import socket

import httpx

from tui.core.events import FailureKind, Reason
from tui.core.hosts import is_loopback_host
from tui.core.http_apis import key_problem, say
from tui.core.keys import Key
from tui.core.redact import redact_url
from tui.core.transports.http.api import ApiSettingsError, Request
from tui.core.transports.http.session import HttpSession


def check_url(s: HttpSession) -> httpx.URL:
    """The URL to post to, checked; sets `s.secure`, `s.host` and `s.port`."""
    s.start("resolve")
    raw = s.settings.http.url.strip() or s.api.default_url
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise s.fail(
            FailureKind.HTTP,
            field=Key.URL,
            reply=say("url-invalid", what=s.what),
            detail=f"{type(exc).__name__} for {redact_url(raw)}",  # never the raw URL
        ) from None
    if url.query:  # its values, and the whole of a bare "?KEY"
        s.redactor.add(url.query.decode("ascii", "replace"))
    if url.userinfo:
        s.redactor.add(url.userinfo.decode("ascii", "replace"))
        raise _url_refused(s, say("url-credentials", what=s.what))
    if url.scheme not in ("https", "http") or not url.host:
        raise _url_refused(s, say("url-scheme", what=s.what))
    s.secure = url.scheme == "https"
    if not s.secure and not is_loopback_host(url.host):
        raise _url_refused(s, say("url-plain"))
    s.host = url.host
    s.port = url.port or (443 if s.secure else 80)
    return url


def _url_refused(s: HttpSession, reply: str) -> Exception:
    return s.fail(FailureKind.HTTP, field=Key.URL, reply=reply)


def build(s: HttpSession, base: httpx.URL) -> Request:
    """The format's request for `base`, with every form of the key known to the redactor."""
    api = s.api
    if api.key_required and not s.key:
        raise s.fail(
            FailureKind.NO_PASSWORD,
            field=Key.PASSWORD,
            reply=say("no-key", title=api.title),
        )
    problem = key_problem(s.key or "")
    if problem:
        # The key cannot go in a header: the key is wrong (exit 16), said before connecting.
        raise s.fail(FailureKind.AUTH, field=Key.PASSWORD, reason=Reason.SETTINGS, reply=problem)
    try:
        request = api.build(base, s.settings, s.outgoing, s.key)
    except ApiSettingsError as exc:
        raise s.fail(
            FailureKind.HTTP, reason=Reason.SETTINGS, field=exc.field, reply=str(exc)
        ) from None
    s.redactor.add(s.key, forms=[part for part in request.secrets if part])
    header = api.facts.idempotency_header
    send_id = s.outgoing.send_id
    if header and send_id:
        request = Request(
            url=request.url,
            headers={**request.headers, header: send_id},
            body=request.body,
            summary=request.summary,
            secrets=request.secrets,
            notes=(*request.notes, say("idempotency", header=header, send_id=send_id)),
        )
    return request


async def resolve(s: HttpSession) -> None:
    """Resolve the host (the `resolve` stage, begun by check_url)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            s.host, s.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except socket.gaierror as exc:
        raise s.fail(FailureKind.DNS, reply=f"{s.host}: {exc.strerror}", detail=str(exc)) from None
    except UnicodeError as exc:
        raise s.fail(
            FailureKind.DNS, reply=say("name-invalid", host=s.host), detail=str(exc)
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    # The name said "this computer"; every address must agree (a hosts file or a DNS answer
    # could send "x.localhost" elsewhere, in clear).
    if not s.secure and not all(is_loopback_host(a) for a in addresses):
        raise _url_refused(s, say("not-only-here", host=s.host, addresses=", ".join(addresses)))
    shown = ", ".join(addresses[:4]) + (" ..." if len(addresses) > 4 else "")
    s.note("**", say("resolved", host=s.host, addresses=shown))
    s.end(True, shown)
