"""Property tests: DecVec against decimal.Decimal, rule bounds and monotonicity, totals, ranks, vetoes."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from helpers import make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safescore.api import score
from safescore.engine.decvec import DecVec
from safescore.engine.rules import competition_rank
from safescore.results.model import Result
from safescore.results.ranks import competition_ranks
from safescore.rubric.model import Rubric

D = Decimal
EXACT = Context(prec=400)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ============================================================================ (1) DecVec vs Decimal

small = st.integers(-(10**6), 10**6)
medium = st.integers(-(10**12), 10**12)
big = st.integers(-(10**25), 10**25)  # beyond int64: the object/big-int path
near_limit = st.sampled_from([10**17, -(10**17), 10**18 - 1, 2**62 - 1, -(2**62) + 1, 4 * 10**18, 10**17 + 7])
# exact halves at some number of places: where half-up, half-even and floats disagree
ties = st.sampled_from([5, -5, 15, 25, -125, 2675, 1005, 87125, 11625, 10**20 + 5, -(10**18) - 5])
mantissas = st.one_of(small, medium, big, near_limit, ties, st.just(0))


@st.composite
def decimals(draw: st.DrawFn, max_exp: int = 8) -> Decimal:
    m = draw(mantissas)
    e = draw(st.integers(0, max_exp))
    return D(m).scaleb(-e)


def columns(
    n: int, elements: st.SearchStrategy[Decimal] | None = None, na: bool = True
) -> st.SearchStrategy[list[Decimal | None]]:
    el: st.SearchStrategy[Any] = elements if elements is not None else decimals()
    if na:
        el = st.one_of(el, st.none())
    return st.lists(el, min_size=n, max_size=n)


@st.composite
def pair(
    draw: st.DrawFn, elements: st.SearchStrategy[Decimal] | None = None
) -> tuple[list[Decimal | None], list[Decimal | None]]:
    n = draw(st.integers(1, 6))
    return draw(columns(n, elements)), draw(columns(n, elements))


def vec(values: list[Decimal | None]) -> DecVec:
    return DecVec.from_decimals(values)


def as_list(v: DecVec) -> list[Decimal | None]:
    return v.to_decimals()


def same(got: list[Decimal | None], want: list[Decimal | None]) -> bool:
    """Equal values (not just equal text) and equal missing positions."""
    return len(got) == len(want) and all(
        (g is None and w is None) or (g is not None and w is not None and g == w)
        for g, w in zip(got, want, strict=True)
    )


def lift(
    fn: Callable[[Decimal, Decimal], Decimal], a: list[Decimal | None], b: list[Decimal | None]
) -> list[Decimal | None]:
    return [None if x is None or y is None else fn(x, y) for x, y in zip(a, b, strict=True)]


@FAST
@given(pair())
def test_decvec_exact_ops_match_decimal(ab: tuple[list[Decimal | None], list[Decimal | None]]) -> None:
    a, b = ab
    va, vb = vec(a), vec(b)
    assert same(as_list(va + vb), lift(EXACT.add, a, b))
    assert same(as_list(va - vb), lift(EXACT.subtract, a, b))
    assert same(as_list(va * vb), lift(EXACT.multiply, a, b))


@FAST
@given(columns(5))
def test_decvec_roundtrip_neg_abs_sum(a: list[Decimal | None]) -> None:
    v = vec(a)
    assert same(as_list(v), a)
    assert same(as_list(-v), [None if x is None else -x for x in a])
    assert same(as_list(abs(v)), [None if x is None else abs(x) for x in a])
    with localcontext(EXACT):
        assert v.sum() == sum((x for x in a if x is not None), D(0))


def exp_of(values: list[Decimal | None]) -> int:
    return max((max(-x.as_tuple().exponent, 0) for x in values if x is not None), default=0)  # type: ignore[operator]


def exact_quotient(x: Decimal, y: Decimal) -> Fraction:
    return Fraction(x) / Fraction(y)


def round_fraction(q: Fraction, places: int, mode: str) -> Decimal:
    """Round an exact rational to ``places`` decimals (mode: ROUND_HALF_UP or ROUND_HALF_EVEN)."""
    with localcontext(EXACT):
        # enough digits that the decimal approximation decides the rounding exactly
        scaled = q * 10**places
        floor = scaled.numerator // scaled.denominator
        rest = scaled - floor
        sign = 1
        if q < 0:
            scaled = -scaled
            floor = scaled.numerator // scaled.denominator
            rest = scaled - floor
            sign = -1
        if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and (mode == ROUND_HALF_UP or floor % 2 == 1)):
            floor += 1
        return D(sign * floor).scaleb(-places)


nonzero = st.one_of(small, medium, big, near_limit).filter(lambda m: m != 0)


@st.composite
def divisors(draw: st.DrawFn) -> Decimal:
    m = draw(st.one_of(nonzero, st.just(0)))
    return D(m).scaleb(-draw(st.integers(0, 8)))


def fractions_of(v: DecVec) -> list[Fraction | None]:
    return [v.fraction_at(i) for i in range(len(v))]


def exact_div(a: list[Decimal | None], b: list[Decimal | None]) -> list[Fraction | None]:
    return [
        None if x is None or y is None or y == 0 else exact_quotient(x, y) for x, y in zip(a, b, strict=True)
    ]


@st.composite
def quotients(draw: st.DrawFn) -> tuple[DecVec, list[Fraction | None]]:
    """A column that went through a division, with its exact rational values."""
    n = draw(st.integers(1, 5))
    a, b = draw(columns(n)), draw(columns(n, divisors()))
    return vec(a) / vec(b), exact_div(a, b)


@FAST
@given(st.data())
def test_decvec_division_is_exact(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    a = data.draw(columns(n))
    b = data.draw(columns(n, divisors()))
    q = vec(a) / vec(b)
    assert fractions_of(q) == exact_div(a, b)
    # and back: (a / b) * b == a wherever b is not zero
    back = q * vec(b)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x is not None and y is not None and y != 0:
            assert back.fraction_at(i) == Fraction(x)


@FAST
@given(quotients(), quotients(), st.integers(0, 6))
def test_decvec_rational_arithmetic_and_rounding(
    p: tuple[DecVec, list[Fraction | None]], q: tuple[DecVec, list[Fraction | None]], places: int
) -> None:
    (va, fa), (vb, fb) = p, q
    k = min(len(va), len(vb))
    va = DecVec(va.m[:k], va.e, va.na[:k], None if va.d is None else va.d[:k])
    vb = DecVec(vb.m[:k], vb.e, vb.na[:k], None if vb.d is None else vb.d[:k])
    fa, fb = fa[:k], fb[:k]

    def both(fn: Callable[[Fraction, Fraction], Fraction]) -> list[Fraction | None]:
        return [None if x is None or y is None else fn(x, y) for x, y in zip(fa, fb, strict=True)]

    assert fractions_of(va + vb) == both(operator.add)
    assert fractions_of(va - vb) == both(operator.sub)
    assert fractions_of(va * vb) == both(operator.mul)
    assert fractions_of(va.minimum(vb)) == both(min)
    assert fractions_of(va.maximum(vb)) == both(max)
    for op, fn in CMP_OPS.items():
        got = va.cmp(vb, op)
        for g, x, y in zip(got, fa, fb, strict=True):
            if x is not None and y is not None:
                assert bool(g) == fn(x, y), (op, x, y)
    rounded = va.round_half_up(places)
    assert rounded.d is None
    assert same(
        as_list(rounded), [None if x is None else round_fraction(x, places, ROUND_HALF_UP) for x in fa]
    )


def test_division_then_rounding_has_no_double_rounding() -> None:
    # 666668 / 2000003 = 0.33333349999975000037… → half-up to 6 places is 0.333333 (not 0.333334)
    q = (vec([D(666668)]) / vec([D(2000003)])).round_half_up(6)
    assert as_list(q) == [D("0.333333")]
    # 23 / 24 * 3 = 2.875 exactly → 2.88
    assert as_list((vec([D(23)]) / vec([D(24)]) * vec([D(3)])).round_half_up(2)) == [D("2.88")]
    # 1 / 3 * 3 == 1
    third = vec([D(1)]) / vec([D(3)])
    assert as_list((third * vec([D(3)])).round_half_up(0)) == [D(1)]
    assert bool((third * vec([D(3)])).cmp(vec([D(1)]), "==")[0])


def halves(places: int) -> st.SearchStrategy[Decimal]:
    """Values exactly halfway at ``places`` decimals (k + 0.5) * 10**-places, either sign."""
    return st.builds(
        lambda k, s: (s * (D(k) + D("0.5"))).scaleb(-places), st.one_of(small, big), st.sampled_from([1, -1])
    )


@FAST
@given(st.data(), st.integers(0, 8))
def test_decvec_round_half_up_matches_decimal(data: st.DataObject, places: int) -> None:
    a = data.draw(columns(6, st.one_of(decimals(), halves(places)), na=True))
    got = as_list(vec(a).round_half_up(places))
    with localcontext(EXACT):
        want = [None if x is None else x.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP) for x in a]
    assert same(got, want)
    # and every result carries exactly ``places`` decimals
    assert all(g is None or g.as_tuple().exponent == -places for g in got)


@FAST
@given(pair())
def test_decvec_minimum_maximum_match_decimal(ab: tuple[list[Decimal | None], list[Decimal | None]]) -> None:
    a, b = ab
    assert same(as_list(vec(a).minimum(vec(b))), lift(min, a, b))
    assert same(as_list(vec(a).maximum(vec(b))), lift(max, a, b))


CMP_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@FAST
@given(pair())
def test_decvec_cmp_matches_decimal(ab: tuple[list[Decimal | None], list[Decimal | None]]) -> None:
    a, b = ab
    va, vb = vec(a), vec(b)
    for op, fn in CMP_OPS.items():
        got = va.cmp(vb, op)
        assert got.dtype == bool
        for g, x, y in zip(got, a, b, strict=True):
            if x is not None and y is not None:
                assert bool(g) == fn(x, y), (op, x, y)


@FAST
@given(pair(), st.lists(st.booleans(), min_size=6, max_size=6))
def test_decvec_where_and_fill(
    ab: tuple[list[Decimal | None], list[Decimal | None]], cond_list: list[bool]
) -> None:
    a, b = ab
    cond = np.array(cond_list[: len(a)], dtype=bool)
    got = as_list(vec(a).where(cond, vec(b)))
    assert same(got, [x if c else y for c, x, y in zip(cond, a, b, strict=True)])
    filled = as_list(vec(a).fill(7, cond))
    assert same(filled, [D(7) if c else x for c, x in zip(cond, a, strict=True)])


def test_decvec_object_path_is_used_and_exact() -> None:
    a = vec([D(10**19) + D("0.5"), D(-(10**19))])
    b = vec([D(10**17), D("0.000001")])
    assert a.m.dtype == object  # mantissa 10**20 + 5 does not fit int64: Python ints
    assert as_list(a * b) == [D(10**36) + D(5 * 10**16), D(-(10**13))]
    assert as_list(a + b) == [D(10**19 + 10**17) + D("0.5"), D(-(10**19)) + D("0.000001")]
    assert as_list(a / vec([D(2), D(-4)])) == [D(5 * 10**18) + D("0.25"), D(25 * 10**17)]
    s = vec([D(3 * 10**18), D(-3 * 10**18)])
    assert s.m.dtype == np.int64
    assert as_list(s + s) == [D(6 * 10**18), D(-6 * 10**18)]  # the sum would overflow int64
    assert as_list(s - vec([D(-3 * 10**18), D(3 * 10**18)])) == [D(6 * 10**18), D(-6 * 10**18)]
    assert as_list(s * s) == [D(9 * 10**36)] * 2
    assert as_list(vec([D("1e-18")]) * vec([D(7 * 10**18)])) == [D(7)]
    assert as_list(vec([D("4611686018427387.903")]).round_half_up(2)) == [D("4611686018427387.90")]


# ============================================================================ rubric builders

UNITS = [f"u{i}" for i in range(8)]


def rubric_doc(items: list[dict[str, Any]], n_units: int, **top: Any) -> dict[str, Any]:
    scale = sum(D(str(it["points"])) for it in items)
    doc: dict[str, Any] = {
        "rubric": "p",
        "title": "性质测试",
        "scale": str(scale),
        "groups": [{"id": "g", "title": "组"}],
        "units": [{"name": u, "group": "g"} for u in UNITS[:n_units]],
        "fields": {
            "x": {"label": "x", "type": "number"},
            "y": {"label": "y", "type": "number"},
            "flag": {"label": "flag", "type": "bool"},
        },
        "targets": {"tgt": {"title": "目标", "default": "3"}},
        "sources": {"onsite": {"title": "现场"}},
        "sections": [{"id": "s", "title": "一", "items": items}],
    }
    doc.update(top)
    return doc


def run_doc(
    doc: dict[str, Any], returns: dict[str, dict[str, Any]], scores: dict[str, list[tuple]] | None = None
) -> Result:
    r = Rubric.model_validate(doc)
    return score(r, make_inputs(r, returns, scores), "P")


values = st.one_of(
    st.none(),
    st.integers(-20, 120).map(D),
    st.builds(lambda m, e: D(m).scaleb(-e), st.integers(-(10**6), 10**6), st.integers(0, 4)),
    st.sampled_from([D(0), D("0.955"), D("0.999"), D(1), D("1.5")]),
)
pos = st.builds(lambda m, e: D(m).scaleb(-e), st.integers(0, 2000), st.integers(0, 2)).map(str)
frac = st.sampled_from(["0", "0.5", "0.8", "0.9", "0.95", "1", "1.2"])
num_expr = st.sampled_from(["x", "x - y", "x / y", "x * 100", "if_(y == 0, x, x / y)", "min(x, y)"])


def rule_strategy(kind: str, points: int) -> st.SearchStrategy[dict[str, Any]]:
    if kind == "check":
        return st.fixed_dictionaries(
            {"kind": st.just("check"), "when": st.sampled_from(["flag", "x > y", "not flag or x / y >= 1"])},
            optional={"else": st.integers(-5, points * 2).map(str)},
        )
    if kind == "deduct":
        return st.fixed_dictionaries(
            {"kind": st.just(kind), "count": num_expr, "per": pos}, optional={"max": pos}
        )
    if kind == "rate":
        return st.fixed_dictionaries(
            {"kind": st.just(kind), "value": num_expr},
            optional={"full": frac, "per_point": pos, "zero_below": frac},
        )
    if kind == "target":
        return st.fixed_dictionaries(
            {
                "kind": st.just(kind),
                "value": num_expr,
                "target": st.one_of(pos, st.just("tgt"), st.just("0")),
                "better": st.sampled_from(["lower", "higher"]),
            },
            optional={"per": pos, "zero_beyond": frac},
        )
    if kind == "bands":
        band = st.fixed_dictionaries(
            {"score": st.integers(0, points).map(str)},
            optional={
                "min": values.filter(lambda v: v is not None).map(str),
                "max": values.filter(lambda v: v is not None).map(str),
            },
        )
        return st.fixed_dictionaries(
            {"kind": st.just(kind), "value": num_expr, "bands": st.lists(band, min_size=1, max_size=4)}
        )
    if kind == "linear":
        return (
            st.tuples(st.integers(-50, 150), st.integers(-50, 150))
            .filter(lambda t: t[0] != t[1])
            .flatmap(
                lambda t: st.fixed_dictionaries(
                    {
                        "kind": st.just(kind),
                        "value": num_expr,
                        "from": st.just(str(t[0])),
                        "to": st.just(str(t[1])),
                    }
                )
            )
        )
    if kind == "relative":
        return st.fixed_dictionaries(
            {"kind": st.just(kind), "value": num_expr, "best": st.sampled_from(["max", "min"])}
        )
    if kind == "rank":
        return st.fixed_dictionaries(
            {"kind": st.just(kind), "value": num_expr, "order": st.sampled_from(["desc", "asc"]), "step": pos}
        )
    if kind == "formula":
        return st.fixed_dictionaries(
            {
                "kind": st.just(kind),
                "expr": st.sampled_from(["x", "x * y - 3", "if_(flag, x, y) / 3", "round(x, 1) + 0.005"]),
            }
        )
    if kind == "score":
        return st.fixed_dictionaries(
            {"kind": st.just(kind)}, optional={"as": st.sampled_from(["score", "deduction"])}
        )
    raise AssertionError(kind)


@st.composite
def unit_returns(draw: st.DrawFn, n: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for u in UNITS[:n]:
        if draw(st.integers(0, 9)) == 0:
            continue  # no return at all
        row: dict[str, Any] = {"x": draw(values), "y": draw(values)}
        flag = draw(st.sampled_from([True, False, None]))
        row["flag"] = flag
        out[u] = row
    return out


KINDS = ["check", "deduct", "rate", "target", "bands", "linear", "relative", "rank", "formula", "score"]


# ============================================================================ (2) scores within [0, points]


@SLOW
@given(st.data())
@pytest.mark.parametrize("kind", KINDS)
def test_item_scores_stay_within_points(kind: str, data: st.DataObject) -> None:
    points = data.draw(st.sampled_from([1, 10, 15, 100]))
    decimals = data.draw(st.integers(0, 4))
    n = data.draw(st.integers(1, 6))
    rule = data.draw(rule_strategy(kind, points))
    it: dict[str, Any] = {"id": "i", "title": "指标", "points": points, "rule": rule}
    if kind == "score":
        it["source"] = "onsite"
    doc = rubric_doc([it], n, decimals=decimals)
    rows = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(UNITS[:n]), st.just("i"), st.integers(-5, points + 5).map(str), st.just("")
            ),
            max_size=6,
        )
    )
    res = run_doc(doc, data.draw(unit_returns(n)), {"onsite": rows})
    assert len(res.units) == n
    for u in res.units:
        s = u.item("i").score
        assert D(0) <= s <= D(points), (u.unit, s, rule)
        assert s.as_tuple().exponent == -decimals
        if u.item("i").status in ("missing", "invalid", "no-value", "unscored"):
            assert s == 0


@SLOW
@given(st.data())
def test_per_bonus_stays_within_its_cap(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    per = data.draw(pos)
    cap = data.draw(st.one_of(st.none(), pos))
    rule: dict[str, Any] = {"kind": "per", "count": data.draw(num_expr), "per": per}
    if cap is not None:
        rule["cap"] = cap
    block_cap = data.draw(st.one_of(st.none(), pos))
    bonus: dict[str, Any] = {"items": [{"id": "b", "title": "加分", "rule": rule}]}
    if block_cap is not None:
        bonus["cap"] = block_cap
    doc = rubric_doc(
        [{"id": "i", "title": "i", "points": 10, "rule": {"kind": "formula", "expr": "x"}}], n, bonus=bonus
    )
    res = run_doc(doc, data.draw(unit_returns(n)))
    for u in res.units:
        s = u.item("b").score
        assert s >= 0
        if cap is not None:
            assert s <= D(cap)
        assert u.bonus == (min(s, D(block_cap)) if block_cap is not None else s)


# ============================================================================ (3) monotone rules


def sorted_scores(res: Result, xs: list[Decimal]) -> list[Decimal]:
    by_unit = {u.unit: u.item("i").score for u in res.units}
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    return [by_unit[UNITS[i]] for i in order]


def non_decreasing(s: list[Decimal]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(s))


def non_increasing(s: list[Decimal]) -> bool:
    return all(a >= b for a, b in itertools.pairwise(s))


xs_values = st.lists(
    st.builds(lambda m, e: D(m).scaleb(-e), st.integers(-200, 20000), st.integers(0, 3)),
    min_size=2,
    max_size=8,
)


@st.composite
def monotone_case(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A rule over ``x`` and the direction its score moves as x grows."""
    kind = draw(st.sampled_from(["deduct", "rate", "target", "linear", "bands", "relative", "rank"]))
    if kind == "deduct":
        rule = draw(
            st.fixed_dictionaries(
                {"kind": st.just(kind), "count": st.just("x"), "per": pos}, optional={"max": pos}
            )
        )
        return rule, "down"
    if kind == "rate":
        rule = draw(
            st.fixed_dictionaries(
                {"kind": st.just(kind), "value": st.just("x / 100")},
                optional={"full": frac, "per_point": pos, "zero_below": frac},
            )
        )
        return rule, "up"
    if kind == "target":
        better = draw(st.sampled_from(["lower", "higher"]))
        rule = draw(
            st.fixed_dictionaries(
                {
                    "kind": st.just(kind),
                    "value": st.just("x"),
                    "target": st.one_of(pos, st.just("tgt")),
                    "better": st.just(better),
                },
                optional={"per": pos, "zero_beyond": frac},
            )
        )
        return rule, "down" if better == "lower" else "up"
    if kind == "linear":
        a, b = draw(st.tuples(st.integers(-100, 300), st.integers(-100, 300)).filter(lambda t: t[0] != t[1]))
        return {"kind": kind, "value": "x", "from": str(a), "to": str(b)}, "up" if a < b else "down"
    if kind == "bands":
        k = draw(st.integers(1, 4))
        mins = sorted(
            draw(st.lists(st.integers(-100, 300), min_size=k, max_size=k, unique=True)), reverse=True
        )
        scores = sorted(draw(st.lists(st.integers(0, 10), min_size=k + 1, max_size=k + 1)), reverse=True)
        bands: list[dict[str, Any]] = [
            {"min": str(mn), "score": str(sc)} for mn, sc in zip(mins, scores, strict=False)
        ]
        bands.append({"score": str(scores[-1])})  # the default band is the lowest
        return {"kind": kind, "value": "x", "bands": bands}, "up"
    if kind == "relative":
        return {"kind": kind, "value": "x", "best": "max"}, "up"
    order = draw(st.sampled_from(["desc", "asc"]))
    return {
        "kind": kind,
        "value": "x",
        "order": order,
        "step": draw(pos),
    }, "up" if order == "desc" else "down"


@SLOW
@given(monotone_case(), xs_values)
def test_monotone_rules_are_monotone(case: tuple[dict[str, Any], str], xs: list[Decimal]) -> None:
    rule, direction = case
    if rule["kind"] == "relative":
        xs = [abs(x) for x in xs]  # proportional scoring is for non-negative values
    n = len(xs)
    doc = rubric_doc([{"id": "i", "title": "i", "points": 10, "rule": rule}], n)
    res = run_doc(doc, {UNITS[i]: {"x": xs[i], "y": 1, "flag": True} for i in range(n)})
    s = sorted_scores(res, xs)
    assert (non_decreasing if direction == "up" else non_increasing)(s), (rule, xs, s)


@st.composite
def exact_case(
    draw: st.DrawFn,
) -> tuple[dict[str, Any], Callable[[Fraction, list[Fraction], Fraction], Fraction]]:
    """A rule over ``x`` and its SPEC 3.1 formula in exact rationals: f(x, all xs, points)."""
    rule: dict[str, Any]
    kind = draw(st.sampled_from(["deduct", "rate", "target", "relative", "linear"]))
    F = Fraction
    if kind == "linear":
        lo, hi = draw(
            st.tuples(st.integers(-100, 300), st.integers(-100, 300)).filter(lambda t: t[0] != t[1])
        )
        rule = {"kind": kind, "value": "x", "from": str(lo), "to": str(hi)}
        return rule, lambda x, xs, p: p * min(max((x - lo) / F(hi - lo), F(0)), F(1))
    if kind == "deduct":
        per, mx = draw(pos), draw(st.one_of(st.none(), pos))
        rule = {"kind": kind, "count": "x", "per": per}
        if mx is not None:
            rule["max"] = mx
        return rule, lambda x, xs, p: p - min(F(per) * x, F(mx) if mx is not None else p)
    if kind == "rate":
        full, pp, zb = draw(frac), draw(st.one_of(st.none(), pos)), draw(st.one_of(st.none(), frac))
        rule = {"kind": kind, "value": "x / 100", "full": full}
        if pp is not None:
            rule["per_point"] = pp
        if zb is not None:
            rule["zero_below"] = zb

        def rate(x: Fraction, xs: list[Fraction], p: Fraction) -> Fraction:
            v = x / 100
            miss = max(F(0), F(full) - v) * 100
            raw = p - F(pp) * miss if pp is not None else (F(0) if miss > 0 else p)
            return F(0) if zb is not None and v < F(zb) else raw

        return rule, rate
    if kind == "target":
        t, better = draw(pos), draw(st.sampled_from(["lower", "higher"]))
        per, zbe = draw(st.one_of(st.none(), pos)), draw(st.one_of(st.none(), frac))
        rule = {"kind": kind, "value": "x", "target": t, "better": better}
        if per is not None:
            rule["per"] = per
        if zbe is not None:
            rule["zero_beyond"] = zbe

        def target(x: Fraction, xs: list[Fraction], p: Fraction) -> Fraction:
            miss = max(F(0), x - F(t) if better == "lower" else F(t) - x)
            raw = p - F(per) * miss if per is not None else (F(0) if miss > 0 else p)
            return F(0) if zbe is not None and miss > F(zbe) * F(t) else raw

        return rule, target
    best = draw(st.sampled_from(["max", "min"]))
    if best == "max":
        return {"kind": kind, "value": "x", "best": best}, lambda x, xs, p: p * x / max(xs)
    return {"kind": kind, "value": "x", "best": best}, lambda x, xs, p: p * min(xs) / x


@SLOW
@given(
    exact_case(),
    st.lists(
        st.builds(lambda m, e: D(m).scaleb(-e), st.integers(1, 30000), st.integers(0, 3)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([7, 10, 15, 30]),
    st.integers(0, 4),
)
def test_rule_scores_equal_the_exact_formula(
    case: tuple[dict[str, Any], Any], xs: list[Decimal], points: int, decimals: int
) -> None:
    """The engine's score is SPEC 3.1's formula in exact arithmetic, clamped and rounded half-up once."""
    rule, formula = case
    n = len(xs)
    doc = rubric_doc([{"id": "i", "title": "i", "points": points, "rule": rule}], n, decimals=decimals)
    res = run_doc(doc, {UNITS[i]: {"x": xs[i]} for i in range(n)})
    fx = [Fraction(x) for x in xs]
    for i, u in enumerate(res.units):
        want = half_up(
            min(max(formula(fx[i], fx, Fraction(points)), Fraction(0)), Fraction(points)), decimals
        )
        assert u.item("i").score == want, (rule, xs[i], points, decimals)


# ============================================================================ (4) sections and totals add up


def half_up(q: Fraction | Decimal, places: int) -> Decimal:
    return round_fraction(Fraction(q), places, ROUND_HALF_UP)


@SLOW
@given(st.data())
def test_sections_and_total_add_up(data: st.DataObject) -> None:
    decimals = data.draw(st.integers(0, 3))
    n = data.draw(st.integers(1, 5))
    weighted = data.draw(st.booleans())
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    fields: dict[str, Any] = {}
    sections: list[dict[str, Any]] = []
    k = 0
    for si, size in enumerate(sizes):
        items = []
        for _ in range(size):
            name = f"f{k}"
            fields[name] = {"label": name, "type": "number"}
            items.append(
                {
                    "id": name,
                    "title": name,
                    "points": data.draw(st.sampled_from([5, 10, 20, 30])),
                    "rule": {"kind": "formula", "expr": name},
                }
            )
            k += 1
        sections.append({"id": f"s{si}", "title": f"s{si}", "items": items})
    scale: Decimal = sum((D(it["points"]) for s in sections for it in s["items"]), D(0))
    if weighted:
        # weights that sum to 1: equal shares of 100ths, remainder on the first
        w = [D(100 // len(sections)) / 100] * len(sections)
        w[0] += 1 - sum(w)
        for s, wt in zip(sections, w, strict=True):
            s["weight"] = str(wt)
        scale = D(100)
    bonus_cap = data.draw(st.one_of(st.none(), st.integers(0, 20)))
    penalty_cap = data.draw(st.one_of(st.none(), st.integers(0, 20)))
    fields.update({"aw": {"label": "aw", "type": "number"}, "pn": {"label": "pn", "type": "number"}})
    bonus: dict[str, Any] = {
        "items": [{"id": "b", "title": "b", "rule": {"kind": "per", "count": "aw", "per": "1.5"}}]
    }
    penalty: dict[str, Any] = {
        "items": [{"id": "p", "title": "p", "rule": {"kind": "per", "count": "pn", "per": "2.25"}}]
    }
    if bonus_cap is not None:
        bonus["cap"] = bonus_cap
    if penalty_cap is not None:
        penalty["cap"] = penalty_cap
    doc = {
        "rubric": "p",
        "title": "p",
        "scale": str(scale),
        "decimals": decimals,
        "groups": [{"id": "g", "title": "g"}],
        "units": [{"name": u, "group": "g"} for u in UNITS[:n]],
        "fields": fields,
        "sections": sections,
        "bonus": bonus,
        "penalty": penalty,
    }
    item_values = st.builds(lambda m, e: D(m).scaleb(-e), st.integers(-100, 4000), st.integers(0, 4))
    returns = {
        u: {
            **{f: data.draw(st.one_of(item_values, st.none())) for f in fields if f.startswith("f")},
            "aw": data.draw(st.integers(0, 10)),
            "pn": data.draw(st.integers(0, 12)),
        }
        for u in UNITS[:n]
    }
    res = run_doc(doc, returns)
    for u in res.units:
        contribs = []
        for s, sdoc in zip(u.sections, sections, strict=True):
            its = [u.item(it["id"]) for it in sdoc["items"]]
            raw = sum((i.score for i in its), D(0))
            assert s.raw == raw
            points = sum((D(it["points"]) for it in sdoc["items"]), D(0))
            if weighted:
                want = half_up(
                    Fraction(scale) * Fraction(D(sdoc["weight"])) * Fraction(raw) / Fraction(points), decimals
                )
            else:
                want = raw
            assert s.score == want
            contribs.append(s.score)
        b, p = u.item("b").score, u.item("p").score
        b_eff = min(b, D(bonus_cap)) if bonus_cap is not None else b
        p_eff = min(p, D(penalty_cap)) if penalty_cap is not None else p
        assert (u.bonus, u.penalty) == (b_eff, p_eff)
        assert u.total == max(D(0), sum(contribs, D(0)) + b_eff - p_eff)
        assert u.total.as_tuple().exponent == -decimals


# ============================================================================ (5) ranks


keys_strategy = st.lists(
    st.tuples(st.integers(0, 5).map(D), st.integers(0, 3).map(D)), min_size=0, max_size=12
)


@FAST
@given(keys_strategy, st.randoms(use_true_random=False))
def test_competition_ranks(keys: list[tuple[Decimal, Decimal]], rnd: Any) -> None:
    ranks = competition_ranks(keys)
    for i, k in enumerate(keys):
        assert ranks[i] == 1 + sum(1 for other in keys if other > k)
    perm = list(range(len(keys)))
    rnd.shuffle(perm)
    assert competition_ranks([keys[i] for i in perm]) == [ranks[i] for i in perm]


@FAST
@given(st.lists(st.one_of(st.none(), mantissas), min_size=0, max_size=10), st.booleans())
def test_rule_rank_is_competition_rank(vals: list[int | None], descending: bool) -> None:
    valid = np.array([v is not None for v in vals], dtype=bool)
    ints = [0 if v is None else v for v in vals]
    big_ = any(abs(v) >= 2**62 for v in ints)
    keys = np.array(ints, dtype=object if big_ else np.int64)
    got = competition_rank(keys, valid, descending)
    present = [v for v in vals if v is not None]
    for i, v in enumerate(vals):
        if v is None:
            assert got[i] == 0
        elif descending:
            assert got[i] == 1 + sum(1 for o in present if o > v)
        else:
            assert got[i] == 1 + sum(1 for o in present if o < v)


@SLOW
@given(st.lists(st.builds(lambda m: D(m).scaleb(-3), st.integers(0, 100_000)), min_size=1, max_size=8))
def test_result_ranks_follow_rounded_totals(xs: list[Decimal]) -> None:
    n = len(xs)
    doc = rubric_doc([{"id": "i", "title": "i", "points": 100, "rule": {"kind": "formula", "expr": "x"}}], n)
    res = run_doc(doc, {UNITS[i]: {"x": xs[i]} for i in range(n)})
    totals = [u.total for u in res.units]
    for u in res.units:
        assert u.rank == 1 + sum(1 for t in totals if t > u.total)
    assert [res.unit(name).rank for name in res.groups[0].ranking] == sorted(u.rank for u in res.units)


# ============================================================================ (6) vetoes never raise a score


GRADES = [
    {"name": "优秀", "min": "90", "quota": "0.3"},
    {"name": "良好", "min": "75"},
    {"name": "合格", "min": "60"},
    {"name": "不合格"},
]
GRADE_INDEX = {g["name"]: i for i, g in enumerate(GRADES)}
effects = st.one_of(
    st.sampled_from(["fail", "zero"]),
    st.integers(0, 100).map(lambda c: {"cap": str(c)}),
    st.sampled_from(["优秀", "良好", "合格", "不合格"]).map(lambda g: {"max_grade": g}),
)


@SLOW
@given(
    st.lists(
        st.tuples(st.builds(lambda m: D(m).scaleb(-2), st.integers(0, 10_000)), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    st.lists(effects, min_size=1, max_size=2),
    st.sampled_from(["demote", "admit"]),
)
def test_a_veto_never_raises_a_score_or_grade(
    rows: list[tuple[Decimal, bool]], veto_effects: list[Any], ties: str
) -> None:
    n = len(rows)
    item = {"id": "i", "title": "i", "points": 100, "rule": {"kind": "formula", "expr": "x"}}
    vetoes = [
        {"id": f"v{k}", "title": f"否决{k}", "when": "flag", "effect": e} for k, e in enumerate(veto_effects)
    ]
    doc = rubric_doc([item], n, veto=vetoes, grades=GRADES, quota_ties=ties)
    hit = run_doc(doc, {UNITS[i]: {"x": x, "flag": f} for i, (x, f) in enumerate(rows)})
    clean = run_doc(doc, {UNITS[i]: {"x": x, "flag": False} for i, (x, _) in enumerate(rows)})
    for i, (_, f) in enumerate(rows):
        u, c = hit.unit(UNITS[i]), clean.unit(UNITS[i])
        assert u.total <= u.total_before_veto == c.total
        if f:
            assert len(u.vetoes) == len(veto_effects)
            assert GRADE_INDEX[u.grade] >= GRADE_INDEX[c.grade], (rows, veto_effects, u.grade, c.grade)  # type: ignore[index]
            if "fail" in veto_effects:
                assert u.grade == "不合格"
        else:
            assert u.vetoes == ()
