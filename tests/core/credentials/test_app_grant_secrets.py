"""An app's own sign-in (client credentials, JWT bearer) sends a secret in every request: the
client secret, or a signed assertion. A token endpoint that repeats the request in its error
must not make mailwiz print it, in any form (issue 22, item 1)."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from tests.api_servers import TlsHttpServer, serving
from tui.core.credentials.app_grants import post_token_request
from tui.core.credentials.tokens import TokenError

SECRET = "Qx8~app+secret/with=odd&chars"


class Echoing(BaseHTTPRequestHandler):
    """Refuses every request, repeating it: the body, and its secret decoded and encoded."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        said = f"bad request {body} ({SECRET}, {base64.b64encode(SECRET.encode()).decode()})"
        answer = json.dumps({"error": "invalid_client", "error_description": said}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.mark.parametrize("field", ["client_secret", "client_assertion", "assertion"])
async def test_a_token_endpoint_repeating_the_request_shows_no_secret(field: str) -> None:
    form = {"grant_type": "client_credentials", "client_id": "app", field: SECRET}
    with serving(TlsHttpServer(Echoing, None)) as server, pytest.raises(TokenError) as refused:
        await post_token_request(f"http://127.0.0.1:{server.port}/token", form)
    shown = f"{refused.value.error} {refused.value.description}"
    assert "bad request" in shown and "client_id=app" in shown  # the words are there
    for form_of_it in (SECRET, quote(SECRET, safe=""), quote_plus(SECRET)):
        assert form_of_it not in shown
    assert base64.b64encode(SECRET.encode()).decode() not in shown
