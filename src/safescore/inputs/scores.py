"""Assessor scoresheets (SPEC 4.1 scores layout): long rows ``单位 | 指标 | 分值 | 原因 | 佐证``.

The item is named by its id or its title; several rows for one unit and item
add up; reasons and evidence are kept verbatim for bulletins and letters.
"""

from __future__ import annotations

import difflib

from safescore.inputs.clean import (
    CleanError,
    normalize_label,
    normalize_name,
    normalize_text,
    parse_number,
    shorten,
)
from safescore.inputs.header import Header, data_start, find_header
from safescore.inputs.match import UnitMatcher, is_total_row
from safescore.inputs.model import CellRef, ScoreRow
from safescore.inputs.workbook import SheetGrid, WorkbookData, cell_name
from safescore.problems import Problem, Report
from safescore.rubric.model import Item, Rubric

COLUMN_NAMES = {
    "item": (
        "指标编码",
        "指标",
        "指标名称",
        "考核指标",
        "评分项",
        "考评项目",
        "考核项目",
        "编码",
        "指标编码或名称",
        "扣分项目",
    ),
    "value": ("扣分", "得分", "分值", "扣分值", "分数", "评分", "扣分分值", "扣分数"),
    "reason": ("扣分原因", "原因", "问题描述", "扣分说明", "存在问题", "扣分理由", "评分说明", "发现问题"),
    "evidence": ("佐证", "佐证材料", "证据", "检查记录", "依据"),
}
_KEYS = {normalize_label(t): k for k, texts in COLUMN_NAMES.items() for t in texts}


def looks_like_scores(sheet: SheetGrid) -> Header | None:
    h = find_header(sheet, _KEYS.get, min_matches=2)
    if (
        h is None
        or h.unit_col is None
        or "item" not in h.columns.values()
        or "value" not in h.columns.values()
    ):
        return None
    return h


class ItemMatcher:
    """Item by id or by (normalised) title, among the items fed by one source."""

    def __init__(self, items: list[Item]):
        self.items = items
        self.keys: dict[str, Item] = {}
        for it in items:
            self.keys.setdefault(normalize_name(it.id).casefold(), it)
            self.keys.setdefault(normalize_name(it.title).casefold(), it)

    def match(self, raw: object) -> Item | None:
        return self.keys.get(normalize_name(raw).casefold())

    def suggest(self, raw: object) -> list[str]:
        names = [f"{it.id} {it.title}" for it in self.items]
        return difflib.get_close_matches(normalize_text(raw), names, n=3, cutoff=0.3)


def _verbatim(v: object) -> str:
    """Assessors' words are quoted in bulletins as written: only the ends are trimmed."""
    return str(v).strip()


def source_items(rubric: Rubric, source: str) -> list[Item]:
    return [it for it in rubric.all_items() if it.source == source]


def read_scores_workbook(
    wb: WorkbookData, source: str, rubric: Rubric, matcher: UnitMatcher, report: Report
) -> list[ScoreRow]:
    """Every assessor row of every scores-shaped sheet; bad rows are reported and skipped."""
    fname = str(wb.path)
    items = ItemMatcher(source_items(rubric, source))
    rows: list[ScoreRow] = []
    found = False
    for sheet in wb.sheets:
        header = looks_like_scores(sheet)
        if header is None:
            continue
        found = True
        cols = {k: c for c, k in header.columns.items()}
        assert header.unit_col is not None
        for r in range(data_start(sheet, header), sheet.n_rows):
            row = _read_row(sheet, r, header.unit_col, cols, source, fname, items, matcher, report)
            if row is not None:
                rows.append(row)
    if not found:
        report.add(
            Problem(
                "no-matching-sheet",
                f"评分表中没有找到“单位 | 指标编码 | 扣分/得分 | 扣分原因”格式的工作表（来源 {source}）",
                file=fname,
                expected="表头含 单位、指标编码或名称、扣分或得分 列",
            )
        )
    return rows


def _read_row(
    sheet: SheetGrid,
    r: int,
    unit_col: int,
    cols: dict[str, int],
    source: str,
    fname: str,
    items: ItemMatcher,
    matcher: UnitMatcher,
    report: Report,
) -> ScoreRow | None:
    raw_unit = sheet.merged_value(r, unit_col)
    raw_item = sheet.merged_value(r, cols["item"])
    raw_value = sheet.value(r, cols["value"])
    reason = (
        _verbatim(sheet.value(r, cols["reason"]))
        if "reason" in cols and sheet.value(r, cols["reason"]) is not None
        else ""
    )
    evidence = (
        _verbatim(sheet.value(r, cols["evidence"]))
        if "evidence" in cols and sheet.value(r, cols["evidence"]) is not None
        else ""
    )
    unit_cell = cell_name(r, unit_col)
    if raw_unit is None or normalize_text(raw_unit) == "" or is_total_row(raw_unit):
        if raw_value is not None or raw_item is not None:
            report.add(
                Problem(
                    "row-skipped",
                    f"跳过单位为空或合计的行（第{r + 1}行）",
                    severity="info",
                    file=fname,
                    sheet=sheet.name,
                    cell=unit_cell,
                )
            )
        return None
    m = matcher.match(raw_unit)
    if m.unit is None:
        hint = f"，是不是：{'、'.join(m.suggestions)}？" if m.suggestions else ""
        report.add(
            Problem(
                "unknown-unit",
                f"单位“{shorten(raw_unit)}”不在单位名单中{hint}",
                file=fname,
                sheet=sheet.name,
                cell=unit_cell,
                value=normalize_text(raw_unit),
                expected="、".join(m.suggestions) or "单位名单中的名称或简称",
            )
        )
        return None
    unit = m.unit.name
    item_cell = cell_name(r, cols["item"])
    item = items.match(raw_item) if raw_item is not None else None
    if item is None:
        sug = items.suggest(raw_item)
        report.add(
            Problem(
                "unknown-item",
                f"{unit}：指标“{shorten(raw_item)}”不是来源 {source} 的评分项",
                file=fname,
                sheet=sheet.name,
                cell=item_cell,
                unit=unit,
                value=normalize_text(raw_item),
                expected="、".join(sug) if sug else "本来源评分项的编码或名称",
            )
        )
        return None
    value_cell = cell_name(r, cols["value"])
    if (r, cols["value"]) in sheet.uncached_formulas:
        report.add(
            Problem(
                "formula-no-cache",
                f"{unit} 的 {item.id} 分值是公式但没有计算结果",
                file=fname,
                sheet=sheet.name,
                cell=value_cell,
                unit=unit,
                field=item.id,
                expected="已计算的数值",
            )
        )
        return None
    try:
        value = parse_number(raw_value)
    except CleanError as exc:
        report.add(
            Problem(
                exc.code,
                f"{unit} 的 {item.id} 分值“{shorten(raw_value)}”无法使用",
                file=fname,
                sheet=sheet.name,
                cell=value_cell,
                unit=unit,
                field=item.id,
                value=normalize_text(raw_value),
                expected=exc.expected,
            )
        )
        return None
    if value is None:
        report.add(
            Problem(
                "score-value-missing",
                f"{unit} 的 {item.id} 这一行没有填分值",
                file=fname,
                sheet=sheet.name,
                cell=value_cell,
                unit=unit,
                field=item.id,
                expected="数字",
            )
        )
        return None
    return ScoreRow(source, unit, item.id, value, reason, evidence, CellRef(fname, sheet.name, value_cell))
