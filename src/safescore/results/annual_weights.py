"""Periods of a year and the weights ``annual.combine`` gives them (SPEC 3.5)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from safescore.problems import Problem
from safescore.results.previous import PER_YEAR, label_for
from safescore.rubric import model as m

CN_DIGITS = "零一二三四五六七八九十"


def period_labels(kind: str, year: str) -> list[str]:
    """Every period label of ``kind`` in ``year``, in order (2022 quarter → 2022Q1 … 2022Q4)."""
    base = int(year) * PER_YEAR[kind]
    return [label_for(kind, base + i) for i in range(PER_YEAR[kind])]


def weight_key(label: str) -> str:
    """The weights key of a period label: 2022Q3 → Q3, 2022H1 → H1, 2022-03 → 03."""
    return label[5:] if label[4] == "-" else label[4:]


def section_title(label: str) -> str:
    """Short Chinese title of a period, for table headings: 第一季度, 上半年, 3月, 2022年度."""
    if len(label) == 4:
        return f"{label}年度"
    if label[4] == "Q":
        return f"第{CN_DIGITS[int(label[5])]}季度"
    if label[4] == "H":
        return "上半年" if label[5] == "1" else "下半年"
    return f"{int(label[5:])}月"


def round_half_up(value: Fraction, decimals: int) -> Decimal:
    """Exact half-up (四舍五入, away from zero at .5) rounding of a fraction to ``decimals`` places."""
    scaled = abs(value) * 10**decimals
    units = math.floor(scaled + Fraction(1, 2))
    out = Decimal(units).scaleb(-decimals)
    return -out if value < 0 else out


def annual_weights(
    rubric: m.Rubric, labels: list[str], problems: list[Problem]
) -> dict[str, Fraction] | None:
    """Weights by period label, or None (with an error) when the keys do not fit the periods."""
    combine = rubric.annual.combine
    if not isinstance(combine, m.AnnualWeights):
        return None
    by_key = {weight_key(p): p for p in labels}
    out: dict[str, Fraction] = {}
    for key, w in combine.weights.items():
        norm = key.strip().upper()
        if rubric.period == "month" and norm.isdigit():
            norm = f"{int(norm):02d}"
        if norm not in by_key:
            problems.append(
                Problem(
                    "annual-weights-keys",
                    f"annual.combine.weights 中的键 {key} 不是{rubric.period}期间",
                    category="rubric",
                    value=key,
                    expected="、".join(by_key),
                )
            )
            continue
        out[by_key[norm]] = Fraction(w)
    missing = [weight_key(p) for p in labels if p not in out]
    if missing:
        problems.append(
            Problem(
                "annual-weights-keys",
                f"annual.combine.weights 缺少 {'、'.join(missing)} 的权重",
                category="rubric",
                expected="、".join(by_key),
            )
        )
    if any(p.code == "annual-weights-keys" for p in problems):
        return None
    total = sum(out.values(), Fraction(0))
    if total != 1:
        problems.append(
            Problem(
                "annual-weights-sum",
                f"年度权重之和为 {float(total):g}，不是 1：年度总分为各期加权和",
                severity="warning",
                category="rubric",
                value=f"{float(total):g}",
                expected="1",
            )
        )
    return out
