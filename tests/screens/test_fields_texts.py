"""Every sentence the fields screen says is in tui/screens/fields_texts.toml."""

from __future__ import annotations

import re

from tests.paths import PACKAGE
from tui.screens.fields_model import say

SCREENS = PACKAGE / "screens"


def test_every_text_id_the_fields_modules_use_is_in_their_texts_file() -> None:
    used = {
        text_id
        for module in SCREENS.glob("fields*.py")
        for text_id in re.findall(
            r"\bsay(?:\.raw)?\(\s*\"([a-z_][a-z_.]*[a-z_])\"", module.read_text()
        )
    }
    assert len(used) > 30  # the pattern still finds them
    for text_id in used:
        say.raw(text_id)  # a KeyError names the id and the file
