"""Frozen result models: what a scoring run produced, per unit, with its audit trail.

``Result.to_dict()`` is the JSON view (``results.json``); numbers are written as
JSON numbers whose text equals the exact rounded decimal (scores have at most
six decimals, which a float's shortest repr always reproduces).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from safescore.problems import Problem

RESULTS_FORMAT = "safescore.results/1"


def num(d: Decimal | None) -> float | int | None:
    """Decimal → JSON number with the same text (integers stay integers)."""
    if d is None:
        return None
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return num(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an item's score came from: source name and the cell (first input)."""

    name: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "sheet": self.sheet, "cell": self.cell}


@dataclass(frozen=True, slots=True)
class InputUsed:
    """One input value an item read, with its raw text and cell."""

    field: str
    label: str
    value: Any
    raw: Any
    file: str | None
    sheet: str | None
    cell: str | None

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.raw, Decimal):
            raw: Any = float(self.raw)  # a number read back from results.json
        elif isinstance(self.raw, str | int | float | bool) or self.raw is None:
            raw = self.raw
        else:
            raw = str(self.raw)  # dates and times from the sheet
        return {
            "field": self.field,
            "label": self.label,
            "value": plain(self.value),
            "raw": raw,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
        }


@dataclass(frozen=True, slots=True)
class ItemScore:
    """Score of one item for one unit; ``lost = points - score`` (bonus: score added)."""

    id: str
    title: str
    section: str  # section id, or 'bonus' / 'penalty'
    points: Decimal | None
    score: Decimal
    lost: Decimal
    value: Any
    status: str  # ok | missing | invalid | no-value | unscored | no-band | out-of-range
    reason: str
    rule: str  # kind
    basis: str | None
    source: SourceRef
    inputs: tuple[InputUsed, ...] = ()
    evidence: tuple[str, ...] = ()
    self_score: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "points": num(self.points),
            "score": num(self.score),
            "lost": num(self.lost),
            "value": plain(self.value),
            "status": self.status,
            "reason": self.reason,
            "rule": self.rule,
            "basis": self.basis,
            "source": self.source.to_dict(),
            "inputs": [i.to_dict() for i in self.inputs],
            "evidence": list(self.evidence),
            "self_score": num(self.self_score),
        }


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    title: str
    points: Decimal  # full marks of the section for this group (contribution scale)
    score: Decimal  # contribution to the total
    raw: Decimal  # sum of rounded item scores
    weight: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "points": num(self.points),
            "score": num(self.score),
            "raw": num(self.raw),
            "weight": num(self.weight),
        }


@dataclass(frozen=True, slots=True)
class VetoHit:
    id: str
    title: str
    effect: str  # fail | zero | cap:N | max_grade:X

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "effect": self.effect}


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A ledger row cited by a warning, a ladder or an overdue flag: where it is and what it says."""

    records: str  # the rubric's record-list name
    file: str | None
    sheet: str | None
    row: int | None
    cell: str | None
    values: tuple[tuple[str, Any], ...] = ()  # (column key, cleaned value) in rubric order

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "cell": self.cell,
            "values": {k: plain(v) for k, v in self.values},
        }


@dataclass(frozen=True, slots=True)
class WarningHit:
    """A warning notice issued to the unit (kind ``warning``) or the ladder step it reached."""

    id: str
    title: str
    kind: str  # warning | ladder
    reason: str
    penalty: Decimal = Decimal(0)
    action: str | None = None  # ladder: the step's action
    count: Decimal | None = None  # ladder: the cumulative count
    records: tuple[RecordRef, ...] = ()

    @property
    def mark(self) -> str:
        """The entry in ``UnitResult.warnings``: the id, with the ladder's action."""
        return f"{self.id}:{self.action}" if self.action else self.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "reason": self.reason,
            "penalty": num(self.penalty),
            "action": self.action,
            "count": num(self.count),
            "records": [r.to_dict() for r in self.records],
        }


@dataclass(frozen=True, slots=True)
class PeriodPoint:
    """A unit in one earlier stored period of the same rubric: what a trend chart draws."""

    period: str
    group: str
    total: Decimal
    rank: int
    grade: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "group": self.group,
            "total": num(self.total),
            "rank": self.rank,
            "grade": self.grade,
        }


@dataclass(frozen=True)
class UnitResult:
    """Everything about one unit in one period."""

    unit: str
    group: str
    status: str  # 已报送 | 未报送
    total: Decimal
    total_before_veto: Decimal
    rank: int
    grade: str | None
    sections: tuple[SectionScore, ...]
    items: tuple[ItemScore, ...]
    bonus: Decimal
    penalty: Decimal
    vetoes: tuple[VetoHit, ...] = ()
    warnings: tuple[str, ...] = ()  # warning ids, and ladder marks like "l.exposure:约谈"
    warning_details: tuple[WarningHit, ...] = ()
    callouts: tuple[str, ...] = ()  # 'top' / 'bottom'
    previous_rank: int | None = None
    self_total: Decimal | None = None
    self_flag: bool = False
    # earlier stored periods of the rubric (same kind), oldest first, this period not included
    history: tuple[PeriodPoint, ...] = ()

    @property
    def submitted(self) -> bool:
        return self.status != "未报送"

    def item(self, item_id: str) -> ItemScore:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "group": self.group,
            "status": self.status,
            "total": num(self.total),
            "total_before_veto": num(self.total_before_veto),
            "rank": self.rank,
            "previous_rank": self.previous_rank,
            "history": [p.to_dict() for p in self.history],
            "grade": self.grade,
            "bonus": num(self.bonus),
            "penalty": num(self.penalty),
            "vetoes": [v.id for v in self.vetoes],
            "veto_details": [v.to_dict() for v in self.vetoes],
            "warnings": list(self.warnings),
            "warning_details": [w.to_dict() for w in self.warning_details],
            "callouts": list(self.callouts),
            "self_total": num(self.self_total),
            "self_flag": self.self_flag,
            "sections": [s.to_dict() for s in self.sections],
            "items": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True)
class GroupResult:
    id: str
    title: str
    size: int
    scale: Decimal
    ranking: tuple[str, ...]  # unit names in rank order
    top: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "size": self.size,
            "scale": num(self.scale),
            "ranking": list(self.ranking),
            "callouts": {"top": list(self.top), "bottom": list(self.bottom)},
        }


@dataclass(frozen=True)
class Result:
    """A scored period: units, groups, and every problem met on the way."""

    rubric_id: str
    rubric_title: str
    rubric_version: str
    rubric_sha256: str | None
    period: str | None
    decimals: int
    groups: tuple[GroupResult, ...]
    units: tuple[UnitResult, ...]
    problems: tuple[Problem, ...] = ()
    inputs: tuple[dict[str, Any], ...] = ()
    not_submitted: tuple[str, ...] = field(default_factory=tuple)
    previous_period: str | None = None  # the stored period ranks are compared with, if any

    def unit(self, name: str) -> UnitResult:
        for u in self.units:
            if u.unit == name:
                return u
        raise KeyError(name)

    def group_units(self, gid: str) -> list[UnitResult]:
        return sorted((u for u in self.units if u.group == gid), key=lambda u: (u.rank, u.unit))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RESULTS_FORMAT,
            "rubric": {
                "id": self.rubric_id,
                "title": self.rubric_title,
                "version": self.rubric_version,
                "sha256": self.rubric_sha256,
            },
            "period": self.period,
            "decimals": self.decimals,
            "groups": [g.to_dict() for g in self.groups],
            "units": [u.to_dict() for u in self.units],
            "not_submitted": list(self.not_submitted),
            "previous_period": self.previous_period,
            "inputs": list(self.inputs),
            "problems": [p.to_dict() for p in self.problems],
        }
