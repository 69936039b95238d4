"""Time from process start to the first screen: mailwiz beside a one-line Textual app.

Each run is a fresh Python process (interpreter start-up included, as a user sees it) that
runs the app headless and exits as soon as the first screen is ready. Runs alternate between
the two apps so machine load affects both alike. Prints figures; asserts nothing.

    .venv/bin/python bench/startup.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL = """
from textual.app import App
from textual.widgets import Static

class OneLine(App):
    def compose(self):
        yield Static("hello")

async def leave(pilot):
    pilot.app.exit()

OneLine().run(headless=True, size=(80, 24), auto_pilot=leave)
"""

MAILWIZ = """
import sys
from pathlib import Path
import tui.cli  # the real entry point's imports
from tui.app import MailwizApp

async def leave(pilot):
    pilot.app.exit()

MailwizApp(Path(sys.argv[1])).run(headless=True, size=(80, 24), auto_pilot=leave)
"""


# .pyc files as an installed mailwiz has them (pip compiles at install time); this machine
# sets PYTHONDONTWRITEBYTECODE, which would leave mailwiz compiling its own modules each run
# while Textual's were compiled when it was installed.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def once(code: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    with tempfile.TemporaryDirectory() as folder:
        config = str(Path(folder) / "settings.toml")  # no settings yet: the provider picker
        once(MINIMAL), once(MAILWIZ, config)  # warm the file cache and .pyc files
        minimal, mailwiz = [], []
        for _ in range(runs):
            minimal.append(once(MINIMAL))
            mailwiz.append(once(MAILWIZ, config))
    low, high = statistics.median(minimal), statistics.median(mailwiz)
    print(f"runs each:                 {runs}")
    for label, times in (("one-line Textual app", minimal), ("mailwiz provider picker", mailwiz)):
        median = statistics.median(times) * 1000
        print(f"{label + ':':<26} median {median:6.0f} ms (min {min(times) * 1000:.0f})")
    print(f"ratio (aim: within 1.3x):  {high / low:.2f}x")


if __name__ == "__main__":
    main()
