"""What a group's score-bar chart shows, for the Word bulletin (PNG) and the HTML one (SVG).

A bar per unit reads well up to a few dozen units. A group of thousands (Tianqu's enterprises)
would make hundreds of pictures and minutes of drawing, and nobody reads them: such a group
shows its top and bottom units, the ones a bulletin names, with a gap row between them; the
full ranking stays in the ranking table and 附件1.
"""

from __future__ import annotations

from dataclasses import dataclass

from safescore.render.bulletin import GroupView
from safescore.render.colors import grade_colors
from safescore.render.i18n import Catalog

ALL_BARS_UP_TO = 60  # a group up to this size gets a bar for every unit
ENDS = 10  # otherwise: this many from the top and from the bottom (21 bars: one picture)


@dataclass(frozen=True)
class GroupChart:
    labels: tuple[str, ...]
    values: tuple[str, ...]  # '' for the gap row: no bar, no number
    colors: tuple[str, ...]
    title: str
    legend: tuple[tuple[str, str], ...]


def group_chart(g: GroupView, t: Catalog) -> GroupChart:
    """The bars of group ``g``: every unit, or the top and bottom :data:`ENDS` of a large group."""
    colors = grade_colors(r.grade for r in g.rows)
    title = t("b_bars_title", group=g.title, scale=g.scale)
    rows = list(g.rows)
    labels = [r.unit for r in rows]
    values = [r.total for r in rows]
    fills = [colors[r.grade] for r in rows]
    if len(rows) > ALL_BARS_UP_TO:
        gap = len(rows) - 2 * ENDS
        labels = [*labels[:ENDS], t("b_bars_gap", n=gap), *labels[-ENDS:]]
        values = [*values[:ENDS], "", *values[-ENDS:]]
        fills = [*fills[:ENDS], "#ffffff", *fills[-ENDS:]]
        title += t("b_bars_ends", ends=ENDS)
    return GroupChart(tuple(labels), tuple(values), tuple(fills), title, tuple(colors.items()))
