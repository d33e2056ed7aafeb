"""Each unit's history across the stored periods of a rubric: what its trend chart draws.

Read-only queries on :class:`~safescore.history.store.HistoryStore` through its public
methods (runs and unit rows, no results JSON parsed), kept apart from the store itself.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from safescore.history.db_url import resolve_db_url
from safescore.history.store import HistoryStore
from safescore.results.model import PeriodPoint, Result
from safescore.results.previous import HISTORY_PERIODS, period_key


def unit_history(
    store: HistoryStore, rubric_id: str, period: str, *, limit: int = HISTORY_PERIODS
) -> dict[str, tuple[PeriodPoint, ...]]:
    """Unit name → its points in the last ``limit`` current stored periods of ``rubric_id`` of
    ``period``'s kind strictly before ``period``, oldest first.

    A unit not assessed in a stored period simply has no point for it.
    """
    key = period_key(period)
    if key is None:
        return {}
    earlier = []
    for info in store.runs(rubric_id):
        k = period_key(info.period)
        if info.current and k is not None and k[0] == key[0] and k[1] < key[1]:
            earlier.append((k[1], info))
    earlier.sort(key=lambda x: x[0])
    points: dict[str, list[PeriodPoint]] = defaultdict(list)
    for _, info in earlier[-limit:] if limit > 0 else []:
        for row in store.unit_rows(info.id):
            points[row["unit"]].append(
                PeriodPoint(info.period, row["group_id"], row["total"], int(row["rank"]), row["grade"])
            )
    return {unit: tuple(p) for unit, p in points.items()}


def history_for(
    result: Result, db_flag: str | None, no_history: bool = False
) -> dict[str, tuple[PeriodPoint, ...]] | None:
    """The history of ``result``'s units from the history database, or None.

    Like ``previous_for`` it never raises and never creates a database: a trend that cannot be
    drawn must not stop scoring (the save step reports what is wrong with the database).
    """
    if no_history or not result.period:
        return None
    try:
        with HistoryStore(resolve_db_url(db_flag, cwd=Path.cwd()), create=False) as store:
            return unit_history(store, result.rubric_id, result.period)
    except Exception:
        return None
