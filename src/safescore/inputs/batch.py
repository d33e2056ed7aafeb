"""Read many files, in a process pool: one task per file, results merged in path order.

Each worker builds the rubric's matchers once (pool initializer), then reads
files independently; a file's problems travel back with its returns, so the
merged report is the same whatever ``jobs`` is.
"""

from __future__ import annotations

import gc
import hashlib
import math
import multiprocessing
import os
import pickle
import selectors
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
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
from safescore.problems import Problem, Report, SafescoreError
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
            if not gc.get_freeze_count():
                # What was made is long-lived: move it to the oldest generation unexamined
                # (freeze + unfreeze), or the first young collection walks all of it (about
                # 1 s for 10,000 returns). Skipped if the program froze objects of its own.
                gc.freeze()
                gc.unfreeze()
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


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


# --- the per-file time limit (SPEC 9: never a hang) -----------------------------------------

_CHUNK_BYTES = 16_384  # paths per chunk message: well under a pipe's buffer, so sends never block
TIMEOUT_ENV = "SAFESCORE_FILE_TIMEOUT"
DEFAULT_FILE_TIMEOUT = 60.0  # seconds; a return is read in milliseconds


def file_timeout_from_env(environ: Mapping[str, str] | None = None) -> float | None:
    """The per-file limit in seconds from ``SAFESCORE_FILE_TIMEOUT`` (default 60; ``0`` = none).

    Anything but a number of seconds is a usage error, so a typo never lifts the limit.
    """
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_FILE_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise SafescoreError(
            Problem(
                "file-timeout-invalid",
                f"环境变量 {TIMEOUT_ENV} 的值 {raw!r} 无效，应为秒数（0 表示不限时）",
                category="usage",
                field=TIMEOUT_ENV,
                value=raw[:100],
                expected="不小于 0 的秒数，如 60",
            )
        )
    return value or None


def resolve_file_timeout(file_timeout: float | str | None) -> float | None:
    """Seconds, or None for no limit: ``"env"`` reads the environment, 0 means none."""
    if file_timeout == "env":
        return file_timeout_from_env()
    if file_timeout is None:
        return None
    value = float(file_timeout)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"file_timeout must be a number of seconds >= 0, not {file_timeout!r}")
    return value or None


def _timed_out(path: Path, limit: float) -> FileRead:
    shown = f"{limit:g}"
    msg = (
        f"读取文件 {path.name} 超过 {shown} 秒仍未完成，已停止读取该文件（其余文件照常读取）；"
        f"请检查该文件，或用环境变量 {TIMEOUT_ENV} 放宽时限"
    )
    problem = Problem("file-timeout", msg, file=str(path), value=shown, expected=f"{shown} 秒内读完")
    return FileRead(str(path), None, problems=[problem])


def _crashed(path: Path, exitcode: int | None) -> FileRead:
    msg = f"读取文件 {path.name} 时读取进程意外退出（退出码 {exitcode}），该文件未读取（其余文件照常读取）"
    problem = Problem("file-crashed", msg, file=str(path), value=str(exitcode), expected="可正常读取的工作簿")
    return FileRead(str(path), None, problems=[problem])


def _serve(conn: Connection, rubric: Rubric, units: list[Unit], period: str | None) -> None:
    """A worker process: read the files of each chunk it is sent, one result message per file."""
    gc.enable()  # forked while the parent had paused it (gc_paused): a worker makes garbage
    _init(rubric, units, period)
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for index, path, role in chunk:
            try:
                msg: tuple[Any, ...] = (index, read_one(Path(path), role), None)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a bug: handed to the caller, as the executor did
                msg = (index, None, exc)
            try:
                conn.send(msg)
            except (TypeError, AttributeError, pickle.PicklingError) as exc:  # an unpicklable exception
                conn.send((index, None, RuntimeError(f"{type(exc).__name__}: {exc}; {msg[2]!r}")))


class _Worker:
    def __init__(self, ctx: Any, init: tuple[Rubric, list[Unit], str | None]):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, *init), daemon=True)
        self.proc.start()
        child.close()
        self.queue: deque[int] = deque()  # task indices sent, in order; the head is being read
        self.since = 0.0  # when the head file started (its chunk arrived or the previous file ended)

    def stop(self, kill: bool) -> None:
        if kill:
            self.proc.kill()
        else:
            with suppress(OSError):
                self.conn.send(None)
        self.proc.join(timeout=None if kill else 5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def _pool_reads(
    tasks: Sequence[tuple[Path, str]],
    init: tuple[Rubric, list[Unit], str | None],
    jobs: int,
    limit: float | None,
) -> Iterator[tuple[int, FileRead]]:
    """(index, FileRead) of every task, as the ``jobs`` workers finish them (any order).

    A worker still on one file after ``limit`` seconds is killed: that file becomes a
    'file-timeout' problem, the rest of its chunk goes back to the queue, and a new
    worker takes its place. A worker that dies does the same with 'file-crashed'.
    """
    ctx = multiprocessing.get_context()
    chunk = max(1, min(64, len(tasks) // (jobs * 8)))
    pending = deque(range(len(tasks)))
    workers = [_Worker(ctx, init) for _ in range(min(jobs, len(tasks)))]
    left = len(tasks)
    # one selector for the whole run: multiprocessing's wait() builds one per call,
    # which cost the main process more than the results themselves
    sel = selectors.DefaultSelector()
    for w in workers:
        sel.register(w.conn, selectors.EVENT_READ, w)

    def feed(w: _Worker) -> None:
        # one chunk ahead, so a worker never waits for its next files
        if len(w.queue) > 1 or not pending:
            return
        sent, size = [pending.popleft()], 0
        while pending and len(sent) < chunk and size < _CHUNK_BYTES:
            size += len(str(tasks[pending[0]][0]))
            sent.append(pending.popleft())
        try:
            w.conn.send([(i, str(tasks[i][0]), tasks[i][1]) for i in sent])
        except OSError:  # it died since it was last heard from: its files go back
            pending.extendleft(reversed(sent))
            if not w.queue:  # nothing of its own to report: just replace it
                feed(respawn(w))
            return  # else its death is read from the pipe and reported for its head file
        if not w.queue:
            w.since = time.monotonic()
        w.queue.extend(sent)

    def respawn(w: _Worker) -> _Worker:
        sel.unregister(w.conn)
        w.stop(kill=True)
        workers[workers.index(w)] = fresh = _Worker(ctx, init)
        sel.register(fresh.conn, selectors.EVENT_READ, fresh)
        return fresh

    def replace(w: _Worker, result: FileRead) -> tuple[int, FileRead]:
        head = w.queue.popleft()
        pending.extendleft(reversed(w.queue))  # the rest of its files go to the next worker
        w.queue.clear()
        feed(respawn(w))
        return head, result

    try:
        while left:
            for w in list(workers):
                feed(w)  # a worker left idle while a killed one's files went back to the queue
            busy = [w for w in workers if w.queue]
            now = time.monotonic()
            wait_for = (
                None if limit is None else max(0.0, min((w.since + limit - now for w in busy), default=0.0))
            )
            ready = {key.data for key, _ in sel.select(wait_for)}
            for w in busy:
                if w in ready:
                    try:
                        index, result, error = w.conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(timeout=5)
                        yield replace(w, _crashed(tasks[w.queue[0]][0], w.proc.exitcode))
                        left -= 1
                        continue
                    if error is not None:
                        raise error
                    assert index == w.queue[0]
                    w.queue.popleft()
                    w.since = time.monotonic()
                    left -= 1
                    feed(w)
                    yield index, result
                elif limit is not None and time.monotonic() - w.since >= limit and not w.conn.poll():
                    # (poll: it may have finished while the caller held on to the last result)
                    yield replace(w, _timed_out(tasks[w.queue[0]][0], limit))
                    left -= 1
    finally:
        sel.close()
        for w in workers:
            w.stop(kill=bool(w.queue) or left > 0)


def read_files(
    tasks: Sequence[tuple[Path, str]],
    rubric: Rubric,
    units: list[Unit],
    period: str | None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    file_timeout: float | str | None = "env",
) -> Iterator[FileRead]:
    """Read ``(path, role)`` tasks, in order, with ``jobs`` worker processes.

    ``file_timeout`` bounds each file read by a worker, in seconds: ``"env"`` takes
    ``SAFESCORE_FILE_TIMEOUT`` (default 60), None or 0 sets no limit. A file still
    being read after it is reported as 'file-timeout' and the batch goes on. Files
    read in this process (``jobs == 1``, or fewer than ``INLINE_BELOW`` files)
    cannot be stopped and have no limit.
    """
    limit = resolve_file_timeout(file_timeout)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or len(tasks) < INLINE_BELOW:
        _init(rubric, units, period)
        for path, role in tasks:
            yield read_one(path, role)
            if progress:
                progress(path)
        return
    done: dict[int, FileRead] = {}
    nxt = 0
    for index, result in _pool_reads(tasks, (rubric, units, period), jobs, limit):
        done[index] = result
        while nxt in done:  # in task order, whatever order the workers finished in
            yield done.pop(nxt)
            if progress:
                progress(tasks[nxt][0])
            nxt += 1
