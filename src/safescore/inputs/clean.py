"""Turn raw cell values into typed values (SPEC 4.4).

Raw values come from python-calamine, openpyxl or csv: ``None``, ``str``,
``int``, ``float``, ``bool``, ``date``, ``datetime`` and ``time``. The scoring
engine is decimal-exact, so numbers become :class:`~decimal.Decimal` through
their shortest text (``repr``), never ``Decimal(float)``. Bad data raises
:class:`CleanError` with a stable code; it is never silently turned into 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation
from functools import lru_cache

from safescore.limits import EXPECTED as LIMITS_EXPECTED
from safescore.limits import is_sane
from safescore.rubric.model import FieldDef

__all__ = [
    "CleanError",
    "Cleaned",
    "clean_value",
    "is_excel_error",
    "is_missing_marker",
    "normalize_label",
    "normalize_name",
    "normalize_text",
    "parse_bool",
    "parse_date",
    "parse_number",
    "parse_percent",
    "shorten",
]

# Wide enough that tidying never rounds a value that arrived exactly.
_CTX = Context(prec=80)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)

EXPECT_NUMBER = "数字，如 12 或 12.5"
EXPECT_INTEGER = "整数，如 3"
EXPECT_PERCENT = "0%～100% 的百分数，如 95%、95 或 0.95"
EXPECT_BOOL = "是/否、√/×、有/无"
EXPECT_DATE = "日期，如 2022-03-05、2022.3.5 或 2022年3月5日"
EXPECT_VALUE = "一个值，而不是 Excel 错误值（请检查公式）"

# Invisible characters survive NFKC and hide in text pasted from web pages and PDFs:
# zero-width ones (and the soft hyphen), and bidi controls (LRM/RLM, ALM, LRE…PDF/LRO/RLO, LRI…PDI) that
# only steer the display direction. Names containing them must match their clean form.
_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]")
_WS = re.compile(r"\s+")

_MISSING = frozenset({"无", "/", "\\", "-", "--", "—", "——", "–", "――", "―", "n/a", "na"})
EXCEL_ERRORS = frozenset(
    "#DIV/0! #N/A #VALUE! #REF! #NAME? #NUM! #NULL! #SPILL! #CALC! #FIELD! #BLOCKED! #CONNECT! #BUSY! "
    "#UNKNOWN! #GETTING_DATA".split()
)
_TRUE = frozenset({"是", "√", "✓", "✔", "☑", "有", "对", "已", "y", "yes", "true", "t", "1"})
_FALSE = frozenset({"否", "×", "✗", "✘", "☒", "无", "错", "未", "n", "no", "false", "f", "0"})

# [0-9] not \d: \d also accepts digits of other scripts that NFKC leaves alone.
_NUM_RE = re.compile(
    r"(?P<sign>[+-]?)(?P<body>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<exp>[eE][+-]?[0-9]+)?"
)
# Only short bracket contents count as a unit, so "隐患数（含重大隐患）" keeps its qualifier.
_LABEL_UNIT = re.compile(r"[(\[【〔](?!含|不含|其中|包括|注)[^()\[\]【】〔〕]{1,4}[)\]】〕]$")
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DATE_SEP = re.compile(r"([0-9]{4})\s*([-./])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})" + _TIME)
_DATE_CN = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?" + _TIME)
_DATE_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


class CleanError(ValueError):
    """A raw value that cannot be used: ``code`` is stable, ``expected`` says what is accepted."""

    def __init__(self, code: str, expected: str):
        super().__init__(f"{code}: {expected}")
        self.code = code
        self.expected = expected


@dataclass(frozen=True)
class Cleaned:
    """A cleaned value (``None`` means missing, 未填报) and what cleaning changed."""

    value: Decimal | bool | str | dt.date | None
    note: str | None = None


# --- text normalisation --------------------------------------------------------


def _nfkc(s: object) -> str:
    text = "" if s is None else s if isinstance(s, str) else str(s)
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


# The same few hundred labels and codes come back in every file of a batch, so the
# normalisers remember strings (pure functions; bounded, so hostile text cannot grow them).
_CACHED = 1 << 14
_CACHE_MAX_LEN = 200  # long free text is rarely repeated: not worth a cache slot


def normalize_text(s: object) -> str:
    """NFKC (full-width → half-width), strip, and collapse whitespace runs to one space."""
    if isinstance(s, str) and len(s) <= _CACHE_MAX_LEN:
        return _text_cached(s)
    return _WS.sub(" ", _nfkc(s)).strip()


@lru_cache(maxsize=_CACHED)
def _text_cached(s: str) -> str:
    return _WS.sub(" ", _nfkc(s)).strip()


def normalize_name(s: object) -> str:
    """NFKC and remove all whitespace anywhere (wrapped cells put newlines inside names)."""
    if isinstance(s, str) and len(s) <= _CACHE_MAX_LEN:
        return _name_cached(s)
    return _WS.sub("", _nfkc(s))


@lru_cache(maxsize=_CACHED)
def _name_cached(s: str) -> str:
    return _WS.sub("", _nfkc(s))


def normalize_label(s: object) -> str:
    """A header label for matching: :func:`normalize_name`, trailing units like ``(%)`` removed, casefolded."""
    if isinstance(s, str) and len(s) <= _CACHE_MAX_LEN:
        return _label_cached(s)
    return _label(normalize_name(s))


@lru_cache(maxsize=_CACHED)
def _label_cached(s: str) -> str:
    return _label(_name_cached(s))


def _label(label: str) -> str:
    while (m := _LABEL_UNIT.search(label)) and m.start() > 0:
        label = label[: m.start()]
    return label.casefold()


QUOTE_LIMIT = 60


def shorten(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as normalised text for quoting in a message: at most ``limit`` characters,
    then ``…`` (a 32,767-character cell must not fill the validation report)."""
    text = normalize_text(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _had_full_width(raw: str) -> bool:
    return any(unicodedata.normalize("NFKC", ch) != ch for ch in raw if not ch.isspace())


def is_excel_error(raw: object) -> bool:
    """True for Excel error values such as ``#DIV/0!`` or ``#N/A``."""
    return isinstance(raw, str) and normalize_text(raw).upper() in EXCEL_ERRORS


def is_missing_marker(raw: object) -> bool:
    """True for blank cells and 未填报 markers (无, /, —, -, N/A). Excel errors are not missing."""
    if raw is None:
        return True
    if not isinstance(raw, str):
        return False
    s = normalize_text(raw)
    return s == "" or s.casefold() in _MISSING


def _check_excel_error(raw: object) -> None:
    if is_excel_error(raw):
        raise CleanError("excel-error", EXPECT_VALUE)


# --- numbers -------------------------------------------------------------------


def _tidy(d: Decimal) -> Decimal:
    """Canonical form: integral values without exponent or trailing zeros, others normalised."""
    if d.is_zero():
        return Decimal(0)
    try:
        if d == d.to_integral_value(context=_CTX):
            return d.quantize(_ONE, context=_CTX)
        return d.normalize(_CTX)
    except InvalidOperation:  # absurdly large exponents: keep as given
        return d


def _join(notes: list[str]) -> str | None:
    return "；".join(notes) if notes else None


def _number_text(raw: str, unit: str | None = None) -> tuple[Decimal, list[str]]:
    """Parse a number stored as text; ``unit`` is a trailing unit word that may follow it."""
    s = normalize_text(raw).replace("−", "-")  # U+2212 MINUS SIGN is not folded by NFKC
    notes = ["文本数字已转换"]
    if _had_full_width(raw):
        notes.insert(0, "全角数字已转换")
    if unit:
        u = normalize_text(unit)
        if u and s.endswith(u) and len(s) > len(u):
            s = s[: -len(u)].rstrip()
            notes.append(f"单位“{u}”已去除")
    # A space may follow the sign ("- 5") but may not split digits ("1 2" is not 12).
    m = _NUM_RE.fullmatch(re.sub(r"^([+-]) ", r"\1", s))
    if not m:
        raise CleanError("not-a-number", EXPECT_NUMBER)
    body = m["body"]
    if "," in body:
        body = body.replace(",", "")
        notes.append("千分位已去除")
    sign = "-" if m["sign"] == "-" else ""
    return _tidy(Decimal(sign + body + (m["exp"] or ""))), notes


def sane(d: Decimal) -> Decimal:
    """``d`` if its size and precision are plausible for an assessment, else CleanError."""
    if not is_sane(d):
        raise CleanError("number-out-of-range", LIMITS_EXPECTED)
    return d


def _number(raw: object, unit: str | None = None) -> tuple[Decimal | None, list[str]]:
    value, notes = _number_raw(raw, unit)
    return (None if value is None else sane(value)), notes


def _number_raw(raw: object, unit: str | None = None) -> tuple[Decimal | None, list[str]]:
    _check_excel_error(raw)
    if is_missing_marker(raw):
        return None, []
    if isinstance(raw, bool):  # bool is an int subclass but never a number here
        raise CleanError("not-a-number", EXPECT_NUMBER)
    if isinstance(raw, int):
        return Decimal(raw), []
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise CleanError("not-a-number", EXPECT_NUMBER)
        # Excel keeps 15 significant digits: 0.1+0.2 is cached as 0.30000000000000004 but is 0.3
        return _tidy(Decimal(format(raw, ".15g"))), []
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise CleanError("not-a-number", EXPECT_NUMBER)
        return _tidy(raw), []
    if isinstance(raw, str):
        return _number_text(raw, unit)
    raise CleanError("not-a-number", EXPECT_NUMBER)  # dates, times and anything else


def parse_number(raw: object) -> Decimal | None:
    """A number as an exact Decimal; ``None`` for blank or a missing marker."""
    return _number(raw)[0]


def _percent(
    raw: object,
    unit: str | None = None,
    max_value: Decimal | None = None,
    min_value: Decimal | None = None,
) -> tuple[Decimal | None, list[str]]:
    _check_excel_error(raw)
    if is_missing_marker(raw):
        return None, []
    if isinstance(raw, str) and normalize_text(raw).endswith("%"):
        d, _ = _number_text(normalize_text(raw)[:-1].rstrip())
        frac = _tidy(d.scaleb(-2, _CTX))
        notes = ["全角数字已转换"] if _had_full_width(raw) else []
        notes.append(f"百分数{normalize_name(raw)}→{frac}")
    else:
        d, notes = _number(raw, unit)
        assert d is not None  # missing was handled above
        if abs(d) <= _ONE:  # 0..1 inclusive is already a fraction
            frac = d
        else:  # above 1 is a percentage; above 100 only if the bounds allow it (checked below)
            frac = _tidy(d.scaleb(-2, _CTX))
            notes.append(f"{d}按百分数计→{frac}")
    low = min(Decimal(0), min_value) if min_value is not None else Decimal(0)
    high = max(_ONE, max_value) if max_value is not None else _ONE
    if not low <= frac <= high:
        if (low, high) == (0, 1):
            raise CleanError("percent-out-of-range", EXPECT_PERCENT)
        # the field's bounds widen the range: say which one applies
        span = f"{_fmt(low * _HUNDRED)}%～{_fmt(high * _HUNDRED)}%"
        raise CleanError("percent-out-of-range", f"{span} 的百分数，如 95%、95 或 0.95")
    return frac, notes


def parse_percent(
    raw: object, *, max_value: Decimal | None = None, min_value: Decimal | None = None
) -> Decimal | None:
    """A percentage as a fraction: ``95%``, ``95`` and ``0.95`` all give ``Decimal('0.95')``.

    A number from 0 to 1 inclusive is a fraction, above 1 up to 100 a percentage.
    Fractions above 1 or below 0 need ``max_value``/``min_value`` (fractions) to allow them.
    """
    return _percent(raw, max_value=max_value, min_value=min_value)[0]


# --- bools and dates -------------------------------------------------------------


def parse_bool(raw: object) -> bool | None:
    """是/否, √/×, 有/无, Y/N, 1/0 and friends. ``无`` is False, not missing."""
    _check_excel_error(raw)
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float | Decimal):
        if raw == 1:
            return True
        if raw == 0:
            return False
        raise CleanError("not-a-bool", EXPECT_BOOL)
    if isinstance(raw, str):
        s = normalize_text(raw).casefold()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        if is_missing_marker(raw):
            return None
    raise CleanError("not-a-bool", EXPECT_BOOL)


def _serial_to_date(serial: Decimal) -> dt.date:
    day = int(serial.to_integral_value(rounding=ROUND_FLOOR))  # a time of day is dropped
    if not 1 <= day <= _EXCEL_MAX_SERIAL or day == 60:  # 60 is Excel's fictitious 1900-02-29
        raise CleanError("not-a-date", EXPECT_DATE)
    # Excel counts 1900 as a leap year, so serials after 60 are one day ahead.
    base = dt.date(1899, 12, 31) if day < 60 else dt.date(1899, 12, 30)
    return base + dt.timedelta(days=day)


def _date(raw: object) -> tuple[dt.date | None, list[str]]:
    _check_excel_error(raw)
    if is_missing_marker(raw):
        return None, []
    if isinstance(raw, dt.datetime):  # before date: datetime is a date subclass
        return raw.date(), ([] if raw.time() == dt.time(0) else ["时间部分已忽略"])
    if isinstance(raw, dt.date):
        return raw, []
    if isinstance(raw, bool):
        raise CleanError("not-a-date", EXPECT_DATE)
    if isinstance(raw, int | float | Decimal):
        serial, _ = _number(raw)
        assert serial is not None
        d = _serial_to_date(serial)
        return d, [f"Excel日期序号{serial}→{d.isoformat()}"]
    if isinstance(raw, str):
        s = normalize_text(raw)
        m = _DATE_SEP.fullmatch(s)
        parts = (m[1], m[3], m[4]) if m else None
        if parts is None and (m := _DATE_CN.fullmatch(s) or _DATE_COMPACT.fullmatch(s)):
            parts = (m[1], m[2], m[3])
        if parts is not None:
            try:
                return dt.date(*(int(p) for p in parts)), ["文本日期已转换"]
            except ValueError:
                pass  # e.g. 2022-02-30
    raise CleanError("not-a-date", EXPECT_DATE)


def parse_date(raw: object) -> dt.date | None:
    """A date from a date/datetime, an Excel serial number or text like ``2022.3.5``."""
    return _date(raw)[0]


# --- dispatch on the field type ------------------------------------------------------


def _fmt(d: Decimal) -> str:
    return format(_tidy(d), "f")


def _check_bounds(value: Decimal, field: FieldDef, percent: bool) -> None:
    """Numeric bounds; string bounds name other fields and are checked elsewhere."""

    def show(bound: Decimal) -> str:
        return f"{_fmt(bound * _HUNDRED)}%" if percent else _fmt(bound)

    if isinstance(field.min, Decimal) and value < field.min:
        raise CleanError("out-of-range", f"不小于 {show(field.min)}")
    if isinstance(field.max, Decimal) and value > field.max:
        raise CleanError("out-of-range", f"不大于 {show(field.max)}")


def _as_text(raw: object) -> str:
    """Render a non-text cell as text the way a person would read it."""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and math.isfinite(raw):
        return _fmt(Decimal(repr(raw)))
    if isinstance(raw, Decimal) and raw.is_finite():
        return _fmt(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time(0) else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date | dt.time):
        return raw.isoformat()
    return normalize_text(raw)


def _clean_choice(raw: object, field: FieldDef) -> Cleaned:
    choices = field.choices or []
    text = _as_text(raw)
    key = normalize_name(text).casefold()
    for choice in choices:  # before the missing check: "无" may be a real choice
        if normalize_name(choice).casefold() == key:
            changed = isinstance(raw, str) and raw != choice
            return Cleaned(choice, f"已规范为“{choice}”" if changed else None)
    if is_missing_marker(raw):
        return Cleaned(None)
    raise CleanError("not-a-choice", "可选：" + "、".join(choices))


def clean_value(raw: object, field: FieldDef) -> Cleaned:
    """Clean one raw value for ``field`` (dispatch on ``field.type``); raises :class:`CleanError`."""
    _check_excel_error(raw)
    kind = field.type
    if kind == "choice":
        return _clean_choice(raw, field)
    if kind == "bool":
        return Cleaned(parse_bool(raw))
    if is_missing_marker(raw):
        if field.blank == "zero" and kind in ("int", "number", "percent"):
            marker = normalize_text(raw)
            return Cleaned(Decimal(0), f"“{marker}”按0计" if marker else "空白按0计")
        return Cleaned(None)
    if kind in ("int", "number"):
        value, notes = _number(raw, field.unit)
        assert value is not None
        if kind == "int" and value != value.to_integral_value(context=_CTX):
            raise CleanError("not-an-integer", EXPECT_INTEGER)
        _check_bounds(value, field, percent=False)
        return Cleaned(value, _join(notes))
    if kind == "percent":
        high = field.max if isinstance(field.max, Decimal) else None
        low = field.min if isinstance(field.min, Decimal) else None
        frac, notes = _percent(raw, field.unit, max_value=high, min_value=low)
        assert frac is not None
        _check_bounds(frac, field, percent=True)
        return Cleaned(frac, _join(notes))
    if kind == "date":
        day, notes = _date(raw)
        return Cleaned(day, _join(notes))
    # text
    text = _as_text(raw)
    changed = isinstance(raw, str) and _had_full_width(raw)
    return Cleaned(text, "全角字符已转换" if changed else None)
