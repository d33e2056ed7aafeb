"""The bulletin (通报) and per-unit letters (反馈单) as Word documents, laid out to GB/T 9704-2012.

Everything shown comes from :mod:`safescore.render.bulletin`'s view-model; this module only lays
it out. Page and style set-up, fonts and reproducible zipping live in
:mod:`safescore.render._docx_gbt`.

Templates. ``template`` is any .docx: the document is built on it (``Document(template)``), so
its page set-up, headers, footers and styles are used; styles it lacks are added under the names
in ``docs/word-templates.md``. Its body is replaced, unless a paragraph holds only
``{{ content }}``: then its body stays, the generated text goes in place of that paragraph and
``{{ issuer }}``-style tags anywhere (body, headers, footers) are filled in.

Letters. Hundreds are written in one run, so :func:`render_letters_docx` builds one letter with
python-docx from placeholder tokens, cuts the repeating table rows out of its document.xml, and
for every unit fills those string templates with escaped text and zips them with the other
parts, which are compressed once. The output is the XML python-docx itself would write (the
tests compare the two).
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from docx.shared import Pt

from safescore.render import _docx_gbt as gb
from safescore.render._xlsx_style import safe_filename
from safescore.render.bulletin import BulletinView, Deduction, GroupView, LetterView
from safescore.render.files import write_atomic

__all__ = [
    "LETTER_HEADING",
    "LetterRenderer",
    "build_bulletin_document",
    "build_letter_document",
    "cn_number",
    "letter_filename",
    "render_bulletin_docx",
    "render_letter_docx",
    "render_letters_docx",
]

LETTER_HEADING = "安全生产考评结果反馈单"
_WRITERS = 4  # measured: 1,000 letters 6.3 s with one writer, 3.1 s with four, no gain past four
_IN_FLIGHT = 64
TOP_REASONS = 5  # reasons written out with examples under the reasons table

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 27 → 二十七 (headings go past ten with many groups or units)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    if n < 100:
        return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")
    return str(n)


def _nonzero(text: str) -> bool:
    try:
        return Decimal(text) != 0
    except (InvalidOperation, ValueError):
        return bool(text)


def _sentence(text: str) -> str:
    """End a piece of data with 。 unless it already ends a sentence."""
    t = gb.clean(text)
    return t if not t or t[-1] in "。！？；.!?;" else t + "。"


# --- bulletin -------------------------------------------------------------------------------


class _Styles:
    """Style objects looked up once (python-docx resolves names by scanning all styles)."""

    def __init__(self, doc: DocumentObject) -> None:
        s = doc.styles
        self.title, self.body, self.to = s[gb.S_TITLE.name], s[gb.S_BODY.name], s[gb.S_TO.name]
        self.h1, self.h2, self.h3 = s[gb.S_H1.name], s[gb.S_H2.name], s[gb.S_H3.name]
        self.sign, self.attach = s[gb.S_SIGN.name], s[gb.S_ATTACH.name]
        self.issuer, self.docno = s[gb.S_ISSUER.name], s[gb.S_DOCNO.name]
        self.cell, self.cell_c, self.cell_h = s[gb.S_CELL.name], s[gb.S_CELL_C.name], s[gb.S_CELL_H.name]


class _Body:
    """Where generated content goes: the end of the body, later moved to ``{{ content }}`` if any."""

    def __init__(self, doc: DocumentObject, template: Path | None, tags: dict[str, str]) -> None:
        self.doc = doc
        self.marker = gb.content_marker(doc) if template is not None else None
        if self.marker is None:
            gb.clear_body(doc)
        gb.fill_tags(doc, tags)
        self.before = set(doc.element.body)

    def finish(self) -> None:
        if self.marker is None:
            return
        body = self.doc.element.body
        new = [el for el in body if el not in self.before and el.tag != qn("w:sectPr")]
        for el in new:
            self.marker.addprevious(el)
        self.marker.getparent().remove(self.marker)


def _red_header(doc: DocumentObject, st: _Styles, issuer: str, doc_number: str) -> None:
    """发文机关标志 in red 小标宋, the 文号 two lines under it, and the red rule below."""
    name = gb.clean(issuer)
    p = gb.para(doc, st.issuer, name)
    width = gb.text_width(name) or 1
    size = gb.S_ISSUER.size
    if width * size > gb.TEXT_W_MM / 25.4 * 72:  # keep a long name on one line while it can
        size = max(float(gb.TITLE_PT), math.floor(gb.TEXT_W_MM / 25.4 * 72 / width))
        for run in p.runs:
            run.font.size = Pt(size)
    num = gb.para(doc, st.docno, doc_number)
    gb.red_rule(num)


def _signature(doc: DocumentObject, st: _Styles, issuer: str, date: str) -> None:
    """署名 and 成文日期 (GB/T 9704 7.3.5.2): the date starts two characters right of the name,
    and whichever is longer stands two characters from the right edge."""
    issuer, date = gb.clean(issuer), gb.clean(date)
    wi, wd = gb.text_width(issuer), gb.text_width(date)
    ri, rd = (2.0, 2.0) if wi < wd + 2 else (2.0, 2.0 + wi - 2 - wd)
    first = True
    for text, right in ((issuer, ri), (date, rd)):
        if not text:
            continue
        p = gb.para(doc, st.sign, text)
        ind = p._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:rightChars"), str(int(right * 100)))
        ind.set(qn("w:right"), str(int(right * gb.BODY_PT * 20)))
        if first:
            p.paragraph_format.space_before = gb.LINE_PITCH * 2
            first = False


def _indent_chars(p: Any, chars: float) -> None:
    ind = p._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(int(chars * 100)))
    ind.set(qn("w:firstLine"), str(int(chars * gb.BODY_PT * 20)))


def _ranking(doc: DocumentObject, st: _Styles, g: GroupView) -> None:
    t = gb.table(doc, (14, 60, 22, 18, 16, 26), ("名次", "单位", "总分", "等次", "较上期", "备注"), st.cell_h)
    for r in g.rows:
        marks = "；".join(r.marks)
        gb.add_row(
            t,
            (
                ([str(r.rank)], st.cell_c),
                ([r.unit], st.cell),
                ([r.total], st.cell_c),
                ([r.grade], st.cell_c),
                ([r.change], st.cell_c),
                ([marks], st.cell),
            ),
        )


def _score_table(doc: DocumentObject, st: _Styles, g: GroupView) -> None:
    """Appendix 1: every section's score, on a landscape page (225 mm wide)."""
    n = len(g.section_titles)
    rest = 225 - 12 - 46 - 20 - 14
    widths = [12.0, 46.0] + [rest / n] * n + [20.0, 14.0] if n else [12.0, 46.0 + rest, 20.0, 14.0]
    t = gb.table(doc, widths, ("名次", "单位", *g.section_titles, "总分", "等次"), st.cell_h)
    for r in g.rows:
        cells = [([str(r.rank)], st.cell_c), ([r.unit], st.cell)]
        cells += [([s], st.cell_c) for s in r.sections]
        cells += [([r.total], st.cell_c), ([r.grade], st.cell_c)]
        # a unit without section scores (not submitted) still fills the row
        while len(cells) < len(widths):
            cells.insert(-2, (["—"], st.cell_c))
        gb.add_row(t, cells[: len(widths)])


def _deduction_notes(d: Deduction) -> list[str]:
    """The reason cell: the reason, then each piece of evidence, then where the value was read."""
    notes = [gb.clean(d.reason) or "—"]
    notes += [f"依据：{e}" for e in (gb.clean(x) for x in d.evidence) if e]
    src = gb.clean(d.source)
    if src:
        notes.append(f"来源：{src}")
    return notes


def _problem_list(doc: DocumentObject, st: _Styles, letter: LetterView) -> None:
    t = gb.table(doc, (12, 38, 18, 88), ("序号", "考评项目", "扣分", "扣分原因及依据"), st.cell_h)
    for i, d in enumerate(letter.deductions, 1):
        gb.add_row(
            t,
            (
                ([str(i)], st.cell_c),
                ([d.title], st.cell),
                ([d.lost], st.cell_c),
                (_deduction_notes(d), st.cell),
            ),
        )


def build_bulletin_document(view: BulletinView, *, template: Path | None = None) -> DocumentObject:
    """The whole 通报 as a python-docx document (not saved)."""
    doc = gb.open_base(template)
    st = _Styles(doc)
    tags = {
        "title": view.title,
        "issuer": view.issuer,
        "doc_number": view.doc_number,
        "date": view.date,
        "period": view.period,
        "rubric_title": view.rubric_title,
    }
    out = _Body(doc, template, tags)
    if out.marker is None:
        _red_header(doc, st, view.issuer, view.doc_number)
    title = gb.para(doc, st.title, view.title)
    if out.marker is None:
        title.paragraph_format.space_before = gb.LINE_PITCH * 2  # 红色分隔线下空二行
    gb.para(doc, st.body, "")
    gb.para(doc, st.body, view.overview)

    h1 = iter(range(1, 100))
    # 一、 rankings per group
    gb.para(doc, st.h1, f"{cn_number(next(h1))}、考评排名情况")
    for i, g in enumerate(view.groups, 1):
        gb.para(doc, st.h2, f"（{cn_number(i)}）{g.title}")
        intro = gb.para(
            doc, st.body, f"{g.title}共{len(g.rows)}个单位参加考评（满分{g.scale}分），排名如下。"
        )
        intro.paragraph_format.keep_with_next = True
        _ranking(doc, st, g)
    # 二、 commended and called-out units
    good = [(g.title, g.commended) for g in view.groups if g.commended]
    bad = [(g, g.called_out) for g in view.groups if g.called_out]
    if good or bad:
        gb.para(doc, st.h1, f"{cn_number(next(h1))}、表扬和通报情况")
        k = iter(range(1, 100))
        if good:
            gb.para(doc, st.h2, f"（{cn_number(next(k))}）予以表扬的单位")
            text = "；".join(f"{title}：{'、'.join(units)}" for title, units in good)
            gb.para(doc, st.body, f"{text}。")
        if bad:
            gb.para(doc, st.h2, f"（{cn_number(next(k))}）排名靠后的单位")
            text = "；".join(
                f"{g.title}{'后' + str(g.bottom_n) + '名' if g.bottom_n else ''}：{'、'.join(units)}"
                for g, units in bad
            )
            gb.para(doc, st.body, f"{text}。")
    # 三、 main deduction reasons by item
    if view.reasons:
        gb.para(doc, st.h1, f"{cn_number(next(h1))}、主要扣分问题")
        gb.para(
            doc, st.body, f"本期考评共有{len(view.reasons)}个考评项目出现扣分，按合计扣分从多到少排列如下。"
        )
        t = gb.table(doc, (14, 78, 30, 34), ("序号", "考评项目", "扣分单位数", "合计扣分"), st.cell_h)
        for i, r in enumerate(view.reasons, 1):
            gb.add_row(
                t,
                (
                    ([str(i)], st.cell_c),
                    ([r.title], st.cell),
                    ([str(r.units)], st.cell_c),
                    ([r.points_lost], st.cell_c),
                ),
            )
        top = [r for r in view.reasons if r.examples][:TOP_REASONS]
        if top:
            gb.para(doc, st.body, "失分较多的问题主要有：")
            for i, r in enumerate(top, 1):
                gb.para(doc, st.h3, f"{i}．{r.title}（{r.units}个单位扣分，合计扣{r.points_lost}分）")
                for ex in r.examples:
                    gb.para(doc, st.body, _sentence(ex))
    # 四、 vetoes, warnings, returns not submitted
    if view.vetoes or view.warnings or view.not_submitted:
        gb.para(doc, st.h1, f"{cn_number(next(h1))}、一票否决、预警及未报送情况")
        if view.vetoes:
            text = "；".join(f"{u}（{t}）" for u, t in view.vetoes)
            gb.para(doc, st.body, f"实行一票否决的单位：{text}。")
        if view.warnings:
            text = "；".join(f"{u}（{w}）" for u, w in view.warnings)
            gb.para(doc, st.body, f"予以预警的单位：{text}。")
        if view.not_submitted:
            gb.para(doc, st.body, f"未按时报送考评材料的单位：{'、'.join(view.not_submitted)}。")
    # 五、 next steps
    if view.next_steps:
        gb.para(doc, st.h1, f"{cn_number(next(h1))}、下一步工作要求")
        for i, s in enumerate(view.next_steps, 1):
            gb.para(doc, st.body, f"{i}．{gb.clean(s)}")

    # 附件说明, 署名, 成文日期
    attachments = ["各单位考评得分明细表"] + (["各单位扣分问题清单"] if view.letters else [])
    for i, name in enumerate(attachments, 1):
        label = "附件：" if i == 1 else ""
        p = gb.para(doc, st.body, f"{label}{i}．{name}" if len(attachments) > 1 else f"附件：{name}")
        if i == 1:
            p.paragraph_format.space_before = gb.LINE_PITCH
        else:
            _indent_chars(p, 5)  # under the "1．" of the first line
    _signature(doc, st, view.issuer, view.date)

    # 附件1 on landscape pages, 附件2 back on portrait
    doc.add_section(WD_SECTION.NEW_PAGE)
    gb.gbt_page(doc.sections[-1], landscape=True)
    gb.para(doc, st.attach, "附件1" if len(attachments) > 1 else "附件")
    gb.para(doc, st.title, f"{view.period}各单位考评得分明细表")
    for g in view.groups:
        gb.para(doc, st.to, f"{g.title}（{len(g.rows)}个单位，满分{g.scale}分）")
        _score_table(doc, st, g)
    if view.letters:
        doc.add_section(WD_SECTION.NEW_PAGE)
        gb.gbt_page(doc.sections[-1])
        gb.para(doc, st.attach, "附件2")
        gb.para(doc, st.title, f"{view.period}各单位扣分问题清单")
        order = {g.title: i for i, g in enumerate(view.groups)}
        by_group: dict[str, list[LetterView]] = {}
        for letter in sorted(view.letters, key=lambda x: (order.get(x.group, 99), x.rank, x.unit)):
            by_group.setdefault(letter.group, []).append(letter)
        for gi, (gtitle, letters) in enumerate(by_group.items(), 1):
            gb.para(doc, st.h2, f"（{cn_number(gi)}）{gtitle}")
            for ui, letter in enumerate(letters, 1):
                gb.para(doc, st.h3, f"{ui}．{letter.unit}（得分{letter.total}，第{letter.rank}名）")
                if letter.deductions:
                    _problem_list(doc, st, letter)
                else:
                    gb.para(doc, st.body, "本期无扣分项。")
    out.finish()
    gb.stamp_core(doc, gb.stamp(), title=view.title, author=view.issuer)
    return doc


def render_bulletin_docx(view: BulletinView, path: Path, *, template: Path | None = None) -> None:
    """Write the 通报 to ``path`` atomically; byte-identical for equal views under SOURCE_DATE_EPOCH."""
    doc = build_bulletin_document(view, template=template)
    write_atomic(Path(path), gb.package(doc, gb.stamp()))


# --- letters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LetterTexts:
    """Every string one letter shows, already cleaned and never empty (python-docx writes no
    ``w:t`` for an empty run, and the fast path must give the same XML)."""

    tags: dict[str, str]  # template tags, also the scalar slots of document.xml
    sections: list[tuple[str, str, str]]  # (title, full marks, score)
    deductions: list[tuple[str, str, str, str, str, list[str]]]  # no, title, points, score, lost, notes


def _nz(text: object) -> str:
    return gb.clean(text) or "—"


def _letter_texts(letter: LetterView, heading: str) -> _LetterTexts:
    unit = _nz(letter.unit)
    parts = [
        f"在本期考评中，你单位在{_nz(letter.group)}{letter.group_size}个单位中得分{_nz(letter.total)}分，"
    ]
    parts.append(f"排名第{letter.rank}位")
    grade = gb.clean(letter.grade)
    parts.append(f"，等次为{grade}。" if grade and grade != "—" else "。")
    extra = []
    if _nonzero(letter.bonus):
        extra.append(f"加分{gb.clean(letter.bonus)}分")
    if _nonzero(letter.penalty):
        extra.append(f"扣减{gb.clean(letter.penalty)}分")
    if extra:
        parts.append(f"其中{'、'.join(extra)}。")
    if letter.self_total is not None:
        parts.append(f"你单位自评{gb.clean(letter.self_total)}分。")
    if letter.vetoes:
        parts.append(f"因{'、'.join(gb.clean(v) for v in letter.vetoes)}，实行一票否决。")
    if letter.status and letter.status != "已报送":
        parts.append(f"报送状态：{gb.clean(letter.status)}。")
    n = len(letter.deductions)
    parts.append(f"共有{n}项扣分，明细如下。" if n else "本期无扣分项。")
    if n and letter.deadline:
        parts.append(f"请于{gb.clean(letter.deadline)}前完成整改，并将整改情况书面报送安委会办公室。")
    sections = [(_nz(t), _nz(p), _nz(s)) for t, s, p in letter.sections]
    if _nonzero(letter.bonus):
        sections.append(("加分", "—", _nz(letter.bonus)))
    if _nonzero(letter.penalty):
        sections.append(("扣减", "—", _nz(letter.penalty)))
    sections.append(("总分", "—", _nz(letter.total)))
    deductions = [
        (str(i), _nz(d.title), _nz(d.points), _nz(d.score), _nz(d.lost), _deduction_notes(d))
        for i, d in enumerate(letter.deductions, 1)
    ] or [("—", "—", "—", "—", "—", ["本期无扣分项"])]
    tags = {
        "title": _nz(heading),
        "to": f"{unit}：",
        "summary": "".join(parts),
        "unit": unit,
        "group": _nz(letter.group),
        "total": _nz(letter.total),
        "rank": str(letter.rank),
        "grade": _nz(letter.grade),
        # core.xml title; capped here (python-docx refuses over 255) so both paths write the same
        "doc_title": f"{_nz(heading)}（{unit}）"[:250],
    }
    return _LetterTexts(tags, sections, deductions)


def _letter_document(texts: _LetterTexts, template: Path | None) -> DocumentObject:
    """One letter with python-docx. Used as-is for the baseline and, fed tokens, as the fast path's
    prototype, so both paths share one layout."""
    doc = gb.open_base(template)
    st = _Styles(doc)
    tags = texts.tags
    out = _Body(doc, template, {k: tags[k] for k in ("title", "unit", "group", "total", "rank", "grade")})
    gb.para(doc, st.title, tags["title"])
    gb.para(doc, st.body, "")
    gb.para(doc, st.to, tags["to"])
    gb.para(doc, st.body, tags["summary"])
    gb.para(doc, st.h1, "一、得分情况")
    t = gb.table(doc, (86, 35, 35), ("考评内容", "分值", "得分"), st.cell_h)
    for title, points, score in texts.sections:
        gb.add_row(t, (([title], st.cell), ([points], st.cell_c), ([score], st.cell_c)))
    gb.para(doc, st.h1, "二、扣分明细")
    t = gb.table(
        doc,
        (12, 32, 13, 15, 15, 69),
        ("序号", "考评项目", "分值", "得分", "扣分", "扣分原因及依据"),
        st.cell_h,
    )
    for no, title, points, score, lost, notes in texts.deductions:
        gb.add_row(
            t,
            (
                ([no], st.cell_c),
                ([title], st.cell),
                ([points], st.cell_c),
                ([score], st.cell_c),
                ([lost], st.cell_c),
                (notes, st.cell),
            ),
        )
    out.finish()
    gb.stamp_core(doc, gb.stamp(), title=tags["doc_title"], author="safescore")
    return doc


def build_letter_document(
    letter: LetterView, *, template: Path | None = None, heading: str = LETTER_HEADING
) -> DocumentObject:
    """One letter built from scratch with python-docx (the benchmark's baseline; the fast path's
    reference in the tests)."""
    return _letter_document(_letter_texts(letter, heading), template)


# The fast path. Tokens are private-use-free brackets no cleaned value can turn into markup;
# values are inserted after the template is split, so a value that looks like a token stays text.
_TOK = re.compile(r"⟦([a-z_0-9]+)⟧")


def _tok(name: str) -> str:
    return f"⟦{name}⟧"


class _Tpl:
    """A string with ``⟦name⟧`` slots, split once; :meth:`fill` joins escaped values in."""

    __slots__ = ("parts",)

    def __init__(self, text: str) -> None:
        self.parts = _TOK.split(text)

    def fill(self, values: dict[str, str]) -> str:
        p = self.parts
        out = [p[0]]
        for i in range(1, len(p), 2):
            value = values.get(p[i])
            # a bracketed word that is not one of our slots (a template's own text) stays as is
            out.append(f"⟦{p[i]}⟧" if value is None else gb.escape(value))
            out.append(p[i + 1])
        return "".join(out)


def _cut(xml: str, token: str, tag: str, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """Start and end of the ``<tag>`` element around ``token`` (rows and cell paragraphs do not nest)."""
    i = xml.index(token, lo, hi)
    start = max(xml.rfind(f"<{tag}>", lo, i), xml.rfind(f"<{tag} ", lo, i))
    end = xml.index(f"</{tag}>", i) + len(tag) + 3
    if start < lo:
        raise ValueError(f"no <{tag}> around {token}")
    return start, end


_SCALARS = ("title", "to", "summary", "unit", "group", "total", "rank", "grade", "doc_title")


class LetterRenderer:
    """Fills one python-docx prototype per (template, heading) for any number of letters."""

    def __init__(self, template: Path | None = None, heading: str = LETTER_HEADING) -> None:
        self.heading = heading
        proto = _LetterTexts(
            {k: _tok(k) for k in _SCALARS},
            [(_tok("s0"), _tok("s1"), _tok("s2"))],
            [(_tok("d0"), _tok("d1"), _tok("d2"), _tok("d3"), _tok("d4"), [_tok("n")])],
        )
        self.when = gb.stamp()
        # each part: compressed once (constant), a template (holds a tag), or None (document.xml)
        self.parts: list[tuple[str, gb.Entry | _Tpl | None]] = []
        for name, data in gb.doc_parts(_letter_document(proto, template)):
            text = data.decode("utf-8") if name.endswith((".xml", ".rels")) else ""
            if name == "word/document.xml":
                self._split_document(text)
                self.parts.append((name, None))
            elif "⟦" in text:
                self.parts.append((name, _Tpl(text)))
            else:
                self.parts.append((name, gb.Entry.of(name, data)))

    def _split_document(self, xml: str) -> None:
        """Cut document.xml around the one section row, deduction row and note paragraph."""
        s0, s1 = _cut(xml, _tok("s0"), "w:tr")
        d0, d1 = _cut(xml, _tok("d0"), "w:tr")
        n0, n1 = _cut(xml, _tok("n"), "w:p", d0, d1)
        self.head = _Tpl(xml[:s0])
        self.sec_row = _Tpl(xml[s0:s1])
        self.mid = _Tpl(xml[s1:d0])
        self.ded_a, self.note, self.ded_b = _Tpl(xml[d0:n0]), _Tpl(xml[n0:n1]), _Tpl(xml[n1:d1])
        self.tail = _Tpl(xml[d1:])

    def document_xml(self, t: _LetterTexts) -> str:
        v = t.tags
        out = [self.head.fill(v)]
        for title, points, score in t.sections:
            out.append(self.sec_row.fill({"s0": title, "s1": points, "s2": score}))
        out.append(self.mid.fill(v))
        for no, title, points, score, lost, notes in t.deductions:
            row = {"d0": no, "d1": title, "d2": points, "d3": score, "d4": lost}
            out.append(self.ded_a.fill(row))
            out.extend(self.note.fill({"n": n}) for n in notes)
            out.append(self.ded_b.fill(row))
        out.append(self.tail.fill(v))
        return "".join(out)

    def render(self, letter: LetterView) -> bytes:
        """The .docx bytes of one letter."""
        t = _letter_texts(letter, self.heading)
        entries = []
        for name, part in self.parts:
            if isinstance(part, gb.Entry):
                entries.append(part)
            elif part is None:
                entries.append(gb.Entry.of(name, self.document_xml(t).encode("utf-8")))
            else:
                entries.append(gb.Entry.of(name, part.fill(t.tags).encode("utf-8")))
        return gb.zip_bytes(entries, self.when)


def render_letter_docx(
    letter: LetterView, path: Path, *, template: Path | None = None, heading: str = LETTER_HEADING
) -> None:
    """Write one unit's 反馈单 to ``path`` atomically."""
    write_atomic(Path(path), LetterRenderer(template, heading).render(letter))


def letter_filename(unit: str, used: set[str]) -> str:
    """``<unit>.docx`` made safe (see :func:`safe_filename`), ``<unit>-2.docx`` … when taken.

    ``used`` holds the case-folded names given so far: Windows and macOS ignore case.
    """
    stem = safe_filename(unit)
    candidate, n = stem, 1
    while f"{candidate}.docx".casefold() in used:
        n += 1
        candidate = f"{stem}-{n}"
    name = f"{candidate}.docx"
    used.add(name.casefold())
    return name


def render_letters_docx(
    letters: Iterable[LetterView],
    out_dir: Path,
    *,
    template: Path | None = None,
    heading: str = LETTER_HEADING,
) -> list[Path]:
    """Write one 反馈单 per unit into ``out_dir`` (each file atomically); return the paths in order.

    Rendering stays on this thread; the writes (each a temp file, fsync and rename, which take
    longer than rendering) go to a few threads, as fsync releases the GIL. At most
    ``_IN_FLIGHT`` documents wait in memory. The first failed write is raised once the others end.
    """
    out_dir = Path(out_dir)
    renderer = LetterRenderer(template, heading)
    used: set[str] = set()
    paths: list[Path] = []
    pending: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=_WRITERS, thread_name_prefix="docx-write") as pool:
        try:
            for letter in letters:
                path = out_dir / letter_filename(letter.unit, used)
                pending.append(pool.submit(write_atomic, path, renderer.render(letter)))
                paths.append(path)
                while len(pending) > _IN_FLIGHT:
                    pending.popleft().result()
        finally:
            errors = [e for e in (f.exception() for f in pending) if e is not None]
        if errors:
            raise errors[0]
    return paths
