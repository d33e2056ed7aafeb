"""Period labels: ``2022Q1`` (quarter), ``2022-03`` (month), ``2022H1`` (half), ``2022`` (year)."""

from __future__ import annotations

import re

PATTERNS = {
    "quarter": (re.compile(r"^\d{4}Q[1-4]$"), "2022Q1"),
    "month": (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "2022-03"),
    "half": (re.compile(r"^\d{4}H[12]$"), "2022H1"),
    "year": (re.compile(r"^\d{4}$"), "2022"),
}


def period_kind(label: str) -> str | None:
    """Which kind of period a label is, or None if it is none of them."""
    for kind, (pat, _) in PATTERNS.items():
        if pat.match(label.strip().upper() if kind != "month" else label.strip()):
            return kind
    return None


def normalize_period(label: str) -> str:
    return label.strip().upper()


def check_period(label: str, expected_kind: str) -> str | None:
    """None if ``label`` is a period of ``expected_kind``; else a Chinese explanation."""
    kind = period_kind(label)
    if kind == expected_kind:
        return None
    example = PATTERNS[expected_kind][1]
    return f"期间“{label}”不是本规则要求的{ {'quarter': '季度', 'month': '月度', 'half': '半年', 'year': '年度'}[expected_kind] }期间，应写作如 {example}"
