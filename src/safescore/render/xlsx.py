"""``results.xlsx``: ranking, item scores, deductions, problem list, validation, about (SPEC 5, 9).

What each sheet holds is decided here; :mod:`._xlsx_sheet` writes the cells (text from
returns always as text, never as a formula) and sizes the columns. Timestamps come from
SOURCE_DATE_EPOCH when set, so equal results give equal bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill

from safescore import __version__
from safescore.engine.reasons import fmt
from safescore.problems import ROW_COLUMNS, SEVERITY_LABEL, Problem, Report
from safescore.render import _xlsx_style as xs
from safescore.render._xlsx_save import workbook_bytes
from safescore.render._xlsx_sheet import Sheet, show
from safescore.render._xlsx_sheet import risky as risky  # re-exported: callers test text with it
from safescore.render.colors import named_tint
from safescore.render.files import build_time, write_atomic
from safescore.render.i18n import resolve
from safescore.render.jsonout import created_at
from safescore.results.model import ItemScore, Result, UnitResult

SHEETS = {
    "zh": ("排名", "得分明细", "扣分说明", "问题清单", "数据校验", "说明"),
    "en": ("Ranking", "Item scores", "Deductions", "Problems", "Validation", "About"),
}
RANK_HEAD = ("排名", "单位", "总分", "等次", "较上期")
RANK_TAIL = ("加分", "减分", "一票否决", "标记")
DETAIL_HEAD = ("单位", "分组", "指标编码", "指标名称", "分值", "取值", "评分标准", "得分", "扣分", "扣分原因")
WHERE_HEAD = ("来源", "文件", "工作表", "单元格")
ISSUE_HEAD = (*"序号 单位 分组 指标编码 指标名称 扣分 扣分原因 佐证".split(), *WHERE_HEAD, "整改期限")
CHECK_HEAD = tuple("级别 代码 文件 工作表 单元格 行 列 单位 字段 所见值 应为 说明".split())
assert len(CHECK_HEAD) == len(ROW_COLUMNS)  # one header per Problem row column, same order

# Light tints that stay readable in black-and-white print.
_TINTS = {
    "优秀 好": "C6EFCE",
    "良好 较好": "DDEBF7",
    "合格 一般 基本合格": "FFF2CC",
    "不合格 较差 差": "FFC7CE",
}
GRADE_FILL = {g: PatternFill("solid", fgColor=tint) for names, tint in _TINTS.items() for g in names.split()}
RED = GRADE_FILL["不合格"]


def _grade_fill(grade: str | None) -> PatternFill | None:
    """The cell fill of a grade: the usual names, else the colour a grade is named after (绿色…)."""
    if not grade:
        return None
    tint = named_tint(grade)
    return GRADE_FILL.get(grade) or (PatternFill("solid", fgColor=tint) if tint else None)


SEVERITY_FILL = {"error": RED, "warning": GRADE_FILL["合格"]}
# rank change: places gained or lost since the previous period
CHANGE = {"zh": '"↑"0;"↓"0;"持平"', "en": '"↑"0;"↓"0;"same"'}

# --- the sheets ------------------------------------------------------------------------------


def _marks(sh: Sheet, u: UnitResult) -> str:
    flags = ("bottom" in u.callouts, "点名"), ("top" in u.callouts, "表扬"), (not u.submitted, "未报送")
    marks = [sh.w(word) for on, word in (*flags, (u.self_flag, "自评偏高")) if on]
    return "；".join(marks + [f"{sh.w('预警')}：{w}" for w in u.warnings])


def _veto_text(sh: Sheet, u: UnitResult) -> str:
    text = "；".join(v.title for v in u.vetoes)
    if u.vetoes and u.total != u.total_before_veto:
        text += f"（{sh.w('否决前总分')} {fmt(u.total_before_veto)}）"
    return text


def _ranking(sh: Sheet, result: Result) -> None:
    label = sh.t.period(result.period)
    sh.title(1, f"{result.rubric_title} {label} {sh.w('考评结果排名')}")
    row = 3
    for g in result.groups:
        units = result.group_units(g.id)
        sections = units[0].sections if units else ()  # every unit of a group has the group's sections
        sh.title(row, f"{g.title}（{g.size}个单位）" if sh.lang == "zh" else f"{g.title} ({g.size})", xs.BOLD)
        heads = [*RANK_HEAD, *(f"{s.title}（{fmt(s.points)}）" for s in sections), *RANK_TAIL]
        sh.header(row + 1, heads)
        row += 2
        for u in units:
            scores = {s.id: s.score for s in u.sections}
            # a number when comparable; 新 for a unit not ranked in the previous stored period
            change: int | str | None = None if u.previous_rank is None else u.previous_rank - u.rank
            if change is None and result.previous_period is not None:
                change = sh.w("新")
            cells = [u.rank, u.unit, u.total, u.grade or "—", change, *(scores.get(s.id) for s in sections)]
            cells += [u.bonus, u.penalty, _veto_text(sh, u), _marks(sh, u)]
            fills = {
                4: RED if u.vetoes else _grade_fill(u.grade),
                len(cells) - 1: RED if u.vetoes else None,
            }
            fills[len(cells)] = RED if "bottom" in u.callouts else None
            for col, v in enumerate(cells, start=1):
                centre = xs.CENTER if col in (1, 4, 5) else None
                sh.put(
                    row,
                    col,
                    v,
                    fill=fills.get(col),
                    align=centre,
                    number_format=CHANGE[sh.t.lang] if col == 5 else None,
                )
            row += 1
        row += 1
    # the blocks differ in their section columns, so only the title row and the unit column freeze
    sh.finish(freeze="C2", title_rows="1:1")


def _item_columns(result: Result) -> list[tuple[str, str]]:
    """(id, title) of every item, section by section, bonus and penalty last."""
    sections: list[str] = []
    seen: dict[str, tuple[str, str]] = {}
    for u in result.units:
        sections += [s.id for s in u.sections if s.id not in sections]
        for it in u.items:
            seen.setdefault(it.id, (it.section, it.title))
    order = {sid: i for i, sid in enumerate([*sections, "bonus", "penalty"])}
    first = {iid: i for i, iid in enumerate(seen)}
    ids = sorted(seen, key=lambda iid: (order.get(seen[iid][0], len(order)), first[iid]))
    return [(iid, seen[iid][1]) for iid in ids]


def _matrix(sh: Sheet, result: Result) -> None:
    items = _item_columns(result)
    sh.header(1, ("", "", ""))
    sh.header(2, ("单位", "分组", "总分"))
    for col, (iid, title) in enumerate(items, start=4):
        sh.put(1, col, iid, font=xs.BOLD, fill=xs.HEADER_FILL, align=xs.CENTER)
        # titles wrap in the header: the column is as wide as its id and numbers
        sh.put(2, col, title, font=xs.BOLD, fill=xs.HEADER_FILL, align=xs.CENTER, measure=False)
        sh.need[col] = max(sh.need.get(col, 0), 10)
    col_of = {iid: col for col, (iid, _) in enumerate(items, start=4)}
    row = 3
    for g in result.groups:
        for u in result.group_units(g.id):
            sh.put(row, 1, u.unit)
            sh.put(row, 2, g.title)
            sh.put(row, 3, u.total, font=xs.BOLD)
            for it in u.items:
                sh.put(row, col_of[it.id], it.score)
            row += 1
    sh.finish(freeze="D3", title_rows="1:2", filter_row=2, title_cols="A:C")


def deductions(result: Result) -> Iterator[tuple[UnitResult, str, ItemScore, Decimal]]:
    """(unit, group title, item, points lost) for every item that cost points or was not scored normally.

    Penalty items (减分) count too: their score is the points taken off the total.
    Units come in ranking order per group, items in rubric order.
    """
    for g in result.groups:
        for u in result.group_units(g.id):
            for it in u.items:
                lost = it.score if it.section == "penalty" else it.lost
                if lost > 0 or it.status != "ok":
                    yield u, g.title, it, lost


def _value(it: ItemScore) -> str:
    """The value(s) as typed in the return, labelled when an item reads several fields."""
    if len(it.inputs) > 1:
        return "；".join(f"{i.label}：{show(i.raw) or '空'}" for i in it.inputs)
    if it.inputs:
        return show(it.inputs[0].raw)
    return show(it.value)


def _where(sh: Sheet, it: ItemScore) -> list[Any]:
    src = it.source
    return [sh.w("单位填报") if src.name == "return" else src.name, src.file, src.sheet, src.cell]


def _explained(sh: Sheet, result: Result) -> None:
    sh.header(1, (*DETAIL_HEAD, *WHERE_HEAD, "佐证"))
    for row, (u, group, it, lost) in enumerate(deductions(result), start=2):
        penalty = it.section == "penalty"
        values = [u.unit, group, it.id, it.title, it.points, _value(it), it.basis or it.rule]
        values += [None if penalty else it.score, lost, it.reason, *_where(sh, it), "\n".join(it.evidence)]
        for col, v in enumerate(values, start=1):
            sh.put(row, col, v)
    sh.finish(freeze="C2", title_rows="1:1", filter_row=1)


def _issues(sh: Sheet, result: Result) -> None:
    sh.header(1, ISSUE_HEAD)
    rows = [(u, g, it, lost) for u, g, it, lost in deductions(result) if lost > 0]
    for n, (u, group, it, lost) in enumerate(rows, start=1):
        values = [n, u.unit, group, it.id, it.title, lost, it.reason, "\n".join(it.evidence), *_where(sh, it)]
        for col, v in enumerate(values, start=1):
            sh.put(n + 1, col, v, align=xs.CENTER if col == 1 else None)
        # left blank for the office; a date typed here shows as a date
        sh.put(n + 1, len(values) + 1, None, fill=xs.INPUT_FILL, number_format="yyyy-mm-dd")
    sh.need[len(ISSUE_HEAD)] = 12
    sh.finish(freeze="C2", title_rows="1:1", filter_row=1)


def _validation(sh: Sheet, result: Result) -> None:
    _problem_rows(sh, result.problems)


def _problem_rows(sh: Sheet, problems: Sequence[Problem]) -> None:
    """数据校验: one row per problem (SPEC 4.6), errors first."""
    sh.header(1, CHECK_HEAD)
    order = {"error": 0, "warning": 1, "info": 2}
    rows = sorted(Report(list(problems)).to_rows(), key=lambda r: order.get(r["severity"], 3))
    for row, data in enumerate(rows, start=2):
        sev = data["severity"]
        for col, key in enumerate(ROW_COLUMNS, start=1):
            v = data[key]
            if key == "severity":
                v = SEVERITY_LABEL.get(sev, sev) if sh.lang == "zh" else sev
            sh.put(row, col, v, fill=SEVERITY_FILL.get(sev) if key == "severity" else None)
    sh.finish(freeze="A2", title_rows="1:1", filter_row=1)


def _about(sh: Sheet, result: Result, manifest: dict[str, Any] | None) -> None:
    sh.header(1, ("项目", "内容"))
    pairs: list[tuple[str, Any]] = [
        ("考评细则", result.rubric_title), ("细则编号", result.rubric_id), ("版本", result.rubric_version),
        ("细则SHA-256", result.rubric_sha256), ("考评期", result.period), ("期别", sh.t.period(result.period)),
        ("小数位数", result.decimals), ("生成时间", created_at()), ("工具版本", f"safescore {__version__}"),
        ("参评单位", len(result.units)), ("未报送", "、".join(result.not_submitted) or "—"),
    ]  # fmt: skip
    for row, (key, value) in enumerate(pairs, start=2):
        sh.put(row, 1, sh.w(key), font=xs.BOLD)
        # left-aligned like the text around it, numbers included
        sh.put(row, 2, value if value is not None else "—", align=Alignment(horizontal="left", indent=1))
    row = len(pairs) + 3
    inputs = (manifest or {}).get("inputs", result.inputs)
    sh.put(row, 1, sh.w("输入文件"), font=xs.BOLD, fill=xs.HEADER_FILL)
    sh.header(row, ("文件", "SHA-256", "用途", "版式"), start=2)
    for offset, entry in enumerate(inputs, start=1):
        sh.put(row + offset, 1, None)
        for col, key in enumerate(("path", "sha256", "role", "layout"), start=2):
            sh.put(row + offset, col, entry.get(key))
    row += len(inputs) + 2
    sh.put(row, 1, sh.w("等次颜色"), font=xs.BOLD, fill=xs.HEADER_FILL)
    legend = [(g, GRADE_FILL[g]) for g in ("优秀", "良好", "合格", "不合格")] + [(sh.w("一票否决"), RED)]
    for offset, (text, fill) in enumerate(legend, start=1):
        sh.put(row + offset, 1, text, fill=fill, align=xs.CENTER)
    sh.finish(freeze="A2", title_rows="1:1")


def results_workbook(
    result: Result, *, manifest: dict[str, Any] | None = None, lang: str | None = "zh"
) -> Workbook:
    """The whole ``results.xlsx`` as an openpyxl workbook (not yet saved); ``lang`` None: the
    current language."""
    lang = resolve(lang)
    names = SHEETS[lang]
    wb = Workbook()
    wb.remove(wb.active)
    builders = (_ranking, _matrix, _explained, _issues, _validation)
    for name, build in zip(names, builders, strict=False):
        build(Sheet(wb.create_sheet(name), result.decimals, lang), result)
    _about(Sheet(wb.create_sheet(names[-1]), result.decimals, lang), result, manifest)
    wb.properties.creator = "safescore"
    wb.properties.title = f"{result.rubric_title} {result.period or ''}".strip()
    return wb


def write_results_xlsx(
    result: Result, path: Path, *, manifest: dict[str, Any] | None = None, lang: str | None = "zh"
) -> None:
    """Write ``results.xlsx`` atomically; byte-identical for equal results under SOURCE_DATE_EPOCH.

    ``manifest`` (as written to manifest.json) supplies the input list of the 说明
    sheet; without it the result's own input list is used.
    """
    wb = results_workbook(result, manifest=manifest, lang=lang)
    write_atomic(Path(path), workbook_bytes(wb, build_time()))


def write_validation_xlsx(problems: Sequence[Problem], path: Path, *, lang: str | None = "zh") -> None:
    """Write ``validation.xlsx`` (SPEC 4.6) atomically: the 数据校验 sheet of ``results.xlsx`` on
    its own, one row per problem (file, sheet, cell, unit, field, value seen, expected, severity),
    errors first; byte-identical for equal problems under SOURCE_DATE_EPOCH."""
    lang = resolve(lang)
    wb = Workbook()
    wb.remove(wb.active)
    _problem_rows(Sheet(wb.create_sheet(SHEETS[lang][4]), 0, lang), problems)
    wb.properties.creator = "safescore"
    wb.properties.title = SHEETS[lang][4]
    write_atomic(Path(path), workbook_bytes(wb, build_time()))
