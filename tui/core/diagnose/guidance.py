"""The guidance pages shown before the fields (guidance/<key>.md), with their steps filled in.

A page holds `<!-- steps: NAME -->` where the steps of [steps.NAME] in texts.toml go, so the
app-password steps a page shows are the very ones a diagnosis gives; `{run.login}` is a mailwiz
command for the settings being edited (texts.COMMANDS, written by command_for).
"""

from __future__ import annotations

import re
from pathlib import Path

from tui.core.diagnose.texts import COMMANDS, Audience, code_span, expand, lookup
from tui.core.locations import command_for

GUIDANCE_DIR = Path(__file__).with_name("guidance")
STEPS_MARK = re.compile(r"<!--\s*steps:\s*([a-z0-9-]+)\s*-->")
RUN_MARK = re.compile(r"`\{run\.([a-z_]+)\}`")  # a command, written as a code span
_URL = re.compile(r"https?://[^\s)>\]`\\]+")


def _code_span(match: re.Match[str]) -> str:
    url = match.group(0)
    trail = len(url) - len(url.rstrip(".,;:"))
    return f"`{url[: len(url) - trail]}`{url[len(url) - trail :]}"


def steps_markdown(name: str, provider: str) -> str:
    """[steps.NAME] as a Markdown list; web addresses as code spans (copyable, not links)."""
    steps = expand(lookup("steps", name), Audience.WIZARD, {"provider": provider}, markdown=True)
    return "\n".join(f"{n}. {_URL.sub(_code_span, step)}" for n, step in enumerate(steps, 1))


def has_page(key: str) -> bool:
    return bool(key) and (GUIDANCE_DIR / f"{key}.md").is_file()


def page(key: str, provider: str, config_path: Path | None = None) -> str:
    """The Markdown of guidance page `key`, its commands for the settings at `config_path`;
    FileNotFoundError when there is none."""
    text = (GUIDANCE_DIR / f"{key}.md").read_text(encoding="utf-8")
    text = STEPS_MARK.sub(lambda m: steps_markdown(m.group(1), provider), text)
    return RUN_MARK.sub(lambda m: code_span(command_for(config_path, *COMMANDS[m.group(1)])), text)
