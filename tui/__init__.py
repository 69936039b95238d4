"""mailwiz: set up, test and explain outgoing email from a terminal."""

import sys

# httpx imports its own command line (httpx._main: click, rich, pygments) whenever those happen
# to be installed, and Flask (sandbox --oauth) brings click. mailwiz never runs httpx's command
# line: marking the module absent keeps every send ~50 ms lighter and the core free of rich.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
