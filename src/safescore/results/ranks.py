"""Competition ranking per group with section tie-breaks, and callouts (SPEC 3.4)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def competition_ranks(keys: Sequence[tuple[Decimal, ...]]) -> list[int]:
    """Rank 1 for the largest key tuple; equal tuples share a rank (1, 2, 2, 4).

    Each key is ``(total, tiebreak section 1, tiebreak section 2, ...)``,
    compared exactly and in order, higher first.
    """
    order = sorted(range(len(keys)), key=lambda i: keys[i], reverse=True)
    ranks = [0] * len(keys)
    prev: tuple[Decimal, ...] | None = None
    prev_rank = 0
    for pos, i in enumerate(order):
        if keys[i] != prev:
            prev_rank = pos + 1
            prev = keys[i]
        ranks[i] = prev_rank
    return ranks


def callouts(ranks: Sequence[int], top: int | None, bottom: int | None) -> tuple[list[int], list[int]]:
    """Indices of the top-N and bottom-N units; units tied at the cut are all included."""
    n = len(ranks)
    order = sorted(range(n), key=lambda i: ranks[i])
    top_idx: list[int] = []
    bottom_idx: list[int] = []
    if top and n:
        cut = ranks[order[min(top, n) - 1]]
        top_idx = [i for i in order if ranks[i] <= cut]
    if bottom and n:
        # the unit standing N-th from the bottom sets the cut; everyone tied with it is named too
        cut = ranks[order[max(n - bottom, 0)]]
        bottom_idx = [i for i in order if ranks[i] >= cut]
    return top_idx, bottom_idx
