"""``safescore template --table``: the consolidation workbook, one sheet per group and one row
per unit, in the layout :mod:`safescore.inputs.table` reads back (SPEC 4.1)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from safescore.render import _xlsx_style as xs
from safescore.render import _xlsx_validation as xv
from safescore.render._template_fields import field_rows, template_title, unit_text
from safescore.render._xlsx_names import safe_filename, sheet_title
from safescore.render._xlsx_save import save_workbook
from safescore.render.files import build_time
from safescore.rubric.model import FieldDef, Rubric, Unit


def _table_sheet(ws: Worksheet, rubric: Rubric, group: str, members: list[Unit], period: str | None) -> None:
    rows = field_rows(rubric, group)
    ncol = len(rows) + 1
    widths = {1: 34.0} | {c: 14.0 for c in range(2, ncol + 1)}
    xs.set_widths(ws, widths)
    # short enough for column A: printing repeats column A on every page and clips overflow
    ws["A1"] = f"{rubric.group(group).title}数据汇总表"
    xs.style(ws["A1"], font=xs.TITLE_FONT, align=xs.PLAIN, border=False)
    ws.row_dimensions[1].height = 32
    ws["A2"] = f"考核期间：{period or ''}"
    xs.style(ws["A2"], font=xs.BOLD, border=False)
    header = 3  # the table reader looks for its header among the first 10 rows
    for c, text in enumerate(["单位名称", *(_label_with_unit(row.fd) for row in rows)], start=1):
        xs.style(xs.put(ws, header, c, text), font=xs.BOLD, fill=xs.HEADER_FILL, align=xs.CENTER)
    xs.fit_row(ws, header, widths, minimum=30)
    first, last = header + 1, header + max(len(members), 1)
    for r, u in enumerate(members, start=first):
        xs.style(xs.put(ws, r, 1, u.name), fill=xs.LABEL_FILL)
        ws.row_dimensions[r].height = 20
    for c, row in enumerate(rows, start=2):
        for r in range(first, last + 1):
            cell = ws.cell(r, c)
            xs.style(cell, fill=xs.INPUT_FILL, align=xs.CENTER, locked=False)
            cell.number_format = xv.number_format(row.fd)
        dv = xv.validation(row.fd, rubric, row.basis_text(rubric, {}))
        ws.add_data_validation(dv)
        col = get_column_letter(c)
        dv.add(f"{col}{first}:{col}{last}")
    ws.freeze_panes = ws.cell(first, 2).coordinate
    # dozens of columns: print across pages at a readable size, repeating names and header
    title = template_title(rubric, "数据汇总表", rubric.group(group).title) + (f" {period}" if period else "")
    xs.page_setup(ws, fit="height", title_rows=f"{header}:{header}", title_cols="A:A", header=title)


def _label_with_unit(fd: FieldDef) -> str:
    # the reader drops a trailing "(次)" or "（%）" when matching labels
    unit = unit_text(fd)
    return f"{fd.label}（{unit}）" if unit else fd.label


def write_table_template(
    rubric: Rubric, units: list[Unit], period: str | None, out_path_or_dir: Path
) -> list[Path]:
    """Write the consolidation table: one sheet per group, one row per unit; returns ``[path]``.

    ``out_path_or_dir`` ending in ``.xlsx`` is the file; anything else is a folder that
    receives ``<rubric title>_汇总表[_<period>].xlsx``. Choice fields whose options do
    not fit an inline list get no dropdown here (the reader still checks them). The
    sheet is left unprotected: offices keep and extend their consolidation sheets.
    """
    out = Path(out_path_or_dir)
    if out.suffix.lower() != ".xlsx":
        out = out / f"{safe_filename(f'{rubric.title}_汇总表' + (f'_{period}' if period else ''))}.xlsx"
    wb = Workbook()
    default = wb.active
    groups = [g for g in rubric.groups if any(u.group == g.id for u in units)] or list(rubric.groups)
    used: set[str] = set()
    for g in groups:
        ws = wb.create_sheet(sheet_title(g.title, used))
        _table_sheet(ws, rubric, g.id, [u for u in units if u.group == g.id], period)
    if default is not None:
        wb.remove(default)
    wb.active = 0
    wb.properties.creator = "safescore"
    save_workbook(wb, out, build_time())
    return [out]
