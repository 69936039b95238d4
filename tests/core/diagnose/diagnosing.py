"""Settings the diagnosis tests start from (shared by the modules of this folder)."""

from __future__ import annotations

from tui.core.diagnose.handlers import Diagnosis
from tui.core.providers import get_provider
from tui.core.settings import Settings


def smtp_settings(
    provider: str = "custom",
    host: str = "mail.example.org",
    port: int = 587,
    security: str = "starttls",
    username: str = "me@example.org",
    **sender: str,
) -> Settings:
    s = Settings(protocol="smtp", provider=provider)
    s.smtp.host = host
    s.smtp.port = port
    s.smtp.security = security  # type: ignore[assignment]
    s.smtp.username = username
    s.sender.address = sender.get("address", "")
    s.sender.copy_to = sender.get("copy_to", "")
    return s


def http_settings(url: str = "https://relay.example.org/send") -> Settings:
    s = Settings(protocol="http", provider="http")
    s.http.url = url
    s.sender.address = "me@example.org"
    s.sender.reply_to = "me@example.org"
    return s


def text(d: Diagnosis) -> str:
    return f"{d.title}\n{d.cause}\n{d.fix}"


def microsoft(provider: str = "microsoft365", **kw: str) -> Settings:
    host = get_provider(provider).host
    return smtp_settings(provider=provider, host=host, port=587, **kw)
