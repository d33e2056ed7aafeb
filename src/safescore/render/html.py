"""The bulletin (通报) and per-unit letters (反馈单) as self-contained HTML files.

Templates live in ``render/templates`` and lay out the view-model of
:mod:`safescore.render.bulletin`; nothing here decides what a reader sees, only how.
Each page is one file: inline CSS, inline SVG charts, a few lines of inline script
that make the ranking tables sortable (the page works without it), and a
Content-Security-Policy that forbids every network request. Autoescaping is on for
all templates and undefined names fail loudly, so a unit called ``<script>`` is text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from safescore.render.bulletin import (
    BulletinView,
    GroupView,
    Issuer,
    LetterView,
    issue_date,
    issuer_texts,
    letter_view,
    lists_problems,
)
from safescore.render.colors import FALLBACK_COLORS, GRADE_COLORS, grade_colors
from safescore.render.files import write_atomic
from safescore.render.group_chart import group_chart
from safescore.render.i18n import Catalog, cn_number, tr
from safescore.render.svg import bars_svg, profile_svg, trend_svg
from safescore.results.model import Result

__all__ = [
    "FALLBACK_COLORS",
    "GRADE_COLORS",
    "cn_number",
    "grade_colors",
    "render_bulletin_html",
    "render_letter_html",
    "write_html",
]


def change_value(change: str) -> int:
    """▲3 → 3, ▼2 → -2, — → 0: a sort key for the 较上期 column."""
    digits = change.lstrip("▲▼")
    if not digits.isdigit():
        return 0
    return -int(digits) if change.startswith("▼") else int(digits)


@functools.cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("safescore", "render/templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cn"] = cn_number
    env.filters["change_value"] = change_value
    env.globals["span"] = _span
    return env


def _span(cls: str, text: object) -> Markup:
    """``<span class="cls">text</span>`` with the text escaped: data marked up inside a message."""
    return Markup('<span class="{}">{}</span>').format(cls, text)


def _context(t: Catalog) -> dict[str, object]:
    """What every template gets for the tool's own words: ``t("key", …)`` gives text (escaped on
    output like any value); ``tm("key", …)`` formats a message around markup such as :func:`_span`
    (plain values are escaped, Markup ones kept)."""

    def tm(key: str, /, **values: object) -> Markup:
        return Markup(escape(t.raw(key))).format(**values)

    return {"t": t, "tm": tm}


@dataclass(frozen=True)
class _GroupPage:
    """A group as the bulletin template needs it: the view plus what layout derives from it."""

    view: GroupView
    points: tuple[str, ...]  # full marks of each section, for the table headers
    grade_counts: tuple[tuple[str, int], ...]
    counts: str  # grade_counts as text: 优秀3个、良好5个
    chart: Markup
    letters: tuple[LetterView, ...]  # rank order, for 附件1 and 附件2


def _grade_counts(view: GroupView) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for row in view.rows:
        counts[row.grade] = counts.get(row.grade, 0) + 1
    return tuple(counts.items())


def _group_pages(view: BulletinView, letters: Sequence[LetterView], t: Catalog) -> tuple[_GroupPage, ...]:
    by_unit = {lt.unit: lt for lt in letters}
    pages = []
    for g in view.groups:
        c = group_chart(g, t)
        chart = bars_svg(c.labels, c.values, g.scale, c.colors, c.title, legend=c.legend)
        group_letters = tuple(by_unit[r.unit] for r in g.rows if r.unit in by_unit)
        points = tuple(p for _, _, p in group_letters[0].sections) if group_letters else ()
        if len(points) != len(g.section_titles):
            points = ("",) * len(g.section_titles)
        counts = _grade_counts(g)
        text = t.join(t("b_grade_count", grade=name, n=n) for name, n in counts)
        pages.append(_GroupPage(g, points, counts, text, Markup(chart), group_letters))
    return tuple(pages)


def render_bulletin_html(view: BulletinView, result: Result) -> str:
    """The whole 通报 with its 附件 as one HTML document.

    附件2 lists every unit's deductions; when ``view`` was built without letters they
    are derived from ``result`` with :func:`letter_view`, so the bulletin is always complete.
    """
    t = tr(view.lang)
    letters = view.letters or tuple(letter_view(result, u, lang=view.lang) for u in result.units)
    groups = _group_pages(view, letters, t)
    all_grades = grade_colors(r.grade for g in view.groups for r in g.rows)
    salutation = t("b_to", groups=t.join(t("b_salutation", group=g.title) for g in view.groups))
    return (
        _env()
        .get_template("bulletin.html.j2")
        .render(
            v=view,
            groups=groups,
            grade_color=all_grades,
            salutation=salutation,
            problem_lists=lists_problems(view),
            n_units=sum(len(g.rows) for g in view.groups),
            **_context(t),
        )
    )


def render_letter_html(letter: LetterView, result: Result, *, issuer: Issuer | None = None) -> str:
    """One unit's 反馈单: its score, rank, section profile, trend and every deduction.

    With ``issuer`` the letter carries the red header line and a signature block. The trend
    chart is drawn when the unit has earlier stored periods (``letter.trend``).
    """
    t = tr(letter.lang)
    titles = tuple(title for title, _, _ in letter.sections)
    chart = profile_svg(
        titles,
        [s for _, s, _ in letter.sections],
        [p for _, _, p in letter.sections],
        title=t("l_profile_title", unit=letter.unit),
    )
    trend = ""
    if len(letter.trend) > 1:
        trend = trend_svg(
            [p.label for p in letter.trend],
            [p.total for p in letter.trend],
            ranks=[p.rank for p in letter.trend],
            rank_label=t.raw("l_trend_rank"),
            title=t("l_trend_title", unit=letter.unit),
            empty=t("no_data"),
        )
    diff = None
    if letter.self_total is not None:
        diff = f"{Decimal(letter.self_total) - Decimal(letter.total):+f}"
    # (title, points, score, lost): lost keeps the score's decimals, computed exactly
    rows = tuple((title, p, s, f"{Decimal(p) - Decimal(s):f}") for title, s, p in letter.sections)
    return (
        _env()
        .get_template("letter.html.j2")
        .render(
            lt=letter,
            chart=Markup(chart),
            trend=Markup(trend),
            period=t.period(result.period),
            rubric_title=result.rubric_title,
            issuer=issuer,
            issuer_name=issuer_texts(issuer, t)[0] if issuer else "",
            date=t.date(issuer.date or issue_date()) if issuer else "",
            self_diff=diff,
            section_rows=rows,
            grade_color=grade_colors([letter.grade]),
            **_context(t),
        )
    )


def write_html(text: str, path: Path) -> None:
    """Write an HTML document as UTF-8, atomically (readers never see half a file)."""
    write_atomic(path, text.encode("utf-8"))
