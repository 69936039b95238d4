"""Which guidance a provider has, and its Markdown, without importing any widget.

Its own page (tui/core/diagnose/guidance/<key>.md) when there is one; otherwise, for a provider
that wants an app password or authorization code (AOL, Yandex, QQ, NetEase...), the catalogue's
own steps (providers.steps_markdown). Kept apart from guidance.py, which imports the slow
Markdown widget, so that the fields screen can ask cheaply whether ctrl+g has a page to show.
"""

from __future__ import annotations

from pathlib import Path

from tui.core.diagnose import has_page, page
from tui.core.providers import Provider, steps_markdown


def _steps_only(provider: Provider) -> bool:
    return not has_page(provider.guidance) and provider.app_password and bool(provider.steps)


def has_guidance(provider: Provider) -> bool:
    return has_page(provider.guidance) or _steps_only(provider)


def guidance_text(provider: Provider, config_path: Path | None = None) -> str:
    """The provider's guidance (Markdown), its commands for the settings at `config_path`;
    FileNotFoundError if there is none."""
    if _steps_only(provider):
        return steps_markdown(provider)
    return page(provider.guidance, provider.name, config_path)
