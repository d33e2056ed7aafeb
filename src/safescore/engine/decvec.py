"""Exact decimal vectors: the engine's number type.

A :class:`DecVec` holds ``value[i] = m[i] / 10**e`` with integer mantissas
``m`` and one shared exponent ``e`` for the whole column, plus a mask ``na`` of
missing values ("no value"). Addition, subtraction and multiplication are
exact. Mantissas live in ``int64`` while every intermediate provably fits
(bounds are checked before each operation, not after), and move to Python
integers (``object`` arrays) otherwise, so results are always exact; the fast
path is just the common one.

Division is exact too: a quotient carries a per-element denominator ``d``
(``value = m / (d * 10**e)``), reduced by the gcd after each operation, so
``23 / 24 * 3`` is exactly 2.875 and rounds half-up to 2.88. Columns that never
divide keep ``d = None`` and stay on the plain integer path. Rounding
(:meth:`DecVec.round_half_up`) is where a rational becomes a decimal again.
The property tests compare this type against :class:`fractions.Fraction` and
plain :class:`~decimal.Decimal` arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import repeat
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

LIMIT = 1 << 62  # headroom so a sum of two in-range mantissas still fits int64


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
    d: np.ndarray | None = None  # positive denominators after a division; None means 1

    # -- construction ---------------------------------------------------------
    @classmethod
    def from_decimals(cls, values: Sequence[Decimal | int | None]) -> DecVec:
        """Build from Decimals/ints; ``None`` marks a missing value."""
        return cls.from_texts(
            [v if v is None else str(v) if v.__class__ is Decimal else str(Decimal(v)) for v in values]
        )

    @classmethod
    def from_texts(cls, texts: Sequence[str | None]) -> DecVec:
        """Build from exact decimal texts (``str`` of a Decimal: "1.50" keeps its exponent);
        ``None`` marks a missing value. A column repeats a few values in many cells: each
        distinct text is converted once, then every cell is an index into those values."""
        n = len(texts)
        if not n:
            return cls(np.zeros(0, dtype=np.int64), 0, np.zeros(0, dtype=bool))
        distinct = list(dict.fromkeys(texts))
        decs = [Decimal(k) for k in distinct if k is not None]
        e = max((_exponent(d) for d in decs), default=0)
        ints = [0, *(int(d.scaleb(e)) for d in decs)]  # position 0: a missing value
        index = {k: i for i, k in enumerate(k for k in distinct if k is not None)}
        pos = np.fromiter(map(index.get, texts, repeat(-1)), dtype=np.intp, count=n) + 1
        big = any(abs(i) >= LIMIT for i in ints)
        table = np.array(ints, dtype=object) if big else np.array(ints, dtype=np.int64)
        return cls(table[pos], e, pos == 0)

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
        """The exact value (a rational shown to 28 digits) or None if missing."""
        if self.na[i]:
            return None
        return _decimal(int(self.m[i]), int(self.d[i]) if self.d is not None else 1, self.e)

    def fraction_at(self, i: int) -> Fraction | None:
        if self.na[i]:
            return None
        den = (int(self.d[i]) if self.d is not None else 1) * 10**self.e
        return Fraction(int(self.m[i]), den)

    def to_decimals(self, convert: Callable[[Decimal], T] | None = None) -> list[T | Decimal | None]:
        """``decimal_at(i)`` for every i (then ``convert``, if given). Each distinct mantissa
        (and denominator) is converted once and its Decimal shared by every unit that has it."""
        e = self.e
        ms = self.m.tolist()
        if self.d is None:
            table: dict[Any, Any] = {m: _decimal(m, 1, e) for m in set(ms)}
            keys: list[Any] = ms
        else:
            keys = list(zip(ms, self.d.tolist(), strict=True))
            table = {k: _decimal(k[0], k[1], e) for k in set(keys)}
        if convert is not None:
            table = {k: convert(v) for k, v in table.items()}
        out = list(map(table.__getitem__, keys))
        if self.na.any():
            for i in np.flatnonzero(self.na).tolist():
                out[i] = None
        return out

    def to_float(self) -> np.ndarray:
        """Floats for plotting/sorting only; never for scoring."""
        den = self.d.astype(float) if self.d is not None else 1.0
        return self.m.astype(float) / den / (10**self.e)

    def sort_keys(self) -> np.ndarray:
        """Exactly ordered keys: the mantissas, or Fractions when there are denominators."""
        if self.d is None:
            return self.m
        return np.array([Fraction(int(m), int(d)) for m, d in zip(self.m, self.d, strict=True)], dtype=object)

    # -- internal helpers -----------------------------------------------------
    def _dens(self) -> np.ndarray:
        return self.d if self.d is not None else np.ones(len(self.m), dtype=np.int64)

    def _aligned(self, other: DecVec) -> tuple[np.ndarray, np.ndarray, int]:
        """Mantissas at a common exponent (denominators untouched)."""
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
        return DecVec(m, e, self.na, self.d)

    # -- arithmetic ------------------------------------------------------------
    def _addsub(self, other: DecVec, sign: int) -> DecVec:
        na = self.na | other.na
        if self.d is None and other.d is None:
            a, b, e = self._aligned(other)
            return DecVec(a + b if sign > 0 else a - b, e, na)
        a, b, e = self._aligned(other)
        da, db = self._dens(), other._dens()
        left, right = _mul(a, db), _mul(b, da)
        left, right = _common(left, right)
        if left.dtype != object and _maxabs(left) + _maxabs(right) >= LIMIT:
            left, right = _obj(left), _obj(right)
        num = left + right if sign > 0 else left - right
        return _reduced(num, _mul(da, db), e, na)

    def __add__(self, other: DecVec) -> DecVec:
        return self._addsub(other, 1)

    def __sub__(self, other: DecVec) -> DecVec:
        return self._addsub(other, -1)

    def __neg__(self) -> DecVec:
        return DecVec(-self.m, self.e, self.na, self.d)

    def __abs__(self) -> DecVec:
        return DecVec(np.abs(self.m), self.e, self.na, self.d)

    def __mul__(self, other: DecVec) -> DecVec:
        na = self.na | other.na
        m = _mul(self.m, other.m)
        if self.d is None and other.d is None:
            out = DecVec(m, self.e + other.e, na)
            return out.trimmed() if out.e > 6 else out
        return _reduced(m, _mul(self._dens(), other._dens()), self.e + other.e, na).trimmed()

    def __truediv__(self, other: DecVec) -> DecVec:
        """Exact quotient; dividing by zero gives a missing value ("no value")."""
        zero = other.m == 0
        na = self.na | other.na | zero
        mb = np.where(zero, 1, other.m) if other.m.dtype != object else _obj_where(zero, 1, other.m)
        sign = np.sign(mb)
        # a/b = ma*db*10^eb / (da*|mb|*10^ea)
        num = _mul(_scale(self.m, other.e), other._dens())
        num = _mul(num, sign if sign.dtype == num.dtype else sign.astype(num.dtype))
        den = _mul(self._dens(), np.abs(mb))
        num = self._clean(num, na)
        return _reduced(num, den, self.e, na).trimmed()

    # -- comparison (returns plain bool arrays; callers combine the masks) ----
    def cmp(self, other: DecVec, op: str) -> np.ndarray:
        a, b, _ = self._aligned(other)
        if self.d is not None or other.d is not None:
            # denominators are positive, so cross-multiplying keeps the order
            a, b = _common(_mul(a, other._dens()), _mul(b, self._dens()))
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
        d = None
        if self.d is not None or other.d is not None:
            da, db = _common(self._dens(), other._dens())
            d = (
                np.array([x if c else y for c, x, y in zip(cond, da, db, strict=True)], dtype=object)
                if da.dtype == object
                else np.where(cond, da, db)
            )
            m, d = _common(m, d)
        return DecVec(m, e, np.where(cond, self.na, other.na), d)

    def minimum(self, other: DecVec) -> DecVec:
        return self.where(self.cmp(other, "<="), other).with_na(self.na | other.na)

    def maximum(self, other: DecVec) -> DecVec:
        return self.where(self.cmp(other, ">="), other).with_na(self.na | other.na)

    def clamp(self, lo: DecVec, hi: DecVec) -> DecVec:
        return self.maximum(lo).minimum(hi)

    def with_na(self, na: np.ndarray) -> DecVec:
        return DecVec(self._clean(self.m, na), self.e, na, self.d)

    def fill(self, value: Decimal | int, mask: np.ndarray) -> DecVec:
        """Set ``value`` (not missing) where mask is true."""
        c = DecVec.const(value, len(self))
        out = c.where(mask, self)
        return DecVec(out.m, out.e, np.where(mask, False, self.na), out.d)

    def round_half_up(self, places: int) -> DecVec:
        """Round to ``places`` decimals, halves away from zero (四舍五入)."""
        if self.d is None and self.e <= places:
            return DecVec(_scale(self.m, places - self.e), places, self.na)
        if self.e <= places:
            num, den = _scale(self.m, places - self.e), self.d
        else:
            num, den = self.m, _scale(self._dens(), self.e - places)
        assert den is not None
        num, den = _common(num, den)
        sign = np.sign(num)
        twice = _mul(
            np.abs(num),
            np.full(len(num), 2, dtype=num.dtype)
            if num.dtype != object
            else np.array([2] * len(num), dtype=object),
        )
        twice, den = _common(twice, den)
        if twice.dtype != object and _maxabs(twice) + _maxabs(den) >= LIMIT:
            twice, den = _obj(twice), _obj(den)
        q = (twice + den) // (den * 2)
        return DecVec(sign * q, places, self.na)

    def sum(self) -> Decimal:
        """Exact sum of the non-missing values (rounded columns only)."""
        assert self.d is None, "sum() is for rounded columns"
        vals = self.m[~self.na]
        total = sum(int(x) for x in vals) if vals.dtype == object else int(vals.sum(dtype=object))
        return Decimal(f"{total}E-{self.e}") if self.e else Decimal(total)


def _decimal(m: int, d: int, e: int) -> Decimal:
    """m / (d * 10**e) as a Decimal: exact for d == 1, else shown to 28 digits."""
    if d != 1:
        with localcontext() as ctx:
            ctx.prec = 28
            return Decimal(m) / (Decimal(d) * (Decimal(10) ** e))
    return Decimal(f"{m}E-{e}") if e else Decimal(m)


def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise product that moves to Python ints when int64 could overflow."""
    a, b = _common(a, b)
    if a.dtype != object and _maxabs(a) * _maxabs(b) >= LIMIT:
        a, b = _obj(a), _obj(b)
    return a * b


def _reduced(num: np.ndarray, den: np.ndarray, e: int, na: np.ndarray) -> DecVec:
    """num / (den * 10**e) in lowest terms; drops the denominators when all are 1."""
    num, den = _common(num, den)
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g) if g.dtype != object else _obj_where(g == 0, 1, g)
    num, den = num // g, den // g
    if not (den != 1).any():
        return DecVec(num, e, na)
    return DecVec(num, e, na, den)


def _obj_where(cond: np.ndarray, a: int, b: np.ndarray) -> np.ndarray:
    return np.array([a if c else y for c, y in zip(cond, b, strict=True)], dtype=object)


def stack_sum(vecs: Iterable[DecVec], n: int) -> DecVec:
    """Exact elementwise sum of several columns (missing counts as 0 here)."""
    total = DecVec.const(0, n)
    for v in vecs:
        total = total + v.with_na(np.zeros(n, dtype=bool))
    return total
