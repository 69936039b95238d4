"""tui.core.records: the settings and the queue's envelopes behave as the dataclasses they
replaced (defaults, fresh mutable defaults, construction by position or keyword, equality,
repr, replaced/as_dict), without the dataclasses module."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from tests.processes import unmeasured_environment
from tui.core.mta.spool import Envelope
from tui.core.records import Record, as_dict, field, field_names, field_types, replaced
from tui.core.settings import LocalSettings, Settings, SmtpSettings


class Point(Record):
    x: int
    y: int = 2
    tags: list[str] = field(default_factory=list)


def test_construction_defaults_and_errors() -> None:
    assert Point(1) == Point(x=1, y=2, tags=[])
    assert Point(1, 3).y == 3
    first, second = Point(1), Point(1)
    first.tags.append("a")
    assert second.tags == []  # a fresh default for each record
    assert not hasattr(Point, "tags")  # no shared default left on the class
    for bad in ({}, {"x": 1, "z": 2}):
        with pytest.raises(TypeError):
            Point(**bad)
    with pytest.raises(TypeError):
        Point(1, 2, [], 4)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hash(Point(1))


def test_equality_repr_and_the_helpers() -> None:
    assert Point(1) != Point(2) and Point(1) != (1, 2, [])
    assert repr(Point(1)) == "Point(x=1, y=2, tags=[])"
    assert field_names(Point) == ("x", "y", "tags")
    assert field_types(Point(1)) == {"x": "int", "y": "int", "tags": "list[str]"}
    moved = replaced(Point(1, tags=["a"]), y=5)
    assert moved == Point(1, 5, ["a"])
    with pytest.raises(TypeError):
        replaced(Point(1), z=1)
    settings = Settings(local=LocalSettings(admin="ops@example.com", aliases={"a": "b"}))
    data = as_dict(settings)
    assert data["local"] == {"admin": "ops@example.com", "aliases": {"a": "b"}}
    assert data["smtp"]["port"] == 587
    data["local"]["aliases"]["c"] = "d"
    assert settings.local.aliases == {"a": "b"}  # a copy


def test_settings_copy_and_compare_by_value() -> None:
    settings = Settings()
    other = settings.copy()
    assert other == settings and other.smtp is not settings.smtp
    other.smtp.port = 465
    assert other != settings and copy.deepcopy(other) == other
    assert field_names(SmtpSettings)[:3] == ("host", "port", "security")
    envelope = Envelope("id", ["a@example.com"], 1.0)
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_the_settings_load_without_dataclasses() -> None:
    code = "import sys, tui.core.settings\nprint('dataclasses' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=unmeasured_environment(), capture_output=True,
        text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("default", [[], {}, set()])
def test_a_mutable_default_is_refused_as_a_dataclass_refuses_it(default: object) -> None:
    """One list for every record would be shared by all of them: the class is refused."""
    with pytest.raises(ValueError, match="default_factory"):

        class Shared(Record):
            items: object = default
