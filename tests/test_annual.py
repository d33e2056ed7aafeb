"""Annual roll-up (SPEC 3.5, 6 ``safescore annual``): combinations, vetoes, missing periods, ranks.

Period results are scored for real (tiny rubric whose single item scores the
reported ``pts`` as is), so the totals fed to the year are hand-chosen exact
decimals: 900, 880.5, 910.25, 870 → mean 890.1875 → 890.19 (half-up).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import load_ok, make_inputs
from rich.console import Console

from safescore.api import score
from safescore.cli.history_cmd import run_annual
from safescore.history.store import HistoryStore
from safescore.results.annual import annual_result, period_labels, round_half_up, weight_key
from safescore.results.load import result_from_dict
from safescore.results.model import Result, WarningHit
from safescore.rubric.model import Rubric

ROOT = Path(__file__).resolve().parent.parent
QUARTERS = ["2022Q1", "2022Q2", "2022Q3", "2022Q4"]

RUBRIC = """\
rubric: annual-test
title: 年度汇总测试
period: quarter
scale: 1000
decimals: 2
groups:
  - {{id: dept, title: 区直部门, callout: {{bottom: 1}}}}
units:
  - {{name: 甲局, group: dept}}
  - {{name: 乙局, group: dept}}
  - {{name: 丙局, group: dept}}
  - {{name: 丁局, group: dept}}
fields:
  pts: {{label: 得分, type: number, min: 0}}
  major: {{label: 较大事故起数, type: int, min: 0, blank: zero}}
  concealed: {{label: 瞒报起数, type: int, min: 0, blank: zero}}
  illegal: {{label: 非法生产次数, type: int, min: 0, blank: zero}}
  deaths: {{label: 死亡人数, type: int, min: 0, blank: zero}}
sections:
  - id: s
    title: 得分
    points: 1000
    items:
      - {{id: s.pts, title: 得分, points: 1000, rule: {{kind: formula, expr: pts}}}}
veto:
  - {{id: v.major, title: 发生较大事故, when: major > 0, effect: fail}}
  - {{id: v.conceal, title: 瞒报事故, when: concealed > 0, effect: zero}}
  - {{id: v.illegal, title: 非法生产, when: illegal > 0, effect: {{cap: 600}}}}
  - {{id: v.death, title: 死亡事故, when: deaths > 0, effect: {{max_grade: 合格}}}}
grades:
  - {{name: 优秀, min: 900, quota: 0.5}}
  - {{name: 良好, min: 800}}
  - {{name: 合格, min: 600}}
  - {{name: 不合格}}
annual: {annual}
"""

BASE = {"甲局": ["900", "880.5", "910.25", "870"]}  # the hand-computed unit
OTHERS = {"乙局": ["800"] * 4, "丙局": ["950"] * 4, "丁局": ["700"] * 4}


def rubric_with(tmp_path: Path, annual: str) -> Rubric:
    return load_ok(tmp_path, RUBRIC.format(annual=annual))


def quarter(rubric: Rubric, period: str, values: dict[str, Any]) -> Result:
    """Score one quarter: unit → pts, or unit → {field: value} for vetoes."""
    returns = {u: (v if isinstance(v, dict) else {"pts": v}) for u, v in values.items()}
    return score(rubric, make_inputs(rubric, returns), period)


def year_of(rubric: Rubric, table: dict[str, list[Any]], quarters: list[str] = QUARTERS) -> dict[str, Result]:
    """unit → its four quarterly values (None: absent that quarter) → period label → Result."""
    out: dict[str, Result] = {}
    for i, q in enumerate(QUARTERS):
        if q in quarters:
            out[q] = quarter(rubric, q, {u: vals[i] for u, vals in table.items() if vals[i] is not None})
    return out


def without(result: Result, unit: str) -> Result:
    """``result`` as if ``unit`` had not been in the registry that period (score() ranks every unit)."""
    return dataclasses.replace(result, units=tuple(u for u in result.units if u.unit != unit))


def codes(problems: list[Any], severity: str | None = None) -> list[str]:
    return [p.code for p in problems if severity is None or p.severity == severity]


def with_hits(result: Result, unit: str, *hits: WarningHit) -> Result:
    """``result`` with warning notices / ladder steps given to ``unit`` (as the engine records them)."""
    units = tuple(
        dataclasses.replace(u, warnings=tuple(h.mark for h in hits), warning_details=hits)
        if u.unit == unit
        else u
        for u in result.units
    )
    return dataclasses.replace(result, units=units)


# -- combinations ---------------------------------------------------------------------


def test_mean_is_exact_and_half_up(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    result, problems = annual_result(r, year_of(r, {**BASE, **OTHERS}), "2022")
    assert codes(problems, "error") == []
    u = result.unit("甲局")
    assert u.total == Decimal("890.19")  # 890.1875 rounded half-up
    assert result.period == "2022" and u.items == ()
    assert [(s.id, s.score) for s in u.sections] == [
        ("2022Q1", Decimal("900")),
        ("2022Q2", Decimal("880.5")),
        ("2022Q3", Decimal("910.25")),
        ("2022Q4", Decimal("870")),
    ]
    assert [s.title for s in u.sections] == ["第一季度", "第二季度", "第三季度", "第四季度"]
    assert result.groups[0].scale == Decimal(1000)


def test_sum_scales_full_marks_and_grade_bands(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: sum, veto: any}")
    result, _ = annual_result(r, year_of(r, {**BASE, **OTHERS}), "2022")
    assert result.unit("甲局").total == Decimal("3560.75")
    assert result.groups[0].scale == Decimal(4000)
    # bands ×4: 优秀 ≥ 3600, 良好 ≥ 3200, 合格 ≥ 2400
    assert result.unit("甲局").grade == "良好"
    assert result.unit("丙局").grade == "优秀"  # 3800
    assert result.unit("丁局").grade == "合格"  # 2800


def test_weights_keyed_by_quarter(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: {weights: {Q1: 0.2, Q2: 0.2, Q3: 0.2, Q4: 0.4}}, veto: any}")
    result, problems = annual_result(r, year_of(r, {**BASE, **OTHERS}), "2022")
    assert codes(problems) == []
    u = result.unit("甲局")
    assert u.total == Decimal("886.15")  # 180 + 176.1 + 182.05 + 348
    assert [s.weight for s in u.sections] == [Decimal("0.2"), Decimal("0.2"), Decimal("0.2"), Decimal("0.4")]


def test_weight_keys_must_match_the_periods(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: {weights: {Q1: 0.5, Q5: 0.5}}}")
    _, problems = annual_result(r, year_of(r, BASE), "2022")
    assert "annual-weights-keys" in codes(problems, "error")


def test_weights_not_summing_to_one_warn(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: {weights: {Q1: 1, Q2: 1, Q3: 1, Q4: 1}}}")
    result, problems = annual_result(r, year_of(r, BASE), "2022")
    assert codes(problems) == ["annual-weights-sum"] and problems[0].severity == "warning"
    assert result.unit("甲局").total == Decimal("3560.75")  # a weighted sum, as written


def test_period_labels_and_weight_keys() -> None:
    assert period_labels("quarter", "2022") == QUARTERS
    assert period_labels("half", "2022") == ["2022H1", "2022H2"]
    assert period_labels("month", "2022")[0] == "2022-01" and period_labels("month", "2022")[-1] == "2022-12"
    assert [weight_key(p) for p in ("2022Q3", "2022H1", "2022-03")] == ["Q3", "H1", "03"]


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (Fraction("890.1875"), 2, "890.19"),
        (Fraction("100.005"), 2, "100.01"),  # exactly half: up, not to even
        (Fraction("100.004999"), 2, "100.00"),
        (Fraction(2, 3), 2, "0.67"),
        (Fraction("87.125"), 2, "87.13"),
        (Fraction("0.5"), 0, "1"),
    ],
)
def test_round_half_up_is_exact(value: Fraction, decimals: int, expected: str) -> None:
    assert round_half_up(value, decimals) == Decimal(expected)


def test_mean_of_thirds_rounds_from_the_exact_value(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, missing: skip}")
    # 100.01 + 100.01 + 100.00 = 300.02 → /3 = 100.006666… → 100.01
    periods = year_of(r, {"甲局": ["100.01", "100.01", "100", None]}, QUARTERS[:3])
    result, _ = annual_result(r, periods, "2022")
    assert result.unit("甲局").total == Decimal("100.01")


# -- vetoes ------------------------------------------------------------------------------


def _with_veto(field: str) -> dict[str, list[Any]]:
    """甲局 meets a veto in Q2 only."""
    return {"甲局": ["900", {"pts": "880.5", field: 1}, "910.25", "870"], **OTHERS}


def test_fail_veto_in_q2_carries_to_the_year(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    periods = year_of(r, _with_veto("major"))
    assert periods["2022Q2"].unit("甲局").vetoes  # the quarter itself was vetoed
    result, _ = annual_result(r, periods, "2022")
    u = result.unit("甲局")
    assert u.total == Decimal("890.19")  # fail keeps the score
    assert u.grade == "不合格"  # … but takes the lowest grade
    assert [v.id for v in u.vetoes] == ["v.major"]
    assert "2022Q2" in u.vetoes[0].title and u.vetoes[0].effect == "fail"


def test_veto_none_does_not_carry(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: none}")
    result, _ = annual_result(r, year_of(r, _with_veto("major")), "2022")
    u = result.unit("甲局")
    assert u.vetoes == () and u.grade == "良好"


def test_zero_veto_re_applied_on_the_annual_total(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    periods = year_of(r, _with_veto("concealed"))
    assert periods["2022Q2"].unit("甲局").total == 0
    result, _ = annual_result(r, periods, "2022")
    u = result.unit("甲局")
    assert u.total == 0
    assert u.total_before_veto == Decimal("670.06")  # (900 + 0 + 910.25 + 870) / 4 = 670.0625
    assert u.rank == 4  # ranked on the changed total


def test_zero_veto_with_none_combines_the_period_as_it_stood(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: none}")
    result, _ = annual_result(r, year_of(r, _with_veto("concealed")), "2022")
    assert result.unit("甲局").total == Decimal("670.06")


def test_cap_and_max_grade_vetoes(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    table = {
        "甲局": ["900", {"pts": "880.5", "illegal": 1}, "910.25", "870"],
        "丙局": ["950", "950", {"pts": "950", "deaths": 1}, "950"],
        "乙局": ["800"] * 4,
    }
    result, _ = annual_result(r, year_of(r, table), "2022")
    assert result.unit("甲局").total == Decimal(600)
    assert result.unit("丙局").total == Decimal(950) and result.unit("丙局").grade == "合格"


# -- missing periods -------------------------------------------------------------------------


def test_missing_period_is_an_error_by_default(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean}")
    periods = year_of(r, {**BASE, **OTHERS}, ["2022Q1", "2022Q2", "2022Q4"])
    _, problems = annual_result(r, periods, "2022")
    missing = [p for p in problems if p.code == "annual-missing-period"]
    assert [(p.severity, p.value) for p in missing] == [("error", "2022Q3")]


def test_missing_period_zero_counts_as_nought(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, missing: zero}")
    periods = year_of(r, {**BASE, **OTHERS}, ["2022Q1", "2022Q2", "2022Q4"])
    result, problems = annual_result(r, periods, "2022")
    assert codes(problems, "error") == []
    u = result.unit("甲局")
    assert u.total == Decimal("662.63")  # (900 + 880.5 + 0 + 870) / 4 = 662.625
    assert [s.id for s in u.sections] == QUARTERS and u.sections[2].score == 0


def test_missing_period_skip_combines_the_rest(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, missing: skip}")
    periods = year_of(r, {**BASE, **OTHERS}, ["2022Q1", "2022Q2", "2022Q4"])
    result, problems = annual_result(r, periods, "2022")
    assert codes(problems, "error") == []
    u = result.unit("甲局")
    assert u.total == Decimal("883.50")  # 2650.5 / 3
    assert [s.id for s in u.sections] == ["2022Q1", "2022Q2", "2022Q4"]


def test_missing_period_skip_rescales_weights(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: {weights: {Q1: 0.2, Q2: 0.2, Q3: 0.2, Q4: 0.4}}, missing: skip}")
    periods = year_of(r, BASE, ["2022Q1", "2022Q2", "2022Q4"])
    result, _ = annual_result(r, periods, "2022")
    # (0.2×900 + 0.2×880.5 + 0.4×870) / 0.8 = 704.1 / 0.8 = 880.125
    assert result.unit("甲局").total == Decimal("880.13")


def test_unit_missing_from_one_period_follows_the_policy(tmp_path: Path) -> None:
    """A unit absent from one period's result (joined the registry late) follows ``missing`` too."""
    table = {**BASE, "乙局": ["800"] * 4}

    def periods(r: Rubric) -> dict[str, Result]:
        got = year_of(r, table)
        return {**got, "2022Q3": without(got["2022Q3"], "乙局")}

    r = rubric_with(tmp_path, "{combine: mean}")
    _, problems = annual_result(r, periods(r), "2022")
    assert "annual-unit-missing-period" in codes(problems, "error")
    r = rubric_with(tmp_path, "{combine: mean, missing: skip}")
    result, problems = annual_result(r, periods(r), "2022")
    assert codes(problems, "error") == [] and result.unit("乙局").total == Decimal(800)
    r = rubric_with(tmp_path, "{combine: mean, missing: zero}")
    result, _ = annual_result(r, periods(r), "2022")
    assert result.unit("乙局").total == Decimal(600)


def test_units_not_submitted_are_combined_as_scored(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean}")
    result, problems = annual_result(r, year_of(r, {"甲局": ["900"] * 4}), "2022")
    assert codes(problems, "error") == []
    assert result.unit("乙局").status == "未报送" and result.unit("乙局").total == 0
    assert "乙局" in result.not_submitted


def test_no_periods_at_all_is_an_error(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, missing: skip}")
    result, problems = annual_result(r, {}, "2022")
    assert "annual-no-periods" in codes(problems, "error") and result.units == ()


# -- ranks, quota, callouts ----------------------------------------------------------------------


def test_ranks_quota_and_callouts_in_the_year(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean}")
    table = {
        "甲局": ["950", "950", "950", "950"],
        "乙局": ["960", "940", "950", "950"],  # ties 甲局 at 950
        "丙局": ["920", "920", "920", "920"],
        "丁局": ["700", "700", "700", "700"],
    }
    result, _ = annual_result(r, year_of(r, table), "2022")
    ranks = {u.unit: u.rank for u in result.units}
    assert ranks == {"甲局": 1, "乙局": 1, "丙局": 3, "丁局": 4}
    # quota 0.5 of 4 → 2 places: the tied pair fits exactly; 丙局 (920) qualifies by score, not by quota
    grades = {u.unit: u.grade for u in result.units}
    assert grades == {"甲局": "优秀", "乙局": "优秀", "丙局": "良好", "丁局": "合格"}
    assert result.groups[0].bottom == ("丁局",) and result.unit("丁局").callouts == ("bottom",)
    assert result.groups[0].ranking[:2] == ("乙局", "甲局") or result.groups[0].ranking[:2] == (
        "甲局",
        "乙局",
    )


def test_quota_ties_at_the_cut_are_demoted(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean}")
    table = {u: ["950"] * 4 for u in ("甲局", "乙局", "丙局")} | {"丁局": ["700"] * 4}
    result, _ = annual_result(r, year_of(r, table), "2022")
    assert {u.grade for u in result.units if u.unit != "丁局"} == {"良好"}  # 3 tied for 2 places


# -- outputs ---------------------------------------------------------------------------------------


def test_annual_result_renders_like_a_period(tmp_path: Path) -> None:
    from safescore.render.outputs import write_all

    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    result, _ = annual_result(r, year_of(r, _with_veto("major")), "2022")
    out = tmp_path / "out"
    written = write_all(result, out, formats=["json", "xlsx", "html", "docx"])
    assert {"results.json", "results.xlsx", "bulletin.html", "bulletin.docx", "manifest.json"} <= set(written)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "src" / "safescore" / "schemas" / "results.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert result_from_dict(json.loads((out / "results.json").read_text("utf-8"), parse_float=Decimal)).unit(
        "甲局"
    ).total == Decimal("890.19")
    html = (out / "bulletin.html").read_text(encoding="utf-8")
    assert "2022年度" in html and "第二季度" in html


def _store_year(r: Rubric, url: str, year: str, table: dict[str, list[Any]], drop: str | None = None) -> None:
    with HistoryStore(url) as store:
        for i, q in enumerate(period_labels("quarter", year)):
            result = quarter(r, q, {u: v[i] for u, v in table.items()})
            store.save(without(result, drop) if drop else result, {})


def test_run_annual_from_history(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    _store_year(r, url, "2021", {"甲局": ["700"] * 4, "乙局": ["800"] * 4, "丙局": ["950"] * 4}, drop="丁局")
    _store_year(r, url, "2022", {**BASE, **OTHERS})
    console = Console(record=True, width=200)
    code = run_annual(
        tmp_path / "r.yaml",
        "2022",
        url,
        tmp_path / "out",
        ["table", "json", "bulletin"],
        False,
        False,
        console,
    )
    text = console.export_text()
    assert code == 0, text
    assert (tmp_path / "out" / "results.json").exists() and (tmp_path / "out" / "bulletin.docx").exists()
    data = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    by_unit = {u["unit"]: u for u in data["units"]}
    assert by_unit["甲局"]["total"] == 890.19
    # rank change against 2021: 甲局 3 → 2, 乙局 2 → 3, 丁局 new
    assert (by_unit["甲局"]["previous_rank"], by_unit["甲局"]["rank"]) == (3, 2)
    assert (by_unit["乙局"]["previous_rank"], by_unit["乙局"]["rank"]) == (2, 3)
    assert by_unit["丁局"]["previous_rank"] is None
    assert "▲1" in text and "▼1" in text


def test_run_annual_with_a_missing_quarter_writes_nothing(tmp_path: Path) -> None:
    r = rubric_with(tmp_path, "{combine: mean}")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with HistoryStore(url) as store:
        for q in ("2022Q1", "2022Q2", "2022Q4"):
            store.save(quarter(r, q, {"甲局": "900"}), {})
    console = Console(record=True, width=200)
    code = run_annual(
        tmp_path / "r.yaml", "2022", url, tmp_path / "out", ["table", "json"], False, False, console
    )
    assert code == 1
    assert not (tmp_path / "out").exists()
    assert "annual-missing-period" in console.export_text()


def test_run_annual_usage_errors(tmp_path: Path) -> None:
    rubric_with(tmp_path, "{combine: mean}")
    console = Console(record=True, width=200)
    db = str(tmp_path / "h.db")
    assert run_annual(tmp_path / "r.yaml", "22", db, None, ["table"], False, False, console) == 2
    assert run_annual(tmp_path / "r.yaml", "2022", db, None, ["pdf"], False, False, console) == 2
    assert run_annual(tmp_path / "nope.yaml", "2022", db, None, ["table"], False, False, console) == 2
    assert not (tmp_path / "h.db").exists()  # reading history never creates a database


def test_warnings_are_listed_in_the_year_with_their_period(tmp_path: Path) -> None:
    """A notice's penalty is in its period's total (so in the year's mean); the year lists the
    notice titled with its period, and a ladder shows the latest step reached."""
    r = rubric_with(tmp_path, "{combine: mean, veto: any}")
    periods = year_of(r, {**BASE, **OTHERS})
    notice = WarningHit("w.60d", "60天内连续发生2起一般事故", "warning", "2起", Decimal(5))
    step1 = WarningHit("l.exp", "重大隐患曝光", "ladder", "2次", action="约谈", count=Decimal(2))
    step2 = dataclasses.replace(step1, action="报纸公示", count=Decimal(3))
    periods["2022Q1"] = with_hits(periods["2022Q1"], "甲局", step1)
    periods["2022Q2"] = with_hits(periods["2022Q2"], "甲局", notice)
    periods["2022Q3"] = with_hits(periods["2022Q3"], "甲局", step2)
    result, problems = annual_result(r, periods, "2022")
    assert codes(problems, "error") == []
    u = result.unit("甲局")
    assert u.total == Decimal("890.19")  # listing the notice does not deduct it a second time
    assert u.warnings == ("w.60d", "l.exp:报纸公示")
    assert [w.title for w in u.warning_details] == ["60天内连续发生2起一般事故（2022Q2）", "重大隐患曝光"]
    assert result.unit("乙局").warnings == ()
