"""Safe scans of OOXML/ODS parts, for what python-calamine does not expose or guard.

calamine gives values and merged ranges but not hidden rows, formulas without a
cached value, or Excel error values (it turns ``#DIV/0!`` into ``''``). It also
allocates a dense grid from A1 to the last cell, so a two-cell sheet (A1 and
XFD1048576) makes it request 550 GB and abort the process: sheet extents are
therefore measured here before calamine is asked for a sheet.

XML is parsed with expat whose DTD handlers raise, the same technique as
defusedxml (forbid_dtd): entity bombs and external entities are refused, never
expanded. Parts only calamine reads get a prolog check first.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO
from xml.parsers import expat

_PROLOG_LIMIT = 1 << 20
_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_COLS: dict[str, int] = {}


class UnsafeXml(Exception):
    """An XML part declares a DOCTYPE or entities (possible XML bomb / XXE)."""


def _refuse(*_args: object) -> None:
    raise UnsafeXml("DOCTYPE/ENTITY declaration")


def safe_parser() -> expat.XMLParserType:
    """An expat parser that raises UnsafeXml on any DTD or entity declaration."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    return parser


def _local(name: str) -> str:
    # Tags may carry any prefix (strict OOXML, hand-written files): match local names.
    return name[name.find(":") + 1 :]


def prolog_is_unsafe(stream: IO[bytes], limit: int = _PROLOG_LIMIT) -> bool:
    """True if the XML prolog declares a DOCTYPE/ENTITY (or is absurdly long).

    A DOCTYPE may only come before the root element, but comments and PIs may
    precede it, so the prolog is walked rather than sniffing the first bytes.
    """
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
                return len(buf) >= limit  # a prolog this long is itself hostile
            pos = end + len(mark)
            continue
        return buf.startswith(b"<!", pos)


def first_unsafe_part(zf: zipfile.ZipFile, skip: Collection[str] = ()) -> str | None:
    """Name of the first XML part (not in ``skip``) whose prolog declares a DOCTYPE/ENTITY."""
    for info in zf.infolist():
        if info.filename in skip or info.is_dir():
            continue
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            with zf.open(info) as fh:
                if prolog_is_unsafe(fh):
                    return info.filename
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
_CELL_REF_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def scan_sheet(data: bytes) -> SheetScan:
    """Scan one worksheet XML: a byte-level fast path, else a full expat parse.

    Raises UnsafeXml for a DTD, expat.ExpatError for malformed XML.
    """
    return _fast_scan(data) or _expat_scan(data)


def _fast_scan(data: bytes) -> SheetScan | None:
    # Plain-value sheets only need their extents. Every cell start must be a plain
    # <c r="A1" or the full parse runs: no cell may slip past the size guard.
    if any(marker in data for marker in _NEEDS_PARSE) or _FORMULA_RE.search(data):
        return None
    cells = _CELL_REF_RE.findall(data)
    if len(cells) != len(_CELL_START_RE.findall(data)):
        return None
    scan = SheetScan()
    if cells:
        scan.max_col = max(_col_index(col.decode()) for col in {col for col, _ in cells})
        scan.max_row = max(int(row) for row in {row for _, row in cells}) - 1
    return scan


def _expat_scan(data: bytes) -> SheetScan:
    scan = SheetScan()
    parser = safe_parser()
    row_idx = col = -1
    pos = (0, 0)
    kind: str | None = None
    formula = has_v = False
    text: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_idx, col, pos, kind, formula, has_v
        local = _local(name)
        if local == "c":
            ref = attrs.get("r")
            pos = (ref and _cell_pos(ref)) or (row_idx, col + 1)  # no r: next cell in the row
            col = pos[1]
            kind, formula, has_v = attrs.get("t"), False, False
            text.clear()
            scan.max_row = max(scan.max_row, pos[0])
            scan.max_col = max(scan.max_col, pos[1])
        elif local == "f":
            formula = True
        elif local == "v":
            has_v = True
            if formula or kind == "e":
                parser.CharacterDataHandler = text.append
        elif local == "row":
            r = attrs.get("r", "")
            row_idx = int(r) - 1 if r.isdigit() else row_idx + 1
            col = -1
            if attrs.get("hidden") in ("1", "true"):
                scan.hidden_rows.add(row_idx)
        elif local == "mergeCell":
            rng = _parse_range(attrs.get("ref", ""))
            if rng:
                scan.merged.append(rng)

    def end(name: str) -> None:
        local = _local(name)
        if local == "v":
            parser.CharacterDataHandler = None
        elif local == "c":
            value = "".join(text).strip()
            # <f> with no <v>, or an empty <v/> (openpyxl writes that), was never
            # calculated; an empty cached *string* result (t="str") is a real value.
            if formula and (not has_v or (not value and kind not in ("str", "inlineStr"))):
                scan.uncached.add(pos)
            if kind == "e" and value:
                scan.errors[pos] = value

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return scan


def scan_ods(data: bytes) -> dict[str, SheetScan]:
    """Extents, merges and hidden rows of each table in an ODS content.xml.

    Repeat attributes make a few bytes stand for a million cells, so they count.
    """
    tables: dict[str, SheetScan] = {}
    scan = SheetScan()
    hidden: list[tuple[int, int]] = []
    row = rows_rep = col = 0
    cell: list[int] = []  # [start col, repeat, non-empty] of the open cell

    def attr(attrs: dict[str, str], name: str, default: str = "") -> str:
        return next((v for k, v in attrs.items() if _local(k) == name), default)

    def num(attrs: dict[str, str], name: str) -> int:
        value = attr(attrs, name, "1")
        return max(1, int(value)) if value.isdigit() else 1

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal scan, hidden, row, rows_rep, col
        local = _local(name)
        if local == "table":
            scan, hidden, row = SheetScan(), [], 0
            tables[attr(attrs, "name")] = scan
        elif local == "table-row":
            rows_rep, col = num(attrs, "number-rows-repeated"), 0
            if attr(attrs, "visibility") in ("collapse", "filter"):
                hidden.append((row, rows_rep))
        elif local in ("table-cell", "covered-table-cell"):
            rep = num(attrs, "number-columns-repeated")
            cell[:] = [col, rep, int(bool(attr(attrs, "value-type")))]
            span_r, span_c = num(attrs, "number-rows-spanned"), num(attrs, "number-columns-spanned")
            if span_r > 1 or span_c > 1:
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
