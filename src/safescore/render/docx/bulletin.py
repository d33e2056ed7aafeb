"""The bulletin (通报) as a Word document, laid out to GB/T 9704-2012.

Everything shown comes from :mod:`safescore.render.bulletin`'s view-model; this module only lays
it out with the styles of :mod:`.styles` on the page of :mod:`.page`.
"""

from __future__ import annotations

import math
from pathlib import Path

from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from docx.shared import Pt

from safescore.render.bulletin import BulletinView, GroupView, LetterView
from safescore.render.docx.blocks import (
    Styles,
    add_row,
    clean,
    cn_number,
    deduction_notes,
    indent_chars,
    para,
    red_rule,
    sentence,
    table,
    text_width,
)
from safescore.render.docx.package import package, stamp, stamp_core
from safescore.render.docx.page import gbt_page, open_base
from safescore.render.docx.styles import BODY_PT, LINE_PITCH, S_ISSUER, TEXT_W_MM, TITLE_PT
from safescore.render.docx.tags import Body
from safescore.render.files import write_atomic

TOP_REASONS = 5  # reasons written out with examples under the reasons table


def _red_header(doc: DocumentObject, st: Styles, issuer: str, doc_number: str) -> None:
    """发文机关标志 in red 小标宋, the 文号 two lines under it, and the red rule below."""
    name = clean(issuer)
    p = para(doc, st.issuer, name)
    width = text_width(name) or 1
    size = S_ISSUER.size
    if width * size > TEXT_W_MM / 25.4 * 72:  # keep a long name on one line while it can
        size = max(float(TITLE_PT), math.floor(TEXT_W_MM / 25.4 * 72 / width))
        for run in p.runs:
            run.font.size = Pt(size)
    num = para(doc, st.docno, doc_number)
    red_rule(num)


def _signature(doc: DocumentObject, st: Styles, issuer: str, date: str) -> None:
    """署名 and 成文日期 (GB/T 9704 7.3.5.2): the date starts two characters right of the name,
    and whichever is longer stands two characters from the right edge."""
    issuer, date = clean(issuer), clean(date)
    wi, wd = text_width(issuer), text_width(date)
    ri, rd = (2.0, 2.0) if wi < wd + 2 else (2.0, 2.0 + wi - 2 - wd)
    first = True
    for text, right in ((issuer, ri), (date, rd)):
        if not text:
            continue
        p = para(doc, st.sign, text)
        ind = p._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:rightChars"), str(int(right * 100)))
        ind.set(qn("w:right"), str(int(right * BODY_PT * 20)))
        if first:
            p.paragraph_format.space_before = LINE_PITCH * 2
            first = False


def _ranking(doc: DocumentObject, st: Styles, g: GroupView) -> None:
    t = table(doc, (14, 60, 22, 18, 16, 26), ("名次", "单位", "总分", "等次", "较上期", "备注"), st.cell_h)
    for r in g.rows:
        marks = "；".join(r.marks)
        add_row(
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


def _score_table(doc: DocumentObject, st: Styles, g: GroupView) -> None:
    """Appendix 1: every section's score, on a landscape page (225 mm wide)."""
    n = len(g.section_titles)
    rest = 225 - 12 - 46 - 20 - 14
    widths = [12.0, 46.0] + [rest / n] * n + [20.0, 14.0] if n else [12.0, 46.0 + rest, 20.0, 14.0]
    t = table(doc, widths, ("名次", "单位", *g.section_titles, "总分", "等次"), st.cell_h)
    for r in g.rows:
        cells = [([str(r.rank)], st.cell_c), ([r.unit], st.cell)]
        cells += [([s], st.cell_c) for s in r.sections]
        cells += [([r.total], st.cell_c), ([r.grade], st.cell_c)]
        # a unit without section scores (not submitted) still fills the row
        while len(cells) < len(widths):
            cells.insert(-2, (["—"], st.cell_c))
        add_row(t, cells[: len(widths)])


def _problem_list(doc: DocumentObject, st: Styles, letter: LetterView) -> None:
    t = table(doc, (12, 38, 18, 88), ("序号", "考评项目", "扣分", "扣分原因及依据"), st.cell_h)
    for i, d in enumerate(letter.deductions, 1):
        add_row(
            t,
            (
                ([str(i)], st.cell_c),
                ([d.title], st.cell),
                ([d.lost], st.cell_c),
                (deduction_notes(d), st.cell),
            ),
        )


def build_bulletin_document(view: BulletinView, *, template: Path | None = None) -> DocumentObject:
    """The whole 通报 as a python-docx document (not saved)."""
    doc = open_base(template)
    st = Styles(doc)
    tags = {
        "title": view.title,
        "issuer": view.issuer,
        "doc_number": view.doc_number,
        "date": view.date,
        "period": view.period,
        "rubric_title": view.rubric_title,
    }
    out = Body(doc, template, tags)
    if out.marker is None:
        _red_header(doc, st, view.issuer, view.doc_number)
    title = para(doc, st.title, view.title)
    if out.marker is None:
        title.paragraph_format.space_before = LINE_PITCH * 2  # 红色分隔线下空二行
    para(doc, st.body, "")
    para(doc, st.body, view.overview)

    h1 = iter(range(1, 100))
    # 一、 rankings per group
    para(doc, st.h1, f"{cn_number(next(h1))}、考评排名情况")
    for i, g in enumerate(view.groups, 1):
        para(doc, st.h2, f"（{cn_number(i)}）{g.title}")
        intro = para(doc, st.body, f"{g.title}共{len(g.rows)}个单位参加考评（满分{g.scale}分），排名如下。")
        intro.paragraph_format.keep_with_next = True
        _ranking(doc, st, g)
    # 二、 commended and called-out units
    good = [(g.title, g.commended) for g in view.groups if g.commended]
    bad = [(g, g.called_out) for g in view.groups if g.called_out]
    if good or bad:
        para(doc, st.h1, f"{cn_number(next(h1))}、表扬和通报情况")
        k = iter(range(1, 100))
        if good:
            para(doc, st.h2, f"（{cn_number(next(k))}）予以表扬的单位")
            text = "；".join(f"{title}：{'、'.join(units)}" for title, units in good)
            para(doc, st.body, f"{text}。")
        if bad:
            para(doc, st.h2, f"（{cn_number(next(k))}）排名靠后的单位")
            text = "；".join(
                f"{g.title}{'后' + str(g.bottom_n) + '名' if g.bottom_n else ''}：{'、'.join(units)}"
                for g, units in bad
            )
            para(doc, st.body, f"{text}。")
    # 三、 main deduction reasons by item
    if view.reasons:
        para(doc, st.h1, f"{cn_number(next(h1))}、主要扣分问题")
        para(doc, st.body, f"本期考评共有{len(view.reasons)}个考评项目出现扣分，按合计扣分从多到少排列如下。")
        t = table(doc, (14, 78, 30, 34), ("序号", "考评项目", "扣分单位数", "合计扣分"), st.cell_h)
        for i, r in enumerate(view.reasons, 1):
            add_row(
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
            para(doc, st.body, "失分较多的问题主要有：")
            for i, r in enumerate(top, 1):
                para(doc, st.h3, f"{i}．{r.title}（{r.units}个单位扣分，合计扣{r.points_lost}分）")
                for ex in r.examples:
                    para(doc, st.body, sentence(ex))
    # 四、 vetoes, warnings, returns not submitted
    if view.vetoes or view.warnings or view.not_submitted:
        para(doc, st.h1, f"{cn_number(next(h1))}、一票否决、预警及未报送情况")
        if view.vetoes:
            text = "；".join(f"{u}（{t}）" for u, t in view.vetoes)
            para(doc, st.body, f"实行一票否决的单位：{text}。")
        if view.warnings:
            text = "；".join(f"{u}（{w}）" for u, w in view.warnings)
            para(doc, st.body, f"予以预警的单位：{text}。")
        if view.not_submitted:
            para(doc, st.body, f"未按时报送考评材料的单位：{'、'.join(view.not_submitted)}。")
    # 五、 next steps
    if view.next_steps:
        para(doc, st.h1, f"{cn_number(next(h1))}、下一步工作要求")
        for i, s in enumerate(view.next_steps, 1):
            para(doc, st.body, f"{i}．{clean(s)}")

    # 附件说明, 署名, 成文日期
    attachments = ["各单位考评得分明细表"] + (["各单位扣分问题清单"] if view.letters else [])
    for i, name in enumerate(attachments, 1):
        label = "附件：" if i == 1 else ""
        p = para(doc, st.body, f"{label}{i}．{name}" if len(attachments) > 1 else f"附件：{name}")
        if i == 1:
            p.paragraph_format.space_before = LINE_PITCH
        else:
            indent_chars(p, 5)  # under the "1．" of the first line
    _signature(doc, st, view.issuer, view.date)

    # 附件1 on landscape pages, 附件2 back on portrait
    doc.add_section(WD_SECTION.NEW_PAGE)
    gbt_page(doc.sections[-1], landscape=True)
    para(doc, st.attach, "附件1" if len(attachments) > 1 else "附件")
    para(doc, st.title, f"{view.period}各单位考评得分明细表")
    for g in view.groups:
        para(doc, st.to, f"{g.title}（{len(g.rows)}个单位，满分{g.scale}分）")
        _score_table(doc, st, g)
    if view.letters:
        doc.add_section(WD_SECTION.NEW_PAGE)
        gbt_page(doc.sections[-1])
        para(doc, st.attach, "附件2")
        para(doc, st.title, f"{view.period}各单位扣分问题清单")
        order = {g.title: i for i, g in enumerate(view.groups)}
        by_group: dict[str, list[LetterView]] = {}
        for letter in sorted(view.letters, key=lambda x: (order.get(x.group, 99), x.rank, x.unit)):
            by_group.setdefault(letter.group, []).append(letter)
        for gi, (gtitle, letters) in enumerate(by_group.items(), 1):
            para(doc, st.h2, f"（{cn_number(gi)}）{gtitle}")
            for ui, letter in enumerate(letters, 1):
                para(doc, st.h3, f"{ui}．{letter.unit}（得分{letter.total}，第{letter.rank}名）")
                if letter.deductions:
                    _problem_list(doc, st, letter)
                else:
                    para(doc, st.body, "本期无扣分项。")
    out.finish()
    stamp_core(doc, stamp(), title=view.title, author=view.issuer)
    return doc


def render_bulletin_docx(view: BulletinView, path: Path, *, template: Path | None = None) -> None:
    """Write the 通报 to ``path`` atomically; byte-identical for equal views under SOURCE_DATE_EPOCH."""
    doc = build_bulletin_document(view, template=template)
    write_atomic(Path(path), package(doc, stamp()))
