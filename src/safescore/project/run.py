"""``safescore run``: the whole batch the project config describes, all or nothing, for cron.

Order of work, and why:

1. take the project lock, so two runs (a cron job and an officer at the terminal) never
   interleave their writes;
2. repair what a killed run left behind (``<out>.tmp-<pid>``, ``<out>.old-<pid>``), so a crash
   at any instant is harmless to the *next* run;
3. check the rubric and find this period's inputs (exit 2 / exit 3 before any work);
4. fingerprint rubric + inputs + options; if the output folder already holds exactly that,
   say so and touch nothing (idempotent: cron may fire twice);
5. read, score, render every output into ``<out>.tmp-<pid>`` beside the output folder, fsync;
6. swap folders with two renames; only then advance the 文号 counter and store history.

A failure before step 6 leaves the previous outputs, history and state exactly as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import logging.handlers
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from safescore import __version__
from safescore.project.config import ConfigError, ProjectConfig, ProjectError, load_config
from safescore.project.history_link import store_history, with_previous_period
from safescore.project.lock import (
    LockBusy,
    ProjectLock,
    fsync_tree,
    pause_for_tests,
    repair_leftovers,
    swap_in,
)
from safescore.project.state import ProjectState

log = logging.getLogger("safescore.project")

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3
UNCHANGED = "输入未变化，结果保持不变"
# Test hook: pause (seconds) after rendering, before the swap, so fault tests can kill the
# process at a known point. Unset in production; reading an env var costs nothing.
SLOW_RENDER_ENV = "SAFESCORE_TEST_SLOW_RENDER"


@dataclass
class RunOutcome:
    """What a run did; ``code`` is the exit code (SPEC 6), ``status`` one of
    ``written``, ``unchanged``, ``failed``, ``busy``."""

    code: int
    status: str
    message: str
    period: str | None = None
    out_dir: Path | None = None
    files: list[str] = field(default_factory=list)
    doc_number: str | None = None
    # with [annual] year: the year's other periods ({period, status, exit_code}) and the annual
    other_periods: list[dict[str, Any]] = field(default_factory=list)
    annual_dir: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["out_dir"] = str(self.out_dir) if self.out_dir else None
        d["annual_dir"] = str(self.annual_dir) if self.annual_dir else None
        return {"ok": self.code in (EXIT_OK, EXIT_PROBLEMS), "exit_code": d.pop("code"), **d}


def run_project(
    config_path: Path,
    period: str | None = None,
    *,
    console: Console | None = None,
    quiet: bool = False,
    log: Path | None = None,
    wait: float = 0.0,
    today: dt.date | None = None,
) -> int:
    """Run the project at ``config_path`` for ``period``; return the exit code (0/1/2/3).

    :param period: ``2022Q1`` etc.; default the config's ``[project] period``, else the period
        of the rubric's kind that ended last before ``today``.
    :param log: log file (default ``<project>/logs/safescore.log``).
    :param wait: seconds to wait for a concurrent run to finish instead of giving up at once.

    >>> run_project(Path("/srv/anquan/safescore.toml"), quiet=True)  # doctest: +SKIP
    0
    """
    return execute(
        config_path, period, console=console, quiet=quiet, log_file=log, wait=wait, today=today
    ).code


def execute(
    config_path: Path,
    period: str | None = None,
    *,
    console: Console | None = None,
    quiet: bool = False,
    log_file: Path | None = None,
    wait: float = 0.0,
    today: dt.date | None = None,
) -> RunOutcome:
    """Like :func:`run_project`, returning the full :class:`RunOutcome` (for ``--json``)."""
    console = console or Console()
    try:
        cfg = load_config(Path(config_path))
    except ConfigError as exc:
        console.print(f"配置错误：{exc.message}", style="bold red", markup=False)
        return RunOutcome(EXIT_USAGE, "failed", exc.message)
    handler = _attach_log(log_file or cfg.log_path, console)
    started = time.monotonic()
    try:
        log.info("开始运行：配置 %s，safescore %s，进程 %d", cfg.path, __version__, os.getpid())
        with ProjectLock(cfg.state_dir / "run.lock", wait=wait):
            outcome = _run_locked(cfg, period, today or dt.date.today(), console, quiet)
    except LockBusy as exc:
        log.error("%s", exc.message)
        console.print(exc.message, style="bold red", markup=False)
        outcome = RunOutcome(EXIT_IO, "busy", exc.message)
    except ProjectError as exc:
        log.error("%s（退出码 %d）", exc.message, exc.exit_code)
        console.print(exc.message, style="bold red", markup=False)
        outcome = RunOutcome(exc.exit_code, "failed", exc.message)
    except BaseException:
        log.exception("运行中断（内部错误或被终止）")
        raise
    finally:
        log.info("结束，用时 %.1f 秒", time.monotonic() - started)
        _detach_log(handler)
    return outcome


# --- the run itself (lock held) -------------------------------------------------------------------


def _run_locked(
    cfg: ProjectConfig, period: str | None, today: dt.date, console: Console, quiet: bool
) -> RunOutcome:
    from safescore.problems import Report
    from safescore.rubric.check import check_rubric

    rubric_path = cfg.rubric_path
    if not rubric_path.is_file():
        raise ProjectError(f"{cfg.path}：[project] rubric：规则文件 {rubric_path} 不存在", EXIT_USAGE)
    report = Report()
    rubric = check_rubric(rubric_path, report)
    if rubric is None or not report.ok:
        for p in report.errors:
            log.error("规则错误：%s（%s）", p.message, p.where())
        from safescore.render.terminal import problem_report

        problem_report(console, report.problems, title="规则检查")
        raise ProjectError(f"规则文件 {rubric_path} 有错误，未进行评分", EXIT_USAGE)
    p = cfg.resolve_period(rubric.period, period, today)
    units = _registry(cfg, rubric, console)
    state = ProjectState.load_for(cfg.state_dir)
    if cfg.annual.year:
        from safescore.project.year import run_year

        return run_year(cfg, rubric, cfg.annual.year, p, units, state, console, quiet)  # type: ignore[no-any-return]
    return score_period(cfg, rubric, p, units, state, console, quiet)


def sayer(console: Console, quiet: bool) -> Any:
    """``say(msg, style=None)``: to the log always, to the terminal unless quiet."""

    def say(msg: str, style: str | None = None) -> None:
        log.info("%s", msg)
        if not quiet:  # markup off: paths and unit names may contain [brackets]
            console.print(msg, style=style, markup=False, highlight=False)

    return say


def score_period(
    cfg: ProjectConfig,
    rubric: Any,
    p: str,
    units: list[Any] | None,
    state: ProjectState,
    console: Console,
    quiet: bool,
) -> RunOutcome:
    """Score, render and store one period (lock held); unchanged inputs change nothing."""
    say = sayer(console, quiet)
    out = cfg.output_dir(p)
    say(f"期间 {p}：{rubric.title}，输出到 {out}")
    for note in repair_leftovers(out):
        say(note)
    returns, sources = cfg.input_paths(p, [*rubric.sources, *rubric.records])
    fp = fingerprint(cfg, p, returns, sources)
    done = state.period(p)
    if done is not None and done.get("fingerprint") == fp and outputs_intact(out, fp):
        say(f"{UNCHANGED}（{out}）")
        code = int(done.get("exit_code", EXIT_OK))
        return RunOutcome(code, "unchanged", UNCHANGED, p, out, doc_number=done.get("doc_number"))

    from safescore.api import score
    from safescore.inputs.read import read_inputs

    say("读取报表……")
    data = read_inputs(rubric, [returns], {k: list(v) for k, v in sources.items()}, units=units, period=p)
    result = with_previous_period(score(rubric, data, p), cfg)
    code = EXIT_PROBLEMS if (result.errors or result.not_submitted) else EXIT_OK
    log.info(
        "评分完成：%d 个单位，%d 个错误，未报送 %d 个",
        len(result.units),
        len(result.errors),
        len(result.not_submitted),
    )
    doc_number, seq_year, seq = state.next_doc_number(cfg, p)
    written = render_and_swap(cfg, result, out, {**run_options(cfg, p), "fingerprint": fp}, doc_number)
    if seq_year is not None:
        state.set_seq(seq_year, seq)
        state.save_for(cfg.state_dir)  # the 文号 is now in published outputs: never hand it out again
    say(f"已写出 {len(written)} 个文件到 {out}" + (f"（文号 {doc_number}）" if doc_number else ""))
    if result.errors or result.not_submitted:
        say(
            f"数据错误 {len(result.errors)} 个，未报送 {len(result.not_submitted)} 个单位；"
            f"详见 {out / 'validation.json'}",
            "yellow",
        )
    history_error = store_history(result, out, cfg, console, quiet)
    if history_error:
        # not marked done: the next run renders again and retries the history store
        raise ProjectError(f"结果已写出到 {out}，但未能存入历史库：{history_error}；下次运行将重试", EXIT_IO)
    state.mark_done(p, fingerprint=fp, exit_code=code, doc_number=doc_number)
    state.save_for(cfg.state_dir)
    return RunOutcome(code, "written", f"已写出 {len(written)} 个文件", p, out, written, doc_number or None)


def _registry(cfg: ProjectConfig, rubric: Any, console: Console) -> list[Any] | None:
    path = cfg.units_path
    if path is None:
        return None
    from safescore.inputs.units import merge_units, read_units_table
    from safescore.problems import Report
    from safescore.render.terminal import problem_report

    if not path.is_file():
        raise ProjectError(f"{cfg.path}：[project] units：单位名单 {path} 不存在", EXIT_IO)
    report = Report()
    merged = merge_units(list(rubric.units), read_units_table(path, rubric, report), report)
    if not report.ok:
        problem_report(console, report.problems, title="单位名单")
        raise ProjectError(f"单位名单 {path} 有错误，未进行评分", EXIT_USAGE)
    return merged


# --- fingerprint and idempotency ----------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_options(cfg: ProjectConfig, period: str) -> dict[str, Any]:
    """Everything besides the files that changes the outputs (recorded in manifest.json)."""
    return {
        "period": period,
        "formats": list(cfg.output.formats),
        "letters": cfg.output.letters,
        "letter_charts": cfg.output.letter_charts,
        "lang": cfg.output.lang,
        "sources": sorted(cfg.sources),
        "issuer": {
            "name": cfg.issuer.name,
            "doc_number": cfg.issuer.doc_number,
            "next_steps": cfg.issuer.next_steps,
        },
    }


def fingerprint(cfg: ProjectConfig, period: str, returns: Path, sources: dict[str, list[Path]]) -> str:
    """sha256 over the tool version, rubric, units table, template, every input file and the options."""
    from safescore.inputs.workbook import iter_input_files
    from safescore.problems import Report

    def rel(p: Path) -> str:  # relative, so a moved project keeps its fingerprint
        p = p.resolve()
        return p.relative_to(cfg.root).as_posix() if p.is_relative_to(cfg.root) else str(p)

    files = [("return", f) for f in iter_input_files([returns], Report())]
    for name, paths in sorted(sources.items()):
        files += [(name, f) for f in iter_input_files(paths, Report())]
    extra = {"rubric": cfg.rubric_path, "units": cfg.units_path, "template": cfg.template_path}
    payload = {
        "tool": __version__,
        "files": {k: _sha256(v) for k, v in extra.items() if v is not None},
        "inputs": sorted([role, rel(f), _sha256(f)] for role, f in files),
        "options": run_options(cfg, period),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def outputs_intact(out: Path, fp: str) -> bool:
    """True when ``out`` holds a complete output set made from fingerprint ``fp``."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("options", {}).get("fingerprint") != fp:
            return False
        return all(_sha256(out / o["path"]) == o["sha256"] for o in manifest.get("outputs", []))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


# --- render beside, then swap -------------------------------------------------------------------


def render_and_swap(
    cfg: ProjectConfig, result: Any, out: Path, options: dict[str, Any], doc_number: str, letters: bool = True
) -> list[str]:
    """Render every output of ``result`` beside ``out``, fsync, then swap it in (exit 3 on failure)."""
    from safescore.render.bulletin import Issuer
    from safescore.render.outputs import write_all

    base = Issuer()
    issuer = Issuer(
        name=cfg.issuer.name or base.name,
        doc_number=doc_number,
        next_steps=tuple(cfg.issuer.next_steps) if cfg.issuer.next_steps is not None else base.next_steps,
    )
    tmp = out.parent / f"{out.name}.tmp-{os.getpid()}"
    try:
        log.info("生成输出到临时文件夹 %s", tmp)
        written = write_all(
            result,
            tmp,
            formats=cfg.output.formats,
            letters=cfg.output.letters and letters,
            letter_charts=cfg.output.letter_charts,
            lang=cfg.output.lang,
            issuer=issuer,
            template=cfg.template_path,
            options=options,
        )
        fsync_tree(tmp)
        log.info("临时文件夹已写完并落盘：%d 个文件", len(written))
        pause_for_tests(SLOW_RENDER_ENV)
        swap_in(tmp, out)
    except OSError as exc:
        log.error("写出失败：%s", exc)
        raise ProjectError(
            f"无法写入输出文件夹 {out}：{exc.strerror or exc}；上次的输出保持不变，未留下不完整的文件",
            EXIT_IO,
        ) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return written


# --- log file --------------------------------------------------------------------------------------


def _attach_log(path: Path, console: Console) -> logging.Handler | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        # a missing log must not stop the assessment; the officer still sees the console
        console.print(f"[yellow]无法写日志文件 {path}：{exc.strerror or exc}[/yellow]")
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler | None) -> None:
    if handler is not None:
        log.removeHandler(handler)
        with contextlib.suppress(OSError):
            handler.close()
