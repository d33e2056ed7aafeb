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

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from safescore.engine.alerts import Hit, ladder_hits, rising_hits, within_days_hits
from safescore.engine.decvec import LIMIT, DecVec
from safescore.engine.ledger import STRIDE, Derived, Span, Table, build_table, period_span, rows_per_unit
from safescore.engine.reasons import fmt
from safescore.inputs.model import Inputs, Record
from safescore.problems import Problem
from safescore.rubric import model as m
from safescore.rubric.check import parse_cached
from safescore.rubric.expr import BoolVec, Vec

__all__ = ["Hit", "RecordOutcome", "Span", "evaluate_records", "period_span", "uses_records"]


@dataclass
class RecordOutcome:
    """Everything records gave one group."""

    tables: dict[str, Table]
    derived: dict[str, Derived]
    overdue: list[tuple[Record, int]]  # (record, days overdue)
    hits: list[list[Hit]]  # per unit
    penalty: DecVec  # warning penalties per unit
    problems: list[Problem] = field(default_factory=list)


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
        out[name] = Derived(name, d, value, rows_per_unit(t, mask, n))
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
        got = (
            within_days_hits(w, t, base, span, n)
            if w.within_days
            else rising_hits(w, t, base, span, n, problems)
        )
        for i, h in enumerate(got):
            if h is not None:
                hits[i].append(h)
    for lad in rubric.ladders_for(gid):
        if span is None and lad.records is not None:
            continue
        for i, h in enumerate(ladder_hits(lad, tables, derived, env, n, span)):
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
