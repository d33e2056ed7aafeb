"""Look, input rules and saving of generated workbooks.

Styles and width estimates, the number format and data validation of a value cell
(with the 评分标准 in its input message), and reproducible bytes on save.

openpyxl neither measures text nor auto-fits rows, and LibreOffice, WPS and Excel
disagree on auto-fitting wrapped text, so row heights are estimated here and written
explicitly: the sheet then looks the same in all three.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from safescore.render.files import write_atomic
from safescore.rubric.model import FieldDef, Rubric

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
PROMPT_MAX = 255  # Excel's limits for data-validation texts
TITLE_MAX = 32


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


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- names ---------------------------------------------------------------------------------

_MAX_NAME_BYTES = 120  # leaves room for "-NN.xlsx" under every filesystem's 255-byte limit
# Windows device names, also with a superscript digit or 0 (Windows 11 treats those as devices too)
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in "0123456789¹²³"
}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str) -> str:
    """A file name stem that is safe on Windows, macOS and Linux and keeps Chinese intact.

    Path separators, ``..``, control and Windows-forbidden characters become ``_``;
    Windows device names (CON, COM1 …) get a leading ``_``; trailing dots and spaces
    go; the result is capped at 120 UTF-8 bytes and is never empty.

    >>> safe_filename("../../etc/passwd")
    'etc_passwd'
    """
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"\s+", " ", text)  # wrapped cells put newlines inside names
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = _BAD_CHARS.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text)
    text = re.sub(r"_{2,}", "_", text).strip(" ._")
    if text.split(".")[0].strip().upper() in _RESERVED:
        text = "_" + text
    while len(text.encode("utf-8")) > _MAX_NAME_BYTES:
        text = text[:-1]
    return text.rstrip(" .") or "未命名"


def unique_path(out_dir: Path, stem: str, used: set[str]) -> Path:
    """``out_dir/stem.xlsx``, or ``stem-2.xlsx`` … when taken (compared without case, as Windows does)."""
    candidate, n = stem, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate.casefold())
    return out_dir / f"{candidate}.xlsx"


def sheet_title(text: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text).strip("'")[:28] or "Sheet"
    name, n = base, 1
    while name.casefold() in used:
        n += 1
        name = f"{base}{n}"
    used.add(name.casefold())
    return name


def build_time() -> dt.datetime:
    """The stamp written into files: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def workbook_bytes(wb: Workbook, when: dt.datetime) -> bytes:
    """Serialise ``wb`` with every timestamp pinned to ``when``, so equal input gives equal bytes.

    openpyxl's ``save`` stamps the modified time itself and zip entries get the
    wall clock, so the writer is driven directly and the archive re-packed.
    """
    wb.properties.created = when
    wb.properties.modified = when
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]  # zip cannot date before 1980
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def save_workbook(wb: Workbook, path: Path, when: dt.datetime) -> None:
    """Write ``wb`` atomically with pinned timestamps."""
    write_atomic(path, workbook_bytes(wb, when))


# --- value cells: formats, hints and data validation ---------------------------------

PERCENT_HINT = "可填 95%、95 或 0.95，均按 95% 计"
_INT_SPAN = (Decimal(-2_147_483_648), Decimal(2_147_483_647))  # Excel's whole-number range


def fmt(d: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (``1E+2`` → ``100``)."""
    return format(d.normalize(), "f")


def show_value(value: Decimal, fd: FieldDef) -> str:
    """A value in the field's terms: fractions as percentages, else number plus unit."""
    if fd.type == "percent":
        return f"{fmt(value * 100)}%"
    return f"{fmt(value)}{fd.unit or ''}"


def _bounds(fd: FieldDef) -> tuple[Decimal | None, Decimal | None]:
    # a bound naming another field is checked by the reader (cross-field), not by Excel
    lo = fd.min if isinstance(fd.min, Decimal) else None
    hi = fd.max if isinstance(fd.max, Decimal) else None
    if fd.type == "percent":
        lo = Decimal(0) if lo is None else lo
        hi = Decimal(1) if hi is None else hi
    return lo, hi


def _range_text(lo: Decimal | None, hi: Decimal | None, fd: FieldDef) -> str:
    def show(d: Decimal) -> str:
        return show_value(d, fd)

    if lo is not None and hi is not None:
        return f"{show(lo)}～{show(hi)}"
    if lo is not None:
        return f"不小于{show(lo)}"
    if hi is not None:
        return f"不大于{show(hi)}"
    return ""


def _other_bounds(fd: FieldDef, rubric: Rubric) -> str:
    words = []
    for bound, word in ((fd.min, "不小于"), (fd.max, "不大于")):
        if isinstance(bound, str) and bound in rubric.fields:
            words.append(f"{word}“{rubric.fields[bound].label}”")
    return "，".join(words)


def fill_hint(fd: FieldDef, rubric: Rubric) -> str:
    """How to fill the value cell, in one short sentence (used in prompts and error messages)."""
    lo, hi = _bounds(fd)
    span = _range_text(lo, hi, fd)
    extra = _other_bounds(fd, rubric)
    limits = "，".join(p for p in (span, extra) if p)
    limits = f"（{limits}）" if limits else ""
    if fd.type == "bool":
        return "从下拉列表选择“是”或“否”"
    if fd.type == "choice":
        return "从下拉列表选择：" + "、".join(fd.choices or [])
    if fd.type == "percent":
        return f"填写百分比{limits}，{PERCENT_HINT}"
    if fd.type == "int":
        return f"填写整数{limits}"
    if fd.type == "number":
        return f"填写数字{limits}"
    if fd.type == "date":
        return "填写日期，如 2022-03-05"
    return "填写文字"


def number_format(fd: FieldDef) -> str:
    """Cell number format for the value cell."""
    return {"int": "0", "percent": "0.0%", "date": "yyyy-mm-dd", "text": "@"}.get(fd.type, "General")


def _list_formula(choices: list[str]) -> str | None:
    # an inline list must stay under 255 characters and cannot hold commas or quotes
    inline = ",".join(choices)
    if len(inline) > 250 or any("," in c or '"' in c for c in choices):
        return None
    return f'"{inline}"'


def validation(fd: FieldDef, rubric: Rubric, basis: str, list_ref: str | None = None) -> DataValidation:
    """A data validation for one value cell, whose input message carries the 评分标准.

    ``list_ref`` is a sheet range holding the choices when they cannot be inline.
    """
    hint = fill_hint(fd, rubric)
    lo, hi = _bounds(fd)
    kw: dict[str, object] = {}
    if fd.type in ("int", "number", "percent"):
        kw["type"] = "whole" if fd.type == "int" else "decimal"
        if lo is not None and hi is not None:
            kw.update(operator="between", formula1=fmt(lo), formula2=fmt(hi))
        elif lo is not None:
            kw.update(operator="greaterThanOrEqual", formula1=fmt(lo))
        elif hi is not None:
            kw.update(operator="lessThanOrEqual", formula1=fmt(hi))
        else:
            kw.update(operator="between", formula1=fmt(_INT_SPAN[0]), formula2=fmt(_INT_SPAN[1]))
    elif fd.type == "bool":
        kw.update(type="list", formula1='"是,否"')
    elif fd.type == "choice" and (formula := list_ref or _list_formula(fd.choices or [])):
        kw.update(type="list", formula1=formula)
    elif fd.type == "date":
        kw.update(type="date", operator="greaterThan", formula1="1")
    # Excel turns a typed 95 into 95% in a percent cell, other programs may keep 95:
    # warn instead of refusing, because the reader accepts 95 as 95% anyway.
    style = "warning" if fd.type == "percent" else "stop"
    lines = [hint]
    if fd.blank == "zero":
        lines.append("未发生可留空（按0计）")
    if fd.help:
        lines.append(fd.help)
    if basis:
        lines.append("评分标准：" + basis)
    title = fd.label + (f"（{fd.unit}）" if fd.unit else "")
    return DataValidation(
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=fd.type != "text",
        promptTitle=clip(title, TITLE_MAX),
        prompt=clip("\n".join(lines), PROMPT_MAX),
        errorTitle=clip("填写有误：" + fd.label, TITLE_MAX),
        error=clip(hint, PROMPT_MAX),
        errorStyle=style,
        **kw,  # type: ignore[arg-type]
    )


def needs_list_sheet(fd: FieldDef) -> bool:
    """True when a choice field's options must live in cells rather than inline."""
    return fd.type == "choice" and _list_formula(fd.choices or []) is None


def score_validation(title: str, basis: str, points: Decimal | None, word: str) -> DataValidation:
    """Decimal 0..points for a 自评分 cell, its prompt carrying the item's 评分标准."""
    limit = f"0～{fmt(points)}分" if points is not None else "不小于0"
    return DataValidation(
        type="decimal",
        operator="between" if points is not None else "greaterThanOrEqual",
        formula1="0",
        formula2=fmt(points) if points is not None else None,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle=clip(title, TITLE_MAX),
        prompt=clip(f"{word}（{limit}）。评分标准：{basis}", PROMPT_MAX),
        errorTitle="自评分有误",
        error=clip(f"{word}，范围 {limit}", PROMPT_MAX),
    )
