"""OAuth 2.0 on the wire: a TokenSource instead of a password, the `token` stage, XOAUTH2 or
OAUTHBEARER, the 334 error challenge answered as each mechanism requires, one refresh and
one retry, token errors as data, and no token in any output. Real aiosmtpd servers whose
XOAUTH2/OAUTHBEARER hooks accept only live tokens (tests/servers.py OAuthHandler)."""

from __future__ import annotations

import asyncio
import base64

import pytest

from tests.core.transports.smtp.sending import Result, check_events
from tests.servers import (
    RECIPIENT,
    USERNAME,
    OAuthHandler,
    SmtpServer,
    SmtpServerFactory,
    SocketServer,
)
from tui.core.credentials import TokenError
from tui.core.events import FailureKind, Reason, SendEvent
from tui.core.keys import Key
from tui.core.message import test_outgoing
from tui.core.send import planned_stages, run_send
from tui.core.settings import Settings

ACCOUNT = "signed.in@example.com"


class ListTokens:
    """A real TokenSource: hands out `tokens` in turn, the next one on each refresh;
    `error` (a TokenError) is raised instead when set, `refresh_error` only on refresh."""

    def __init__(
        self, *tokens: str, error: TokenError | None = None, refresh_error: TokenError | None = None
    ) -> None:
        self.tokens = list(tokens)
        self.error = error
        self.refresh_error = refresh_error
        self.calls: list[bool] = []

    @property
    def username(self) -> str:
        return ACCOUNT

    async def access_token(self, *, refresh: bool = False) -> str:
        self.calls.append(refresh)
        if self.error is not None:
            raise self.error
        if refresh:
            if self.refresh_error is not None:
                raise self.refresh_error
            self.tokens.pop(0)
        if not self.tokens:
            raise TokenError("invalid_grant", "no more tokens")
        return self.tokens[0]


def oauth_server(
    factory: SmtpServerFactory, only: str, live: set[str]
) -> tuple[SmtpServer, OAuthHandler]:
    handler = OAuthHandler(live)
    others = {"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"} - {only}
    server = factory("tls", auth=False, handler=handler, exclude_auth=tuple(others))
    return server, handler


def settings_for(server: SmtpServer) -> Settings:
    from tui.core.records import replaced

    settings = server.settings(username=USERNAME)
    return replaced(settings, smtp=replaced(settings.smtp, auth="oauth2"))


async def send(settings: Settings, tokens: ListTokens) -> Result:
    events: list[SendEvent] = [
        e
        async for e in run_send(settings, tokens, test_outgoing(settings, RECIPIENT, hostname="h"))
    ]
    check_events(events, "never-used-password")
    text = repr(events)
    for token in ("tok-expired-0001", "tok-live-0002", "tok-only-0003"):
        for form in (token, base64.b64encode(token.encode()).decode()):
            assert form not in text, f"{form} leaked"
    return Result(events)


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
async def test_a_live_token_signs_in(smtp_server: SmtpServerFactory, mechanism: str) -> None:
    server, handler = oauth_server(smtp_server, mechanism, {"tok-only-0003"})
    tokens = ListTokens("tok-only-0003")
    result = await send(settings_for(server), tokens)

    assert result.finished.ok, result.transcript
    assert [stage for stage, _ in result.stages][:2] == ["token", "connect"]
    assert handler.attempts == [(mechanism, ACCOUNT, "tok-only-0003")]
    assert f"AUTH {mechanism} [redacted]" in result.sent()
    assert tokens.calls == [False]
    assert server.received[0].login == ACCOUNT.encode()


@pytest.mark.parametrize(("mechanism", "abort"), [("XOAUTH2", b""), ("OAUTHBEARER", b"\x01")])
async def test_an_expired_token_is_refreshed_once_and_retried_once(
    smtp_server: SmtpServerFactory, mechanism: str, abort: bytes
) -> None:
    server, handler = oauth_server(smtp_server, mechanism, {"tok-live-0002"})
    tokens = ListTokens("tok-expired-0001", "tok-live-0002")
    result = await send(settings_for(server), tokens)

    assert result.finished.ok, result.transcript
    assert handler.aborts == [abort]  # the challenge answered as the mechanism requires
    assert [token for _, _, token in handler.attempts] == ["tok-expired-0001", "tok-live-0002"]
    assert tokens.calls == [False, True]
    assert ("auth", False) in result.stages and result.stages.count(("token", True)) == 2


async def test_a_token_refused_after_the_refresh_fails_auth(smtp_server: SmtpServerFactory) -> None:
    server, handler = oauth_server(smtp_server, "XOAUTH2", set())
    tokens = ListTokens("tok-expired-0001", "tok-live-0002")
    result = await send(settings_for(server), tokens)

    failure = result.failure
    assert (failure.kind, failure.stage, failure.reason) == (
        FailureKind.AUTH,
        "auth",
        Reason.TOKEN_REJECTED,
    )
    assert failure.exit_code == 16
    assert len(handler.attempts) == 2  # one retry, never more
    assert not server.received


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (TokenError("invalid_grant", "AADSTS50173: password changed", codes=("AADSTS50173",)),
         FailureKind.AUTH, Reason.TOKEN_REFUSED),
        (TokenError("server_error", "503 from the token endpoint", temporary=True),
         FailureKind.TEMPORARY, Reason.TOKEN_UNAVAILABLE),
    ],
)  # fmt: skip
async def test_token_errors_fail_the_token_stage_before_connecting(
    blackhole: SocketServer, error: TokenError, kind: FailureKind, reason: Reason
) -> None:
    from tui.core.records import replaced

    settings = blackhole.settings(security="tls", username=USERNAME)
    settings = replaced(settings, smtp=replaced(settings.smtp, auth="oauth2"))
    result = await send(settings, ListTokens(error=error))

    failure = result.failure
    assert (failure.kind, failure.stage, failure.reason, failure.field) == (
        kind,
        "token",
        reason,
        Key.PASSWORD,
    )
    assert error.error in failure.reply
    assert result.stages == [("token", False)]
    assert not blackhole.accepted.wait(0.2)


async def test_a_failed_refresh_is_a_token_failure(smtp_server: SmtpServerFactory) -> None:
    server, _handler = oauth_server(smtp_server, "XOAUTH2", set())
    tokens = ListTokens("tok-expired-0001", refresh_error=TokenError("invalid_grant", "revoked"))
    result = await send(settings_for(server), tokens)

    assert (result.failure.stage, result.failure.reason) == ("token", Reason.TOKEN_REFUSED)
    assert result.failure.exit_code == 16


async def test_a_password_only_server_is_refused_with_a_token(
    smtp_server: SmtpServerFactory,
) -> None:
    server: SmtpServer = smtp_server("tls")
    result = await send(settings_for(server), ListTokens("tok-only-0003"))

    assert (result.failure.kind, result.failure.reason) == (
        FailureKind.AUTH,
        Reason.AUTH_NOT_OFFERED,
    )
    assert not any(text.startswith("AUTH") for text in result.sent())


def test_planned_stages_with_oauth_start_with_the_token() -> None:
    from tui.core.settings import SmtpSettings

    settings = Settings(
        smtp=SmtpSettings(host="smtp.office365.com", security="starttls", auth="oauth2")
    )
    assert planned_stages(settings)[:2] == ("token", "resolve")
    assert "auth" in planned_stages(settings)


class HangingTokens(ListTokens):
    """A token endpoint that never answers."""

    async def access_token(self, *, refresh: bool = False) -> str:
        await asyncio.sleep(3600)
        return ""


async def test_a_token_endpoint_that_never_answers_ends_at_the_deadline(
    blackhole: SocketServer,
) -> None:
    from tui.core.records import replaced

    settings = blackhole.settings(security="tls", username=USERNAME, timeout=1)
    settings = replaced(settings, smtp=replaced(settings.smtp, auth="oauth2"))
    result = await send(settings, HangingTokens())

    assert (result.failure.kind, result.failure.stage) == (FailureKind.TIMEOUT, "token")
    assert not blackhole.accepted.wait(0.2)
