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
- Answers (classify.py, one rule for all): 2xx accepted; 3xx not followed; 401 the key
  refused, 403 too unless its words are about the sender; 429 and 5xx temporary (exit 20);
  any other status refused (exit 21) with the provider's own words in `reply`.
- At most once where the API allows it: an API that takes an idempotency key (Resend's
  `Idempotency-Key`) gets `Outgoing.send_id`, the same for every try of one queued message,
  so a retry after an answer that came too late is not a second mail.

The package, by job: session (the live state), preflight (URL, request, resolve), request
(the POST and its traced stages), classify (answer or error -> Failure), probes (the
certificate fetched again to describe it). The format modules (relay, postmark, ...) only
build requests and read answers (api.py).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator

import httpx

from tui.core.events import FailureKind, SendEvent
from tui.core.http_apis import say
from tui.core.message import Outgoing
from tui.core.redact import Redactor
from tui.core.settings import Settings
from tui.core.transports.http import classify, preflight
from tui.core.transports.http.api import HttpApi
from tui.core.transports.http.request import post
from tui.core.transports.http.session import HttpSession
from tui.core.transports.stages import Outcome, StageRecorder, stream_events


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
    session = HttpSession(api, settings, outgoing, key or None, redactor, transport, verify)
    async for event in stream_events(
        lambda rec: run(session, rec), redactor, name=f"mailwiz-http-{api.name}"
    ):
        yield event


async def run(s: HttpSession, rec: StageRecorder) -> Outcome:
    """The whole send under the one deadline; connections left open are closed after."""
    s.rec = rec
    try:
        async with s.deadline:
            request = preflight.build(s, preflight.check_url(s))
            await preflight.resolve(s)
            for text in request.notes:
                s.note("**", text)
            answer = await post(s, request)
            return classify.outcome(s, answer.response, answer.body, answer.status_line)
    except TimeoutError:
        if not s.deadline.expired:
            raise
        raise s.fail(
            FailureKind.TIMEOUT,
            detail=say("timeout", seconds=s.settings.http.timeout),
            location=s.where,
        ) from None
    finally:
        await _close_leftovers(s)


async def _close_leftovers(s: HttpSession) -> None:
    """Close connections httpcore may leave open: it does not close the TCP stream when the
    TLS handshake is cancelled (deadline or Cancel)."""
    for stream in s.streams:
        with contextlib.suppress(Exception):
            await stream.aclose()
    s.streams.clear()
