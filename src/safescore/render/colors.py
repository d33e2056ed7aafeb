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
# Grades named by a colour (天衢's 五色 classes 绿蓝黄白橙, 红黄蓝 risk classes) are drawn in it;
# 白 is a light grey with a dark outline in charts, so it stays visible on white paper.
COLOR_WORDS = {
    "绿": "#2e7d32",
    "蓝": "#1565c0",
    "黄": "#f9a825",
    "白": "#bdbdbd",
    "橙": "#ef6c00",
    "红": "#c62828",
    "紫": "#6a1b9a",
    "灰": "#757575",
}
FALLBACK_COLORS = ("#2e7d32", "#1565c0", "#ef8f00", "#6a1b9a", "#00838f", "#c62828")


def grade_colors(grades: Iterable[str]) -> dict[str, str]:
    """A colour for every grade name met, stable for a given order of names."""
    out: dict[str, str] = {}
    spare = iter(FALLBACK_COLORS)
    for g in grades:
        if g not in out:
            out[g] = GRADE_COLORS.get(g) or _named_color(g) or next(spare, "#757575")
    return out


def _named_color(grade: str) -> str | None:
    """``绿色`` / ``橙色等级`` / ``红``: the colour the grade is named after, if it is one."""
    name = grade.strip()
    if name[:1] in COLOR_WORDS and (len(name) == 1 or name[1] in "色级档类"):
        return COLOR_WORDS[name[0]]
    return None


def named_tint(grade: str) -> str | None:
    """A light fill (``RRGGBB``, 70% towards white) for a grade named by a colour, for table cells."""
    color = _named_color(grade)
    if color is None:
        return None
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "".join(f"{round(c + (255 - c) * 0.7):02X}" for c in rgb)


def pct_color(pct: Decimal | float) -> str:
    """Share of a section's points kept: ≥90% green, ≥80% blue, ≥60% amber, else red."""
    if pct >= 90:
        return "#2e7d32"
    if pct >= 80:
        return "#1565c0"
    if pct >= 60:
        return "#ef8f00"
    return "#c62828"
