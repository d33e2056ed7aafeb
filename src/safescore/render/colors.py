"""Grade colours shared by the HTML (SVG) and Word (PNG) charts.

Well-known grade names keep their colour in every rubric; other names take the fallback palette
in the order they first appear in a ranking (best first).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

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


def grade_colors(grades: Iterable[str]) -> dict[str, str]:
    """A colour for every grade name met, stable for a given order of names."""
    out: dict[str, str] = {}
    spare = iter(FALLBACK_COLORS)
    for g in grades:
        if g not in out:
            out[g] = GRADE_COLORS.get(g) or next(spare, "#757575")
    return out


def pct_color(pct: Decimal | float) -> str:
    """Share of a section's points kept: ≥90% green, ≥80% blue, ≥60% amber, else red."""
    if pct >= 90:
        return "#2e7d32"
    if pct >= 80:
        return "#1565c0"
    if pct >= 60:
        return "#ef8f00"
    return "#c62828"
