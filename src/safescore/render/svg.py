"""Charts as SVG strings: score bars per group, a unit's section profile, a trend across periods.

Pure functions, no I/O and no plotting library, so the HTML bulletin stays one self-contained
file. Every piece of text goes through :func:`esc` (unit names come from untrusted workbooks),
coordinates are rounded to one decimal and nothing random or time-based is emitted: the same
numbers give the same bytes.

By default the ``<svg>`` carries no ``xmlns``: inline in HTML5 the parser puts it in the SVG
namespace anyway, and the bulletin is meant to contain no URL at all. Pass ``standalone=True``
for a file of its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from safescore.render.colors import pct_color

Number = Decimal | int | float
Value = Number | str

SANS = "SimHei, 黑体, 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif"
INK = "#222"
MUTED = "#666"
GRID = "#ddd"
TRACK = "#eee"

# characters XML 1.0 forbids; a stray one from a workbook would make the SVG unparsable
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: object) -> str:
    """Escape for XML text and double- or single-quoted attributes."""
    s = _XML_BAD.sub("", str(text))
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _n(x: float) -> str:
    """A coordinate with at most one decimal and no trailing zeros (stable text)."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _dec(v: Value | None) -> Decimal | None:
    if v is None:
        return None
    try:
        return Decimal(str(v).strip())
    except InvalidOperation:
        return None


def _label(v: Value) -> str:
    """Show a value as the caller formatted it (a str), else without float noise."""
    if isinstance(v, str):
        return v
    d = _dec(v)
    return "" if d is None else f"{d.normalize():f}"


def text_width(text: str, size: float) -> float:
    """Rough rendered width: wide (CJK) characters one em, others about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.6 for c in text)


def fit(text: str, max_px: float, size: float) -> str:
    """Cut ``text`` with an ellipsis so it fits ``max_px`` (a 200-character name stays in its column)."""
    if text_width(text, size) <= max_px:
        return text
    out = ""
    for c in text:
        if text_width(out + c + "…", size) > max_px:
            break
        out += c
    return out + "…"


def _open(width: float, height: float, title: str, standalone: bool) -> list[str]:
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return [
        f'<svg{ns} class="chart" viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" '
        f'height="{_n(height)}" role="img" aria-label="{esc(title)}" font-family="{SANS}">',
        f"<title>{esc(title)}</title>",
    ]


def _text(
    x: float, y: float, text: str, size: float, *, anchor: str = "start", fill: str = INK, bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
        f'fill="{fill}"{weight}>{esc(text)}</text>'
    )


def bars_svg(
    labels: Sequence[str],
    values: Sequence[Value],
    max_value: Value,
    colors: Sequence[str],
    title: str,
    *,
    legend: Sequence[tuple[str, str]] = (),
    width: float = 480,
    standalone: bool = False,
) -> str:
    """Horizontal bars, one per label, scaled 0..max_value, each in its colour with its value.

    ``legend`` is (name, colour) pairs drawn under the axis, e.g. the grades.
    """
    size, row, bar_h, top = 15.0, 25.0, 16.0, 34.0
    label_w = min(max((text_width(s, size) for s in labels), default=0.0), 0.45 * width) + 8
    value_w = max((text_width(_label(v), size) for v in values), default=0.0) + 10
    x0 = label_w
    span = max(width - x0 - value_w - 4, 40.0)
    top_value = _dec(max_value) or Decimal(0)
    height = top + row * len(labels) + 26 + (24 if legend else 0)
    out = _open(width, height, title, standalone)
    out.append(_text(width / 2, 20, fit(title, width - 16, 16), 16, anchor="middle", bold=True))
    axis_y = top + row * len(labels)
    for q in range(5):  # gridlines at quarters of the scale
        gx = x0 + span * q / 4
        out.append(
            f'<line x1="{_n(gx)}" y1="{_n(top - 4)}" x2="{_n(gx)}" y2="{_n(axis_y)}" stroke="{GRID}"/>'
        )
        tick = top_value * q / 4
        out.append(
            _text(
                gx, axis_y + 16, f"{tick.normalize():f}" if top_value else "", 12, anchor="middle", fill=MUTED
            )
        )
    for i, (name, v) in enumerate(zip(labels, values, strict=False)):
        y = top + row * i
        d = _dec(v) or Decimal(0)
        frac = float(min(max(d / top_value, Decimal(0)), Decimal(1))) if top_value > 0 else 0.0
        w = span * frac
        color = colors[i] if i < len(colors) else MUTED
        out.append(f"<g><title>{esc(name)}：{esc(_label(v))}</title>")
        out.append(_text(x0 - 8, y + bar_h - 2, fit(name, label_w - 8, size), size, anchor="end"))
        out.append(
            f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(w)}" height="{_n(bar_h)}" fill="{esc(color)}"/>'
        )
        out.append(_text(x0 + w + 4, y + bar_h - 2, _label(v), size))
        out.append("</g>")
    if legend:
        lx, ly = x0, axis_y + 38
        for name, color in legend:
            out.append(f'<rect x="{_n(lx)}" y="{_n(ly - 11)}" width="12" height="12" fill="{esc(color)}"/>')
            out.append(_text(lx + 16, ly, name, 13))
            lx += 16 + text_width(name, 13) + 18
    out.append("</svg>")
    return "".join(out)


def profile_svg(
    section_titles: Sequence[str],
    scores: Sequence[Value],
    points: Sequence[Value],
    *,
    title: str = "各一级指标得分率",
    width: float = 480,
    standalone: bool = False,
) -> str:
    """One bar per section: score as a percentage of the section's points, labelled "得分/满分 (率)"."""
    size, row, bar_h, top = 15.0, 26.0, 16.0, 34.0
    label_w = min(max((text_width(s, size) for s in section_titles), default=0.0), 0.35 * width) + 8
    x0 = label_w
    value_w = text_width("000.00/000 100.0%", 13) + 8
    span = max(width - x0 - value_w, 40.0)
    height = top + row * len(section_titles) + 24
    out = _open(width, height, title, standalone)
    out.append(_text(width / 2, 20, fit(title, width - 16, 16), 16, anchor="middle", bold=True))
    axis_y = top + row * len(section_titles)
    for q in range(5):
        gx = x0 + span * q / 4
        out.append(
            f'<line x1="{_n(gx)}" y1="{_n(top - 4)}" x2="{_n(gx)}" y2="{_n(axis_y)}" stroke="{GRID}"/>'
        )
        out.append(_text(gx, axis_y + 16, f"{25 * q}%", 12, anchor="middle", fill=MUTED))
    for i, name in enumerate(section_titles):
        y = top + row * i
        s = scores[i] if i < len(scores) else 0
        p = points[i] if i < len(points) else 0
        ds, dp = _dec(s) or Decimal(0), _dec(p) or Decimal(0)
        pct = min(max(ds * 100 / dp, Decimal(0)), Decimal(100)) if dp > 0 else Decimal(0)
        w = span * float(pct) / 100
        text = f"{_label(s)}/{_label(p)} {pct:.1f}%"
        out.append(f"<g><title>{esc(name)}：{esc(text)}</title>")
        out.append(_text(x0 - 8, y + bar_h - 2, fit(name, label_w - 8, size), size, anchor="end"))
        out.append(
            f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(span)}" height="{_n(bar_h)}" fill="{TRACK}"/>'
        )
        out.append(
            f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(w)}" height="{_n(bar_h)}" fill="{pct_color(pct)}"/>'
        )
        out.append(_text(x0 + span + 6, y + bar_h - 2, text, 13))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def trend_svg(
    periods: Sequence[str],
    totals: Sequence[Value | None],
    *,
    ranks: Sequence[int | None] = (),
    rank_label: str = "第{rank}名",
    title: str = "总分走势",
    empty: str = "暂无数据",
    width: float = 480,
    height: float = 240,
    standalone: bool = False,
) -> str:
    """A line through each period's total; a missing period (None) leaves a gap in the line.

    With ``ranks``, each period's rank (``rank_label`` filled in) is written under its label.
    """
    left, right, top, bottom = 56.0, 24.0, 40.0, 40.0
    if ranks:
        height += 18
        bottom += 18
    out = _open(width, height, title, standalone)
    out.append(_text(width / 2, 20, fit(title, width - 16, 16), 16, anchor="middle", bold=True))
    known = [d for d in (_dec(t) for t in totals) if d is not None]
    if not periods or not known:
        out.append(_text(width / 2, height / 2, empty, 14, anchor="middle", fill=MUTED))
        out.append("</svg>")
        return "".join(out)
    lo, hi = min(known), max(known)
    pad = (hi - lo) / 10 if hi > lo else max(abs(hi) / 10, Decimal(1))
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(periods)

    def x_of(i: int) -> float:
        # each period in the middle of its own band, so its label (fit to the band) stays inside
        return left + plot_w * (i + 0.5) / n

    def xy(i: int, d: Decimal) -> tuple[float, float]:
        return x_of(i), top + plot_h * float((hi - d) / (hi - lo))

    for q in range(5):
        gy = top + plot_h * q / 4
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(gy)}" x2="{_n(left + plot_w)}" y2="{_n(gy)}" stroke="{GRID}"/>'
        )
        tick = hi - (hi - lo) * q / 4
        out.append(_text(left - 6, gy + 4, f"{tick:.0f}", 12, anchor="end", fill=MUTED))
    runs: list[list[tuple[float, float]]] = [[]]
    for i, p in enumerate(periods):
        d = _dec(totals[i]) if i < len(totals) else None
        x = x_of(i)
        out.append(_text(x, top + plot_h + 20, fit(p, plot_w / n, 12), 12, anchor="middle", fill=MUTED))
        rank = ranks[i] if i < len(ranks) else None
        if rank is not None:
            label = rank_label.format(rank=rank)
            out.append(_text(x, top + plot_h + 38, fit(label, plot_w / n, 12), 12, anchor="middle"))
        if d is None:
            runs.append([])
            continue
        runs[-1].append(xy(i, d))
    for run in runs:
        if len(run) > 1:
            pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
            out.append(f'<polyline points="{pts}" fill="none" stroke="#c00" stroke-width="2"/>')
    for i, t in enumerate(totals[:n]):
        d = _dec(t)
        if t is None or d is None:
            continue
        x, y = xy(i, d)
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="#c00"/>')
        out.append(_text(x, y - 8, _label(t), 12, anchor="middle"))
    out.append("</svg>")
    return "".join(out)
