"""SheetGrid's merge lookups, and form rows remembered across the returns of a batch."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from test_form import DEPT, make_form, read, where

from safescore import load_rubric
from safescore.inputs import form_layout as fl
from safescore.inputs.grid import SheetGrid
from safescore.rubric.model import Rubric

ROOT = Path(__file__).resolve().parent.parent


def _grid(merged: list[tuple[int, int, int, int]]) -> SheetGrid:
    rows: list[list[object]] = [[f"{r},{c}" for c in range(6)] for r in range(12)]
    return SheetGrid("表", rows, merged=merged)


@pytest.mark.parametrize(
    "merged",
    [
        [],
        [(0, 0, 0, 5), (2, 1, 4, 2)],
        [(1, 1, 3, 3), (2, 2, 5, 4)],  # overlapping (a hostile file): the first range wins
        [(0, 2, 200_000, 2)],  # too many cells to index cell by cell: indexed by row
        [(0, 0, 1_048_575, 16_383)],  # too many rows to index: scanned
        [(3, 4, 2, 1)],  # reversed corners never match
    ],
)
def test_merged_value_and_block_follow_the_first_covering_range(
    merged: list[tuple[int, int, int, int]],
) -> None:
    grid = _grid(merged)

    def expected(r: int, c: int) -> object:
        for r1, c1, r2, c2 in merged:
            if r1 <= r <= r2 and c1 <= c <= c2:
                return grid.value(r1, c1)
        return grid.value(r, c)

    cells = [(r, c) for r in range(-1, 14) for c in range(-1, 8)]
    assert [grid.merged_value(r, c) for r, c in cells] == [expected(r, c) for r, c in cells]
    block = grid.block(10, 7)
    assert block == [[expected(r, c) for c in range(7)] for r in range(10)]
    grid.merged = [(5, 0, 5, 5)]  # a changed list is indexed again
    assert grid.merged_value(5, 3) == "5,0" and grid.merged_value(0, 3) == "0,3"


def test_block_of_a_short_sheet_is_padded() -> None:
    grid = SheetGrid("表", [["a", "b"], [], ["c"]], merged=[(0, 0, 1, 1)])
    assert grid.block(4, 3) == [["a", "a", None], ["a", "a", None], ["c", None, None], [None, None, None]]


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")


def test_rows_remembered_for_one_group_do_not_leak_into_another(rubric: Rubric, tmp_path: Path) -> None:
    # grid.cover is a street item: the same row is unknown on a department's sheet,
    # whichever group's return was read first in this process
    self_rows = [("grid.cover", "网格化巡查", 50, 40), ("duty.meetings", "定期研究部署安全生产工作", 30, 30)]
    street = "艾山街道"
    meta = {
        "safescore_template": fl.TEMPLATE_VERSION,
        "rubric": "gangcheng-sanze",
        "rubric_version": "2022.1",
    }
    for i, (unit, group) in enumerate(
        [(DEPT, "dept"), (street, "street"), (DEPT, "dept"), (street, "street")]
    ):
        folder = tmp_path / str(i)
        folder.mkdir()
        path = make_form(folder, unit=unit, self_rows=self_rows, meta=meta | {"unit": unit, "group": group})
        ret, report = read(path, rubric)
        assert ret is not None and ret.unit == unit
        if group == "dept":
            assert where(report, "form-unknown-item") == [(fl.SELF_SHEET, "D2")]
            assert set(ret.self_scores) == {"duty.meetings"}
        else:
            assert where(report, "form-unknown-item") == []
            assert ret.self_scores["grid.cover"].value == Decimal(40)
            assert set(ret.self_scores) == {"grid.cover", "duty.meetings"}


def test_a_code_written_as_a_number_is_read_as_text(rubric: Rubric, tmp_path: Path) -> None:
    # code cells that are not text are not remembered, but read the same way
    rows = [(1, "不存在的指标", None, 5), ("meetings", None, "次", 3)]
    ret, report = read(make_form(tmp_path, rows), rubric)
    assert ret is not None and ret.values["meetings"].value == Decimal(3)
    assert where(report, "form-unknown-field") == [(fl.FORM_SHEET, "D6")]
