"""Read many files, in a process pool: one task per file, results merged in path order.

Each worker builds the rubric's matchers once (pool initializer), then reads
files independently; a file's problems travel back with its returns, so the
merged report is the same whatever ``jobs`` is.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from safescore.inputs.form import (
    looks_like_form,
    read_form_workbook,
    template_sheets,
    template_sheets_suffice,
)
from safescore.inputs.match import UnitMatcher
from safescore.inputs.model import InputFile, Record, ScoreRow, UnitReturn
from safescore.inputs.records import find_record_sheets, read_record_sheet, read_records_workbook
from safescore.inputs.scores import looks_like_scores, read_scores_workbook
from safescore.inputs.table import looks_like_table, read_table_workbook
from safescore.inputs.workbook import read_workbook
from safescore.problems import Problem, Report
from safescore.rubric.model import Rubric, Unit

INLINE_BELOW = 8  # fewer files than this are read in-process (a pool costs ~0.1 s to start)

Progress = Callable[[Path], None]


@dataclass
class FileRead:
    """What one file gave: its returns, assessor rows or ledger records, and its problems."""

    path: str
    info: InputFile | None
    returns: list[UnitReturn] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    records: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


_STATE: dict[str, Any] = {}


def _init(rubric: Rubric, units: list[Unit], period: str | None) -> None:
    _STATE.clear()
    _STATE.update(rubric=rubric, matcher=UnitMatcher(units), period=period)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Reading thousands of returns (or building their results) makes millions of
    small objects that all stay alive; every so often the collector walks all of
    them, which took about half of the main process's time. The objects hold no
    reference cycles, so nothing is lost: collection resumes (as it was) afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _no_layout(path: Path, rubric: Rubric, wb: Any, report: Report) -> None:
    if any(looks_like_scores(s) for s in wb.sheets):
        report.add(
            Problem(
                "scores-as-return",
                "这是评分表，请用 --source 名称=文件 指定它的来源（如 --source onsite=评分表.xlsx）",
                file=str(path),
            )
        )
        return
    sample = "、".join(f.label for f in list(rubric.fields.values())[:3])
    report.add(
        Problem(
            "no-matching-sheet",
            "没有找到可识别的工作表：既不是汇总表（单位名称列 + 字段列），也不是填报表（填报值列）",
            file=str(path),
            expected=f"表头含 单位名称 及字段名称（如 {sample}），或 字段编码/指标名称 与 填报值",
        )
    )


def read_one(path: Path, role: str) -> FileRead:
    """Read one file as a return (``role == "return"``), a record list (``role`` is a
    rubric ``records:`` name) or an assessor scoresheet (any other source name)."""
    rubric: Rubric = _STATE["rubric"]
    matcher: UnitMatcher = _STATE["matcher"]
    report = Report()
    # A template return is read by its own sheets only; a ledger may be any sheet, so a
    # rubric with record lists (or a workbook the shortcut does not fit) is read whole.
    select = template_sheets if role == "return" and not rubric.records else None
    wb = read_workbook(path, report, select=select)
    if wb is not None and wb.skipped and not template_sheets_suffice(wb):
        report = Report()
        wb = read_workbook(path, report)
    if wb is None:
        return FileRead(str(path), None, problems=report.problems)
    out = FileRead(str(path), None)
    modified = wb.modified if wb.modified is not None else path.stat().st_mtime
    ledgers = find_record_sheets(wb, rubric) if role == "return" else []
    if ledgers:
        # ledger sheets inside a return are read as records, never as table rows
        wb = replace(wb, sheets=[s for s in wb.sheets if all(s is not sh for _, sh, _ in ledgers)])
    if role in rubric.records:
        out.info = InputFile(str(path), sha256_file(path), role, "records")
        out.records[role] = read_records_workbook(wb, role, rubric.records[role], matcher, report)
    elif role != "return":
        out.info = InputFile(str(path), sha256_file(path), role, "scores")
        out.scores = read_scores_workbook(wb, role, rubric, matcher, report)
    elif not wb.sheets:
        out.info = InputFile(str(path), sha256_file(path), role, "records")
    elif looks_like_form(wb):
        # a form first: its extra sheets (a ledger with a unit column) must not make it a table
        out.info = InputFile(str(path), sha256_file(path), role, "form")
        ret = read_form_workbook(wb, rubric, matcher, _STATE["period"], report)
        out.returns = [ret] if ret is not None else []
    elif any(looks_like_table(s, rubric) for s in wb.sheets):
        out.info = InputFile(str(path), sha256_file(path), role, "table")
        out.returns = read_table_workbook(wb, rubric, matcher, report)
    else:
        out.info = InputFile(str(path), sha256_file(path), role, None)
        _no_layout(path, rubric, wb, report)
    for ret in out.returns:
        if ret.modified is None:
            ret.modified = modified
    # a form's ledger sheet needs no unit column: its rows are the form's unit's
    own = out.returns[0].unit if out.info and out.info.layout == "form" and out.returns else None
    for name, sheet, header in ledgers:
        rl = rubric.records[name]
        rows = read_record_sheet(sheet, header, path, name, rl, matcher, report, unit=own)
        out.records.setdefault(name, []).extend(rows)
    out.problems = report.problems
    return out


def _worker(args: tuple[str, str]) -> FileRead:
    return read_one(Path(args[0]), args[1])


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def read_files(
    tasks: Sequence[tuple[Path, str]],
    rubric: Rubric,
    units: list[Unit],
    period: str | None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Iterator[FileRead]:
    """Read ``(path, role)`` tasks, in order, with ``jobs`` worker processes."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or len(tasks) < INLINE_BELOW:
        _init(rubric, units, period)
        for path, role in tasks:
            yield read_one(path, role)
            if progress:
                progress(path)
        return
    chunk = max(1, min(64, len(tasks) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(rubric, units, period)) as pool:
        for (path, _role), result in zip(
            tasks, pool.map(_worker, [(str(p), r) for p, r in tasks], chunksize=chunk), strict=True
        ):
            yield result
            if progress:
                progress(path)
