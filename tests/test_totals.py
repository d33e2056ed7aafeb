"""Sections, totals, weights, bonus/penalty caps, vetoes, ranks, grades, quotas, callouts (SPEC 3.3, 3.4)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from helpers import load_ok, make_inputs

from safescore.api import score
from safescore.results.model import Result
from safescore.rubric.model import Rubric

NAMES = [f"单位{i:02d}" for i in range(1, 13)]


def formula_item(iid: str, points: int | str, var: str | None = None, **kw: Any) -> dict[str, Any]:
    """An item scoring exactly the field ``var`` (default: the item id), clamped to its points."""
    return {
        "id": iid,
        "title": f"指标{iid}",
        "points": points,
        "rule": {"kind": "formula", "expr": var or iid},
        **kw,
    }


def build(
    tmp_path: Path, sections: list[dict[str, Any]], fields: list[str], n_units: int = 3, **top: Any
) -> Rubric:
    doc: dict[str, Any] = {
        "rubric": "t",
        "title": "测试细则",
        "scale": 100,
        "groups": [{"id": "g", "title": "组"}],
        "units": [{"name": n, "group": "g"} for n in NAMES[:n_units]],
        "fields": {name: {"label": f"字段{name}", "type": "number"} for name in fields},
        "sections": sections,
    }
    doc.update(top)
    return load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))


def run(
    r: Rubric, returns: dict[str, dict[str, Any]], scores: dict[str, list[tuple]] | None = None, **kw: Any
) -> Result:
    return score(r, make_inputs(r, returns, scores), "2022Q1", **kw)


def totals(res: Result) -> dict[str, D]:
    return {u.unit: u.total for u in res.units}


def ranks(res: Result) -> dict[str, int]:
    return {u.unit: u.rank for u in res.units}


def grades(res: Result) -> dict[str, str | None]:
    return {u.unit: u.grade for u in res.units}


def codes(res: Result) -> list[str]:
    return [p.code for p in res.problems]


# ----------------------------------------------------------------- sections of rounded items

TWO_SECTIONS = [
    {"id": "s1", "title": "责任落实", "points": 60, "items": [formula_item("a", 30), formula_item("b", 30)]},
    {"id": "s2", "title": "隐患治理", "points": 40, "items": [formula_item("c", 40)]},
]


def test_section_is_the_sum_of_rounded_items(tmp_path: Path) -> None:
    r = build(tmp_path, TWO_SECTIONS, ["a", "b", "c"], n_units=1)
    # each item rounds 10.005 → 10.01, so s1 = 20.02 (rounding the raw sum 20.01 would not add up)
    res = run(r, {NAMES[0]: {"a": "10.005", "b": "10.005", "c": "0.125"}})
    u = res.unit(NAMES[0])
    assert [i.score for i in u.items] == [D("10.01"), D("10.01"), D("0.13")]
    s1, s2 = u.sections
    assert (s1.id, s1.raw, s1.score, s1.points) == ("s1", D("20.02"), D("20.02"), D(60))
    assert (s2.id, s2.raw, s2.score, s2.points) == ("s2", D("0.13"), D("0.13"), D(40))
    assert u.total == D("20.15")
    assert str(u.total) == "20.15"


# ----------------------------------------------------------------- weighted sections (Ezhou: one section at 40%)

WEIGHTED = [
    {"id": "s1", "title": "目标任务", "weight": 0.6, "items": [formula_item("a", 60), formula_item("b", 40)]},
    {"id": "s2", "title": "鄂州考核", "weight": 0.4, "items": [formula_item("c", 50)]},
]


def test_weighted_sections(tmp_path: Path) -> None:
    r = build(tmp_path, WEIGHTED, ["a", "b", "c"])
    res = run(
        r,
        {
            NAMES[0]: {"a": 50, "b": 30, "c": "45.5"},
            NAMES[1]: {"a": "40.33", "b": "26.34", "c": "33.33"},
            NAMES[2]: {"a": 60, "b": 40, "c": 50},
        },
    )
    u = res.unit(NAMES[0])
    s1, s2 = u.sections
    # s1: 100 * 0.6 * 80 / 100 = 48; s2: 100 * 0.4 * 45.5 / 50 = 36.4
    assert (s1.raw, s1.score, s1.points, s1.weight) == (D(80), D(48), D(60), D("0.6"))
    assert (s2.raw, s2.score, s2.points, s2.weight) == (D("45.5"), D("36.4"), D(40), D("0.4"))
    assert u.total == D("84.4")
    # 0.6 * 66.67 = 40.002 → 40.00; 0.8 * 33.33 = 26.664 → 26.66
    v = res.unit(NAMES[1])
    assert [s.score for s in v.sections] == [D("40.00"), D("26.66")]
    assert v.total == D("66.66")
    assert res.unit(NAMES[2]).total == D(100)


def test_weighted_contribution_rounds_half_up(tmp_path: Path) -> None:
    sections = [
        {"id": "s1", "title": "一", "weight": 0.75, "items": [formula_item("a", 10)]},
        {"id": "s2", "title": "二", "weight": 0.25, "items": [formula_item("b", 10)]},
    ]
    r = build(tmp_path, sections, ["a", "b"], n_units=1)
    # s1: 100 * 0.75 * 0.01 / 10 = 0.075 → 0.08; s2: 2.5 * 0.01 = 0.025 → 0.03 (half-even would give 0.02)
    res = run(r, {NAMES[0]: {"a": "0.01", "b": "0.01"}})
    assert [s.score for s in res.unit(NAMES[0]).sections] == [D("0.08"), D("0.03")]
    assert res.unit(NAMES[0]).total == D("0.11")


# ----------------------------------------------------------------- per-group points and tailored items


def test_per_group_points_and_tailored_items(tmp_path: Path) -> None:
    doc = {
        "rubric": "t",
        "title": "三责同考",
        "scale": {"dept": 100, "street": 100},
        "groups": [{"id": "dept", "title": "区直部门"}, {"id": "street", "title": "街道"}],
        "units": [
            {"name": "区应急局", "group": "dept"},
            {"name": "区住建局", "group": "dept"},
            {"name": "艾山街道", "group": "street"},
        ],
        "fields": {k: {"label": k, "type": "number"} for k in ("a", "b", "c", "d")},
        "sections": [
            {
                "id": "s1",
                "title": "一",
                "points": {"dept": 60, "street": 70},
                "items": [
                    formula_item("a", {"dept": 60, "street": 50}),  # type: ignore[arg-type]
                    formula_item("b", 20, groups=["street"]),
                ],
            },
            {
                "id": "s2",
                "title": "二",
                "points": {"dept": 40, "street": 30},
                "items": [formula_item("c", {"dept": 40, "street": 30})],
            },  # type: ignore[arg-type]
        ],
    }
    r = load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))
    vals = {"a": 55, "b": 25, "c": 35}
    res = run(r, {"区应急局": vals, "区住建局": {"a": 10, "b": 10, "c": 10}, "艾山街道": vals})
    dept = res.unit("区应急局")
    street = res.unit("艾山街道")
    assert [i.id for i in dept.items] == ["a", "c"]
    assert [i.id for i in street.items] == ["a", "b", "c"]
    assert [(i.points, i.score) for i in dept.items] == [(D(60), D(55)), (D(40), D(35))]
    # street: a capped at 50, b at 20, c at 30
    assert [(i.points, i.score) for i in street.items] == [(D(50), D(50)), (D(20), D(20)), (D(30), D(30))]
    assert dept.total == D(90) and street.total == D(100)
    # ranks are per group
    assert (dept.rank, res.unit("区住建局").rank, street.rank) == (1, 2, 1)
    assert [g.id for g in res.groups] == ["dept", "street"]
    assert res.groups[0].ranking == ("区应急局", "区住建局")


# ----------------------------------------------------------------- bonus and penalty caps


def adjusted(tmp_path: Path, bonus_cap: int = 5, penalty_cap: int = 10) -> Rubric:
    return build(
        tmp_path,
        [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}],
        ["a", "awards", "incidents"],
        n_units=4,
        bonus={
            "cap": bonus_cap,
            "items": [{"id": "b1", "title": "表彰", "rule": {"kind": "per", "count": "awards", "per": 3}}],
        },
        penalty={
            "cap": penalty_cap,
            "items": [
                {"id": "p1", "title": "通报批评", "rule": {"kind": "per", "count": "incidents", "per": 4}}
            ],
        },
    )


def test_bonus_and_penalty_caps(tmp_path: Path) -> None:
    r = adjusted(tmp_path)
    res = run(
        r,
        {
            NAMES[0]: {"a": 80, "awards": 3, "incidents": 3},  # +min(9, 5) - min(12, 10)
            NAMES[1]: {"a": 80, "awards": 1, "incidents": 1},  # +3 - 4
            NAMES[2]: {"a": 5, "awards": 0, "incidents": 3},  # 5 - 10 → never below 0
            NAMES[3]: {"a": 100, "awards": 2, "incidents": 0},  # 100 + 5: bonus may exceed the scale
        },
    )
    u = res.unit(NAMES[0])
    assert (u.bonus, u.penalty, u.total) == (D(5), D(10), D(75))
    assert u.item("b1").score == D(9)  # the item keeps its own score; the block is capped
    assert u.item("p1").score == D(12)
    assert (res.unit(NAMES[1]).bonus, res.unit(NAMES[1]).penalty, res.unit(NAMES[1]).total) == (
        D(3),
        D(4),
        D(79),
    )
    assert res.unit(NAMES[2]).total == D(0)
    assert res.unit(NAMES[3]).total == D(105)
    assert ranks(res) == {NAMES[3]: 1, NAMES[1]: 2, NAMES[0]: 3, NAMES[2]: 4}


# ----------------------------------------------------------------- vetoes

GRADES = [
    {"name": "优秀", "min": 90},
    {"name": "良好", "min": 80},
    {"name": "合格", "min": 60},
    {"name": "不合格"},
]


def vetoed(tmp_path: Path, effect: Any, n_units: int = 3) -> Rubric:
    return build(
        tmp_path,
        [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}],
        ["a", "major"],
        n_units=n_units,
        veto=[
            {"id": "v.major", "title": "发生较大及以上生产安全事故", "when": "major > 0", "effect": effect}
        ],
        grades=GRADES,
    )


def test_veto_fail_keeps_score_gives_lowest_grade(tmp_path: Path) -> None:
    r = vetoed(tmp_path, "fail")
    res = run(
        r, {NAMES[0]: {"a": 98, "major": 1}, NAMES[1]: {"a": 85, "major": 0}, NAMES[2]: {"a": 70, "major": 0}}
    )
    u = res.unit(NAMES[0])
    assert (u.total, u.total_before_veto, u.grade) == (D(98), D(98), "不合格")
    assert [(v.id, v.title, v.effect) for v in u.vetoes] == [
        ("v.major", "发生较大及以上生产安全事故", "fail")
    ]
    assert u.rank == 1  # still ranked on its total
    assert grades(res) == {NAMES[0]: "不合格", NAMES[1]: "良好", NAMES[2]: "合格"}
    assert res.unit(NAMES[1]).vetoes == ()


def test_veto_zero(tmp_path: Path) -> None:
    r = vetoed(tmp_path, "zero")
    res = run(
        r, {NAMES[0]: {"a": 98, "major": 2}, NAMES[1]: {"a": 85, "major": 0}, NAMES[2]: {"a": 70, "major": 0}}
    )
    u = res.unit(NAMES[0])
    assert (u.total, u.total_before_veto) == (D(0), D(98))
    assert ranks(res) == {NAMES[0]: 3, NAMES[1]: 1, NAMES[2]: 2}
    assert u.grade == "不合格"
    assert [v.effect for v in u.vetoes] == ["zero"]


def test_veto_cap(tmp_path: Path) -> None:
    r = vetoed(tmp_path, {"cap": 60})
    res = run(
        r, {NAMES[0]: {"a": 98, "major": 1}, NAMES[1]: {"a": 50, "major": 1}, NAMES[2]: {"a": 70, "major": 0}}
    )
    assert totals(res) == {NAMES[0]: D(60), NAMES[1]: D(50), NAMES[2]: D(70)}
    assert res.unit(NAMES[0]).total_before_veto == D(98)
    assert ranks(res) == {NAMES[2]: 1, NAMES[0]: 2, NAMES[1]: 3}
    assert grades(res) == {NAMES[0]: "合格", NAMES[1]: "不合格", NAMES[2]: "合格"}
    assert res.unit(NAMES[0]).vetoes[0].effect == "cap:60"


def test_veto_max_grade(tmp_path: Path) -> None:
    r = vetoed(tmp_path, {"max_grade": "合格"})
    res = run(
        r, {NAMES[0]: {"a": 98, "major": 1}, NAMES[1]: {"a": 50, "major": 1}, NAMES[2]: {"a": 91, "major": 0}}
    )
    # the score is untouched; the grade is at most 合格 and never raised
    assert totals(res) == {NAMES[0]: D(98), NAMES[1]: D(50), NAMES[2]: D(91)}
    assert grades(res) == {NAMES[0]: "合格", NAMES[1]: "不合格", NAMES[2]: "优秀"}
    assert ranks(res) == {NAMES[0]: 1, NAMES[2]: 2, NAMES[1]: 3}


def test_veto_with_missing_data_is_undetermined(tmp_path: Path) -> None:
    r = vetoed(tmp_path, "zero")
    res = run(r, {NAMES[0]: {"a": 98}, NAMES[1]: {"a": 85, "major": 0}, NAMES[2]: {"a": 70, "major": 0}})
    assert res.unit(NAMES[0]).total == D(98)
    assert res.unit(NAMES[0]).vetoes == ()
    assert [p.unit for p in res.problems if p.code == "veto-undetermined"] == [NAMES[0]]


# ----------------------------------------------------------------- ranking


def test_competition_ranking(tmp_path: Path) -> None:
    r = build(tmp_path, [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}], ["a"], n_units=5)
    res = run(
        r,
        {
            NAMES[0]: {"a": 80},
            NAMES[1]: {"a": 90},
            NAMES[2]: {"a": "80.00"},
            NAMES[3]: {"a": 70},
            NAMES[4]: {"a": "79.995"},
        },
    )
    # 79.995 rounds to 80.00 and ties with the 80s
    assert ranks(res) == {NAMES[1]: 1, NAMES[0]: 2, NAMES[2]: 2, NAMES[4]: 2, NAMES[3]: 5}
    assert res.groups[0].ranking == (NAMES[1], NAMES[0], NAMES[2], NAMES[4], NAMES[3])


def test_competition_ranking_1_2_2_4(tmp_path: Path) -> None:
    r = build(tmp_path, [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}], ["a"], n_units=4)
    res = run(r, {NAMES[0]: {"a": 70}, NAMES[1]: {"a": 80}, NAMES[2]: {"a": 90}, NAMES[3]: {"a": 80}})
    assert [res.unit(n).rank for n in NAMES[:4]] == [4, 2, 1, 2]


def test_per_group_grades_and_callouts(tmp_path: Path) -> None:
    doc = {
        "rubric": "t",
        "title": "三责同考",
        "scale": 100,
        "groups": [
            {"id": "dept", "title": "区直部门", "callout": {"bottom": 1}},
            {"id": "street", "title": "街道", "callout": {"bottom": 2}},
        ],
        "units": [{"name": n, "group": "dept" if i < 3 else "street"} for i, n in enumerate(NAMES[:6])],
        "fields": {"a": {"label": "a", "type": "number"}},
        "sections": [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}],
        "grades": {
            "dept": [{"name": "好", "min": 85}, {"name": "一般"}],
            "street": [{"name": "优秀", "min": 95}, {"name": "合格"}],
        },
    }
    r = load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))
    res = run(r, returns_for([90, 80, 70, 90, 96, 60]))
    assert grades(res) == {
        NAMES[0]: "好",
        NAMES[1]: "一般",
        NAMES[2]: "一般",
        NAMES[3]: "合格",
        NAMES[4]: "优秀",
        NAMES[5]: "合格",
    }
    assert ranks(res) == {NAMES[0]: 1, NAMES[1]: 2, NAMES[2]: 3, NAMES[3]: 2, NAMES[4]: 1, NAMES[5]: 3}
    assert [(g.id, set(g.bottom)) for g in res.groups] == [
        ("dept", {NAMES[2]}),
        ("street", {NAMES[3], NAMES[5]}),
    ]


def test_tiebreak_by_sections(tmp_path: Path) -> None:
    sections = [
        {"id": "s1", "title": "一", "points": 50, "items": [formula_item("a", 50)]},
        {"id": "s2", "title": "二", "points": 50, "items": [formula_item("b", 50)]},
    ]
    r = build(tmp_path, sections, ["a", "b"], n_units=5, tiebreak=["s2", "s1"])
    res = run(
        r,
        {
            NAMES[0]: {"a": 50, "b": 30},  # 80, s2 30
            NAMES[1]: {"a": 40, "b": 40},  # 80, s2 40
            NAMES[2]: {"a": 40, "b": 40},  # 80, s2 40: still equal → shares the rank
            NAMES[3]: {"a": 45, "b": 45},  # 90
            NAMES[4]: {"a": 45, "b": 35},  # 80, s2 35
        },
    )
    assert ranks(res) == {NAMES[3]: 1, NAMES[1]: 2, NAMES[2]: 2, NAMES[4]: 4, NAMES[0]: 5}


# ----------------------------------------------------------------- grades and quotas


def graded(
    tmp_path: Path, n: int, quota_ties: str | None = None, good_quota: float | None = None, veto: bool = False
) -> Rubric:
    gs: list[dict[str, Any]] = [
        {"name": "优秀", "min": 90, "quota": 0.2},
        {"name": "良好", "min": 80},
        {"name": "合格", "min": 60},
        {"name": "不合格"},
    ]
    if good_quota is not None:
        gs[1]["quota"] = good_quota
    top: dict[str, Any] = {"grades": gs}
    if quota_ties:
        top["quota_ties"] = quota_ties
    fields = ["a"]
    if veto:
        fields.append("major")
        top["veto"] = [{"id": "v", "title": "较大事故", "when": "major > 0", "effect": "fail"}]
    return build(
        tmp_path, [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}], fields, n_units=n, **top
    )


def returns_for(values: list[Any], **extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {NAMES[i]: {"a": v} for i, v in enumerate(values)}
    for name, more in extra.items():
        out[name].update(more)
    return out


def test_grades_top_down_on_the_total(tmp_path: Path) -> None:
    r = build(
        tmp_path,
        [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}],
        ["a"],
        n_units=5,
        grades=GRADES,
    )
    res = run(r, returns_for([90, "89.99", 80, "79.995", 0]))
    assert list(grades(res).values()) == ["优秀", "良好", "良好", "良好", "不合格"]


def test_quota_is_floor_of_fraction_of_group(tmp_path: Path) -> None:
    # 9 units * 0.2 = 1.8 → one 优秀 place; 98 and 97 qualify by score but fall to 良好
    r = graded(tmp_path, 9)
    res = run(r, returns_for([99, 98, 97, 85, 70, 70, 60, 50, 40]))
    assert list(grades(res).values()) == [
        "优秀",
        "良好",
        "良好",
        "良好",
        "合格",
        "合格",
        "合格",
        "不合格",
        "不合格",
    ]


def test_quota_admits_in_rank_order(tmp_path: Path) -> None:
    # 10 units → 2 places; the 2 best by rank, not by list order
    r = graded(tmp_path, 10)
    res = run(r, returns_for([91, 95, 92, 99, 50, 50, 50, 50, 50, 50]))
    g = grades(res)
    assert [n for n, x in g.items() if x == "优秀"] == [NAMES[1], NAMES[3]]
    assert g[NAMES[0]] == g[NAMES[2]] == "良好"


def test_quota_ties_at_the_cut_are_all_demoted(tmp_path: Path) -> None:
    r = graded(tmp_path, 10)
    res = run(r, returns_for([99, 95, 95, 93, 50, 50, 50, 50, 50, 50]))
    g = grades(res)
    # rank 1 fits; ranks 2, 2 would make 3 > 2 places: both demoted, and 93 below them too
    assert [g[n] for n in NAMES[:4]] == ["优秀", "良好", "良好", "良好"]


def test_quota_ties_admit(tmp_path: Path) -> None:
    r = graded(tmp_path, 10, quota_ties="admit")
    res = run(r, returns_for([99, 95, 95, 93, 50, 50, 50, 50, 50, 50]))
    g = grades(res)
    assert [g[n] for n in NAMES[:4]] == ["优秀", "优秀", "优秀", "良好"]


def test_quota_all_tied_at_first_place_demote_everyone(tmp_path: Path) -> None:
    r = graded(tmp_path, 10)
    res = run(r, returns_for([95, 95, 95, 50, 50, 50, 50, 50, 50, 50]))
    assert [grades(res)[n] for n in NAMES[:3]] == ["良好", "良好", "良好"]


def test_fail_unit_takes_no_quota_place(tmp_path: Path) -> None:
    r = graded(tmp_path, 10, veto=True)
    vals = returns_for([100, 99, 98, 97, 50, 50, 50, 50, 50, 50], **{NAMES[0]: {"major": 1}})
    for name in NAMES[1:10]:
        vals[name]["major"] = 0
    res = run(r, vals)
    g = grades(res)
    assert g[NAMES[0]] == "不合格"
    assert res.unit(NAMES[0]).rank == 1  # vetoed but still ranked
    assert [g[n] for n in NAMES[1:4]] == ["优秀", "优秀", "良好"]


def test_over_quota_units_compete_for_the_next_grade_quota(tmp_path: Path) -> None:
    # 10 units: 2 优秀 places, 3 良好 places; 优秀 overflow joins the 良好 competition in rank order
    r = graded(tmp_path, 10, good_quota=0.3)
    res = run(r, returns_for([99, 98, 97, 96, 85, 84, 50, 50, 50, 50]))
    g = grades(res)
    assert [g[n] for n in NAMES[:6]] == ["优秀", "优秀", "良好", "良好", "良好", "合格"]


# ----------------------------------------------------------------- callouts


def called(tmp_path: Path, callout: dict[str, int], n: int) -> Rubric:
    doc_groups = [{"id": "g", "title": "区直部门", "callout": callout}]
    return build(
        tmp_path,
        [{"id": "s", "title": "一", "items": [formula_item("a", 100)]}],
        ["a"],
        n_units=n,
        groups=doc_groups,
    )


def test_bottom_callout(tmp_path: Path) -> None:
    r = called(tmp_path, {"bottom": 2}, 4)
    res = run(r, returns_for([90, 80, 70, 60]))
    assert set(res.groups[0].bottom) == {NAMES[2], NAMES[3]}
    assert res.unit(NAMES[3]).callouts == ("bottom",)
    assert res.unit(NAMES[0]).callouts == ()


def test_bottom_callout_includes_ties_at_the_cut(tmp_path: Path) -> None:
    r = called(tmp_path, {"bottom": 2}, 4)
    res = run(r, returns_for([90, 80, 80, 70]))
    # ranks 1, 2, 2, 4: the 2nd from the bottom is tied with another unit; both are named
    assert set(res.groups[0].bottom) == {NAMES[1], NAMES[2], NAMES[3]}


def test_top_and_bottom_callouts(tmp_path: Path) -> None:
    r = called(tmp_path, {"top": 1, "bottom": 1}, 5)
    res = run(r, returns_for([90, 90, 80, 70, 70]))
    assert set(res.groups[0].top) == {NAMES[0], NAMES[1]}
    assert set(res.groups[0].bottom) == {NAMES[3], NAMES[4]}
    assert res.unit(NAMES[2]).callouts == ()


# ----------------------------------------------------------------- units without a return


def test_unit_without_return(tmp_path: Path) -> None:
    sections = [
        {
            "id": "s",
            "title": "一",
            "items": [
                formula_item("a", 60),
                {"id": "o", "title": "现场检查", "points": 40, "source": "onsite", "rule": {"kind": "score"}},
            ],
        }
    ]
    r = build(tmp_path, sections, ["a"], n_units=3, sources={"onsite": {"title": "现场考评"}})
    rows = [(NAMES[1], "o", "5", "台账不全")]
    res = run(r, {NAMES[0]: {"a": 50}, NAMES[2]: {"a": 60}}, {"onsite": rows})
    u = res.unit(NAMES[1])
    assert u.status == "未报送"
    assert not u.submitted
    assert u.item("a").score == D(0)
    assert u.item("a").status == "missing"
    assert u.item("a").reason.startswith("未填报")
    # scored on what exists: the on-site deduction still applies
    assert u.item("o").score == D(35)
    assert u.total == D(35)
    assert u.rank == 3
    assert res.not_submitted == (NAMES[1],)
    assert res.unit(NAMES[0]).status == "已报送"
    assert [(p.code, p.unit) for p in res.problems if p.code == "unit-not-submitted"] == [
        ("unit-not-submitted", NAMES[1])
    ]
    # one flag for the whole return, not one per field
    assert not [p for p in res.problems if p.code == "value-missing" and p.unit == NAMES[1]]


@pytest.mark.parametrize("strict", [False, True])
def test_strict_makes_missing_values_errors(tmp_path: Path, strict: bool) -> None:
    r = build(tmp_path, TWO_SECTIONS, ["a", "b", "c"], n_units=2)
    res = run(r, {NAMES[0]: {"a": 10, "b": 10, "c": 10}, NAMES[1]: {"a": 10, "c": 10}}, strict=strict)
    found = [p for p in res.problems if p.code == "value-missing"]
    assert [(p.unit, p.field) for p in found] == [(NAMES[1], "b")]
    assert found[0].severity == ("error" if strict else "warning")
    assert bool(res.errors) is strict
    # the score is the same either way
    assert res.unit(NAMES[1]).total == D(20)


def test_status_agrees_with_not_submitted_when_no_return_is_needed(tmp_path: Path) -> None:
    sections = [
        {
            "id": "s",
            "title": "评议",
            "items": [
                {
                    "id": "o",
                    "title": "群众评议",
                    "points": 100,
                    "source": "review",
                    "rule": {"kind": "score", "as": "score"},
                }
            ],
        }
    ]
    r = build(tmp_path, sections, [], n_units=2, sources={"review": {"title": "评议"}})
    res = run(r, {}, {"review": [(NAMES[0], "o", "88", ""), (NAMES[1], "o", "92", "")]})
    assert res.not_submitted == ()
    assert "unit-not-submitted" not in codes(res)
    # every output marks 未报送 from the status: it must agree with Result.not_submitted
    assert {u.unit for u in res.units if u.status == "未报送"} == set(res.not_submitted)  # got both units


def test_strict_fails_on_a_missing_veto_field(tmp_path: Path) -> None:
    r = vetoed(tmp_path, "zero", n_units=2)
    res = run(r, {NAMES[0]: {"a": 98}, NAMES[1]: {"a": 85, "major": 0}}, strict=True)
    assert "veto-undetermined" in codes(res)
    assert [p.unit for p in res.errors] == [NAMES[0]]  # got no errors at all
