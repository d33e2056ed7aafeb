"""Page set-up of the Word output: the document to build on, A4 pages with the GB/T 9704 版心 and
line grid, ``— 1 —`` page numbers."""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from safescore.render.docx.blocks import set_style
from safescore.render.docx.styles import (
    LINE_PITCH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_H,
    PAGE_NUM_PT,
    PAGE_W,
    S_PAGE,
    TemplateError,
    add_styles,
    font_table,
)


def open_base(template: Path | None) -> DocumentObject:
    """The document to build on: the user's template, or python-docx's blank one set up as GB/T 9704.

    A template keeps its own page set-up, headers, footers and any style it defines under one of
    the names in :data:`ALL_STYLES`; only what it lacks is added.
    """
    doc = Document() if template is None else _open_template(template)
    _drop_cruft(doc)
    add_styles(doc, own_defaults=template is None)
    font_table(doc)
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


def check_template(template: Path) -> None:
    """Raise :class:`TemplateError` now if ``template`` cannot be built on, so a command can refuse
    a bad ``--template`` as a usage error before it reads and scores anything."""
    open_base(template)


def _open_template(template: Path) -> DocumentObject:
    """The user's .docx, or a :class:`TemplateError` saying why it cannot be used."""
    try:
        return Document(str(template))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        # python-docx: not a zip, not a Word document (content type), a part missing or unparsable
        # (lxml's XMLSyntaxError is a SyntaxError)
        raise TemplateError(f"Word 模板 {template} 无法使用：不是有效的 .docx 文件（{exc}）") from None


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
