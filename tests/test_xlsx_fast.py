"""The byte-level worksheet scan must find what expat finds, or hand the sheet to expat."""

from __future__ import annotations

import zipfile
from pathlib import Path

import hostile
import pytest

from safescore.inputs import _xlsx_scan as xs
from safescore.inputs._xlsx_fast import fast_scan
from safescore.limits import input_limits

_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _sheet(rows: bytes, tail: bytes = b"") -> bytes:
    return _HEAD + b"<sheetData>" + rows + b"</sheetData>" + tail + b"</worksheet>"


def _fields(scan: xs.SheetScan) -> tuple[object, ...]:
    return scan.hidden_rows, scan.uncached, scan.errors, scan.max_row, scan.max_col


def _both(data: bytes) -> tuple[xs.SheetScan | None, xs.SheetScan]:
    lim = input_limits()
    return fast_scan(data, lim, "表"), xs._expat_scan(data, lim, "表")


# Sheets the fast path must take, with what both scans must find: (hidden rows, uncached, errors).
FAST = {
    "formulas": (
        b'<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1"><f>A1*2</f><v/></c>'
        b'<c r="C1"><f>A1</f></c><c r="D1"><f>A1</f><v></v></c><c r="E1" t="str"><f>""</f><v></v></c>'
        b'<c r="F1" t="str"><f>"x"</f><v>x</v></c><c r="G1" s="2" t="n"><f>G9</f><v>  </v></c></row>',
        set(),
        {(0, 1), (0, 2), (0, 3), (0, 6)},
        {},
    ),
    "shared formulas": (
        b'<row r="2"><c r="D2"><f t="shared" ref="D2:D4" si="0">B2+1</f><v>3</v></c></row>'
        b'<row r="3"><c r="D3"><f t="shared" si="0"/></c></row>'
        b'<row r="4"><c r="D4"><f t="shared" si="0"/><v>5</v></c></row>',
        set(),
        {(2, 3)},
        {},
    ),
    "errors": (
        b'<row r="2"><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="C2" t="e"><v>#N/A</v></c>'
        b'<c r="D2" t="e"/><c r="E2" t="e"><v></v></c><c r="F2" t = "e"><v> #REF! </v></c></row>',
        set(),
        set(),
        {(1, 1): "#DIV/0!", (1, 2): "#N/A", (1, 5): "#REF!"},
    ),
    "pretty-printed": (
        b'\n  <row r="1" spans="1:2">\n    <c r="A1" t="e">\n      <f>1/0</f>\n      <v>#DIV/0!</v>\n    </c>\n'
        b'    <c r="B1">\n      <f>A1</f>\n    </c>\n  </row>\n',
        set(),
        {(0, 1)},
        {(0, 0): "#DIV/0!"},
    ),
    "hidden rows": (
        b'<row r="1" hidden="1"><c r="A1"><v>1</v></c></row><row r="3" spans="1:1" hidden="true">'
        b'<c r="A3" t="inlineStr"><is><t>hidden</t></is></c></row><row r="4" hidden="0"><c r="A4"><v>1</v></c></row>'
        b'<row r="5" customHidden="1"><c r="A5"><v>1</v></c></row><row r="7" hidden="1"/>',
        {0, 2, 6},
        set(),
        {},
    ),
    "markers outside cells": (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>hidden, e, f</t></is></c><c r="B1"><f>A1</f></c></row>',
        set(),
        {(0, 1)},
        {},
    ),
}


@pytest.mark.parametrize("case", sorted(FAST))
def test_fast_path_finds_what_expat_finds(case: str) -> None:
    rows, hidden, uncached, errors = FAST[case]
    tail = b'<cols><col min="1" max="1" hidden="1"/></cols><extLst><ext uri="x"><x14:dataValidations>'
    tail += b"<x14:dataValidation><x14:formula1><xm:f>Sheet2!$A$1</xm:f></x14:formula1></x14:dataValidation>"
    tail += b'</x14:dataValidations></ext></extLst><pageSetup orientation="e"/>'
    # Excel puts prefixed tags (a list validation's <xm:f>) and "e"/hidden attributes after the cells
    for data in (
        _sheet(rows),
        _sheet(rows, tail),
        _sheet(rows, tail.replace(b"x14:", b"").replace(b"xm:", b"")),
    ):
        fast, slow = _both(data)
        assert fast is not None
        assert _fields(fast) == _fields(slow)
        assert (fast.hidden_rows, fast.uncached, fast.errors) == (hidden, uncached, errors)


# Sheets the fast path must leave to expat (it cannot be sure what they say).
SLOW = {
    "hidden row without r": b'<row r="1"><c r="A1"><v>1</v></c></row><row hidden="1"><c r="A2"><v>1</v></c></row>',
    "prefixed row": b'<x:row xmlns:x="urn:x" r="2" hidden="1"><c r="A2"><v>1</v></c></x:row>',
    "entity in a hidden value": b'<row r="2" hidden="&#49;"><c r="A2"><v>1</v></c></row>',
    "entity in t": b'<row r="2"><c r="A2" t="&#101;"><v>#N/A</v></c></row>',
    "entity in an error value": b'<row r="2"><c r="A2" t="e"><v>&#35;N/A</v></c></row>',
    "single quotes": b"<row r='2'><c r=\"A2\" t='e'><v>#N/A</v></c></row>",
    "single quotes after a space": b'<row r="2"><c r="A2" t = \'e\'><v>#N/A</v></c></row>',
    "entity in t after a space": b'<row r="2"><c r="A2" t = "&#101;"><v>#N/A</v></c></row>',
    "prefixed cell": b'<row r="2"><x:c xmlns:x="urn:x" r="XFD1048576"><v>1</v></x:c></row>',
    "UTF-16": '<row r="2"><c r="A2"><v>1</v></c></row>'.encode("utf-16-le"),
    "duplicate attribute": b'<row r="2"><c r="A2" t="e" t="n"><v>#N/A</v></c></row>',
    "value before formula": b'<row r="2"><c r="A2"><v>1</v><f>1</f></c></row>',
    "inline string formula": b'<row r="2"><c r="A2" t="inlineStr"><f>1</f><is><t>1</t></is></c></row>',
    "prefixed formula": b'<row r="2"><c r="A2"><x:f xmlns:x="urn:x">1</x:f></c></row>',
    "comment": b'<row r="2"><c r="A2"><!-- x --><f>1</f></c></row>',
    "cell without r": b'<row r="2"><c t="e"><v>#N/A</v></c></row>',
}


@pytest.mark.parametrize("case", sorted(SLOW))
def test_fast_path_leaves_unusual_sheets_to_expat(case: str) -> None:
    assert fast_scan(_sheet(SLOW[case]), input_limits(), "表") is None


def test_openpyxl_sheets_with_formulas_errors_and_hidden_rows_take_the_fast_path(tmp_path: Path) -> None:
    paths = [
        hostile.make_uncached_formula_xlsx(tmp_path),
        hostile.make_error_cells_xlsx(tmp_path),
        hostile.make_simple_xlsx(tmp_path, [["a"], ["b"], ["c"]], hidden_rows=[2, 3], name="hidden.xlsx"),
    ]
    found = []
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            fast, slow = _both(zf.read(hostile.SHEET_XML))
        assert fast is not None and _fields(fast) == _fields(slow)
        found.append((fast.hidden_rows, fast.uncached, fast.errors))
    assert found == [
        (set(), {(1, 2), (1, 3), (2, 3), (3, 3)}, {}),
        (set(), set(), {(1, 1): "#DIV/0!", (2, 2): "#N/A"}),
        ({1, 2}, set(), {}),
    ]
