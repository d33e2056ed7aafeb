"""Values as results show them: exact decimals, long quotients cut for display, whole columns at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from safescore.engine.decvec import DecVec
from safescore.rubric.expr import BoolVec, StrVec, Vec

T = TypeVar("T")
R = TypeVar("R")

DISPLAY_PLACES = 6  # a quotient like 2/3 is shown (not scored) to six decimals
ZERO = Decimal(0)


def shown(d: Decimal | None) -> Decimal | None:
    """A value for display: exact decimals as they are, long quotients cut to 6 places half-up."""
    if d is None:
        return None
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -DISPLAY_PLACES:
        return d.quantize(Decimal(1).scaleb(-DISPLAY_PLACES), rounding=ROUND_HALF_UP).normalize()
    return d


def or_zero(x: Decimal | None) -> Decimal:
    """Missing → 0; keeps a present zero's precision (Decimal("0.00") is falsy)."""
    return Decimal(0) if x is None else x


def places(d: Decimal, decimals: int) -> Decimal:
    """Half-up to the rubric's decimals, as the engine rounded the penalty it deducted."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -decimals:
        return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return d


def per_object(fn: Callable[[T], R], xs: Sequence[T]) -> list[R]:
    """``[fn(x) for x in xs]``, calling ``fn`` once per distinct object: a converted column
    shares one Decimal among all units with that value, so this is once per value."""
    distinct = {id(x): x for x in xs}
    done = {k: fn(x) for k, x in distinct.items()}
    return list(map(done.__getitem__, map(id, xs)))


def shown_values(v: Vec | DecVec | None, n: int) -> list[Any]:
    """The value a rule looked at, as shown to the reader, for every unit (None if missing)."""
    if v is None:
        return [None] * n
    if isinstance(v, DecVec):
        return v.to_decimals(shown)
    na = v.na.tolist()
    if isinstance(v, BoolVec):
        return [None if missing else bool(x) for missing, x in zip(na, v.v.tolist(), strict=True)]
    if isinstance(v, StrVec):
        return [None if missing else str(x) for missing, x in zip(na, v.v.tolist(), strict=True)]
    return [None] * n


def value_key(v: Vec | DecVec | None) -> list[list[Any]]:
    """Columns that together identify a unit's value exactly (mantissa, denominator, mask):
    equal keys give equal ``shown_values``, so texts quoting the value can be shared."""
    if v is None:
        return []
    if isinstance(v, DecVec):
        cols = [v.m.tolist(), v.na.tolist()]
        return [*cols, v.d.tolist()] if v.d is not None else cols
    if isinstance(v, BoolVec | StrVec):
        return [v.v.tolist(), v.na.tolist()]
    return []
