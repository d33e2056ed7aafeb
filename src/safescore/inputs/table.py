"""Table layout (SPEC 4.1): one row per unit, one column per field.

Every value keeps its cell. Rows whose unit cell is empty or 合计/总计/小计 are
skipped and reported; unknown names are errors suggesting the closest known
units; a bad value is an error naming the cell and what was expected, and the
rest of the row and the sheet are still read.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from safescore.inputs.clean import CleanError, clean_value, normalize_label, normalize_text, shorten
from safescore.inputs.header import Header, data_start, find_header
from safescore.inputs.match import UnitMatcher, is_total_row
from safescore.inputs.model import CellRef, FieldValue, UnitReturn, new_cell_ref, new_field_value
from safescore.inputs.workbook import SheetGrid, WorkbookData, cell_name
from safescore.problems import Problem, Report
from safescore.rubric.model import FieldDef, Rubric

_cache: dict[tuple[int, str], tuple[Rubric, Any]] = {}


def per_rubric(rubric: Rubric, what: str, build: Callable[[], Any]) -> Any:
    """Lookups built once per rubric, not once per file or sheet (the cache keeps the
    rubric alive, so its id is not reused while the entry exists)."""
    hit = _cache.get((id(rubric), what))
    if hit is None or hit[0] is not rubric:
        if len(_cache) > 64:
            _cache.clear()
        hit = _cache[(id(rubric), what)] = (rubric, build())
    return hit[1]


def field_matcher(rubric: Rubric) -> Callable[[str], str | None]:
    """Normalised header text → field id (by label, id or alias)."""
    return per_rubric(rubric, "field_matcher", lambda: _field_keys(rubric).get)  # type: ignore[no-any-return]


def _field_keys(rubric: Rubric) -> dict[str, str]:
    keys: dict[str, str] = {}
    for fid, fd in rubric.fields.items():
        for text in (fid, fd.label, *fd.aliases):
            keys.setdefault(normalize_label(text), fid)
    return keys


def looks_like_table(sheet: SheetGrid, rubric: Rubric) -> Header | None:
    """The sheet's header if it is a table return: a unit column plus at least one field."""
    h = find_header(sheet, field_matcher(rubric))
    if h is None or h.unit_col is None:
        return None
    return h


def _text(v: object) -> str:
    return "" if v is None else normalize_text(v)


def read_table_sheet(
    sheet: SheetGrid,
    header: Header,
    path: Path,
    rubric: Rubric,
    matcher: UnitMatcher,
    report: Report,
) -> list[UnitReturn]:
    """Read every unit row of one sheet into :class:`UnitReturn` objects."""
    fname = str(path)
    out: list[UnitReturn] = []
    memo = clean_memo(rubric)
    assert header.unit_col is not None
    seen: dict[str, str] = {}
    for r in range(data_start(sheet, header), sheet.n_rows):
        raw_name = sheet.merged_value(r, header.unit_col)
        unit_cell = cell_name(r, header.unit_col)
        if (r, header.unit_col) in sheet.uncached_formulas:
            # the name is unknown until Excel computes it: never read as an empty row (SPEC 4.4)
            report.add(
                Problem(
                    "formula-no-cache",
                    f"第{r + 1}行的单位名称是公式但没有计算结果，该行未读取；请在 Excel 中打开并保存后重新报送",
                    file=fname,
                    sheet=sheet.name,
                    cell=unit_cell,
                    value=shorten(raw_name) if raw_name is not None else None,
                    expected="已计算的单位名称（在 Excel/WPS 中保存一次）",
                )
            )
            continue
        if raw_name is None or _text(raw_name) == "" or is_total_row(raw_name):
            if any(sheet.value(r, c) not in (None, "") for c in header.columns):
                label = "合计行" if raw_name is not None and is_total_row(raw_name) else "单位名称为空的行"
                report.add(
                    Problem(
                        "row-skipped",
                        f"跳过{label}（第{r + 1}行）",
                        severity="info",
                        file=fname,
                        sheet=sheet.name,
                        cell=unit_cell,
                        value=_text(raw_name) or None,
                    )
                )
            continue
        m = matcher.match(raw_name)
        if m.unit is None and all(sheet.value(r, c) in (None, "") for c in header.columns):
            # a note or signature line under the table (填报单位(盖章)…), not a unit
            report.add(
                Problem(
                    "row-skipped",
                    f"跳过没有数据的说明行（第{r + 1}行）",
                    severity="info",
                    file=fname,
                    sheet=sheet.name,
                    cell=unit_cell,
                    value=shorten(raw_name),
                )
            )
            continue
        if m.unit is None:
            hint = f"，是不是：{'、'.join(m.suggestions)}？" if m.suggestions else ""
            report.add(
                Problem(
                    "unknown-unit",
                    f"单位“{shorten(raw_name)}”不在单位名单中{hint}",
                    file=fname,
                    sheet=sheet.name,
                    cell=unit_cell,
                    value=_text(raw_name),
                    expected="、".join(m.suggestions) if m.suggestions else "单位名单中的名称或简称",
                )
            )
            continue
        unit = m.unit.name
        if unit in seen:
            report.add(
                Problem(
                    "duplicate-unit",
                    f"{unit} 在同一张表中出现两次（{seen[unit]} 与 {unit_cell}），只采用第一行",
                    file=fname,
                    sheet=sheet.name,
                    cell=unit_cell,
                    unit=unit,
                    value=_text(raw_name),
                )
            )
            continue
        seen[unit] = unit_cell
        if r in sheet.hidden_rows:
            report.add(
                Problem(
                    "hidden-row",
                    f"{unit} 所在的第{r + 1}行被隐藏，仍按其数据计分",
                    severity="warning",
                    file=fname,
                    sheet=sheet.name,
                    cell=unit_cell,
                    unit=unit,
                )
            )
        ret = UnitReturn(unit, pos=CellRef(fname, sheet.name, unit_cell))
        for c, fid in header.columns.items():
            ret.values[fid] = read_cell(sheet, r, c, fid, rubric.fields[fid], unit, fname, report, memo)
        check_cross_field(ret, rubric, report)
        out.append(ret)
    return out


# Raw values whose cleaning depends only on their type and value (never on identity
# or time zone); the same few hundred of them fill most returns.
_MEMO_TYPES = frozenset({str, int, float, bool})
_MEMO_MAX = 1 << 15

CleanMemo = dict[tuple[str, type, object], tuple[object, str | None, str]]


def clean_memo(rubric: Rubric) -> CleanMemo:
    """A cache of :func:`clean_value` results for ``rubric``'s fields (one per process)."""
    return per_rubric(rubric, "clean_memo", dict)  # type: ignore[no-any-return]


def memo_clean(memo: CleanMemo | None, key: str, raw: object, clean: Callable[[object], object]) -> object:
    """``clean(raw)`` remembered in ``memo`` under (``key``, type, value); a
    :class:`CleanError` is remembered too and raised afresh each time."""
    if memo is None or raw.__class__ not in _MEMO_TYPES:
        return clean(raw)
    k = (key, raw.__class__, raw)
    hit = memo.get(k)
    if hit is None:
        try:
            hit = (clean(raw), None, "")
        except CleanError as exc:
            hit = (None, exc.code, exc.expected)
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[k] = hit
    if hit[1] is not None:
        raise CleanError(hit[1], hit[2])
    return hit[0]


def read_cell(
    sheet: SheetGrid,
    r: int,
    c: int,
    fid: str,
    fd: FieldDef,
    unit: str,
    fname: str,
    report: Report,
    memo: CleanMemo | None = None,
) -> FieldValue:
    """Clean one cell; a bad value becomes an invalid FieldValue plus an error problem.

    ``memo`` (from :func:`clean_memo`, for the rubric ``fd`` belongs to) saves cleaning
    a value already seen for this field.
    """
    pos = new_cell_ref(fname, sheet.name, cell_name(r, c))
    raw = sheet.merged_value(r, c)
    if (r, c) in sheet.uncached_formulas:
        report.add(
            Problem(
                "formula-no-cache",
                f"{unit} 的“{fd.label}”是公式但没有计算结果，请在 Excel 中打开并保存后重新报送",
                file=fname,
                sheet=sheet.name,
                cell=pos.cell,
                unit=unit,
                field=fid,
                value=str(raw) if raw is not None else None,
                expected="已计算的数值（在 Excel/WPS 中保存一次）",
            )
        )
        return FieldValue(None, raw, pos, invalid="formula-no-cache")
    try:
        value = memo_clean(memo, fid, raw, lambda v: clean_value(v, fd).value)
    except CleanError as exc:
        report.add(
            Problem(
                exc.code,
                f"{unit} 的“{fd.label}”填写为“{shorten(raw)}”，无法使用",
                file=fname,
                sheet=sheet.name,
                cell=pos.cell,
                unit=unit,
                field=fid,
                value=_text(raw),
                expected=exc.expected,
            )
        )
        return FieldValue(None, raw, pos, invalid=exc.code)
    return new_field_value(value, raw, pos)  # type: ignore[arg-type]


def check_cross_field(ret: UnitReturn, rubric: Rubric, report: Report) -> None:
    """``min``/``max`` naming another field (e.g. 已整改 ≤ 排查数)."""
    for fid, fd in rubric.fields.items():
        fv = ret.values.get(fid)
        if fv is None or not isinstance(fv.value, Decimal):
            continue
        for bound, op in ((fd.max, ">"), (fd.min, "<")):
            if not isinstance(bound, str):
                continue
            other = ret.values.get(bound)
            if other is None or not isinstance(other.value, Decimal):
                continue
            bad = fv.value > other.value if op == ">" else fv.value < other.value
            if bad:
                word = "不应大于" if op == ">" else "不应小于"
                other_label = rubric.fields[bound].label
                report.add(
                    Problem(
                        "out-of-range",
                        f"{ret.unit} 的“{fd.label}”（{fv.value}）{word}“{other_label}”（{other.value}）",
                        file=fv.pos.file if fv.pos else None,
                        sheet=fv.pos.sheet if fv.pos else None,
                        cell=fv.pos.cell if fv.pos else None,
                        unit=ret.unit,
                        field=fid,
                        value=str(fv.value),
                        expected=f"{word.replace('不应', '不')}{other_label} {other.value}",
                    )
                )
                ret.values[fid] = FieldValue(None, fv.raw, fv.pos, invalid="out-of-range")


def read_table_workbook(
    wb: WorkbookData, rubric: Rubric, matcher: UnitMatcher, report: Report
) -> list[UnitReturn]:
    """All unit rows of every table-shaped sheet of a workbook; reports missing columns."""
    fname = str(wb.path)
    returns: list[UnitReturn] = []
    for sheet in wb.sheets:
        header = looks_like_table(sheet, rubric)
        if header is None:
            continue
        rows = read_table_sheet(sheet, header, wb.path, rubric, matcher, report)
        returns.extend(rows)
        needed = _fields_needed(
            rubric, {matcher.match(r.unit).unit.group for r in rows if matcher.match(r.unit).unit}
        )  # type: ignore[union-attr]
        present = set(header.columns.values())
        for fid in sorted(needed - present):
            report.add(
                Problem(
                    "missing-column",
                    f"工作表“{sheet.name}”缺少“{rubric.fields[fid].label}”列，相关指标按未填报计",
                    file=fname,
                    sheet=sheet.name,
                    cell=cell_name(header.row, 0),
                    field=fid,
                    expected=rubric.fields[fid].label,
                )
            )
    return returns


def _fields_needed(rubric: Rubric, groups: set[str]) -> set[str]:
    from safescore.engine.scoring import rule_refs

    need: set[str] = set()
    for g in groups:
        for s in rubric.sections_for(g):
            for it in s.items_for(g):
                if it.source == "return":
                    need.update(f for f in rule_refs(it.rule, rubric) if f in rubric.fields)
        for it in (*rubric.bonus.items, *rubric.penalty.items):
            if it.source == "return" and (it.groups is None or g in it.groups):
                need.update(f for f in rule_refs(it.rule, rubric) if f in rubric.fields)
        for v in rubric.veto_for(g):
            from safescore.rubric.check import parse_cached

            need.update(n for n in parse_cached(v.when).names if n in rubric.fields)
    return need
