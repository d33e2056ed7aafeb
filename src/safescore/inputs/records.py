"""Record lists (台账/清单, SPEC 4.3): hazard and accident ledgers read row by row.

A record list is a sheet whose header carries the columns the rubric maps
(``records: {hazards: {title: 隐患清单, columns: {unit: 责任单位, ...}}}``). It comes
as its own file (``--source hazards=隐患清单.xlsx``) or as a sheet inside a unit's
return. Every row keeps its file, sheet and row so a warning or an overdue hazard
points at the exact ledger line. Bad cells are reported and left empty; the rest
of the row and the sheet are still read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from safescore.inputs.clean import CleanError, clean_value, normalize_label, normalize_text, shorten
from safescore.inputs.header import Header, data_start, find_header
from safescore.inputs.match import UnitMatcher, is_total_row
from safescore.inputs.model import CellRef, Record, Value
from safescore.inputs.workbook import SheetGrid, WorkbookData, cell_name
from safescore.problems import Problem, Report
from safescore.rubric.model import FieldDef, RecordList, Rubric


def column_matcher(rl: RecordList) -> Callable[[str], str | None]:
    """Normalised header text → column key (by title, key or alias)."""
    keys: dict[str, str] = {}
    for key, col in rl.columns.items():
        for text in (col.title, key, *col.aliases):
            keys.setdefault(normalize_label(text), key)
    return keys.get


def _unit_column(header: Header) -> int | None:
    # the rubric's own mapping wins over the generic 单位/单位名称 detection
    return next((c for c, k in header.columns.items() if k == "unit"), header.unit_col)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def record_sheet_header(sheet: SheetGrid, rl: RecordList) -> Header | None:
    """The header of ``sheet`` if, inside a return workbook, it is this record list.

    It is when the sheet is named as the list (``sheet:`` or its title), or when its
    header carries every mapped column (at least two), so an ordinary return sheet
    that happens to share one label is never taken for a ledger.
    """
    named = normalize_label(sheet.name) in {normalize_label(rl.sheet or ""), normalize_label(rl.title)}
    header = find_header(sheet, column_matcher(rl))
    if header is None:
        return None
    wanted = [k for k in rl.columns if k != "unit"]
    found = set(header.columns.values())
    if named or (len(wanted) >= 2 and all(k in found for k in wanted)):
        return header
    return None


def find_record_sheets(wb: WorkbookData, rubric: Rubric) -> list[tuple[str, SheetGrid, Header]]:
    """Sheets of a return workbook that are record lists: (list name, sheet, header)."""
    out: list[tuple[str, SheetGrid, Header]] = []
    for sheet in wb.sheets:
        for name, rl in rubric.records.items():
            header = record_sheet_header(sheet, rl)
            if header is not None:
                out.append((name, sheet, header))
                break
    return out


class _SheetReader:
    """Reads the rows of one record sheet; ``unit`` is the unit of a form return (no unit column)."""

    def __init__(
        self,
        sheet: SheetGrid,
        header: Header,
        path: Path,
        name: str,
        rl: RecordList,
        matcher: UnitMatcher,
        report: Report,
    ):
        self.sheet, self.header, self.fname = sheet, header, str(path)
        self.name, self.rl, self.matcher, self.report = name, rl, matcher, report
        self.defs = {
            k: FieldDef(label=c.title, type=c.type, choices=c.choices)
            for k, c in rl.columns.items()
            if k != "unit"
        }
        self.data_cols = [(c, k) for c, k in header.columns.items() if k != "unit"]

    def problem(self, code: str, msg: str, r: int, c: int, **kw: object) -> None:
        self.report.add(
            Problem(code, msg, file=self.fname, sheet=self.sheet.name, cell=cell_name(r, c), **kw)  # type: ignore[arg-type]
        )

    def unit_of(self, r: int, ucol: int) -> str | None:
        raw = self.sheet.merged_value(r, ucol)
        text = "" if raw is None else normalize_text(raw)
        if text == "" or is_total_row(raw):
            label = "合计行" if text else "责任单位为空的行"
            self.problem(
                "row-skipped", f"{self.rl.title}：跳过{label}（第{r + 1}行）", r, ucol, severity="info"
            )
            return None
        m = self.matcher.match(raw)
        if m.unit is None:
            hint = f"，是不是：{'、'.join(m.suggestions)}？" if m.suggestions else ""
            self.problem(
                "unknown-unit",
                f"{self.rl.title}第{r + 1}行的单位“{shorten(text)}”不在单位名单中{hint}",
                r,
                ucol,
                value=text,
                expected="、".join(m.suggestions) or "单位名单中的名称或简称",
            )
            return None
        return m.unit.name

    def value(self, r: int, c: int, key: str, unit: str) -> Value:
        fd = self.defs[key]
        raw = self.sheet.merged_value(r, c)
        if (r, c) in self.sheet.uncached_formulas:
            self.problem(
                "formula-no-cache",
                f"{self.rl.title}第{r + 1}行的“{fd.label}”是公式但没有计算结果",
                r,
                c,
                unit=unit,
                field=f"{self.name}.{key}",
                expected="已计算的值（在 Excel/WPS 中保存一次）",
            )
            return None
        try:
            return clean_value(raw, fd).value
        except CleanError as exc:
            self.problem(
                exc.code,
                f"{self.rl.title}第{r + 1}行的“{fd.label}”填写为“{shorten(raw)}”，无法使用",
                r,
                c,
                unit=unit,
                field=f"{self.name}.{key}",
                value=normalize_text(raw),
                expected=exc.expected,
            )
            return None

    def read(self, unit: str | None = None) -> list[Record]:
        ucol = _unit_column(self.header)
        first = min(self.header.columns, default=0)
        if ucol is None and unit is None:
            title = self.rl.columns["unit"].title if "unit" in self.rl.columns else "单位名称"
            self.problem(
                "missing-column",
                f"{self.rl.title}没有责任单位列，无法判断各行属于哪个单位",
                self.header.row,
                first,
                expected=title,
            )
            return []
        self.missing_columns(unit is not None)
        out: list[Record] = []
        hidden = 0
        for r in range(data_start(self.sheet, self.header), self.sheet.n_rows):
            if all(_blank(self.sheet.merged_value(r, c)) for c, _ in self.data_cols):
                continue  # blank lines and signature lines under the ledger
            who = self.unit_of(r, ucol) if ucol is not None else unit
            if who is None:
                continue
            hidden += r in self.sheet.hidden_rows
            values: dict[str, Value] = dict.fromkeys(self.defs)
            for c, key in self.data_cols:
                values[key] = self.value(r, c, key, who)
            pos = CellRef(self.fname, self.sheet.name, cell_name(r, ucol if ucol is not None else first))
            out.append(Record(self.name, who, values, pos, r + 1))
        if hidden:
            self.problem(
                "hidden-row",
                f"{self.rl.title}中有{hidden}条记录所在行被隐藏，仍按台账记录统计",
                self.header.row,
                first,
                severity="warning",
            )
        return out

    def missing_columns(self, has_unit: bool) -> None:
        present = set(self.header.columns.values())
        for key, col in self.rl.columns.items():
            if key in present or (key == "unit" and (has_unit or self.header.unit_col is not None)):
                continue
            self.problem(
                "missing-column",
                f"工作表“{self.sheet.name}”缺少{self.rl.title}的“{col.title}”列，该列按空白计",
                self.header.row,
                0,
                field=f"{self.name}.{key}",
                expected=col.title,
            )


def read_record_sheet(
    sheet: SheetGrid,
    header: Header,
    path: Path,
    name: str,
    rl: RecordList,
    matcher: UnitMatcher,
    report: Report,
    unit: str | None = None,
) -> list[Record]:
    """Every data row of one record sheet; ``unit`` is used when the sheet has no unit column."""
    return _SheetReader(sheet, header, path, name, rl, matcher, report).read(unit)


def read_records_workbook(
    wb: WorkbookData, name: str, rl: RecordList, matcher: UnitMatcher, report: Report
) -> list[Record]:
    """A record-list file: the sheet named by ``sheet:``, else every sheet whose header fits."""
    sheets = [s for s in wb.sheets if rl.sheet and s.name.strip() == rl.sheet.strip()] or wb.sheets
    out: list[Record] = []
    found = False
    for sheet in sheets:
        header = find_header(sheet, column_matcher(rl))
        if header is None or (header.unit_col is None and "unit" not in header.columns.values()):
            continue
        found = True
        out.extend(read_record_sheet(sheet, header, wb.path, name, rl, matcher, report))
    if not found:
        report.add(
            Problem(
                "no-matching-sheet",
                f"没有找到{rl.title}：需要一张表头含责任单位及台账各列的工作表",
                file=str(wb.path),
                expected="、".join(c.title for c in rl.columns.values()),
            )
        )
    return out
