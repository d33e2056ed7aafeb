"""Form layout returns (SPEC 4.1): one unit per workbook, one row per field.

The layout is the contract in :mod:`safescore.inputs.form_layout`, written by
``safescore template``; hand-made forms need only a sheet whose header has 填报值
and 字段编码 or 指标名称, and the unit in a 填报单位 cell above it. Values are cleaned
exactly as in the table layout (:func:`safescore.inputs.table.read_cell`), so codes
and cells are the same whichever layout a unit used. Only the header rows and the
form's own rows are looked at: this runs on thousands of files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from safescore.inputs import form_layout as fl
from safescore.inputs.clean import (
    CleanError,
    is_missing_marker,
    normalize_label,
    normalize_name,
    parse_number,
)
from safescore.inputs.form_meta import (
    UNIT_STRONG,
    UNIT_WEAK,
    Out,
    as_text,
    cell_period_ok,
    labelled,
    meta_ok,
    parse_period_text,
    read_meta,
    resolve_unit,
)
from safescore.inputs.header import HEADER_SCAN_ROWS, Header, data_start, find_header
from safescore.inputs.match import UnitMatcher
from safescore.inputs.model import FieldValue, UnitReturn, new_cell_ref, new_field_value
from safescore.inputs.table import (
    CleanMemo,
    check_cross_field,
    clean_memo,
    field_matcher,
    memo_clean,
    per_rubric,
    read_cell,
)
from safescore.inputs.workbook import SheetGrid, WorkbookData, cell_name
from safescore.problems import Report
from safescore.rubric.model import Item, Rubric, Unit

__all__ = [
    "looks_like_form",
    "parse_period_text",
    "read_form_workbook",
    "template_sheets",
    "template_sheets_suffice",
]


def _keys(**names: Iterable[str]) -> dict[str, str]:
    return {normalize_label(t): kind for kind, texts in names.items() for t in texts}


# The template's own headers come first; the rest are what hand-made forms say.
_FORM_KEYS = _keys(
    code=(fl.FORM_COLUMNS[fl.COL_CODE], "字段代码", "字段", "编码"),
    name=(fl.FORM_COLUMNS[fl.COL_LABEL], "字段名称", "指标", "填报项目", "项目"),
    value=(fl.FORM_COLUMNS[fl.COL_VALUE], "填报数值", "本期数值", "填报数据", "本期值"),
)
_SELF_KEYS = _keys(
    code=(fl.SELF_COLUMNS[0], "编码", "指标代码"),
    name=(fl.SELF_COLUMNS[1], "指标", "考核指标", "评分项", "考核项目"),
    value=(fl.SELF_COLUMNS[3], "自评得分", "自评分数", "自评分值"),
)
_TAIL_ROWS = 5  # 填报单位（盖章）： is often signed under the table


def _header(sheet: SheetGrid, keys: dict[str, str]) -> Header | None:
    """The header if it has a value column and a code or a name column."""
    memo = ("form-header", id(keys))  # keys are module constants
    if memo not in sheet.memo:
        sheet.memo[memo] = _find_form_header(sheet, keys)
    return sheet.memo[memo]  # type: ignore[return-value]


def _find_form_header(sheet: SheetGrid, keys: dict[str, str]) -> Header | None:
    # Cheap rejection first: most sheets (说明, a table, the hidden sheet) have no value column.
    texts = {v for row in sheet.rows[:HEADER_SCAN_ROWS] for v in row if isinstance(v, str)}
    if not any(keys.get(normalize_label(v)) == "value" for v in texts):
        return None
    h = find_header(sheet, keys.get)
    kinds = set(h.columns.values()) if h is not None else set()
    return h if "value" in kinds and kinds & {"code", "name"} else None


def _forms(wb: WorkbookData) -> list[tuple[SheetGrid, Header]]:
    return [(s, h) for s in wb.sheets if s.name != fl.META_SHEET and (h := _header(s, _FORM_KEYS))]


def looks_like_form(wb: WorkbookData) -> bool:
    """True when a sheet's header (first 10 rows) has 填报值 and 字段编码 or 指标名称."""
    return any(s.name != fl.META_SHEET and _header(s, _FORM_KEYS) for s in wb.sheets)


def template_sheets(names: list[str]) -> set[str] | None:
    """The sheets a template return needs (a :data:`~safescore.inputs.workbook.SheetSelect`).

    A workbook with the hidden sheet and a 填报表 is a ``safescore template`` return:
    only 填报表, 自评分 and the hidden sheet are read (not the 说明 or a 隐患清单 attached
    to it). Anything else is read whole.
    """
    if fl.META_SHEET in names and fl.FORM_SHEET in names:
        return {fl.META_SHEET, fl.FORM_SHEET, fl.SELF_SHEET}
    return None


def template_sheets_suffice(wb: WorkbookData) -> bool:
    """True when the sheets :func:`template_sheets` chose are the ones the form reader
    would pick from the whole workbook: 填报表 is a form and 自评分 a self-score sheet
    (else the reader would look at the other sheets, so the workbook is read whole)."""
    form, own = wb.sheet(fl.FORM_SHEET), wb.sheet(fl.SELF_SHEET)
    return (
        form is not None
        and own is not None
        and _header(form, _FORM_KEYS) is not None
        and _header(own, _SELF_KEYS) is not None
    )


_per_rubric = per_rubric


# --- the whole workbook ----------------------------------------------------------------


def read_form_workbook(
    wb: WorkbookData, rubric: Rubric, matcher: UnitMatcher, period: str | None, report: Report
) -> UnitReturn | None:
    """One unit's return from a form workbook, or None when it cannot be used.

    The hidden sheet (if any) must name this rubric (else 'form-wrong-rubric', not
    used) and ``period`` (else 'form-wrong-period', not used); another rubric
    version is an error but the values are still read by field code. The unit
    comes from the hidden sheet or the 填报单位 cell. Every problem goes to ``report``.
    """
    out = Out(str(wb.path), report)
    found = _pick_form_sheet(wb, out)
    if found is None:
        msg = "没有找到逐项填报的表单（表头含“填报值”及“字段编码”或“指标名称”）"
        out.add("no-matching-sheet", msg, None, None, expected="表头含 填报值 与 字段编码/指标名称 的工作表")
        return None
    sheet, header = found
    meta_sheet = wb.sheet(fl.META_SHEET)
    meta = read_meta(meta_sheet) if meta_sheet is not None else {}
    if not meta_ok(meta, rubric, period, out):
        return None
    above = range(min(header.row, HEADER_SCAN_ROWS))
    if "period" not in meta and period and not cell_period_ok(sheet, above, period, out):
        return None
    tail = range(max(data_start(sheet, header), sheet.n_rows - _TAIL_ROWS), sheet.n_rows)
    cell = labelled(sheet, [*above, *tail], UNIT_STRONG) or labelled(sheet, above, UNIT_WEAK)
    unit, pos = resolve_unit(meta, cell, sheet.name, matcher, out)
    if unit is None:
        return None
    ret = UnitReturn(unit.name, pos=pos, modified=wb.modified)
    _warn_hidden(sheet, "填报值", unit.name, out)
    _read_fields(sheet, header, rubric, ret, out)
    check_cross_field(ret, rubric, report)
    _read_self_scores(wb, sheet, rubric, unit, ret, out)
    return ret


def _warn_hidden(sheet: SheetGrid, what: str, unit: str, out: Out) -> None:
    """A hidden sheet's values are read, as a hidden row's are, but the office is told."""
    if sheet.hidden:
        msg = f"{what}所在的工作表“{sheet.name}”被隐藏，仍采用其中的{what}"
        out.add(
            "hidden-sheet",
            msg,
            sheet.name,
            None,
            "warning",
            unit=unit,
            expected="填报数据放在未隐藏的工作表中",
        )


def _pick_form_sheet(wb: WorkbookData, out: Out) -> tuple[SheetGrid, Header] | None:
    """The 填报表 sheet if it is one, else the first form-shaped sheet; others are warned about."""
    forms = _forms(wb)
    if not forms:
        return None
    chosen = next((f for f in forms if f[0].name == fl.FORM_SHEET), forms[0])
    for s, _h in forms:
        if s is not chosen[0]:
            msg = f"工作表“{s.name}”也像填报表，但只读取了“{chosen[0].name}”"
            out.add("form-extra-sheet", msg, s.name, None, "warning", expected="每个文件只有一张填报表")
    return chosen


# --- field rows and self-scores ----------------------------------------------------------

_Resolve = Callable[[str, str], "tuple[str, str] | None"]
# (code text, name text, resolve(code, name)) by the raw code and name cells: every return
# of a batch repeats the template's rows, so each pair is normalised and resolved once
_RowMemo = dict[tuple[object, object], tuple[str, str, "tuple[str, str] | None"]]
_ROW_MEMO_MAX = 1 << 13


def _row_key(memo: _RowMemo, code_raw: object, name_raw: object, resolve: _Resolve) -> tuple[str, str, Any]:
    """(code, name, resolve(code, name)) of one row's code and name cells, remembered for text cells."""
    text_only = code_raw.__class__ in _TEXTISH and name_raw.__class__ in _TEXTISH
    got = memo.get((code_raw, name_raw)) if text_only else None
    if got is None:
        code = as_text(code_raw) if code_raw is not None else ""
        name = as_text(name_raw) if name_raw is not None else ""
        got = (code, name, resolve(code, name) if code or name else None)
        if text_only:
            if len(memo) >= _ROW_MEMO_MAX:
                memo.clear()
            memo[(code_raw, name_raw)] = got
    return got


_TEXTISH = (str, type(None))


def _keyed_rows(
    sheet: SheetGrid, header: Header, resolve: _Resolve, kind: str, unit: str, out: Out, memo: _RowMemo
) -> Iterator[tuple[int, int, str]]:
    """(row, value column, key) of each row naming a known field/item, the first time only.

    ``resolve(code, name)`` gives (key, display name); ``memo`` remembers it for this
    ``resolve``. Rows naming nothing known are warned about only when they carry a
    value; a repeated key is an error.
    """
    cols = {k: c for c, k in header.columns.items()}
    code_col, name_col, vcol = cols.get("code"), cols.get("name"), cols["value"]
    # Fields are not filtered by group; items are (a street item on a department's form).
    noun, value_noun, owner = (
        ("填报字段", "填报值", "本考核") if kind == "field" else ("考核指标", "自评分", unit)
    )
    seen: dict[str, str] = {}
    rows, hidden, uncached = sheet.rows, sheet.hidden_rows, sheet.uncached_formulas
    for r in range(data_start(sheet, header), len(rows)):
        row = rows[r]
        n = len(row)
        code_raw = row[code_col] if code_col is not None and code_col < n else None
        name_raw = row[name_col] if name_col is not None and name_col < n else None
        if code_raw is None and name_raw is None:
            continue  # blank, or a section heading merged across the row
        code, name, hit = _row_key(memo, code_raw, name_raw, resolve)
        if not code and not name:
            continue
        cell, raw = cell_name(r, vcol), row[vcol] if vcol < n else None
        if hit is None:
            if not is_missing_marker(raw) or (r, vcol) in uncached:
                msg = f"第{r + 1}行“{name or code}”不是{owner}的{noun}，其{value_noun}未使用"
                kw = {"unit": unit, "value": name or code, "expected": f"{owner}的{noun}编码或名称"}
                out.add(f"form-unknown-{kind}", msg, sheet.name, cell, "warning", **kw)
            continue
        key, title = hit
        if key in seen:
            msg = f"“{title}”的{value_noun}填了两次（{seen[key]} 与 {cell}），只采用第一处"
            out.add(f"duplicate-{kind}", msg, sheet.name, cell, unit=unit, field=key, value=as_text(raw))
            continue
        seen[key] = cell
        if r in hidden:
            msg = f"“{title}”所在的第{r + 1}行被隐藏，仍采用其{value_noun}"
            out.add("hidden-row", msg, sheet.name, cell, "warning", unit=unit, field=key)
        yield r, vcol, key


def _read_fields(sheet: SheetGrid, header: Header, rubric: Rubric, ret: UnitReturn, out: Out) -> None:
    fmatch = field_matcher(rubric)
    fields = rubric.fields

    def resolve(code: str, name: str) -> tuple[str, str] | None:
        # The code is exact and survives a relabelled rubric; the label is the fallback.
        fid = code if code in fields else None
        fid = fid or (fmatch(normalize_label(code)) if code else None)
        fid = fid or (fmatch(normalize_label(name)) if name else None)
        return (fid, fields[fid].label) if fid else None

    memo = clean_memo(rubric)
    rows: _RowMemo = _per_rubric(rubric, "form-rows:field", dict)
    fname, report, unit, values = out.fname, out.report, ret.unit, ret.values
    for r, c, fid in _keyed_rows(sheet, header, resolve, "field", unit, out, rows):
        values[fid] = read_cell(sheet, r, c, fid, fields[fid], unit, fname, report, memo)


def _self_sheet(wb: WorkbookData, form: SheetGrid) -> tuple[SheetGrid, Header] | None:
    named = wb.sheet(fl.SELF_SHEET)
    others = [s for s in wb.sheets if s is not form and s is not named and s.name != fl.META_SHEET]
    for s in ([named] if named is not None else []) + others:
        if (h := _header(s, _SELF_KEYS)) is not None:
            return s, h
    return None


def _item_keys(rubric: Rubric, group: str) -> dict[str, Item]:
    """Normalised id and title → item, for the items of one group (bonus and penalty too)."""
    items = [it for s in rubric.sections_for(group) for it in s.items_for(group)]
    items += [it for it in (*rubric.bonus.items, *rubric.penalty.items) if it.applies_to(group)]
    keys: dict[str, Item] = {normalize_name(it.id).casefold(): it for it in items}
    for it in items:
        keys.setdefault(normalize_name(it.title).casefold(), it)
    return keys


def _read_self_scores(
    wb: WorkbookData, form: SheetGrid, rubric: Rubric, unit: Unit, ret: UnitReturn, out: Out
) -> None:
    """自评分 rows → ret.self_scores; they never change a score, but bad ones are reported."""
    found = _self_sheet(wb, form)
    if found is None:
        return
    sheet, header = found
    _warn_hidden(sheet, "自评分", unit.name, out)
    group = unit.group
    keys: dict[str, Item] = _per_rubric(rubric, "items:" + group, lambda: _item_keys(rubric, group))
    rows: _RowMemo = _per_rubric(rubric, "form-rows:items:" + group, dict)
    memo = clean_memo(rubric)
    by_id: dict[str, Item] = _per_rubric(
        rubric, "items-by-id:" + group, lambda: {i.id: i for i in keys.values()}
    )

    def resolve(code: str, name: str) -> tuple[str, str] | None:
        it = keys.get(normalize_name(code).casefold()) or keys.get(normalize_name(name).casefold())
        return (it.id, it.title) if it else None

    for r, c, iid in _keyed_rows(sheet, header, resolve, "item", unit.name, out, rows):
        fv = _self_value(sheet, r, c, by_id[iid], unit, out, memo)
        if fv is not None:
            ret.self_scores[iid] = fv


def _self_value(
    sheet: SheetGrid, r: int, c: int, item: Item, unit: Unit, out: Out, memo: CleanMemo
) -> FieldValue | None:
    raw, pos = sheet.value(r, c), new_cell_ref(out.fname, sheet.name, cell_name(r, c))

    def bad(code: str, message: str, expected: str) -> FieldValue:
        kw = {"unit": unit.name, "field": item.id, "value": as_text(raw), "expected": expected}
        out.add(code, message, pos.sheet, pos.cell, **kw)
        return FieldValue(None, raw, pos, invalid=code)

    def what() -> str:
        return f"{unit.name} 对“{item.title}”的自评分"

    if (r, c) in sheet.uncached_formulas:
        msg = f"{what()}是公式但没有计算结果，请在 Excel 中打开并保存后重新报送"
        return bad("formula-no-cache", msg, "已计算的数值（在 Excel/WPS 中保存一次）")
    try:
        value = memo_clean(memo, "", raw, parse_number)  # "" is no field id
    except CleanError as exc:
        return bad(exc.code, f"{what()}“{as_text(raw)}”不是数字", exc.expected)
    if value is None:
        return None  # no self-score for this item
    points = item.points_for(unit.group)
    # Bonus and penalty items have no points of their own, so only section items are bounded.
    if points is not None and not 0 <= value <= points:
        return bad("self-score-out-of-range", f"{what()} {value} 超出该项分值 0～{points}", f"0～{points}")
    return new_field_value(value, raw, pos)
