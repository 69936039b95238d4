"""What the save screen shows once a save ended: what was saved and where, the commands that
come next (quoted for the shell, broken only between arguments), or why nothing was saved
(the save use case, tui.core.save, put everything back)."""

from __future__ import annotations

import shlex
from pathlib import Path

from textual.content import Content

from tui.core.locations import command_for
from tui.core.texts import Texts

say = Texts(__package__ or "tui.screens", "save_texts.toml")


def shell_lines(args: list[str], width: int) -> list[str]:
    """A command, quoted for the shell, indented and broken only between arguments (with a
    trailing backslash), so that no line wraps in the middle of a word and it pastes whole."""
    words = [shlex.quote(arg) for arg in args]
    lines: list[str] = []
    line = "  " + words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = "      " + word
        else:
            line += " " + word
    lines.append(line)
    return lines


def done_text(
    *,
    settings_path: Path,
    config_path: Path,
    secret_where: tuple[str, str],
    signs_in: bool,
    admin: str,
    width: int,
) -> Content:
    """Saved: where everything went, then what to do next.

    secret_where: (its label, where the secret is), as the screen said it before saving;
    `config_path` is named in the commands unless it is the usual path."""
    width = max(width, 40)

    def command(*args: str) -> Content:
        words = shlex.split(command_for(config_path, *args))
        return Content("\n".join(shell_lines(words, width))).stylize("bold")

    secret = say("done.secret_signin") if signs_in else say("done.secret_password")
    example: list[str] = say.raw("done.send_example")
    return Content.assemble(
        (say("done.saved"), "bold"),
        say("done.press_enter"),
        (say("settings_label"), "bold"),
        str(settings_path),
        "\n",
        (secret_where[0], "bold"),
        secret_where[1],
        "\n\n",
        (say("done.what_next"), "bold"),
        say("done.test"),
        command("test"),
        say("done.send"),
        command(*example),
        say("done.show", secret=secret),
        command("show"),
        "\n",
        own_mail_offer(settings_path, admin, width),
    )


def own_mail_offer(settings_path: Path, admin: str, width: int) -> Content:
    """The command that makes these settings this server's sendmail (README: "This server's
    own mail"); --config always, since under sudo the usual path is root's."""
    args = shlex.split(command_for(settings_path, "install-mta", sudo=True))
    return Content.assemble(
        say("done.own_mail"),
        Content("\n".join(shell_lines(args, width))).stylize("bold"),
        say("done.root_goes_to", admin=admin) if admin else "",
    )


def practice_done() -> Content:
    return Content.assemble(
        (say("done.practice_saved"), "bold"),
        say("done.practice_about"),
        (say("done.what_next"), "bold"),
        say("done.practice_next"),
        (say("done.practice_command"), "bold"),
        say("done.practice_finish"),
    )


def not_saved(error: BaseException | None, expected: tuple[type[BaseException], ...]) -> str:
    """Why a save failed, and that nothing is lost. `expected`: errors whose message is
    written for the user already (bad settings, a store that refused the secret)."""
    if isinstance(error, expected):
        reason = str(error)
    elif isinstance(error, OSError):
        where = say("status.os_error_file", file=error.filename) if error.filename else ""
        reason = say("status.os_error", reason=error.strerror or error, where=where)
    else:
        kind = type(error).__name__
        reason = say("status.unexpected", kind=kind, error=error)
    return say("status.not_saved", reason=reason)
