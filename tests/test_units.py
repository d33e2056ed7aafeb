"""The units table (SPEC 4.5, --units): groups by id or title, aliases, attributes, errors at cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from safescore import load_rubric
from safescore.inputs.match import UnitMatcher
from safescore.inputs.units import merge_units, read_units_table
from safescore.problems import Report
from safescore.rubric.model import Rubric, Unit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")


def make_table(
    folder: Path,
    sheets: dict[str, Sequence[Sequence[Any]]],
    merged: Sequence[str] = (),
    name: str = "units.xlsx",
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    for rng in merged:
        wb.worksheets[0].merge_cells(rng)
    path = folder / name
    wb.save(path)
    return path


def where(report: Report, code: str) -> list[tuple[str | None, str | None]]:
    return [(p.sheet, p.cell) for p in report if p.code == code]


HEADER = ["序号", "单位名称", "分组", "简称/别名", "行业", "风险等级", "风险系数", "区号"]


def test_groups_by_id_and_title_aliases_and_attributes(rubric: Rubric, tmp_path: Path) -> None:
    rows = [
        ["钢城区被考核单位名单"],
        HEADER,
        [
            1,
            "钢城区 应急管理局",
            "dept",
            "应急局、区应急局，应急管理局;安监局 老安监",
            "综合监管",
            "高",
            "1.2",
            "0634",
        ],
        [2, "艾山街道", "街道(功能区)", None, "属地", "中", 1, None],
        [3, "汶源街道", "街道", "汶源", None, "", "１.１", None],
        [None, None, None, None, None, None, None, None],
        [4, "颜庄街道", "STREET", None, None, None, None, None],
    ]
    report = Report()
    units = read_units_table(make_table(tmp_path, {"名单": rows}), rubric, report)
    assert report.codes() == []
    by = {u.name: u for u in units}
    assert list(by) == ["钢城区应急管理局", "艾山街道", "汶源街道", "颜庄街道"]
    ems = by["钢城区应急管理局"]
    assert ems.group == "dept"
    assert ems.aliases == ["应急局", "区应急局", "应急管理局", "安监局", "老安监"]
    assert ems.attributes == {
        "行业": "综合监管",
        "风险等级": "高",
        "风险系数": Decimal("1.2"),
        "区号": "0634",
    }
    assert by["艾山街道"].group == "street" and by["艾山街道"].attributes["风险系数"] == Decimal(1)
    assert by["汶源街道"].group == "street" and by["汶源街道"].attributes == {"风险系数": Decimal("1.1")}
    assert by["颜庄街道"].group == "street"
    assert "序号" not in ems.attributes


def test_errors_at_cells_and_good_rows_still_read(rubric: Rubric, tmp_path: Path) -> None:
    rows = [
        ["单位名称", "分组", "别名"],
        ["钢城区应急管理局", "dept", "应急局"],
        ["钢城区应急\n管理局", "dept", None],  # the same name, wrapped
        ["钢城区水务局", "水利口", None],
        ["钢城区商务局", None, None],
        ["钢城区气象局", "dept", "应急局"],  # an alias already taken
        ["合计", None, None],
    ]
    report = Report()
    units = read_units_table(make_table(tmp_path, {"单位": rows}), rubric, report)
    assert [u.name for u in units] == ["钢城区应急管理局", "钢城区气象局"]
    assert where(report, "duplicate-unit") == [("单位", "A3")]
    assert where(report, "unknown-group") == [("单位", "B4")]
    assert where(report, "missing-group") == [("单位", "B5")]
    assert where(report, "alias-conflict") == [("单位", "C6")]
    assert units[1].aliases == []
    assert [p.severity for p in report if p.code == "unknown-group"] == ["error"]
    unknown = next(p for p in report if p.code == "unknown-group")
    assert unknown.value == "水利口" and "dept" in (unknown.expected or "")


def test_merged_group_cells_and_one_sheet_per_group(rubric: Rubric, tmp_path: Path) -> None:
    first = [["单位名称", "分组"], ["钢城区应急管理局", "区直部门"], ["钢城区水务局", None]]
    second = [["名称", "简称"], ["艾山街道", "艾山"], ["里辛街道", "里辛 里辛街道办事处"]]
    path = make_table(tmp_path, {"部门": first, "街道": second}, merged=["B2:B3"])
    report = Report()
    units = read_units_table(path, rubric, report)
    assert report.codes() == []
    assert [(u.name, u.group) for u in units] == [
        ("钢城区应急管理局", "dept"),
        ("钢城区水务局", "dept"),
        ("艾山街道", "street"),
        ("里辛街道", "street"),
    ]
    assert units[3].aliases == ["里辛", "里辛街道办事处"]


def test_sheet_without_group_column_or_group_name(rubric: Rubric, tmp_path: Path) -> None:
    report = Report()
    units = read_units_table(
        make_table(tmp_path, {"Sheet1": [["单位名称"], ["钢城区水务局"]]}), rubric, report
    )
    assert units == [] and where(report, "missing-column") == [("Sheet1", "A1")]
    report = Report()
    units = read_units_table(
        make_table(tmp_path, {"Sheet1": [["编号", "行业"]]}, name="x.xlsx"), rubric, report
    )
    assert units == [] and report.codes() == ["no-matching-sheet"]


def test_dates_and_numbers_stored_as_numbers(rubric: Rubric, tmp_path: Path) -> None:
    rows = [["单位名称", "分组", "成立日期", "从业人数"], ["钢城区水务局", "dept", dt.date(2019, 3, 5), 120]]
    units = read_units_table(make_table(tmp_path, {"S": rows}), rubric, Report())
    assert units[0].attributes == {"成立日期": dt.date(2019, 3, 5), "从业人数": Decimal(120)}


def test_merge_units_table_wins_and_conflicting_aliases_are_dropped(rubric: Rubric) -> None:
    table = [
        Unit(name="钢城区应急管理局", group="dept", aliases=["应急局"], attributes={"风险等级": "高"}),
        Unit(name="钢城新兴企业甲", group="street", aliases=["区住建局", "企业甲"]),
    ]
    report = Report()
    merged = merge_units(rubric.units, table, report)
    assert [p.code for p in report] == ["unit-overridden", "alias-conflict"]
    assert [p.severity for p in report] == ["info", "error"]
    assert len(merged) == len(rubric.units) + 1
    ems = next(u for u in merged if u.name == "钢城区应急管理局")
    assert ems.attributes == {"风险等级": "高"} and ems.aliases == ["应急局"]
    assert merged[0].name == rubric.units[0].name  # rubric order kept
    assert merged[-1].name == "钢城新兴企业甲" and merged[-1].aliases == ["企业甲"]
    matcher = UnitMatcher(merged)  # no ambiguity left
    assert matcher.match("企业甲").unit is not None
    assert matcher.match("区住建局").unit.name == "钢城区住房和城乡建设局"  # type: ignore[union-attr]
