"""Does a typed password look like the provider's app password? Light enough for the fields
screen to call as the user types (it reads only texts.toml's [app_password] table)."""

from __future__ import annotations

from tui.core.diagnose.texts import Audience, data, render
from tui.core.providers import Provider


def app_password_letters(guidance_key: str) -> int:
    """How many letters the provider's app passwords have (0: not known)."""
    letters: dict[str, int] = data()["app_password"]["letters"]
    return letters.get(guidance_key, 0)


def looks_like_app_password(password: str, letters: int) -> bool:
    """`letters` letters, spaces not counted: the shape Google and Yahoo give them."""
    squeezed = "".join(password.split())
    return len(squeezed) == letters and squeezed.isascii() and squeezed.isalpha()


def app_password_warning(provider: Provider, password: str) -> str:
    """A one-line warning when `password` cannot be `provider`'s app password, else ""."""
    letters = app_password_letters(provider.guidance)
    if not password or not letters or looks_like_app_password(password, letters):
        return ""
    text = data()["part"]["not-app-password"]
    return render(text, Audience.WIZARD, {"provider": provider.name, "letters": letters})
