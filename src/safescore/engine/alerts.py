"""Warnings and ladders over record lists (SPEC 3.6): which unit is warned, and on which records.

See :mod:`safescore.engine.records` for how days and months are counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from safescore.engine.decvec import DecVec
from safescore.engine.ledger import STRIDE, Derived, Span, Table, month_index, month_text, rows_per_unit
from safescore.inputs.model import Record
from safescore.problems import Problem
from safescore.rubric import model as m
from safescore.rubric.check import parse_cached
from safescore.rubric.expr import Vec, evaluate


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


def within_days_hits(w: m.WarningRule, t: Table, base: np.ndarray, span: Span, n: int) -> list[Hit | None]:
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


def rising_hits(
    w: m.WarningRule, t: Table, base: np.ndarray, span: Span, n: int, problems: list[Problem]
) -> list[Hit | None]:
    assert t.date is not None and w.rising is not None
    first, last = month_index(span.start) - w.months + 1, month_index(span.end)
    known = t.date.v[~t.date.na]
    if known.size == 0:
        return [None] * n  # no accidents at all: nothing can be up on last year
    # a month can only be "up on last year" if the ledger reaches back to that month last year
    covered = month_index(int(known.min())) + 12
    if covered > last:
        problems.append(
            Problem(
                "warning-no-history",
                f"{t.spec.title}中没有上年同期（{month_text(last - 12)}及以前）的记录，无法判断预警“{w.title}”",
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
        mi = month_index(int(t.date.v[j]))
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
        for mi in range(month_index(span.start), last + 1):
            window = range(mi - w.months + 1, mi + 1)
            if all(up[x] for x in window):
                run.update(window)
        if not run:
            continue
        run_months = sorted(run)
        recs = [t.rows[j] for mi in run_months for j in rows_in.get((ui, mi), [])]
        parts = [
            f"{month_text(mi)}"
            + "，".join(
                f"{nm}{figures.get((ui, mi), zero)[p]}（上年同月{figures.get((ui, mi - 12), zero)[p]}）"
                for p, nm in enumerate(names)
            )
            for mi in run_months
        ]
        reason = f"连续{len(run_months)}个月{'和'.join(names)}同比上升：" + "；".join(parts)
        out[ui] = Hit(w.id, w.title, "warning", recs, reason, w.penalty)
    return out


def ladder_hits(
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
        rows = rows_per_unit(t, mask, n)
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
