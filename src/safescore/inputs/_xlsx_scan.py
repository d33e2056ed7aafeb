"""Safe scans of OOXML/ODS parts, for what python-calamine does not expose or guard.

calamine gives values and merged ranges but not hidden rows, formulas without a
cached value, or Excel error values (it turns ``#DIV/0!`` into ``''``). It also
allocates a dense grid from A1 to the last cell, so a two-cell sheet (A1 and
XFD1048576) makes it request 550 GB and abort the process: sheet extents are
therefore measured here before calamine is asked for a sheet.

calamine also builds a legacy .xls sheet's dense grid as soon as the file is
opened, so :func:`check_xls` walks the BIFF records for the same extents first;
:func:`csv_rows` reads CSV under the same caps.

XML is parsed with expat whose DTD handlers raise, the same handlers as
defusedxml's ``DefusedExpatParser(forbid_dtd=True)``, and :class:`UnsafeXml` is a
``defusedxml.DefusedXmlException``: entity bombs and external entities are
refused, never expanded. Every other part of a package (which only calamine
reads) gets a prolog check first. Parse sites are listed in docs/hostile-inputs.md.

Sizes are capped by :func:`safescore.limits.input_limits` (``SAFESCORE_MAX_*``):
the scans stop at the first cap exceeded and raise :class:`TooLarge`, so a hostile
sheet costs bounded memory and time before it is refused.
"""

from __future__ import annotations

import csv
import html
import io
import re
import struct
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from defusedxml import DefusedXmlException

from safescore.limits import InputLimits, input_limits

_PROLOG_LIMIT = 1 << 20
_MERGED_CAP = "上限 {}（SAFESCORE_MAX_MERGED）"
# Longer than Excel allows on purpose: calamine takes rows up to 4294967295 at their word, so
# A4294967295 must count as that far away, not as unreadable (it asked for 275 GB).
_REF_RE = re.compile(r"^\$?([A-Za-z]{1,8})\$?(\d{1,12})$")
_COLS: dict[str, int] = {}


class UnsafeXml(DefusedXmlException):
    """An XML part declares a DOCTYPE or entities (possible XML bomb / XXE)."""


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


def _sheet_too_large(lim: InputLimits, sheet: str | None, rows: int, cols: int) -> TooLarge:
    detail = f"有 {rows} 行 × {cols} 列（共 {rows * cols} 个单元格）"
    if rows > lim.rows:
        cap = f"上限 {lim.rows} 行（SAFESCORE_MAX_ROWS）"
    elif cols > lim.cols:
        cap = f"上限 {lim.cols} 列（SAFESCORE_MAX_COLS）"
    else:
        cap = f"上限 {lim.cells} 个单元格（SAFESCORE_MAX_CELLS）"
    return TooLarge("sheet-too-large", detail, f"{rows}x{cols}", lim.sheet_expected(), sheet, cap)


def _too_many(lim: InputLimits, sheet: str | None, n: int, what: str, cap: str) -> TooLarge:
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
        raise _sheet_too_large(lim, sheet, rows, cols)


class _Stop(Exception):
    """Internal: a scan has seen enough to know the sheet is refused."""


def _local(name: str) -> str:
    # Tags may carry any prefix (strict OOXML, hand-written files): match local names.
    return name[name.find(":") + 1 :]


def prolog_is_unsafe(stream: IO[bytes], limit: int = _PROLOG_LIMIT) -> bool:
    """True if the XML prolog declares a DOCTYPE/ENTITY (or is absurdly long).

    A DOCTYPE may only come before the root element, but comments and PIs may
    precede it, so the prolog is walked rather than sniffing the first bytes.
    """
    return _prolog(stream, limit)[0]


def _prolog(stream: IO[bytes], limit: int = _PROLOG_LIMIT) -> tuple[bool, bytes]:
    """(unsafe, the first bytes of the root element) of an XML part; see prolog_is_unsafe."""
    buf = stream.read(65536)
    utf16 = buf.startswith((b"\xff\xfe", b"\xfe\xff"))

    def more() -> bool:
        nonlocal buf
        chunk = stream.read(65536) if len(buf) < limit else b""
        buf += chunk
        return bool(chunk)

    if utf16:
        buf = buf[2:].replace(b"\x00", b"")  # markup is ASCII: drop the UTF-16 NULs
    pos = 0
    while True:
        while len(buf) - pos < 16 and not utf16 and more():
            pass
        while pos < len(buf) and buf[pos] in b" \t\r\n":
            pos += 1
        if buf.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
            continue
        if buf.startswith((b"<?", b"<!--"), pos):
            mark = b"?>" if buf.startswith(b"<?", pos) else b"-->"
            end = buf.find(mark, pos + 2)
            while end < 0 and not utf16 and more():
                end = buf.find(mark, pos + 2)
            if end < 0:
                return len(buf) >= limit, b""  # a prolog this long is itself hostile
            pos = end + len(mark)
            continue
        return buf.startswith(b"<!", pos), buf[pos : pos + 4096]


_SST_ROOT = re.compile(rb"<(?:[\w.-]+:)?sst[\s/>]")
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _check_shared_strings(info: zipfile.ZipInfo, root: bytes) -> None:
    """calamine reserves room for ``<sst uniqueCount>`` strings before reading one: 4294967295
    asked it for 103 GB and aborted the process. Each string takes at least 5 bytes (``<si/>``),
    so a count the part cannot hold is a lie: ValueError (the file is refused as corrupt)."""
    if not _SST_ROOT.match(root):
        return
    tag = root[: root.find(b">") + 1 or len(root)]
    for m in _UNIQUE_COUNT.finditer(tag):
        text = html.unescape((m.group(1) or m.group(2) or b"").decode("utf-8", "replace")).strip()
        if text.isdecimal() and int(text) > info.file_size // 5 + 1:
            raise ValueError(f"{info.filename} 声明 {text} 个共享字符串，但它只有 {info.file_size} 字节")


def first_unsafe_part(zf: zipfile.ZipFile, skip: Collection[str] = ()) -> str | None:
    """Name of the first part (not in ``skip``) whose prolog declares a DOCTYPE/ENTITY.

    Every part is checked whatever its name: relationships may point calamine at a
    part called ``strings.bin``. Binary parts (images) never start with ``<!``.
    A shared-strings part claiming more strings than it can hold raises ValueError.
    """
    for info in zf.infolist():
        if info.filename in skip or info.is_dir():
            continue
        with zf.open(info) as fh:
            unsafe, root = _prolog(fh)
        if unsafe:
            return info.filename
        _check_shared_strings(info, root)
    return None


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


def _read_part(zf: zipfile.ZipFile, name: str, max_bytes: int) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    return zf.read(info) if info.file_size <= max_bytes else None


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet names to their worksheet part paths via xl/workbook.xml and its rels."""
    wb = _read_part(zf, "xl/workbook.xml", 20_000_000)
    rels = _read_part(zf, "xl/_rels/workbook.xml.rels", 20_000_000)
    if wb is None or rels is None:
        return {}
    targets: dict[str, str] = {}
    for _, attrs, _ in collect(rels, {"Relationship"}):
        target, rid = attrs.get("Target", ""), attrs.get("Id", "")
        # Targets are relative to xl/ unless absolute from the package root.
        targets[rid] = _normpath(target if target.startswith("/") else "xl/" + target)
    out: dict[str, str] = {}
    for _, attrs, _ in collect(wb, {"sheet"}):
        rid = next((v for k, v in attrs.items() if k == "id" or k.endswith(":id")), None)
        if "name" in attrs and rid in targets:
            out[attrs["name"]] = targets[rid]
    return out


def _normpath(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)


def core_modified(zf: zipfile.ZipFile) -> float | None:
    """docProps/core.xml dcterms:modified as epoch seconds (naive times taken as UTC)."""
    data = _read_part(zf, "docProps/core.xml", 1_000_000)
    found = collect(data, {"modified"}) if data else []
    if not found or not found[0][2]:
        return None
    try:
        stamp = datetime.fromisoformat(found[0][2])
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'C3' -> (2, 2) zero-based; None if not a cell reference."""
    m = _REF_RE.match(ref.strip())
    if not m:
        return None
    col = _col_index(m.group(1).upper())
    if len(_COLS) < 20_000:
        _COLS[m.group(1).upper()] = col
    return int(m.group(2)) - 1, col


def _col_index(letters: str) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col - 1


def _cell_pos(ref: str) -> tuple[int, int] | None:
    # Hot path: memoised column letters; anything unusual goes to the strict parser.
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    col = _COLS.get(letters)
    if col is None or not digits or len(digits) > 7:
        return parse_ref(ref)
    return int(digits) - 1, col


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    first, _, last = ref.partition(":")
    a = parse_ref(first)
    b = parse_ref(last) if last else a
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


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


# Anything that may need real parsing: formulas, hidden rows, error values,
# prefixed tags, DOCTYPE/CDATA/comments. A false positive only costs speed.
_NEEDS_PARSE = (b":c", b"hidden", b'"e"', b"'e'", b"<!")
# a formula element (<f>, <f t=...>, <x:f>), but not data validations' <formula1>/<formula2>
_FORMULA_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s/>]")
_CELL_START_RE = re.compile(rb"<c[\s/>]")
_CELL_ROW_RE = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_CELL_COL_RE = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')


def scan_sheet(data: bytes, lim: InputLimits | None = None, sheet: str | None = None) -> SheetScan:
    """Scan one worksheet XML: a byte-level fast path, else a full expat parse.

    Raises UnsafeXml for a DTD, expat.ExpatError for malformed XML, and TooLarge
    (as soon as it is known) for more rows, columns, cell elements or merged ranges
    than ``lim`` (default: :func:`~safescore.limits.input_limits`) allows. A grid
    padded beyond ``lim.cells`` stops the scan early and is returned as far as it
    got: its ``n_cells`` already tells the reader to refuse it.
    """
    lim = lim or input_limits()
    scan = _fast_scan(data, lim, sheet) or _expat_scan(data, lim, sheet)
    if scan.n_cells <= lim.cells:  # beyond it the reader's own cell check refuses the sheet
        check_extent(scan, lim, sheet)
    return scan


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


def _fast_scan(data: bytes, lim: InputLimits, sheet: str | None) -> SheetScan | None:
    # Plain-value sheets only need their extents. Every cell start must be a plain
    # <c r="A1" or the full parse runs: no cell may slip past the size guard.
    # Chunked, so millions of cells never become millions of objects at once.
    # UTF-16 (NUL bytes) hides every ASCII marker from a byte search: expat decodes it.
    if b"\x00" in data or any(marker in data for marker in _NEEDS_PARSE) or _FORMULA_RE.search(data):
        return None
    merges = data.count(b"mergeCell") - data.count(b"mergeCells")  # any prefix; not <mergeCells>
    if merges > lim.merged:
        raise _too_many(lim, sheet, merges, "合并区域", _MERGED_CAP.format(lim.merged))
    scan = SheetScan()
    n_refs = starts = 0
    cols: set[bytes] = set()
    for a, b in _chunks(data):
        rows = _CELL_ROW_RE.findall(data, a, b)
        if rows:
            n_refs += len(rows)
            scan.max_row = max(scan.max_row, max(map(int, rows)) - 1)
            cols.update(_CELL_COL_RE.findall(data, a, b))
            scan.max_col = max(_col_index(col.decode()) for col in cols)
        del rows
        starts += len(_CELL_START_RE.findall(data, a, b))
        if n_refs != starts:
            return None
        if scan.n_cells > lim.cells:
            return scan  # refused by the reader's cell check whatever follows
        if n_refs > lim.cells:  # the same cells written over and over
            raise _too_many(lim, sheet, n_refs, "单元格元素", f"上限 {lim.cells}（SAFESCORE_MAX_CELLS）")
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
                got = _cell_pos(ref)
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
                    raise _sheet_too_large(lim, sheet, rows, cols)
            elif n_cells > max_cells:  # the same cells written over and over
                raise _too_many(lim, sheet, n_cells, "单元格元素", f"上限 {max_cells}（SAFESCORE_MAX_CELLS）")
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
            rng = _parse_range(attrs.get("ref", ""))
            if rng:
                if len(scan.merged) >= lim.merged:
                    raise _too_many(
                        lim, sheet, len(scan.merged) + 1, "合并区域", _MERGED_CAP.format(lim.merged)
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
                    raise _too_many(
                        lim, table, len(hidden) + 1, "隐藏行", f"上限 {lim.rows}（SAFESCORE_MAX_ROWS）"
                    )
                hidden.append((row, rows_rep))
        elif local in ("table-cell", "covered-table-cell"):
            rep = num(attrs, "number-columns-repeated")
            cell[:] = [col, rep, int(bool(attr(attrs, "value-type")))]
            span_r, span_c = num(attrs, "number-rows-spanned"), num(attrs, "number-columns-spanned")
            if span_r > 1 or span_c > 1:
                if len(scan.merged) >= lim.merged:
                    raise _too_many(
                        lim, table, len(scan.merged) + 1, "合并区域", _MERGED_CAP.format(lim.merged)
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


# ---------------------------------------------------------------- legacy .xls (OLE compound file + BIFF)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREESECT, _ENDOFCHAIN = 0xFFFFFFFF, 0xFFFFFFFE
# BIFF records that become cells in calamine (blanks do not): row, col first.
_XLS_CELLS = frozenset({0x0203, 0x0205, 0x00FD, 0x0204, 0x027E, 0x0006, 0x0206, 0x0406, 0x00D6})
_XLS_MULTI = 0x00BD  # MULRK: row, first col, ..., last col


class _Cfb:
    """Just enough of a compound file to read one stream, with every index checked.

    calamine follows sector chains without looking back: a DIFAT chain that points
    at itself makes it allocate until the machine runs out of memory (found by
    tests/test_fuzz_readers.py). Here header counts must fit the file, and every
    chain (DIFAT, FAT, directory, mini FAT, mini stream, every stream) must end
    inside the file without revisiting a sector another chain or itself used:
    anything else is a ValueError before calamine sees the file.
    """

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(_OLE_MAGIC):
            raise ValueError("不是 OLE 复合文档")
        self.data = data
        ssz_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if (ssz_shift, mini_shift) not in ((9, 6), (12, 6)):
            raise ValueError("OLE 扇区大小无效")
        self.ssz, self.mini_ssz = 1 << ssz_shift, 1 << mini_shift
        n_fat, dir_start = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, mini_fat_start, n_mini, difat_start, n_difat = struct.unpack_from("<5I", data, 0x38)
        self.n_sectors = (len(data) - 512 + self.ssz - 1) // self.ssz
        if max(n_fat, n_mini, n_difat) > self.n_sectors:
            raise ValueError("OLE 头部的扇区数超过文件大小")
        self.used: set[int] = set()
        difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s != _FREESECT]
        per = self.ssz // 4 - 1
        difat_sectors = self._walk(
            difat_start, lambda n: struct.unpack_from("<I", self._sector(n), 4 * per)[0]
        )
        if len(difat_sectors) > n_difat:
            raise ValueError("OLE DIFAT 链比头部声明的长")
        for sector in difat_sectors:
            difat += [s for s in struct.unpack_from(f"<{per}I", self._sector(sector)) if s != _FREESECT]
        fat_sectors = difat[:n_fat]
        if any(s >= self.n_sectors or s in self.used for s in fat_sectors) or len(set(fat_sectors)) < len(
            fat_sectors
        ):
            raise ValueError("OLE FAT 扇区号无效")
        self.used.update(fat_sectors)
        self.fat = b"".join(self._sector(s) for s in fat_sectors)
        self.dir = self._chain(dir_start)
        self.mini_fat = self._chain(mini_fat_start) if n_mini else b""
        self.entries = [self._entry(i) for i in range(0, len(self.dir) - 127, 128)]
        root = next((e for e in self.entries if e[1] == 5), None)
        self.mini = self._chain(root[2])[: root[3]] if root is not None and root[3] else b""
        self.mini_used: set[int] = set()
        self.streams: dict[str, bytes] = {}
        for name, kind, start, size in self.entries:
            if kind != 2:
                continue
            if size > len(data):
                raise ValueError("OLE 流的大小超过文件大小")
            if size < self.cutoff:
                blob = self._chain(start, mini=True)
            else:
                blob = self._chain(start)
            self.streams.setdefault(name.lower(), blob[:size])

    def _sector(self, n: int) -> bytes:
        off = 512 + n * self.ssz
        return self.data[off : off + self.ssz]

    def _walk(self, start: int, nxt: Callable[[int], int], mini: bool = False) -> list[int]:
        used = self.mini_used if mini else self.used
        bound = len(self.mini) // self.mini_ssz if mini else self.n_sectors
        out, n = [], start
        while n not in (_ENDOFCHAIN, _FREESECT):
            if n >= bound or n in used:
                raise ValueError("OLE 扇区链越界或有环")
            used.add(n)
            out.append(n)
            n = nxt(n)
        return out

    def _next(self, table: bytes, n: int) -> int:
        if 4 * n + 4 > len(table):
            raise ValueError("OLE 扇区链越界")
        return int(struct.unpack_from("<I", table, 4 * n)[0])

    def _chain(self, start: int, mini: bool = False) -> bytes:
        if mini:
            sectors = self._walk(start, lambda n: self._next(self.mini_fat, n), mini=True)
            return b"".join(self.mini[n * self.mini_ssz : (n + 1) * self.mini_ssz] for n in sectors)
        return b"".join(self._sector(n) for n in self._walk(start, lambda n: self._next(self.fat, n)))

    def _entry(self, i: int) -> tuple[str, int, int, int]:
        entry = self.dir[i : i + 128]
        name_len, kind = struct.unpack_from("<HB", entry, 64)
        start, size = struct.unpack_from("<IQ", entry, 116)
        if self.ssz == 512:
            size &= 0xFFFFFFFF  # version 3 files may leave junk in the high half
        name = entry[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        return name, kind, start, size

    def stream(self, names: Collection[str]) -> bytes | None:
        """The first stream called one of ``names`` (any case), or None."""
        return next((self.streams[n.lower()] for n in names if n.lower() in self.streams), None)


def check_xls(path: Path, lim: InputLimits | None = None) -> dict[str, SheetScan]:
    """Extents of every sheet of a legacy .xls, from its BIFF records, before calamine opens it.

    calamine builds each sheet's dense grid when it opens the file (two cells at A1
    and IV65536 cost it a gigabyte), so a sheet beyond a cap of ``lim`` raises
    TooLarge for the whole file, as does a file bigger than ``lim.unzipped_bytes``.
    A compound file too broken to walk raises ValueError (calamine may loop on it
    until memory runs out), a password-protected one Encrypted. Sheets are keyed by
    name (decoded best-effort, for messages).
    """
    lim = lim or input_limits()
    size = path.stat().st_size
    if size > lim.unzipped_bytes:
        cap = f"上限 {lim.unzipped_bytes} 字节（SAFESCORE_MAX_UNZIPPED_MB）"
        raise TooLarge("file-too-large", str(size), str(size), lim.bytes_expected(), cap=cap)
    stream = _Cfb(path.read_bytes()).stream(("Workbook", "Book"))
    if stream is None:
        return {}
    return _scan_biff(stream, lim)


def _scan_biff(data: bytes, lim: InputLimits) -> dict[str, SheetScan]:
    # As calamine does: BOUNDSHEET records in the globals give each sheet's offset,
    # and a sheet is read from there to its EOF record. Sheets of a real file never
    # overlap, so more record steps in all than the stream can hold is refused.
    budget = [len(data) // 4 + 16]
    offsets: dict[int, str] = {}

    def walk(pos: int) -> Iterator[tuple[int, int, int]]:
        n = len(data)
        while pos + 4 <= n:
            budget[0] -= 1
            if budget[0] < 0:
                raise ValueError("BIFF 记录相互重叠")
            rtype, length = struct.unpack_from("<HH", data, pos)
            yield rtype, pos + 4, length
            if rtype == 0x000A:  # EOF
                return
            pos += 4 + length

    for rtype, body, length in walk(0):
        if rtype == 0x002F:  # FILEPASS: the rest of the stream is encrypted
            raise Encrypted("FILEPASS")
        if rtype == 0x0085 and length >= 8:  # BOUNDSHEET: the sheet's BOF offset, then its name
            offsets.setdefault(
                struct.unpack_from("<I", data, body)[0], _biff_name(data[body + 6 : body + length])
            )
    scans: dict[str, SheetScan] = {}
    for offset, name in offsets.items():
        scan = scans.setdefault(name, SheetScan())
        for rtype, body, length in walk(offset):
            if rtype == 0x0200 and length >= 10:
                _check_dimensions(data[body : body + length], lim, name)
            if length < 4 or not (rtype in _XLS_CELLS or rtype == _XLS_MULTI):
                continue
            row, col = struct.unpack_from("<HH", data, body)
            if rtype == _XLS_MULTI and length >= 6:
                col = struct.unpack_from("<H", data, body + length - 2)[0]
            if row > scan.max_row or col > scan.max_col:
                scan.max_row, scan.max_col = max(scan.max_row, row), max(scan.max_col, col)
                check_extent(scan, lim, name)
    return scans


def _check_dimensions(body: bytes, lim: InputLimits, sheet: str) -> None:
    """calamine reserves (last row + 1 - first row) x (last column + 1) cells from the DIMENSIONS
    record before reading any cell, in wrapping unsigned arithmetic: rows 0..65535 by columns
    0..65535 asked it for 171 GB and aborted the process (fuzz finding 2)."""
    if len(body) >= 14:  # BIFF8: first row, last row + 1 (u32), first column, last column + 1 (u16)
        r1, r2, c1, c2 = struct.unpack_from("<IIHH", body)
        rows = (r2 - r1) & 0xFFFFFFFF
    else:  # BIFF5: all u16
        r1, r2, c1, c2 = struct.unpack_from("<HHHH", body)
        rows = (r2 - r1) & 0xFFFF
    cols = max(c2, (c2 - c1) & 0xFFFF)
    if rows * cols > lim.cells:
        raise TooLarge(
            "sheet-too-large",
            f"声明 {rows} 行 × {cols} 列（共 {rows * cols} 个单元格）",
            f"{rows}x{cols}",
            lim.sheet_expected(),
            sheet,
            f"上限 {lim.cells} 个单元格（SAFESCORE_MAX_CELLS）",
        )


def _biff_name(raw: bytes) -> str:
    # BIFF8: length, flags (bit 0: UTF-16), characters; BIFF5: length, bytes in the codepage.
    if len(raw) < 2:
        return ""
    n, flags = raw[0], raw[1]
    if flags in (0, 1) and len(raw) >= 2 + n * (2 if flags else 1):
        body = raw[2 : 2 + n * (2 if flags else 1)]
        return body.decode("utf-16-le" if flags else "latin-1", "replace")
    return raw[1 : 1 + n].decode("gb18030", "replace")


# ---------------------------------------------------------------- CSV


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
            raise _sheet_too_large(lim, sheet, len(rows) + 1, width)
        rows.append([v if v != "" else None for v in row])
    return rows
