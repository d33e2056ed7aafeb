"""A workbook as the readers see it: raw grids with exact, absolute cell positions.

:class:`SheetGrid` is one sheet's values (``rows[i][j]`` is the cell at zero-based
row i, column j), its merged ranges and hidden rows; :class:`WorkbookData` is a
whole input file. :mod:`safescore.inputs.workbook` fills them from any input file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

Kind = Literal["xlsx", "xls", "csv", "ods"]
# Given the names of a workbook's worksheets (in order), the ones to read; None reads all.
SheetSelect = Callable[[list[str]], Collection[str] | None]

_MERGED_INDEX_ROWS = 100_000  # rows covered by merged ranges that are indexed for merged_value
_MERGED_INDEX_CELLS = 20_000  # below this many covered cells they are indexed cell by cell


@dataclass
class SheetGrid:
    """One sheet's raw values; ``rows[i][j]`` is the cell at absolute zero-based (i, j)."""

    name: str
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden: bool = False
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)
    _n_cols: int = field(default=0, init=False, repr=False, compare=False)
    _n_cols_key: tuple[int, int] | None = field(default=None, init=False, repr=False, compare=False)
    # merged ranges indexed for merged_value: covered cell -> top-left, or by row, or neither
    _merged_cells: dict[tuple[int, int], tuple[int, int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _merged_index: dict[int, list[tuple[int, int, int, int]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _merged_key: tuple[int, int] | None = field(default=None, init=False, repr=False, compare=False)
    # results of pure functions of this grid (header searches), so each runs once per sheet
    memo: dict[object, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def value(self, r: int, c: int) -> object:
        """The raw value at (r, c); None when empty or outside the grid."""
        if 0 <= r < len(self.rows):
            row = self.rows[r]
            if 0 <= c < len(row):
                return row[c]
        return None

    def merged_value(self, r: int, c: int) -> object:
        """Value of the merged range's top-left cell if (r, c) is merged, else value(r, c).

        Where ranges overlap (a hostile file), the first in ``merged`` order wins.
        """
        merged = self.merged
        if merged:
            if self._merged_key != (len(merged), id(merged)):
                self._index_merged()
            cells = self._merged_cells
            if cells is not None:
                r, c = cells.get((r, c), (r, c))
            else:
                by_row = self._merged_index
                for r1, c1, r2, c2 in by_row.get(r, ()) if by_row is not None else merged:
                    if r1 <= r <= r2 and c1 <= c <= c2:
                        r, c = r1, c1
                        break
        rows = self.rows
        if 0 <= r < len(rows):
            row = rows[r]
            if 0 <= c < len(row):
                return row[c]
        return None

    def _index_merged(self) -> None:
        """Index the merged ranges once (again if ``merged`` was changed): by covered cell when
        they cover few cells, else by row when they cover few rows, else not at all (a hostile
        A1:XFD1048576 is scanned, not indexed)."""
        merged = self.merged
        cells: dict[tuple[int, int], tuple[int, int]] | None = None
        by_row: dict[int, list[tuple[int, int, int, int]]] | None = None
        spans = [(max(0, r2 - r1 + 1), max(0, c2 - c1 + 1)) for r1, c1, r2, c2 in merged]
        if sum(h * w for h, w in spans) <= _MERGED_INDEX_CELLS:
            cells = {}
            for r1, c1, r2, c2 in merged:
                top = (r1, c1)
                for rr in range(r1, r2 + 1):
                    for cc in range(c1, c2 + 1):
                        cells.setdefault((rr, cc), top)  # the first range covering a cell wins
        elif sum(h for h, _ in spans) <= _MERGED_INDEX_ROWS:
            by_row = {}
            for rng in merged:
                for rr in range(rng[0], rng[2] + 1):
                    by_row.setdefault(rr, []).append(rng)
        self._merged_cells, self._merged_index = cells, by_row
        self._merged_key = (len(merged), id(merged))

    def block(self, n_rows: int, n_cols: int) -> list[list[object]]:
        """The top-left ``n_rows`` x ``n_cols`` values with merges followed (``merged_value`` of
        each cell), built row by row rather than cell by cell."""
        rows = self.rows
        out = [(row[:n_cols] + [None] * (n_cols - len(row))) for row in rows[:n_rows]]
        out += [[None] * n_cols for _ in range(n_rows - len(out))]
        done: set[tuple[int, int]] = set()
        for r1, c1, r2, c2 in self.merged:
            if r1 >= n_rows or c1 >= n_cols or r2 < r1 or c2 < c1:
                continue
            top = self.value(r1, c1)
            for rr in range(max(0, r1), min(r2, n_rows - 1) + 1):
                for cc in range(max(0, c1), min(c2, n_cols - 1) + 1):
                    if (rr, cc) not in done:  # the first range covering a cell wins
                        done.add((rr, cc))
                        out[rr][cc] = top
        return out

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        # Header search asks for this per row; the grid is not changed once read.
        key = (len(self.rows), id(self.rows))
        if self._n_cols_key != key:
            self._n_cols = max((len(row) for row in self.rows), default=0)
            self._n_cols_key = key
        return self._n_cols


@dataclass
class WorkbookData:
    """A whole input file: its real kind, its readable sheets and its own modified time."""

    path: Path
    kind: Kind
    sheets: list[SheetGrid]
    modified: float | None = None
    skipped: tuple[str, ...] = ()  # worksheets left unread because a ``select`` did not ask for them

    def sheet(self, name: str) -> SheetGrid | None:
        """The sheet called ``name``, or None."""
        return next((s for s in self.sheets if s.name == name), None)


@lru_cache(maxsize=1 << 16)
def cell_name(r: int, c: int) -> str:
    """Absolute zero-based (row, col) -> 'A1' style; (0, 26) -> 'AA1'."""
    letters = ""
    n = c + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"
