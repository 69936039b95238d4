"""Local stand-ins for the providers' HTTP APIs, strict the way the real ones are.

Each checks the path, the authentication and the required fields as the provider documents
them, and answers as the provider does: 200/202 with an id, 401 (403) for a wrong key, 4xx
with the provider's own error body for a message it cannot take, 429 and 5xx on demand.
Run them over TLS with a trustme certificate (the real APIs are https only).

    with serve_api("postmark", context=tls) as api:
        ... api.port, api.received (every request as the socket saw it)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

KEY = "key-T0p-s3cret-API-value"
MAILGUN_DOMAIN = "mg.example.org"
VERIFIED_SENDERS = ("shop@example.org",)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> list[tuple[str, dict[str, str], bytes]]:
        return parse_form(self.headers.get("content-type", ""), self.body)


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, data: object, **headers: str) -> Answer:
    return Answer(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
    )


def parse_form(content_type: str, body: bytes) -> list[tuple[str, dict[str, str], bytes]]:
    """multipart/form-data as [(name, part headers incl. filename, bytes)]; ValueError if bad."""
    if "boundary=" not in content_type or not content_type.startswith("multipart/form-data"):
        raise ValueError("not multipart/form-data")
    boundary = content_type.split("boundary=", 1)[1].strip().encode()
    chunks = body.split(b"--" + boundary)
    if chunks[0] != b"" or chunks[-1] != b"--\r\n":
        raise ValueError("bad multipart framing")
    parts = []
    for chunk in chunks[1:-1]:
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        params = {}
        for item in headers.get("content-disposition", "").split(";")[1:]:
            k, _, v = item.strip().partition("=")
            params[k] = v.strip('"')
        headers.update({f"param:{k}": v for k, v in params.items()})
        parts.append((params.get("name", ""), headers, data))
    return parts


def _address(mailbox: str) -> str:
    return mailbox.rpartition("<")[2].rstrip(">").strip() if "<" in mailbox else mailbox.strip()


def _b64_ok(text: object) -> bool:
    try:
        base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- the four APIs


def postmark(seen: Seen) -> Answer:
    if seen.path != "/email":
        return _json(404, {"ErrorCode": 404, "Message": "Not found"})
    if seen.headers.get("x-postmark-server-token") != KEY:
        return _json(
            401,
            {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."},
        )
    if (
        "application/json" not in seen.headers.get("accept", "")
        or seen.headers.get("content-type", "").split(";")[0] != "application/json"
    ):
        return _json(415, {"ErrorCode": 0, "Message": "Send JSON with Accept: application/json"})
    try:
        data = seen.json()
    except ValueError:
        return _json(422, {"ErrorCode": 402, "Message": "Received invalid JSON input."})
    for name in ("From", "To", "Subject"):
        if not data.get(name):
            return _json(422, {"ErrorCode": 300, "Message": f"Invalid email request: no {name}"})
    if not (data.get("TextBody") or data.get("HtmlBody")):
        return _json(
            422, {"ErrorCode": 300, "Message": "Provide either email TextBody or HtmlBody or both."}
        )
    for item in data.get("Attachments", []):
        if not (item.get("Name") and item.get("ContentType") and _b64_ok(item.get("Content"))):
            return _json(422, {"ErrorCode": 300, "Message": "Invalid attachment content"})
    if _address(data["From"]) not in VERIFIED_SENDERS:
        return _json(
            422,
            {
                "ErrorCode": 400,
                "Message": f"The 'From' address you supplied ({data['From']}) is not a Sender "
                "Signature on your account. Please add and confirm this address.",
            },
        )
    return _json(
        200,
        {
            "To": data["To"],
            "SubmittedAt": "2026-12-03T08:00:00Z",
            "MessageID": str(uuid.uuid4()),
            "ErrorCode": 0,
            "Message": "OK",
        },
    )


def mailgun(seen: Seen) -> Answer:
    parts = seen.path.split("/")
    if len(parts) != 4 or parts[1] != "v3" or parts[3] != "messages":
        return Answer(404, b"404 page not found", {"Content-Type": "text/plain"})
    expected = "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
    if seen.headers.get("authorization") != expected:
        return Answer(401, b"Forbidden", {"Content-Type": "text/plain"})
    if parts[2] != MAILGUN_DOMAIN:
        return _json(404, {"message": f"Domain not found: {parts[2]}"})
    try:
        form = seen.form()
    except ValueError:
        return _json(400, {"message": "Expected multipart/form-data"})
    values = {
        name: data.decode() for name, headers, data in form if "param:filename" not in headers
    }
    for name in ("from", "to", "subject"):
        if not values.get(name):
            return _json(400, {"message": f"'{name}' parameter is missing"})
    if not (values.get("text") or values.get("html")):
        return _json(
            400,
            {"message": "Need at least one of 'text', 'html' or 'template' parameters specified"},
        )
    return _json(
        200, {"id": f"<{uuid.uuid4().hex}@{MAILGUN_DOMAIN}>", "message": "Queued. Thank you."}
    )


def sendgrid(seen: Seen) -> Answer:
    if seen.path != "/v3/mail/send":
        return _json(404, {"errors": [{"message": "not found", "field": None, "help": None}]})
    if seen.headers.get("authorization") != f"Bearer {KEY}":
        return _json(
            401,
            {
                "errors": [
                    {
                        "message": "The provided authorization grant is invalid, expired, "
                        "or revoked",
                        "field": None,
                        "help": None,
                    }
                ]
            },
        )
    try:
        data = seen.json()
    except ValueError:
        return _json(400, {"errors": [{"message": "Bad Request", "field": None, "help": None}]})

    def bad(message: str, where: str) -> Answer:
        return _json(400, {"errors": [{"message": message, "field": where, "help": None}]})

    people = data.get("personalizations")
    if not people or not all(p.get("to") and all(t.get("email") for t in p["to"]) for p in people):
        return bad(
            "The to array is required for all personalization objects", "personalizations.0.to"
        )
    if not data.get("from", {}).get("email"):
        return bad("The from object must be provided for every email send.", "from.email")
    if not data.get("subject"):
        return bad("The subject is required.", "subject")
    content = data.get("content") or []
    if not content or not all(c.get("type") and c.get("value") for c in content):
        return bad(
            "The content value must be a string at least one character in length.",
            "content.0.value",
        )
    types = [c["type"] for c in content]
    if "text/plain" in types and types[0] != "text/plain":
        return bad("The text/plain content type must be first.", "content.0.type")
    for item in data.get("attachments", []):
        if not (item.get("filename") and _b64_ok(item.get("content"))):
            return bad("The attachment content must be base64 encoded.", "attachments.0.content")
    if data["from"]["email"] not in VERIFIED_SENDERS:
        return _json(
            403,
            {
                "errors": [
                    {
                        "message": "The from address does not match a verified Sender Identity. "
                        "Mail cannot be sent until this error is resolved.",
                        "field": "from",
                        "help": "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/",
                    }
                ]
            },
        )
    return Answer(202, b"", {"X-Message-Id": uuid.uuid4().hex[:22]})


def resend(seen: Seen) -> Answer:
    if seen.path != "/emails":
        return _json(404, {"statusCode": 404, "name": "not_found", "message": "not found"})
    auth = seen.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        return _json(
            401,
            {
                "statusCode": 401,
                "name": "missing_api_key",
                "message": "Missing API key in the authorization header.",
            },
        )
    if auth != f"Bearer {KEY}":
        # As Resend answers today: 401 validation_error (the invalid_api_key name is gone).
        return _json(
            401, {"statusCode": 401, "name": "validation_error", "message": "API key is invalid"}
        )
    try:
        data = seen.json()
    except ValueError:
        return _json(
            400, {"statusCode": 400, "name": "validation_error", "message": "Invalid JSON"}
        )
    for name in ("from", "to", "subject"):
        if not data.get(name):
            return _json(
                422,
                {
                    "statusCode": 422,
                    "name": "missing_required_field",
                    "message": f"Missing `{name}` field.",
                },
            )
    if not (data.get("html") or data.get("text")):
        return _json(
            422,
            {
                "statusCode": 422,
                "name": "validation_error",
                "message": "Missing `html` or `text` field.",
            },
        )
    for item in data.get("attachments", []):
        if not (item.get("filename") and _b64_ok(item.get("content"))):
            return _json(
                422,
                {"statusCode": 422, "name": "validation_error", "message": "Invalid attachment"},
            )
    sender = _address(data["from"])
    if sender not in VERIFIED_SENDERS:
        domain = sender.rpartition("@")[2]
        return _json(
            403,
            {
                "statusCode": 403,
                "name": "validation_error",
                "message": f"The {domain} domain is not verified. Please, add and verify "
                "your domain on https://resend.com/domains",
            },
        )
    return _json(200, {"id": str(uuid.uuid4())})


RELAY_FIELDS = ("from", "reply_to", "to", "subject", "body", "from_address")


def _relay_form(seen: Seen) -> Answer | None:
    """The original relay format: POST /send, multipart with its fields in order."""
    if seen.path != "/send":
        return Answer(404, b"not found", {"Content-Type": "text/plain"})
    try:
        names = [name for name, _, _ in seen.form()]
    except ValueError:
        return Answer(400, b"expected multipart/form-data", {"Content-Type": "text/plain"})
    if tuple(names[: len(RELAY_FIELDS)]) != RELAY_FIELDS:
        return Answer(400, b"missing or misplaced fields", {"Content-Type": "text/plain"})
    return None


def relay(seen: Seen) -> Answer:
    """A relay that takes a key: without `Authorization: Bearer KEY` it answers 401, never
    saying what it expected but (carelessly, as some do) repeating what it was sent."""
    auth = seen.headers.get("authorization") or ""
    if auth != f"Bearer {KEY}":
        got = auth.removeprefix("Bearer ") or "(none)"
        return _json(401, {"error": f"invalid key: {got}"}, **{"WWW-Authenticate": "Bearer"})
    return _relay_form(seen) or _json(200, {"ok": True, "id": str(uuid.uuid4())})


def open_relay(seen: Seen) -> Answer:
    """A relay that takes no key (one on this computer or a private network)."""
    return _relay_form(seen) or _json(200, {"ok": True, "id": str(uuid.uuid4())})


CHECKS: dict[str, Callable[[Seen], Answer]] = {
    "relay": relay,
    "open-relay": open_relay,
    "postmark": postmark,
    "mailgun": mailgun,
    "sendgrid": sendgrid,
    "resend": resend,
}

#: What each API answers when it is busy, as the provider words it.
BUSY: dict[str, Answer] = {
    "postmark": _json(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}),
    "mailgun": _json(429, {"message": "Too many requests"}),
    "sendgrid": _json(
        429, {"errors": [{"message": "too many requests", "field": None, "help": None}]}
    ),
    "resend": _json(
        429,
        {
            "statusCode": 429,
            "name": "rate_limit_exceeded",
            "message": "Too many requests. You can only make 2 requests per second.",
        },
    ),
}


# --------------------------------------------------------------------------- the server


class TlsHttpServer(ThreadingHTTPServer):
    """A threading HTTP server on 127.0.0.1 (a free port), over TLS when given a context.
    Errors from clients are not printed: one that rejects the certificate is expected in
    some tests."""

    daemon_threads = True

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        if context is not None:
            self.socket = context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class ApiServer(TlsHttpServer):
    """One API stand-in. Like Resend, it honours an `Idempotency-Key`: a request with a key
    it has accepted before sends nothing again and gets the first answer back. `late`
    requests (the first ones) are taken, then answered only once `release` is set (after
    the client's deadline): the provider that sends the mail but answers too late."""

    def __init__(self, api: str, context: ssl.SSLContext | None) -> None:
        super().__init__(_Handler, context)
        self.check = CHECKS[api]
        self.api = api
        self.received: list[Seen] = []
        self.forced: Answer | None = None  # answer this instead (429, 500...)
        self.sent: list[Seen] = []  # the mails really sent (each accepted request, once)
        self.replays: dict[str, Answer] = {}
        self.late = 0
        self.release = threading.Event()

    def answer(self, seen: Seen) -> Answer:
        key = seen.headers.get("idempotency-key", "")
        if key and key in self.replays:
            return self.replays[key]
        answer = self.forced or self.check(seen)
        if 200 <= answer.status < 300:
            self.sent.append(seen)
            if key:
                self.replays[key] = answer
        return answer

    def server_close(self) -> None:
        self.release.set()
        super().server_close()


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen = Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        server = self.server
        server.received.append(seen)
        answer = server.answer(seen)
        if len(server.received) <= server.late:
            server.release.wait(30)
        self._answer(answer)

    def do_GET(self) -> None:
        self._answer(Answer(405, b"Method Not Allowed", {"Content-Type": "text/plain"}))

    def _answer(self, answer: Answer) -> None:
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)


Served = TypeVar("Served", bound=ThreadingHTTPServer)


@contextlib.contextmanager
def serving(server: Served) -> Iterator[Served]:
    """Serve in a thread for the block; shut down and closed after it, whatever ends it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serve_api(
    api: str, context: ssl.SSLContext | None = None
) -> contextlib.AbstractContextManager[ApiServer]:
    return serving(ApiServer(api, context))
