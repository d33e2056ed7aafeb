"""The look of generated workbooks: fonts, fills, borders, widths, row heights, printing.

openpyxl neither measures text nor auto-fits rows, and LibreOffice, WPS and Excel
disagree on auto-fitting wrapped text, so row heights are estimated here and written
explicitly: the sheet then looks the same in all three.

Neighbours, one concept each: :mod:`._xlsx_validation` (value cells: number formats,
hints, data validation), :mod:`._xlsx_names` (file and sheet names), :mod:`._xlsx_save`
(reproducible bytes).
"""

from __future__ import annotations

import math
import unicodedata

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# Re-exported for callers that import them from here (tests of the templates and of file names).
from safescore.render._xlsx_names import safe_filename as safe_filename
from safescore.render._xlsx_validation import number_format as number_format
from safescore.render._xlsx_validation import validation as validation

# 宋体 ships with every Chinese Windows and with WPS; LibreOffice substitutes a CJK font.
FONT_NAME = "宋体"
FONT = Font(name=FONT_NAME, size=11)
BOLD = Font(name=FONT_NAME, size=11, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
SMALL = Font(name=FONT_NAME, size=10, color="595959")

HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow = "type here"

_THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
PLAIN = Alignment(vertical="center")  # no wrap: a title may run over empty cells

LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)

LINE_HEIGHT = 14.4  # points per text line at 11pt, with a little leading


def text_width(text: str) -> int:
    """Display width in Excel column units: CJK and full-width characters count double.

    Ambiguous-width characters (“”、×、÷) count double too: CJK fonts draw them wide.
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def line_count(text: str, col_width: float) -> int:
    """Lines a wrapped cell needs at ``col_width`` (each paragraph wraps on its own)."""
    usable = max(col_width - 2.0, 1.0)  # cell padding eats about one character; keep a spare
    return sum(max(1, math.ceil(text_width(p) / usable)) for p in text.split("\n"))


def fit_row(ws: Worksheet, row: int, widths: dict[int, float], *, minimum: float = 20.0) -> None:
    """Set the row height so every wrapped cell of ``row`` shows all its text."""
    lines = 1
    for col, width in widths.items():
        value = ws.cell(row=row, column=col).value
        if value is not None:
            lines = max(lines, line_count(str(value), width))
    ws.row_dimensions[row].height = max(minimum, round(lines * LINE_HEIGHT + 6, 1))


def set_widths(ws: Worksheet, widths: dict[int, float]) -> None:
    """Column widths by 1-based column number."""
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


# Starts a formula in Excel, LibreOffice or WPS (full-width forms: typed through a Chinese IME).
FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def put(ws: Worksheet, row: int, col: int, value: object = None) -> Cell:
    """Write one cell; text (unit names, rubric titles) is always a text cell, never a formula,
    with the control characters Excel cannot store removed."""
    cell = ws.cell(row, col)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        if value.lstrip(" \t\r\n\u3000").startswith(FORMULA_START):
            cell.quotePrefix = True  # re-typing or CSV export keeps it text as well
    else:
        cell.value = value
    return cell  # type: ignore[return-value]


def style(
    cell: Cell | MergedCell,
    *,
    font: Font = FONT,
    fill: PatternFill | None = None,
    align: Alignment = WRAP,
    locked: bool = True,
    border: bool = True,
) -> None:
    """Apply the usual font, fill, alignment, border and lock state to one cell."""
    cell.font = font
    if fill is not None:
        cell.fill = fill
    cell.alignment = align
    if border:
        cell.border = BORDER
    cell.protection = LOCKED if locked else UNLOCKED


def protect(ws: Worksheet) -> None:
    """Protect without a password; people may still resize rows and columns to read long text."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


def page_setup(
    ws: Worksheet,
    *,
    landscape: bool = True,
    fit: str = "width",
    title_rows: str | None = None,
    title_cols: str | None = None,
    header: str | None = None,
) -> None:
    """A4 printing, scaled to one page wide (``fit="width"``) or, for a wide table that runs
    over several pages repeating ``title_cols``, one page tall (``fit="height"``); a page
    header naming the unit, page numbers below."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1 if fit == "width" else 0  # 0: as many pages as needed
    ws.page_setup.fitToHeight = 1 if fit == "height" else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    if header:
        ws.oddHeader.center.text = header
        ws.oddHeader.center.size = 9
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9
