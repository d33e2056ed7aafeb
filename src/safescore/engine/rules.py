"""Rule kinds (SPEC 3.1) as vectorised functions over all units of a group.

Each function returns a :class:`RuleOut`: the unrounded score clamped to
``[0, points]`` (missing where the rule had no value), the value the rule
looked at, and the intermediate columns (miss, count, target…) that reasons
and the audit trail quote. No per-unit Python loops here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from safescore.engine.decvec import DecVec
from safescore.rubric import model as m
from safescore.rubric.check import parse_cached
from safescore.rubric.expr import BoolVec, StrVec, Vec, evaluate

HUNDRED = Decimal(100)


@dataclass
class RuleOut:
    raw: DecVec
    value: Vec | None
    params: dict[str, DecVec] = field(default_factory=dict)
    flags: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RuleCtx:
    n: int
    env: Mapping[str, Vec]
    points: Decimal | None

    def eval_num(self, text: str) -> DecVec:
        v = evaluate(parse_cached(text), self.env, self.n)
        assert isinstance(v, DecVec), f"{text} is not numeric"
        return v

    def eval_bool(self, text: str) -> BoolVec:
        v = evaluate(parse_cached(text), self.env, self.n)
        assert isinstance(v, BoolVec), f"{text} is not a condition"
        return v

    def c(self, value: Decimal | int | str) -> DecVec:
        return DecVec.const(value, self.n)

    @property
    def pts(self) -> DecVec:
        return self.c(self.points if self.points is not None else 0)

    def clamp(self, raw: DecVec) -> DecVec:
        lo = self.c(0)
        if self.points is None:
            return raw.maximum(lo)
        return raw.clamp(lo, self.pts)


def _where(cond: np.ndarray, a: DecVec, b: DecVec) -> DecVec:
    return a.where(cond, b)


def rule_check(r: m.CheckRule, ctx: RuleCtx) -> RuleOut:
    when = ctx.eval_bool(r.when)
    raw = _where(when.v, ctx.pts, ctx.c(r.else_)).with_na(when.na)
    return RuleOut(ctx.clamp(raw), when)


def rule_deduct(r: m.DeductRule, ctx: RuleCtx) -> RuleOut:
    count = ctx.eval_num(r.count)
    cap = r.max if r.max is not None else (ctx.points or Decimal(0))
    want = ctx.c(r.per) * count
    capped = want.cmp(ctx.c(cap), ">")
    lost = want.minimum(ctx.c(cap))
    return RuleOut(ctx.clamp(ctx.pts - lost), count, {"count": count}, {"capped": capped & ~count.na})


def rule_rate(r: m.RateRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.value)
    miss = (ctx.c(r.full) - v).maximum(ctx.c(0)) * ctx.c(HUNDRED)
    if r.per_point is not None:
        raw = ctx.pts - ctx.c(r.per_point) * miss
    else:
        raw = _where(miss.cmp(ctx.c(0), ">"), ctx.c(0), ctx.pts)
    flags = {}
    if r.zero_below is not None:
        below = v.cmp(ctx.c(r.zero_below), "<") & ~v.na
        raw = _where(below, ctx.c(0), raw)
        flags["zero_below"] = below
    return RuleOut(ctx.clamp(raw.with_na(v.na)), v, {"miss": miss}, flags)


def rule_target(r: m.TargetRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.value)
    t = ctx.c(r.target) if isinstance(r.target, Decimal) else ctx.eval_num(r.target)
    diff = (v - t) if r.better == "lower" else (t - v)
    miss = diff.maximum(ctx.c(0))
    if r.per is not None:
        raw = ctx.pts - ctx.c(r.per) * miss
    else:
        raw = _where(miss.cmp(ctx.c(0), ">"), ctx.c(0), ctx.pts)
    flags = {}
    if r.zero_beyond is not None:
        beyond = miss.cmp(ctx.c(r.zero_beyond) * t, ">") & ~miss.na
        raw = _where(beyond, ctx.c(0), raw)
        flags["zero_beyond"] = beyond
    na = v.na | t.na
    return RuleOut(ctx.clamp(raw.with_na(na)), v, {"miss": miss, "target": t}, flags)


def rule_bands(r: m.BandsRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.value)
    raw = ctx.c(0)
    matched = np.zeros(ctx.n, dtype=bool)
    # walk bands last-to-first so the first matching band wins
    for b in reversed(r.bands):
        cond = np.ones(ctx.n, dtype=bool)
        if b.min is not None:
            cond &= v.cmp(ctx.c(b.min), ">=")
        if b.max is not None:
            cond &= v.cmp(ctx.c(b.max), "<=")
        raw = _where(cond, ctx.c(b.score), raw)
        matched |= cond
    return RuleOut(ctx.clamp(raw.with_na(v.na)), v, {}, {"no_band": ~matched & ~v.na})


def rule_linear(r: m.LinearRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.value)
    frac = (v - ctx.c(r.from_)) / ctx.c(r.to - r.from_)
    frac = frac.clamp(ctx.c(0), ctx.c(1))
    return RuleOut(ctx.clamp(ctx.pts * frac), v)


def _best(v: DecVec, how: str) -> DecVec | None:
    """The group's best value, broadcast (exact, also for quotients)."""
    valid = np.flatnonzero(~v.na)
    if not len(valid):
        return None
    keys = v.sort_keys()[valid]
    pick = int(valid[int(np.argmax(keys) if how == "max" else np.argmin(keys))])
    n = len(v)
    idx = np.full(n, pick)
    d = v.d[idx] if v.d is not None else None
    return DecVec(v.m[idx], v.e, np.zeros(n, dtype=bool), d)


def rule_relative(r: m.RelativeRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.value)
    best = _best(v, r.best)
    if best is None:
        return RuleOut(ctx.c(0).with_na(v.na), v)
    zero = ctx.c(0)
    is_best = v.cmp(best, "==")
    if r.best == "max":
        raw = ctx.pts * v / best
    else:
        raw = ctx.pts * best / v
        is_best |= v.cmp(zero, "==")  # a value of 0 is best when lower is better
    raw = _where(is_best, ctx.pts, raw.with_na(np.zeros(ctx.n, dtype=bool)))
    return RuleOut(ctx.clamp(raw.with_na(v.na)), v, {"best": best})


def competition_rank(keys: np.ndarray, valid: np.ndarray, descending: bool = True) -> np.ndarray:
    """1 + number of valid units strictly better; 0 for invalid units."""
    ranks = np.zeros(len(keys), dtype=np.int64)
    if not valid.any():
        return ranks
    vals = keys[valid]
    if vals.dtype == object:
        vals = np.array(sorted(vals), dtype=object)
    else:
        vals = np.sort(vals)
    k = len(vals)
    if descending:
        better = k - np.searchsorted(vals, keys[valid], side="right")
    else:
        better = np.searchsorted(vals, keys[valid], side="left")
    ranks[valid] = np.asarray(better, dtype=np.int64) + 1
    return ranks


def rule_rank(r: m.RankRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.value)
    ranks = competition_rank(v.sort_keys(), ~v.na, r.order == "desc")
    rank_vec = DecVec.from_ints(ranks, 0, v.na.copy())
    raw = ctx.pts - ctx.c(r.step) * (rank_vec - ctx.c(1))
    return RuleOut(ctx.clamp(raw.with_na(v.na)), v, {"rank": rank_vec})


def rule_formula(r: m.FormulaRule, ctx: RuleCtx) -> RuleOut:
    v = ctx.eval_num(r.expr)
    out = ctx.clamp(v)
    clamped = out.cmp(v, "!=") & ~v.na
    return RuleOut(out, v, {}, {"clamped": clamped})


def rule_per(r: m.PerRule, ctx: RuleCtx) -> RuleOut:
    count = ctx.eval_num(r.count)
    raw = ctx.c(r.per) * count
    flags = {}
    if r.cap is not None:
        flags["capped"] = raw.cmp(ctx.c(r.cap), ">") & ~count.na
        raw = raw.minimum(ctx.c(r.cap))
    return RuleOut(ctx.clamp(raw), count, {"count": count}, flags)


RULES: dict[str, Callable[..., RuleOut]] = {
    "check": rule_check,
    "deduct": rule_deduct,
    "rate": rule_rate,
    "target": rule_target,
    "bands": rule_bands,
    "linear": rule_linear,
    "relative": rule_relative,
    "rank": rule_rank,
    "formula": rule_formula,
    "per": rule_per,
}


def apply_rule(rule: m.Rule, ctx: RuleCtx) -> RuleOut:
    """Run one non-assessor rule over a group."""
    return RULES[rule.kind](rule, ctx)


def is_str(v: Vec | None) -> bool:
    return isinstance(v, StrVec)
