"""Table-layout returns: every bad input is a problem at its cell, and the rest still scores."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import load_ok
from hostile import make_simple_xlsx
from openpyxl import Workbook

from safescore import read_inputs, score

RUBRIC = """
rubric: reader-test
title: 读取测试
scale: 100
groups: [{id: g, title: 部门}]
units:
  - {name: 钢城区应急管理局, group: g, aliases: [应急局]}
  - {name: 钢城区交通运输局, group: g, aliases: [交通局]}
  - {name: 钢城区水务局, group: g}
fields:
  meetings: {label: 会议次数, type: int, unit: 次}
  fix_rate: {label: 隐患整改率, type: percent}
sections:
  - id: s
    title: 一
    items:
      - {id: m, title: 召开会议, points: 40, rule: {kind: target, value: meetings, target: 2, per: 10}}
      - {id: r, title: 隐患整改率, points: 60, rule: {kind: rate, value: fix_rate, per_point: 1}}
"""


@pytest.fixture()
def rubric(tmp_path: Path):
    return load_ok(tmp_path, RUBRIC)


def _read(rubric, path: Path):
    inputs = read_inputs(rubric, [path])
    return inputs, score(rubric, inputs, "2022Q1")


def _where(result, code: str) -> list[tuple[str | None, str | None]]:
    return [(p.sheet, p.cell) for p in result.problems if p.code == code]


def test_header_found_below_title_rows_with_units_in_brackets(rubric, tmp_path: Path) -> None:
    rows = [
        ["2022年一季度汇总表"],
        ["填报说明：按季度填写"],
        ["单位名称", "会议次数\n(次)", "隐患整改率（%）"],
        ["钢城区应急管理局", 2, "95.5%"],
        ["交通局", "２", 0.9],
        ["钢城区\n水务局", 1, 100],
        ["合  计", 5, None],
    ]
    path = make_simple_xlsx(tmp_path, rows, start="B2", sheet="汇总", merged=["B2:D2"])
    inputs, result = _read(rubric, path)
    assert set(inputs.returns) == {"钢城区应急管理局", "钢城区交通运输局", "钢城区水务局"}
    ret = inputs.returns["钢城区应急管理局"]
    assert ret.values["fix_rate"].value == Decimal("0.955")
    assert ret.values["fix_rate"].pos.cell == "D5"
    assert inputs.returns["钢城区交通运输局"].values["meetings"].value == Decimal(2)
    assert inputs.returns["钢城区水务局"].values["fix_rate"].value == Decimal(1)
    assert ("汇总", "B8") in _where(result, "row-skipped")
    # 60 - 4.5 points; meetings on target
    assert result.unit("钢城区应急管理局").total == Decimal("95.50")
    assert result.unit("钢城区水务局").total == Decimal("90.00")


def test_bad_values_are_errors_at_their_cells_and_the_rest_still_scores(rubric, tmp_path: Path) -> None:
    rows = [
        ["单位名称", "会议次数", "隐患整改率"],
        ["钢城区应急管理局", "两次", 0.9],
        ["钢城区交通运输局", 2, 250],
        ["钢城区水务局", 2, 0.8],
    ]
    path = make_simple_xlsx(tmp_path, rows)
    _, result = _read(rubric, path)
    assert ("Sheet1", "B2") in _where(result, "not-a-number")
    assert ("Sheet1", "C3") in _where(result, "percent-out-of-range")
    emergency = result.unit("钢城区应急管理局")
    assert emergency.item("m").status == "invalid" and emergency.item("m").score == 0
    assert emergency.item("r").score == Decimal("50.00")  # the valid cell in the same row still counts
    assert result.unit("钢城区水务局").total == Decimal("80.00")


def test_unknown_unit_suggests_closest_and_duplicate_row_is_an_error(rubric, tmp_path: Path) -> None:
    rows = [
        ["单位", "会议次数", "隐患整改率"],
        ["钢城区应急管理", 2, 1],
        ["钢城区水务局", 2, 1],
        ["钢城区水务局", 1, 0.5],
    ]
    path = make_simple_xlsx(tmp_path, rows)
    inputs, result = _read(rubric, path)
    unknown = [p for p in result.problems if p.code == "unknown-unit"]
    assert [(p.sheet, p.cell) for p in unknown] == [("Sheet1", "A2")]
    assert "钢城区应急管理局" in (unknown[0].expected or "")
    assert ("Sheet1", "A4") in _where(result, "duplicate-unit")
    assert inputs.returns["钢城区水务局"].values["meetings"].value == Decimal(2)  # first row kept
    # units with no usable row are 未报送 and the run reports it
    assert set(result.not_submitted) == {"钢城区应急管理局", "钢城区交通运输局"}
    assert result.unit("钢城区水务局").total == Decimal("100.00")


def test_missing_column_and_formula_without_cached_value(rubric, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws.append(["单位名称", "会议次数"])
    ws.append(["钢城区应急管理局", "=1+1"])  # openpyxl writes no cached value
    ws.append(["钢城区交通运输局", 2])
    ws.append(["钢城区水务局", 3])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    _, result = _read(rubric, path)
    assert ("S", "B2") in _where(result, "formula-no-cache")
    assert [p.field for p in result.problems if p.code == "missing-column"] == ["fix_rate"]
    emergency = result.unit("钢城区应急管理局")
    assert (
        emergency.item("m").score == 0 and emergency.item("m").status == "invalid"
    )  # never a silent 0-as-value
    assert result.unit("钢城区水务局").item("m").score == Decimal("40.00")


def test_two_files_for_one_unit_error_unless_latest(rubric, tmp_path: Path) -> None:
    import os

    a = make_simple_xlsx(
        tmp_path, [["单位名称", "会议次数", "隐患整改率"], ["钢城区水务局", 1, 1]], name="a.xlsx"
    )
    b = make_simple_xlsx(
        tmp_path, [["单位名称", "会议次数", "隐患整改率"], ["钢城区水务局", 2, 1]], name="b.xlsx"
    )
    os.utime(a, (1_600_000_000, 1_600_000_000))
    os.utime(b, (1_700_000_000, 1_700_000_000))
    inputs = read_inputs(rubric, [tmp_path])
    assert [p.code for p in inputs.report if p.code.startswith("duplicate-return")] == ["duplicate-return"]
    inputs = read_inputs(rubric, [tmp_path], latest=True)
    assert inputs.returns["钢城区水务局"].values["meetings"].value == Decimal(2)
    assert [p.severity for p in inputs.report if p.code == "duplicate-return-resolved"] == ["info"]
