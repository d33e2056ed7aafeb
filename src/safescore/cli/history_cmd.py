"""What ``safescore history``, ``safescore annual`` and the history step of ``score`` do.

Plain functions taking a rich Console and returning exit codes (SPEC 6), so the
typer layer in ``cli/app.py`` and ``cli/report_cmd.py`` only parses options. Database trouble is reported
in Chinese and never turns into a traceback; for ``score`` it never changes the
outcome of scoring, whose outputs are already written when history is saved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from safescore import __version__
from safescore.cli.options import EXIT_IO, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from safescore.cli.output import emit_json, error_payload
from safescore.history.db_url import DbUrlError, display_url, resolve_db_url
from safescore.history.store import HistoryError, HistoryStore, RunInfo
from safescore.problems import Category, Problem, Report
from safescore.results.annual import annual_result
from safescore.results.model import Result
from safescore.results.periods import normalize_period, period_kind
from safescore.results.previous import with_previous

ANNUAL_FORMATS = ("table", "json", "xlsx", "html", "docx", "bulletin")
NO_HISTORY_HINT = "可用 --db 指定其他数据库，或 --no-history 跳过"


def _fail(console: Console, as_json: bool, exit_code: int, code: str, message: str, heading: str = "") -> int:
    """Print one Chinese error (and the JSON error document under ``--json``); return ``exit_code``."""
    text = f"[bold red]{heading}[/bold red]{message}" if heading else f"[bold red]{message}[/bold red]"
    console.print(text)
    if as_json:
        category: Category = "usage" if exit_code == EXIT_USAGE else "io"
        emit_json(error_payload(exit_code, [Problem(code, message, category=category)]))
    return exit_code


def _where(url: str | None) -> str:
    if url is None:
        return "历史数据库"
    try:
        return display_url(url)
    except Exception:  # an unparsable URL is shown as given, minus nothing: it has no valid password part
        return url


def db_error_text(exc: BaseException, url: str | None) -> str:
    """One Chinese sentence for a database failure (no traceback, no password)."""
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, HistoryError | DbUrlError):
        return str(exc)
    where = _where(url)
    if isinstance(exc, ImportError):
        return f"缺少访问 {where} 的数据库驱动（{exc.name or exc}），请安装它（PostgreSQL：pip install 'psycopg[binary]'）"
    if isinstance(exc, sa_exc.ArgumentError):
        return f"历史数据库地址无效：{where}（应为文件路径或 SQLAlchemy URL，如 postgresql+psycopg://用户@主机/库名）"
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    if isinstance(exc, sa_exc.OperationalError):
        return f"无法连接或写入历史数据库 {where}：{first}"
    if isinstance(exc, OSError):
        return f"无法访问历史数据库 {where}：{exc.strerror or exc}"
    return f"历史数据库 {where} 出错：{first}"


def _url(db: str | None) -> str:
    return resolve_db_url(db, cwd=Path.cwd())


def manifest_for(result: Result, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A manifest for a run scored without ``-o`` (so no manifest.json was written)."""
    return {
        "format": "safescore.manifest/1",
        "tool": {"name": "safescore", "version": __version__},
        "rubric": {"id": result.rubric_id, "version": result.rubric_version, "sha256": result.rubric_sha256},
        "period": result.period,
        "inputs": list(result.inputs),
        "options": options or {},
        "outputs": [],
    }


# -- score --------------------------------------------------------------------------


def previous_for(result: Result, db_flag: str | None, no_history: bool) -> Result | None:
    """The stored result of the period before ``result.period`` (for ▲/▼), or None.

    Never raises and never creates a database: a comparison that cannot be made
    must not stop scoring, and the save step reports what is wrong.
    """
    if no_history or not result.period:
        return None
    try:
        with HistoryStore(_url(db_flag), create=False) as store:
            return store.previous(result.rubric_id, result.period)
    except Exception:
        return None


def store_after_score(
    result: Result,
    manifest: dict[str, Any] | None,
    db_flag: str | None,
    no_history: bool,
    console: Console,
    *,
    quiet: bool = False,
) -> str | None:
    """Save a scored period to history; return the database URL, or None if nothing was saved.

    Says once where it stored ("历史记录已保存到 …") unless ``quiet``. Any
    failure is printed as one red Chinese line and returns None: the score's
    own outputs are written by then and must stand.
    """
    if no_history:
        return None
    if not result.period:
        if not quiet:
            console.print("[yellow]未指定考核期间（--period），本次结果未保存到历史记录。[/yellow]")
        return None
    url: str | None = None
    try:
        url = _url(db_flag)
        with HistoryStore(url) as store:
            store.save(result, manifest if manifest is not None else manifest_for(result))
    except Exception as exc:  # history is secondary to scoring: report, never crash
        console.print(
            f"[bold red]历史记录未保存：{db_error_text(exc, url)}[/bold red]（评分结果不受影响；{NO_HISTORY_HINT}）"
        )
        return None
    if not quiet:
        console.print(f"历史记录已保存到 {_where(url)}")
    return url


# -- history list | show ------------------------------------------------------------


def _status_text(info: RunInfo) -> str:
    return "当前" if info.current else "已替换"


def history_list(db: str | None, rubric_id: str | None, as_json: bool, console: Console) -> int:
    """``safescore history list``: every stored run, current and superseded."""
    url: str | None = None
    try:
        url = _url(db)
        with HistoryStore(url, create=False) as store:
            infos = store.runs(rubric_id)
    except Exception as exc:
        return _fail(console, as_json, EXIT_IO, "history-db-error", db_error_text(exc, url))
    if as_json:
        emit_json({"database": _where(url), "runs": [i.to_dict() for i in infos]})
        return EXIT_OK
    if not infos:
        which = f"评分细则 {rubric_id} 的" if rubric_id else ""
        console.print(f"历史数据库 {_where(url)} 中尚无{which}记录。")
        return EXIT_OK
    table = Table(title=f"历史记录（{_where(url)}）", header_style="bold cyan")
    for col, justify in (
        ("编号", "right"),
        ("评分细则", "left"),
        ("期间", "left"),
        ("保存时间", "left"),
        ("状态", "center"),
        ("单位数", "right"),
        ("细则版本", "left"),
        ("细则 sha256", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for i in infos:
        table.add_row(
            str(i.id),
            i.rubric_id,
            i.period,
            i.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            _status_text(i) if i.current else f"[dim]{_status_text(i)}[/dim]",
            str(i.n_units),
            i.rubric_version or "—",
            (i.rubric_sha256 or "—")[:12],
        )
    console.print(table)
    return EXIT_OK


def _pick_run(infos: list[RunInfo], arg: str, console: Console, as_json: bool) -> RunInfo | None:
    """``#12`` or ``12`` is a run id; a period label means its current run. None: message printed."""
    text = arg.strip()
    if text.startswith("#") and text[1:].isdigit():
        found = [i for i in infos if i.id == int(text[1:])]
    else:
        label = text if period_kind(text) == "month" else normalize_period(text)
        found = [i for i in infos if i.period == label and i.current]
        rubrics = sorted({i.rubric_id for i in found})
        if len(rubrics) > 1:
            message = f"多个评分细则都有期间 {label}，请用 --rubric 指定：{'、'.join(rubrics)}"
            _fail(console, as_json, EXIT_USAGE, "ambiguous-period", message, heading="用法错误：")
            return None
        if not found and text.isdigit():  # not a stored period (a bare 2022 may be either): a run id
            found = [i for i in infos if i.id == int(text)]
    if not found:
        what = "期间" if period_kind(text.lstrip("#")) and not text.startswith("#") else "编号"
        message = f"历史记录中没有{what} {text} 的记录。用 safescore history list 查看全部记录。"
        _fail(console, as_json, EXIT_USAGE, "run-not-found", message)
        return None
    return found[0]


def history_show(
    db: str | None,
    run_or_period: str,
    rubric_id: str | None,
    as_json: bool,
    console: Console,
    lang: str | None = None,
) -> int:
    """``safescore history show RUN|PERIOD``: one stored result's ranking tables (or JSON)."""
    url: str | None = None
    try:
        url = _url(db)
        with HistoryStore(url, create=False) as store:
            infos = store.runs(rubric_id)
            info = _pick_run(infos, run_or_period, console, as_json)
            if info is None:
                return EXIT_USAGE
            result = store.run(info.id)
    except Exception as exc:
        return _fail(console, as_json, EXIT_IO, "history-db-error", db_error_text(exc, url))
    if as_json:
        emit_json({"run": info.to_dict(), "result": result.to_dict()})
        return EXIT_OK
    from safescore.render.terminal import ranking_tables

    console.print(
        f"[bold]{result.rubric_title}[/bold] {info.period}（编号 {info.id}，{_status_text(info)}，"
        f"保存于 {info.created.astimezone():%Y-%m-%d %H:%M}，细则版本 {info.rubric_version or '—'}）"
    )
    ranking_tables(console, result, lang=lang)
    return EXIT_OK


# -- annual ---------------------------------------------------------------------------


def _file_formats(formats: Sequence[str]) -> list[str]:
    out: list[str] = []
    for f in formats:
        for x in ("html", "docx") if f == "bulletin" else (f,):
            if x != "table" and x not in out:
                out.append(x)
    return out


def run_annual(
    rubric_path: Path,
    year: str,
    db: str | None,
    out: Path | None,
    formats: Sequence[str],
    as_json: bool,
    quiet: bool,
    console: Console,
) -> int:
    """``safescore annual RUBRIC --year YYYY``: combine the stored periods, rank, grade and render.

    Exit 1 without writing files when the year has errors (a missing period
    under ``missing: error``); rank change is against the previous year when its
    periods are stored and combine without error.
    """
    from safescore.render.outputs import write_all
    from safescore.render.terminal import problem_report, ranking_tables
    from safescore.rubric.check import check_rubric

    bad = [f for f in formats if f not in ANNUAL_FORMATS]
    if bad:
        message = f"未知的输出格式 {'、'.join(bad)}；可用：{'、'.join(ANNUAL_FORMATS)}"
        return _fail(console, as_json, EXIT_USAGE, "bad-format", message, heading="用法错误：")
    if not re.fullmatch(r"\d{4}", year.strip()):
        message = f"年份应写作四位数字，如 2022，得到“{year}”"
        return _fail(console, as_json, EXIT_USAGE, "bad-period", message, heading="用法错误：")
    year = year.strip()
    report = Report()
    rubric = check_rubric(rubric_path, report)
    if rubric is None or not report.ok:
        if as_json:
            emit_json(error_payload(EXIT_USAGE, report.problems))
        problem_report(console, report.problems, title="规则检查")
        console.print(f"[bold red]规则文件 {rubric_path} 有错误，未进行年度汇总。[/bold red]")
        return EXIT_USAGE
    url: str | None = None
    last_year = f"{int(year) - 1:04d}"
    try:
        url = _url(db)
        with HistoryStore(url, create=False) as store:
            periods = store.periods(rubric.rubric, year, rubric.period)
            before = store.periods(rubric.rubric, last_year, rubric.period)
    except Exception as exc:
        return _fail(console, as_json, EXIT_IO, "history-db-error", db_error_text(exc, url))
    result, problems = annual_result(rubric, periods, year)
    if before:
        previous, previous_problems = annual_result(rubric, before, last_year)
        if not any(p.severity == "error" for p in previous_problems):
            result = with_previous(result, previous)
    if any(p.severity == "error" for p in problems):
        if as_json:
            emit_json(error_payload(EXIT_PROBLEMS, problems))
        problem_report(console, problems, title="年度汇总")
        console.print(f"[bold red]{year} 年度汇总有错误（历史数据库 {_where(url)}），未写出结果。[/bold red]")
        return EXIT_PROBLEMS
    if out is not None:
        options = {"annual": rubric.annual.model_dump(mode="json"), "year": year, "periods": list(periods)}
        try:
            written = write_all(result, out, formats=_file_formats(formats), options=options)
        except OSError as exc:
            message = f"无法写入输出文件夹 {out}：{exc.strerror or exc}"
            return _fail(console, as_json, EXIT_IO, "output-unwritable", message)
        if not quiet and not as_json:
            console.print(f"已写出：{'、'.join(str(out / w) for w in written)}")
    if as_json:
        emit_json(result.to_dict())
    if "table" in formats and not quiet:
        ranking_tables(console, result)
    if problems and not quiet:
        problem_report(console, problems, title="年度汇总")
    return EXIT_OK
