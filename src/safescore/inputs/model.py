"""Typed inputs as the engine sees them: clean values, each with its cell."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from safescore.problems import Report
from safescore.rubric.model import Unit

Value = Decimal | bool | str | dt.date | None


def slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...] | None:
    """The slot setters of a frozen slots dataclass whose fields are exactly ``names``,
    or None when the class is not that (other fields, no slots, a ``__post_init__``)."""
    fields = dataclasses.fields(cls)
    if (
        {f.name for f in fields} != set(names)
        or len(names) != len(fields)
        or not all(f.init for f in fields)
        or "__slots__" not in cls.__dict__
        or hasattr(cls, "__post_init__")
    ):
        return None
    return tuple(getattr(cls, n).__set__ for n in names)


def slot_maker(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """A fast ``cls(**dict(zip(names, values)))`` for a frozen slots dataclass.

    Reading and scoring make these by the million; a frozen dataclass's ``__init__``
    sets each field through ``object.__setattr__``, several times slower than putting
    the value straight into its slot (the object is the same). When the class is
    not what this expects (:func:`slot_setters`), its constructor is used.
    """
    setters = slot_setters(cls, names)
    if setters is None:
        return lambda *values: cls(**dict(zip(names, values, strict=True)))
    # straight-line code, as dataclasses write __init__: a loop over the setters costs a third more
    args = ", ".join(f"v{i}" for i in range(len(names)))
    body = "".join(f"    s{i}(obj, v{i})\n" for i in range(len(names)))
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"s{i}": put for i, put in enumerate(setters)})
    exec(f"def make({args}):\n    obj = new(cls)\n{body}    return obj\n", scope)
    return scope["make"]  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class CellRef:
    """Where a value came from: file, sheet and A1 cell."""

    file: str
    sheet: str | None = None
    cell: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by the thousand between the pool's workers and the main process: the
        # constructor is several times faster than the generic frozen-dataclass state.
        return (_cell, (self.file, self.sheet, self.cell))

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"[{self.sheet}]")
        if self.cell:
            parts.append(self.cell)
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One cleaned value; ``invalid`` is set when the raw value was rejected."""

    value: Value
    raw: Any
    pos: CellRef | None
    invalid: str | None = None  # problem code when the raw value could not be used

    def __reduce__(self) -> tuple[Any, ...]:
        return (_value, (self.value, self.raw, self.pos, self.invalid))


_new_cell = slot_maker(CellRef, ("file", "sheet", "cell"))
_new_value = slot_maker(FieldValue, ("value", "raw", "pos", "invalid"))
_cell_set = slot_setters(CellRef, ("file", "sheet", "cell"))
_value_set = slot_setters(FieldValue, ("value", "raw", "pos", "invalid"))
_FAST = (*_cell_set, *_value_set) if _cell_set and _value_set else None  # for _unpack


def new_cell_ref(file: str, sheet: str | None = None, cell: str | None = None) -> CellRef:
    """``CellRef(file, sheet, cell)``, made faster (see :func:`slot_maker`)."""
    return _new_cell(file, sheet, cell)  # type: ignore[no-any-return]


def new_field_value(value: Value, raw: Any, pos: CellRef | None, invalid: str | None = None) -> FieldValue:
    """``FieldValue(value, raw, pos, invalid)``, made faster (see :func:`slot_maker`)."""
    return _new_value(value, raw, pos, invalid)  # type: ignore[no-any-return]


def _cell(file: str, sheet: str | None, cell: str | None) -> CellRef:
    return _new_cell(file, sheet, cell)  # type: ignore[no-any-return]


def _value(value: Value, raw: Any, pos: CellRef | None, invalid: str | None) -> FieldValue:
    return _new_value(value, raw, pos, invalid)  # type: ignore[no-any-return]


def _pack(values: dict[str, FieldValue]) -> tuple[tuple[Any, ...], ...]:
    """A return's values as plain tuples (pickled in C, rebuilt by :func:`_unpack`)."""
    return tuple(
        (
            k,
            v.value,
            v.raw,
            v.invalid,
            *((v.pos.file, v.pos.sheet, v.pos.cell) if v.pos else (None, None, None)),
            v.pos is not None,
        )
        for k, v in values.items()
    )


def _unpack(packed: tuple[tuple[Any, ...], ...]) -> dict[str, FieldValue]:
    if _FAST is None:
        return {
            k: _new_value(value, raw, _new_cell(file, sheet, cell) if has_pos else None, invalid)
            for k, value, raw, invalid, file, sheet, cell, has_pos in packed
        }
    new = object.__new__
    set_file, set_sheet, set_cell, set_value, set_raw, set_pos, set_invalid = _FAST
    out: dict[str, FieldValue] = {}
    for k, value, raw, invalid, file, sheet, cell, has_pos in packed:
        pos = None
        if has_pos:
            pos = new(CellRef)
            set_file(pos, file)
            set_sheet(pos, sheet)
            set_cell(pos, cell)
        fv = new(FieldValue)
        set_value(fv, value)
        set_raw(fv, raw)
        set_pos(fv, pos)
        set_invalid(fv, invalid)
        out[k] = fv
    return out


def _unit_return(
    unit: str, values: Any, self_scores: Any, pos: CellRef | None, modified: float | None
) -> UnitReturn:
    return UnitReturn(unit, _unpack(values), _unpack(self_scores), pos, modified)


@dataclass
class UnitReturn:
    """A unit's own return (form or table row) for one period."""

    unit: str
    values: dict[str, FieldValue] = field(default_factory=dict)
    self_scores: dict[str, FieldValue] = field(default_factory=dict)
    pos: CellRef | None = None
    modified: float | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # a return crosses from a pool worker to the main process as tuples, not ~170 objects
        return (
            _unit_return,
            (self.unit, _pack(self.values), _pack(self.self_scores), self.pos, self.modified),
        )


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One assessor line: a unit, an item, a value, a reason (kept verbatim)."""

    source: str
    unit: str
    item: str
    value: Decimal
    reason: str
    evidence: str
    pos: CellRef


@dataclass(frozen=True, slots=True)
class Record:
    """One row of a record list (台账): its unit, cleaned values by column key, and its row.

    ``pos`` is the row's unit cell (or first mapped cell), so a warning can say
    exactly which ledger line triggered it; a value that could not be cleaned is None.
    """

    source: str  # the rubric's record-list name
    unit: str
    values: dict[str, Value]
    pos: CellRef
    row: int  # 1-based sheet row


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str
    sha256: str
    role: str  # 'return', a source name, 'targets', 'units'
    layout: str | None = None


@dataclass
class Inputs:
    """Everything read for one scoring run, plus the problems found reading it."""

    units: list[Unit]
    returns: dict[str, UnitReturn] = field(default_factory=dict)
    scores: dict[str, list[ScoreRow]] = field(default_factory=dict)
    targets: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # a list name is present (possibly empty) once a file or sheet for it was read
    records: dict[str, list[Record]] = field(default_factory=dict)
    files: list[InputFile] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    skipped_rows: list[CellRef] = field(default_factory=list)
    period: str | None = None  # the period the returns were read for (records are cut by it)
