"""Form-layout returns (SPEC 4.1): one unit per workbook, built here exactly per form_layout."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from safescore import load_rubric
from safescore.inputs import form_layout as fl
from safescore.inputs.form import looks_like_form, parse_period_text, read_form_workbook
from safescore.inputs.match import UnitMatcher
from safescore.inputs.model import UnitReturn
from safescore.inputs.workbook import WorkbookData, read_workbook
from safescore.problems import Report
from safescore.rubric.model import Rubric

ROOT = Path(__file__).resolve().parent.parent
DEPT = "钢城区应急管理局"
_KEEP = object()

BASIC_ROWS = [
    ("meetings", "研究安全生产工作会议次数", "次", 2),
    ("duty_list", "是否制定安全生产责任清单", None, "是"),
    ("task_rate", "安委会交办任务按时办结率", "%", 0.95),
    ("hazards_found", "排查隐患数", "处", 10),
    ("hazards_fixed", "已整改隐患数", "处", 8),
]


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")


def make_form(
    folder: Path,
    rows: Sequence[tuple[Any, Any, Any, Any]] = BASIC_ROWS,
    *,
    unit: str | None = DEPT,
    unit_cell: Any = _KEEP,
    period: str = "2022Q1",
    self_rows: Sequence[tuple[Any, Any, Any, Any]] = (),
    meta: dict[str, str] | object | None = _KEEP,
    name: str = "form.xlsx",
) -> Path:
    """A workbook laid out as form_layout says; ``meta=None`` leaves out the hidden sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = fl.FORM_SHEET
    ws["A1"] = "钢城区安全生产“三责同考”季度考评 填报表"
    ws.merge_cells("A1:G1")
    ws["A2"], ws["B2"] = "填报单位：", unit if unit_cell is _KEEP else unit_cell
    ws["D2"], ws["E2"] = "考核期间：", period
    ws["A3"] = "填报说明：请在“填报值”列填写本季度数据。"
    ws.merge_cells("A3:G3")
    for c, text in enumerate(fl.FORM_COLUMNS, start=1):
        ws.cell(row=fl.HEADER_ROW, column=c, value=text)
    for i, (code, label, measure, value) in enumerate(rows):
        r = fl.FIRST_DATA_ROW + i
        for c, v in (
            (fl.COL_CODE, code),
            (fl.COL_LABEL, label),
            (fl.COL_UNIT, measure),
            (fl.COL_VALUE, value),
        ):
            ws.cell(row=r, column=c + 1, value=v)
    if self_rows:
        ss = wb.create_sheet(fl.SELF_SHEET)
        ss.append(list(fl.SELF_COLUMNS))
        for row in self_rows:
            ss.append([*row, None])
    wb.create_sheet(fl.HELP_SHEET)["A1"] = "填报说明"
    if meta is _KEEP:
        meta = {"safescore_template": fl.TEMPLATE_VERSION, "rubric": "gangcheng-sanze"}
        meta |= {"rubric_version": "2022.1", "unit": unit or "", "group": "dept", "period": period}
    if isinstance(meta, dict):
        ms = wb.create_sheet(fl.META_SHEET)
        for key, value in meta.items():
            ms.append([key, value])
        ms.sheet_state = "hidden"
    path = folder / name
    wb.save(path)
    return path


def read(path: Path, rubric: Rubric, period: str | None = "2022Q1") -> tuple[UnitReturn | None, Report]:
    report = Report()
    wb = read_workbook(path, report)
    assert isinstance(wb, WorkbookData), report.codes()
    assert looks_like_form(wb)
    return read_form_workbook(wb, rubric, UnitMatcher(rubric.units), period, report), report


def where(report: Report, code: str) -> list[tuple[str | None, str | None]]:
    return [(p.sheet, p.cell) for p in report if p.code == code]


def test_template_form_values_self_scores_and_cells(rubric: Rubric, tmp_path: Path) -> None:
    self_rows = [
        ("duty.meetings", "定期研究部署安全生产工作", 30, 30),
        ("duty.list", "安全生产责任清单", 20, "２０"),
    ]
    ret, report = read(make_form(tmp_path, self_rows=self_rows), rubric)
    assert report.codes() == []
    assert ret is not None and ret.unit == DEPT
    assert (ret.pos.sheet, ret.pos.cell) == (fl.FORM_SHEET, "B2")
    assert ret.values["meetings"].value == Decimal(2)
    assert ret.values["meetings"].pos.cell == "D6"
    assert ret.values["duty_list"].value is True
    assert ret.values["task_rate"].value == Decimal("0.95")
    assert ret.values["hazards_fixed"].pos.cell == "D10"
    assert set(ret.values) == {f for f, *_ in BASIC_ROWS}
    assert ret.self_scores["duty.meetings"].value == Decimal(30)
    assert (ret.self_scores["duty.list"].value, ret.self_scores["duty.list"].pos.cell) == (Decimal(20), "D3")
    assert ret.self_scores["duty.list"].pos.sheet == fl.SELF_SHEET
    assert ret.modified is not None


def test_alias_in_unit_cell_agrees_with_meta(rubric: Rubric, tmp_path: Path) -> None:
    ret, report = read(make_form(tmp_path, unit_cell="区应急局"), rubric)
    assert ret is not None and ret.unit == DEPT and report.codes() == []


def test_wrong_rubric_is_an_error_and_not_used(rubric: Rubric, tmp_path: Path) -> None:
    meta = {"safescore_template": "1", "rubric": "hubei-target", "rubric_version": "1", "unit": DEPT}
    ret, report = read(make_form(tmp_path, meta=meta), rubric)
    assert ret is None
    assert where(report, "form-wrong-rubric") == [(fl.META_SHEET, "B2")]


def test_wrong_version_is_an_error_naming_both_but_values_are_read(rubric: Rubric, tmp_path: Path) -> None:
    meta = {"rubric": "gangcheng-sanze", "rubric_version": "2021.3", "unit": DEPT, "period": "2022Q1"}
    ret, report = read(make_form(tmp_path, meta=meta), rubric)
    (p,) = [p for p in report if p.code == "form-wrong-version"]
    assert p.is_error and (p.value, p.expected) == ("2021.3", "2022.1")
    assert "2021.3" in p.message and "2022.1" in p.message
    assert ret is not None and ret.values["meetings"].value == Decimal(2)


def test_wrong_period_is_an_error_and_not_used(rubric: Rubric, tmp_path: Path) -> None:
    path = make_form(tmp_path, period="2021Q4")
    ret, report = read(path, rubric, "2022Q1")
    assert ret is None
    assert where(report, "form-wrong-period") == [(fl.META_SHEET, "B6")]
    assert [p.severity for p in report if p.code == "form-wrong-period"] == ["error"]
    ret, report = read(path, rubric, None)  # no period asked for: nothing to compare
    assert ret is not None and report.codes() == []


def test_unit_cell_disagreeing_with_meta_warns_and_meta_wins(rubric: Rubric, tmp_path: Path) -> None:
    ret, report = read(make_form(tmp_path, unit_cell="区住建局"), rubric)
    assert ret is not None and ret.unit == DEPT
    assert where(report, "form-unit-mismatch") == [(fl.FORM_SHEET, "B2")]
    assert report.ok


def test_unknown_field_with_a_value_warns_and_blank_unknown_rows_are_ignored(
    rubric: Rubric, tmp_path: Path
) -> None:
    rows = [*BASIC_ROWS, ("xyz", "自定义指标", None, 5), (None, "二、其他情况", None, None)]
    ret, report = read(make_form(tmp_path, rows), rubric)
    assert ret is not None
    assert where(report, "form-unknown-field") == [(fl.FORM_SHEET, "D11")]
    assert report.ok


def test_duplicate_field_is_an_error_and_the_first_is_kept(rubric: Rubric, tmp_path: Path) -> None:
    rows = [*BASIC_ROWS, (None, "研究安全生产工作会议次数", "次", 7)]
    ret, report = read(make_form(tmp_path, rows), rubric)
    assert where(report, "duplicate-field") == [(fl.FORM_SHEET, "D11")]
    assert ret is not None and ret.values["meetings"].value == Decimal(2)


def test_missing_or_unknown_unit(rubric: Rubric, tmp_path: Path) -> None:
    ret, report = read(make_form(tmp_path, unit=None, meta=None, name="a.xlsx"), rubric)
    assert ret is None and where(report, "form-no-unit") == [(fl.FORM_SHEET, "B2")]
    ret, report = read(make_form(tmp_path, unit="钢城区应急管里局", meta=None, name="b.xlsx"), rubric)
    assert ret is None
    (p,) = [p for p in report if p.code == "unknown-unit"]
    assert (p.sheet, p.cell) == (fl.FORM_SHEET, "B2") and DEPT in (p.expected or "")


def test_meta_unit_fills_an_empty_unit_cell(rubric: Rubric, tmp_path: Path) -> None:
    ret, report = read(make_form(tmp_path, unit_cell=None), rubric)
    assert ret is not None and ret.unit == DEPT and report.codes() == []
    assert ret.pos is not None and ret.pos.sheet == fl.META_SHEET


def _hand_made(folder: Path, period: str = "2022年第一季度") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["艾山街道安全生产工作情况表"])
    ws.append(["填报单位：艾山街道办事处"])
    ws.append(["考核期间", period])
    ws.append([])
    ws.append(["序号", "指标名称", "填报值", "备注"])
    ws.append([1, "研究安全生产工作会议次数\n（次）", "１２", None])
    ws.append([2, "网格员巡查覆盖率（%）", "95%", None])
    ws.append([3, "是否制定安全生产责任清单", "是", None])
    ws.append([4, "排查隐患数", " 30 ", None])
    ws.append([5, "已整改隐患数", 31, None])
    ws.append([6, "应急演练次数", "=1+1", None])
    ws.append([None, "填报人：张三", None, None])
    path = folder / "hand.xlsx"
    wb.save(path)
    return path


def test_hand_made_form_matched_by_label_with_messy_values(rubric: Rubric, tmp_path: Path) -> None:
    ret, report = read(_hand_made(tmp_path), rubric)
    assert ret is not None and ret.unit == "艾山街道"
    assert (ret.pos.sheet, ret.pos.cell) == ("Sheet1", "A2")
    assert (ret.values["meetings"].value, ret.values["meetings"].pos.cell) == (Decimal(12), "C6")
    assert ret.values["grid_cover"].value == Decimal("0.95")
    assert ret.values["duty_list"].value is True
    assert ret.values["hazards_found"].value == Decimal(30)
    # 已整改 31 > 排查 30: the cross-field bound, at the cell
    assert where(report, "out-of-range") == [("Sheet1", "C10")]
    assert ret.values["hazards_fixed"].invalid == "out-of-range"
    # a formula never calculated is an error at its cell, never a silent 0
    assert where(report, "formula-no-cache") == [("Sheet1", "C11")]
    assert ret.values["drills"].value is None and ret.values["drills"].invalid == "formula-no-cache"
    assert set(report.codes()) == {"out-of-range", "formula-no-cache"}


def test_hand_made_form_for_another_period_is_not_used(rubric: Rubric, tmp_path: Path) -> None:
    ret, report = read(_hand_made(tmp_path, period="2021年第四季度"), rubric)
    assert ret is None and where(report, "form-wrong-period") == [("Sheet1", "B3")]


def test_bad_self_scores_are_errors_at_their_cells(rubric: Rubric, tmp_path: Path) -> None:
    self_rows = [
        ("duty.meetings", "定期研究部署安全生产工作", 30, 35),
        (None, "安全生产责任清单", 20, "满分"),
        ("duty.leader", None, 30, "=30-2"),
        ("grid.cover", "网格化巡查", 50, 40),  # a street item on a department's form
        ("duty.tasks", "安委会交办任务落实", 40, 38.5),
        ("duty.tasks", "安委会交办任务落实", 40, 40),
    ]
    ret, report = read(make_form(tmp_path, self_rows=self_rows), rubric)
    assert ret is not None
    assert where(report, "self-score-out-of-range") == [(fl.SELF_SHEET, "D2")]
    assert where(report, "not-a-number") == [(fl.SELF_SHEET, "D3")]
    assert where(report, "formula-no-cache") == [(fl.SELF_SHEET, "D4")]
    assert where(report, "form-unknown-item") == [(fl.SELF_SHEET, "D5")]
    assert where(report, "duplicate-item") == [(fl.SELF_SHEET, "D7")]
    assert ret.self_scores["duty.tasks"].value == Decimal("38.5")
    assert ret.self_scores["duty.meetings"].invalid == "self-score-out-of-range"
    assert "grid.cover" not in ret.self_scores


def test_template_value_formula_without_cache(rubric: Rubric, tmp_path: Path) -> None:
    rows = [("meetings", "研究安全生产工作会议次数", "次", "=1+1"), *BASIC_ROWS[1:]]
    ret, report = read(make_form(tmp_path, rows), rubric)
    assert where(report, "formula-no-cache") == [(fl.FORM_SHEET, "D6")]
    assert ret is not None and ret.values["meetings"].invalid == "formula-no-cache"


def test_a_table_is_not_a_form(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["单位名称", "研究安全生产工作会议次数"])
    wb.active.append([DEPT, 2])
    wb.save(tmp_path / "t.xlsx")
    data = read_workbook(tmp_path / "t.xlsx", Report())
    assert data is not None and not looks_like_form(data)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2022Q1", "2022Q1"),
        ("2022年第一季度", "2022Q1"),
        ("2022 年 1 季度", "2022Q1"),
        ("2022年度第四季度", "2022Q4"),
        ("2022年3月", "2022-03"),
        ("2022-03", "2022-03"),
        ("2022年上半年", "2022H1"),
        ("2022年度", "2022"),
        (2022.0, "2022"),
        ("本季度", None),
    ],
)
def test_parse_period_text(text: object, label: str | None) -> None:
    assert parse_period_text(text) == label


def test_a_second_form_sheet_is_warned_about_and_hidden_rows_still_count(
    rubric: Rubric, tmp_path: Path
) -> None:
    path = make_form(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb[fl.FORM_SHEET]).title = "填报表 (2)"
    wb[fl.FORM_SHEET].row_dimensions[6].hidden = True
    wb.save(path)
    ret, report = read(path, rubric)
    assert where(report, "form-extra-sheet") == [("填报表 (2)", None)]
    assert where(report, "hidden-row") == [(fl.FORM_SHEET, "D6")]
    assert ret is not None and ret.values["meetings"].value == Decimal(2) and report.ok
