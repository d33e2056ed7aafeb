"""SPEC 3.3-3.5 as acceptance tests: totals, rounding, ranks, quotas, vetoes, 未报送, --strict, self-scores.

Every expected number is worked out by hand from the SPEC text quoted in each test.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke_cli, load_ok, make_inputs
from test_spec_rubric import write_xlsx

from safescore import score
from safescore.inputs.model import CellRef, FieldValue
from safescore.results.model import Result
from safescore.rubric.model import Rubric

NAMES = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]


def formula(item_id: str, points: int | str, expr: str | None = None) -> str:
    return f"{{id: {item_id}, title: 指标{item_id}, points: {points}, rule: {{kind: formula, expr: '{expr or item_id}'}}}}"


def rubric(
    tmp_path: Path, body: str, fields: list[str], units: list[str] = NAMES, scale: int | str = 100
) -> Rubric:
    fdefs = "\n".join(f"  {f}: {{label: 字段{f}, type: number}}" for f in fields)
    unit_list = ", ".join(f"{{name: {u}, group: g}}" for u in units)
    text = f"""
rubric: spec-totals
title: 合计验收
scale: {scale}
groups: [{{id: g, title: 部门}}]
units: [{unit_list}]
fields:
{fdefs}
{body}
"""
    return load_ok(tmp_path, text)


def run(r: Rubric, returns: dict[str, dict[str, Any]], **kw: Any) -> Result:
    return score(r, make_inputs(r, returns), "2022Q1", **kw)


def test_total_never_below_zero_and_bonus_may_exceed_scale(tmp_path: Path) -> None:
    """Total = sections + min(bonus, cap) - min(penalty, cap), never below 0; bonus may lift it above scale."""
    body = f"""
sections: [{{id: s, title: 一, items: [{formula("a", 10)}]}}]
bonus: {{cap: 5, items: [{{id: aw, title: 表彰, rule: {{kind: per, count: awards, per: 3}}}}]}}
penalty: {{cap: 50, items: [{{id: fi, title: 通报, rule: {{kind: per, count: fines, per: 4}}}}]}}
"""
    r = rubric(tmp_path, body, ["a", "awards", "fines"], NAMES[:3], scale=10)
    res = run(
        r,
        {
            "甲": {"a": 10, "awards": 2, "fines": 0},  # 10 + min(6, 5) = 15 > scale 10
            "乙": {"a": 0, "awards": 0, "fines": 3},  # 0 - 12 → 0
            "丙": {"a": 10, "awards": 0, "fines": 1},  # 10 - 4
        },
    )
    assert {u.unit: u.total for u in res.units} == {"甲": D(15), "乙": D(0), "丙": D(6)}
    assert (res.unit("甲").bonus, res.unit("乙").penalty) == (D(5), D(12))


def test_rounding_is_per_item_and_sections_add_rounded_items(tmp_path: Path) -> None:
    """87.125 shows as 87.13; sections and totals are sums of rounded items (SPEC 3.3)."""
    body = f"""
decimals: 2
sections:
  - {{id: s1, title: 一, items: [{formula("a", 50)}, {formula("b", 50)}]}}
"""
    r = rubric(tmp_path, body, ["a", "b"], NAMES[:2])
    # 甲: 43.5625 + 43.5625 = 87.125 exactly, but each item rounds first: 43.56 + 43.56 = 87.12
    res = run(r, {"甲": {"a": "43.5625", "b": "43.5625"}, "乙": {"a": "43.565", "b": "43.56"}})
    assert [it.score for it in res.unit("甲").items] == [D("43.56"), D("43.56")]
    assert res.unit("甲").total == D("87.12")
    assert [it.score for it in res.unit("乙").items] == [D("43.57"), D("43.56")]  # 43.565 → 43.57
    assert res.unit("乙").total == D("87.13")


def test_weighted_sections(tmp_path: Path) -> None:
    """A section with a weight contributes scale * weight * section_sum / section_points, half-up."""
    body = f"""
sections:
  - {{id: s1, title: 一, weight: 0.4, items: [{formula("a", 30)}]}}
  - {{id: s2, title: 二, weight: 0.6, items: [{formula("b", 7)}]}}
"""
    r = rubric(tmp_path, body, ["a", "b"], NAMES[:2])
    res = run(r, {"甲": {"a": "25.5", "b": 5}, "乙": {"a": "10.125", "b": 7}})
    # 甲: 100*0.4*25.5/30 = 34; 100*0.6*5/7 = 42.857… → 42.86
    # 乙: item 10.125 → 10.13; 100*0.4*10.13/30 = 13.5066… → 13.51; 100*0.6*7/7 = 60
    assert {u.unit: u.total for u in res.units} == {"甲": D("76.86"), "乙": D("73.51")}
    assert [(s.id, s.score) for s in res.unit("乙").sections] == [("s1", D("13.51")), ("s2", D(60))]


RANKED = f"""
sections:
  - {{id: s1, title: 一, items: [{formula("a", 60)}]}}
  - {{id: s2, title: 二, items: [{formula("b", 40)}]}}
tiebreak: [s2]
veto:
  - {{id: v.fail, title: 发生较大事故, when: major > 0, effect: fail}}
  - {{id: v.zero, title: 瞒报事故, when: hidden > 0, effect: zero}}
"""
# (a, b, major, hidden): totals 甲 95 乙 95 丙 92 丁 92 戊 85 己 100 (fail) 庚 75 (zero → 0)
RANK_VALUES = {
    "甲": (55, 40, 0, 0),
    "乙": (58, 37, 0, 0),
    "丙": (52, 40, 0, 0),
    "丁": (52, 40, 0, 0),
    "戊": (50, 35, 0, 0),
    "己": (60, 40, 1, 0),
    "庚": (45, 30, 0, 1),
}


@pytest.mark.parametrize(
    ("quota", "ties", "excellent"),
    [
        # floor(0.3*7) = 2 places; 己 (fail) takes none, so 甲 and 乙 get them
        ("0.3", "demote", {"甲", "乙"}),
        # floor(0.45*7) = 3: 丙 and 丁 tie for the third place: both demoted …
        ("0.45", "demote", {"甲", "乙"}),
        # … or both admitted with quota_ties: admit
        ("0.45", "admit", {"甲", "乙", "丙", "丁"}),
    ],
)
def test_ranks_tiebreak_quota_and_vetoes(tmp_path: Path, quota: str, ties: str, excellent: set[str]) -> None:
    grades = f"""
grades: [{{name: 优秀, min: 90, quota: {quota}}}, {{name: 良好, min: 80}}, {{name: 合格, min: 60}}, {{name: 不合格}}]
quota_ties: {ties}
"""
    r = rubric(tmp_path, RANKED + grades, ["a", "b", "major", "hidden"])
    keys = ("a", "b", "major", "hidden")
    res = run(r, {u: dict(zip(keys, v, strict=True)) for u, v in RANK_VALUES.items()})
    got = {u.unit: (u.total, u.rank) for u in res.units}
    # competition ranks on the total; 甲 before 乙 on s2 (40 > 37); 丙/丁 equal on s2 too: shared
    # 己 keeps its score under `fail` and is ranked on it; 庚's total is 0 under `zero`
    assert got == {
        "己": (D(100), 1),
        "甲": (D(95), 2),
        "乙": (D(95), 3),
        "丙": (D(92), 4),
        "丁": (D(92), 4),
        "戊": (D(85), 6),
        "庚": (D(0), 7),
    }
    grade = {u.unit: u.grade for u in res.units}
    assert {u for u, g in grade.items() if g == "优秀"} == excellent
    assert grade["己"] == "不合格" and grade["庚"] == "不合格" and grade["戊"] == "良好"
    assert all(grade[u] == "良好" for u in ("丙", "丁") if u not in excellent)
    assert [v.title for v in res.unit("己").vetoes] == ["发生较大事故"]
    assert [v.title for v in res.unit("庚").vetoes] == ["瞒报事故"]
    assert res.unit("庚").total_before_veto == D(75)


STRICT_BODY = f"""
sections: [{{id: s, title: 一, items: [{formula("a", 60)}, {formula("b", 40)}]}}]
"""


@pytest.mark.parametrize(
    ("rows", "strict", "code"),
    [
        ([["甲", 50, 30], ["乙", 40, 20]], False, 0),  # all in, all valid
        ([["甲", 50, 30], ["乙", 40, 20]], True, 0),
        ([["甲", 50, None], ["乙", 40, 20]], False, 0),  # a blank is 未填报, scored 0: a warning
        ([["甲", 50, None], ["乙", 40, 20]], True, 1),  # --strict: a failure
        ([["甲", 50, 30]], False, 1),  # 乙 未报送
    ],
)
def test_strict_and_missing_returns_through_the_cli(
    tmp_path: Path, rows: list[list[Any]], strict: bool, code: int
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rubric: spec-strict\ntitle: 严格\ngroups: [{id: g, title: 部门}]\n"
        "units: [{name: 甲, group: g}, {name: 乙, group: g}]\n"
        "fields: {a: {label: 字段a, type: number}, b: {label: 字段b, type: number}}\n" + STRICT_BODY,
        encoding="utf-8",
    )
    ret = write_xlsx(tmp_path / "in" / "r.xlsx", [["单位", "字段a", "字段b"], *rows])
    args = ["score", path, ret, "--period", "2022Q1", "-o", tmp_path / "out", "--format", "json"]
    rc, out = invoke_cli(*args, *(["--strict"] if strict else []))
    assert rc == code, out
    if strict and code:
        # --strict turns the missing value into a failure: nothing is written (the CLI's choice)
        assert "value-missing" in out and not (tmp_path / "out" / "results.json").exists()
        return
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    totals = {u["unit"]: D(str(u["total"])) for u in data["units"]}
    assert totals["甲"] == (D(80) if rows[0][2] is not None else D(50))  # the score is the same either way
    if len(rows) == 1:
        assert data["not_submitted"] == ["乙"] and totals["乙"] == D(0)


def test_self_score_never_changes_the_score_and_is_flagged_beyond_tolerance(tmp_path: Path) -> None:
    """SPEC 3.5: flag units whose self-score exceeds the assessed score by more than the tolerance."""
    body = f"""
self_check: {{tolerance: 5}}
sections: [{{id: s, title: 一, items: [{formula("a", 60)}, {formula("b", 40)}]}}]
"""
    r = rubric(tmp_path, body, ["a", "b"], NAMES[:3])
    inputs = make_inputs(r, {"甲": {"a": 50, "b": 30}, "乙": {"a": 50, "b": 30}, "丙": {"a": 50, "b": 30}})
    own = {"甲": ("55", "30"), "乙": ("56", "30"), "丙": ("40", "20")}  # +5, +6, -20
    for unit, (sa, sb) in own.items():
        ret = inputs.returns[unit]
        for item_id, v in (("a", sa), ("b", sb)):
            ret.self_scores[item_id] = FieldValue(D(v), v, CellRef("f.xlsx", "S", "D2"))
    res = score(r, inputs, "2022Q1")
    assert {u.unit: (u.total, u.self_total, u.self_flag) for u in res.units} == {
        "甲": (D(80), D(85), False),  # exactly the tolerance: not flagged
        "乙": (D(80), D(86), True),
        "丙": (D(80), D(60), False),  # below the assessed score is never flagged
    }
    assert [(p.code, p.unit) for p in res.problems if p.code == "self-score-high"] == [
        ("self-score-high", "乙")
    ]
