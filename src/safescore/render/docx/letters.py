"""Per-unit letters (反馈单) as Word documents: what a letter says, built once with python-docx.

:func:`build_letter_document` is the reference (and the benchmark's baseline): python-docx
builds each letter from scratch. The fast path in :mod:`.fast` builds one prototype with the
same :func:`letter_document` and fills it per unit, so both share one layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx.document import Document as DocumentObject

from safescore.render import charts
from safescore.render.bulletin import LetterView
from safescore.render.docx.blocks import Styles, add_row, clean, deduction_notes, nonzero, para, table
from safescore.render.docx.package import stamp, stamp_core
from safescore.render.docx.page import open_base
from safescore.render.docx.pictures import add_pictures
from safescore.render.docx.tags import Body
from safescore.render.i18n import Catalog, tr

LETTER_HEADING = "安全生产考评结果反馈单"  # the Chinese heading (``letter_heading`` in the catalogue)
NO_CHARTS: tuple[bytes | None, bytes | None] = (None, None)


@dataclass(frozen=True)
class LetterTexts:
    """Every string one letter shows, already cleaned and never empty (python-docx writes no
    ``w:t`` for an empty run, and the fast path must give the same XML), and its charts."""

    tags: dict[str, str]  # template tags, also the scalar slots of document.xml
    sections: list[tuple[str, str, str]]  # (title, full marks, score)
    deductions: list[tuple[str, str, str, str, str, list[str]]]  # no, title, points, score, lost, notes
    charts: tuple[bytes | None, bytes | None] = NO_CHARTS  # (section profile, trend) PNGs


def _nz(text: object) -> str:
    return clean(text) or "—"


def letter_charts(letter: LetterView) -> tuple[bytes | None, bytes | None]:
    """The letter's section profile and, with earlier stored periods, its trend, as PNG
    (None where a chart has no data or no CJK font is installed)."""
    t = tr(letter.lang)
    profile = charts.profile_png(
        [title for title, _, _ in letter.sections],
        [score for _, score, _ in letter.sections],
        [points for _, _, points in letter.sections],
        t("l_profile_short"),
    )
    trend = charts.trend_png(
        [p.label for p in letter.trend],
        [p.total for p in letter.trend],
        [p.rank for p in letter.trend],
        t("l_trend_short"),
        t.raw("l_trend_rank"),
    )
    return profile, trend


def _summary(letter: LetterView, t: Catalog) -> str:
    parts = [t("l_summary_1", group=_nz(letter.group), size=letter.group_size, total=_nz(letter.total))]
    parts.append(t("l_summary_rank", rank=letter.rank))
    grade = clean(letter.grade)
    parts.append(t("l_summary_grade", grade=grade) if grade and grade != "—" else t("l_summary_end"))
    extra = []
    if nonzero(letter.bonus):
        extra.append(t("l_summary_bonus", n=clean(letter.bonus)))
    if nonzero(letter.penalty):
        extra.append(t("l_summary_penalty", n=clean(letter.penalty)))
    if extra:
        parts.append(t("l_summary_extra", parts=t.join(extra)))
    if letter.self_total is not None:
        parts.append(t("l_summary_self", n=clean(letter.self_total)))
    if letter.vetoes:
        parts.append(t("l_summary_veto", vetoes=t.join(clean(v) for v in letter.vetoes)))
    if letter.status and letter.status != "已报送":
        parts.append(t("l_summary_status", status=clean(t.status(letter.status))))
    n = len(letter.deductions)
    parts.append(t("l_summary_lost", n=n) if n else t("l_summary_none"))
    if n and letter.deadline:
        parts.append(t("l_summary_deadline", deadline=clean(letter.deadline)))
    return "".join(parts).strip()


def letter_texts(letter: LetterView, heading: str | None = None, *, with_charts: bool = False) -> LetterTexts:
    """What one letter says, in the letter's language; ``heading`` None: the catalogue's."""
    t = tr(letter.lang)
    heading = t("letter_heading") if heading is None else heading
    unit = _nz(letter.unit)
    sections = [(_nz(title), _nz(p), _nz(s)) for title, s, p in letter.sections]
    if nonzero(letter.bonus):
        sections.append((t("bonus"), "—", _nz(letter.bonus)))
    if nonzero(letter.penalty):
        sections.append((t("penalty_row"), "—", _nz(letter.penalty)))
    sections.append((t("total"), "—", _nz(letter.total)))
    deductions = [
        (str(i), _nz(d.title), _nz(d.points), _nz(d.score), _nz(d.lost), deduction_notes(d, t))
        for i, d in enumerate(letter.deductions, 1)
    ] or [("—", "—", "—", "—", "—", [t("none_lost")])]
    tags = {
        "title": _nz(heading),
        "to": t("l_to", unit=unit),
        "summary": _summary(letter, t),
        "unit": unit,
        "group": _nz(letter.group),
        "total": _nz(letter.total),
        "rank": str(letter.rank),
        "grade": _nz(letter.grade),
        # core.xml title; capped here (python-docx refuses over 255) so both paths write the same
        "doc_title": f"{_nz(heading)}（{unit}）"[:250],
    }
    return LetterTexts(tags, sections, deductions, letter_charts(letter) if with_charts else NO_CHARTS)


def letter_document(texts: LetterTexts, template: Path | None, lang: str = "zh") -> DocumentObject:
    """One letter with python-docx. Used as-is for the baseline and, fed tokens, as the fast path's
    prototype, so both paths share one layout.

    The section profile goes above the score table and the trend below it, each only when the
    letter has it.
    """
    t = tr(lang)
    doc = open_base(template)
    st = Styles(doc)
    tags = texts.tags
    out = Body(doc, template, {k: tags[k] for k in ("title", "unit", "group", "total", "rank", "grade")})
    para(doc, st.title, tags["title"])
    para(doc, st.body, "")
    para(doc, st.to, tags["to"])
    para(doc, st.body, tags["summary"])
    para(doc, st.h1, f"{t.h1(1)}{t('l_scores')}")
    profile, trend = texts.charts
    add_pictures(doc, st.figure, [profile])
    tb = table(doc, (86, 35, 35), (t("section_content"), t("points"), t("score")), st.cell_h)
    for title, points, score in texts.sections:
        add_row(tb, (([title], st.cell), ([points], st.cell_c), ([score], st.cell_c)))
    add_pictures(doc, st.figure, [trend])
    para(doc, st.h1, f"{t.h1(2)}{t('l_deductions')}")
    heads = (t("no"), t("assessed_item"), t("points"), t("score"), t("lost"), t("reason_evidence"))
    tb = table(doc, (12, 32, 13, 15, 15, 69), heads, st.cell_h)
    for no, title, points, score, lost, notes in texts.deductions:
        add_row(
            tb,
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
    stamp_core(doc, stamp(), title=tags["doc_title"], author="safescore")
    return doc


def build_letter_document(
    letter: LetterView,
    *,
    template: Path | None = None,
    heading: str | None = None,
    charts: bool = False,
) -> DocumentObject:
    """One letter built from scratch with python-docx (the benchmark's baseline; the fast path's
    reference in the tests). ``heading`` None: the catalogue's, in the letter's language."""
    texts = letter_texts(letter, heading, with_charts=charts)
    return letter_document(texts, template, letter.lang)
