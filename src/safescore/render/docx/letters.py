"""Per-unit letters (反馈单) as Word documents: what a letter says, built once with python-docx.

:func:`build_letter_document` is the reference (and the benchmark's baseline): python-docx
builds each letter from scratch. The fast path in :mod:`.fast` builds one prototype with the
same :func:`letter_document` and fills it per unit, so both share one layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx.document import Document as DocumentObject

from safescore.render.bulletin import LetterView
from safescore.render.docx.blocks import Styles, add_row, clean, deduction_notes, nonzero, para, table
from safescore.render.docx.package import stamp, stamp_core
from safescore.render.docx.page import open_base
from safescore.render.docx.tags import Body

LETTER_HEADING = "安全生产考评结果反馈单"


@dataclass(frozen=True)
class LetterTexts:
    """Every string one letter shows, already cleaned and never empty (python-docx writes no
    ``w:t`` for an empty run, and the fast path must give the same XML)."""

    tags: dict[str, str]  # template tags, also the scalar slots of document.xml
    sections: list[tuple[str, str, str]]  # (title, full marks, score)
    deductions: list[tuple[str, str, str, str, str, list[str]]]  # no, title, points, score, lost, notes


def _nz(text: object) -> str:
    return clean(text) or "—"


def letter_texts(letter: LetterView, heading: str) -> LetterTexts:
    unit = _nz(letter.unit)
    parts = [
        f"在本期考评中，你单位在{_nz(letter.group)}{letter.group_size}个单位中得分{_nz(letter.total)}分，"
    ]
    parts.append(f"排名第{letter.rank}位")
    grade = clean(letter.grade)
    parts.append(f"，等次为{grade}。" if grade and grade != "—" else "。")
    extra = []
    if nonzero(letter.bonus):
        extra.append(f"加分{clean(letter.bonus)}分")
    if nonzero(letter.penalty):
        extra.append(f"扣减{clean(letter.penalty)}分")
    if extra:
        parts.append(f"其中{'、'.join(extra)}。")
    if letter.self_total is not None:
        parts.append(f"你单位自评{clean(letter.self_total)}分。")
    if letter.vetoes:
        parts.append(f"因{'、'.join(clean(v) for v in letter.vetoes)}，实行一票否决。")
    if letter.status and letter.status != "已报送":
        parts.append(f"报送状态：{clean(letter.status)}。")
    n = len(letter.deductions)
    parts.append(f"共有{n}项扣分，明细如下。" if n else "本期无扣分项。")
    if n and letter.deadline:
        parts.append(f"请于{clean(letter.deadline)}前完成整改，并将整改情况书面报送安委会办公室。")
    sections = [(_nz(t), _nz(p), _nz(s)) for t, s, p in letter.sections]
    if nonzero(letter.bonus):
        sections.append(("加分", "—", _nz(letter.bonus)))
    if nonzero(letter.penalty):
        sections.append(("扣减", "—", _nz(letter.penalty)))
    sections.append(("总分", "—", _nz(letter.total)))
    deductions = [
        (str(i), _nz(d.title), _nz(d.points), _nz(d.score), _nz(d.lost), deduction_notes(d))
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
    return LetterTexts(tags, sections, deductions)


def letter_document(texts: LetterTexts, template: Path | None) -> DocumentObject:
    """One letter with python-docx. Used as-is for the baseline and, fed tokens, as the fast path's
    prototype, so both paths share one layout."""
    doc = open_base(template)
    st = Styles(doc)
    tags = texts.tags
    out = Body(doc, template, {k: tags[k] for k in ("title", "unit", "group", "total", "rank", "grade")})
    para(doc, st.title, tags["title"])
    para(doc, st.body, "")
    para(doc, st.to, tags["to"])
    para(doc, st.body, tags["summary"])
    para(doc, st.h1, "一、得分情况")
    t = table(doc, (86, 35, 35), ("考评内容", "分值", "得分"), st.cell_h)
    for title, points, score in texts.sections:
        add_row(t, (([title], st.cell), ([points], st.cell_c), ([score], st.cell_c)))
    para(doc, st.h1, "二、扣分明细")
    t = table(
        doc,
        (12, 32, 13, 15, 15, 69),
        ("序号", "考评项目", "分值", "得分", "扣分", "扣分原因及依据"),
        st.cell_h,
    )
    for no, title, points, score, lost, notes in texts.deductions:
        add_row(
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
    stamp_core(doc, stamp(), title=tags["doc_title"], author="safescore")
    return doc


def build_letter_document(
    letter: LetterView, *, template: Path | None = None, heading: str = LETTER_HEADING
) -> DocumentObject:
    """One letter built from scratch with python-docx (the benchmark's baseline; the fast path's
    reference in the tests)."""
    return letter_document(letter_texts(letter, heading), template)


# The fast path. Tokens are private-use-free brackets no cleaned value can turn into markup;
