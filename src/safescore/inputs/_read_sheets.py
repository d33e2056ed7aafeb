"""Sheets through python-calamine, each measured first (calamine allocates the whole grid)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import python_calamine as pc

from safescore.inputs import _xlsx_scan as xs
from safescore.inputs._read_errors import Refused, problem, too_large
from safescore.inputs.grid import SheetGrid, SheetSelect, cell_name
from safescore.problems import Report


def read_calamine(
    path: Path,
    max_cells: int,
    report: Report,
    scan: xs.ScanFn | None,
    select: SheetSelect | None,
    data: bytes | None = None,
) -> tuple[list[SheetGrid], tuple[str, ...]]:
    """The worksheets of the file (``select`` chooses which), and the names of those left unread.

    ``scan(sheet)`` measures a sheet before calamine parses it; ``data`` is the
    file's bytes when the reader already holds them.
    """
    with io.BytesIO(data) if data is not None else path.open("rb") as fh:
        try:
            wb = pc.CalamineWorkbook.from_filelike(fh)  # sniffs content; from_path trusts the extension
        except pc.PasswordError:
            raise Refused("file-encrypted") from None
        except pc.CalamineError as exc:
            raise Refused("file-corrupt", exc) from None
        with wb:
            # chart/dialog/macro sheets hold no cells
            metas = [meta for meta in wb.sheets_metadata if meta.typ == pc.SheetTypeEnum.WorkSheet]
            chosen = select([meta.name for meta in metas]) if select is not None else None
            sheets = [
                _read_sheet(path, wb, meta, max_cells, report, scan)
                for meta in metas
                if chosen is None or meta.name in chosen
            ]
            skipped = tuple(meta.name for meta in metas if chosen is not None and meta.name not in chosen)
    return [s for s in sheets if s is not None], skipped


def _read_sheet(
    path: Path, wb: Any, meta: Any, max_cells: int, report: Report, scan: xs.ScanFn | None
) -> SheetGrid | None:
    name = meta.name
    try:
        info = scan(name) if scan else None
        # calamine allocates the whole rectangle up front (and aborts the process
        # if it cannot), so the XML's own extents are checked before asking it.
        if info is not None and info.n_cells > max_cells:
            report.add(too_large(path, name, info.n_cells, max_cells))
            return None
        sheet = wb.get_sheet_by_name(name)
        end = sheet.end
        padded = (end[0] + 1) * (end[1] + 1) if end is not None else 0  # the grid is padded from A1
        if padded > max_cells:
            report.add(too_large(path, name, padded, max_cells))
            return None
        raw = sheet.to_python(skip_empty_area=False) if end is not None else []
        merged_raw = sheet.merged_cell_ranges
    except (KeyboardInterrupt, SystemExit, xs.UnsafeXml):
        raise  # a hostile part refuses the whole file
    except xs.TooLarge as exc:  # rows, columns, cells or merged ranges beyond SAFESCORE_MAX_*
        report.add(
            problem(path, "sheet-too-large", exc.detail, sheet=name, value=exc.value, expected=exc.expected)
        )
        return None
    except BaseException as exc:  # malformed XML, a calamine error or panic: skip this sheet only
        report.add(problem(path, "sheet-unreadable", f"{type(exc).__name__}: {exc}"[:200], sheet=name))
        return None
    rows: list[list[object]] = [[None if v == "" else v for v in row] for row in raw]
    if info is not None:
        for (r, c), text in info.errors.items():  # calamine turns error values into ''
            rows.extend([] for _ in range(r + 1 - len(rows)))
            rows[r].extend([None] * (c + 1 - len(rows[r])))
            rows[r][c] = text
    merged = [(a[0], a[1], b[0], b[1]) for a, b in merged_raw] if merged_raw is not None else []
    backwards = [m for m in merged if m[0] > m[2] or m[1] > m[3]]
    if backwards:
        # Excel never writes C3:A2; such a range in a hostile file may cover the whole sheet
        # (XFD1048576:A1), so it is not used, and the office is told
        merged = [m for m in merged if m not in backwards]
        first = f"{cell_name(backwards[0][0], backwards[0][1])}:{cell_name(backwards[0][2], backwards[0][3])}"
        report.add(
            problem(
                path,
                "merged-range-reversed",
                f"{len(backwards)} 个合并区域（如 {first}）",
                severity="warning",
                sheet=name,
                value=first,
                expected="起始单元格在左上、结束单元格在右下的合并区域（如 A2:C3）",
            )
        )
    if merged_raw is None and info is not None:
        merged = list(info.merged)
    return SheetGrid(
        name=name,
        rows=rows,
        merged=sorted(merged),
        hidden_rows=set(info.hidden_rows) if info else set(),
        hidden=meta.visible != pc.SheetVisibleEnum.Visible,
        uncached_formulas=set(info.uncached) if info else set(),
    )
