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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from safescore.render.bulletin import (
    CN_NUM,
    BulletinView,
    GroupView,
    Issuer,
    LetterView,
    cn_date,
    issue_date,
    letter_view,
    period_label,
)
from safescore.render.files import write_atomic
from safescore.render.svg import bars_svg, profile_svg
from safescore.results.model import Result

# Well-known grade names keep their colour in every rubric; other names take the
# fallback palette in the order they first appear in a ranking (best first).
GRADE_COLORS = {
    "优秀": "#2e7d32",
    "优良": "#2e7d32",
    "良好": "#1565c0",
    "较好": "#1565c0",
    "合格": "#ef8f00",
    "基本合格": "#f9a825",
    "一般": "#f9a825",
    "较差": "#d84315",
    "不合格": "#c62828",
    "—": "#9e9e9e",
}
FALLBACK_COLORS = ("#2e7d32", "#1565c0", "#ef8f00", "#6a1b9a", "#00838f", "#c62828")


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 30 → 三十: the numbering of headings 一、 and （一）."""
    if 0 <= n <= 10:
        return CN_NUM[n]
    if n < 20:
        return "十" + CN_NUM[n - 10]
    if n < 100:
        return CN_NUM[n // 10] + "十" + (CN_NUM[n % 10] if n % 10 else "")
    return str(n)


def change_value(change: str) -> int:
    """▲3 → 3, ▼2 → -2, — → 0: a sort key for the 较上期 column."""
    digits = change.lstrip("▲▼")
    if not digits.isdigit():
        return 0
    return -int(digits) if change.startswith("▼") else int(digits)


def grade_colors(grades: Iterable[str]) -> dict[str, str]:
    """A colour for every grade name met, stable for a given order of names."""
    out: dict[str, str] = {}
    spare = iter(FALLBACK_COLORS)
    for g in grades:
        if g not in out:
            out[g] = GRADE_COLORS.get(g) or next(spare, "#757575")
    return out


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
    return env


@dataclass(frozen=True)
class _GroupPage:
    """A group as the bulletin template needs it: the view plus what layout derives from it."""

    view: GroupView
    points: tuple[str, ...]  # full marks of each section, for the table headers
    grade_counts: tuple[tuple[str, int], ...]
    chart: Markup
    letters: tuple[LetterView, ...]  # rank order, for 附件1 and 附件2


def _grade_counts(view: GroupView) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for row in view.rows:
        counts[row.grade] = counts.get(row.grade, 0) + 1
    return tuple(counts.items())


def _group_pages(view: BulletinView, letters: Sequence[LetterView]) -> tuple[_GroupPage, ...]:
    by_unit = {lt.unit: lt for lt in letters}
    pages = []
    for g in view.groups:
        colors = grade_colors(r.grade for r in g.rows)
        chart = bars_svg(
            [r.unit for r in g.rows],
            [r.total for r in g.rows],
            g.scale,
            [colors[r.grade] for r in g.rows],
            f"{g.title}考评得分（满分{g.scale}分）",
            legend=tuple(colors.items()),
        )
        group_letters = tuple(by_unit[r.unit] for r in g.rows if r.unit in by_unit)
        points = tuple(p for _, _, p in group_letters[0].sections) if group_letters else ()
        if len(points) != len(g.section_titles):
            points = ("",) * len(g.section_titles)
        pages.append(_GroupPage(g, points, _grade_counts(g), Markup(chart), group_letters))
    return tuple(pages)


def render_bulletin_html(view: BulletinView, result: Result) -> str:
    """The whole 通报 with its 附件 as one HTML document.

    附件2 lists every unit's deductions; when ``view`` was built without letters they
    are derived from ``result`` with :func:`letter_view`, so the bulletin is always complete.
    """
    letters = view.letters or tuple(letter_view(result, u) for u in result.units)
    groups = _group_pages(view, letters)
    all_grades = grade_colors(r.grade for g in view.groups for r in g.rows)
    return (
        _env()
        .get_template("bulletin.html.j2")
        .render(
            v=view,
            groups=groups,
            grade_color=all_grades,
            salutation="、".join(f"各{g.title}" for g in view.groups),
        )
    )


def render_letter_html(letter: LetterView, result: Result, *, issuer: Issuer | None = None) -> str:
    """One unit's 反馈单: its score, rank, section profile and every deduction.

    With ``issuer`` the letter carries the red header line and a signature block.
    """
    titles = tuple(t for t, _, _ in letter.sections)
    chart = profile_svg(
        titles,
        [s for _, s, _ in letter.sections],
        [p for _, _, p in letter.sections],
        title=f"{letter.unit}各一级指标得分率",
    )
    diff = None
    if letter.self_total is not None:
        diff = f"{Decimal(letter.self_total) - Decimal(letter.total):+f}"
    # (title, points, score, lost): lost keeps the score's decimals, computed exactly
    rows = tuple((t, p, s, f"{Decimal(p) - Decimal(s):f}") for t, s, p in letter.sections)
    return (
        _env()
        .get_template("letter.html.j2")
        .render(
            lt=letter,
            chart=Markup(chart),
            period=period_label(result.period),
            rubric_title=result.rubric_title,
            issuer=issuer,
            date=cn_date(issuer.date or issue_date()) if issuer else "",
            self_diff=diff,
            section_rows=rows,
            grade_color=grade_colors([letter.grade]),
        )
    )


def write_html(text: str, path: Path) -> None:
    """Write an HTML document as UTF-8, atomically (readers never see half a file)."""
    write_atomic(path, text.encode("utf-8"))
