"""The last guard before AUTH: credentials never go out on a connection without TLS.

The settings check (preflight) already refuses `security = "none"` with a login, so every
ordinary test stops there and never reaches the dialogue's own guard. These tests switch the
settings check off, as a bug in it would, against a server that offers AUTH in clear text:
the dialogue must still refuse, and the server must see no login at all."""

from __future__ import annotations

import pytest

from tests.servers import PASSWORD, RECIPIENT, USERNAME, SmtpServerFactory
from tui.core.events import SendFinished
from tui.core.message import test_outgoing
from tui.core.transports.smtp import preflight
from tui.core.transports.smtp.engine import send_smtp


async def test_no_login_in_clear_even_when_the_settings_check_lets_it_through(
    smtp_server: SmtpServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server("none", auth_require_tls=False)  # AUTH offered on a plain connection
    monkeypatch.setattr(preflight, "_check_connection_settings", lambda *args: None)
    settings = server.settings(username=USERNAME)
    outgoing = test_outgoing(settings, RECIPIENT, hostname="testhost")

    events = [event async for event in send_smtp(settings, PASSWORD, outgoing)]

    finished = events[-1]
    assert isinstance(finished, SendFinished) and not finished.ok
    assert server.authenticator is not None and server.authenticator.mechanisms == []
    assert server.received == []
    assert PASSWORD not in repr(events)
