"""The byte-level fast path of the worksheet scan: extents of plain-value sheets without parsing.

A worksheet that needs no real parsing (no formulas, hidden rows, error values,
prefixed tags, DOCTYPE/CDATA/comments, UTF-16) only needs its extents, which byte
regexes give much faster than expat. Anything unusual returns None, and the
caller parses the sheet with expat (:func:`safescore.inputs._xlsx_scan.scan_sheet`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from safescore.inputs._scan_base import MERGED_CAP, SheetScan, col_index, too_many
from safescore.limits import InputLimits

# Anything that may need real parsing: formulas, hidden rows, error values,
# prefixed tags, DOCTYPE/CDATA/comments. A false positive only costs speed.
_NEEDS_PARSE = (b":c", b"hidden", b'"e"', b"'e'", b"<!")
# a formula element (<f>, <f t=...>, <x:f>), but not data validations' <formula1>/<formula2>
_FORMULA_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s/>]")
_CELL_START_RE = re.compile(rb"<c[\s/>]")
_CELL_ROW_RE = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_CELL_COL_RE = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')


_CHUNK = 1 << 22


def _chunks(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) slices of about 4 MB, each cut just before a '<': no tag match straddles two."""
    pos, n = 0, len(data)
    while pos < n:
        end = min(n, pos + _CHUNK)
        if end < n:
            cut = data.find(b"<", end)
            end = n if cut < 0 else cut
        yield pos, end
        pos = end


def fast_scan(data: bytes, lim: InputLimits, sheet: str | None) -> SheetScan | None:
    # Plain-value sheets only need their extents. Every cell start must be a plain
    # <c r="A1" or the full parse runs: no cell may slip past the size guard.
    # Chunked, so millions of cells never become millions of objects at once.
    # UTF-16 (NUL bytes) hides every ASCII marker from a byte search: expat decodes it.
    if b"\x00" in data or any(marker in data for marker in _NEEDS_PARSE) or _FORMULA_RE.search(data):
        return None
    merges = data.count(b"mergeCell") - data.count(b"mergeCells")  # any prefix; not <mergeCells>
    if merges > lim.merged:
        raise too_many(lim, sheet, merges, "合并区域", MERGED_CAP.format(lim.merged))
    scan = SheetScan()
    n_refs = starts = 0
    cols: set[bytes] = set()
    for a, b in _chunks(data):
        rows = _CELL_ROW_RE.findall(data, a, b)
        if rows:
            n_refs += len(rows)
            scan.max_row = max(scan.max_row, max(map(int, rows)) - 1)
            cols.update(_CELL_COL_RE.findall(data, a, b))
            scan.max_col = max(col_index(col.decode()) for col in cols)
        del rows
        starts += len(_CELL_START_RE.findall(data, a, b))
        if n_refs != starts:
            return None
        if scan.n_cells > lim.cells:
            return scan  # refused by the reader's cell check whatever follows
        if n_refs > lim.cells:  # the same cells written over and over
            raise too_many(lim, sheet, n_refs, "单元格元素", f"上限 {lim.cells}（SAFESCORE_MAX_CELLS）")
    return scan
