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
        """Value of the merged range's top-left cell if (r, c) is merged, else value(r, c)."""
        if self.merged:
            by_row = self._merged_by_row()
            for r1, c1, r2, c2 in by_row.get(r, ()) if by_row is not None else self.merged:
                if r1 <= r <= r2 and c1 <= c <= c2:
                    return self.value(r1, c1)
        return self.value(r, c)

    def _merged_by_row(self) -> dict[int, list[tuple[int, int, int, int]]] | None:
        """Merged ranges by the rows they cover (in ``merged`` order), built once; None when
        they cover too many rows to index (a hostile A1:A1048576), so they are scanned."""
        key = (len(self.merged), id(self.merged))
        if self._merged_key != key:
            index: dict[int, list[tuple[int, int, int, int]]] | None = {}
            if sum(max(0, r2 - r1 + 1) for r1, _, r2, _ in self.merged) > _MERGED_INDEX_ROWS:
                index = None
            else:
                for rng in self.merged:
                    for rr in range(rng[0], rng[2] + 1):
                        index.setdefault(rr, []).append(rng)  # type: ignore[union-attr]
            self._merged_index, self._merged_key = index, key
        return self._merged_index

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
