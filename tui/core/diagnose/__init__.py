"""Diagnosis: a failure the transports reported, turned into a plain-language cause and fix.

- `handlers.py`: `diagnose()`, `explain_token_error()`, `general_steps()`, and the two tables
  (Failure.reason -> handler, Failure.kind -> handler);
- `network.py`, `certificates.py`, `signin.py`, `envelope.py`, `web.py`: the small handlers;
- `context.py`: `Diagnosis` and what every handler reads (the failure, the settings, the
  provider, who reads it);
- `texts.toml` (+ `texts.py`, its reader): every sentence shown, the provider replies table
  and the token errors table; `guidance/*.md` (+ `guidance.py`): the pages shown before the
  fields, whose steps come from texts.toml too.

Imported only when a send failed: nothing here runs on success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.faces import lazy_face

# The package's public face: what the front ends (wizard, commands) use of it. Names load on
# first use (PEP 562), so importing the package costs nothing and the sendmail entry and the
# first screen load only the modules they touch. Inside the core, modules import each other
# directly.
if TYPE_CHECKING:  # the same names as _WHERE below, for the type checker
    from tui.core.diagnose.context import Diagnosis as Diagnosis
    from tui.core.diagnose.guidance import has_page as has_page
    from tui.core.diagnose.guidance import page as page
    from tui.core.diagnose.handlers import diagnose as diagnose
    from tui.core.diagnose.handlers import explain_not_kept as explain_not_kept
    from tui.core.diagnose.handlers import explain_sign_in as explain_sign_in
    from tui.core.diagnose.handlers import general_steps as general_steps
    from tui.core.diagnose.passwords import app_password_warning as app_password_warning
    from tui.core.diagnose.texts import Audience as Audience
    from tui.core.diagnose.texts import say as say

_WHERE: dict[str, str] = {
    "Audience": "tui.core.diagnose.texts",
    "Diagnosis": "tui.core.diagnose.context",
    "app_password_warning": "tui.core.diagnose.passwords",
    "diagnose": "tui.core.diagnose.handlers",
    "explain_not_kept": "tui.core.diagnose.handlers",
    "explain_sign_in": "tui.core.diagnose.handlers",
    "general_steps": "tui.core.diagnose.handlers",
    "has_page": "tui.core.diagnose.guidance",
    "page": "tui.core.diagnose.guidance",
    "say": "tui.core.diagnose.texts",
}


__getattr__, __dir__ = lazy_face(__name__, _WHERE)
