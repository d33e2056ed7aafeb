"""Plausibility limits for numbers anywhere (returns, rubrics, expressions).

Assessment numbers are counts, rates and points. A value beyond these bounds is a
typo or hostile input, and would make exact arithmetic needlessly huge or slow.
"""

from __future__ import annotations

from decimal import Decimal

MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_PLACES = 28  # Decimal's own default precision
EXPECTED = f"不超过 {MAX_INTEGER_DIGITS} 位整数、{MAX_DECIMAL_PLACES} 位小数的数字"


def is_sane(d: Decimal) -> bool:
    """True if ``d`` is finite and within the integer-digit and decimal-place limits."""
    if not d.is_finite():
        return False
    if d.is_zero():
        return True
    exp = d.as_tuple().exponent
    places = -exp if isinstance(exp, int) and exp < 0 else 0
    return d.adjusted() < MAX_INTEGER_DIGITS and places <= MAX_DECIMAL_PLACES
