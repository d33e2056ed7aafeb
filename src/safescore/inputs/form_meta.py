"""Whom and when a form return is for (SPEC 4.1): the hidden sheet, the 填报单位 and 考核期间 cells.

A ``safescore template`` return names its rubric, period and unit in the hidden
sheet; a hand-made form names them in labelled cells above (or under) its rows.
:mod:`safescore.inputs.form` reads the rows themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from safescore.inputs import form_layout as fl
from safescore.inputs.clean import normalize_label, normalize_name, normalize_text
from safescore.inputs.match import UnitMatcher
from safescore.inputs.model import CellRef
from safescore.inputs.workbook import SheetGrid, cell_name
from safescore.problems import Problem, Report, Severity
from safescore.results.periods import normalize_period, period_kind
from safescore.rubric.model import Rubric, Unit

# "单位" alone is weak: "单位：万元" above a table is a unit of measure, so it is tried last.
UNIT_STRONG = frozenset(normalize_label(t) for t in fl.UNIT_LABELS if t != "单位")
UNIT_WEAK = frozenset({normalize_label("单位")})
PERIOD_LABELS = frozenset(normalize_label(t) for t in fl.PERIOD_LABELS)
_META_ROWS = 50  # the hidden sheet holds a handful of keys; never scan a huge one


def as_text(v: object) -> str:
    """A raw cell value as normalised text ("" for an empty cell)."""
    return "" if v is None else normalize_text(v)


def label_key(text: str) -> str:
    """'填报单位（盖章）：' → '填报单位'."""
    return normalize_label(normalize_name(text).rstrip(":"))


class Out:
    """Adds problems with the file filled in."""

    def __init__(self, fname: str, report: Report):
        self.fname, self.report = fname, report

    def add(
        self, code: str, msg: str, sheet: str | None, cell: str | None, sev: Severity = "error", **kw: Any
    ) -> None:
        self.report.add(Problem(code, msg, severity=sev, file=self.fname, sheet=sheet, cell=cell, **kw))


# --- the hidden sheet and the labelled header cells ------------------------------------


def read_meta(sheet: SheetGrid) -> dict[str, tuple[str, str]]:
    """key → (value, A1 cell of the value) for the keys of META_KEYS."""
    out: dict[str, tuple[str, str]] = {}
    for r in range(min(sheet.n_rows, _META_ROWS)):
        key = as_text(sheet.value(r, 0)).casefold()
        if key in fl.META_KEYS and key not in out:
            v = sheet.value(r, 1)  # "2022" typed by hand comes back as 2022.0
            out[key] = (
                str(int(v)) if isinstance(v, float) and v.is_integer() else as_text(v),
                cell_name(r, 1),
            )
    return out


def labelled(sheet: SheetGrid, rows: Iterable[int], keys: frozenset[str]) -> tuple[object, int, int] | None:
    """(value, row, col) of the cell right of a label in ``keys``, or of '标签：值' in one cell.

    A label with nothing after it gives (None, row, col of the empty cell) unless a
    later label has a value.
    """
    empty: tuple[object, int, int] | None = None
    for r in rows:
        row = sheet.rows[r]
        for c, v in enumerate(row):
            if not isinstance(v, str) or not v.strip():
                continue
            head, sep, rest = normalize_text(v).partition(":")
            if sep and rest.strip() and label_key(head) in keys:
                return rest.strip(), r, c
            if label_key(v) not in keys:
                continue
            for cc in range(c + 1, min(len(row), c + 6)):
                nv = row[cc]
                if nv is None or (isinstance(nv, str) and not nv.strip()):
                    continue  # the rest of a merged label, or a gap
                if isinstance(nv, str) and is_label(nv):
                    break  # 填报单位：（空） 考核期间：…
                return nv, r, cc
            empty = empty or (None, r, c + 1)
    return empty


def is_label(v: str) -> bool:
    key = label_key(v)
    return normalize_name(v).endswith(":") or key in UNIT_STRONG or key in PERIOD_LABELS


_Q = re.compile(r"(\d{4})(?:年度?)?(?:第?([1-4一二三四])季度?|Q([1-4]))")
_H = re.compile(r"(\d{4})(?:年度?)?(?:([上下])半年|H([12]))")
_M = re.compile(r"(\d{4})(?:年|[-./])(\d{1,2})(?:月份?)?")
_Y = re.compile(r"(\d{4})(?:年度?)?")
_CN = {"一": "1", "二": "2", "三": "3", "四": "4", "上": "1", "下": "2"}


def parse_period_text(raw: object) -> str | None:
    """A period as written in a form (2022年第一季度, 2022年3月, 2022年上半年, 2022Q1) → label, or None."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = normalize_name(raw).upper()
    if period_kind(text):
        return normalize_period(text)
    if m := _Q.fullmatch(text):
        return f"{m[1]}Q{_CN.get(m[2] or m[3], m[2] or m[3])}"
    if m := _H.fullmatch(text):
        return f"{m[1]}H{_CN.get(m[2] or m[3], m[2] or m[3])}"
    if (m := _M.fullmatch(text)) and 1 <= int(m[2]) <= 12:
        return f"{m[1]}-{int(m[2]):02d}"
    if m := _Y.fullmatch(text):
        return m[1]
    return None


def meta_ok(meta: dict[str, tuple[str, str]], rubric: Rubric, period: str | None, out: Out) -> bool:
    """Check the hidden sheet against this run; False when the return must not be used."""
    unit = meta.get("unit", ("", ""))[0] or None
    rid, cell = meta.get("rubric", ("", ""))
    if rid and rid != rubric.rubric:
        msg = f"这是考核规则“{rid}”的填报表，不是“{rubric.rubric}”（{rubric.title}）的，未使用"
        out.add("form-wrong-rubric", msg, fl.META_SHEET, cell, unit=unit, value=rid, expected=rubric.rubric)
        return False
    ver, cell = meta.get("rubric_version", ("", ""))
    if ver and ver != rubric.version:
        # Still read: the field codes rarely change between versions, and rejecting every
        # return sent on last quarter's template would leave the units unscored.
        msg = f"填报表按规则版本 {ver} 生成，当前规则版本为 {rubric.version}；已按字段编码读取，请核对"
        out.add("form-wrong-version", msg, fl.META_SHEET, cell, unit=unit, value=ver, expected=rubric.version)
    per, cell = meta.get("period", ("", ""))
    if per and period and (parse_period_text(per) or normalize_period(per)) != normalize_period(period):
        msg = f"这是 {per} 的填报表，本次考核期间为 {period}，未使用"
        out.add("form-wrong-period", msg, fl.META_SHEET, cell, unit=unit, value=per, expected=period)
        return False
    return True


def cell_period_ok(sheet: SheetGrid, rows: Iterable[int], period: str, out: Out) -> bool:
    """Hand-made forms: a 考核期间 cell that clearly names another period rejects the form."""
    found = labelled(sheet, rows, PERIOD_LABELS)
    if found is None or found[0] is None:
        return True
    seen, text = parse_period_text(found[0]), as_text(found[0])
    if seen is None or seen == normalize_period(period):
        return True  # unreadable text is not evidence of a wrong period
    msg = f"填报表的考核期间为“{text}”（{seen}），本次考核期间为 {period}，未使用"
    a1 = cell_name(found[1], found[2])
    out.add("form-wrong-period", msg, sheet.name, a1, value=text, expected=period)
    return False


def _unknown(out: Out, raw: object, matcher: UnitMatcher, sheet: str, cell: str | None) -> None:
    hints = matcher.match(raw).suggestions
    msg = f"单位“{as_text(raw)}”不在单位名单中" + (f"，是不是：{'、'.join(hints)}？" if hints else "")
    expected = "、".join(hints) if hints else "单位名单中的名称或简称"
    out.add("unknown-unit", msg, sheet, cell, value=as_text(raw), expected=expected)


def resolve_unit(
    meta: dict[str, tuple[str, str]],
    cell: tuple[object, int, int] | None,
    sheet: str,
    matcher: UnitMatcher,
    out: Out,
) -> tuple[Unit | None, CellRef | None]:
    """The hidden sheet's unit wins over the 填报单位 cell; a disagreement is a warning."""
    raw = cell[0] if cell is not None and as_text(cell[0]) else None
    a1 = cell_name(cell[1], cell[2]) if cell is not None else None
    here = CellRef(out.fname, sheet, a1) if raw is not None else None
    by_cell = matcher.match(raw).unit if raw is not None else None
    meta_name, meta_cell = meta.get("unit", ("", ""))
    if meta_name:
        by_meta = matcher.match(meta_name).unit
        chosen = by_meta or by_cell
        if chosen is None:
            _unknown(out, meta_name, matcher, fl.META_SHEET, meta_cell)
            return None, None
        if raw is not None and (by_meta is None or by_cell is None or by_cell.name != by_meta.name):
            used = "隐藏表" if by_meta else "填报单位单元格"
            msg = f"填报单位写的是“{as_text(raw)}”，隐藏表记录的是“{meta_name}”，按{used}采用 {chosen.name}"
            kw = {"unit": chosen.name, "value": as_text(raw), "expected": meta_name}
            out.add("form-unit-mismatch", msg, sheet, a1, "warning", **kw)
        return chosen, here or CellRef(out.fname, fl.META_SHEET, meta_cell)
    if raw is None:
        expected = "在“填报单位：”右侧的单元格填写单位名称"
        out.add("form-no-unit", "填报表没有写明填报单位", sheet, a1, expected=expected)
        return None, None
    if by_cell is None:
        _unknown(out, raw, matcher, sheet, a1)
        return None, None
    return by_cell, here
