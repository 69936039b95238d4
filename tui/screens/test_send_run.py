"""The test screen's run control: one test send, from the engine's load to the verdict, and
what follows from it (the diagnosis, the support report).

`TestRun` asks the core for everything (the engine, the credential: tui.core.credentials, the
send: tui.core.send) and hands each event to the screen's `emit`; it draws nothing. Its
waits (the keyring, a sign-in) are shown as stages with their time, and run in threads so the
screen keeps moving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tui.core.events import (
    Failure,
    FailureKind,
    SendEvent,
    StageEnded,
    StageStarted,
)
from tui.core.settings import Settings

if TYPE_CHECKING:
    from tui.core.credentials import Credential
    from tui.core.diagnose import Diagnosis
    from tui.core.message import Outgoing
    from tui.core.report import SendRecord

_T = TypeVar("_T")


class TestRun:
    """Sends with `settings` and says every event to `emit`, while `running()` holds.

    password: the password typed in the wizard; None means "use the stored one". Once a send
    has read the stored one, `password` holds it (measured by the diagnosis, masked in the
    support report). `finish` is told the verdict when there is no credential to send with.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        settings: Settings,
        config_path: Path,
        password: str | None,
        *,
        emit: Callable[[SendEvent], None],
        finish: Callable[[Failure], None],
        running: Callable[[], bool],
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.password = password
        self._emit = emit
        self._finish = finish
        self._running = running
        self._clock = clock

    def preload(self) -> None:
        """Load the engine (up to ~0.7 s), in a thread while the user reads the screen."""
        from tui.core.send import load_engine

        load_engine(self.settings)

    def diagnose(self, failure: Failure) -> Diagnosis | None:
        """The core's diagnosis of `failure` (tui.core.diagnose)."""
        from tui.core.diagnose import diagnose

        # The password is only measured (does it look like an app password?), never shown.
        return diagnose(
            failure, self.settings, password=self.password or None, config_path=self.config_path
        )

    def report(self, record: SendRecord, diagnosis: Diagnosis | None) -> str:
        """The support report of a send (tui.core.report): the password masked in it."""
        from tui.core.report import build_report

        return build_report(
            self.settings,
            record,
            diagnosis=diagnosis,
            config_path=self.config_path,
            secrets=[self.password] if self.password else [],
        )

    async def send(self, outgoing: Outgoing) -> None:
        credential = await self._credential()
        if credential is not None:
            await self._run(outgoing, credential)

    async def _run(self, outgoing: Outgoing, credential: Credential) -> None:
        from tui.core.send import run_send

        # Loading the engine began when the screen opened (preload); the rest of it is a stage.
        secret = credential.secret
        async for event in run_send(self.settings, secret, outgoing, engine_stage=True):
            if not self._running():
                break
            self._emit(event)

    async def _waited(self, stage: str, work: Callable[[], _T]) -> _T:
        """A wait before the send proper (the keyring, the sign-in), shown as a stage with
        its time (failed when `work` raises), in a thread so the screen keeps moving."""
        self._emit(StageStarted(stage))
        began = self._clock()
        ok = False
        try:
            result = await asyncio.to_thread(work)
            ok = True
            return result
        finally:
            self._emit(StageEnded(stage, ok, (self._clock() - began) * 1000))

    async def _credential(self) -> Credential | None:
        """The core's choice (tui.core.credentials.choose): the sign-in for OAuth, else the
        password typed here, else MAILWIZ_PASSWORD or the store, looked up in a thread.
        None: there is none, and `finish` was told why."""
        from tui.core.credentials import NoCredential, credential_for, uses_oauth_sign_in

        def choose() -> Credential:
            return credential_for(self.settings, self.config_path, typed=self.password)

        oauth = uses_oauth_sign_in(self.settings)
        try:
            if oauth or self.password is None:
                # Reading the sign-in or the stored password (the keyring) is a wait the
                # user sees, as a stage with its time.
                credential = await self._waited("signin" if oauth else "password", choose)
            else:
                credential = await asyncio.to_thread(choose)
        except NoCredential as missing:
            self._finish(Failure(kind=FailureKind.NO_PASSWORD, stage="", detail=str(missing)))
            return None
        if isinstance(credential.secret, str):
            self.password = credential.secret
        return credential
