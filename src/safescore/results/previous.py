"""Rank change against the previous period of the same rubric (SPEC 3.5), and each unit's history
across the stored periods (its trend).

Periods of one kind are ordered by an ordinal (``period_key``) so "the period
before" crosses year boundaries: 2022Q1 follows 2021Q4, 2022-01 follows
2021-12, 2022H1 follows 2021H2, 2022 follows 2021.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from safescore.results.model import PeriodPoint, Result, UnitResult
from safescore.results.periods import period_kind

PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}
HISTORY_PERIODS = 12  # earlier periods a unit's history keeps (a trend of at most 13 points)


def period_key(label: str) -> tuple[str, int] | None:
    """``(kind, ordinal)`` of a period label, or None if it is not one.

    The ordinal counts periods of that kind since year 0, so consecutive
    periods differ by exactly 1 and ordering is plain integer ordering.
    """
    text = label.strip()
    kind = period_kind(text)
    if kind is None:
        return None
    text = text.upper()
    year = int(text[:4])
    if kind == "year":
        index = 0
    elif kind == "month":
        index = int(text[5:7]) - 1
    else:  # quarter 2022Q3, half 2022H1
        index = int(text[5]) - 1
    return kind, year * PER_YEAR[kind] + index


def label_for(kind: str, ordinal: int) -> str:
    """The inverse of :func:`period_key`."""
    year, index = divmod(ordinal, PER_YEAR[kind])
    if kind == "year":
        return f"{year:04d}"
    if kind == "month":
        return f"{year:04d}-{index + 1:02d}"
    return f"{year:04d}{'Q' if kind == 'quarter' else 'H'}{index + 1}"


def previous_label(label: str) -> str | None:
    """The period just before ``label`` (2022Q1 → 2021Q4); None if ``label`` is not a period."""
    key = period_key(label)
    if key is None:
        return None
    kind, ordinal = key
    return label_for(kind, ordinal - 1)


def with_previous(result: Result, previous: Result | None) -> Result:
    """``result`` with every unit's ``previous_rank`` taken from ``previous``, and its history.

    A unit is matched on name *and* group: a rank in another group is not
    comparable, so a unit that moved group counts as new (``previous_rank``
    None), as does every unit when there is no previous result.

    History is carried forward: a unit's history becomes its history in ``previous``
    (stored with it) plus its point in ``previous``, matched on name only (a unit that moved
    group keeps its past). So every path that attaches the previous period gets a trend;
    :func:`with_history` replaces it with the history database's own list when it is at hand.
    """
    ranks: dict[tuple[str, str], int] = {}
    past: dict[str, tuple[PeriodPoint, ...]] = {}
    if previous is not None:
        ranks = {(u.unit, u.group): u.rank for u in previous.units}
        if previous.period:
            past = {u.unit: (*u.history, point_of(u, previous.period)) for u in previous.units}
    units = tuple(
        dataclasses.replace(
            u,
            previous_rank=ranks.get((u.unit, u.group)),
            history=_before(result.period, past.get(u.unit, ())),
        )
        for u in result.units
    )
    return dataclasses.replace(
        result, units=units, previous_period=previous.period if previous is not None else None
    )


def point_of(unit: UnitResult, period: str) -> PeriodPoint:
    """The unit's total, rank and grade in ``period``, as a history point."""
    return PeriodPoint(period, unit.group, unit.total, unit.rank, unit.grade)


def _before(period: str | None, points: Iterable[PeriodPoint]) -> tuple[PeriodPoint, ...]:
    """Points of periods of ``period``'s kind strictly before it, oldest first, the last
    :data:`HISTORY_PERIODS` of them; one point per period."""
    key = period_key(period) if period else None
    if key is None:
        return ()
    by_ord: dict[int, PeriodPoint] = {}
    for p in points:
        k = period_key(p.period)
        if k is not None and k[0] == key[0] and k[1] < key[1]:
            by_ord[k[1]] = p
    return tuple(by_ord[o] for o in sorted(by_ord)[-HISTORY_PERIODS:])


def with_history(result: Result, history: Mapping[str, Iterable[PeriodPoint]] | None) -> Result:
    """``result`` with each unit's history set from ``history`` (unit name → its points).

    ``None`` (no history database at hand) leaves the result as it is; a unit missing from
    ``history`` has none. Points are ordered and trimmed as in :func:`with_previous`.
    """
    if history is None:
        return result
    units = tuple(
        dataclasses.replace(u, history=_before(result.period, history.get(u.unit, ()))) for u in result.units
    )
    return dataclasses.replace(result, units=units)


def rank_change(unit: UnitResult, has_previous: bool = True) -> str:
    """Text of a rank change: ``▲2`` (up two places), ``▼1``, ``=``, ``新`` (not ranked last period).

    ``has_previous=False`` (no previous period stored at all) gives ``—``:
    nothing to compare with is not the same as a unit that is new.
    """
    if unit.previous_rank is None:
        return "新" if has_previous else "—"
    diff = unit.previous_rank - unit.rank
    if diff > 0:
        return f"▲{diff}"
    if diff < 0:
        return f"▼{-diff}"
    return "="
