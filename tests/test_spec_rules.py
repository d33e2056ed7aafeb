"""SPEC 3.1 and 3.2 as acceptance tests: every rule kind in one rubric, read from real workbooks.

One rubric holds an item of every kind of the 3.1 table (with its keys and defaults); four units
send a consolidation sheet and an assessor sends a scoresheet. Every score below was worked out
by hand from the SPEC formula (shown next to it) and rounded half-up to 2 decimals.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from helpers import invoke_cli, load_ok
from test_spec_rubric import write_xlsx

from safescore import read_inputs, score
from safescore.results.model import Result

RUBRIC = """
rubric: spec-rules
title: 规则种类验收
decimals: 2
scale: 188
groups: [{id: g, title: 部门}]
units: [{name: 甲, group: g}, {name: 乙, group: g}, {name: 丙, group: g}, {name: 丁, group: g}]
fields:
  meetings: {label: 会议次数, type: int, unit: 次}
  found:    {label: 排查隐患数, type: int}
  fixed:    {label: 已整改隐患数, type: int, max: found}
  cover:    {label: 培训覆盖率, type: percent}
  ok:       {label: 是否建立制度, type: bool}
  deaths:   {label: 死亡人数, type: int, unit: 人}
  cases:    {label: 执法案件数, type: int, unit: 件}
  awards:   {label: 表彰次数, type: int, unit: 次}
  fines:    {label: 通报批评次数, type: int, unit: 次}
targets:
  death_limit: {title: 死亡控制指标, default: 2, values: {乙: 0}}
sources: {onsite: {title: 现场考评}}
sections:
  - id: s1
    title: 基础工作
    points: 94
    items:
      - {id: c1, title: 建立制度, points: 10, rule: {kind: check, when: ok, else: 3}}
      - {id: c2, title: 综合条件, points: 6, rule: {kind: check, when: "(ok and not deaths > 0) or awards >= 3"}}
      - {id: d1, title: 未整改隐患, points: 10, rule: {kind: deduct, count: found - fixed, per: 3}}
      - {id: d2, title: 未整改隐患（限扣5分）, points: 10, rule: {kind: deduct, count: found - fixed, per: 3, max: 5}}
      - {id: r1, title: 隐患整改率, points: 20, rule: {kind: rate, value: fixed / found, per_point: 0.5, zero_below: 0.6}}
      - {id: t1, title: 死亡人数控制, points: 10, rule: {kind: target, value: deaths, target: death_limit, better: lower, per: 5}}
      - {id: t2, title: 执法案件, points: 10, rule: {kind: target, value: cases, target: 10, better: higher}}
      - {id: t3, title: 执法案件（过半不得分）, points: 10, rule: {kind: target, value: cases, target: 10, per: 1, zero_beyond: 0.5}}
      - {id: t4, title: 召开会议, points: 8, reason: "少召开{miss}次，扣{lost}分", rule: {kind: target, value: meetings, target: 4, per: 2}}
  - id: s2
    title: 比较与评议
    points: 94
    items:
      - id: b1
        title: 会议分档
        points: 10
        rule: {kind: bands, value: meetings, bands: [{min: 4, score: 10}, {min: 2, max: 3, score: 6}, {min: 2, score: 8}, {score: 1}]}
      - {id: l1, title: 培训覆盖, points: 10, rule: {kind: linear, value: cover, from: 0.6, to: 1.0}}
      - {id: l2, title: 死亡人数（线性）, points: 9, rule: {kind: linear, value: deaths, from: 3, to: 0}}
      - {id: rel1, title: 执法案件（比较）, points: 10, rule: {kind: relative, value: cases, best: max}}
      - {id: rel2, title: 死亡人数（比较）, points: 10, rule: {kind: relative, value: deaths + 1, best: min}}
      - {id: rk1, title: 执法案件排名, points: 10, rule: {kind: rank, value: cases, order: desc, step: 2}}
      - {id: sc1, title: 现场检查扣分, points: 10, source: onsite, rule: {kind: score}}
      - {id: sc2, title: 现场评议得分, points: 10, source: onsite, rule: {kind: score, as: score}}
      - {id: f1, title: 整改公式, points: 10, rule: {kind: formula, expr: "if_(found > 0, round(fixed / found * 10, 1), 10)"}}
      - {id: f2, title: 函数公式, points: 5, rule: {kind: formula, expr: "min(max(abs(meetings - 3) * 2, 1), 5)"}}
bonus: {cap: 8, items: [{id: p.awards, title: 获得表彰, rule: {kind: per, count: awards, per: 5, cap: 10}}]}
penalty: {cap: 4, items: [{id: p.fines, title: 被通报批评, rule: {kind: per, count: fines, per: 3}}]}
"""

HEAD = [
    "单位",
    "会议次数",
    "排查隐患数",
    "已整改隐患数",
    "培训覆盖率",
    "是否建立制度",
    "死亡人数",
    "执法案件数",
    "表彰次数",
    "通报批评次数",
]
ROWS = [
    ["甲", 5, 10, 10, "100%", "是", 0, 12, 1, 0],
    ["乙", 2, 10, 7, 0.8, "否", 1, 6, 3, 2],
    ["丙", 0, 0, 0, 50, "是", 3, 4, 0, 1],
    ["丁", 3, 20, 11, "65%", "否", 0, 12, 0, 0],
]
ONSITE = [
    ["单位", "指标编码或名称", "扣分", "扣分原因"],
    ["甲", "sc1", 2, "台账不全"],
    ["甲", "现场检查扣分", 1.5, "未开展培训"],  # named by its title
    ["乙", "sc2", 7, ""],
    ["乙", "现场评议得分", 1, ""],
    ["丁", "sc1", 10, "现场隐患多"],
    ["丁", "sc2", 9.5, ""],
]

# Hand-computed scores, item by item (SPEC 3.1 formulas).
WANT: dict[str, dict[str, str]] = {
    "c1": {"甲": "10", "乙": "3", "丙": "10", "丁": "3"},  # else: 3
    "c2": {"甲": "6", "乙": "6", "丙": "0", "丁": "0"},  # 乙 by awards >= 3; 丙 has deaths
    "d1": {"甲": "10", "乙": "1", "丙": "10", "丁": "0"},  # 10 - min(3*n, 10): 丁 3*9=27, 扣完为止
    "d2": {"甲": "10", "乙": "5", "丙": "10", "丁": "5"},  # max 5
    "r1": {"甲": "20", "乙": "5", "丙": "0", "丁": "0"},  # 乙 0.7: 20-0.5*30; 丙 0/0; 丁 0.55 < 0.6
    "t1": {"甲": "10", "乙": "5", "丙": "5", "丁": "10"},  # limit 2 (乙 0): 乙 1 over, 丙 3-2
    "t2": {"甲": "10", "乙": "0", "丙": "0", "丁": "10"},  # no per: any miss 0
    "t3": {"甲": "10", "乙": "6", "丙": "0", "丁": "10"},  # 乙 miss 4 <= 5; 丙 miss 6 > 50% of 10
    "t4": {"甲": "8", "乙": "4", "丙": "0", "丁": "6"},  # 8 - 2*(4-meetings)
    "b1": {"甲": "10", "乙": "6", "丙": "1", "丁": "6"},  # first match; 2 and 3 also fit the 3rd band
    "l1": {"甲": "10", "乙": "5", "丙": "0", "丁": "1.25"},  # 10*(v-0.6)/0.4 clamped
    "l2": {"甲": "9", "乙": "6", "丙": "0", "丁": "9"},  # from 3 to 0: 9*(3-v)/3
    "rel1": {"甲": "10", "乙": "5", "丙": "3.33", "丁": "10"},  # 10*v/12
    "rel2": {"甲": "10", "乙": "5", "丙": "2.5", "丁": "10"},  # 10*1/(deaths+1)
    "rk1": {"甲": "10", "乙": "6", "丙": "4", "丁": "10"},  # ranks 1,3,4,1 (step 2)
    "sc1": {"甲": "6.5", "乙": "10", "丙": "10", "丁": "0"},  # 10 - (2+1.5); no rows: full
    "sc2": {"甲": "0", "乙": "8", "丙": "0", "丁": "9.5"},  # as score: 7+1; no rows: 0 未评分
    "f1": {"甲": "10", "乙": "7", "丙": "10", "丁": "5.5"},  # round(11/20*10, 1)
    "f2": {"甲": "4", "乙": "2", "丙": "5", "丁": "1"},
    "p.awards": {"甲": "5", "乙": "10", "丙": "0", "丁": "0"},  # min(5*n, 10)
    "p.fines": {"甲": "0", "乙": "6", "丙": "3", "丁": "0"},
}
# s1 + s2 + min(bonus, 8) - min(penalty, 4)
TOTALS = {"甲": "178.5", "乙": "99", "丙": "67.83", "丁": "106.25"}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    tmp = tmp_path_factory.mktemp("rules")
    rubric = load_ok(tmp, RUBRIC)
    ret = write_xlsx(tmp / "returns.xlsx", [HEAD, *ROWS])
    sheet = write_xlsx(tmp / "onsite.xlsx", ONSITE)
    inputs = read_inputs(rubric, [ret], {"onsite": [sheet]}, jobs=1)
    return score(rubric, inputs, "2022Q1")


def test_every_rule_kind_scores_as_the_spec_table_says(result: Result) -> None:
    got = {i: {u.unit: format(u.item(i).score.normalize(), "f") for u in result.units} for i in WANT}
    assert got == WANT


def test_sections_and_totals_add_up(result: Result) -> None:
    for u in result.units:
        s1, s2 = ({s.id: s.score for s in u.sections}[s] for s in ("s1", "s2"))
        assert s1 == sum(u.item(i).score for i in ("c1", "c2", "d1", "d2", "r1", "t1", "t2", "t3", "t4"))
        assert s2 == sum(u.item(i).score for i in WANT if i.startswith(("b", "l", "rel", "rk", "sc", "f")))
    assert {u.unit: u.total for u in result.units} == {k: D(v) for k, v in TOTALS.items()}
    # 乙: bonus 10 capped at 8, penalty 6 capped at 4
    assert (result.unit("乙").bonus, result.unit("乙").penalty) == (D(8), D(4))


def test_generated_reasons(result: Result) -> None:
    def reason(unit: str, item: str) -> str:
        return result.unit(unit).item(item).reason

    assert reason("丁", "d1") == "未整改隐患9处，每处扣3分，扣10分（扣完为止）"
    assert reason("乙", "d1") == "未整改隐患3处，每处扣3分，扣9分"
    assert reason("乙", "c1") == "建立制度：未达到要求，扣7分"
    assert reason("乙", "r1") == "隐患整改率70%，低于100%要求30个百分点，每个百分点扣0.5分，扣15分"
    assert reason("丁", "r1") == "隐患整改率55%，低于60%，不得分"
    assert reason("乙", "t2") == "执法案件数6件，目标10件，差4件，未达到目标，扣10分"
    assert reason("丙", "t3") == "执法案件数4件，目标10件，差6件，超过目标的50%，不得分"
    # a percent field is quoted as a percentage, never as the fraction 0.65
    assert reason("丁", "l1") == "培训覆盖率65%，按60%至100%线性计分得1.25分，扣8.75分"
    assert reason("乙", "l2") == "死亡人数1，按3至0线性计分得6分，扣3分"
    assert reason("丙", "rel1") == "执法案件数4，同组最优12，按比例得3.33分，扣6.67分"
    assert reason("乙", "rk1") == "执法案件数6，组内第3名，得6分，扣4分"
    assert reason("乙", "p.awards") == "获得表彰3次，每次加5分，加10分（最多加10分）"
    assert reason("乙", "p.fines") == "被通报批评2次，每次减3分，减6分"


def test_target_reason_quotes_the_field_label_with_a_named_target(result: Result) -> None:
    assert result.unit("乙").item("t1").reason == "死亡人数1人，目标0人，超出1人，每人扣5分，扣5分"


def test_reason_template_with_miss_and_lost(result: Result) -> None:
    """``reason: "少召开{miss}次，扣{lost}分"`` replaces the generated text (SPEC 3.1)."""
    assert {u.unit: u.item("t4").reason for u in result.units} == {
        "甲": "",
        "乙": "少召开2次，扣4分",
        "丙": "少召开4次，扣8分",
        "丁": "少召开1次，扣2分",
    }


def test_no_value_scores_zero_and_says_why(result: Result) -> None:
    """A division by zero is "no value"; the rate scores 0 and says why (SPEC 3.2)."""
    it = result.unit("丙").item("r1")
    assert (it.score, it.status) == (D(0), "no-value")
    assert it.reason == "无法计算（分母为0），不得分"
    # if_ guards the same division in a formula: 丙 has found == 0 and gets the else branch
    assert result.unit("丙").item("f1").score == D(10)


def test_assessor_rows_add_up_and_keep_their_reasons(result: Result) -> None:
    it = result.unit("甲").item("sc1")
    assert (it.value, it.score, it.reason) == (D("3.5"), D("6.5"), "台账不全；未开展培训")
    assert it.source.name == "onsite" and it.source.cell == "C2"
    assert (result.unit("甲").item("sc2").status, result.unit("甲").item("sc2").reason) == (
        "unscored",
        "未评分",
    )
    assert (result.unit("丙").item("sc1").status, result.unit("丙").item("sc1").reason) == ("ok", "")


def test_assessor_value_out_of_range_is_a_validation_error(tmp_path: Path) -> None:
    rubric = load_ok(tmp_path, RUBRIC)
    sheet = write_xlsx(
        tmp_path / "onsite.xlsx", [ONSITE[0], ["甲", "sc1", 12, "超出"], ["乙", "sc2", 10.5, ""]]
    )
    ret = write_xlsx(tmp_path / "returns.xlsx", [HEAD, *ROWS])
    res = score(rubric, read_inputs(rubric, [ret], {"onsite": [sheet]}, jobs=1), "2022Q1")
    bad = sorted(
        (p.code, p.severity, p.unit, p.field) for p in res.problems if p.code == "score-out-of-range"
    )
    assert bad == [("score-out-of-range", "error", "乙", "sc2"), ("score-out-of-range", "error", "甲", "sc1")]
    # clamped into [0, points] (documented in docs/rubric.md), never silently accepted
    assert (res.unit("甲").item("sc1").score, res.unit("乙").item("sc2").score) == (D(0), D(10))


# ----------------------------------------------------------------- 3.2: what check rejects, where


@pytest.mark.parametrize(
    ("expr", "code", "at"),
    [
        ("found.real", "expr-attribute", 0),
        ("cases + found.__class__", "expr-attribute", 8),
        ("len(found)", "expr-call", 0),
        ("__import__('os')", "expr-call", 0),
        ("found ** 2", "expr-syntax", 0),
    ],
)
def test_check_rejects_what_expressions_do_not_allow(tmp_path: Path, expr: str, code: str, at: int) -> None:
    """No attribute access, no other calls (SPEC 3.2): ``check`` names the line and the column
    of the offending part inside the YAML line, and says which character of the expression."""
    text = RUBRIC.replace('expr: "min(max(abs(meetings - 3) * 2, 1), 5)"', f'expr: "{expr}"')
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    rc, out = invoke_cli("check", path, "--json")
    assert rc == 2
    errors = [p for p in json.loads(out)["problems"] if p["severity"] == "error"]
    line_no, line = next((n, t) for n, t in enumerate(text.splitlines(), 1) if expr in t)
    column = line.index(f'"{expr}"') + 2 + at  # 1-based, after the opening quote
    assert [(p["code"], p["line"], p["column"]) for p in errors] == [(code, line_no, column)]
    assert f"第{at + 1}个字符处" in errors[0]["message"]


@pytest.mark.parametrize("value_head", ["扣分", "得分", "分值"])
def test_scores_layout_value_heading_does_not_change_the_meaning(tmp_path: Path, value_head: str) -> None:
    """SPEC 4.1: ``单位 | 指标编码或名称 | 扣分/得分/分值 | 扣分原因 | 佐证``; the value means what the
    item's ``as`` says whatever the heading; reasons and evidence are kept verbatim."""
    rubric = load_ok(tmp_path, RUBRIC)
    rows = [
        ["单位", "指标名称", value_head, "扣分原因", "佐证"],
        ["甲", "现场检查扣分", 2, "消防通道  堵塞", "照片1"],
        ["甲", "现场评议得分", 9, "", ""],
        ["乙", "现场检察扣分", 1, "笔误的指标名", ""],
    ]
    sheet = write_xlsx(tmp_path / "onsite.xlsx", rows)
    ret = write_xlsx(tmp_path / "returns.xlsx", [HEAD, *ROWS])
    res = score(rubric, read_inputs(rubric, [ret], {"onsite": [sheet]}, jobs=1), "2022Q1")
    sc1, sc2 = res.unit("甲").item("sc1"), res.unit("甲").item("sc2")
    assert (sc1.score, sc1.reason, sc1.evidence) == (D(8), "消防通道  堵塞", ("照片1",))  # as: deduction
    assert sc2.score == D(9)  # as: score
    (bad,) = [p for p in res.problems if p.code == "unknown-item"]
    assert (bad.unit, bad.cell, bad.severity) == ("乙", "B4", "error")
    assert bad.expected is not None and bad.expected.startswith("sc1 现场检查扣分")
    assert res.unit("乙").item("sc1").score == D(10)  # the bad row is not counted


def test_percent_target_and_bands_reasons_in_percent(tmp_path: Path) -> None:
    """A target on a percent field: miss = shortfall (a fraction), points - per * miss; the
    reason counts it in percentage points so 0.05 reads 5个百分点 (per 100 = 1 per point)."""
    from helpers import make_inputs

    rubric = load_ok(
        tmp_path,
        """
rubric: spec-pct
title: 百分数
scale: 20
groups: [{id: g, title: 组}]
units: [{name: 甲, group: g}, {name: 乙, group: g}]
fields: {rate: {label: 隐患整改率, type: percent}}
sections:
  - id: s
    title: 一
    items:
      - {id: t, title: 整改率达标, points: 10, rule: {kind: target, value: rate, target: 0.9, per: 100}}
      - {id: b, title: 整改率分档, points: 10, rule: {kind: bands, value: rate, bands: [{min: 0.9, score: 10}, {score: 4}]}}
""",
    )
    res = score(rubric, make_inputs(rubric, {"甲": {"rate": "0.85"}, "乙": {"rate": "0.95"}}), "2022Q1")
    t, b = res.unit("甲").item("t"), res.unit("甲").item("b")
    assert (t.score, b.score) == (D(5), D(4))  # 10 - 100 * 0.05
    assert t.reason == "隐患整改率85%，目标90%，差5个百分点，每个百分点扣1分，扣5分"
    assert b.reason == "隐患整改率85%，按分档得4分，扣6分"
    assert res.unit("乙").item("t").score == D(10)
