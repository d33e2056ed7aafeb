"""What every sheet scan shares: the scan result, the caps it enforces, cell references, CSV.

The scans (:mod:`._xlsx_scan` for OOXML/ODS XML, :mod:`._xls_biff` for legacy .xls,
:func:`csv_rows` here) measure a sheet before python-calamine allocates its dense
grid, and raise :class:`TooLarge` at the first cap of
:func:`safescore.limits.input_limits` exceeded.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from safescore.limits import InputLimits, input_limits

MERGED_CAP = "上限 {}（SAFESCORE_MAX_MERGED）"
# Longer than Excel allows on purpose: calamine takes rows up to 4294967295 at their word, so
# A4294967295 must count as that far away, not as unreadable (it asked for 275 GB).
_REF_RE = re.compile(r"^\$?([A-Za-z]{1,8})\$?(\d{1,12})$")
_COLS: dict[str, int] = {}


class TooLarge(Exception):
    """A file or sheet beyond a cap of :class:`~safescore.limits.InputLimits`.

    ``code`` is the problem code (``file-too-large`` or ``sheet-too-large``);
    ``detail`` completes the reader's message, ``value`` is what was seen.
    """

    def __init__(
        self, code: str, detail: str, value: str, expected: str, sheet: str | None = None, cap: str = ""
    ):
        # str() names the cap exceeded: readers that know nothing of TooLarge still say why
        super().__init__(f"{detail}，超过{cap}" if cap else detail)
        self.code, self.detail, self.value, self.expected, self.sheet = code, detail, value, expected, sheet


class Encrypted(Exception):
    """A legacy .xls protected by a password (a FILEPASS record in its globals)."""


@dataclass
class SheetScan:
    """What one sheet's XML says beyond plain values, and how far its cells reach."""

    hidden_rows: set[int] = field(default_factory=set)
    uncached: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    max_row: int = -1
    max_col: int = -1

    @property
    def n_cells(self) -> int:
        """Cells of the grid padded from A1, as calamine (and the reader) will allocate it."""
        return (self.max_row + 1) * (self.max_col + 1)


def sheet_too_large(lim: InputLimits, sheet: str | None, rows: int, cols: int) -> TooLarge:
    """The TooLarge for a rows x cols grid, naming the first cap it exceeds."""
    detail = f"有 {rows} 行 × {cols} 列（共 {rows * cols} 个单元格）"
    if rows > lim.rows:
        cap = f"上限 {lim.rows} 行（SAFESCORE_MAX_ROWS）"
    elif cols > lim.cols:
        cap = f"上限 {lim.cols} 列（SAFESCORE_MAX_COLS）"
    else:
        cap = f"上限 {lim.cells} 个单元格（SAFESCORE_MAX_CELLS）"
    return TooLarge("sheet-too-large", detail, f"{rows}x{cols}", lim.sheet_expected(), sheet, cap)


def too_many(lim: InputLimits, sheet: str | None, n: int, what: str, cap: str) -> TooLarge:
    """The TooLarge for more than ``n - 1`` elements of one kind (merged ranges, hidden rows...)."""
    return TooLarge(
        "sheet-too-large", f"有超过 {n - 1} 个{what}", f"{n} {what}", lim.sheet_expected(), sheet, cap
    )


def exceeds(lim: InputLimits, rows: int, cols: int) -> bool:
    """True if a rows x cols grid (padded from A1) is beyond a row, column or cell cap."""
    return rows > lim.rows or cols > lim.cols or rows * cols > lim.cells


def check_extent(scan: SheetScan, lim: InputLimits, sheet: str | None = None) -> None:
    """Raise TooLarge if the sheet's padded grid exceeds a row, column or cell cap."""
    rows, cols = scan.max_row + 1, scan.max_col + 1
    if exceeds(lim, rows, cols):
        raise sheet_too_large(lim, sheet, rows, cols)


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'C3' -> (2, 2) zero-based; None if not a cell reference."""
    m = _REF_RE.match(ref.strip())
    if not m:
        return None
    col = col_index(m.group(1).upper())
    if len(_COLS) < 20_000:
        _COLS[m.group(1).upper()] = col
    return int(m.group(2)) - 1, col


def col_index(letters: str) -> int:
    """'A' -> 0, 'AA' -> 26 (upper-case letters)."""
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col - 1


def cell_pos(ref: str) -> tuple[int, int] | None:
    """:func:`parse_ref` for the hot path: column letters memoised, anything unusual parsed strictly."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    col = _COLS.get(letters)
    if col is None or not digits or len(digits) > 7:
        return parse_ref(ref)
    return int(digits) - 1, col


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """'A2:C3' (or reversed, 'C3:A2') -> (r1, c1, r2, c2) normalised; None if unreadable."""
    first, _, last = ref.partition(":")
    a = parse_ref(first)
    b = parse_ref(last) if last else a
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def csv_rows(
    text: str, dialect: Any, lim: InputLimits | None = None, sheet: str | None = None
) -> list[list[object]]:
    """Rows of a CSV text (empty fields as None), refused with TooLarge past a row, column or cell cap.

    Read row by row, so a file of a hundred million empty lines is refused after
    ``lim.rows`` of them instead of becoming a hundred million lists.
    """
    lim = lim or input_limits()
    rows: list[list[object]] = []
    width = 0
    for row in csv.reader(io.StringIO(text), dialect):
        width = max(width, len(row))
        if len(rows) >= lim.rows or width > lim.cols or (len(rows) + 1) * width > lim.cells:
            raise sheet_too_large(lim, sheet, len(rows) + 1, width)
        rows.append([v if v != "" else None for v in row])
    return rows
