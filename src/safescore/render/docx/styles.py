"""GB/T 9704-2012 measures and the paragraph styles of the Word output.

A 党政机关公文 page: A4 with a 156 x 225 mm 版心, 22 lines of 28 characters, fixed fonts per text
level. Page set-up itself is in :mod:`.page`.

Fonts. East-Asian text takes its font from ``w:rFonts/@w:eastAsia``; python-docx's ``font.name``
only sets the Latin attributes, so every style here writes all four attributes itself and drops
the theme-font attributes (a theme attribute overrides an explicit one in the same element).
The GB fonts (仿宋_GB2312, 楷体_GB2312, 方正小标宋简体) are missing on many machines, so the
font table also gives each one an ``altName`` that Windows always has (仿宋, 楷体, 宋体) and the
GB2312 charset; LibreOffice and Word then substitute a Chinese face, never boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle, StyleFactory
from lxml import etree

# --- GB/T 9704-2012 measures ------------------------------------------------------------------

PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_W_MM = 156  # 版心 width; height 225 mm
GRID_PT = 28.95  # 225 mm / 22 lines; 579 twips
LINE_PITCH = Pt(GRID_PT)
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
    return StyleSpec(name, style_id, east, LATIN, BODY_PT, exact=GRID_PT, tighten=True, **kw)


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
S_CELL_H = StyleSpec("公文表头", "GwTableHead", HEITI, LATIN, TABLE_PT, C, keep_next=True)
S_PAGE = StyleSpec("公文页码", "GwPageNumber", SONGTI, SONGTI, PAGE_NUM_PT)
# charts: single spacing off the line grid (an exact line height would crop the picture)
S_FIGURE = StyleSpec("公文图表", "GwFigure", FANGSONG, LATIN, TABLE_PT, C, keep_next=True)

# fmt: off
ALL_STYLES = (S_TITLE, S_BODY, S_TO, S_H1, S_H2, S_H3, S_SIGN, S_ATTACH, S_ISSUER, S_DOCNO,
              S_CELL, S_CELL_C, S_CELL_H, S_PAGE, S_FIGURE)
# fmt: on


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
    if spec.exact != GRID_PT:
        # Off the page's line grid: table text and the red header (rows would grow), and the
        # title's exact 35 pt lines, which Word lays out as they are but LibreOffice would
        # otherwise snap to two grid lines each (half a page of blank on page one).
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


class TemplateError(ValueError):
    """A Word template that cannot be used; the message (Chinese) says why, for the user."""


def parse_part(blob: bytes, name: str) -> Any:
    """Parse one XML part of a Word template with a hardened parser.

    The template is the office's own file but still comes from outside: no entity is expanded,
    no DTD loaded, nothing fetched from the network. OOXML parts never carry a DOCTYPE, so one
    that does is refused rather than written back with entity references left unresolved.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(blob, parser)
    except etree.XMLSyntaxError as exc:
        raise TemplateError(f"Word 模板的 {name} 不是有效的 XML：{exc}") from None
    if root.getroottree().docinfo.doctype:
        raise TemplateError(f"Word 模板的 {name} 含有文档类型声明（<!DOCTYPE>），Word 文件不应有，已拒绝使用")
    return root


def font_table(doc: DocumentObject) -> None:
    """Add the GB fonts to word/fontTable.xml with an ``altName`` Windows always has."""
    try:
        part = doc.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    root = parse_part(part.blob, "word/fontTable.xml")
    have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt, family, pitch in FONT_TABLE:
        if name in have:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, val in (("w:altName", alt), ("w:charset", "86"), ("w:family", family), ("w:pitch", pitch)):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), val)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
