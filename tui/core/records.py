"""Records: classes of typed fields with defaults, built by keyword or by position, compared
field by field, shown with a repr, as dataclasses are, but made without the dataclasses
module. Issue 24: every `sendmail` call reads the settings, and importing dataclasses (it
brings inspect, ast and dis) then compiling each class's methods cost more than the rest of
queueing. The type checker treats a Record as a dataclass (PEP 681's dataclass_transform).

    class LocalSettings(Record):
        admin: str = ""
        aliases: dict[str, str] = field(default_factory=dict)  # a fresh one per record

`field_names`, `replaced` and `as_dict` are to a Record what dataclasses' fields(), replace()
and asdict() are to a dataclass. Records are mutable and unhashable (like a dataclass with
eq=True); a class's own fields follow its base's, in the order written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

T = TypeVar("T")
R = TypeVar("R", bound="Record")


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A field whose default is made fresh for each record (a list, a dict, a table)."""
    return _Factory(default_factory)  # type: ignore[return-value]


@dataclass_transform(field_specifiers=(field,))
class Record:
    """The base of every record; see the module's docstring."""

    _record_fields: ClassVar[tuple[str, ...]] = ()
    _record_types: ClassVar[dict[str, str]] = {}
    _record_defaults: ClassVar[dict[str, Any]] = {}
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = list(cls._record_fields)
        types = dict(cls._record_types)
        defaults = dict(cls._record_defaults)
        # (not inspect.get_annotations: importing inspect is what this module avoids)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            if name not in names:
                names.append(name)
            types[name] = str(annotation)
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
                if isinstance(defaults[name], _Factory):
                    delattr(cls, name)  # as a dataclass does: no shared default on the class
                elif type(defaults[name]).__hash__ is None:  # a list, a dict, a record...
                    # one object every record would share, as a dataclass refuses it
                    raise ValueError(
                        f"{cls.__name__}.{name}: a mutable default is shared by every record;"
                        " use field(default_factory=...)"
                    )
            elif name in defaults:
                del defaults[name]
        cls._record_fields = tuple(names)
        cls._record_types = types
        cls._record_defaults = defaults

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        names = cls._record_fields
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments")
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in names or name in values:
                raise TypeError(f"{cls.__name__}() got an unexpected or repeated {name!r}")
            values[name] = value
        for name in names:
            if name in values:
                value = values[name]
            elif name in cls._record_defaults:
                value = cls._record_defaults[name]
                if isinstance(value, _Factory):
                    value = value.make()
            else:
                raise TypeError(f"{cls.__name__}() missing the argument {name!r}")
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._record_fields)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._record_fields)
        return f"{type(self).__qualname__}({shown})"


def field_names(record: Record | type[Record]) -> tuple[str, ...]:
    """The fields of a record (or a record class), in order."""
    return record._record_fields


def field_types(record: Record | type[Record]) -> dict[str, str]:
    """Each field's annotation as written ("str", "dict[str, str]", "Security")."""
    return dict(record._record_types)


def replaced(record: R, **changes: Any) -> R:
    """A new record of the same class with `changes` (TypeError for a name it lacks)."""
    values = {name: getattr(record, name) for name in record._record_fields}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {sorted(unknown)[0]!r}")
    return type(record)(**{**values, **changes})


def as_dict(value: Any) -> Any:
    """A record as a dict of its fields, recursively (records, lists, tuples and dicts
    inside copied too), as dataclasses' asdict gives it."""
    if isinstance(value, Record):
        return {name: as_dict(getattr(value, name)) for name in value._record_fields}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(as_dict(item) for item in value))
    if isinstance(value, list | tuple):
        return type(value)(as_dict(item) for item in value)
    if isinstance(value, dict):
        return {as_dict(key): as_dict(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    import copy

    return copy.deepcopy(value)
