"""Charts as PNG for Word: score bars per group, a unit's section profile, its trend across periods.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global figure state) in a
Chinese font found through ``matplotlib.font_manager`` (:data:`CJK_FONTS`, first one installed).
Without one, Chinese labels would come out as empty boxes (tofu), so every chart function then
returns None and the Word documents go without charts; this is logged once as a warning. On
Debian and Ubuntu: ``apt-get install fonts-noto-cjk``.

Reproducible: fixed size and dpi, no timestamp or software name in the PNG
(``metadata={"Software": None}``), so equal inputs give equal bytes and SOURCE_DATE_EPOCH runs
stay byte-identical. Charts are cached on their inputs: a letter whose profile equals another's
reuses its bytes.

The same charts in HTML are SVG (:mod:`safescore.render.svg`); the colours are shared
(:mod:`safescore.render.colors`).
"""

from __future__ import annotations

import functools
import io
import logging
import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from safescore.render.colors import pct_color
from safescore.render.svg import fit, text_width

log = logging.getLogger("safescore.render")

# Preferred faces, most fitting first: sans faces read best at chart sizes; serif ones and
# broad Unicode faces still beat leaving the chart out.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "STHeiti",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Serif SC",
    "SimSun",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)
DPI = 150
WIDTH_MM = 150  # inside the 156 mm 版心
NO_FONT_WARNING = (
    "未找到可用的中文字体（如 Noto Sans CJK），Word 文档中的图表已省略，以免中文显示为方框；"
    "请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）后重新生成。"
)
INK, MUTED, GRID, TRACK = "#222222", "#666666", "#dddddd", "#eeeeee"
MAX_BARS = 30  # units per score-bar picture; a bigger group gets several pictures

_warned = False


@functools.cache
def cjk_font() -> str | None:
    """The family name of the first installed font of :data:`CJK_FONTS`, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def available() -> bool:
    """True when charts can be drawn; warns once (per process) when they cannot."""
    global _warned
    if cjk_font() is not None:
        return True
    if not _warned:
        _warned = True
        log.warning(NO_FONT_WARNING)
    return False


def _num(v: str | float | Decimal | None) -> float | None:
    if v is None:
        return None
    try:
        return float(Decimal(str(v).strip()))
    except (InvalidOperation, ValueError):
        return None


def _figure(font: str, height_mm: float) -> tuple[Any, Any]:
    """A figure of the chart width and ``height_mm`` with one axes, text in ``font``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_MM / 25.4, height_mm / 25.4), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _rc(font: str) -> dict[str, Any]:
    # DejaVu Sans after the CJK face: matplotlib falls back glyph by glyph
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [font, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "text.parse_math": False,  # a unit name like 甲$\frac{$局 is text, not mathtext to parse
        "font.size": 8,
        "axes.edgecolor": "#999999",
        "xtick.color": MUTED,
        "ytick.color": INK,
    }


_CONTROL = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)])


def _plain(text: str) -> str:
    """Text for a chart: control characters (tabs, bells from returns) have no glyph."""
    return text.translate(_CONTROL)


def _label(text: str, max_chars: float) -> str:
    """Cut a long name with an ellipsis (widths in full-width characters)."""
    return fit(_plain(text), max_chars, 1.0)


# --- score bars per group -----------------------------------------------------------------------


def bars_png(
    labels: Sequence[str],
    values: Sequence[str],
    max_value: str,
    colors: Sequence[str],
    title: str,
    legend: Sequence[tuple[str, str]] = (),
) -> bytes | None:
    """Horizontal bars, one per unit in rank order, in its grade's colour, with its score.

    None when no CJK font is installed (see the module docstring).
    """
    if not available():
        return None
    return _bars(cjk_font(), tuple(labels), tuple(values), max_value, tuple(colors), title, tuple(legend))


@functools.lru_cache(maxsize=64)
def _bars(
    font: str,
    labels: tuple[str, ...],
    values: tuple[str, ...],
    max_value: str,
    colors: tuple[str, ...],
    title: str,
    legend: tuple[tuple[str, str], ...],
) -> bytes:
    import matplotlib

    n = max(len(labels), 1)
    height_mm = 24 + 5.2 * n + (6 if legend else 0)
    with matplotlib.rc_context(_rc(font)):
        fig, ax = _figure(font, height_mm)
        top = _num(max_value) or max((_num(v) or 0 for v in values), default=1) or 1
        nums = [_num(v) or 0.0 for v in values]
        ys = list(range(len(labels)))
        ax.barh(ys, nums, color=list(colors), height=0.68, zorder=2)
        for y, v, text in zip(ys, nums, values, strict=False):
            ax.text(v + top * 0.01, y, text, va="center", ha="left", fontsize=7.5, color=INK, zorder=3)
        ax.set_yticks(ys, [_label(s, 12) for s in labels], fontsize=8)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_xlim(0, top * 1.1)
        ax.set_xticks([top * q / 4 for q in range(5)], [f"{top * q / 4:g}" for q in range(5)], fontsize=7)
        ax.grid(axis="x", color=GRID, linewidth=0.6, zorder=0)
        ax.tick_params(axis="y", length=0)
        ax.set_title(_plain(title), fontsize=10, fontweight="bold", color=INK, pad=8)
        legend_mm = 7.0 if legend else 0.0
        if legend:
            from matplotlib.patches import Patch

            fig.legend(
                handles=[Patch(color=c, label=name) for name, c in legend],
                loc="lower center",
                bbox_to_anchor=(0.5, 0.01),
                ncol=min(len(legend), 6),
                frameon=False,
                fontsize=7.5,
                handlelength=1.2,
            )
        fig.tight_layout(pad=0.6, rect=(0, legend_mm / height_mm, 1, 1))
        return _png(fig)


def group_bars(
    labels: Sequence[str],
    values: Sequence[str],
    max_value: str,
    colors: Sequence[str],
    title: str,
    legend: Sequence[tuple[str, str]] = (),
) -> list[bytes]:
    """:func:`bars_png` for a whole group, :data:`MAX_BARS` units a picture (a picture cannot
    break across pages); empty when no CJK font is installed."""
    out: list[bytes] = []
    parts = max(math.ceil(len(labels) / MAX_BARS), 1)
    for i in range(parts):
        lo, hi = i * MAX_BARS, (i + 1) * MAX_BARS
        part_title = title if parts == 1 else f"{title} ({i + 1}/{parts})"
        png = bars_png(labels[lo:hi], values[lo:hi], max_value, colors[lo:hi], part_title, legend)
        if png is None:
            return []
        out.append(png)
    return out


# --- a unit's section profile ------------------------------------------------------------------


def profile_png(
    titles: Sequence[str], scores: Sequence[str], points: Sequence[str], title: str
) -> bytes | None:
    """One bar per section: score as a share of the section's full marks, labelled
    ``score/points  rate%``; None without a CJK font or without sections."""
    if not titles or not available():
        return None
    return _profile(cjk_font(), tuple(titles), tuple(scores), tuple(points), title)


@functools.lru_cache(maxsize=256)
def _profile(
    font: str, titles: tuple[str, ...], scores: tuple[str, ...], points: tuple[str, ...], title: str
) -> bytes:
    import matplotlib

    n = len(titles)
    with matplotlib.rc_context(_rc(font)):
        fig, ax = _figure(font, 20 + 7 * n)
        ys = list(range(n))
        pcts = []
        for s, p in zip(scores, points, strict=False):
            ds, dp = _num(s) or 0.0, _num(p) or 0.0
            pcts.append(min(max(ds * 100 / dp, 0.0), 100.0) if dp > 0 else 0.0)
        ax.barh(ys, [100] * n, color=TRACK, height=0.6, zorder=1)
        ax.barh(ys, pcts, color=[pct_color(p) for p in pcts], height=0.6, zorder=2)
        for y, s, p, pct in zip(ys, scores, points, pcts, strict=False):
            ax.text(101.5, y, f"{s}/{p}  {pct:.1f}%", va="center", ha="left", fontsize=7.5, color=INK)
        longest = max((text_width(t, 1.0) for t in titles), default=4)
        ax.set_yticks(ys, [_label(t, min(longest, 14)) for t in titles], fontsize=8)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, 130)
        ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=7)
        ax.grid(axis="x", color=GRID, linewidth=0.6, zorder=0)
        ax.tick_params(axis="y", length=0)
        ax.spines["bottom"].set_bounds(0, 100)
        ax.set_title(_plain(title), fontsize=10, fontweight="bold", color=INK, pad=8)
        fig.tight_layout(pad=0.6)
        return _png(fig)


# --- a unit's trend across periods --------------------------------------------------------------


def trend_png(
    periods: Sequence[str], totals: Sequence[str], ranks: Sequence[int], title: str, rank_label: str
) -> bytes | None:
    """Totals across periods as a line with each value, each period's rank (``rank_label`` with
    ``{rank}``) under its label; None without a CJK font or with fewer than two periods."""
    if len(periods) < 2 or not available():
        return None
    return _trend(cjk_font(), tuple(periods), tuple(totals), tuple(ranks), title, rank_label)


@functools.lru_cache(maxsize=256)
def _trend(
    font: str,
    periods: tuple[str, ...],
    totals: tuple[str, ...],
    ranks: tuple[int, ...],
    title: str,
    rank_label: str,
) -> bytes:
    import matplotlib

    with matplotlib.rc_context(_rc(font)):
        fig, ax = _figure(font, 62)
        xs = list(range(len(periods)))
        ys = [_num(t) for t in totals]
        known = [y for y in ys if y is not None] or [0.0]
        lo, hi = min(known), max(known)
        pad = (hi - lo) / 5 if hi > lo else max(abs(hi) / 10, 1.0)
        ax.plot(xs, [y if y is not None else math.nan for y in ys], color="#c00000", marker="o", lw=1.6, ms=4)
        for x, y, text in zip(xs, ys, totals, strict=False):
            if y is not None:
                ax.annotate(
                    text,
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=7.5,
                    color=INK,
                )
        labels = [
            f"{_label(p, 8)}\n{rank_label.format(rank=r)}" if r is not None else _label(p, 8)
            for p, r in zip(periods, ranks, strict=False)
        ]
        ax.set_xticks(xs, labels, fontsize=7)
        ax.set_xlim(-0.5, len(xs) - 0.5)
        ax.set_ylim(lo - pad, hi + pad * 1.6)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.set_title(_plain(title), fontsize=10, fontweight="bold", color=INK, pad=8)
        fig.tight_layout(pad=0.6)
        return _png(fig)
