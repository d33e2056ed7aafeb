"""Read every input of a run: returns, assessor scoresheets, record lists, targets tables.

A bad file never stops the others: each problem is added to the report with
its file (and sheet and cell where it applies), and reading goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from safescore.inputs.batch import (
    FileRead,
    Progress,
    gc_paused,
    read_files,
    resolve_file_timeout,
    sha256_file,
)
from safescore.inputs.clean import (
    CleanError,
    normalize_label,
    normalize_text,
    parse_number,
    parse_percent,
    shorten,
)
from safescore.inputs.header import data_start, find_header
from safescore.inputs.match import UnitMatcher, is_total_row
from safescore.inputs.model import InputFile, Inputs, UnitReturn
from safescore.inputs.workbook import cell_name, iter_input_files, read_workbook
from safescore.problems import Problem, Report
from safescore.rubric.model import Rubric, Unit


def merge_returns(reads: list[FileRead], report: Report, *, latest: bool) -> dict[str, UnitReturn]:
    """One return per unit: a second one is an error, or with ``latest`` the newer file wins."""
    returns: dict[str, UnitReturn] = {}
    for fr in reads:
        for ret in fr.returns:
            prev = returns.get(ret.unit)
            if prev is None:
                returns[ret.unit] = ret
                continue
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
                        f"{ret.unit} 有两份回执（{prev.pos} 与 {ret.pos}），只采用第一份；如需采用最新的一份请加 --latest",
                        file=ret.pos.file if ret.pos else None,
                        sheet=ret.pos.sheet if ret.pos else None,
                        cell=ret.pos.cell if ret.pos else None,
                        unit=ret.unit,
                    )
                )
    return returns


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
            # the column is named by `column`, else headed by the target's name or title (SPEC 4.2)
            heads = [t.column] if t.column else [name, t.title]
            table_vals = _read_target_table(base / t.table, heads, name, matcher, report, files)
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
    path: Path, heads: list[str], name: str, matcher: UnitMatcher, report: Report, files: list[InputFile]
) -> dict[str, Decimal]:
    wb = read_workbook(path, report)
    if wb is None:
        return {}
    files.append(InputFile(str(path), sha256_file(path), "targets", "table"))
    keys = {normalize_label(h) for h in heads}
    column = heads[-1]
    for sheet in wb.sheets:
        h = find_header(sheet, lambda k: "target" if k in keys else None)
        if h is None or h.unit_col is None:
            continue
        col = next(c for c, k in h.columns.items() if k == "target")
        vals: dict[str, Decimal] = {}
        for r in range(data_start(sheet, h), sheet.n_rows):
            raw = sheet.merged_value(r, h.unit_col)
            if raw is None or normalize_text(raw) == "" or is_total_row(raw):
                continue
            m = matcher.match(raw)
            if m.unit is None:
                hint = f"，是不是：{'、'.join(m.suggestions)}？" if m.suggestions else ""
                report.add(
                    Problem(
                        "unknown-unit",
                        f"目标值表中的单位“{shorten(raw)}”不在单位名单中{hint}",
                        file=str(path),
                        sheet=sheet.name,
                        cell=cell_name(r, h.unit_col),
                        value=normalize_text(raw),
                        expected="、".join(m.suggestions) or None,
                    )
                )
                continue
            cell = sheet.value(r, col)
            try:
                # a rate target is often typed as "90%": that is 0.9, like a percent field
                is_pct = isinstance(cell, str) and normalize_text(cell).endswith("%")
                v = parse_percent(cell) if is_pct else parse_number(cell)
            except CleanError as exc:
                report.add(
                    Problem(
                        exc.code,
                        f"目标值表中 {m.unit.name} 的“{column}”填写为“{shorten(cell)}”，无法使用",
                        file=str(path),
                        sheet=sheet.name,
                        cell=cell_name(r, col),
                        unit=m.unit.name,
                        value=normalize_text(cell),
                        expected=exc.expected,
                    )
                )
                continue
            if v is not None:
                vals[m.unit.name] = v
        return vals
    report.add(
        Problem(
            "missing-column",
            f"目标值表中没有“{column}”列（目标值 {name}）",
            file=str(path),
            expected="或".join(dict.fromkeys(heads)),
        )
    )
    return {}


def read_inputs(
    rubric: Rubric,
    paths: Sequence[str | Path],
    sources: Mapping[str, Sequence[str | Path]] | None = None,
    *,
    units: list[Unit] | None = None,
    period: str | None = None,
    latest: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    file_timeout: float | str | None = "env",
) -> Inputs:
    """Read returns (``paths``: table or form layout, files or folders), assessor
    scoresheets and record lists (``sources``: name → files; a name declared under the
    rubric's ``records:`` is read as that ledger), ``jobs`` files at a time. Ledger
    sheets inside returns are found by their sheet name or columns.

    Never raises for bad data; see ``Inputs.report``. ``period`` lets form returns
    made for another period be refused. ``file_timeout`` limits the seconds one file
    may take in a worker process (``"env"``: ``SAFESCORE_FILE_TIMEOUT``, default 60;
    None or 0: no limit); a file over it is a 'file-timeout' error and the rest are read.
    A bad ``SAFESCORE_FILE_TIMEOUT`` raises :class:`~safescore.problems.SafescoreError`.

    >>> inputs = read_inputs(rubric, ["examples/gangcheng/data/returns-2022Q1.xlsx"],
    ...                      {"onsite": ["examples/gangcheng/data/onsite-2022Q1.xlsx"]})  # doctest: +SKIP
    """
    limit = resolve_file_timeout(file_timeout)  # before any file: a bad setting is a usage error
    with gc_paused():
        return _read_inputs(rubric, paths, sources, units, period, latest, jobs, progress, limit)


def _read_inputs(
    rubric: Rubric,
    paths: Sequence[str | Path],
    sources: Mapping[str, Sequence[str | Path]] | None,
    units: list[Unit] | None,
    period: str | None,
    latest: bool,
    jobs: int | None,
    progress: Progress | None,
    limit: float | None,
) -> Inputs:
    report = Report()
    registry = list(units if units is not None else rubric.units)
    labelled: list[tuple[Path, str]] = []
    for name, spaths in (sources or {}).items():
        labelled += [(p, name) for p in iter_input_files([Path(p) for p in spaths], report)]
    # a folder INPUT may hold the scoresheets named by --source: those are read once, as their source
    claimed = {p.resolve() for p, _ in labelled}
    returns_in = iter_input_files([Path(p) for p in paths], report)
    tasks = [(p, "return") for p in returns_in if p.resolve() not in claimed] + labelled
    reads = list(
        read_files(tasks, rubric, registry, period, jobs=jobs, progress=progress, file_timeout=limit)
    )
    supplied = {name for fr in reads for name in fr.records}
    # a return need not carry a column its ledger supplies (排查隐患数 counted from 隐患清单)
    from_ledger = {f for f, d in rubric.derive.items() if d.records in supplied}
    files: list[InputFile] = []
    for fr in reads:
        report.extend(p for p in fr.problems if not (p.code == "missing-column" and p.field in from_ledger))
        if fr.info is not None:
            files.append(fr.info)
    returns = merge_returns(
        [fr for fr, (_, role) in zip(reads, tasks, strict=True) if role == "return"], report, latest=latest
    )
    inputs = Inputs(units=registry, returns=returns, files=files, report=report, period=period)
    for fr, (_, role) in zip(reads, tasks, strict=True):
        for name, rows in fr.records.items():  # a ledger that was read counts as supplied, rows or not
            inputs.records.setdefault(name, []).extend(rows)
        if role != "return" and role not in rubric.records:
            inputs.scores.setdefault(role, []).extend(fr.scores)
    inputs.targets = resolve_targets(rubric, registry, report, files)
    return inputs
