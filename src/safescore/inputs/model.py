"""Typed inputs as the engine sees them: clean values, each with its cell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from safescore.problems import Report
from safescore.rubric.model import Unit

Value = Decimal | bool | str | dt.date | None


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
        return (CellRef, (self.file, self.sheet, self.cell))

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
        return (FieldValue, (self.value, self.raw, self.pos, self.invalid))


@dataclass
class UnitReturn:
    """A unit's own return (form or table row) for one period."""

    unit: str
    values: dict[str, FieldValue] = field(default_factory=dict)
    self_scores: dict[str, FieldValue] = field(default_factory=dict)
    pos: CellRef | None = None
    modified: float | None = None


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
