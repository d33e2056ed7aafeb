"""Match unit names as written in workbooks to the rubric's units (SPEC 4.5).

Names match exactly, then after normalising full-width forms and removing
whitespace anywhere (wrapped cells put newlines inside names), then through
aliases. An unknown name gets the closest canonical names as suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from safescore.inputs.clean import normalize_name
from safescore.rubric.model import Unit

__all__ = ["TOTAL_ROW_NAMES", "Match", "UnitMatcher", "is_total_row"]

How = Literal["exact", "normalised", "alias"]

TOTAL_ROW_NAMES: frozenset[str] = frozenset({"合计", "总计", "小计"})
# "全市合计", "合计：" and "合计（3个单位）" are total rows too; the name is compared after
# normalize_name (so full-width brackets are ASCII by then).
_TOTAL_RE = re.compile(
    r"(?:全市|全区|全县|全省|全镇|全部|本市|本区|总)?(?:合计|总计|小计)[:：]?(?:\([^()]*\))?"
)

_SUGGEST_LIMIT = 3
_RATIO_CUTOFF = 0.4  # the difflib.get_close_matches cutoff we use
_COVER_CUTOFF = 2 / 3  # share of the shorter name found, in order, inside the longer one


def is_total_row(raw: object) -> bool:
    """True when a unit cell says 合计/总计/小计 (spaces and full-width forms ignored)."""
    if raw is None:
        return False
    key = normalize_name(raw)
    return key in TOTAL_ROW_NAMES or _TOTAL_RE.fullmatch(key) is not None


@dataclass(frozen=True)
class Match:
    """The unit a name refers to and how it matched; ``suggestions`` when it did not."""

    unit: Unit | None
    how: How | None
    suggestions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.unit is not None


def _key(s: object) -> str:
    return normalize_name(s).casefold()


def _lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence (names are short, so O(n·m) is fine)."""
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b):
            cur.append(prev[j] + 1 if ch == other else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _similarity(query: str, key: str) -> tuple[float, float]:
    """(score, difflib ratio). Score also rewards abbreviations: '应急局' inside '钢城区应急管理局'."""
    ratio = SequenceMatcher(None, query, key).ratio()
    score = ratio if ratio >= _RATIO_CUTOFF else 0.0
    shorter = min(len(query), len(key))
    if shorter >= 2:  # one shared character says nothing
        cover = _lcs(query, key) / shorter
        if cover >= _COVER_CUTOFF:
            # Contiguous containment is the strongest hint after an exact match.
            boost = 0.9 if (query in key or key in query) else 0.5 + 0.35 * cover
            score = max(score, boost)
    return score, ratio


class UnitMatcher:
    """Finds the :class:`Unit` a raw name means. Ambiguous unit lists are rejected up front."""

    def __init__(self, units: Sequence[Unit]):
        self._units: list[Unit] = list(units)
        self._exact: dict[str, int] = {}
        self._by_name: dict[str, int] = {}
        self._by_alias: dict[str, int] = {}
        owner: dict[str, int] = {}  # every normalised key → index of the unit it belongs to
        for index, unit in enumerate(self._units):
            texts = [(unit.name, False)] + [(alias, True) for alias in unit.aliases]
            for text, is_alias in texts:
                key = _key(text)
                if not key:
                    what = f"单位“{unit.name}”的别名" if is_alias else "单位名称"
                    raise ValueError(f"{what}为空")
                other = owner.setdefault(key, index)
                if other != index:
                    first = self._units[other].name
                    raise ValueError(f"“{text}”与单位“{first}”的名称或别名规范化后相同，无法区分")
                if is_alias:
                    self._by_alias.setdefault(key, index)
                else:
                    self._by_name[key] = index
                    self._exact[text] = index
        self._owner = owner

    @property
    def names(self) -> list[str]:
        """Canonical unit names, in the order given."""
        return [u.name for u in self._units]

    @property
    def units(self) -> list[Unit]:
        return list(self._units)

    def match(self, raw: object) -> Match:
        """Exact name, then normalised name, then alias; otherwise up to 3 suggestions."""
        if raw is None:
            return Match(None, None)
        text = raw if isinstance(raw, str) else str(raw)
        if text in self._exact:
            return Match(self._units[self._exact[text]], "exact")
        key = _key(text)
        if not key:
            return Match(None, None)
        if key in self._by_name:
            return Match(self._units[self._by_name[key]], "normalised")
        if key in self._by_alias:
            return Match(self._units[self._by_alias[key]], "alias")
        return Match(None, None, self.suggest(text))

    def suggest(self, raw: object, limit: int = _SUGGEST_LIMIT) -> tuple[str, ...]:
        """Closest canonical names (via names and aliases), best first, de-duplicated."""
        query = _key(raw)
        if not query:
            return ()
        best: dict[int, tuple[float, float]] = {}
        for key, index in self._owner.items():
            sim = _similarity(query, key)
            if sim[0] > 0 and sim > best.get(index, (0.0, 0.0)):
                best[index] = sim
        # Ties keep the rubric's order (sorted is stable).
        ranked = sorted(best, key=lambda i: best[i], reverse=True)
        return tuple(self._units[i].name for i in ranked[:limit])
