"""The wizard's test send with OAuth: the sign-in screen keeps the sign-in, then the test-send
screen signs in with it (a `token` stage first), against the practice servers; no token on
screen or in the transcript."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Log

from tests.ui_helpers import SIZE
from tests.waiting import eventually
from tui.core.oauth_practice import OAuthPractice
from tui.core.settings import load_settings
from tui.screens.signin import SignInScreen
from tui.screens.test_send import StageRow, TestSendScreen


class Host(App[None]):
    def __init__(self, config: Path) -> None:
        super().__init__()
        self.config = config
        self.settings = load_settings(config).settings
        self.signed_in: list[object] = []

    def on_mount(self) -> None:
        def then(result: object) -> None:
            self.signed_in.append(result)
            if result:
                self.push_screen(TestSendScreen(self.settings, "", self.config))

        self.push_screen(SignInScreen(self.settings, self.config), then)


async def test_sign_in_then_test_send(oauth_practice: OAuthPractice, oauth_config: Path) -> None:
    app = Host(oauth_config)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: oauth_practice.authorization.pending_codes())
        oauth_practice.authorization.approve(oauth_practice.authorization.pending_codes()[0])
        await eventually(lambda: isinstance(app.screen, TestSendScreen))
        screen = app.screen
        assert isinstance(screen, TestSendScreen)
        await pilot.press("enter")
        await eventually(lambda: screen.state in ("ok", "failed"))
        assert screen.state == "ok", screen.failure
        stages = [row.stage for row in screen.query(StageRow)]
        # Reading the kept sign-in is a wait of its own, shown before the token.
        assert stages[:2] == ["signin", "token"] and "auth" in stages
        log = "\n".join(screen.query_one("#transcript", Log).lines)
        for secret in oauth_practice.authorization.secrets_issued():
            assert secret not in log
    assert oauth_practice.smtp.signed_in == ["practice@example.com"]
