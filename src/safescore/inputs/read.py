"""Read every input of a run: returns, assessor scoresheets, targets tables.

A bad file never stops the others: each problem is added to the report with
its file (and sheet and cell where it applies), and reading goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from safescore.inputs.clean import CleanError, normalize_label, parse_number
from safescore.inputs.header import data_start, find_header
from safescore.inputs.match import UnitMatcher
from safescore.inputs.model import InputFile, Inputs, UnitReturn
from safescore.inputs.scores import looks_like_scores, read_scores_workbook
from safescore.inputs.table import looks_like_table, read_table_workbook
from safescore.inputs.workbook import WorkbookData, cell_name, iter_input_files, read_workbook
from safescore.problems import Problem, Report
from safescore.rubric.model import Rubric, Unit

FORM_MARKERS = frozenset(normalize_label(t) for t in ("填报值", "填报数值", "本期数值"))

Progress = Callable[[Path], None]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_form(wb: WorkbookData) -> bool:
    for sheet in wb.sheets:
        h = find_header(sheet, lambda k: k if k in FORM_MARKERS else None)
        if h is not None:
            return True
    return False


def read_returns(
    rubric: Rubric,
    paths: Sequence[Path],
    units: list[Unit],
    report: Report,
    *,
    latest: bool = False,
    progress: Progress | None = None,
) -> tuple[dict[str, UnitReturn], list[InputFile]]:
    """Units' own returns from files and folders (table layout)."""
    matcher = UnitMatcher(units)
    files: list[InputFile] = []
    returns: dict[str, UnitReturn] = {}
    for path in iter_input_files(list(paths), report):
        if progress:
            progress(path)
        wb = read_workbook(path, report)
        if wb is None:
            continue
        files.append(InputFile(str(path), _sha256(path), "return", "table"))
        if not any(looks_like_table(s, rubric) for s in wb.sheets):
            if _is_form(wb):
                report.add(
                    Problem(
                        "layout-not-supported",
                        "这是逐项填报的表单格式（form）回执，本版本尚不能读取，请使用汇总表格式",
                        file=str(path),
                        expected="一行一个单位的汇总表",
                    )
                )
            elif any(looks_like_scores(s) for s in wb.sheets):
                report.add(
                    Problem(
                        "scores-as-return",
                        "这是评分表，请用 --source 名称=文件 指定它的来源（如 --source onsite=评分表.xlsx）",
                        file=str(path),
                    )
                )
            else:
                report.add(
                    Problem(
                        "no-matching-sheet",
                        "没有找到含单位名称列和考核字段列的工作表",
                        file=str(path),
                        expected="表头含 单位名称 及字段名称（如 "
                        + "、".join(f.label for f in list(rubric.fields.values())[:3])
                        + "）",
                    )
                )
            continue
        modified = wb.modified if wb.modified is not None else path.stat().st_mtime
        for ret in read_table_workbook(wb, rubric, matcher, report):
            ret.modified = modified
            prev = returns.get(ret.unit)
            if prev is None:
                returns[ret.unit] = ret
                continue
            here, there = str(ret.pos), str(prev.pos)
            if latest:
                keep, drop = (ret, prev) if (ret.modified or 0) >= (prev.modified or 0) else (prev, ret)
                returns[ret.unit] = keep
                report.add(
                    Problem(
                        "duplicate-return-resolved",
                        f"{ret.unit} 有两份回执，按 --latest 采用较新的 {keep.pos}，舍弃 {drop.pos}",
                        severity="info",
                        unit=ret.unit,
                        file=keep.pos.file if keep.pos else None,
                    )
                )
            else:
                report.add(
                    Problem(
                        "duplicate-return",
                        f"{ret.unit} 有两份回执（{there} 与 {here}），只采用第一份；如需采用最新的一份请加 --latest",
                        file=ret.pos.file if ret.pos else None,
                        sheet=ret.pos.sheet if ret.pos else None,
                        cell=ret.pos.cell if ret.pos else None,
                        unit=ret.unit,
                    )
                )
    return returns, files


def resolve_targets(
    rubric: Rubric, units: list[Unit], report: Report, files: list[InputFile]
) -> dict[str, dict[str, Decimal]]:
    """Per-unit target values: inline values, then the target table, then the default."""
    out: dict[str, dict[str, Decimal]] = {}
    matcher = UnitMatcher(units)
    base = Path(rubric.path).parent if rubric.path else Path(".")
    for name, t in rubric.targets.items():
        table_vals: dict[str, Decimal] = {}
        if t.table:
            table_vals = _read_target_table(base / t.table, t.column or t.title, name, matcher, report, files)
        vals: dict[str, Decimal] = {}
        missing: list[str] = []
        for u in units:
            v = t.values.get(u.name, table_vals.get(u.name, t.default))
            if v is None:
                missing.append(u.name)
            else:
                vals[u.name] = v
        if missing:
            report.add(
                Problem(
                    "target-missing",
                    f"目标值“{t.title}”缺少这些单位的值：{'、'.join(missing[:10])}",
                    category="rubric",
                    file=rubric.path,
                    field=name,
                    expected="在 values、目标值表或 default 中给出",
                )
            )
        out[name] = vals
    return out


def _read_target_table(
    path: Path, column: str, name: str, matcher: UnitMatcher, report: Report, files: list[InputFile]
) -> dict[str, Decimal]:
    wb = read_workbook(path, report)
    if wb is None:
        return {}
    files.append(InputFile(str(path), _sha256(path), "targets", "table"))
    key = normalize_label(column)
    for sheet in wb.sheets:
        h = find_header(sheet, lambda k: "target" if k == key else None)
        if h is None or h.unit_col is None:
            continue
        col = next(c for c, k in h.columns.items() if k == "target")
        vals: dict[str, Decimal] = {}
        for r in range(data_start(sheet, h), sheet.n_rows):
            raw = sheet.merged_value(r, h.unit_col)
            if raw is None or str(raw).strip() == "":
                continue
            m = matcher.match(raw)
            if m.unit is None:
                report.add(
                    Problem(
                        "unknown-unit",
                        f"目标值表中的单位“{raw}”不在单位名单中",
                        file=str(path),
                        sheet=sheet.name,
                        cell=cell_name(r, h.unit_col),
                        value=str(raw),
                        expected="、".join(m.suggestions) or None,
                    )
                )
                continue
            try:
                v = parse_number(sheet.value(r, col))
            except CleanError as exc:
                report.add(
                    Problem(
                        exc.code,
                        f"目标值表中 {m.unit.name} 的“{column}”无法使用",
                        file=str(path),
                        sheet=sheet.name,
                        cell=cell_name(r, col),
                        unit=m.unit.name,
                        expected=exc.expected,
                    )
                )
                continue
            if v is not None:
                vals[m.unit.name] = v
        return vals
    report.add(
        Problem(
            "missing-column", f"目标值表中没有“{column}”列（目标值 {name}）", file=str(path), expected=column
        )
    )
    return {}


def read_inputs(
    rubric: Rubric,
    paths: Sequence[str | Path],
    sources: Mapping[str, Sequence[str | Path]] | None = None,
    *,
    units: list[Unit] | None = None,
    latest: bool = False,
    progress: Progress | None = None,
) -> Inputs:
    """Read returns (``paths``) and assessor scoresheets (``sources``: name → files).

    Never raises for bad data; see ``Inputs.report``.

    >>> inputs = read_inputs(rubric, ["examples/gangcheng/data/returns-2022Q1.xlsx"],
    ...                      {"onsite": ["examples/gangcheng/data/onsite-2022Q1.xlsx"]})  # doctest: +SKIP
    """
    report = Report()
    registry = list(units if units is not None else rubric.units)
    returns, files = read_returns(
        rubric, [Path(p) for p in paths], registry, report, latest=latest, progress=progress
    )
    inputs = Inputs(units=registry, returns=returns, files=files, report=report)
    matcher = UnitMatcher(registry)
    for name, spaths in (sources or {}).items():
        for path in iter_input_files([Path(p) for p in spaths], report):
            if progress:
                progress(path)
            wb = read_workbook(path, report)
            if wb is None:
                continue
            files.append(InputFile(str(path), _sha256(path), name, "scores"))
            inputs.scores.setdefault(name, []).extend(read_scores_workbook(wb, name, rubric, matcher, report))
    inputs.targets = resolve_targets(rubric, registry, report, files)
    return inputs
