"""Grades (等次) top-down on the total, with quotas and veto limits (SPEC 3.4)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from safescore.rubric.model import Grade


def assign_grades(
    grades: Sequence[Grade],
    totals: Sequence[Decimal],
    ranks: Sequence[int],
    failed: Sequence[bool],
    max_grade: Sequence[str | None],
    quota_ties: str = "demote",
) -> list[str | None]:
    """Grade every unit of one group.

    - Grades are tried from the top; a unit gets the first grade whose ``min`` it reaches.
    - A ``quota`` admits units in rank order while the count stays within
      ``floor(quota * group size)``; units tied at the cut are all demoted unless
      ``quota_ties == "admit"``. Units that qualify by score but not by quota fall
      to the next grade (and compete for its quota, if any).
    - ``failed`` units (veto effect ``fail``) take the lowest grade and no quota place.
    - ``max_grade`` caps a unit's grade at that name (veto effect ``max_grade``).
    """
    n = len(totals)
    if not grades:
        return [None] * n
    names = [g.name for g in grades]
    floor_index = [names.index(mg) if mg in names else 0 for mg in max_grade]
    out: list[str | None] = [None] * n
    remaining = [i for i in range(n) if not failed[i]]
    for gi, grade in enumerate(grades):
        if gi == len(grades) - 1:
            for i in remaining:
                out[i] = grade.name
            remaining = []
            break
        eligible = [
            i for i in remaining if (grade.min is None or totals[i] >= grade.min) and gi >= floor_index[i]
        ]
        if grade.quota is not None:
            slots = math.floor(grade.quota * n)
            eligible.sort(key=lambda i: ranks[i])
            admitted: list[int] = []
            pos = 0
            while pos < len(eligible):
                r = ranks[eligible[pos]]
                tied = [i for i in eligible[pos:] if ranks[i] == r]
                if len(admitted) + len(tied) <= slots or (quota_ties == "admit" and len(admitted) < slots):
                    admitted.extend(tied)
                    pos += len(tied)
                else:
                    break
            eligible = admitted
        chosen = set(eligible)
        for i in eligible:
            out[i] = grade.name
        remaining = [i for i in remaining if i not in chosen]
    for i in range(n):
        if failed[i]:
            out[i] = grades[-1].name
    return out
