"""The practice run (`mailwiz --practice`): a practice server (tui.core.practice) runs on this
computer for the session and is offered first in the list, already filled in; each message
it receives is said in a notification; the settings and the password stay in its temporary
folder, which goes when mailwiz ends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.texts import Texts

if TYPE_CHECKING:
    from textual.app import App

    from tui.core.practice import PracticeServer, ReceivedMessage
    from tui.core.providers import Provider
    from tui.core.settings import Settings

say = Texts("tui.wizard")


def practice_provider(server: PracticeServer) -> Provider:
    """The picker entry for the practice server (not part of the catalogue)."""
    from tui.core.practice import PROVIDER_ID
    from tui.core.providers import Provider

    return Provider(
        id=PROVIDER_ID,
        name=say("practice.name"),
        hint=say("practice.hint"),
        protocol="smtp",
        host=server.host,
        port=server.port,
        security="starttls",
        alternatives=(),
        domains=(),
        mx_suffixes=(),
        app_password=False,
        guidance="",
        certificate_checks_required=True,
        notes=say("practice.notes"),
    )


def chosen(provider: Provider) -> bool:
    """Whether the provider chosen is the practice server."""
    from tui.core.practice import PROVIDER_ID

    return provider.id == PROVIDER_ID


def welcome(app: App[Any], server: PracticeServer) -> Provider:
    """Say what a practice run is, tell of every message the server receives from now on,
    and return the server's entry for the provider list."""

    def received(message: ReceivedMessage) -> None:  # in the server's thread
        app.call_from_thread(
            app.notify,
            message.summary(),
            title=say("practice.received_title"),
            markup=False,
            timeout=8,
        )

    server.on_message(received)
    app.notify(say("practice.welcome"), title=say("practice.welcome_title"), timeout=4)
    return practice_provider(server)


def settings_to_save(settings: Settings) -> Settings:
    """Practice never touches the real keyring: the password goes into a file in the
    practice folder, which is deleted when mailwiz ends."""
    settings = settings.copy()
    settings.password.store = "file"
    return settings


def reports_lost(folder: Path) -> str:
    """What to say when the practice folder went with support reports written into it ("":
    there were none)."""
    reports = sorted(path.name for path in folder.glob("mailwiz-report-*"))
    return say("practice.reports_deleted", reports=", ".join(reports)) if reports else ""
