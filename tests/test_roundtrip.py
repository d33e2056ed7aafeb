"""Template → filled by hand (openpyxl, as a user would) → scored: same scores as the table layout."""

from __future__ import annotations

import zlib
from decimal import Decimal
from pathlib import Path

import openpyxl

from safescore import load_rubric, read_inputs, score
from safescore.inputs import form_layout as fl
from safescore.inputs.read import resolve_targets
from safescore.inputs.table import looks_like_table
from safescore.inputs.workbook import read_workbook
from safescore.problems import Report
from safescore.render.template_xlsx import write_form_templates, write_table_template

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"


def _value(unit: str, field: str, ftype: str, bound: object = None) -> object:
    """A deterministic, plausible value per unit and field (as a user would type it)."""
    h = zlib.crc32(f"{unit}/{field}".encode())
    if isinstance(bound, int):  # max names another field: stay within it
        return h % (bound + 1)
    if isinstance(bound, Decimal):
        return int(h % (int(bound) + 1))
    if ftype == "bool":
        return "是" if h % 5 else "否"
    if ftype == "percent":
        return round(0.85 + (h % 150) / 1000, 3)
    if ftype == "number":
        return round(10 + (h % 200) / 10, 1)
    return h % 7 if field not in ("deaths", "major_accidents", "concealed", "accidents") else 0


def test_form_round_trip_equals_table_layout(tmp_path: Path) -> None:
    rubric = load_rubric(RUBRIC)
    units = list(rubric.units)
    targets = resolve_targets(rubric, units, Report(), [])
    forms = write_form_templates(rubric, units, "2022Q1", tmp_path / "forms", targets=targets)
    filled: dict[str, dict[str, object]] = {}
    for path in forms:
        wb = openpyxl.load_workbook(path)
        ws = wb[fl.FORM_SHEET]
        unit = ws["B2"].value
        filled[unit] = {}
        rows = [
            row for row in ws.iter_rows(min_row=fl.FIRST_DATA_ROW) if row[fl.COL_CODE].value in rubric.fields
        ]
        # fields without a max that names another field first, so bounds are known
        for row in sorted(rows, key=lambda row: isinstance(rubric.fields[row[fl.COL_CODE].value].max, str)):
            code = row[fl.COL_CODE].value
            fd = rubric.fields[code]
            bound = filled[unit].get(fd.max) if isinstance(fd.max, str) else fd.max
            v = _value(unit, code, fd.type, bound)
            row[fl.COL_VALUE].value = v
            filled[unit][code] = v
        wb.save(path)
    [table] = write_table_template(rubric, units, "2022Q1", tmp_path / "table")
    wb = openpyxl.load_workbook(table)
    grid = read_workbook(table, Report())
    assert grid is not None
    for ws, sheet in zip(wb.worksheets, grid.sheets, strict=False):
        header = looks_like_table(sheet, rubric)
        if header is None:
            continue
        for r in range(header.row + 1, sheet.n_rows):
            unit = sheet.value(r, header.unit_col)
            if unit not in filled:
                continue
            for c, fid in header.columns.items():
                if fid in filled[unit]:
                    ws.cell(row=r + 1, column=c + 1, value=filled[unit][fid])
    wb.save(table)

    from_forms = score(rubric, read_inputs(rubric, [tmp_path / "forms"], period="2022Q1", jobs=1), "2022Q1")
    from_table = score(rubric, read_inputs(rubric, [table], period="2022Q1", jobs=1), "2022Q1")
    assert not from_forms.not_submitted and not from_table.not_submitted
    assert [p.code for p in from_forms.errors] == [] and [p.code for p in from_table.errors] == []
    for u in from_forms.units:
        t = from_table.unit(u.unit)
        assert u.total == t.total, u.unit
        assert [(i.id, i.score) for i in u.items] == [(i.id, i.score) for i in t.items]
    # the values really arrived (not all zeros): totals spread and some items lost points
    totals = {u.total for u in from_forms.units}
    assert len(totals) > 5 and max(totals) > Decimal(500)
