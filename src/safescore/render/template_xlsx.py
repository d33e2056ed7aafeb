"""``safescore template``: blank returns generated from the rubric (SPEC 4.1).

Form templates follow :mod:`safescore.inputs.form_layout` exactly, because the form
reader relies on it: one workbook per unit with its unit, period and own targets
filled in. The consolidation table is :mod:`.template_table` (re-exported here). No cell
holds a formula: a formula saved without a cached value is an error for the readers.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from safescore.inputs import form_layout as fl
from safescore.render import _xlsx_style as xs
from safescore.render import _xlsx_validation as xv
from safescore.render._template_fields import FieldRow, field_rows, return_items, template_title, unit_text
from safescore.render._xlsx_names import safe_filename, unique_path
from safescore.render._xlsx_save import save_workbook
from safescore.render.files import build_time
from safescore.render.template_table import write_table_template
from safescore.rubric.model import Item, Rubric, Unit

__all__ = ["FieldRow", "field_rows", "safe_filename", "write_form_templates", "write_table_template"]


FORM_WIDTHS = {1: 20.0, 2: 30.0, 3: 9.0, 4: 13.0, 5: 58.0, 6: 20.0, 7: 14.0}
SELF_WIDTHS = {1: 16.0, 2: 32.0, 3: 8.0, 4: 10.0, 5: 40.0}


# --- the form workbook ----------------------------------------------------------------------


def _print_header(unit: Unit, period: str | None, sheet: str) -> str:
    # also the document title: XML cannot hold the control characters a pasted name may carry
    return ILLEGAL_CHARACTERS_RE.sub("", " ".join(p for p in (unit.name, period, sheet) if p))


_HELP = (
    "1. 只在浅黄色单元格中填写：“填报表”的“填报值”“佐证材料”“备注”列，“自评分”表的“自评分”“说明”列。"
    "其余单元格已锁定；工作表保护没有密码，但请不要撤销。",
    "2. 选中“填报值”单元格会显示该项的填写要求和评分标准；“评分标准”列中的目标值是下达给本单位的。",
    "3. 是/否 项请从下拉列表中选择；整数项请填写阿拉伯数字，不要带单位。",
    f"4. 百分比项{xv.PERCENT_HINT}。",
    "5. 提示“未发生可留空”的计数项留空按 0 计；其他项留空视为未填报，相关指标可能不得分。",
    "6. “佐证材料”列请写明材料名称或文号，材料按要求另行报送。",
    "7. 请不要修改工作表名称、“字段编码”列和隐藏的工作表，系统据此自动识别本表。",
)


def _form_sheet(
    ws: Worksheet,
    rubric: Rubric,
    unit: Unit,
    period: str | None,
    rows: list[FieldRow],
    unit_targets: dict[str, Decimal],
    list_refs: dict[str, str],
) -> None:
    ncol = len(fl.FORM_COLUMNS)
    xs.set_widths(ws, FORM_WIDTHS)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws["A1"] = template_title(rubric, "填报表", rubric.group(unit.group).title)
    xs.style(ws["A1"], font=xs.TITLE_FONT, align=xs.CENTER, border=False)
    ws.row_dimensions[1].height = 32
    xs.style(xs.put(ws, 2, 1, "填报单位："), font=xs.BOLD, border=False)
    xs.style(xs.put(ws, 2, 2, unit.name), border=False)
    xs.style(xs.put(ws, 2, 4, "考核期间："), font=xs.BOLD, border=False)
    # without a period the unit types it: the cell is then open and yellow
    xs.style(
        xs.put(ws, 2, 5, period),
        border=not period,
        fill=None if period else xs.INPUT_FILL,
        locked=bool(period),
    )
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncol)
    ws["A3"] = (
        f"填报说明：请在浅黄色单元格中填写本单位{period or '本考核期间'}的数据，灰色单元格不可修改。"
        f"选中“填报值”单元格可查看填写要求和评分标准；是/否项从下拉列表选择；"
        f"百分比{xv.PERCENT_HINT}。详见“{fl.HELP_SHEET}”工作表。"
    )
    xs.style(ws["A3"], font=xs.SMALL, border=False)
    xs.fit_row(ws, 3, {1: sum(FORM_WIDTHS.values())})
    for c, text in enumerate(fl.FORM_COLUMNS, start=1):
        xs.style(xs.put(ws, fl.HEADER_ROW, c, text), font=xs.BOLD, fill=xs.HEADER_FILL, align=xs.CENTER)
    ws.row_dimensions[fl.HEADER_ROW].height = 24
    inputs = (fl.COL_VALUE, fl.COL_EVIDENCE, fl.COL_NOTE)
    centred = (fl.COL_UNIT, fl.COL_VALUE)
    for r, row in enumerate(rows, start=fl.FIRST_DATA_ROW):
        fd = row.fd
        basis = row.basis_text(rubric, unit_targets)
        values = (row.fid, fd.label, unit_text(fd), None, basis, None, None)
        for c, value in enumerate(values):
            xs.style(
                xs.put(ws, r, c + 1, value),
                font=xs.SMALL if c == fl.COL_CODE else xs.FONT,
                fill=xs.INPUT_FILL if c in inputs else xs.LABEL_FILL,
                align=xs.CENTER if c in centred else xs.WRAP,
                locked=c not in inputs,
            )
        value_cell = ws.cell(r, fl.COL_VALUE + 1)
        value_cell.number_format = xv.number_format(fd)
        dv = xv.validation(fd, rubric, basis, list_refs.get(row.fid))
        ws.add_data_validation(dv)
        dv.add(value_cell.coordinate)
        xs.fit_row(ws, r, FORM_WIDTHS, minimum=22)
    ws.freeze_panes = ws.cell(fl.FIRST_DATA_ROW, 1).coordinate
    header = f"{fl.HEADER_ROW}:{fl.HEADER_ROW}"
    xs.page_setup(ws, title_rows=header, header=_print_header(unit, period, fl.FORM_SHEET))
    xs.protect(ws)


def _self_points(it: Item, group: str) -> Decimal | None:
    pts = it.points_for(group)
    if pts is None:  # bonus/penalty items have no points: their own cap is the most they give
        pts = getattr(it.rule, "cap", None) or getattr(it.rule, "max", None)
    return pts if isinstance(pts, Decimal) else None


def _self_sheet(ws: Worksheet, rubric: Rubric, unit: Unit, period: str | None) -> None:
    xs.set_widths(ws, SELF_WIDTHS)
    for c, text in enumerate(fl.SELF_COLUMNS, start=1):
        xs.style(xs.put(ws, 1, c, text), font=xs.BOLD, fill=xs.HEADER_FILL, align=xs.CENTER)
    ws.row_dimensions[1].height = 24
    words = {id(it): "填写加分值" for it in rubric.bonus.items}
    words |= {id(it): "填写减分值（正数）" for it in rubric.penalty.items}
    for r, it in enumerate(return_items(rubric, unit.group), start=2):
        pts = _self_points(it, unit.group)
        shown = None if pts is None else int(pts) if pts == pts.to_integral_value() else float(pts)
        for c, value in enumerate((it.id, it.title, shown, None, None), start=1):
            editable = c >= 4
            xs.style(
                xs.put(ws, r, c, value),
                font=xs.SMALL if c == 1 else xs.FONT,
                fill=xs.INPUT_FILL if editable else xs.LABEL_FILL,
                align=xs.CENTER if c in (3, 4) else xs.WRAP,
                locked=not editable,
            )
        word = words.get(id(it), "填写本单位自评得分")
        dv = xv.score_validation(it.title, it.basis or it.title, pts, word)
        ws.add_data_validation(dv)
        dv.add(ws.cell(r, 4).coordinate)
        xs.fit_row(ws, r, SELF_WIDTHS, minimum=20)
    ws.freeze_panes = "A2"
    xs.page_setup(ws, title_rows="1:1", header=_print_header(unit, period, fl.SELF_SHEET))
    xs.protect(ws)


def _help_sheet(ws: Worksheet, rubric: Rubric, unit: Unit, period: str | None) -> None:
    group = rubric.group(unit.group).title
    lines = [
        (f"{rubric.title} 填报说明", xs.TITLE_FONT),
        (f"考核细则：{rubric.title}（版本 {rubric.version}）", xs.FONT),
        (f"填报单位：{unit.name}　所属分组：{group}　考核期间：{period or '（请在填报表中填写）'}", xs.FONT),
        ("", xs.FONT),
        *((text, xs.FONT) for text in _HELP),
        ("", xs.FONT),
        (f"本表由 safescore 根据考核细则自动生成（模板版本 {fl.TEMPLATE_VERSION}）。", xs.SMALL),
    ]
    width = 78.0  # fits A4 portrait without scaling
    ws.column_dimensions["A"].width = width
    for r, (text, font) in enumerate(lines, start=1):
        xs.style(xs.put(ws, r, 1, text or None), font=font, border=False)
        xs.fit_row(ws, r, {1: width}, minimum=28 if r == 1 else 18)
    xs.page_setup(ws, landscape=False, header=_print_header(unit, period, fl.HELP_SHEET))
    xs.protect(ws)


def _meta_sheet(ws: Worksheet, values: dict[str, str]) -> None:
    for r, key in enumerate(fl.META_KEYS, start=1):
        xs.put(ws, r, 1, key)
        xs.put(ws, r, 2, values[key]).number_format = "@"  # "2022" must stay text
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 40
    ws.sheet_state = "hidden"
    xs.protect(ws)


def _list_sheet(wb: Workbook, rows: list[FieldRow]) -> dict[str, str]:
    """Choices too long (or with commas) for an inline list go to a hidden ``_lists`` sheet."""
    long_rows = [row for row in rows if xv.needs_list_sheet(row.fd)]
    if not long_rows:
        return {}
    ws = wb.create_sheet("_lists")
    refs: dict[str, str] = {}
    for c, row in enumerate(long_rows, start=1):
        choices = row.fd.choices or []
        for r, choice in enumerate(choices, start=1):
            xs.put(ws, r, c, choice)
        col = get_column_letter(c)
        refs[row.fid] = f"_lists!${col}$1:${col}${len(choices)}"
    ws.sheet_state = "hidden"
    xs.protect(ws)
    return refs


def _form_workbook(
    rubric: Rubric, unit: Unit, period: str | None, unit_targets: dict[str, Decimal]
) -> Workbook:
    rows = field_rows(rubric, unit.group)
    wb = Workbook()
    form = wb.active
    assert form is not None
    form.title = fl.FORM_SHEET
    self_ws = wb.create_sheet(fl.SELF_SHEET)
    help_ws = wb.create_sheet(fl.HELP_SHEET)
    meta_ws = wb.create_sheet(fl.META_SHEET)
    _form_sheet(form, rubric, unit, period, rows, unit_targets, _list_sheet(wb, rows))
    _self_sheet(self_ws, rubric, unit, period)
    _help_sheet(help_ws, rubric, unit, period)
    meta = {
        "safescore_template": fl.TEMPLATE_VERSION,
        "rubric": rubric.rubric,
        "rubric_version": rubric.version,
        "unit": unit.name,
        "group": unit.group,
        "period": period or "",
    }
    _meta_sheet(meta_ws, meta)
    wb.active = 0
    wb.properties.title = _print_header(unit, period, "")
    wb.properties.creator = "safescore"
    return wb


def write_form_templates(
    rubric: Rubric,
    units: list[Unit],
    period: str | None,
    out_dir: Path,
    *,
    targets: dict[str, dict[str, Decimal]],
) -> list[Path]:
    """Write one form workbook per unit into ``out_dir``; returns the paths in unit order.

    :param targets: per-unit target values, ``{target: {unit name: value}}`` as
        :func:`safescore.inputs.read.resolve_targets` returns them.
    :raises ValueError: a unit names a group the rubric does not have.

    Files are named after the unit (see :func:`safe_filename`); names that collide
    get ``-2``, ``-3``. With ``SOURCE_DATE_EPOCH`` set the bytes are reproducible.
    """
    known = set(rubric.group_ids())
    for u in units:
        if u.group not in known:
            raise ValueError(f"单位 {u.name} 的分组 {u.group} 不在考核细则中")
    out_dir = Path(out_dir)
    when = build_time()
    used: set[str] = set()
    paths: list[Path] = []
    for u in units:
        unit_targets = {name: vals[u.name] for name, vals in targets.items() if u.name in vals}
        path = unique_path(out_dir, safe_filename(u.name), used)
        save_workbook(_form_workbook(rubric, u, period, unit_targets), path, when)
        paths.append(path)
    return paths
