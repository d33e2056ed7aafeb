"""Record lists and derived fields (SPEC 3.5, 4.3): ledgers read with their cells, counts and
sums with ``where`` filters, overdue hazards, and the rubric checks behind them.

The Qingdao-style rubric and the ledger builders here are shared with test_warnings.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from helpers import load_ok, rubric_from_text

from safescore.api import score
from safescore.inputs.read import read_inputs
from safescore.results.model import Result
from safescore.rubric.check import parse_cached
from safescore.rubric.expr import DateVec, ExprError, StrVec, evaluate, infer
from safescore.rubric.model import Rubric

DISTRICTS = ["市南区", "市北区", "黄岛区", "崂山区"]

QINGDAO = """\
rubric: qingdao-test
title: 青岛市区（市）安全生产目标管理考核细则
period: month
scale: 100
groups:
  - {id: district, title: 区（市）}
units:
  - {name: 市南区, group: district}
  - {name: 市北区, group: district}
  - {name: 黄岛区, group: district, aliases: [西海岸新区]}
  - {name: 崂山区, group: district}
fields:
  meetings: {label: 安委会会议次数, type: int, min: 0}
  hazards_found: {label: 排查隐患数, type: int, min: 0}
  hazards_fixed: {label: 已整改隐患数, type: int, min: 0}
  hazards_overdue: {label: 逾期未整改隐患数, type: int, min: 0}
  deaths: {label: 事故死亡人数, type: int, min: 0}
records:
  hazards:
    title: 隐患清单
    date: found
    columns:
      unit: 责任单位
      level: 隐患等级
      found: {title: 发现日期, type: date}
      due: {title: 整改期限, type: date}
      status: 整改状态
    overdue: {due: due, done: "status == '已整改'"}
  accidents:
    title: 事故台账
    columns:
      unit: 所在区市
      date: {title: 发生日期, type: date}
      level: 事故等级
      deaths: {title: 死亡人数, type: int}
      summary: 事故简况
derive:
  hazards_found: {records: hazards, count: true}
  hazards_fixed: {records: hazards, where: "status == '已整改'"}
  hazards_overdue: {records: hazards, where: overdue, span: all}
  deaths: {records: accidents, sum: deaths}
sections:
  - id: hazard
    title: 隐患排查治理
    points: 60
    items:
      - {id: hazard.rate, title: 隐患整改率, points: 30, rule: {kind: rate, value: hazards_fixed / hazards_found, per_point: 1}}
      - {id: hazard.overdue, title: 逾期未整改隐患, points: 30, rule: {kind: deduct, count: hazards_overdue, per: 5}}
  - id: duty
    title: 责任落实
    points: 40
    items:
      - {id: duty.meetings, title: 安委会会议, points: 20, rule: {kind: target, value: meetings, target: 1, per: 10}}
      - {id: duty.deaths, title: 事故死亡, points: 20, rule: {kind: deduct, count: deaths, per: 10}}
penalty: {cap: PENALTY_CAP}
warnings:
  - {id: w.60d, title: 60天内连续发生2起一般事故, records: accidents, where: "level == '一般'", within_days: 60, at_least: 2, penalty: 10}
  - {id: w.yoy, title: 事故起数和死亡人数连续2个月同比上升, records: accidents, rising: [count, deaths], months: 2, penalty: 10}
ladders:
  - id: l.exposure
    title: 重大隐患曝光
    records: hazards
    where: "level == '重大'"
    steps: [{at: 2, action: 约谈}, {at: 3, action: 报纸公示并列为重点执法检查对象}, {above: 3, action: 纳入征信黑名单}]
"""

HAZARD_HEAD = ("序号", "责任单位", "隐患等级", "发现日期", "整改期限", "整改状态")
ACCIDENT_HEAD = ("序号", "所在区市", "发生日期", "事故等级", "死亡人数", "事故简况")


def qingdao(tmp_path: Path, penalty_cap: int = 30) -> Rubric:
    return load_ok(tmp_path, QINGDAO.replace("PENALTY_CAP", str(penalty_cap)))


def ledger(
    path: Path, title: str, head: Sequence[str], rows: Sequence[Sequence[Any]], *, total: bool = False
) -> Path:
    """A ledger as offices keep it: a merged title row, the header, numbered rows, maybe a 合计 row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws["A1"] = f"2022年{title}"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    ws.append(list(head))
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
    if total:
        ws.append([None, "合计", None, None, len(rows), None])
    wb.save(path)
    return path


def hazards_file(tmp_path: Path, rows: Sequence[Sequence[Any]], name: str = "隐患清单.xlsx") -> Path:
    return ledger(tmp_path / name, "隐患清单", HAZARD_HEAD, rows)


def accidents_file(tmp_path: Path, rows: Sequence[Sequence[Any]], name: str = "事故台账.xlsx") -> Path:
    return ledger(tmp_path / name, "事故台账", ACCIDENT_HEAD, rows, total=True)


def returns_file(tmp_path: Path, values: dict[str, dict[str, Any]] | None = None) -> Path:
    """A table return: every district reports 1 meeting, plus any other column given."""
    values = values or {}
    extra = sorted({k for v in values.values() for k in v})
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["单位名称", "安委会会议次数", *extra])
    for d in DISTRICTS:
        ws.append([d, 1, *(values.get(d, {}).get(k) for k in extra)])
    path = tmp_path / "returns.xlsx"
    wb.save(path)
    return path


def run(
    rubric: Rubric,
    tmp_path: Path,
    period: str,
    hazards: Sequence[Sequence[Any]] | None = None,
    accidents: Sequence[Sequence[Any]] | None = None,
    returns: dict[str, dict[str, Any]] | None = None,
) -> Result:
    sources: dict[str, list[Path]] = {}
    if hazards is not None:
        sources["hazards"] = [hazards_file(tmp_path, hazards)]
    if accidents is not None:
        sources["accidents"] = [accidents_file(tmp_path, accidents)]
    inputs = read_inputs(rubric, [returns_file(tmp_path, returns)], sources, period=period, jobs=1)
    return score(rubric, inputs, period)


def codes(result: Result, code: str) -> list[Any]:
    return [p for p in result.problems if p.code == code]


# --- reading -----------------------------------------------------------------------------


def test_ledger_rows_keep_their_cells_and_values_are_cleaned(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    path = accidents_file(
        tmp_path,
        [
            ("市南区", "2022.3.5", "一般", "１", "货车侧翻"),
            ("西海岸新区", dt.date(2022, 3, 9), "一般", 0, "高处坠落"),
            ("市北区", "2022年3月12日", "一般", "两人", "坍塌"),
            ("即墨区", dt.date(2022, 3, 20), "一般", 1, "触电"),
        ],
    )
    inputs = read_inputs(r, [], {"accidents": [path]}, jobs=1)
    recs = inputs.records["accidents"]
    assert [x.unit for x in recs] == ["市南区", "黄岛区", "市北区"]  # alias matched, unknown dropped
    first = recs[0]
    assert (first.pos.sheet, first.pos.cell, first.row) == ("事故台账", "B3", 3)
    assert first.values["date"] == dt.date(2022, 3, 5) and first.values["deaths"] == D(1)
    assert recs[2].values["deaths"] is None  # "两人" is reported, not read as 0
    bad = {p.code: p for p in inputs.report}
    assert bad["not-a-number"].cell == "E5" and bad["unknown-unit"].cell == "B6"
    assert "row-skipped" in bad  # the 合计 row
    assert any(f.role == "accidents" and f.layout == "records" for f in inputs.files)


def test_ledger_sheet_inside_a_return_is_read_as_records_not_as_rows(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    path = returns_file(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("隐患清单")
    ws.append(list(HAZARD_HEAD))
    ws.append([1, "市南区", "一般", dt.date(2022, 3, 1), dt.date(2022, 3, 20), "已整改"])
    ws.append([2, "市南区", "一般", dt.date(2022, 3, 2), dt.date(2022, 3, 25), "整改中"])
    wb.save(path)
    inputs = read_inputs(r, [path], period="2022-03", jobs=1)
    assert len(inputs.records["hazards"]) == 2 and set(inputs.returns) == set(DISTRICTS)
    res = score(r, inputs, "2022-03")
    assert res.unit("市南区").item("hazard.rate").value == D("0.5")
    assert not codes(res, "duplicate-unit")


def test_ledger_sheet_in_a_form_return_belongs_to_the_forms_unit(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "填报表"
    ws["A2"], ws["B2"], ws["D2"], ws["E2"] = "填报单位：", "崂山区", "考核期间：", "2022-03"
    for c, text in enumerate(("字段编码", "指标名称", "计量单位", "填报值"), start=1):
        ws.cell(row=5, column=c, value=text)
    for c, v in enumerate(("meetings", "安委会会议次数", "次", 2), start=1):
        ws.cell(row=6, column=c, value=v)
    hz = wb.create_sheet("隐患清单")  # no unit column: every row is 崂山区's
    hz.append(["序号", "隐患等级", "发现日期", "整改期限", "整改状态"])
    hz.append([1, "一般", "2022-03-03", "2022-03-10", "整改中"])
    path = tmp_path / "崂山区.xlsx"
    wb.save(path)
    inputs = read_inputs(r, [path], period="2022-03", jobs=1)
    assert [x.unit for x in inputs.records["hazards"]] == ["崂山区"]
    assert inputs.returns["崂山区"].values["meetings"].value == D(2)


# --- derived fields ---------------------------------------------------------------------------


HAZARDS = [
    ("市南区", "一般", dt.date(2022, 3, 1), dt.date(2022, 3, 20), "已整改"),
    ("市南区", "一般", dt.date(2022, 3, 2), dt.date(2022, 3, 31), "整改中"),  # due on the last day: not late
    ("市南区", "一般", dt.date(2022, 3, 3), dt.date(2022, 3, 30), "整改中"),  # 1 day late
    # found in February, status left blank: 31 days late by the end of March
    ("市南区", "重大", dt.date(2022, 2, 10), dt.date(2022, 2, 28), None),
    ("市北区", "一般", dt.date(2022, 3, 5), dt.date(2022, 3, 6), "已整改"),  # done: never late
    ("市北区", "一般", dt.date(2022, 4, 2), dt.date(2022, 4, 9), "整改中"),  # after the period
]


def test_counts_and_sums_come_from_the_ledger_not_the_return(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    accidents = [
        ("市南区", dt.date(2022, 3, 5), "一般", 1, ""),
        ("市南区", dt.date(2022, 3, 9), "一般", 2, ""),
    ]
    res = run(r, tmp_path, "2022-03", HAZARDS, accidents, returns={"市南区": {"已整改隐患数": 3}})
    south = res.unit("市南区")
    rate = south.item("hazard.rate")
    assert rate.value == D("0.333333")  # 1 fixed of 3 found in March (February's is not this period's)
    assert rate.evidence == ()  # the fixed hazards are no evidence of a low rate
    assert [(i.field, i.value) for i in rate.inputs] == [("hazards_fixed", D(1)), ("hazards_found", D(3))]
    assert rate.source.name == "hazards" and rate.source.file and rate.source.file.endswith("隐患清单.xlsx")
    assert south.item("duty.deaths").value == D(3) and south.item("duty.deaths").score == D(0)
    assert not codes(res, "missing-column")  # the ledger supplies what the return lacks
    differs = codes(res, "derived-differs")
    assert [(p.unit, p.value, p.expected) for p in differs] == [("市南区", "3", "1")]
    north = res.unit("市北区")
    assert north.item("hazard.rate").value == D(1)
    assert north.item("duty.deaths").value == D(0)  # supplied ledger, no rows: 0, not missing
    assert north.item("duty.deaths").status == "ok"


def test_overdue_hazards_are_counted_flagged_and_cited(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    res = run(r, tmp_path, "2022-03", HAZARDS, [])
    item = res.unit("市南区").item("hazard.overdue")
    assert item.value == D(2) and item.score == D(20)
    assert len(item.evidence) == 2 and "第5行" in item.evidence[0] and "第6行" in item.evidence[1]
    late = codes(res, "record-overdue")
    assert [(p.unit, p.cell, p.value) for p in late] == [
        ("市南区", "B5", "2022-03-30"),
        ("市南区", "B6", "2022-02-28"),
    ]
    assert "逾期1天" in late[0].message and "逾期31天" in late[1].message
    assert res.unit("市北区").item("hazard.overdue").value == D(0)
    # a month later the hazard due on 31 March is late too
    later = run(r, tmp_path, "2022-04", HAZARDS, [])
    assert later.unit("市南区").item("hazard.overdue").value == D(3)


def test_without_a_ledger_the_return_value_is_used(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    res = run(
        r, tmp_path, "2022-03", None, [], returns={d: {"排查隐患数": 4, "已整改隐患数": 3} for d in DISTRICTS}
    )
    assert res.unit("市南区").item("hazard.rate").value == D("0.75")
    assert res.unit("市南区").item("hazard.overdue").status == "missing"
    assert {p.field for p in codes(res, "missing-column")} == {"hazards_overdue"}


def test_ytd_span_and_sum_of_a_blank_cell(tmp_path: Path) -> None:
    text = QINGDAO.replace("PENALTY_CAP", "30").replace(
        "deaths: {records: accidents, sum: deaths}", "deaths: {records: accidents, sum: deaths, span: ytd}"
    )
    r = load_ok(tmp_path, text)
    accidents = [
        ("市南区", dt.date(2021, 12, 30), "一般", 5, ""),
        ("市南区", dt.date(2022, 1, 5), "一般", 1, ""),
        ("市南区", dt.date(2022, 3, 5), "一般", None, ""),
        ("市南区", dt.date(2022, 4, 5), "一般", 7, ""),
    ]
    res = run(r, tmp_path, "2022-03", [], accidents)
    assert res.unit("市南区").item("duty.deaths").value == D(1)


# --- expressions over dates ---------------------------------------------------------------


def test_date_columns_compare_with_date_literals() -> None:
    days = DateVec.from_dates([dt.date(2022, 2, 28), dt.date(2022, 3, 1), None])
    env = {
        "found": days,
        "status": StrVec(np.array(["已整改", "", ""], dtype=object), np.array([0, 1, 0], bool)),
    }
    got = evaluate(parse_cached("found >= '2022-03-01' or status == '已整改'"), env, 3)
    assert list(got.v) == [True, True, False] and list(got.na) == [False, False, True]

    def kind(name: str) -> Any:
        return {"found": "date", "status": "str", "n": "num"}.get(name)

    assert infer(parse_cached("found < '2022-03-01'").root, kind) == "bool"
    for bad in ("found < '3月1日'", "found == n", "if_(n > 0, found, found) == found", "found + 1 > n"):
        with pytest.raises(ExprError):
            infer(parse_cached(bad).root, kind)


# --- rubric checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("{records: hazards, count: true}", "{records: hazard, count: true}", "unknown-records"),
        ("where: \"status == '已整改'\"}", "where: \"state == '已整改'\"}", "expr-unknown-name"),
        ("where: \"status == '已整改'\"}", 'where: "status == 1"}', "expr-type"),
        ("sum: deaths}", "sum: summary}", "column-type"),
        ("hazards_found: {records", "hazards_total: {records", "unknown-field"),
        ("overdue: {due: due,", "overdue: {due: status,", "column-type"),
        ("rising: [count, deaths]", "rising: [count, injuries]", "unknown-column"),
        ("{at: 2, action: 约谈}, {at: 3,", "{at: 3, action: 约谈}, {at: 2,", "ladder-order"),
        ("{above: 3, action", "{at: 3, action", "ladder-order"),
        ("id: w.yoy,", "id: hazard.rate,", "duplicate-id"),
        ("  accidents:\n    title: 事故台账", "  onsite:\n    title: 事故台账", "unknown-records"),
    ],
)
def test_rubric_checks_of_records_derive_warnings_ladders(
    tmp_path: Path, old: str, new: str, code: str
) -> None:
    text = QINGDAO.replace("PENALTY_CAP", "30")
    assert old in text
    _, report = rubric_from_text(tmp_path, text.replace(old, new, 1))
    assert code in report.codes(), [(p.code, p.message) for p in report]


def test_models_refuse_half_specified_rules(tmp_path: Path) -> None:
    text = QINGDAO.replace("PENALTY_CAP", "30")
    for old, new in (
        ("within_days: 60, at_least: 2,", ""),
        ("{at: 2, action: 约谈}", "{at: 2, above: 1, action: 约谈}"),
        ("{records: hazards, count: true}", "{records: hazards, count: true, sum: deaths}"),
        ("    records: hazards\n    where:", "    count: meetings\n    records: hazards\n    where:"),
    ):
        rubric, report = rubric_from_text(tmp_path, text.replace(old, new, 1))
        assert rubric is None and not report.ok, old


def test_warnings_need_a_dated_ledger(tmp_path: Path) -> None:
    text = QINGDAO.replace("PENALTY_CAP", "30").replace(
        "date: {title: 发生日期, type: date}", "date: 发生日期"
    )
    _, report = rubric_from_text(tmp_path, text)
    assert "records-no-date" in report.codes()


def test_overdue_needs_a_period(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    inputs = read_inputs(r, [returns_file(tmp_path)], {"hazards": [hazards_file(tmp_path, HAZARDS)]}, jobs=1)
    res = score(r, inputs)
    assert res.unit("市南区").item("hazard.overdue").status == "missing"  # never a silent full mark
    assert "hazards" in {p.field for p in codes(res, "warning-not-judged")}
    assert not codes(res, "record-overdue")
