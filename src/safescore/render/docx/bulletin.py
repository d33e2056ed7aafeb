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

from safescore.render.bulletin import BulletinView, GroupView, LetterView, lists_problems
from safescore.render.charts import group_bars
from safescore.render.docx.blocks import (
    Styles,
    add_row,
    clean,
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
from safescore.render.docx.pictures import add_picture
from safescore.render.docx.styles import BODY_PT, LINE_PITCH, S_ISSUER, TEXT_W_MM, TITLE_PT
from safescore.render.docx.tags import Body
from safescore.render.files import write_atomic
from safescore.render.group_chart import group_chart
from safescore.render.i18n import Catalog, tr

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


def _ranking(doc: DocumentObject, st: Styles, g: GroupView, t: Catalog) -> None:
    """One group's ranking. It breaks between any two rows (a row never splits); the header row
    repeats on every page and, like the headings above it, is kept with the next row, so a
    heading never ends a page alone and the first ranking can start on page one."""
    heads = (t("place"), t("unit"), t("total"), t("grade"), t("change"), t("remarks"))
    tb = table(doc, (14, 60, 22, 18, 16, 26), heads, st.cell_h)
    for r in g.rows:
        add_row(
            tb,
            (
                ([str(r.rank)], st.cell_c),
                ([r.unit], st.cell),
                ([r.total], st.cell_c),
                ([r.grade], st.cell_c),
                ([r.change], st.cell_c),
                ([t.semi(r.marks)], st.cell),
            ),
        )


def _score_table(doc: DocumentObject, st: Styles, g: GroupView, t: Catalog) -> None:
    """Appendix 1: every section's score, on a landscape page (225 mm wide)."""
    n = len(g.section_titles)
    rest = 225 - 12 - 46 - 20 - 14
    widths = [12.0, 46.0] + [rest / n] * n + [20.0, 14.0] if n else [12.0, 46.0 + rest, 20.0, 14.0]
    heads = (t("place"), t("unit"), *g.section_titles, t("total"), t("grade"))
    tb = table(doc, widths, heads, st.cell_h)
    for r in g.rows:
        cells = [([str(r.rank)], st.cell_c), ([r.unit], st.cell)]
        cells += [([s], st.cell_c) for s in r.sections]
        cells += [([r.total], st.cell_c), ([r.grade], st.cell_c)]
        # a unit without section scores (not submitted) still fills the row
        while len(cells) < len(widths):
            cells.insert(-2, (["—"], st.cell_c))
        add_row(tb, cells[: len(widths)])


def _problem_list(doc: DocumentObject, st: Styles, letter: LetterView, t: Catalog) -> None:
    heads = (t("no"), t("assessed_item"), t("lost"), t("reason_evidence"))
    tb = table(doc, (12, 38, 18, 88), heads, st.cell_h)
    for i, d in enumerate(letter.deductions, 1):
        add_row(
            tb,
            (
                ([str(i)], st.cell_c),
                ([d.title], st.cell),
                ([d.lost], st.cell_c),
                (deduction_notes(d, t), st.cell),
            ),
        )


def _praise(doc: DocumentObject, st: Styles, view: BulletinView, t: Catalog, n: int) -> None:
    """二、 commended and called-out units."""
    good = [(g.title, g.commended) for g in view.groups if g.commended]
    bad = [g for g in view.groups if g.called_out]
    para(doc, st.h1, f"{t.h1(n)}{t('b_praise_called')}")
    k = iter(range(1, 100))
    if good:
        para(doc, st.h2, f"{t.h2(next(k))}{t('b_commended_doc')}")
        text = t.semi(t("unit_says", unit=title, text=t.join(units)) for title, units in good)
        para(doc, st.body, f"{text}{t.stop}")
    if bad:
        para(doc, st.h2, f"{t.h2(next(k))}{t('b_bottom_doc')}")
        text = t.semi(
            t("b_group_bottom_doc", group=g.title, n=g.bottom_n, units=t.join(g.called_out))
            if g.bottom_n
            else t("unit_says", unit=g.title, text=t.join(g.called_out))
            for g in bad
        )
        para(doc, st.body, f"{text}{t.stop}")


def _reasons(doc: DocumentObject, st: Styles, view: BulletinView, t: Catalog, n: int) -> None:
    """三、 main deduction reasons by item: a table, then the costliest with examples."""
    para(doc, st.h1, f"{t.h1(n)}{t('b_reasons')}")
    para(doc, st.body, t("b_reasons_intro", n=len(view.reasons)))
    heads = (t("no"), t("assessed_item"), t("units_lost"), t("points_lost"))
    tb = table(doc, (14, 78, 30, 34), heads, st.cell_h)
    for i, r in enumerate(view.reasons, 1):
        add_row(
            tb,
            (
                ([str(i)], st.cell_c),
                ([r.title], st.cell),
                ([str(r.units)], st.cell_c),
                ([r.points_lost], st.cell_c),
            ),
        )
    top = [r for r in view.reasons if r.examples][:TOP_REASONS]
    if top:
        para(doc, st.body, t("b_reasons_top"))
        for i, r in enumerate(top, 1):
            head = t("b_reason_head", title=r.title, units=r.units, lost=r.points_lost)
            para(doc, st.h3, f"{t.h3(i)}{head}")
            for ex in r.examples:
                para(doc, st.body, sentence(ex, t.stop))


def _appendices(doc: DocumentObject, st: Styles, view: BulletinView, t: Catalog, n_attach: int) -> None:
    """附件1 (score tables) on landscape pages, 附件2 (problem lists) back on portrait."""
    doc.add_section(WD_SECTION.NEW_PAGE)
    gbt_page(doc.sections[-1], landscape=True)
    para(doc, st.attach, t("b_attachment_n", n=1) if n_attach > 1 else t("b_attachment"))
    para(doc, st.title, t("b_score_table_title", period=view.period))
    for g in view.groups:
        para(doc, st.to, t("b_group_scale", group=g.title, n=len(g.rows), scale=g.scale))
        _score_table(doc, st, g, t)
    if not view.letters or not lists_problems(view):
        return
    doc.add_section(WD_SECTION.NEW_PAGE)
    gbt_page(doc.sections[-1])
    para(doc, st.attach, t("b_attachment_n", n=2))
    para(doc, st.title, t("b_problem_lists_title", period=view.period))
    order = {g.title: i for i, g in enumerate(view.groups)}
    by_group: dict[str, list[LetterView]] = {}
    for letter in sorted(view.letters, key=lambda x: (order.get(x.group, 99), x.rank, x.unit)):
        by_group.setdefault(letter.group, []).append(letter)
    for gi, (gtitle, letters) in enumerate(by_group.items(), 1):
        para(doc, st.h2, f"{t.h2(gi)}{gtitle}")
        for ui, letter in enumerate(letters, 1):
            line = t("b_unit_line", unit=letter.unit, total=letter.total, rank=letter.rank)
            para(doc, st.h3, f"{t.h3(ui)}{line}")
            if letter.deductions:
                _problem_list(doc, st, letter, t)
            else:
                para(doc, st.body, t("none_lost_s"))


def _bars(doc: DocumentObject, st: Styles, g: GroupView, t: Catalog) -> None:
    """The group's score bars under its ranking table, in the grades' colours (none without a
    CJK font: :mod:`safescore.render.charts` says so once)."""
    c = group_chart(g, t)
    for png in group_bars(c.labels, c.values, g.scale, c.colors, c.title, c.legend):
        add_picture(doc, st.figure, png)


def build_bulletin_document(
    view: BulletinView, *, template: Path | None = None, charts: bool = True
) -> DocumentObject:
    """The whole 通报 as a python-docx document (not saved), in the view's language.

    ``charts``: score bars per group under each ranking table (PNG, see
    :mod:`safescore.render.charts`)."""
    t = tr(view.lang)
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
    # 主送机关 under the title after one blank line (GB/T 9704 7.3.2), as the HTML bulletin has it
    para(doc, st.to, t("b_to", groups=t.join(t("b_salutation", group=g.title) for g in view.groups)))
    para(doc, st.body, view.overview)

    h1 = iter(range(1, 100))
    # 一、 rankings per group, each with its score bars
    para(doc, st.h1, f"{t.h1(next(h1))}{t('b_rankings')}")
    for i, g in enumerate(view.groups, 1):
        # one heading line with the group's size and scale, then the table: the ranking starts on
        # page one under the red header and runs on (see _ranking)
        para(doc, st.h2, f"{t.h2(i)}{t('b_group_scale', group=g.title, n=len(g.rows), scale=g.scale)}")
        _ranking(doc, st, g, t)
        if charts:
            _bars(doc, st, g, t)
    # 二、 commended and called-out units
    if any(g.commended or g.called_out for g in view.groups):
        _praise(doc, st, view, t, next(h1))
    # 三、 main deduction reasons by item
    if view.reasons:
        _reasons(doc, st, view, t, next(h1))
    # 四、 vetoes, warnings, returns not submitted
    if view.vetoes or view.warnings or view.not_submitted:
        para(doc, st.h1, f"{t.h1(next(h1))}{t('b_vetoes_warnings_doc')}")
        if view.vetoes:
            text = t.semi(t("b_unit_paren", unit=u, text=v) for u, v in view.vetoes)
            para(doc, st.body, t("b_vetoed_units", text=text))
        if view.warnings:
            text = t.semi(t("b_unit_paren", unit=u, text=w) for u, w in view.warnings)
            para(doc, st.body, t("b_warned_units", text=text))
        if view.not_submitted:
            para(doc, st.body, t("b_late_units", units=t.join(view.not_submitted)))
    # 五、 next steps
    if view.next_steps:
        para(doc, st.h1, f"{t.h1(next(h1))}{t('b_next_steps')}")
        for i, s in enumerate(view.next_steps, 1):
            para(doc, st.body, f"{t.h3(i)}{clean(s)}")

    # 附件说明, 署名, 成文日期
    with_lists = bool(view.letters) and lists_problems(view)
    if view.letters and not with_lists:
        n = sum(len(g.rows) for g in view.groups)
        para(doc, st.body, t("b_problem_lists_elsewhere", n=n))
    attachments = [t("b_score_table")] + ([t("b_problem_lists")] if with_lists else [])
    for i, name in enumerate(attachments, 1):
        label = t("b_attachments") if i == 1 else ""
        text = f"{label}{t.h3(i)}{name}" if len(attachments) > 1 else f"{t('b_attachments')}{name}"
        p = para(doc, st.body, text)
        if i == 1:
            p.paragraph_format.space_before = LINE_PITCH
        else:
            indent_chars(p, 5)  # under the "1．" of the first line
    _signature(doc, st, view.issuer, view.date)
    _appendices(doc, st, view, t, len(attachments))
    out.finish()
    stamp_core(doc, stamp(), title=view.title, author=view.issuer)
    return doc


def render_bulletin_docx(
    view: BulletinView, path: Path, *, template: Path | None = None, charts: bool = True
) -> None:
    """Write the 通报 to ``path`` atomically; byte-identical for equal views under SOURCE_DATE_EPOCH."""
    doc = build_bulletin_document(view, template=template, charts=charts)
    write_atomic(Path(path), package(doc, stamp()))
