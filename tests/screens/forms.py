"""A host for one fields screen, and reading what it shows: shared by the fields tests and
the sign-in journeys."""

from __future__ import annotations

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from tui.core.providers import get_provider
from tui.core.settings import Settings, SmtpSettings
from tui.screens.fields import FieldsScreen, FormResult


class Host(App[None]):
    """Shows one fields screen and keeps what it submitted."""

    def __init__(self, screen: FieldsScreen) -> None:
        super().__init__()
        self.fields = screen
        self.submitted: list[FormResult] = []

    def on_mount(self) -> None:
        self.push_screen(self.fields)

    def on_fields_screen_submitted(self, message: FieldsScreen.Submitted) -> None:
        self.submitted.append(message.result)


def preset(provider_id: str, **smtp: object) -> Settings:
    provider = get_provider(provider_id)
    settings = Settings(protocol=provider.protocol, provider=provider.id)
    settings.smtp = SmtpSettings(host=provider.host, port=provider.port, security=provider.security)
    for name, value in smtp.items():
        setattr(settings.smtp, name, value)
    return settings


def message_of(screen: FieldsScreen, row: str) -> str:
    widget = screen.query_one(f"#{row}-message", Static)
    return str(widget.render()) if widget.display else ""


def visible(screen: FieldsScreen, widget_id: str) -> bool:
    return screen._row_visible(widget_id)


async def focus(pilot: Pilot[None], screen: FieldsScreen, widget_id: str) -> None:
    screen.query_one(f"#{widget_id}").focus()
    await pilot.pause()


def heading_of(screen: FieldsScreen) -> str:
    return str(screen.query_one("#heading", Static).render())
