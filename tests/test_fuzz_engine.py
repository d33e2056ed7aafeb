"""Fuzzing the engine (issue 8): random small rubrics and returns, and the invariants that must hold.

Rubrics are drawn whole: 1-2 groups, 1-3 sections (plain or weighted), 1-4 items
each of any rule kind, bonus and penalty blocks with caps, vetoes, grades and a
tiebreak. Returns are drawn per unit (some missing, some values missing or odd).
For every unit: each item within [0, points] at the rubric's decimals; sections
add up; the total is the sections plus the capped bonus minus the capped
penalty, never below 0, and a veto only lowers it; ranks follow the totals; and
scoring is deterministic, whatever the order the returns arrive in.

Bounded for CI (SAFESCORE_FUZZ_EXAMPLES, default 60 per test); run longer with e.g.
``SAFESCORE_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_engine.py``.
"""

from __future__ import annotations

import os
from decimal import Decimal
from fractions import Fraction
from typing import Any

from helpers import make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safescore.api import score
from safescore.results.model import Result, UnitResult
from safescore.rubric.model import Rubric

D = Decimal
EXAMPLES = int(os.environ.get("SAFESCORE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

FIELDS = {
    "x": {"label": "x", "type": "number"},
    "y": {"label": "y", "type": "number"},
    "n": {"label": "n", "type": "int", "min": 0},
    "p": {"label": "p", "type": "percent"},
    "flag": {"label": "flag", "type": "bool"},
}
KINDS = ["check", "deduct", "rate", "target", "bands", "linear", "relative", "rank", "formula", "score"]

num = st.builds(lambda m, e: D(m).scaleb(-e), st.integers(0, 3000), st.integers(0, 2)).map(str)
frac = st.sampled_from(["0", "0.5", "0.8", "0.95", "1", "1.2"])
expr = st.sampled_from(
    ["x", "y", "n", "p", "x - y", "x / y", "n * 2", "if_(flag, x, y)", "min(x, n)", "max(p, 0.5)"]
)
cond = st.sampled_from(["flag", "x > y", "n >= 3", "not flag or p >= 0.9", "x / y > 1"])


def rule(kind: str, points: int) -> st.SearchStrategy[dict[str, Any]]:
    """A rule of ``kind`` over the fuzz fields (any parameters the rubric language accepts)."""
    k = st.just(kind)
    if kind == "check":
        return st.fixed_dictionaries(
            {"kind": k, "when": cond}, optional={"else": st.integers(0, points).map(str)}
        )
    if kind == "deduct":
        return st.fixed_dictionaries({"kind": k, "count": expr, "per": num}, optional={"max": num})
    if kind == "rate":
        return st.fixed_dictionaries(
            {"kind": k, "value": st.sampled_from(["p", "x / 100"])},
            optional={"full": frac, "per_point": num, "zero_below": frac},
        )
    if kind == "target":
        return st.fixed_dictionaries(
            {
                "kind": k,
                "value": expr,
                "target": st.one_of(num, st.just("t")),
                "better": st.sampled_from(["higher", "lower"]),
            },
            optional={"per": num, "zero_beyond": frac},
        )
    if kind == "bands":
        band = st.fixed_dictionaries(
            {"score": st.integers(0, points).map(str)}, optional={"min": num, "max": num}
        )
        return st.fixed_dictionaries(
            {"kind": k, "value": expr, "bands": st.lists(band, min_size=1, max_size=4)}
        )
    if kind == "linear":
        ends = st.tuples(st.integers(-50, 150), st.integers(-50, 150)).filter(lambda t: t[0] != t[1])
        return ends.map(lambda t: {"kind": kind, "value": "x", "from": str(t[0]), "to": str(t[1])})
    if kind == "relative":
        return st.fixed_dictionaries(
            {"kind": k, "value": st.sampled_from(["n", "p", "x"]), "best": st.sampled_from(["max", "min"])}
        )
    if kind == "rank":
        return st.fixed_dictionaries(
            {"kind": k, "value": expr, "order": st.sampled_from(["desc", "asc"]), "step": num}
        )
    if kind == "formula":
        return st.fixed_dictionaries({"kind": k, "expr": expr})
    return st.fixed_dictionaries({"kind": k}, optional={"as": st.sampled_from(["score", "deduction"])})


@st.composite
def rubric_docs(draw: st.DrawFn) -> dict[str, Any]:
    n_groups = draw(st.integers(1, 2))
    n_units = draw(st.integers(1, 7))
    units = [{"name": f"u{i}", "group": f"g{draw(st.integers(0, n_groups - 1))}"} for i in range(n_units)]
    sections, item_no = [], 0
    for s in range(draw(st.integers(1, 3))):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(KINDS))
            points = draw(st.sampled_from([1, 5, 10, 15, 20, 30]))
            item: dict[str, Any] = {"id": f"i{item_no}", "title": f"指标{item_no}", "points": points}
            item["rule"] = draw(rule(kind, points))
            if kind == "score":
                item["source"] = "onsite"
            items.append(item)
            item_no += 1
        sections.append({"id": f"s{s}", "title": f"第{s}部分", "items": items})
    scale: Any = sum(it["points"] for sec in sections for it in sec["items"])
    if draw(st.booleans()):  # weighted sections, weights summing to 1
        shares = [D(100 // len(sections)) / 100] * len(sections)
        shares[0] += 1 - sum(shares)
        for sec, w in zip(sections, shares, strict=True):
            sec["weight"] = str(w)
        scale = 100
    doc: dict[str, Any] = {
        "rubric": "fuzz",
        "title": "模糊测试",
        "decimals": draw(st.integers(0, 3)),
        "scale": str(scale),
        "groups": [{"id": f"g{i}", "title": f"组{i}"} for i in range(n_groups)],
        "units": units,
        "fields": FIELDS,
        "targets": {"t": {"title": "目标", "default": draw(num)}},
        "sources": {"onsite": {"title": "现场"}},
        "sections": sections,
    }
    for block in ("bonus", "penalty"):
        if draw(st.booleans()):
            its = [
                {
                    "id": f"{block}{j}",
                    "title": f"{block}{j}",
                    "rule": {"kind": "per", "count": draw(expr), "per": draw(num)},
                }
                for j in range(draw(st.integers(1, 2)))
            ]
            for it in its:
                if draw(st.booleans()):
                    it["rule"]["cap"] = draw(num)
            doc[block] = {"items": its} | ({"cap": draw(num)} if draw(st.booleans()) else {})
    if draw(st.booleans()):
        effects = st.one_of(
            st.sampled_from(["fail", "zero"]),
            st.integers(0, 100).map(lambda c: {"cap": str(c)}),
            st.just({"max_grade": "合格"}),
        )
        doc["veto"] = [
            {"id": f"v{k}", "title": f"否决{k}", "when": draw(cond), "effect": draw(effects)}
            for k in range(draw(st.integers(1, 2)))
        ]
        doc["grades"] = [
            {"name": "优秀", "min": "90", "quota": "0.3"},
            {"name": "合格", "min": "60"},
            {"name": "不合格"},
        ]
    if draw(st.booleans()):
        doc["tiebreak"] = [s["id"] for s in sections]
    return doc


values = st.one_of(
    st.none(),
    st.integers(-5, 120).map(D),
    st.builds(lambda m, e: D(m).scaleb(-e), st.integers(-(10**6), 10**6), st.integers(0, 4)),
    st.sampled_from([D(0), D("0.5"), D("0.955"), D(1), D(3)]),
)


@st.composite
def returns(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for u in doc["units"]:
        if draw(st.integers(0, 7)) == 0:
            continue  # not submitted
        row = {f: draw(values) for f in ("x", "y", "p")}
        row["n"] = draw(st.one_of(st.none(), st.integers(0, 12).map(D)))
        row["flag"] = draw(st.sampled_from([True, False, None]))
        out[u["name"]] = row
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[tuple[Any, ...]]]:
    doc = draw(rubric_docs())
    rets = draw(returns(doc))
    score_items = [it["id"] for s in doc["sections"] for it in s["items"] if it["rule"]["kind"] == "score"]
    rows: list[tuple[Any, ...]] = []
    if score_items:
        unit = st.sampled_from([u["name"] for u in doc["units"]])
        rows = draw(
            st.lists(
                st.tuples(unit, st.sampled_from(score_items), st.integers(-5, 35).map(str), st.just("")),
                max_size=6,
            )
        )
    return doc, rets, rows


def run(doc: dict[str, Any], rets: dict[str, dict[str, Any]], rows: list[tuple[Any, ...]]) -> Result:
    rubric = Rubric.model_validate(doc)
    return score(rubric, make_inputs(rubric, rets, {"onsite": rows}), "P")


def half_up(q: Fraction, places: int) -> Decimal:
    scaled = q * 10**places
    n = scaled.numerator // scaled.denominator
    if (scaled - n) * 2 >= 1:
        n += 1
    return D(n).scaleb(-places) if places else D(n)


def _block(u: UnitResult, doc: dict[str, Any], block: str) -> Decimal:
    """min(sum of the block's rounded items, cap); a cap finer than ``decimals`` is rounded half-up."""
    spec = doc.get(block)
    places = doc["decimals"]
    if not spec:
        return half_up(Fraction(0), places)
    raw = sum((u.item(it["id"]).score for it in spec["items"]), D(0))
    for it in spec["items"]:
        s = u.item(it["id"]).score
        assert s >= 0 and ("cap" not in it["rule"] or s <= half_up(Fraction(D(it["rule"]["cap"])), places)), (
            it,
            s,
        )
    return half_up(Fraction(min(raw, D(spec["cap"])) if "cap" in spec else raw), places)


@FUZZ
@given(cases())
def test_engine_invariants_on_random_rubrics(
    case: tuple[dict[str, Any], dict[str, Any], list[tuple[Any, ...]]],
) -> None:
    doc, rets, rows = case
    res = run(doc, rets, rows)
    places = doc["decimals"]
    assert sorted(u.unit for u in res.units) == sorted(u["name"] for u in doc["units"])
    for u in res.units:
        contributions = []
        for sec_doc, sec in zip(doc["sections"], u.sections, strict=True):
            scores = []
            for it in sec_doc["items"]:
                s = u.item(it["id"])
                assert D(0) <= s.score <= D(it["points"]), (it, s.score)
                assert s.score.as_tuple().exponent == -places, (it, s.score)
                if s.status in ("missing", "invalid", "no-value"):
                    assert s.score == 0 or it["rule"]["kind"] in ("check", "bands", "score", "deduct"), (
                        it,
                        s,
                    )
                scores.append(s.score)
            assert sec.raw == sum(scores, D(0))
            points = sum(it["points"] for it in sec_doc["items"])
            if "weight" in sec_doc:
                want = half_up(
                    Fraction(D(doc["scale"])) * Fraction(D(sec_doc["weight"])) * Fraction(sec.raw) / points,
                    places,
                )
                assert sec.score == want, (sec, want)
            else:
                assert sec.score == sec.raw
            contributions.append(sec.score)
        bonus, penalty = _block(u, doc, "bonus"), _block(u, doc, "penalty")
        assert (u.bonus, u.penalty) == (bonus, penalty)
        assert u.total_before_veto == max(D(0), sum(contributions, D(0)) + bonus - penalty)
        assert D(0) <= u.total <= u.total_before_veto
        if not u.vetoes:
            assert u.total == u.total_before_veto
        assert u.total.as_tuple().exponent == -places
    for u in res.units:
        group = [o.total for o in res.units if o.group == u.group]
        above = sum(1 for t in group if t > u.total)
        tied = sum(1 for t in group if t == u.total)
        if doc.get("tiebreak"):
            assert above + 1 <= u.rank <= above + tied, (u.unit, u.rank, group)
        else:
            assert u.rank == above + 1, (u.unit, u.rank, group)


@FUZZ
@given(cases(), st.randoms(use_true_random=False))
def test_engine_is_deterministic_whatever_the_order(
    case: tuple[dict[str, Any], dict[str, Any], list[tuple[Any, ...]]], rnd: Any
) -> None:
    doc, rets, rows = case
    first = run(doc, rets, rows).to_dict()
    assert run(doc, rets, rows).to_dict() == first
    order = list(rets)
    rnd.shuffle(order)
    shuffled = run(doc, {k: rets[k] for k in order}, rows).to_dict()
    # the helper numbers cells in arrival order, so only source cells may differ
    assert _by_unit(shuffled) == _by_unit(first)


def _by_unit(result: dict[str, Any]) -> dict[str, Any]:
    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "cell"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return {u["unit"]: strip(u) for u in result["units"]}
