"""Score every unit of a group at once: items → sections → bonus/penalty → total → vetoes.

Item scores are rounded half-up to the rubric's ``decimals``; section scores and
totals are sums of those rounded parts (SPEC 3.3), so every table adds up.
Fields derived from record lists replace reported values before any rule runs.
A warning's penalty joins the penalty side: it is added to the penalty items
before the penalty cap, exactly like a 减分 item, so ``total = sections + bonus -
min(penalty items + warnings, cap)`` still holds. Pure: no I/O, no output libraries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import is_
from typing import Any

import numpy as np

from safescore.engine.decvec import DecVec
from safescore.engine.records import RecordOutcome, evaluate_records, uses_records
from safescore.engine.rules import RuleCtx, RuleOut, apply_rule
from safescore.inputs.model import FieldValue, Inputs, ScoreRow
from safescore.rubric import model as m
from safescore.rubric.check import parse_cached
from safescore.rubric.expr import BoolVec, StrVec, Vec, evaluate


@dataclass
class Assessed:
    """Assessor rows for one item, aggregated per unit."""

    total: DecVec
    has_rows: np.ndarray
    rows: list[list[ScoreRow]]
    out_of_range: np.ndarray


@dataclass
class ItemCol:
    """One item's results over a group's units."""

    item: m.Item
    section: str  # section id, 'bonus' or 'penalty'
    points: Decimal | None
    score: DecVec  # rounded; 0 where not scored
    status: np.ndarray  # object array of status strings
    refs: list[str]  # fields (and targets) the rule reads
    out: RuleOut | None = None
    assessed: Assessed | None = None


@dataclass
class SectionCol:
    section: m.Section
    points: Decimal  # contribution scale for this group
    raw_points: Decimal  # sum of item points
    weight: Decimal | None
    raw: DecVec  # sum of rounded item scores
    score: DecVec  # contribution (rounded when weighted)


@dataclass
class VetoCol:
    veto: m.Veto
    hit: np.ndarray
    undetermined: np.ndarray


@dataclass
class GroupScores:
    """Everything computed for one group, columnar."""

    group: m.Group
    units: list[m.Unit]
    env: dict[str, Vec]
    invalid: dict[str, np.ndarray]
    items: list[ItemCol]
    sections: list[SectionCol]
    bonus_items: list[ItemCol]
    penalty_items: list[ItemCol]
    bonus: DecVec
    penalty: DecVec
    total_before: DecVec
    total: DecVec
    vetoes: list[VetoCol] = field(default_factory=list)
    records: RecordOutcome | None = None  # derived fields, overdue records, warnings, ladders

    @property
    def n(self) -> int:
        return len(self.units)


_NUMERIC = ("int", "number", "percent")


def _cells(
    values: dict[str, FieldValue],
    names: list[str],
    numeric: list[bool],
    bad: list[int],
    texts: dict[str, str],
) -> list[Any]:
    """One unit's fields in ``names`` order: a number's exact text, another value as it is,
    None if missing or invalid (the positions of invalid ones are appended to ``bad``).
    Read unit by unit: a return's values lie together in memory, so this is several times
    faster than reading one field across all units. Equal texts are one object (``texts``),
    so the columns built from them hold a few strings, not one per cell."""
    out: list[Any] = []
    for v, num in zip(map(values.get, names), numeric, strict=True):
        if v is None:
            out.append(None)
        elif v.invalid is not None:
            bad.append(len(out))
            out.append(None)
        elif num:
            x = v.value
            if isinstance(x, Decimal):
                t = str(x)
                out.append(texts.setdefault(t, t))
            else:
                out.append(None)
        else:
            out.append(v.value)
    return out


def _field_column(fd: m.FieldDef, cells: Sequence[Any]) -> Vec | None:
    if fd.type in _NUMERIC:
        return DecVec.from_texts(cells)
    na = np.fromiter(map(is_, cells, repeat(None)), dtype=bool, count=len(cells))
    if fd.type == "bool":
        return BoolVec(np.array([bool(x) for x in cells], dtype=bool) & ~na, na)
    if fd.type in ("text", "choice"):
        return StrVec(np.array(["" if x is None else str(x) for x in cells], dtype=object), na)
    return None


def build_env(
    rubric: m.Rubric, units: list[m.Unit], inputs: Inputs
) -> tuple[dict[str, Vec], dict[str, np.ndarray]]:
    """Columns for every field and target over ``units`` (missing values masked)."""
    n = len(units)
    env: dict[str, Vec] = {}
    names = list(rubric.fields)
    numeric = [fd.type in _NUMERIC for fd in rubric.fields.values()]
    blank = [None] * len(names)
    rows: list[list[Any]] = []
    invalid = {name: np.zeros(n, dtype=bool) for name in names}
    bad: list[int] = []
    texts: dict[str, str] = {}
    for i, u in enumerate(units):
        ret = inputs.returns.get(u.name)
        if ret is None:
            rows.append(blank)
            continue
        rows.append(_cells(ret.values, names, numeric, bad, texts))
        if bad:  # rare: a value the reader could not clean (it reported why)
            for j in bad:
                invalid[names[j]][i] = True
            bad.clear()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    for (name, fd), cells in zip(rubric.fields.items(), columns, strict=True):
        col = _field_column(fd, cells)
        if col is not None:
            env[name] = col
    unit_names = [u.name for u in units]
    for name in rubric.targets:
        per_unit = inputs.targets.get(name, {})
        env[name] = DecVec.from_decimals([per_unit.get(u) for u in unit_names])
    return env, invalid


def rule_refs(rule: m.Rule, rubric: m.Rubric) -> list[str]:
    texts = [
        getattr(rule, k)
        for k in ("when", "count", "value", "expr")
        if isinstance(getattr(rule, k, None), str)
    ]
    if isinstance(rule, m.TargetRule) and isinstance(rule.target, str):
        texts.append(rule.target)
    names: list[str] = []
    for t in texts:
        for name in sorted(parse_cached(t).names):
            if (name in rubric.fields or name in rubric.targets) and name not in names:
                names.append(name)
    return names


def _assessed(item: m.Item, points: Decimal, units: list[m.Unit], rows: list[ScoreRow]) -> Assessed:
    by_unit: dict[str, list[ScoreRow]] = defaultdict(list)
    for r in rows:
        if r.item == item.id:
            by_unit[r.unit].append(r)
    per_unit = [by_unit.get(u.name, []) for u in units]
    sums = [sum((r.value for r in rs), Decimal(0)) if rs else None for rs in per_unit]
    total = DecVec.from_decimals(sums)
    has = ~total.na
    lo, hi = DecVec.const(0, len(units)), DecVec.const(points, len(units))
    out = (total.cmp(lo, "<") | total.cmp(hi, ">")) & has
    return Assessed(total, has, per_unit, out)


def score_item(
    item: m.Item,
    section: str,
    rubric: m.Rubric,
    gs_env: dict[str, Vec],
    invalid: dict[str, np.ndarray],
    units: list[m.Unit],
    inputs: Inputs,
    group: str,
) -> ItemCol:
    """Score one item for every unit of a group."""
    n = len(units)
    points = item.points_for(group)
    status = np.empty(n, dtype=object)
    status.fill("ok")  # one shared str object, not n copies
    refs = rule_refs(item.rule, rubric)
    if isinstance(item.rule, m.ScoreRule):
        assert points is not None
        a = _assessed(item, points, units, inputs.scores.get(item.source, []))
        pts = DecVec.const(points, n)
        zero = DecVec.const(0, n)
        filled = a.total.fill(0, ~a.has_rows)
        raw = pts - filled if item.rule.as_ == "deduction" else filled
        raw = raw.clamp(zero, pts)
        if item.rule.as_ == "score":
            status[~a.has_rows] = "unscored"
        status[a.out_of_range] = "out-of-range"
        score = raw.round_half_up(rubric.decimals)
        return ItemCol(item, section, points, score, status, refs, None, a)
    out = apply_rule(item.rule, RuleCtx(n, gs_env, points))
    na = out.raw.na
    if na.any():
        missing = np.zeros(n, dtype=bool)
        bad = np.zeros(n, dtype=bool)
        for f in refs:
            col = gs_env.get(f)
            if col is not None:
                missing |= col.na
            if f in invalid:
                bad |= invalid[f]
        status[na] = "no-value"
        status[na & missing] = "missing"
        status[na & bad] = "invalid"
    score = out.raw.fill(0, na).round_half_up(rubric.decimals)
    return ItemCol(item, section, points, score, status, refs, out)


def _sum_scores(cols: list[ItemCol], n: int, decimals: int) -> DecVec:
    total = DecVec.const(0, n).round_half_up(decimals)
    for c in cols:
        total = total + c.score
    return total


def _adjust(
    block: m.Adjustments,
    name: str,
    rubric: m.Rubric,
    env: dict[str, Vec],
    invalid: dict[str, np.ndarray],
    units: list[m.Unit],
    inputs: Inputs,
    gid: str,
    extra: DecVec | None = None,
) -> tuple[list[ItemCol], DecVec]:
    n = len(units)
    cols = [
        score_item(it, name, rubric, env, invalid, units, inputs, gid)
        for it in block.items
        if it.groups is None or gid in it.groups
    ]
    total = _sum_scores(cols, n, rubric.decimals)
    if extra is not None:
        total = total + extra.round_half_up(rubric.decimals)
    if block.cap is not None:
        total = total.minimum(DecVec.const(block.cap, n)).round_half_up(rubric.decimals)
    return cols, total


def score_group(
    rubric: m.Rubric, group: m.Group, units: list[m.Unit], inputs: Inputs, period: str | None = None
) -> GroupScores:
    """Score all units of one group; ranks and grades are applied by the caller.

    ``period`` (default: the one the inputs were read for) places record lists in time.
    """
    n = len(units)
    gid = group.id
    env, invalid = build_env(rubric, units, inputs)
    records = None
    if uses_records(rubric):
        when = period if period is not None else inputs.period
        records = evaluate_records(rubric, gid, units, inputs, when, env, invalid)
    scale = rubric.scale_for(gid)
    items: list[ItemCol] = []
    sections: list[SectionCol] = []
    for s in rubric.sections_for(gid):
        cols = [score_item(it, s.id, rubric, env, invalid, units, inputs, gid) for it in s.items_for(gid)]
        items.extend(cols)
        raw = _sum_scores(cols, n, rubric.decimals)
        raw_points = sum((c.points or Decimal(0) for c in cols), Decimal(0))
        weight = s.weight_for(gid)
        if weight is not None and raw_points:
            contrib_points = scale * weight
            contrib = (DecVec.const(contrib_points, n) * raw / DecVec.const(raw_points, n)).round_half_up(
                rubric.decimals
            )
        else:
            contrib_points = raw_points
            contrib = raw
        sections.append(SectionCol(s, contrib_points, raw_points, weight, raw, contrib))
    bonus_items, bonus = _adjust(rubric.bonus, "bonus", rubric, env, invalid, units, inputs, gid)
    warned = records.penalty if records is not None else None
    penalty_items, penalty = _adjust(
        rubric.penalty, "penalty", rubric, env, invalid, units, inputs, gid, warned
    )
    total = DecVec.const(0, n).round_half_up(rubric.decimals)
    for sc in sections:
        total = total + sc.score
    total = (total + bonus - penalty).maximum(DecVec.const(0, n))
    total_before = total
    vetoes: list[VetoCol] = []
    for v in rubric.veto_for(gid):
        when = evaluate(parse_cached(v.when), env, n)
        assert isinstance(when, BoolVec)
        hit = when.v & ~when.na
        vetoes.append(VetoCol(v, hit, when.na.copy()))
        if v.effect == "zero":
            total = DecVec.const(0, n).round_half_up(rubric.decimals).where(hit, total)
        elif isinstance(v.effect, m.CapEffect):
            capped = total.minimum(DecVec.const(v.effect.cap, n)).round_half_up(rubric.decimals)
            total = total.where(~hit, capped)
    return GroupScores(
        group,
        units,
        env,
        invalid,
        items,
        sections,
        bonus_items,
        penalty_items,
        bonus,
        penalty,
        total_before,
        total,
        vetoes,
        records,
    )
