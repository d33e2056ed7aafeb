"""Sheet-level details of the reader: merged ranges written backwards, returns on hidden sheets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import hostile
import openpyxl
import pytest
from test_form import BASIC_ROWS, make_form, read, where

from safescore import load_rubric
from safescore.inputs import form_layout as fl
from safescore.inputs.workbook import read_workbook
from safescore.problems import Report
from safescore.rubric.model import Rubric

ROOT = Path(__file__).resolve().parent.parent


def test_a_merged_range_written_backwards_is_reported_and_not_used(tmp_path: Path) -> None:
    # Excel never writes C3:A2; a hostile XFD1048576:A1 would bury every value under A1
    path = hostile.make_simple_xlsx(
        tmp_path, [["合并", None, "右"], [None, "中", None]], start="A2", name="m.xlsx"
    )
    merges = b'<mergeCells count="2"><mergeCell ref="C3:A2"/><mergeCell ref="E1:F1"/></mergeCells>'
    hostile.patch_text(path, "</sheetData>", b"</sheetData>" + merges)
    report = Report()
    data = read_workbook(path, report)
    assert data is not None
    assert [(p.code, p.severity, p.sheet, p.value) for p in report] == [
        ("merged-range-reversed", "warning", "Sheet1", "C3:A2")
    ]
    grid = data.sheets[0]
    assert grid.merged == [(0, 4, 0, 5)]  # the well-formed range is kept
    assert [grid.merged_value(r, c) for r, c in [(1, 0), (2, 1), (1, 2), (2, 2)]] == [
        "合并",
        "中",
        "右",
        None,
    ]


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")


def _hide(path: Path, *sheets: str) -> Path:
    wb = openpyxl.load_workbook(path)
    for name in sheets:
        wb[name].sheet_state = "hidden" if name == fl.FORM_SHEET else "veryHidden"
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("hidden", "expected"),
    [
        ((), []),
        ((fl.FORM_SHEET,), [(fl.FORM_SHEET, None)]),
        ((fl.SELF_SHEET,), [(fl.SELF_SHEET, None)]),
        ((fl.FORM_SHEET, fl.SELF_SHEET), [(fl.FORM_SHEET, None), (fl.SELF_SHEET, None)]),
    ],
)
def test_a_return_on_a_hidden_sheet_is_read_with_a_warning(
    rubric: Rubric, tmp_path: Path, hidden: tuple[str, ...], expected: list[tuple[str, None]]
) -> None:
    self_rows = [("duty.meetings", "定期研究部署安全生产工作", 30, 30)]
    path = _hide(make_form(tmp_path, self_rows=self_rows), *hidden)  # _safescore is hidden in all
    ret, report = read(path, rubric)
    assert ret is not None and ret.values["meetings"].value == Decimal(BASIC_ROWS[0][3])
    assert ret.self_scores["duty.meetings"].value == Decimal(30)
    assert where(report, "hidden-sheet") == expected
    assert {(p.severity, p.file, p.unit) for p in report if p.code == "hidden-sheet"} <= {
        ("warning", str(path), "钢城区应急管理局")
    }
    assert [p.code for p in report if p.code != "hidden-sheet"] == []
