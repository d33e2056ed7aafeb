"""Safe scans of OOXML/ODS parts, for what python-calamine does not expose or guard.

calamine gives values and merged ranges but not hidden rows, formulas without a
cached value, or Excel error values (it turns ``#DIV/0!`` into ``''``). It also
allocates a dense grid from A1 to the last cell, so a two-cell sheet (A1 and
XFD1048576) makes it request 550 GB and abort the process: sheet extents are
therefore measured here before calamine is asked for a sheet.

calamine also builds a legacy .xls sheet's dense grid as soon as the file is
opened, so :func:`check_xls` (:mod:`._xls_biff`) walks the BIFF records for the
same extents first; :func:`csv_rows` (:mod:`._scan_base`) reads CSV under the
same caps. Plain-value worksheets are measured by byte regexes
(:mod:`._xlsx_fast`), everything else by expat here. This is the only module
that parses XML (tests/test_hostile_corpus.py lists the parse sites); the others
are re-exported from it.

XML is parsed with expat whose DTD handlers raise, the same handlers as
defusedxml's ``DefusedExpatParser(forbid_dtd=True)``, and :class:`UnsafeXml` is a
``defusedxml.DefusedXmlException``: entity bombs and external entities are
refused, never expanded. Every other part of a package (which only calamine
reads) gets a prolog check first (:mod:`._xlsx_zip`). Parse sites are listed in docs/hostile-inputs.md.

Sizes are capped by :func:`safescore.limits.input_limits` (``SAFESCORE_MAX_*``):
the scans stop at the first cap exceeded and raise :class:`TooLarge`, so a hostile
sheet costs bounded memory and time before it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from xml.parsers import expat

from defusedxml import DefusedXmlException

from safescore.inputs._scan_base import (
    MERGED_CAP,
    Encrypted,
    SheetScan,
    TooLarge,
    cell_pos,
    check_extent,
    csv_rows,
    exceeds,
    parse_range,
    parse_ref,
    sheet_too_large,
    too_many,
)
from safescore.inputs._xls_biff import OLE_MAGIC as _OLE_MAGIC  # noqa: F401 (tests build .xls with it)
from safescore.inputs._xls_biff import check_xls
from safescore.inputs._xlsx_fast import fast_scan
from safescore.inputs._xlsx_zip import Package, first_unsafe_part, normpath, prolog_is_unsafe, read_part
from safescore.limits import InputLimits, input_limits

__all__ = [
    "Encrypted",
    "SheetScan",
    "TooLarge",
    "UnsafeXml",
    "check_extent",
    "check_xls",
    "collect",
    "core_modified",
    "csv_rows",
    "exceeds",
    "first_unsafe_part",
    "parse_ref",
    "prolog_is_unsafe",
    "safe_parser",
    "scan_ods",
    "scan_sheet",
    "sheet_parts",
]


class UnsafeXml(DefusedXmlException):
    """An XML part declares a DOCTYPE or entities (possible XML bomb / XXE)."""


def _refuse(*_args: object) -> None:
    raise UnsafeXml("DOCTYPE/ENTITY declaration")


def safe_parser() -> expat.XMLParserType:
    """An expat parser that raises UnsafeXml on any DTD or entity declaration.

    The handlers are defusedxml's (forbid_dtd, forbid_entities, forbid_external);
    parameter entities are never parsed, so no external DTD subset is ever fetched.
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    return parser


class _Stop(Exception):
    """Internal: a scan has seen enough to know the sheet is refused."""


def _local(name: str) -> str:
    # Tags may carry any prefix (strict OOXML, hand-written files): match local names.
    return name[name.find(":") + 1 :]


def collect(data: bytes, tags: set[str]) -> list[tuple[str, dict[str, str], str]]:
    """(local tag, attributes, text) of every element named in ``tags``, parsed safely."""
    found: list[tuple[str, dict[str, str], str]] = []
    text: list[str] = []
    parser = safe_parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local in tags:
            found.append((local, attrs, ""))
            text.clear()
            parser.CharacterDataHandler = text.append

    def end(name: str) -> None:
        if _local(name) in tags and found:
            tag, attrs, _ = found[-1]
            found[-1] = (tag, attrs, "".join(text).strip())
            parser.CharacterDataHandler = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return found


def sheet_parts(pkg: Package) -> dict[str, str]:
    """Map sheet names to their worksheet part paths via xl/workbook.xml and its rels."""
    wb = read_part(pkg, "xl/workbook.xml", 20_000_000)
    rels = read_part(pkg, "xl/_rels/workbook.xml.rels", 20_000_000)
    if wb is None or rels is None:
        return {}
    if len(wb) + len(rels) > _PARTS_MEMO_BYTES:
        return _sheet_parts(wb, rels)
    # Returns made from one template share these two parts byte for byte: parse them once.
    hit = _PARTS_MEMO.get((wb, rels))
    if hit is None:
        hit = _sheet_parts(wb, rels)
        if len(_PARTS_MEMO) >= 64:
            _PARTS_MEMO.clear()
        _PARTS_MEMO[(wb, rels)] = hit
    return dict(hit)


_PARTS_MEMO: dict[tuple[bytes, bytes], dict[str, str]] = {}
_PARTS_MEMO_BYTES = 1 << 16


def _sheet_parts(wb: bytes, rels: bytes) -> dict[str, str]:
    targets: dict[str, str] = {}
    for _, attrs, _ in collect(rels, {"Relationship"}):
        target, rid = attrs.get("Target", ""), attrs.get("Id", "")
        # Targets are relative to xl/ unless absolute from the package root.
        targets[rid] = normpath(target if target.startswith("/") else "xl/" + target)
    out: dict[str, str] = {}
    for _, attrs, _ in collect(wb, {"sheet"}):
        rid = next((v for k, v in attrs.items() if k == "id" or k.endswith(":id")), None)
        if "name" in attrs and rid in targets:
            out[attrs["name"]] = targets[rid]
    return out


def core_modified(pkg: Package) -> float | None:
    """docProps/core.xml dcterms:modified as epoch seconds (naive times taken as UTC)."""
    data = read_part(pkg, "docProps/core.xml", 1_000_000)
    found = collect(data, {"modified"}) if data else []
    if not found or not found[0][2]:
        return None
    try:
        stamp = datetime.fromisoformat(found[0][2])
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def scan_sheet(data: bytes, lim: InputLimits | None = None, sheet: str | None = None) -> SheetScan:
    """Scan one worksheet XML: a byte-level fast path, else a full expat parse.

    Raises UnsafeXml for a DTD, expat.ExpatError for malformed XML, and TooLarge
    (as soon as it is known) for more rows, columns, cell elements or merged ranges
    than ``lim`` (default: :func:`~safescore.limits.input_limits`) allows. A grid
    padded beyond ``lim.cells`` stops the scan early and is returned as far as it
    got: its ``n_cells`` already tells the reader to refuse it.
    """
    lim = lim or input_limits()
    scan = fast_scan(data, lim, sheet) or _expat_scan(data, lim, sheet)
    if scan.n_cells <= lim.cells:  # beyond it the reader's own cell check refuses the sheet
        check_extent(scan, lim, sheet)
    return scan


def _expat_scan(data: bytes, lim: InputLimits, sheet: str | None) -> SheetScan:
    scan = SheetScan()
    parser = safe_parser()
    row_idx = col = -1
    pos = (0, 0)
    kind: str | None = None
    formula = has_v = False
    text: list[str] = []
    n_cells = 0
    max_rows, max_cols, max_cells = lim.rows, lim.cols, lim.cells
    locals_: dict[str, str] = {}  # tag -> local name: a few distinct tags, millions of elements

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_idx, col, pos, kind, formula, has_v, n_cells
        local = locals_.get(name)
        if local is None:
            local = locals_[name] = _local(name)
        if local == "c":
            ref = attrs.get("r")
            if ref is None:
                pos = (row_idx, col + 1)  # no r: the next cell in the row
            else:
                got = cell_pos(ref)
                if got is None:  # an r the scan cannot place could be placed anywhere by calamine
                    raise ValueError(f"单元格引用无效：{ref[:40]}")
                pos = got
            col = pos[1]
            kind, formula, has_v = attrs.get("t"), False, False
            text.clear()
            n_cells += 1
            if pos[0] > scan.max_row or pos[1] > scan.max_col:
                scan.max_row = max(scan.max_row, pos[0])
                scan.max_col = max(scan.max_col, pos[1])
                rows, cols = scan.max_row + 1, scan.max_col + 1
                if rows * cols > max_cells:
                    raise _Stop
                if rows > max_rows or cols > max_cols:
                    raise sheet_too_large(lim, sheet, rows, cols)
            elif n_cells > max_cells:  # the same cells written over and over
                raise too_many(lim, sheet, n_cells, "单元格元素", f"上限 {max_cells}（SAFESCORE_MAX_CELLS）")
        elif local == "f":
            formula = True
        elif local == "v":
            has_v = True
            if formula or kind == "e":
                parser.CharacterDataHandler = text.append
        elif local == "row":
            r = attrs.get("r", "")
            row_idx = int(r) - 1 if r.isdecimal() else row_idx + 1
            col = -1
            if attrs.get("hidden") in ("1", "true") and row_idx < max_rows:  # beyond it no cell is read
                scan.hidden_rows.add(row_idx)
        elif local == "mergeCell":
            rng = parse_range(attrs.get("ref", ""))
            if rng:
                if len(scan.merged) >= lim.merged:
                    raise too_many(
                        lim, sheet, len(scan.merged) + 1, "合并区域", MERGED_CAP.format(lim.merged)
                    )
                scan.merged.append(rng)

    def end(name: str) -> None:
        local = locals_.get(name)
        if local is None:
            local = locals_[name] = _local(name)
        if local == "v":
            parser.CharacterDataHandler = None
        elif local == "c" and (formula or kind == "e"):
            value = "".join(text).strip()
            # <f> with no <v>, or an empty <v/> (openpyxl writes that), was never
            # calculated; an empty cached *string* result (t="str") is a real value.
            if formula and (not has_v or (not value and kind not in ("str", "inlineStr"))):
                scan.uncached.add(pos)
            if kind == "e" and value:
                scan.errors[pos] = value[:64]

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Stop:
        pass
    return scan


def scan_ods(data: bytes, lim: InputLimits | None = None) -> dict[str, SheetScan]:
    """Extents, merges and hidden rows of each table in an ODS content.xml.

    Repeat attributes make a few bytes stand for a million cells, so they count.
    calamine loads every table when it opens the file, so the reader refuses the
    whole file for one oversized table (see :func:`check_extent`). More merged or
    hidden-row elements than ``lim`` allows raise TooLarge.
    """
    lim = lim or input_limits()
    tables: dict[str, SheetScan] = {}
    scan = SheetScan()
    hidden: list[tuple[int, int]] = []
    row = rows_rep = col = 0
    cell: list[int] = []  # [start col, repeat, non-empty] of the open cell
    table = ""

    def attr(attrs: dict[str, str], name: str, default: str = "") -> str:
        return next((v for k, v in attrs.items() if _local(k) == name), default)

    def num(attrs: dict[str, str], name: str) -> int:
        value = attr(attrs, name, "1")
        return max(1, int(value)) if value.isdecimal() else 1

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal scan, hidden, row, rows_rep, col, table
        local = _local(name)
        if local == "table":
            scan, hidden, row = SheetScan(), [], 0
            table = attr(attrs, "name")
            tables[table] = scan
        elif local == "table-row":
            rows_rep, col = num(attrs, "number-rows-repeated"), 0
            if attr(attrs, "visibility") in ("collapse", "filter"):
                if len(hidden) >= lim.rows:
                    raise too_many(
                        lim, table, len(hidden) + 1, "隐藏行", f"上限 {lim.rows}（SAFESCORE_MAX_ROWS）"
                    )
                hidden.append((row, rows_rep))
        elif local in ("table-cell", "covered-table-cell"):
            rep = num(attrs, "number-columns-repeated")
            cell[:] = [col, rep, int(bool(attr(attrs, "value-type")))]
            span_r, span_c = num(attrs, "number-rows-spanned"), num(attrs, "number-columns-spanned")
            if span_r > 1 or span_c > 1:
                if len(scan.merged) >= lim.merged:
                    raise too_many(
                        lim, table, len(scan.merged) + 1, "合并区域", MERGED_CAP.format(lim.merged)
                    )
                scan.merged.append((row, col, row + span_r - 1, col + span_c - 1))
            col += rep
        elif cell:
            cell[2] = 1  # any child (text:p ...) makes the cell non-empty

    def end(name: str) -> None:
        nonlocal row
        local = _local(name)
        if local in ("table-cell", "covered-table-cell") and cell:
            if cell[2]:
                scan.max_col = max(scan.max_col, cell[0] + cell[1] - 1)
                scan.max_row = max(scan.max_row, row + rows_rep - 1)
            cell.clear()
        elif local == "table-row":
            row += rows_rep
        elif local == "table":
            for first, rep in hidden:  # only rows that can hold data: repeats are unbounded
                scan.hidden_rows.update(range(first, min(first + rep, scan.max_row + 1)))

    parser = safe_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return tables


ScanFn = Callable[[str], SheetScan | None]
