"""One worksheet of ``results.xlsx`` being filled: safe cell writes, widths from content,
row heights for wrapped text, frozen panes, filters and print set-up.

Every text is written as a string cell, never as a formula, and text that a spreadsheet
would read as a formula once re-typed or exported (``= + - @``, also after leading
whitespace) also gets Excel's quote prefix, so the cell keeps showing the text exactly as
it arrived.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from safescore.engine.reasons import fmt
from safescore.render import _xlsx_style as xs
from safescore.render.i18n import tr

_MAX_CELL_TEXT = 32_767  # Excel's limit; longer text is cut rather than corrupting the file
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_HEADER_WIDTH = 12  # wider headers wrap onto a second line
# Column units are the width of "0" in the default font; the CJK fonts that stand in for 宋体 draw
# Latin letters and digits wider than that (CJK characters stay at about two units).
_LATIN = 1.2
_ROWS_PER_PAGE = 40  # rows of a landscape A4 page at a readable size
# the indent keeps text off a right-aligned number in the cell to its left
TEXT = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)
# Long-text columns wrap at a narrower width so a row stays on one screen.
CAPS = {"取值": 30, "评分标准": 40, "扣分原因": 50, "佐证": 50, "文件": 50, "一票否决": 40}


def _width(text: str) -> float:
    """Display width of one line in column units (see ``_LATIN``)."""
    wide = xs.text_width(text) - len(text)  # text_width counts wide characters twice
    return 2 * wide + _LATIN * (len(text) - wide)


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs at ``width`` (each paragraph wraps on its own)."""
    # a paragraph as wide as its column was sized for fits; one that wraps loses line ends to
    # unbroken words and slightly wide CJK glyphs, so a tenth is kept spare: better a row a
    # little too tall than a clipped reason
    usable = max((width - 3) * 0.9, 1.0)
    return sum(1 if _width(p) + 3 <= width else math.ceil(_width(p) / usable) for p in text.split("\n"))


def risky(text: str) -> bool:
    """True when ``text`` could be taken for a formula (leading whitespace, tab and CR ignored)."""
    return text.lstrip(" \t\r\n\u3000").startswith(xs.FORMULA_START)


def number_format(decimals: int) -> str:
    """``0.00`` for two decimals, ``0`` for none."""
    return "0." + "0" * decimals if decimals > 0 else "0"


def show(v: Any) -> str:
    """A value as the officer would write it: 是/否, no trailing ``.0`` on whole floats."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        return ""
    return fmt(v) if isinstance(v, bool | Decimal) else str(v)


class Sheet:
    """One worksheet being filled: safe cell writes, and the width each column's content needs."""

    def __init__(self, ws: Worksheet, decimals: int, lang: str) -> None:
        self.ws = ws
        self.decimals = decimals
        self.nf = number_format(decimals)
        self.lang = lang
        self.t = tr(lang)
        self.need: dict[int, float] = {}
        self.caps: dict[int, int] = {}
        self.free_rows: set[int] = set()  # titles that run over empty cells: not measured, not wrapped

    def w(self, zh: str) -> str:
        """The tool's word in the output language."""
        return self.t.word(zh)

    def put(
        self,
        row: int,
        col: int,
        value: Any,
        *,
        font: Font = xs.FONT,
        fill: PatternFill | None = None,
        align: Alignment | None = None,
        number_format: str | None = None,
        measure: bool = True,
    ) -> Cell:
        """Write one cell; text is always a string cell, numbers are numbers."""
        if isinstance(value, Decimal):
            value = float(value)  # exact enough: scores are already rounded to `decimals`
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_CELL_TEXT]
        cell = self.ws.cell(row=row, column=col)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            if risky(value):
                cell.quotePrefix = True  # re-typing or CSV export keeps it text as well
            shown = max((_width(p) for p in value.split("\n")), default=0) + 1  # the indent
        elif isinstance(value, int | float):
            cell.number_format = number_format or (self.nf if isinstance(value, float) else "0")
            shown = _LATIN * (
                len(f"{value:.{self.decimals}f}" if isinstance(value, float) else str(value)) + 1
            )
        else:
            shown = 0
        cell.font = font
        cell.alignment = align or (TEXT if isinstance(value, str) or value is None else xs.PLAIN)
        if fill is not None:
            cell.fill = fill
        if row in self.free_rows:
            cell.alignment = xs.PLAIN
        else:
            cell.border = xs.BORDER
            if measure:
                self.need[col] = max(self.need.get(col, 0), shown)
        return cell

    def title(self, row: int, text: str, font: Font = xs.TITLE_FONT) -> None:
        """A title line in column A that may run across the empty cells to its right."""
        self.free_rows.add(row)
        self.put(row, 1, text, font=font)

    def header(self, row: int, labels: Sequence[str], start: int = 1) -> None:
        """Bold header cells; a long header wraps rather than widening a column of short numbers."""
        for col, label in enumerate(labels, start=start):
            text = self.w(label)
            self.put(row, col, text, font=xs.BOLD, fill=xs.HEADER_FILL, align=xs.CENTER, measure=False)
            self.need[col] = max(self.need.get(col, 0), min(_width(text), _HEADER_WIDTH))
            self.caps.setdefault(col, CAPS.get(label, _MAX_WIDTH))

    def finish(
        self, *, freeze: str, title_rows: str, filter_row: int | None = None, title_cols: str | None = None
    ) -> None:
        """Column widths from content, row heights for wrapped text, frozen panes, filter, printing.

        ``title_cols`` marks a sheet too wide to shrink onto one page: it prints across
        pages repeating those columns instead.
        """
        ws = self.ws
        widths = {
            col: float(min(self.caps.get(col, _MAX_WIDTH), max(_MIN_WIDTH, math.ceil(need) + 2)))
            for col, need in self.need.items()
        }
        xs.set_widths(ws, widths)
        for cells in ws.iter_rows():
            if not cells or cells[0].row in self.free_rows:
                continue
            lines = max(
                (_lines(c.value, widths.get(c.column, 8.43)) for c in cells if isinstance(c.value, str)),
                default=1,
            )
            if lines > 1:  # one-line rows keep the program's own default height
                ws.row_dimensions[cells[0].row].height = round(lines * xs.LINE_HEIGHT + 6, 1)
        ws.freeze_panes = freeze
        if filter_row is not None and ws.max_row > filter_row:
            ws.auto_filter.ref = f"A{filter_row}:{get_column_letter(ws.max_column)}{ws.max_row}"
        # a wide sheet prints one page tall while that stays legible, else at full size across pages
        xs.page_setup(
            ws, title_rows=title_rows, title_cols=title_cols, fit="height" if title_cols else "width"
        )
        ws.sheet_properties.pageSetUpPr.fitToPage = not title_cols or ws.max_row <= _ROWS_PER_PAGE
