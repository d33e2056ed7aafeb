"""Paragraphs and tables of the Word output, and the text that goes into them.

Text from returns is untrusted: :func:`clean` makes it safe for a ``w:t`` and one line, and
every paragraph and cell written here goes through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from safescore.render.bulletin import Deduction
from safescore.render.docx.styles import (
    BODY_PT,
    S_ATTACH,
    S_BODY,
    S_CELL,
    S_CELL_C,
    S_CELL_H,
    S_DOCNO,
    S_FIGURE,
    S_H1,
    S_H2,
    S_H3,
    S_ISSUER,
    S_SIGN,
    S_TITLE,
    S_TO,
    put,
)
from safescore.render.i18n import Catalog

# --- untrusted text ---------------------------------------------------------------------------

_WS = re.compile(r"[\t\n\r\v\f\u0085\u2028\u2029]+")
# XML 1.0 forbids C0 controls (bar tab/LF/CR), lone surrogates and U+FFFE/U+FFFF; C1 controls and
# DEL are allowed but invisible and break some readers, so they go too.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """Text from returns made safe for a ``w:t``: no forbidden characters, one line.

    Line breaks and tabs become spaces because python-docx would turn them into ``w:br`` and
    ``w:tab`` elements, and the letters' fast path must give the same XML as python-docx.
    Escaping of ``& < >`` is left to the XML serialiser.
    """
    s = "" if text is None else str(text)
    return _FORBIDDEN.sub("", _WS.sub(" ", s)).strip()


def escape(text: str) -> str:
    """Escape already-:func:`clean` text for a text node exactly as lxml does (quotes stay)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_width(text: str) -> float:
    """Width in 全角 characters: ASCII counts half (digits in dates, numbers in names)."""
    return sum(0.5 if ord(ch) < 0x7F else 1.0 for ch in text)


# --- paragraphs and tables --------------------------------------------------------------------


def para(doc: Any, style: ParagraphStyle, text: str = "") -> Paragraph:
    """A paragraph with one run of cleaned text (``doc`` may be a document or a table cell)."""
    p = doc.add_paragraph()
    set_style(p, style)
    if text:
        p.add_run(clean(text))
    return p


def set_style(p: Paragraph, style: ParagraphStyle) -> None:
    """Set a paragraph's style by id: python-docx's ``p.style =`` scans every style in the
    document to see whether it is the default one, which made a bulletin take seconds."""
    p._p.get_or_add_pPr().style = style.style_id


def table(
    doc: DocumentObject,
    widths_mm: Iterable[float],
    header: Iterable[str],
    head_style: ParagraphStyle,
) -> Table:
    """A bordered, fixed-layout table with a repeating header row; columns sum to the 版心 width."""
    widths = [Mm(w) for w in widths_mm]
    # not doc.add_table: it looks up the last section's width with an XPath over the whole
    # body, which made a bulletin with a problem table per unit quadratic in the units
    t = doc._body.add_table(1, len(widths), Mm(sum(widths_mm)))
    t.style = None
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tbl_pr = t._tbl.tblPr  # autofit = False above wrote tblLayout fixed
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "4")
        b.set(qn("w:space"), "0")
        b.set(qn("w:color"), "000000")
        borders.append(b)
    put(tbl_pr, borders)
    margins = OxmlElement("w:tblCellMar")
    for edge, w in (("top", 0), ("left", 57), ("bottom", 0), ("right", 57)):  # 1 mm sides
        m = OxmlElement(f"w:{edge}")
        m.set(qn("w:w"), str(w))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    put(tbl_pr, margins)
    for col, w in zip(t.columns, widths, strict=True):
        col.width = w
    row = t.rows[0]
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))  # repeat on every page
    for cell, w, text in zip(row.cells, widths, header, strict=True):
        cell.width = w
        _cell_text(cell, [text], head_style)
    return t


def add_row(t: Table, cells: Iterable[tuple[Iterable[str], ParagraphStyle]]) -> None:
    """Append a row that never splits across pages; each cell gets one paragraph per text.

    The row is written as XML text and parsed once: the same elements python-docx's
    ``add_row`` + ``add_run`` make (a test compares them), at a twentieth of the cost, which
    matters for a 附件 table of thousands of units.
    """
    widths = [g.w for g in t._tbl.tblGrid.gridCol_lst]
    parts = [f"<w:tr {nsdecls('w')}><w:trPr><w:cantSplit/></w:trPr>"]
    for w, (texts, style) in zip(widths, cells, strict=True):
        width = f'<w:tcW w:type="dxa" w:w="{w.twips}"/>' if w is not None else ""
        parts.append(f'<w:tc><w:tcPr>{width}<w:vAlign w:val="center"/></w:tcPr>')
        ppr = f'<w:pPr><w:pStyle w:val="{style.style_id}"/></w:pPr>'
        paras = [clean(x) for x in texts] or [""]
        for text in paras:
            run = f"<w:r><w:t>{escape(text)}</w:t></w:r>" if text else ""
            parts.append(f"<w:p>{ppr}{run}</w:p>")
        parts.append("</w:tc>")
    parts.append("</w:tr>")
    t._tbl.append(parse_xml("".join(parts)))


def _cell_text(cell: Any, texts: Iterable[str], style: ParagraphStyle) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    v = OxmlElement("w:vAlign")
    v.set(qn("w:val"), "center")
    tc_pr.append(v)
    first = True
    for text in texts:
        if first:
            p = cell.paragraphs[0]
            set_style(p, style)
            if text:
                p.add_run(clean(text))
            first = False
        else:
            para(cell, style, text)
    if first:
        set_style(cell.paragraphs[0], style)


def red_rule(par: Paragraph) -> None:
    """The red line under the 文号: a bottom border 4 mm (11 pt) below, as wide as the 版心."""
    ppr = par._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("val", "single"), ("sz", "18"), ("space", "11"), ("color", "FF0000")):
        bottom.set(qn(f"w:{k}"), v)
    bdr.append(bottom)
    put(ppr, bdr)


def indent_chars(p: Any, chars: float) -> None:
    """First-line indent of ``chars`` characters (in character units, so it follows the font)."""
    ind = p._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(int(chars * 100)))
    ind.set(qn("w:firstLine"), str(int(chars * BODY_PT * 20)))


class Styles:
    """Style objects looked up once (python-docx resolves names by scanning all styles)."""

    def __init__(self, doc: DocumentObject) -> None:
        s = doc.styles
        self.title, self.body, self.to = s[S_TITLE.name], s[S_BODY.name], s[S_TO.name]
        self.h1, self.h2, self.h3 = s[S_H1.name], s[S_H2.name], s[S_H3.name]
        self.sign, self.attach = s[S_SIGN.name], s[S_ATTACH.name]
        self.issuer, self.docno = s[S_ISSUER.name], s[S_DOCNO.name]
        self.cell, self.cell_c, self.cell_h = s[S_CELL.name], s[S_CELL_C.name], s[S_CELL_H.name]
        self.figure = s[S_FIGURE.name]


def nonzero(text: str) -> bool:
    """True for a number other than zero, or any text that is not one."""
    try:
        return Decimal(text) != 0
    except (InvalidOperation, ValueError):
        return bool(text)


def sentence(text: str, stop: str = "。") -> str:
    """End a piece of data with ``stop`` unless it already ends a sentence."""
    t = clean(text)
    return t if not t or t[-1] in "。！？；.!?;" else t + stop


def deduction_notes(d: Deduction, t: Catalog) -> list[str]:
    """The reason cell: the reason, then each piece of evidence, then where the value was read."""
    notes = [clean(d.reason) or "—"]
    notes += [t("basis", text=e) for e in (clean(x) for x in d.evidence) if e]
    src = clean(d.source)
    if src:
        notes.append(t("from", text=src))
    return notes
