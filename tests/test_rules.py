"""Every rule kind of SPEC 3.1, scored through ``score()`` with hand-computed expected values.

Each expected score below was worked out by hand from the SPEC formula, then
rounded half-up to the rubric's ``decimals``. Several are chosen where binary
floats would round the other way (11.625, 87.125, 2.675, 0.1 + 0.2).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from helpers import load_ok, make_inputs

from safescore.api import score
from safescore.results.model import ItemScore, Result
from safescore.rubric.model import Rubric

UNITS = ["甲", "乙", "丙", "丁", "戊"]


def rubric(
    tmp_path: Path,
    rule: dict[str, Any],
    fields: dict[str, dict[str, Any]],
    *,
    points: int | str = 10,
    title: str = "指标",
    units: int = 3,
    decimals: int = 2,
    reason: str | None = None,
    **top: Any,
) -> Rubric:
    """A one-item rubric (item id ``x``) over ``units`` units of one group."""
    it: dict[str, Any] = {"id": "x", "title": title, "points": points, "rule": rule}
    if reason is not None:
        it["reason"] = reason
    doc: dict[str, Any] = {
        "rubric": "t",
        "title": "测试细则",
        "scale": points,
        "decimals": decimals,
        "groups": [{"id": "g", "title": "组"}],
        "units": [{"name": n, "group": "g"} for n in UNITS[:units]],
        "fields": fields,
        "sections": [{"id": "s", "title": "一", "items": [it]}],
    }
    doc.update(top)
    # JSON is YAML: the loader and its checks see exactly this document
    return load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))


def run(
    r: Rubric, returns: dict[str, dict[str, Any]], scores: dict[str, list[tuple]] | None = None, **kw: Any
) -> Result:
    return score(r, make_inputs(r, returns, scores), "2022Q1", **kw)


def item(res: Result, unit: str, item_id: str = "x") -> ItemScore:
    return res.unit(unit).item(item_id)


def scores_of(res: Result, item_id: str = "x") -> dict[str, D]:
    return {u.unit: u.item(item_id).score for u in res.units}


NUM = {"type": "number"}
INT = {"type": "int"}
PCT = {"type": "percent"}


def f(label: str, type_: str = "number", **kw: Any) -> dict[str, Any]:
    return {"label": label, "type": type_, **kw}


# ----------------------------------------------------------------- check


def test_check(tmp_path: Path) -> None:
    r = rubric(
        tmp_path,
        {"kind": "check", "when": "plan"},
        {"plan": f("是否印发年度工作要点", "bool")},
        title="印发年度工作要点",
        points=20,
    )
    res = run(r, {"甲": {"plan": True}, "乙": {"plan": False}, "丙": {}})
    assert scores_of(res) == {"甲": D(20), "乙": D(0), "丙": D(0)}
    assert item(res, "甲").reason == ""
    assert item(res, "乙").reason == "印发年度工作要点：未达到要求，扣20分"
    assert item(res, "乙").lost == D(20)
    assert item(res, "乙").status == "ok"
    assert item(res, "丙").status == "missing"
    assert item(res, "丙").reason.startswith("未填报")


def test_check_else(tmp_path: Path) -> None:
    fields = {"meetings": f("会议次数", "int")}
    r = rubric(tmp_path, {"kind": "check", "when": "meetings >= 2", "else": 4.5}, fields)
    res = run(r, {"甲": {"meetings": 2}, "乙": {"meetings": 1}, "丙": {"meetings": 0}})
    assert scores_of(res) == {"甲": D(10), "乙": D("4.5"), "丙": D("4.5")}
    assert item(res, "乙").lost == D("5.5")


def test_check_on_text_field(tmp_path: Path) -> None:
    fields = {"level": f("评定等级", "choice", choices=["一级", "二级", "三级"])}
    r = rubric(tmp_path, {"kind": "check", "when": "level == '一级' or level == '二级'"}, fields)
    res = run(r, {"甲": {"level": "一级"}, "乙": {"level": "三级"}, "丙": {"level": "二级"}})
    assert scores_of(res) == {"甲": D(10), "乙": D(0), "丙": D(10)}


# ----------------------------------------------------------------- deduct

HAZARDS = {"found": f("排查隐患数", "int", unit="处"), "fixed": f("已整改隐患数", "int", unit="处")}


def test_deduct_with_reason_text(tmp_path: Path) -> None:
    r = rubric(
        tmp_path,
        {"kind": "deduct", "count": "found - fixed", "per": 2},
        HAZARDS,
        title="未整改隐患",
        points=30,
    )
    res = run(
        r, {"甲": {"found": 10, "fixed": 4}, "乙": {"found": 3, "fixed": 3}, "丙": {"found": 40, "fixed": 0}}
    )
    assert scores_of(res) == {"甲": D(18), "乙": D(30), "丙": D(0)}
    assert item(res, "甲").reason == "未整改隐患6处，每处扣2分，扣12分"
    assert item(res, "甲").lost == D(12)
    assert item(res, "甲").value == D(6)
    assert item(res, "乙").reason == ""
    # 扣完为止: 40 * 2 = 80 > 30, the item stops at 0
    assert item(res, "丙").reason == "未整改隐患40处，每处扣2分，扣30分（扣完为止）"


def test_deduct_max_caps_the_loss(tmp_path: Path) -> None:
    r = rubric(
        tmp_path,
        {"kind": "deduct", "count": "found - fixed", "per": 2, "max": 5},
        HAZARDS,
        title="未整改隐患",
        points=30,
    )
    res = run(
        r, {"甲": {"found": 10, "fixed": 4}, "乙": {"found": 2, "fixed": 0}, "丙": {"found": 3, "fixed": 0}}
    )
    # 12 capped at 5; 4 under the cap; 6 capped at 5
    assert scores_of(res) == {"甲": D(25), "乙": D(26), "丙": D(25)}
    assert item(res, "甲").reason == "未整改隐患6处，每处扣2分，扣5分（扣完为止）"
    assert item(res, "乙").reason == "未整改隐患2处，每处扣2分，扣4分"


def test_deduct_fractional_per_and_negative_count(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "deduct", "count": "found - fixed", "per": 0.35}, HAZARDS, points=5)
    # 3 * 0.35 = 1.05 → 3.95; fixed > found cannot raise the score above points
    res = run(
        r, {"甲": {"found": 3, "fixed": 0}, "乙": {"found": 0, "fixed": 4}, "丙": {"found": 15, "fixed": 1}}
    )
    # 丙: 14 * 0.35 = 4.9 → 0.1
    assert scores_of(res) == {"甲": D("3.95"), "乙": D(5), "丙": D("0.1")}


def test_deduct_default_unit_word(tmp_path: Path) -> None:
    r = rubric(
        tmp_path,
        {"kind": "deduct", "count": "n", "per": 1},
        {"n": f("问题数", "int")},
        title="检查发现问题",
        units=1,
    )
    res = run(r, {"甲": {"n": 3}})
    assert item(res, "甲").reason == "检查发现问题3处，每处扣1分，扣3分"


# ----------------------------------------------------------------- rate

RATE = {"fix_rate": f("隐患整改率", "percent")}


def test_rate_half_up_where_floats_go_wrong(tmp_path: Path) -> None:
    # miss = (1 - 0.955) * 100 = 4.5 points; 15 - 0.75 * 4.5 = 11.625 → 11.63
    # (binary floats give 11.624999999999996 → 11.62)
    r = rubric(
        tmp_path,
        {"kind": "rate", "value": "fix_rate", "per_point": 0.75},
        RATE,
        title="隐患整改率",
        points=15,
        units=1,
    )
    res = run(r, {"甲": {"fix_rate": 0.955}})
    it = item(res, "甲")
    assert it.score == D("11.63")
    assert str(it.score) == "11.63"
    assert it.lost == D("3.37")
    assert it.reason == "隐患整改率95.5%，低于100%要求4.5个百分点，每个百分点扣0.75分，扣3.37分"


def test_rate_full_and_per_point(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rate", "value": "fix_rate", "full": 0.9, "per_point": 1}, RATE, points=15)
    res = run(r, {"甲": {"fix_rate": 0.95}, "乙": {"fix_rate": 0.85}, "丙": {"fix_rate": 0.6}})
    # above full: full marks; 5 points short: 15 - 5; 30 short: floor at 0
    assert scores_of(res) == {"甲": D(15), "乙": D(10), "丙": D(0)}


def test_rate_zero_below(tmp_path: Path) -> None:
    rule = {"kind": "rate", "value": "fix_rate", "per_point": 0.5, "zero_below": 0.8}
    r = rubric(tmp_path, rule, RATE, points=15, title="隐患整改率")
    res = run(r, {"甲": {"fix_rate": 0.79}, "乙": {"fix_rate": 0.8}, "丙": {"fix_rate": 0.999}})
    # 0.79 would be 15 - 0.5 * 21 = 4.5 but is below 80%; 0.8 is not below: 15 - 10 = 5; 15 - 0.05
    assert scores_of(res) == {"甲": D(0), "乙": D(5), "丙": D("14.95")}
    assert item(res, "甲").reason == "隐患整改率79%，低于80%，不得分"


def test_rate_without_per_point_any_miss_scores_zero(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rate", "value": "fix_rate"}, RATE, points=15, title="隐患整改率")
    res = run(r, {"甲": {"fix_rate": 1}, "乙": {"fix_rate": 0.999}, "丙": {"fix_rate": 1.2}})
    assert scores_of(res) == {"甲": D(15), "乙": D(0), "丙": D(15)}
    assert item(res, "乙").reason == "隐患整改率99.9%，未达到100%，扣15分"


def test_rate_division_by_zero_is_no_value(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rate", "value": "fixed / found", "per_point": 1}, HAZARDS, points=15)
    res = run(
        r, {"甲": {"found": 0, "fixed": 0}, "乙": {"found": 8, "fixed": 7}, "丙": {"found": 3, "fixed": 3}}
    )
    a = item(res, "甲")
    assert a.score == D(0)
    assert a.status == "no-value"
    assert "无法计算" in a.reason
    # 7/8 = 87.5% → 12.5 points short → 2.5
    assert item(res, "乙").score == D("2.5")
    assert item(res, "乙").status == "ok"
    assert item(res, "丙").score == D(15)


def test_rate_reason_of_a_quotient_is_readable(tmp_path: Path) -> None:
    r = rubric(
        tmp_path,
        {"kind": "rate", "value": "fixed / found", "per_point": 0.1},
        HAZARDS,
        title="隐患整改率",
        units=1,
    )
    res = run(r, {"甲": {"found": 3, "fixed": 2}})
    it = item(res, "甲")
    assert it.score == D("6.67")
    assert "扣3.33分" in it.reason
    # a bulletin shows a few decimals at most, never a 28-digit expansion
    longest = max(len(m) for m in re.findall(r"\.(\d+)", it.reason))
    assert longest <= 4, it.reason


def test_missing_field_scores_zero_with_reason(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rate", "value": "fix_rate", "per_point": 1}, RATE, points=15)
    res = run(r, {"甲": {}, "乙": {"fix_rate": None}, "丙": {"fix_rate": 1}})
    for u in ("甲", "乙"):
        it = item(res, u)
        assert it.score == D(0)
        assert it.status == "missing"
        assert it.reason.startswith("未填报")
        assert "隐患整改率" in it.reason
    assert item(res, "丙").score == D(15)
    codes = [(p.code, p.unit) for p in res.problems]
    assert ("value-missing", "甲") in codes
    assert ("value-missing", "乙") in codes
    assert all(p.severity == "warning" for p in res.problems if p.code == "value-missing")


# ----------------------------------------------------------------- target


def test_target_higher(tmp_path: Path) -> None:
    fields = {"meetings": f("会议次数", "int", unit="次")}
    rule = {"kind": "target", "value": "meetings", "target": 2, "better": "higher", "per": 7.5}
    r = rubric(tmp_path, rule, fields, title="定期召开安委会会议", points=20)
    res = run(r, {"甲": {"meetings": 0}, "乙": {"meetings": 1}, "丙": {"meetings": 3}})
    assert scores_of(res) == {"甲": D(5), "乙": D("12.5"), "丙": D(20)}
    assert item(res, "乙").reason == "会议次数1次，目标2次，差1次，每次扣7.5分，扣7.5分"


def test_target_lower(tmp_path: Path) -> None:
    fields = {"deaths": f("事故死亡人数", "int", unit="人")}
    rule = {"kind": "target", "value": "deaths", "target": 1, "better": "lower", "per": 4}
    r = rubric(tmp_path, rule, fields, points=20)
    res = run(r, {"甲": {"deaths": 3}, "乙": {"deaths": 1}, "丙": {"deaths": 0}})
    assert scores_of(res) == {"甲": D(12), "乙": D(20), "丙": D(20)}
    assert item(res, "甲").reason == "事故死亡人数3人，目标1人，超出2人，每人扣4分，扣8分"


def test_target_from_a_named_target(tmp_path: Path) -> None:
    fields = {"deaths": f("事故死亡人数", "int")}
    targets = {"deaths_limit": {"title": "死亡人数控制指标", "default": 2, "values": {"乙": 0}}}
    rule = {"kind": "target", "value": "deaths", "target": "deaths_limit", "better": "lower", "per": 5}
    r = rubric(tmp_path, rule, fields, points=20, targets=targets)
    res = run(r, {"甲": {"deaths": 3}, "乙": {"deaths": 1}, "丙": {"deaths": 2}})
    # 甲: 3 vs default 2 → miss 1; 乙: 1 vs its own 0 → miss 1; 丙: at its target
    assert scores_of(res) == {"甲": D(15), "乙": D(15), "丙": D(20)}


def test_target_without_per_any_miss_scores_zero(tmp_path: Path) -> None:
    fields = {"meetings": f("会议次数", "int")}
    r = rubric(tmp_path, {"kind": "target", "value": "meetings", "target": 4, "better": "higher"}, fields)
    res = run(r, {"甲": {"meetings": 4}, "乙": {"meetings": 3}, "丙": {"meetings": 9}})
    assert scores_of(res) == {"甲": D(10), "乙": D(0), "丙": D(10)}


def test_target_zero_beyond(tmp_path: Path) -> None:
    fields = {"accidents": f("事故起数", "int")}
    rule = {
        "kind": "target",
        "value": "accidents",
        "target": 4,
        "better": "lower",
        "per": 1,
        "zero_beyond": 0.5,
    }
    r = rubric(tmp_path, rule, fields, points=20)
    # 50% of 4 = 2: a miss of exactly 2 is not beyond; 3 is
    res = run(r, {"甲": {"accidents": 6}, "乙": {"accidents": 7}, "丙": {"accidents": 5}})
    assert scores_of(res) == {"甲": D(18), "乙": D(0), "丙": D(19)}
    assert "不得分" in item(res, "乙").reason


def test_target_zero_beyond_higher(tmp_path: Path) -> None:
    fields = {"trainings": f("培训人次", "int")}
    rule = {
        "kind": "target",
        "value": "trainings",
        "target": 10,
        "better": "higher",
        "per": 1,
        "zero_beyond": 0.5,
    }
    r = rubric(tmp_path, rule, fields, points=20)
    res = run(r, {"甲": {"trainings": 5}, "乙": {"trainings": 4}, "丙": {"trainings": 10}})
    assert scores_of(res) == {"甲": D(15), "乙": D(0), "丙": D(20)}


def test_target_zero_beyond_with_target_zero(tmp_path: Path) -> None:
    fields = {"deaths": f("事故死亡人数", "int")}
    rule = {"kind": "target", "value": "deaths", "target": 0, "better": "lower", "per": 1, "zero_beyond": 0.5}
    r = rubric(tmp_path, rule, fields, points=20)
    # any miss exceeds 50% of 0, so per does not apply
    res = run(r, {"甲": {"deaths": 0}, "乙": {"deaths": 1}, "丙": {"deaths": 2}})
    assert scores_of(res) == {"甲": D(20), "乙": D(0), "丙": D(0)}


def test_reason_template_overrides_the_generated_text(tmp_path: Path) -> None:
    fields = {"meetings": f("会议次数", "int", unit="次")}
    rule = {"kind": "target", "value": "meetings", "target": 2, "better": "higher", "per": 15}
    r = rubric(tmp_path, rule, fields, points=30, reason="少召开{miss}{unit}，扣{lost}分（得{score}分）")
    res = run(r, {"甲": {"meetings": 1}, "乙": {"meetings": 2}, "丙": {}})
    assert item(res, "甲").reason == "少召开1次，扣15分（得15分）"
    assert item(res, "乙").reason == ""
    # missing data always says 未填报, whatever the template
    assert item(res, "丙").reason.startswith("未填报")


# ----------------------------------------------------------------- bands

SCORE100 = {"v": f("得分", "number")}


def test_bands_open_bounds(tmp_path: Path) -> None:
    bands = [{"min": 90, "score": 10}, {"min": 60, "max": 89, "score": 6}, {"max": 59, "score": 2}]
    r = rubric(tmp_path, {"kind": "bands", "value": "v", "bands": bands}, SCORE100, units=5)
    res = run(r, {"甲": {"v": 90}, "乙": {"v": 89}, "丙": {"v": 60}, "丁": {"v": 59}, "戊": {"v": -3}})
    assert scores_of(res) == {"甲": D(10), "乙": D(6), "丙": D(6), "丁": D(2), "戊": D(2)}
    assert item(res, "乙").reason == "得分89，按分档得6分，扣4分"


def test_bands_default_band(tmp_path: Path) -> None:
    bands = [{"min": 90, "score": 10}, {"min": 60, "max": 89, "score": 6}, {"score": 1}]
    r = rubric(tmp_path, {"kind": "bands", "value": "v", "bands": bands}, SCORE100)
    # 89.5 falls between the bounded bands: the default applies
    res = run(r, {"甲": {"v": 95}, "乙": {"v": "89.5"}, "丙": {"v": 10}})
    assert scores_of(res) == {"甲": D(10), "乙": D(1), "丙": D(1)}


def test_bands_no_match_scores_zero(tmp_path: Path) -> None:
    bands = [{"min": 90, "score": 10}, {"min": 60, "max": 89, "score": "6.5"}]
    r = rubric(tmp_path, {"kind": "bands", "value": "v", "bands": bands}, SCORE100)
    res = run(r, {"甲": {"v": 50}, "乙": {"v": "89.5"}, "丙": {"v": 61}})
    assert scores_of(res) == {"甲": D(0), "乙": D(0), "丙": D("6.5")}
    assert item(res, "甲").reason == "得分50，不在任何分档内，不得分"


# ----------------------------------------------------------------- linear


def test_linear(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "linear", "value": "v", "from": 60, "to": 100}, SCORE100, units=5)
    res = run(r, {"甲": {"v": 80}, "乙": {"v": 50}, "丙": {"v": 120}, "丁": {"v": 61}, "戊": {"v": "60.5"}})
    # 10 * (v - 60) / 40, clamped to [0, 10]; 10 * 0.5 / 40 = 0.125 → 0.13
    assert scores_of(res) == {"甲": D(5), "乙": D(0), "丙": D(10), "丁": D("0.25"), "戊": D("0.13")}


def test_linear_thirds(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "linear", "value": "v", "from": 0, "to": 3}, SCORE100)
    res = run(r, {"甲": {"v": 1}, "乙": {"v": 2}, "丙": {"v": 3}})
    assert scores_of(res) == {"甲": D("3.33"), "乙": D("6.67"), "丙": D(10)}


def test_linear_from_above_to_means_lower_is_better(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "linear", "value": "v", "from": 10, "to": 0}, SCORE100, units=4)
    res = run(r, {"甲": {"v": 2}, "乙": {"v": 12}, "丙": {"v": -1}, "丁": {"v": "7.5"}})
    assert scores_of(res) == {"甲": D(8), "乙": D(0), "丙": D(10), "丁": D("2.5")}


def test_linear_exact_halves_round_up(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "linear", "value": "v", "from": 60, "to": 90}, SCORE100, points=15)
    res = run(r, {"甲": {"v": "70.03"}, "乙": {"v": "60.01"}, "丙": {"v": "80.09"}})
    # 15 * 10.03 / 30 = 5.015 → 5.02;  15 * 0.01 / 30 = 0.005 → 0.01;  15 * 20.09 / 30 = 10.045 → 10.05
    assert scores_of(res) == {
        "甲": D("5.02"),
        "乙": D("0.01"),
        "丙": D("10.05"),
    }  # a 12-place quotient gave 5.01 and 0.00


# ----------------------------------------------------------------- relative


def test_relative_max(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "relative", "value": "v", "best": "max"}, SCORE100, units=4)
    res = run(r, {"甲": {"v": 8}, "乙": {"v": 4}, "丙": {"v": 6}, "丁": {"v": 5}})
    assert scores_of(res) == {"甲": D(10), "乙": D(5), "丙": D("7.5"), "丁": D("6.25")}


def test_relative_max_rounds_half_up(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "relative", "value": "v", "best": "max"}, SCORE100, units=3)
    # 10 * 2 / 3 = 6.666… → 6.67; 10 * 1 / 16 = 0.625 → 0.63
    res = run(r, {"甲": {"v": 3}, "乙": {"v": 2}, "丙": {"v": 1}})
    assert scores_of(res) == {"甲": D(10), "乙": D("6.67"), "丙": D("3.33")}
    res = run(r, {"甲": {"v": 16}, "乙": {"v": 1}, "丙": {"v": 8}})
    assert scores_of(res) == {"甲": D(10), "乙": D("0.63"), "丙": D(5)}


def test_relative_min(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "relative", "value": "v", "best": "min"}, SCORE100)
    res = run(r, {"甲": {"v": 2}, "乙": {"v": 4}, "丙": {"v": 5}})
    assert scores_of(res) == {"甲": D(10), "乙": D(5), "丙": D(4)}


def test_relative_min_zero_is_best(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "relative", "value": "v", "best": "min"}, SCORE100)
    res = run(r, {"甲": {"v": 0}, "乙": {"v": 4}, "丙": {"v": 0}})
    # points * best / value = 10 * 0 / 4 = 0 for the others
    assert scores_of(res) == {"甲": D(10), "乙": D(0), "丙": D(10)}
    assert all(item(res, u).status == "ok" for u in ("甲", "乙", "丙"))


def test_relative_max_all_zero(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "relative", "value": "v", "best": "max"}, SCORE100)
    res = run(r, {"甲": {"v": 0}, "乙": {"v": 0}, "丙": {"v": 0}})
    # 0/0: every unit equals the best; scored as the best (no crash, no "no value")
    assert scores_of(res) == {"甲": D(10), "乙": D(10), "丙": D(10)}
    assert {item(res, u).status for u in ("甲", "乙", "丙")} == {"ok"}


def test_relative_ignores_missing_units_for_the_best(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "relative", "value": "v", "best": "max"}, SCORE100)
    res = run(r, {"甲": {"v": 4}, "乙": {}, "丙": {"v": 2}})
    assert scores_of(res) == {"甲": D(10), "乙": D(0), "丙": D(5)}
    assert item(res, "乙").status == "missing"


def test_relative_is_per_group(tmp_path: Path) -> None:
    doc = {
        "rubric": "t",
        "title": "测试",
        "scale": 10,
        "groups": [{"id": "a", "title": "甲组"}, {"id": "b", "title": "乙组"}],
        "units": [{"name": "甲", "group": "a"}, {"name": "乙", "group": "a"}, {"name": "丙", "group": "b"}],
        "fields": SCORE100,
        "sections": [
            {
                "id": "s",
                "title": "一",
                "items": [
                    {"id": "x", "title": "t", "points": 10, "rule": {"kind": "relative", "value": "v"}}
                ],
            }
        ],
    }
    r = load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))
    res = run(r, {"甲": {"v": 8}, "乙": {"v": 2}, "丙": {"v": 1}})
    # 丙 is the best of its own group
    assert scores_of(res) == {"甲": D(10), "乙": D("2.5"), "丙": D(10)}


# ----------------------------------------------------------------- rank


def test_rank_desc_with_ties(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rank", "value": "v", "order": "desc", "step": 2}, SCORE100, units=5)
    res = run(
        r, {"甲": {"v": 90}, "乙": {"v": 80}, "丙": {"v": "80.0"}, "丁": {"v": 70}, "戊": {"v": "90.5"}}
    )
    # ranks 2, 3, 3, 5, 1
    assert scores_of(res) == {"甲": D(8), "乙": D(6), "丙": D(6), "丁": D(2), "戊": D(10)}
    assert "组内第3名" in item(res, "乙").reason


def test_rank_asc_with_step(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rank", "value": "v", "order": "asc", "step": 3}, SCORE100, units=5)
    res = run(r, {"甲": {"v": 1}, "乙": {"v": 2}, "丙": {"v": 2}, "丁": {"v": 5}, "戊": {"v": 7}})
    # ranks 1, 2, 2, 4, 5 → 10, 7, 7, 1, 10 - 12 → 0
    assert scores_of(res) == {"甲": D(10), "乙": D(7), "丙": D(7), "丁": D(1), "戊": D(0)}


def test_rank_skips_units_without_a_value(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "rank", "value": "v", "step": "2.5"}, SCORE100)
    res = run(r, {"甲": {"v": 5}, "乙": {}, "丙": {"v": 9}})
    assert scores_of(res) == {"甲": D("7.5"), "乙": D(0), "丙": D(10)}
    assert item(res, "乙").status == "missing"


# ----------------------------------------------------------------- score (assessor source)

ONSITE = {"onsite": {"title": "现场考评"}}


def assessor(tmp_path: Path, as_: str | None = None, points: int = 10) -> Rubric:
    rule: dict[str, Any] = {"kind": "score"}
    if as_:
        rule["as"] = as_
    doc = {
        "rubric": "t",
        "title": "测试",
        "scale": points,
        "groups": [{"id": "g", "title": "组"}],
        "units": [{"name": n, "group": "g"} for n in UNITS[:3]],
        "sources": ONSITE,
        "sections": [
            {
                "id": "s",
                "title": "一",
                "items": [
                    {"id": "x", "title": "现场检查", "points": points, "source": "onsite", "rule": rule}
                ],
            }
        ],
    }
    return load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))


def test_score_as_deduction_rows_add_up(tmp_path: Path) -> None:
    r = assessor(tmp_path)
    rows = [("甲", "x", "2", "台账不全"), ("甲", "x", "1.5", "未开展培训"), ("乙", "x", "0.25", "标识缺失")]
    res = run(r, {}, {"onsite": rows})
    assert scores_of(res) == {"甲": D("6.5"), "乙": D("9.75"), "丙": D(10)}
    assert item(res, "甲").reason == "台账不全；未开展培训"
    assert item(res, "甲").value == D("3.5")
    assert item(res, "丙").status == "ok"
    assert item(res, "丙").reason == ""
    assert item(res, "甲").source.name == "onsite"


def test_score_as_score(tmp_path: Path) -> None:
    r = assessor(tmp_path, "score")
    rows = [("甲", "x", "7", ""), ("甲", "x", "1", ""), ("乙", "x", "9.5", "")]
    res = run(r, {}, {"onsite": rows})
    assert scores_of(res) == {"甲": D(8), "乙": D("9.5"), "丙": D(0)}
    assert item(res, "丙").status == "unscored"
    assert item(res, "丙").reason == "未评分"
    assert item(res, "甲").status == "ok"


def test_score_rows_for_other_items_are_ignored(tmp_path: Path) -> None:
    r = assessor(tmp_path)
    res = run(r, {}, {"onsite": [("甲", "y", "3", "别的指标"), ("甲", "x", "1", "本项")]})
    assert item(res, "甲").score == D(9)


@pytest.mark.parametrize(
    ("as_", "value", "want"),
    [(None, "12", D(0)), (None, "-1", D(10)), ("score", "10.5", D(10)), ("score", "-2", D(0))],
)
def test_score_out_of_range(tmp_path: Path, as_: str | None, value: str, want: D) -> None:
    r = assessor(tmp_path, as_)
    res = run(r, {}, {"onsite": [("甲", "x", value, "超出"), ("乙", "x", "1", "")]})
    it = item(res, "甲")
    assert it.score == want
    assert it.status == "out-of-range"
    found = [p for p in res.problems if p.code == "score-out-of-range"]
    assert [(p.unit, p.field) for p in found] == [("甲", "x")]
    assert found[0].severity == "error"
    assert item(res, "乙").status == "ok"


# ----------------------------------------------------------------- formula


def test_formula_exact_decimal(tmp_path: Path) -> None:
    fields = {"a": f("a"), "b": f("b"), "c": f("c")}
    r = rubric(
        tmp_path, {"kind": "formula", "expr": "(a + b - c) * 100000000000000000 + a + b"}, fields, units=1
    )
    # with floats (0.1 + 0.2 - 0.3) * 1e17 is 5.55…; exactly it is 0, and 0.1 + 0.2 is 0.3
    res = run(r, {"甲": {"a": 0.1, "b": 0.2, "c": 0.3}})
    assert item(res, "甲").score == D("0.30")
    assert str(item(res, "甲").score) == "0.30"


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ("87", "0.125", "87.13"),
        ("2", "0.675", "2.68"),
        ("1", "0.005", "1.01"),
        ("0", "0.0049", "0.00"),
        ("99", "0.994999", "99.99"),
    ],
)
def test_formula_rounds_half_up(tmp_path: Path, a: str, b: str, want: str) -> None:
    r = rubric(
        tmp_path, {"kind": "formula", "expr": "a + b"}, {"a": f("a"), "b": f("b")}, points=100, units=1
    )
    res = run(r, {"甲": {"a": a, "b": b}})
    assert str(item(res, "甲").score) == want


def test_formula_is_clamped_to_points(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "formula", "expr": "a * 2 - 5"}, {"a": f("a")})
    res = run(r, {"甲": {"a": 1}, "乙": {"a": 4}, "丙": {"a": 9}})
    assert scores_of(res) == {"甲": D(0), "乙": D(3), "丙": D(10)}


def test_formula_with_if_guarding_a_division(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "formula", "expr": "if_(found == 0, 10, 10 * fixed / found)"}, HAZARDS)
    res = run(
        r, {"甲": {"found": 0, "fixed": 0}, "乙": {"found": 3, "fixed": 2}, "丙": {"found": 8, "fixed": 1}}
    )
    assert scores_of(res) == {"甲": D(10), "乙": D("6.67"), "丙": D("1.25")}
    assert item(res, "甲").status == "ok"


def test_formula_uses_decimals_setting(tmp_path: Path) -> None:
    r = rubric(tmp_path, {"kind": "formula", "expr": "a"}, {"a": f("a")}, decimals=1, units=1)
    res = run(r, {"甲": {"a": "4.25"}})
    assert str(item(res, "甲").score) == "4.3"


# ----------------------------------------------------------------- per (bonus)


def bonus_rubric(tmp_path: Path, per_rule: dict[str, Any], cap: int | None = 50) -> Rubric:
    doc: dict[str, Any] = {
        "rubric": "t",
        "title": "测试",
        "scale": 10,
        "groups": [{"id": "g", "title": "组"}],
        "units": [{"name": n, "group": "g"} for n in UNITS[:3]],
        "fields": {"awards": f("省级以上表彰次数", "int"), "ok": f("达标", "bool")},
        "sections": [
            {
                "id": "s",
                "title": "一",
                "items": [
                    {"id": "x", "title": "达标", "points": 10, "rule": {"kind": "check", "when": "ok"}}
                ],
            }
        ],
        "bonus": {"items": [{"id": "b1", "title": "获得省级以上表彰", "rule": per_rule}]},
    }
    if cap is not None:
        doc["bonus"]["cap"] = cap
    return load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))


def test_per_bonus_with_cap(tmp_path: Path) -> None:
    r = bonus_rubric(tmp_path, {"kind": "per", "count": "awards", "per": 10, "cap": 20})
    res = run(
        r,
        {"甲": {"ok": True, "awards": 1}, "乙": {"ok": True, "awards": 3}, "丙": {"ok": False, "awards": 0}},
    )
    assert scores_of(res, "b1") == {"甲": D(10), "乙": D(20), "丙": D(0)}
    assert item(res, "甲", "b1").reason == "获得省级以上表彰1次，每次加10分，加10分"
    assert item(res, "乙", "b1").reason == "获得省级以上表彰3次，每次加10分，加20分（最多加20分）"
    assert item(res, "丙", "b1").reason == ""
    assert item(res, "乙", "b1").section == "bonus"
    assert res.unit("乙").bonus == D(20)
    # the bonus lifts the total above the scale
    assert res.unit("乙").total == D(30)
    assert res.unit("丙").total == D(10 - 10 + 0)


def test_per_without_cap(tmp_path: Path) -> None:
    r = bonus_rubric(tmp_path, {"kind": "per", "count": "awards", "per": "2.5"}, cap=None)
    res = run(
        r, {"甲": {"ok": True, "awards": 5}, "乙": {"ok": True, "awards": 0}, "丙": {"ok": True, "awards": 1}}
    )
    assert scores_of(res, "b1") == {"甲": D("12.5"), "乙": D(0), "丙": D("2.5")}
    assert res.unit("甲").total == D("22.5")


def test_an_extreme_exponent_is_refused_at_the_reader(tmp_path: Path) -> None:
    from safescore.inputs.clean import CleanError, parse_number

    # the engine only ever sees cleaned values; the cleaner refuses absurd magnitudes
    with pytest.raises(CleanError) as err:
        parse_number("1e-5000")
    assert err.value.code == "number-out-of-range"
    r = rubric(tmp_path, {"kind": "formula", "expr": "a"}, {"a": f("a")}, units=2)
    res = run(r, {"甲": {"a": None}, "乙": {"a": 7}})
    assert item(res, "乙").score == D(7)
    assert item(res, "甲").score == D(0) and item(res, "甲").status == "missing"
