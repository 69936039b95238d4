"""Time from process start to the first screen: mailwiz beside a one-line Textual app.

Each run is a fresh Python process (interpreter start-up included, as a user sees it) that
runs the app headless and exits at the first frame that shows its whole first screen (for
mailwiz: the provider picker, footer keys included). mailwiz starts through
its real entry point (`tui.cli.main`, as `mailwiz --config PATH` does: argument parsing,
settings look-up, colour detection), with only the terminal replaced by a headless one.
Runs alternate between the apps so machine load affects all alike. Prints figures; asserts
nothing.

    .venv/bin/python bench/startup.py [RUNS] [--before DIR]

`--before DIR`: also time the mailwiz checked out (or unpacked) in DIR, alternating with
this one, for before/after figures paired in one run.
"""

from __future__ import annotations

import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Both children leave at the first frame that shows their whole first screen: Textual's
# "ready" comes before the one-line app has painted anything, but after mailwiz has painted
# part of its screen, so it would compare different moments. Headless, a frame is still
# composed; only writing it to a terminal is skipped.
FIRST_FRAME = """
import sys
from textual.app import App

def leave_at_first_frame(shows_all):
    display = App._display

    def hooked(app, screen, update):
        display(app, screen, update)
        if update is not None and screen is app.screen and shows_all(screen):
            App._display = display
            app.exit()

    App._display = hooked

def shown(screen, widget_type):
    return any(type(w).__name__ == widget_type for w in screen._compositor.visible_widgets)
"""

MINIMAL = (
    FIRST_FRAME
    + """
from textual.widgets import Static

class OneLine(App):
    def compose(self):
        yield Static("hello")

leave_at_first_frame(lambda screen: shown(screen, "Static"))
OneLine().run(headless=True, size=(80, 24))
"""
)

# The picker is whole once the footer shows its keys (Textual adds them after a refresh).
MAILWIZ = (
    FIRST_FRAME
    + """
import tui.app
from tui.cli import main

def headless(app):
    app.run(headless=True, size=(80, 24))
    return 0

tui.app._run = headless  # the one change: no real terminal
leave_at_first_frame(
    lambda screen: type(screen).__name__ == "ProviderScreen" and shown(screen, "FooterKey")
)
raise SystemExit(main(["--config", sys.argv[1]]))
"""
)


# .pyc files as an installed mailwiz has them (pip compiles at install time); this machine
# sets PYTHONDONTWRITEBYTECODE, which would leave mailwiz compiling its own modules each run
# while Textual's were compiled when it was installed.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


HERE = Path(__file__).resolve().parent.parent


def once(code: str, *args: str, cwd: Path = HERE) -> float:
    """One fresh process; `cwd` decides which checkout's `tui` it imports (sys.path[0])."""
    # Both apps get a terminal (the wizard refuses to start without one); headless, they
    # draw nothing on it.
    terminal, app_side = pty.openpty()
    try:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code, *args],
            check=True,
            stdin=app_side,
            stdout=app_side,
            stderr=subprocess.PIPE,
            env=ENV,
            cwd=cwd,
        )
        return time.perf_counter() - start
    finally:
        os.close(app_side)
        os.close(terminal)


def main() -> None:
    args = sys.argv[1:]
    before = Path(args.pop(args.index("--before") + 1)).resolve() if "--before" in args else None
    runs = int(args[0]) if args and args[0] != "--before" else 9
    apps: dict[str, tuple[str, Path]] = {"one-line Textual app": (MINIMAL, HERE)}
    if before is not None:
        apps["mailwiz picker, before"] = (MAILWIZ, before)
    apps["mailwiz provider picker"] = (MAILWIZ, HERE)
    times: dict[str, list[float]] = {label: [] for label in apps}
    with tempfile.TemporaryDirectory() as folder:
        config = str(Path(folder) / "settings.toml")  # no settings yet: the provider picker
        for code, cwd in apps.values():  # warm the file cache and .pyc files
            once(code, config, cwd=cwd)
        for _ in range(runs):
            for label, (code, cwd) in apps.items():
                times[label].append(once(code, config, cwd=cwd))
    bare = statistics.median(times["one-line Textual app"])
    print(f"runs each:                 {runs}")
    for label, measured in times.items():
        median = statistics.median(measured)
        line = f"{label + ':':<26} median {median * 1000:6.0f} ms (min {min(measured) * 1000:.0f})"
        if label != "one-line Textual app":
            line += f"  ratio {median / bare:.2f}x (aim: within 1.3x)"
        print(line)


if __name__ == "__main__":
    main()
