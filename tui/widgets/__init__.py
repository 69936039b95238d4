"""Small widgets the screens share: form rows, a one-line choice, toggles that show state."""

from tui.widgets.choice_row import ChoiceRow
from tui.widgets.field_row import FieldRow
from tui.widgets.toggles import GlyphCheckbox, GlyphRadioButton

__all__ = ["ChoiceRow", "FieldRow", "GlyphCheckbox", "GlyphRadioButton"]
