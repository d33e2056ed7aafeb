"""Record lists in the engine: derived fields, overdue records, warnings, ladders (SPEC 3.5, 3.6).

A ledger becomes columns once per group (:class:`Table`), so ``where`` filters and
counts are vectorised over all rows; only the rows a result must cite are turned
back into :class:`~safescore.inputs.model.Record` objects.

Time is read from the list's date column against the scored period:

* derived fields count the records of the period (``span: period``), of the year up
  to the period's end (``ytd``) or all of them;
* a record is overdue when its due date is before the period's last day and its
  ``done`` condition does not hold (a blank status is not done);
* ``within_days: W, at_least: K`` is issued in a period when some matching record
  dated in the period has at least K matching records (itself included) dated
  from W days before it up to its own date. Counting follows 民法典 第二百零一条:
  the first accident's day is not counted, so accidents 60 days apart are
  "within 60 days" and 61 days apart are not;
* ``rising: [count, deaths], months: M`` is issued when, for M consecutive months
  ending in a month of the period, each listed figure (record count, column sum)
  of the month is higher than in the same month of the previous year. It is not
  judged when the ledger holds nothing from that earlier year;
* a ladder counts from 1 January up to the period's end and shows the last step reached.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from safescore.engine.decvec import LIMIT, DecVec
from safescore.engine.reasons import fmt
from safescore.inputs.model import Inputs, Record
from safescore.problems import Problem
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


def _month(ordinal: int) -> int:
    d = dt.date.fromordinal(ordinal)
    return d.year * 12 + d.month - 1


def _month_text(mi: int) -> str:
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


@dataclass
class Hit:
    """A warning issued to (or a ladder step reached by) one unit."""

    id: str
    title: str
    kind: str  # warning | ladder
    records: list[Record]
    reason: str
    penalty: Decimal = Decimal(0)
    action: str | None = None
    count: Decimal | None = None


@dataclass
class RecordOutcome:
    """Everything records gave one group."""

    tables: dict[str, Table]
    derived: dict[str, Derived]
    overdue: list[tuple[Record, int]]  # (record, days overdue)
    hits: list[list[Hit]]  # per unit
    penalty: DecVec  # warning penalties per unit
    problems: list[Problem] = field(default_factory=list)


def _per_unit(t: Table, mask: np.ndarray, n: int) -> list[list[Record]]:
    out: list[list[Record]] = [[] for _ in range(n)]
    for j in np.nonzero(mask)[0]:
        out[int(t.unit[j])].append(t.rows[j])
    return out


def _group_sum(col: DecVec, unit: np.ndarray, mask: np.ndarray, n: int) -> DecVec:
    """Exact per-unit sums of a column over the masked rows; a blank cell counts 0."""
    m_ = np.where(col.na, 0, col.m)[mask]
    idx = unit[mask]
    if m_.dtype != object and (m_.size == 0 or int(np.abs(m_).max()) * max(m_.size, 1) < LIMIT):
        acc = np.zeros(n, dtype=np.int64)
        np.add.at(acc, idx, m_.astype(np.int64))
    else:
        acc = np.zeros(n, dtype=object)
        for i, v in zip(idx, m_, strict=True):
            acc[int(i)] += int(v)
    return DecVec.from_ints(acc, col.e)


def derive_fields(
    rubric: m.Rubric, tables: dict[str, Table], n: int, span: Span | None, problems: list[Problem]
) -> dict[str, Derived]:
    out: dict[str, Derived] = {}
    for name, d in rubric.derive.items():
        t = tables.get(d.records)
        if t is None:
            continue  # ledger not supplied: the field comes from the returns as usual
        if span is None and d.where and parse_cached(d.where).names & set(m.OVERDUE_COLUMNS):
            # overdue needs a period end to be judged against; 0 would be a silent full mark
            problems.append(
                _not_judged(name, rubric.fields[name].label, "没有指定考核期间（--period）", t.name)
            )
            out[name] = Derived(name, d, DecVec.from_decimals([None] * n), [[] for _ in range(n)])
            continue
        mask = t.mask(d.where)
        if span is not None and d.span != "all":
            mask &= t.between(span.start if d.span == "period" else span.year_start, span.end)
        if d.sum is None:
            value = DecVec.from_ints(np.bincount(t.unit[mask], minlength=n).astype(np.int64))
        else:
            col = t.env[d.sum]
            assert isinstance(col, DecVec)
            value = _group_sum(col, t.unit, mask, n)
        out[name] = Derived(name, d, value, _per_unit(t, mask, n))
    return out


def _within_days(w: m.WarningRule, t: Table, base: np.ndarray, span: Span, n: int) -> list[Hit | None]:
    assert t.date is not None and w.within_days is not None
    dates = t.date.v
    sel = np.nonzero(base)[0]
    unit, day = t.unit[sel], dates[sel]
    order = np.lexsort((day, unit))
    sel, unit, day = sel[order], unit[order], day[order]
    key = unit * STRIDE + day
    lo = np.searchsorted(key, key - w.within_days, "left")
    hi = np.searchsorted(key, key, "right")
    issued = ((hi - lo) >= w.at_least) & (day >= span.start)
    found: dict[int, set[int]] = {}
    for j in np.nonzero(issued)[0]:
        found.setdefault(int(unit[j]), set()).update(int(x) for x in sel[lo[j] : hi[j]])
    out: list[Hit | None] = [None] * n
    for ui, rows in found.items():
        order_ = sorted(rows, key=lambda j: (int(dates[j]), j))
        recs = [t.rows[j] for j in order_]
        days = "、".join(dt.date.fromordinal(int(dates[j])).isoformat() for j in order_)
        reason = f"{w.within_days}天内发生{len(recs)}起（{days}）"
        out[ui] = Hit(w.id, w.title, "warning", recs, reason, w.penalty)
    return out


def _rising(
    w: m.WarningRule, t: Table, base: np.ndarray, span: Span, n: int, problems: list[Problem]
) -> list[Hit | None]:
    assert t.date is not None and w.rising is not None
    first, last = _month(span.start) - w.months + 1, _month(span.end)
    known = t.date.v[~t.date.na]
    if known.size == 0:
        return [None] * n  # no accidents at all: nothing can be up on last year
    # a month can only be "up on last year" if the ledger reaches back to that month last year
    covered = _month(int(known.min())) + 12
    if covered > last:
        problems.append(
            Problem(
                "warning-no-history",
                f"{t.spec.title}中没有上年同期（{_month_text(last - 12)}及以前）的记录，无法判断预警“{w.title}”",
                severity="warning",
                category="scoring",
                field=t.name,
                expected=f"包含上年同期记录的{t.spec.title}",
            )
        )
        return [None] * n
    figures: dict[tuple[int, int], list[Decimal]] = {}  # (unit, month) → [count or sum, ...]
    rows_in: dict[tuple[int, int], list[int]] = {}
    for j in np.nonzero(base)[0]:
        mi = _month(int(t.date.v[j]))
        if not (first - 12 <= mi <= last):
            continue
        k = (int(t.unit[j]), mi)
        acc = figures.setdefault(k, [Decimal(0)] * len(w.rising))
        rows_in.setdefault(k, []).append(int(j))
        for p, metric in enumerate(w.rising):
            v = Decimal(1) if metric == "count" else t.rows[j].values.get(metric)
            acc[p] += v if isinstance(v, Decimal) else Decimal(0)
    zero = [Decimal(0)] * len(w.rising)
    names = [("起数" if x == "count" else t.spec.columns[x].title) for x in w.rising]
    out: list[Hit | None] = [None] * n
    for ui in sorted({u for u, _ in figures}):
        up = {
            mi: mi >= covered
            and all(
                a > b
                for a, b in zip(figures.get((ui, mi), zero), figures.get((ui, mi - 12), zero), strict=True)
            )
            for mi in range(first, last + 1)
        }
        run: set[int] = set()
        for mi in range(_month(span.start), last + 1):
            window = range(mi - w.months + 1, mi + 1)
            if all(up[x] for x in window):
                run.update(window)
        if not run:
            continue
        run_months = sorted(run)
        recs = [t.rows[j] for mi in run_months for j in rows_in.get((ui, mi), [])]
        parts = [
            f"{_month_text(mi)}"
            + "，".join(
                f"{nm}{figures.get((ui, mi), zero)[p]}（上年同月{figures.get((ui, mi - 12), zero)[p]}）"
                for p, nm in enumerate(names)
            )
            for mi in run_months
        ]
        reason = f"连续{len(run_months)}个月{'和'.join(names)}同比上升：" + "；".join(parts)
        out[ui] = Hit(w.id, w.title, "warning", recs, reason, w.penalty)
    return out


def _ladder(
    lad: m.Ladder,
    tables: dict[str, Table],
    derived: dict[str, Derived],
    env: dict[str, Vec],
    n: int,
    span: Span | None,
) -> list[Hit | None]:
    rows: list[list[Record]] = [[] for _ in range(n)]
    counts: list[Decimal | None]
    if lad.records is not None:
        t = tables.get(lad.records)
        if t is None or span is None:
            return [None] * n
        mask = t.mask(lad.where) & t.between(span.year_start, span.end)
        counts = [Decimal(int(c)) for c in np.bincount(t.unit[mask], minlength=n)]
        rows = _per_unit(t, mask, n)
    else:
        assert lad.count is not None
        got = evaluate(parse_cached(lad.count), env, n)
        assert isinstance(got, DecVec)
        counts = got.to_decimals()
        if lad.count.strip() in derived:
            rows = derived[lad.count.strip()].rows
    out: list[Hit | None] = [None] * n
    for i, c in enumerate(counts):
        step = lad.step_for(c) if c is not None else None
        if step is None or c is None:
            continue
        bound = f"{step.at}次" if step.at is not None else f"超过{step.above}次"
        reason = f"本年累计{c.normalize():f}次，达到“{bound}”：{step.action}"
        out[i] = Hit(lad.id, lad.title, "ladder", rows[i], reason, action=step.action, count=c)
    return out


def _overdue(tables: dict[str, Table]) -> list[tuple[Record, int]]:
    out: list[tuple[Record, int]] = []
    for t in tables.values():
        late = t.env.get("overdue")
        if t.spec.overdue is None or not isinstance(late, BoolVec):
            continue
        days = t.env["days_overdue"]
        assert isinstance(days, DecVec)
        for j in np.nonzero(late.v & ~late.na)[0]:
            out.append((t.rows[j], int(days.m[j])))
    return out


def _row_problems(rubric: m.Rubric, inputs: Inputs, units: list[m.Unit], out: RecordOutcome) -> None:
    """Overdue records (the problem list), and reported values the ledger contradicts."""
    for rec, days in out.overdue:
        rl = rubric.records[rec.source]
        assert rl.overdue is not None
        due = fmt(rec.values.get(rl.overdue.due))
        out.problems.append(
            Problem(
                "record-overdue",
                f"{rec.unit}：{rl.title}第{rec.row}行{rl.overdue.title}，整改期限{due}，已逾期{days}天",
                severity="warning",
                category="scoring",
                file=rec.pos.file,
                sheet=rec.pos.sheet,
                cell=rec.pos.cell,
                unit=rec.unit,
                field=rec.source,
                value=due,
                expected="在整改期限内整改完毕",
            )
        )
    for f, d in out.derived.items():
        title, label = rubric.records[d.spec.records].title, rubric.fields[f].label
        for i, u in enumerate(units):
            ret = inputs.returns.get(u.name)
            fv = ret.values.get(f) if ret else None
            got = d.value.decimal_at(i)
            if got is None or fv is None or not isinstance(fv.value, Decimal) or fv.value == got:
                continue
            pos = fv.pos
            out.problems.append(
                Problem(
                    "derived-differs",
                    f"{u.name} 填报的“{label}”为{fmt(fv.value)}，按{title}统计为{fmt(got)}，采用台账统计值",
                    severity="warning",
                    file=pos.file if pos else None,
                    sheet=pos.sheet if pos else None,
                    cell=pos.cell if pos else None,
                    unit=u.name,
                    field=f,
                    value=fmt(fv.value),
                    expected=fmt(got),
                )
            )


def uses_records(rubric: m.Rubric) -> bool:
    """True when scoring has anything to do with records (or ladders over fields)."""
    overdue = any(rl.overdue for rl in rubric.records.values())
    return bool(rubric.derive or rubric.warnings or rubric.ladders or overdue)


def evaluate_records(
    rubric: m.Rubric,
    gid: str,
    units: list[m.Unit],
    inputs: Inputs,
    period: str | None,
    env: dict[str, Vec],
    invalid: dict[str, np.ndarray],
) -> RecordOutcome:
    """Derive fields into ``env`` (records win over a reported value), then warnings and ladders."""
    n = len(units)
    span = period_span(period)
    tables = {
        name: build_table(name, rubric.records[name], rows, units, span)
        for name, rows in inputs.records.items()
        if name in rubric.records
    }
    problems: list[Problem] = []
    derived = derive_fields(rubric, tables, n, span, problems)
    for name, d in derived.items():
        env[name] = d.value
        invalid[name] = np.zeros(n, dtype=bool)
    hits: list[list[Hit]] = [[] for _ in range(n)]
    rules: list[tuple[str, str, str]] = [(w.id, w.title, w.records) for w in rubric.warnings_for(gid)]
    rules += [(x.id, x.title, x.records) for x in rubric.ladders_for(gid) if x.records is not None]
    for rid, title, rname in rules:
        if rname not in tables:
            problems.append(_not_judged(rid, title, f"未提供{rubric.records[rname].title}", rname))
    timed = rubric.warnings_for(gid) + [x for x in rubric.ladders_for(gid) if x.records is not None]
    if span is None and timed:
        problems.append(_not_judged("", "预警和阶梯", "没有指定考核期间（--period）", None))
    for w in rubric.warnings_for(gid):
        t = tables.get(w.records)
        if span is None or t is None or t.date is None:
            continue
        base = t.mask(w.where) & t.between(-STRIDE, span.end)
        got = _within_days(w, t, base, span, n) if w.within_days else _rising(w, t, base, span, n, problems)
        for i, h in enumerate(got):
            if h is not None:
                hits[i].append(h)
    for lad in rubric.ladders_for(gid):
        if span is None and lad.records is not None:
            continue
        for i, h in enumerate(_ladder(lad, tables, derived, env, n, span)):
            if h is not None:
                hits[i].append(h)
    penalty = DecVec.from_decimals([sum((h.penalty for h in hs), Decimal(0)) for hs in hits])
    out = RecordOutcome(tables, derived, _overdue(tables), hits, penalty, problems)
    _row_problems(rubric, inputs, units, out)
    return out


def _not_judged(rid: str, title: str, why: str, rname: str | None) -> Problem:
    return Problem(
        "warning-not-judged",
        f"{why}，{title}{'（' + rid + '）' if rid else ''}未能判断",
        severity="warning",
        category="scoring",
        field=rname,
    )
