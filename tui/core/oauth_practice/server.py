"""The practice authorization server: an OAuth 2.0 server on 127.0.0.1 for practice and tests.

Its tables and the user's side of it are `tables.PracticeTables`; Authlib's side of the
protocol is `app.py`; this module runs werkzeug's threaded HTTP server around them.
"""

from __future__ import annotations

import threading
from typing import Any

from tui.core.oauth_practice.app import build_app
from tui.core.oauth_practice.tables import (
    ACCOUNT,
    CLIENT_ID,
    SCOPE,
    IssuedToken,
    PracticeTables,
    id_token,
    is_loopback_redirect,
    normal_code,
)
from tui.core.running import Running

__all__ = [
    "ACCOUNT",
    "CLIENT_ID",
    "SCOPE",
    "IssuedToken",
    "PracticeAuthorizationServer",
    "id_token",
    "is_loopback_redirect",
    "normal_code",
]


class PracticeAuthorizationServer(PracticeTables, Running):
    """An OAuth 2.0 authorization server on 127.0.0.1 for practice and tests (see
    `tui.core.oauth_practice`). Tune it before `start()`; control it while it runs with
    `approve`, `deny`, `revoke_all`, `expire_access_tokens`; read `tokens` to see what it
    issued."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._http: Any = None
        self._thread: threading.Thread | None = None

    # --- life cycle

    def start(self) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log(self, type: str, message: str, *args: Any) -> None:
                pass  # no request lines over the sandbox's screen (they hold codes)

        app = build_app(self)
        self._http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        self.port = self._http.server_port
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="mailwiz-oauth-practice", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
