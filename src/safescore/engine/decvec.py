"""Exact decimal vectors: the engine's number type.

A :class:`DecVec` holds ``value[i] = m[i] / 10**e`` with integer mantissas
``m`` and one shared exponent ``e`` for the whole column, plus a mask ``na`` of
missing values ("no value"). Addition, subtraction and multiplication are
exact. Mantissas live in ``int64`` while every intermediate provably fits
(bounds are checked before each operation, not after), and move to Python
integers (``object`` arrays) otherwise, so results are always exact; the fast
path is just the common one.

Division is the only inexact operation, as in :mod:`decimal`: the quotient is
carried to ``DIV_PLACES`` decimal places with half-even rounding (Decimal's
default context carries 28 significant digits with half-even). Scores are
rounded half-up to the rubric's ``decimals`` afterwards, so the two agree unless
an exact quotient lies within 1e-12 of a rounding boundary without being on it,
which cannot happen for denominators below 10**9. The property tests compare
this type against plain :class:`~decimal.Decimal` arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

LIMIT = 1 << 62  # headroom so a sum of two in-range mantissas still fits int64
DIV_PLACES = 12


def _maxabs(m: np.ndarray) -> int:
    if m.size == 0:
        return 0
    if m.dtype == object:
        return max(abs(int(x)) for x in m)
    return int(np.abs(m).max())


def _obj(m: np.ndarray) -> np.ndarray:
    return m if m.dtype == object else m.astype(object)


def _scale(m: np.ndarray, k: int) -> np.ndarray:
    """Multiply mantissas by 10**k without overflow."""
    if k == 0:
        return m
    f = 10**k
    if m.dtype != object and (f >= LIMIT or _maxabs(m) * f >= LIMIT):
        m = _obj(m)
    return m * f


def _common(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Same dtype for both: int64 only if both are int64."""
    if a.dtype == object or b.dtype == object:
        return _obj(a), _obj(b)
    return a, b


def _exponent(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


@dataclass(frozen=True, slots=True)
class DecVec:
    """A column of exact decimals with a missing-value mask."""

    m: np.ndarray
    e: int
    na: np.ndarray

    # -- construction ---------------------------------------------------------
    @classmethod
    def from_decimals(cls, values: Sequence[Decimal | int | None]) -> DecVec:
        """Build from Decimals/ints; ``None`` marks a missing value."""
        n = len(values)
        na = np.fromiter((v is None for v in values), dtype=bool, count=n)
        decs = [Decimal(0) if v is None else Decimal(v) for v in values]
        e = max((_exponent(d) for d in decs), default=0)
        ints = [int(d.scaleb(e)) for d in decs]
        big = any(abs(i) >= LIMIT for i in ints)
        m = np.array(ints, dtype=object) if big else np.array(ints, dtype=np.int64)
        if n == 0:
            m = np.zeros(0, dtype=np.int64)
        return cls(m, e, na)

    @classmethod
    def const(cls, value: Decimal | int | str, n: int) -> DecVec:
        d = Decimal(value)
        e = _exponent(d)
        i = int(d.scaleb(e))
        dtype: type = object if abs(i) >= LIMIT else np.int64
        m = np.full(n, i, dtype=dtype) if dtype is np.int64 else np.array([i] * n, dtype=object)
        return cls(m, e, np.zeros(n, dtype=bool))

    @classmethod
    def from_ints(cls, m: np.ndarray, e: int = 0, na: np.ndarray | None = None) -> DecVec:
        """Wrap ready-made integer mantissas (fast path for generated data)."""
        if na is None:
            na = np.zeros(len(m), dtype=bool)
        return cls(np.asarray(m), e, na)

    def __len__(self) -> int:
        return len(self.m)

    # -- conversion -------------------------------------------------------------
    def decimal_at(self, i: int) -> Decimal | None:
        if self.na[i]:
            return None
        return Decimal(f"{int(self.m[i])}E-{self.e}") if self.e else Decimal(int(self.m[i]))

    def to_decimals(self) -> list[Decimal | None]:
        return [self.decimal_at(i) for i in range(len(self))]

    def to_float(self) -> np.ndarray:
        """Floats for plotting/sorting only; never for scoring."""
        return self.m.astype(float) / (10**self.e)

    # -- internal helpers -----------------------------------------------------
    def _aligned(self, other: DecVec) -> tuple[np.ndarray, np.ndarray, int]:
        e = max(self.e, other.e)
        a = _scale(self.m, e - self.e)
        b = _scale(other.m, e - other.e)
        a, b = _common(a, b)
        if a.dtype != object and _maxabs(a) + _maxabs(b) >= LIMIT:
            a, b = _obj(a), _obj(b)
        return a, b, e

    def _clean(self, m: np.ndarray, na: np.ndarray) -> np.ndarray:
        # keep mantissas at missing positions at 0 so they never overflow later
        if na.any():
            m = m.copy()
            m[na] = 0
        return m

    def trimmed(self) -> DecVec:
        """Drop trailing zeros shared by every mantissa (keeps numbers small)."""
        m, e = self.m, self.e
        while e > 0 and len(m) and not (m % 10).any():
            m = m // 10
            e -= 1
        if e > 0 and len(m) == 0:
            e = 0
        return DecVec(m, e, self.na)

    # -- arithmetic ------------------------------------------------------------
    def __add__(self, other: DecVec) -> DecVec:
        a, b, e = self._aligned(other)
        return DecVec(a + b, e, self.na | other.na)

    def __sub__(self, other: DecVec) -> DecVec:
        a, b, e = self._aligned(other)
        return DecVec(a - b, e, self.na | other.na)

    def __neg__(self) -> DecVec:
        return DecVec(-self.m, self.e, self.na)

    def __abs__(self) -> DecVec:
        return DecVec(np.abs(self.m), self.e, self.na)

    def __mul__(self, other: DecVec) -> DecVec:
        a, b = _common(self.m, other.m)
        if a.dtype != object and _maxabs(a) * _maxabs(b) >= LIMIT:
            a, b = _obj(a), _obj(b)
        out = DecVec(a * b, self.e + other.e, self.na | other.na)
        return out.trimmed() if out.e > 6 else out

    def __truediv__(self, other: DecVec) -> DecVec:
        q_places = max(DIV_PLACES, self.e, other.e)
        num = _scale(self.m, q_places + other.e - self.e)
        den = other.m
        zero = den == 0
        na = self.na | other.na | zero
        num, den = _common(num, np.where(zero, 1, den) if den.dtype != object else _obj_where(zero, 1, den))
        sign = np.sign(num) * np.sign(den)
        n, d = np.abs(num), np.abs(den)
        q, r = n // d, n % d
        twice = r * 2
        up = (twice > d) | ((twice == d) & (q % 2 == 1))
        m = sign * (q + up.astype(np.int64 if q.dtype != object else object))
        return DecVec(self._clean(m, na), q_places, na).trimmed()

    # -- comparison (returns plain bool arrays; callers combine the masks) ----
    def cmp(self, other: DecVec, op: str) -> np.ndarray:
        a, b, _ = self._aligned(other)
        if op == "<":
            r = a < b
        elif op == "<=":
            r = a <= b
        elif op == ">":
            r = a > b
        elif op == ">=":
            r = a >= b
        elif op == "==":
            r = a == b
        else:
            r = a != b
        return np.asarray(r, dtype=bool)

    # -- elementwise helpers -----------------------------------------------------
    def where(self, cond: np.ndarray, other: DecVec) -> DecVec:
        """``self`` where cond else ``other`` (missing mask follows the choice)."""
        a, b, e = self._aligned(other)
        if a.dtype == object:
            m = np.array([x if c else y for c, x, y in zip(cond, a, b, strict=True)], dtype=object)
        else:
            m = np.where(cond, a, b)
        return DecVec(m, e, np.where(cond, self.na, other.na))

    def minimum(self, other: DecVec) -> DecVec:
        return self.where(self.cmp(other, "<="), other).with_na(self.na | other.na)

    def maximum(self, other: DecVec) -> DecVec:
        return self.where(self.cmp(other, ">="), other).with_na(self.na | other.na)

    def clamp(self, lo: DecVec, hi: DecVec) -> DecVec:
        return self.maximum(lo).minimum(hi)

    def with_na(self, na: np.ndarray) -> DecVec:
        return DecVec(self._clean(self.m, na), self.e, na)

    def fill(self, value: Decimal | int, mask: np.ndarray) -> DecVec:
        """Set ``value`` (not missing) where mask is true."""
        c = DecVec.const(value, len(self))
        out = c.where(mask, self)
        return DecVec(out.m, out.e, np.where(mask, False, self.na))

    def round_half_up(self, places: int) -> DecVec:
        """Round to ``places`` decimals, halves away from zero (四舍五入)."""
        if self.e <= places:
            return DecVec(_scale(self.m, places - self.e), places, self.na)
        f = 10 ** (self.e - places)
        m = self.m
        if m.dtype != object and (f >= LIMIT or _maxabs(m) + f >= LIMIT):
            m = _obj(m)
        sign = np.sign(m)
        q = (np.abs(m) + f // 2) // f
        return DecVec(sign * q, places, self.na)

    def sum(self) -> Decimal:
        """Exact sum of the non-missing values."""
        vals = self.m[~self.na]
        total = sum(int(x) for x in vals) if vals.dtype == object else int(vals.sum(dtype=object))
        return Decimal(f"{total}E-{self.e}") if self.e else Decimal(total)


def _obj_where(cond: np.ndarray, a: int, b: np.ndarray) -> np.ndarray:
    return np.array([a if c else y for c, y in zip(cond, b, strict=True)], dtype=object)


def stack_sum(vecs: Iterable[DecVec], n: int) -> DecVec:
    """Exact elementwise sum of several columns (missing counts as 0 here)."""
    total = DecVec.const(0, n)
    for v in vecs:
        total = total + v.with_na(np.zeros(n, dtype=bool))
    return total
