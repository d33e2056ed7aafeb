"""The byte-level fast path of the worksheet scan: what expat would find, without parsing.

A worksheet as Excel, WPS and openpyxl write it (double-quoted attributes, no
prefixed cell tags, no DOCTYPE/CDATA/comments, not UTF-16) is measured by byte
regexes, much faster than expat: its extents, and the few cells and rows that
need more (formulas, error values, hidden rows) each parsed on its own by strict
patterns. Anything else returns None, and the caller parses the sheet with expat
(:func:`safescore.inputs._xlsx_scan.scan_sheet`). Both must give the same scan:
tests/test_xlsx_fast.py compares them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from safescore.inputs._scan_base import MERGED_CAP, SheetScan, col_index, too_many
from safescore.limits import InputLimits

# Anything that needs expat: prefixed cell or row tags, DOCTYPE/CDATA/comments, single-quoted
# attributes, an attribute value that starts with a character reference (t="&#101;" is an
# error cell). Each needs a byte that plain sheets rarely hold (NUL, ':', '!', "'", '&'), so
# one pass finds which of them occur and only those are searched for. A false positive
# only costs speed.
_ORDINARY = bytes(b for b in range(256) if b not in b"\x00:!'&")
_PREFIXED_CELL_RE = re.compile(rb":c[\s/>]")
_PREFIXED_ROW_RE = re.compile(rb":row[\s/>]")
_SINGLE_QUOTED_RE = re.compile(rb"=\s*'")
_CHAR_REF_RE = re.compile(rb'=\s*"&')
# a formula element (<f>, <f t=...>, <x:f>), but not data validations' <formula1>/<formula2>
_FORMULA_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s/>]")
_PLAIN_FORMULA_RE = re.compile(rb"<f[\s/>]")
_PREFIXED_FORMULA_RE = re.compile(rb":f[\s/>]")
_HIDDEN_RE = re.compile(rb"hidden")
_CELL_START_RE = re.compile(rb"<c[\s/>]")
_CELL_REF_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def _needs_expat(data: bytes, rare: bytes) -> bool:
    """True if the sheet holds something only expat reads right; ``rare`` is ``data``'s rare bytes."""
    return bool(rare) and (
        b"\x00" in rare  # UTF-16 hides every ASCII marker from a byte search: expat decodes it
        or (b"!" in rare and b"<!" in data)
        or (b"'" in rare and _SINGLE_QUOTED_RE.search(data) is not None)
        or (b"&" in rare and _CHAR_REF_RE.search(data) is not None)
        or (b":" in rare and _PREFIXED_CELL_RE.search(data) is not None)
    )


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
    """The sheet's scan from byte patterns, or None when it must be parsed (see the module)."""
    # Every cell start must be a plain <c r="A1" or the full parse runs: no cell may slip
    # past the size guard. Chunked, so millions of cells never become millions of objects.
    merges = data.count(b"mergeCell")  # any prefix; not <mergeCells>
    merges -= data.count(b"mergeCells") if merges else 0
    if merges > lim.merged:  # whichever scan would read the sheet
        raise too_many(lim, sheet, merges, "合并区域", MERGED_CAP.format(lim.merged))
    rare = data.translate(None, _ORDINARY)
    if _needs_expat(data, rare):
        return None
    hidden = _HIDDEN_RE.search(data) is not None
    if hidden and b":" in rare and _PREFIXED_ROW_RE.search(data):  # a prefixed row tag may be hidden
        return None
    special = (
        _PLAIN_FORMULA_RE.search(data) is not None
        or b'"e"' in data
        or (b":" in rare and _PREFIXED_FORMULA_RE.search(data) is not None)
    )
    scan = SheetScan()
    n_refs = 0
    cols: set[bytes] = set()
    for a, b in _chunks(data):
        refs = _CELL_REF_RE.findall(data, a, b)
        if refs:
            n_refs += len(refs)
            letters, digits = zip(*refs, strict=True)
            scan.max_row = max(scan.max_row, max(map(int, digits)) - 1)
            cols.update(letters)
            scan.max_col = max(col_index(col.decode()) for col in cols)
            del letters, digits
        # cell starts: every "<c" but "<col..." is one if as many as the plain refs, else count them
        others = data.count(b"<c", a, b) - data.count(b"<col", a, b)
        if others != len(refs) and len(_CELL_START_RE.findall(data, a, b)) != len(refs):
            return None
        del refs
        if scan.n_cells > lim.cells:
            return scan  # refused by the reader's cell check whatever follows
        if n_refs > lim.cells:  # the same cells written over and over
            raise too_many(lim, sheet, n_refs, "单元格元素", f"上限 {lim.cells}（SAFESCORE_MAX_CELLS）")
    if hidden and not _hidden_rows(data, scan, lim):
        return None
    if special and not _special_cells(data, scan):
        return None
    return scan


_ATTRS = rb'((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<&]*")*)\s*'
_ATTR_RE = re.compile(rb'([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"')
_ROW_TAG_RE = re.compile(rb"<row" + _ATTRS + rb"/?>")
_CELL_TAG_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + _ATTRS + rb"(/?)>")
# A formula or error cell's content: an optional <f> (its text or self-closed), then an
# optional <v>, whitespace between. Anything else (<is>, another order) goes to expat.
_CELL_BODY_RE = re.compile(rb"\s*(<f" + _ATTRS + rb"(?:/>|>[^<]*</f>))?\s*(<v\s*(?:/>|>([^<]*)</v>))?\s*")


def _attrs(raw: bytes) -> dict[bytes, bytes] | None:
    """Attributes of a start tag matched by the patterns above; None if a name repeats
    (expat refuses the sheet)."""
    pairs = _ATTR_RE.findall(raw)
    out = dict(pairs)
    return out if len(out) == len(pairs) else None


def _hidden_rows(data: bytes, scan: SheetScan, lim: InputLimits) -> bool:
    """Add the rows whose <row> tag says hidden="1"/"true"; False if one needs expat."""
    i = data.find(b"hidden")
    while i >= 0:
        lt = data.rfind(b"<", 0, i)
        if lt >= 0 and data.startswith(b"<row", lt) and data[lt + 4 : lt + 5] in (b" ", b"\t", b"\n", b"\r"):
            m = _ROW_TAG_RE.match(data, lt)
            if m is None:
                return False
            if i < m.end():  # in this row tag, not in the text after it
                attrs = _attrs(m.group(1))
                if attrs is None:
                    return False
                if attrs.get(b"hidden") in (b"1", b"true"):
                    r = attrs.get(b"r", b"")
                    if not r.isdigit():  # a row numbered by position: expat counts them
                        return False
                    if int(r) - 1 < lim.rows:
                        scan.hidden_rows.add(int(r) - 1)
        i = data.find(b"hidden", i + 6)
    return True


def _special_cells(data: bytes, scan: SheetScan) -> bool:
    """Record formulas without a cached value and error values, as the expat scan does;
    False if a cell holding a formula or t="e" is not in a shape parsed here."""
    marks = [m.start() for m in _FORMULA_RE.finditer(data)]
    i = data.find(b'"e"')
    while i >= 0:
        marks.append(i)
        i = data.find(b'"e"', i + 3)
    done: set[int] = set()
    for i in marks:
        start = data.rfind(b'<c r="', 0, i)
        if start < 0 or start in done:
            continue  # before the first cell, or a cell already looked at
        m = _CELL_TAG_RE.match(data, start)
        if m is None:
            return False
        end = m.end() if m.group(4) else data.find(b"</c>", m.end())
        if end < 0:
            return False
        if i >= end:
            continue  # between cells (a data validation's <xm:f>, a "e" of another element)
        done.add(start)
        attrs = _attrs(m.group(3))
        body = _CELL_BODY_RE.fullmatch(data, m.end(), end) if not m.group(4) else None
        if attrs is None or b"r" in attrs or (body is None and not m.group(4)):
            return False
        formula, has_v, raw = (body.group(1), body.group(3), body.group(4)) if body else (None, None, None)
        if raw is not None and (b"&" in raw or b"\r" in raw):
            return False  # entities and line ends are expat's to decode
        try:
            value = raw.decode("utf-8").strip() if raw is not None else ""
        except UnicodeDecodeError:
            return False
        kind = attrs.get(b"t")
        pos = (int(m.group(2)) - 1, col_index(m.group(1).decode()))
        # <f> with no <v>, or an empty <v/>, was never calculated; an empty cached
        # *string* result (t="str") is a real value.
        if formula is not None and (has_v is None or (not value and kind not in (b"str", b"inlineStr"))):
            scan.uncached.add(pos)
        if kind == b"e" and value:
            scan.errors[pos] = value[:64]
    return True
