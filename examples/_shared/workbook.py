"""Workbook helpers the example generators share: the look of an office's sheet, the usual
title / header / total / signature rows of a consolidation table, how clerks mistype values
(the mess, SPEC 4.4), and a save that gives the same bytes on every run.

Each generator keeps what is its own (its layouts, its ``render``, its notes); only what every
generator did the same way lives here.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# A block of a two-row header: (title over the block or None for single columns, [(field, label)]).
Block = tuple[str | None, list[tuple[str, str]]]

# --- look ----------------------------------------------------------------------------------------

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
FONT = Font(name="宋体", size=10)
BOLD = Font(name="宋体", size=10, bold=True)
TITLE = Font(name="方正小标宋简体", size=16)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def cell(
    ws: Worksheet,
    row: int,
    col: int,
    value: Any,
    *,
    font: Font = FONT,
    align: Alignment = CENTER,
    fmt: str | None = None,
) -> None:
    """Write a bordered cell; ``fmt`` is its number format, if any."""
    c = ws.cell(row=row, column=col, value=value)
    c.font = font
    c.alignment = align
    c.border = BORDER
    if fmt:
        c.number_format = fmt


def column_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    """Widths of columns A, B, … in order."""
    for k, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(k)].width = width


def save_deterministic(wb: Workbook, path: Path, stamp: datetime, creator: str) -> None:
    """Save ``wb`` with fixed zip-entry times and document dates, so reruns are byte-identical.

    Not safescore's ``render._xlsx_style.workbook_bytes``: that one also pins the zip entries'
    permissions, so its bytes differ from these, and rubrics/targets/hubei-mubiao.xlsx (written by
    examples/hubei/make_data.py --targets) is committed and checked byte for byte.
    """
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + iso.encode() + rb"\g<2>",
                    data,
                )
            out = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            dst.writestr(out, data)
    tmp.replace(path)  # atomic: readers see the old file or the new one


# --- rows of a sheet ------------------------------------------------------------------------------


def title_rows(ws: Worksheet, ncol: int, title: str, note: str | None = None) -> None:
    """Row 1: the title merged across ``ncol`` columns; row 2 (if ``note``): a 填报说明 line."""
    last = get_column_letter(ncol)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 32
    if note:
        ws.merge_cells(f"A2:{last}2")
        ws["A2"] = note
        ws["A2"].font = FONT
        ws["A2"].alignment = LEFT
        ws.row_dimensions[2].height = 30


def header_row(ws: Worksheet, row: int, texts: Sequence[str]) -> None:
    """A one-row header from column A: bold, shaded."""
    for c, text in enumerate(texts, start=1):
        cell(ws, row, c, text, font=BOLD)
        ws.cell(row=row, column=c).fill = HEAD_FILL


def layout_fields(layout: list[Block]) -> list[str]:
    """The fields of a two-row header layout, left to right."""
    return [f for _, block in layout for f, _ in block]


def two_row_header(ws: Worksheet, layout: list[Block], name_header: str, label_height: float) -> int:
    """Rows 3-4 of a 序号 | name | fields… | 备注 table; returns the number of columns.

    Blocks are merged across in row 3 over their labels in row 4; single columns (序号, the name,
    blocks titled None, 备注) are merged down over both rows.
    """
    for col, text in ((1, "序号"), (2, name_header)):
        cell(ws, 3, col, text, font=BOLD)
        cell(ws, 4, col, None, font=BOLD)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    col = 3
    for block_title, block in layout:
        if block_title is None:
            for _, header in block:
                cell(ws, 3, col, header, font=BOLD)
                cell(ws, 4, col, None, font=BOLD)
                ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
                col += 1
            continue
        cell(ws, 3, col, block_title, font=BOLD)
        for k, (_, header) in enumerate(block):
            if k:
                cell(ws, 3, col + k, None, font=BOLD)
            cell(ws, 4, col + k, header, font=BOLD)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(block) - 1)
        col += len(block)
    cell(ws, 3, col, "备注", font=BOLD)
    cell(ws, 4, col, None, font=BOLD)
    ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for r in (3, 4):
        for c in range(1, col + 1):
            ws.cell(row=r, column=c).fill = HEAD_FILL
    ws.row_dimensions[3].height = 20
    ws.row_dimensions[4].height = label_height
    return col


def table_row(
    ws: Worksheet, row: int, seq: int, name: str, values: list[tuple[Any, str | None]], note: str | None
) -> None:
    """One unit's row: 序号, its name as written, (value, number format) per field, 备注."""
    cell(ws, row, 1, seq)
    cell(ws, row, 2, name, align=LEFT)
    for k, (value, fmt) in enumerate(values):
        cell(ws, row, 3 + k, value, fmt=fmt)
    cell(ws, row, 3 + len(values), note, align=LEFT)


def total_row(ws: Worksheet, row: int, totals: list[Any]) -> None:
    """The 合计 row under a table (plain numbers: openpyxl cannot write cached formula results)."""
    cell(ws, row, 1, None, font=BOLD)
    cell(ws, row, 2, "合计", font=BOLD)
    for k, total in enumerate(totals):
        cell(ws, row, 3 + k, total, font=BOLD)
    cell(ws, row, 3 + len(totals), None)


def signature_row(ws: Worksheet, row: int, text: str, height: float | None = 24) -> None:
    """The 填报单位（盖章）… line under a table, merged over columns A-L."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=12)
    ws.cell(row=row, column=1, value=text).font = FONT
    if height is not None:
        ws.row_dimensions[row].height = height


def table_widths(ws: Worksheet, ncol: int, name_width: float, note_width: float) -> None:
    """Column widths of a 序号 | name | fields… | 备注 table; panes frozen below the header."""
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = name_width
    for c in range(3, ncol):
        ws.column_dimensions[get_column_letter(c)].width = 12
    ws.column_dimensions[get_column_letter(ncol)].width = note_width
    ws.freeze_panes = "C5"


def notes_sheet(wb: Workbook, lines: list[str], width: float) -> None:
    """A 说明 sheet: a bold heading line, then one line per row in column A."""
    ws = wb.create_sheet("说明")
    for r, text in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=text).font = BOLD if r == 1 else FONT
    ws.column_dimensions["A"].width = width


# --- the mess: values as clerks write them --------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
# Markers for "no value": an empty cell, /, — or 无.
MISSING_TEXT: dict[str, str | None] = {"blank": None, "slash": "/", "dash": "—", "wu": "无"}
MISSING_STYLES = set(MISSING_TEXT)


def clean_missing(
    values_of: Mapping[str, dict[str, Any]], mess: Mapping[tuple[str, str], str], blank_zero: Collection[str]
) -> None:
    """Give every (unit, field) the mess writes as missing its clean value: None, or 0 for the fields
    whose blank counts as zero (``values_of``: unit name → its clean values, changed in place)."""
    for (name, fld), style in mess.items():
        if style in MISSING_STYLES:
            values_of[name][fld] = 0 if fld in blank_zero else None


def num_text(x: float | Decimal) -> str:
    """A number as plain text: ``12``, ``0.875`` (a Decimal without exponent or trailing zeros)."""
    return format(x.normalize(), "f") if isinstance(x, Decimal) else f"{x:.10g}"


def fullwidth(text: str) -> str:
    """Digits and the point in full width (０-９, ．), as typed with a Chinese IME."""
    return text.translate(FULLWIDTH)


def number_as_text(x: float | Decimal, style: str) -> str:
    """A number stored as text (``text``) or as full-width text (``fullwidth``)."""
    if style == "text":
        return num_text(x)
    if style == "fullwidth":
        return fullwidth(num_text(x))
    raise ValueError(style)


def yes_no(value: bool, style: str | None) -> str:
    """A yes/no as written: √/× (``check``), 有/无 (``youwu``), else 是/否."""
    yes, no = {"check": ("√", "×"), "youwu": ("有", "无")}.get(style or "", ("是", "否"))
    return yes if value else no


def percent_cell(value: float, style: str) -> tuple[Any, str | None]:
    """A fraction as a clerk enters a percentage: (cell value, number format).

    ``pct100`` 95 shown as 95.0, ``pct_text`` the text "95%", ``pct_frac`` 0.95 unformatted,
    ``pct_fmt`` 0.95 formatted as a percentage.
    """
    pct = round(value * 100, 1)
    if style == "pct100":
        return (int(pct) if pct == int(pct) else pct), "0.0"
    if style == "pct_text":
        return f"{num_text(pct)}%", None
    if style == "pct_frac":
        return value, None
    if style == "pct_fmt":
        return value, "0.0%"
    raise ValueError(style)


def date_as_written(d: date, style: str) -> Any:
    """A date as written in a ledger: a real date (``date``), ``2022.4.18`` (``dotted``),
    ``2022年4月18日`` (``cn``), ``2022-04-18`` as text (``iso``) or an Excel serial number
    without a date format (``serial``)."""
    if style == "date":
        return d
    if style == "dotted":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "iso":
        return d.isoformat()
    if style == "serial":
        return (d - date(1899, 12, 30)).days
    raise ValueError(style)
