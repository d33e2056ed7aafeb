"""Value helpers the example generators share: bounds, random rates, the quarter ``--period``."""

from __future__ import annotations

import random
import re
from typing import TypeVar

N = TypeVar("N", int, float)


def clamp(x: N, lo: N, hi: N) -> N:
    """``x`` kept within ``lo`` … ``hi``."""
    return max(lo, min(hi, x))


def frac(rng: random.Random, mean: float, sd: float, lo: float) -> float:
    """A rate as a fraction drawn around ``mean``, within ``lo`` … 1, one decimal place in percent (0.965)."""
    return round(clamp(rng.gauss(mean, sd), lo, 1.0), 3)


def parse_quarter(period: str) -> tuple[int, int]:
    """``2022Q1`` → (2022, 1); anything else ends the script with a message."""
    m = re.fullmatch(r"(\d{4})Q([1-4])", period)
    if not m:
        raise SystemExit(f"--period 应为季度，如 2022Q1，收到 {period!r}")
    return int(m.group(1)), int(m.group(2))
