"""The wizard's first screen says when the saved sign-in stopped working (or soon will): the
reason and the fix from `tui.core.status.sign_in_notice`, read in a thread (it may ask the
keyring) and shown as a lasting notification."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.texts import Texts

if TYPE_CHECKING:
    from textual.app import App

    from tui.core.settings import Settings

say = Texts(__package__ or "tui.widgets")


def notify_sign_in(app: App[Any], settings: Settings, config_path: Path) -> None:
    """Start reading the sign-in's state; a problem or a warning becomes a notification."""

    def read() -> None:
        from tui.core.status import sign_in_notice

        notice = sign_in_notice(settings, config_path)
        if notice:
            app.call_from_thread(
                app.notify,
                notice,
                title=say("sign_in_title"),
                severity="error",
                timeout=60,
                markup=False,
            )

    app.run_worker(read, thread=True, name="sign-in-notice", exit_on_error=False)
