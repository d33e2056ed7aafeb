"""The year in ``safescore run``: with ``[annual] year`` the batch keeps the whole year current.

After the period asked for, every other period of that year whose returns folder exists is
scored too (each is a no-op when its inputs did not change), and once history holds the
periods the rubric's ``annual.missing`` policy needs, the annual result (年度汇总) is written to
``[annual] dir`` the same way as a period: beside, fsync, swap; unchanged → untouched.

A year that cannot be combined yet (a quarter not collected) is not a failure of the run:
it is said once and the annual is left for a later run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from rich.console import Console

from safescore.project.config import ProjectConfig, ProjectError
from safescore.project.lock import repair_leftovers
from safescore.project.state import ProjectState

log = logging.getLogger("safescore.project")


def run_year(
    cfg: ProjectConfig,
    rubric: Any,
    year: str,
    period: str,
    units: list[Any] | None,
    state: ProjectState,
    console: Console,
    quiet: bool,
) -> Any:
    """Score ``period`` and the year's other periods that have inputs, in calendar order (so
    each rank change compares with the quarter before), then the annual. Returns the outcome
    of ``period`` with ``other_periods``, ``annual_dir`` and the worst exit code of all."""
    from safescore.project.run import sayer, score_period
    from safescore.results.annual import period_labels

    say = sayer(console, quiet)
    labels = period_labels(rubric.period, year)
    order = labels if period in labels else [period, *labels]
    outcome: Any = None
    others: list[dict[str, Any]] = []
    code = 0
    for label in order:
        if label == period:
            outcome = score_period(cfg, rubric, label, units, state, console, quiet)  # errors stop the run
            code = max(code, outcome.code)
            continue
        if not cfg.returns_path(label).exists():
            continue
        try:
            other = score_period(cfg, rubric, label, units, state, console, quiet)
            others.append({"period": label, "status": other.status, "exit_code": other.code})
            code = max(code, other.code)
        except ProjectError as exc:  # one bad period must not hide the others
            say(f"{label}：{exc.message}", "bold red")
            others.append({"period": label, "status": "failed", "exit_code": exc.exit_code})
            code = max(code, exc.exit_code)
    outcome.other_periods = others
    if rubric.period != "year":
        outcome.annual_dir = _annual(cfg, rubric, year, state, say)
    outcome.code = code
    return outcome


def _annual(cfg: ProjectConfig, rubric: Any, year: str, state: ProjectState, say: Any) -> Any:
    from safescore.history.store import HistoryStore
    from safescore.project.history_link import history_url
    from safescore.project.run import render_and_swap
    from safescore.results.annual import annual_result
    from safescore.results.previous import with_previous

    url = history_url(cfg)
    last_year = f"{int(year) - 1:04d}"
    try:
        with HistoryStore(url, create=False) as store:
            periods = store.periods(rubric.rubric, year, rubric.period)
            before = store.periods(rubric.rubric, last_year, rubric.period)
    except Exception as exc:  # no database yet, or unreachable: the period outputs still stand
        say(f"{year} 年度汇总未生成：无法读取历史库（{type(exc).__name__}: {exc}）", "yellow")
        return None
    result, problems = annual_result(rubric, periods, year)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        say(f"{year} 年度汇总暂不生成：" + "；".join(p.message for p in errors[:3]), "yellow")
        return None
    if before:
        previous, previous_problems = annual_result(rubric, before, last_year)
        if not any(p.severity == "error" for p in previous_problems):
            result = with_previous(result, previous)
    out = cfg.annual_dir(year)
    for note in repair_leftovers(out):
        say(note)
    options = {
        "annual": rubric.annual.model_dump(mode="json"),
        "year": year,
        "periods": list(periods),
        "formats": list(cfg.output.formats),
    }
    payload = json.dumps([result.to_dict(), options], sort_keys=True, ensure_ascii=False, default=str)
    fp = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    key = f"annual:{year}"
    from safescore.project.run import UNCHANGED, outputs_intact

    done = state.period(key)
    if done is not None and done.get("fingerprint") == fp and outputs_intact(out, fp):
        say(f"{year} 年度汇总：{UNCHANGED}（{out}）")
        return out
    written = render_and_swap(cfg, result, out, {**options, "fingerprint": fp}, "", letters=False)
    state.mark_done(key, fingerprint=fp, exit_code=0, doc_number="")
    state.save_for(cfg.state_dir)
    say(f"{year} 年度汇总（{'、'.join(periods)}）：已写出 {len(written)} 个文件到 {out}")
    return out
