"""GB/T 9704-2012 page and style set-up for Word output, and the reproducible .docx packaging.

Kept apart from :mod:`safescore.render.docx` (what the bulletin and letters say) because this
is only how a 党政机关公文 page looks: A4 with a 156 x 225 mm 版心, 22 lines of 28 characters,
fixed fonts per text level, page numbers ``— 1 —`` on the outside corners.

Fonts. East-Asian text takes its font from ``w:rFonts/@w:eastAsia``; python-docx's ``font.name``
only sets the Latin attributes, so every style here writes all four attributes itself and drops
the theme-font attributes (a theme attribute overrides an explicit one in the same element).
The GB fonts (仿宋_GB2312, 楷体_GB2312, 方正小标宋简体) are missing on many machines, so the
font table also gives each one an ``altName`` that Windows always has (仿宋, 楷体, 宋体) and the
GB2312 charset; LibreOffice and Word then substitute a Chinese face, never boxes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle, StyleFactory
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from safescore.render._xlsx_style import build_time

# --- GB/T 9704-2012 measures ------------------------------------------------------------------

PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_W_MM = 156  # 版心 width; height 225 mm
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines; 579 twips
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
PAGE_NUM_PT = 14  # 4号
TABLE_PT = 12  # 小四
RED = RGBColor(0xFF, 0x00, 0x00)

FANGSONG, KAITI, HEITI, XBS, SONGTI = "仿宋_GB2312", "楷体_GB2312", "黑体", "方正小标宋简体", "宋体"
LATIN = "Times New Roman"

# name, altName (always on Windows), panose-free font-table entry; charset 86 = GB2312
FONT_TABLE = (
    (FANGSONG, "仿宋", "modern", "fixed"),
    (KAITI, "楷体", "modern", "fixed"),
    (HEITI, "SimHei", "modern", "fixed"),
    (XBS, "宋体", "script", "variable"),
    (SONGTI, "SimSun", "auto", "variable"),
)

# --- styles -----------------------------------------------------------------------------------
# Style names are Chinese (what a Word user sees in the style gallery); ids are ASCII so the XML
# stays readable. A user template that already has a style of that name keeps its own look.


@dataclass(frozen=True)
class StyleSpec:
    name: str
    style_id: str
    east: str
    latin: str
    size: float
    align: WD_ALIGN_PARAGRAPH | None = None
    bold: bool = False
    color: RGBColor | None = None
    exact: float | None = None  # fixed line spacing in points; None: single, off the grid
    tighten: bool = False  # -0.25 pt character spacing: 28 characters of 3号 to a 156 mm line
    first_line_chars: int = 0  # 首行缩进, in characters
    outline: int | None = None  # heading level for the navigation pane
    keep_next: bool = False
    before: float = 0.0


def _line(name: str, style_id: str, east: str, **kw: Any) -> StyleSpec:
    """A 3号 style on the 28.95 pt line pitch, tightened to 28 characters a line."""
    return StyleSpec(name, style_id, east, LATIN, BODY_PT, exact=28.95, tighten=True, **kw)


J, C, L, R = (
    WD_ALIGN_PARAGRAPH.JUSTIFY,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.RIGHT,
)
S_TITLE = StyleSpec("公文标题", "GwTitle", XBS, XBS, TITLE_PT, C, exact=35, keep_next=True)
S_BODY = _line("公文正文", "GwBody", FANGSONG, align=J, first_line_chars=2)
S_TO = _line("公文主送", "GwTo", FANGSONG, align=J)
S_H1 = _line("公文一级标题", "GwHeading1", HEITI, align=J, first_line_chars=2, outline=0, keep_next=True)
S_H2 = _line("公文二级标题", "GwHeading2", KAITI, align=J, first_line_chars=2, outline=1, keep_next=True)
S_H3 = _line(
    "公文三级标题", "GwHeading3", FANGSONG, align=J, bold=True, first_line_chars=2, outline=2, keep_next=True
)
S_SIGN = _line("公文署名", "GwSignature", FANGSONG, align=R)
S_ATTACH = _line("公文附件标识", "GwAttachment", HEITI, align=L, keep_next=True)
# 发文机关标志: 35 mm (99.2 pt) below the 版心 top; 文号 two lines under it
S_ISSUER = StyleSpec("红头发文机关", "GwIssuer", XBS, XBS, 36, C, color=RED, before=99.2)
S_DOCNO = _line("红头文号", "GwDocNumber", FANGSONG, align=C, before=57.9)
S_CELL = StyleSpec("公文表格", "GwTable", FANGSONG, LATIN, TABLE_PT, L)
S_CELL_C = StyleSpec("公文表格居中", "GwTableCenter", FANGSONG, LATIN, TABLE_PT, C)
S_CELL_H = StyleSpec("公文表头", "GwTableHead", HEITI, LATIN, TABLE_PT, C)
S_PAGE = StyleSpec("公文页码", "GwPageNumber", SONGTI, SONGTI, PAGE_NUM_PT)

# fmt: off
ALL_STYLES = (S_TITLE, S_BODY, S_TO, S_H1, S_H2, S_H3, S_SIGN, S_ATTACH, S_ISSUER, S_DOCNO,
              S_CELL, S_CELL_C, S_CELL_H, S_PAGE)
# fmt: on


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


# --- document set-up --------------------------------------------------------------------------


def open_base(template: Path | None) -> DocumentObject:
    """The document to build on: the user's template, or python-docx's blank one set up as GB/T 9704.

    A template keeps its own page set-up, headers, footers and any style it defines under one of
    the names in :data:`ALL_STYLES`; only what it lacks is added.
    """
    doc = Document(str(template)) if template is not None else Document()
    _drop_cruft(doc)
    add_styles(doc, own_defaults=template is None)
    _font_table(doc)
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    if template is None:
        section = doc.sections[0]
        gbt_page(section)
        page_footers(doc, section)
    elif not _has_footer(doc.sections[-1]):
        page_footers(doc, doc.sections[-1])
    return doc


_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def _drop_cruft(doc: DocumentObject) -> None:
    """Drop the template's preview picture and Word 2010's duplicate style part.

    The preview would show the template (python-docx's logo by default), and
    stylesWithEffects.xml is 400 kB of styles Word rebuilds on its own.
    """
    pkg_rels = doc.part.package.rels
    for rid in [k for k, r in pkg_rels.items() if r.reltype == RT.THUMBNAIL]:
        del pkg_rels[rid]
    rels = doc.part.rels
    for rid in [k for k, r in rels.items() if r.reltype == _STYLES_WITH_EFFECTS]:
        del rels[rid]


def set_fonts(rpr: Any, east: str, latin: str) -> None:
    """Write all four ``w:rFonts`` attributes (East-Asian included) and drop theme fonts."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = put(rpr, OxmlElement("w:rFonts"))
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east)
    fonts.set(qn("w:cs"), latin)
    # ambiguous characters (“”, —, ·) take the East-Asian font, as in Chinese Word
    fonts.set(qn("w:hint"), "eastAsia")


def _set_lang(rpr: Any) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = put(rpr, OxmlElement("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


# Child order of the OOXML property elements we touch (ECMA-376 CT_RPr, CT_PPr, CT_TblPr).
# Word refuses a file whose property children are out of schema order, so nothing is appended
# blindly.
_ORDER = {
    qn("w:rPr"): "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
    "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath",
    qn("w:pPr"): "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN "
    "bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
    "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    qn("w:tblPr"): "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription",
}
_RANK = {parent: {qn(f"w:{t}"): i for i, t in enumerate(seq.split())} for parent, seq in _ORDER.items()}


def put(parent: Any, child: Any) -> Any:
    """Insert ``child`` into a property element at its schema position, replacing one of the same tag."""
    rank = _RANK[parent.tag]
    old = parent.find(child.tag)
    if old is not None:
        parent.replace(old, child)
        return child
    mine = rank[child.tag]
    for el in parent:
        if rank.get(el.tag, -1) > mine:
            el.addprevious(child)
            return child
    parent.append(child)
    return child


def _val(tag: str, val: str) -> Any:
    el = OxmlElement(tag)
    el.set(qn("w:val"), val)
    return el


def _ppr_flag(ppr: Any, tag: str, val: str) -> Any:
    return put(ppr, _val(tag, val))


def add_styles(doc: DocumentObject, *, own_defaults: bool) -> None:
    """Create every style of :data:`ALL_STYLES` the document does not have yet."""
    root = doc.styles.element
    # names read straight from the XML: python-docx's name lookup scans every style per call
    existing = set(root.xpath("w:style/w:name/@w:val"))
    if own_defaults:
        _doc_defaults(doc)
    for spec in ALL_STYLES:
        if spec.name in existing:
            continue
        style = StyleFactory(root.add_style_of_type(spec.name, WD_STYLE_TYPE.PARAGRAPH, False))
        style.style_id = spec.style_id
        _fill_style(cast(ParagraphStyle, style), spec)


def _fill_style(style: ParagraphStyle, spec: StyleSpec) -> None:
    style.quick_style = True
    font = style.font
    font.size = Pt(spec.size)
    font.bold = spec.bold
    if spec.color is not None:
        font.color.rgb = spec.color
    rpr = style.element.get_or_add_rPr()
    set_fonts(rpr, spec.east, spec.latin)
    if spec.tighten:
        put(rpr, _val("w:spacing", "-5"))
    _set_lang(rpr)
    pf = style.paragraph_format
    if spec.align is not None:
        pf.alignment = spec.align
    pf.space_before = Pt(spec.before)
    pf.space_after = Pt(0)
    if spec.exact is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(spec.exact)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.keep_with_next = spec.keep_next or None
    # widow control would move lines and break the fixed 22 lines a page
    pf.widow_control = False
    ppr = style.element.get_or_add_pPr()
    if spec.exact is None:
        # table text and the red header are not on the page's line grid (rows would grow)
        _ppr_flag(ppr, "w:snapToGrid", "0")
    if spec.first_line_chars:
        ind = ppr.get_or_add_ind()
        ind.set(qn("w:firstLineChars"), str(spec.first_line_chars * 100))
        ind.set(qn("w:firstLine"), str(int(spec.first_line_chars * spec.size * 20)))
    if spec.outline is not None:
        _ppr_flag(ppr, "w:outlineLvl", str(spec.outline))


def _doc_defaults(doc: DocumentObject) -> None:
    """仿宋 3号 as the document default: the character grid counts in the default font size."""
    root = doc.styles.element
    defaults = root.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is None:
        return
    set_fonts(rpr, FANGSONG, LATIN)
    for tag in ("w:sz", "w:szCs"):
        put(rpr, _val(tag, str(BODY_PT * 2)))
    _set_lang(rpr)


def _font_table(doc: DocumentObject) -> None:
    """Add the GB fonts to word/fontTable.xml with an ``altName`` Windows always has."""
    try:
        part = doc.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    root = etree.fromstring(part.blob)
    have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt, family, pitch in FONT_TABLE:
        if name in have:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, val in (("w:altName", alt), ("w:charset", "86"), ("w:family", family), ("w:pitch", pitch)):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), val)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def gbt_page(section: Section, *, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 版心 (156 x 225 mm) and a 22-line x 28-character grid.

    Landscape pages (wide score tables) turn the same 版心 on its side.
    """
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_H, PAGE_W
        section.top_margin, section.bottom_margin = MARGIN_LEFT, MARGIN_RIGHT
        section.left_margin, section.right_margin = MARGIN_TOP, MARGIN_BOTTOM
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_W, PAGE_H
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = Mm(15)
    # GB/T 9704 7.5: the page number's dash line sits 7 mm under the 版心
    section.footer_distance = Mm(21)
    section.gutter = Mm(0)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.attrib.clear()
    # A line grid only. Word's 公文 templates also set a character grid (linesAndChars), but
    # LibreOffice spreads characters over it (about 18 to a line); 28 characters a line come
    # from the body styles' -0.25 pt character spacing instead (28 x 15.75 pt fit in 156 mm).
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE_PITCH.twips)))


def _has_footer(section: Section) -> bool:
    return section._sectPr.find(qn("w:footerReference")) is not None


def page_footers(doc: DocumentObject, section: Section) -> None:
    """``— 1 —`` in 宋体 4号: right on odd pages, left on even ones, one character in from the edge."""
    doc.settings.odd_and_even_pages_header_footer = True
    indent = Pt(PAGE_NUM_PT)
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        par = footer.paragraphs[0]
        set_style(par, doc.styles[S_PAGE.name])
        par.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            par.paragraph_format.right_indent = indent
        else:
            par.paragraph_format.left_indent = indent
        par.add_run("— ")
        page_field(par)
        par.add_run(" —")


def page_field(par: Paragraph) -> None:
    """A PAGE field (complex field, so Word and LibreOffice both update it)."""
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = par.add_run()
        r = run._r
        if kind is not None:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = text
            r.append(instr)
        else:
            run.text = text or ""


def clear_body(doc: DocumentObject) -> None:
    """Remove the template's content but keep its last section properties (page set-up, footers)."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


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
    t = doc.add_table(rows=1, cols=len(widths))
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
    """Append a row that never splits across pages; each cell gets one paragraph per text."""
    row = t.add_row()
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell, (texts, style) in zip(row.cells, cells, strict=True):
        _cell_text(cell, texts, style)


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


# --- template tags ----------------------------------------------------------------------------

TAG = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
CONTENT_TAG = "content"


def story_roots(doc: DocumentObject) -> Iterator[Any]:
    """The body and every header and footer part: where template tags may stand."""
    yield doc.element.body
    seen: set[int] = set()
    for rel in doc.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external:
            part = rel.target_part
            if id(part) not in seen:
                seen.add(id(part))
                yield part.element


def fill_tags(doc: DocumentObject, values: dict[str, str]) -> None:
    """Replace ``{{ name }}`` tags in body, headers and footers, even when Word split them across runs.

    Unknown tags stay as they are, so a misspelt tag shows in the output instead of vanishing.
    """
    for root in story_roots(doc):
        for p in root.iter(qn("w:p")):
            ts = list(p.iter(qn("w:t")))
            full = "".join(t.text or "" for t in ts)
            if "{{" not in full:
                continue
            matches = [m for m in TAG.finditer(full) if m.group(1) in values]
            for m in reversed(matches):  # right to left keeps earlier offsets valid
                _replace_span(ts, m.start(), m.end(), clean(values[m.group(1)]))


def _replace_span(ts: list[Any], start: int, end: int, new: str) -> None:
    pos = 0
    first = True
    for t in ts:
        text = t.text or ""
        a, b = pos, pos + len(text)
        pos = b
        if b <= start or a >= end:
            continue
        lo, hi = max(start, a) - a, min(end, b) - a
        t.text = text[:lo] + (new if first else "") + text[hi:]
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        first = False


def content_marker(doc: DocumentObject) -> Any | None:
    """The body paragraph that holds only ``{{ content }}``, where generated text goes."""
    for p in doc.element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t"))).strip()
        m = TAG.fullmatch(text)
        if m and m.group(1) == CONTENT_TAG:
            return p
    return None


# --- reproducible packaging -------------------------------------------------------------------


def stamp_core(doc: DocumentObject, when: dt.datetime, *, title: str, author: str) -> None:
    """Pin the core properties: same inputs and SOURCE_DATE_EPOCH give the same bytes."""
    cp = doc.core_properties
    cp.created = when
    cp.modified = when
    cp.title = clean(title)[:250]
    cp.author = clean(author)[:250]
    cp.last_modified_by = "safescore"
    cp.comments = ""
    cp.revision = 1
    el = cp._element
    printed = el.find(qn("cp:lastPrinted"))
    if printed is not None:  # a template's print date is not this document's
        el.remove(printed)


def doc_parts(doc: DocumentObject) -> list[tuple[str, bytes]]:
    """The package's parts in python-docx's (deterministic) order, as (zip name, bytes)."""
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


@dataclass(frozen=True)
class Entry:
    """A zip member, compressed once: constant parts are reused for every letter."""

    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream

    @classmethod
    def of(cls, name: str, raw: bytes) -> Entry:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(name.encode("utf-8"), zlib.crc32(raw), len(raw), c.compress(raw) + c.flush())


_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def zip_bytes(entries: Iterable[Entry], when: dt.datetime) -> bytes:
    """A plain deflated zip with one fixed date on every member and members in the given order.

    Written by hand rather than with :mod:`zipfile` so already-compressed members are copied,
    not compressed again (the letters' fast path), and no wall-clock time gets in.
    """
    y = max(when.year, 1980)
    dos_time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    dos_date = ((y - 1980) << 9) | (when.month << 5) | when.day
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    count = 0
    for e in entries:
        flags = 0 if e.name.isascii() else 0x800
        if len(e.data) >= 0xFFFFFFFF or e.size >= 0xFFFFFFFF:
            raise ValueError("document part too large for a zip without ZIP64")
        head = _LOCAL.pack(
            0x04034B50, 20, flags, 8, dos_time, dos_date, e.crc, len(e.data), e.size, len(e.name), 0
        )
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                (3 << 8) | 20,
                20,
                flags,
                8,
                dos_time,
                dos_date,
                e.crc,
                len(e.data),
                e.size,
                len(e.name),
                0,
                0,
                0,
                0,
                0o600 << 16,
                offset,
            )
            + e.name
        )
        out += (head, e.name, e.data)
        offset += len(head) + len(e.name) + len(e.data)
        count += 1
    cd = b"".join(central)
    out.append(cd)
    out.append(_END.pack(0x06054B50, 0, 0, count, count, len(cd), offset, 0))
    return b"".join(out)


def package(doc: DocumentObject, when: dt.datetime) -> bytes:
    """python-docx's package re-zipped with fixed dates: byte-identical for equal documents."""
    return zip_bytes((Entry.of(n, b) for n, b in doc_parts(doc)), when)


def stamp() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else now (UTC, whole seconds)."""
    return build_time()
