"""Small widgets the screens share: form rows, a one-line choice, toggles that show state.

Each loads when first used (`from tui.widgets import ChoiceRow`), so that the first screen,
which needs only `tui.widgets.footer`, does not load the form widgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.widgets.choice_row import ChoiceRow
    from tui.widgets.field_row import FieldRow
    from tui.widgets.toggles import GlyphCheckbox, GlyphRadioButton

__all__ = ["ChoiceRow", "FieldRow", "GlyphCheckbox", "GlyphRadioButton"]

_MODULES = {
    "ChoiceRow": "tui.widgets.choice_row",
    "FieldRow": "tui.widgets.field_row",
    "GlyphCheckbox": "tui.widgets.toggles",
    "GlyphRadioButton": "tui.widgets.toggles",
}


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module 'tui.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULES[name]), name)
