"""A record list (台账) as columns over all its rows, and the scored period as date ordinals.

Built once per group so ``where`` filters, counts and sums are vectorised over all rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from safescore.engine.decvec import DecVec
from safescore.inputs.model import Record
from safescore.rubric import model as m
from safescore.rubric.check import parse_cached
from safescore.rubric.expr import BoolVec, DateVec, StrVec, Vec, evaluate

STRIDE = 1 << 23  # > any date ordinal (9999-12-31 is 3,652,059), so unit*STRIDE+day sorts by unit, day


@dataclass(frozen=True)
class Span:
    """The scored period as date ordinals (inclusive), and 1 January of its year."""

    start: int
    end: int
    year_start: int


def period_span(label: str | None) -> Span | None:
    """``2022Q1`` / ``2022-03`` / ``2022H1`` / ``2022`` → its first and last day."""
    if not label:
        return None
    text = label.strip().upper()
    if mt := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, first, last = int(mt[1]), int(mt[2]), int(mt[2])
    elif mt := re.fullmatch(r"(\d{4})Q([1-4])", text):
        year, first = int(mt[1]), 3 * int(mt[2]) - 2
        last = first + 2
    elif mt := re.fullmatch(r"(\d{4})H([12])", text):
        year, first = int(mt[1]), 6 * int(mt[2]) - 5
        last = first + 5
    elif mt := re.fullmatch(r"(\d{4})", text):
        year, first, last = int(mt[1]), 1, 12
    else:
        return None
    if not 1 <= first <= last <= 12:
        return None
    end = dt.date(year + last // 12, last % 12 + 1, 1) - dt.timedelta(days=1)
    return Span(dt.date(year, first, 1).toordinal(), end.toordinal(), dt.date(year, 1, 1).toordinal())


def month_index(ordinal: int) -> int:
    d = dt.date.fromordinal(ordinal)
    return d.year * 12 + d.month - 1


def month_text(mi: int) -> str:
    return f"{mi // 12}年{mi % 12 + 1}月"


def _column(kind: str, values: list[object]) -> Vec:
    na = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    if kind in ("int", "number"):
        return DecVec.from_decimals([v if isinstance(v, Decimal) else None for v in values])
    if kind == "bool":
        return BoolVec(np.array([bool(v) for v in values], dtype=bool) & ~na, na)
    if kind == "date":
        return DateVec.from_dates([v if isinstance(v, dt.date) else None for v in values])
    return StrVec(np.array(["" if v is None else str(v) for v in values], dtype=object), na)


@dataclass
class Table:
    """One record list restricted to a group's units, as columns over its rows."""

    name: str
    spec: m.RecordList
    rows: list[Record]
    unit: np.ndarray  # index of each row's unit in the group
    env: dict[str, Vec]
    date: DateVec | None

    def mask(self, where: str | None) -> np.ndarray:
        """Rows where ``where`` holds (an unknown value does not match)."""
        if where is None:
            return np.ones(len(self.rows), dtype=bool)
        got = evaluate(parse_cached(where), self.env, len(self.rows))
        assert isinstance(got, BoolVec)
        return got.v & ~got.na

    def between(self, lo: int, hi: int) -> np.ndarray:
        """Rows dated in [lo, hi]; an undated list keeps every row, an undated row none."""
        if self.date is None:
            return np.ones(len(self.rows), dtype=bool)
        return ~self.date.na & (self.date.v >= lo) & (self.date.v <= hi)


def build_table(
    name: str, spec: m.RecordList, rows: list[Record], units: list[m.Unit], span: Span | None
) -> Table:
    index = {u.name: i for i, u in enumerate(units)}
    rows = [r for r in rows if r.unit in index]
    env: dict[str, Vec] = {
        key: _column(col.type, [r.values.get(key) for r in rows])
        for key, col in spec.columns.items()
        if key != "unit"
    }
    dkey = spec.date_column()
    date = env.get(dkey) if dkey else None
    t = Table(name, spec, rows, np.array([index[r.unit] for r in rows], dtype=np.int64), env, None)
    t.date = date if isinstance(date, DateVec) else None
    if spec.overdue is not None:
        n = len(rows)
        due = env.get(spec.overdue.due)
        if span is None or not isinstance(due, DateVec):
            # without a period there is no "today" to be overdue against
            env["overdue"] = BoolVec(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
            env["days_overdue"] = DecVec.from_decimals([None] * n)
        else:
            late = ~due.na & (due.v < span.end) & ~t.mask(spec.overdue.done)
            env["overdue"] = BoolVec(late, np.zeros(n, dtype=bool))
            env["days_overdue"] = DecVec.from_ints(np.where(late, span.end - due.v, 0).astype(np.int64))
    return t


@dataclass
class Derived:
    """A field computed from records: per-unit value and the records counted."""

    field: str
    spec: m.Derive
    value: DecVec
    rows: list[list[Record]]


def rows_per_unit(t: Table, mask: np.ndarray, n: int) -> list[list[Record]]:
    out: list[list[Record]] = [[] for _ in range(n)]
    for j in np.nonzero(mask)[0]:
        out[int(t.unit[j])].append(t.rows[j])
    return out
