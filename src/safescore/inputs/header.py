"""Find a header row among a sheet's first rows and map its columns.

Offices' sheets have title rows, 填报说明 lines and merged two-row headers above
the data. The header is the row (within the first ``HEADER_SCAN_ROWS``) whose
cells match the most known labels; a cell left empty by a vertical merge takes
the merged value, and a column whose cell is empty looks up to the nearest
non-empty cell above it inside the header block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from safescore.inputs.clean import normalize_label
from safescore.inputs.workbook import SheetGrid

HEADER_SCAN_ROWS = 10
UNIT_HEADERS = (
    "单位",
    "单位名称",
    "被考核单位",
    "填报单位",
    "考核单位",
    "被考评单位",
    "责任单位",
    "部门",
    "街道",
    "企业名称",
    "单位(企业)名称",
)
UNIT_KEYS = frozenset(normalize_label(h) for h in UNIT_HEADERS)


@dataclass(frozen=True)
class Header:
    row: int  # absolute zero-based row of the header
    unit_col: int | None
    columns: dict[int, str]  # column index → key returned by the matcher
    texts: dict[int, str]  # column index → header text as written


def header_text(sheet: SheetGrid, r: int, c: int, top: int) -> str:
    """Text of a header cell, following merges and looking upward within the block."""
    v = sheet.merged_value(r, c)
    rr = r
    while (v is None or str(v).strip() == "") and rr > top:
        rr -= 1
        v = sheet.merged_value(rr, c)
    return "" if v is None else str(v)


def find_header(sheet: SheetGrid, match: Callable[[str], str | None], min_matches: int = 1) -> Header | None:
    """Best header row: the one whose cells ``match`` the most keys (ties: the earliest).

    ``match`` receives a normalised label and returns a key or None.
    """
    best: Header | None = None
    best_score = 0
    n_rows = min(sheet.n_rows, HEADER_SCAN_ROWS)
    n_cols = sheet.n_cols
    # The scanned rows' values, merges followed, each looked up once (header_text, inlined).
    top = sheet.block(n_rows, n_cols)
    # Each distinct cell text is normalised and matched once: the upward look repeats them.
    seen: dict[str, tuple[str, str | None]] = {}
    for r in range(n_rows):
        columns: dict[int, str] = {}
        texts: dict[int, str] = {}
        unit_col = None
        floor = max(0, r - 3)
        for c in range(n_cols):
            v = top[r][c]
            rr = r
            while (v is None or (v.strip() if v.__class__ is str else str(v).strip()) == "") and rr > floor:
                rr -= 1
                v = top[rr][c]
            if v is None:
                continue
            text = v if isinstance(v, str) else str(v)
            if not text:
                continue
            got = seen.get(text)
            if got is None:
                key = normalize_label(text)
                got = seen[text] = (key, match(key))
            key, hit = got
            if unit_col is None and key in UNIT_KEYS:
                unit_col = c
                texts[c] = text
                continue
            if hit is not None and hit not in columns.values():
                columns[c] = hit
                texts[c] = text
        score = len(columns)
        if score > best_score:
            best, best_score = Header(r, unit_col, columns, texts), score
    if best is None or best_score < min_matches:
        return None
    return best


def data_start(sheet: SheetGrid, header: Header) -> int:
    """First data row: after the header and any header rows merged down from it."""
    start = header.row + 1
    for r1, _c1, r2, _c2 in sheet.merged:
        if r1 <= header.row < r2:
            start = max(start, r2 + 1)
    return start
