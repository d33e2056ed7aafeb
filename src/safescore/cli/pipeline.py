"""What validate, score, explain and template share: check the options, read the returns, score.

Each step prints its Chinese message and raises ``typer.Exit`` with the SPEC 6 code
(2 for a bad rubric or bad usage, 3 for a path that cannot be read); the reading
and scoring themselves are library calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from safescore.api import score as score_api
from safescore.cli.options import EXIT_IO, EXIT_USAGE
from safescore.cli.output import Out
from safescore.inputs.read import read_inputs
from safescore.inputs.workbook import iter_input_files
from safescore.problems import Problem, Report
from safescore.render.terminal import problem_report
from safescore.results.model import Result
from safescore.results.periods import check_period, normalize_period
from safescore.rubric.check import check_rubric
from safescore.rubric.model import Rubric, Unit


def load_checked(rubric_path: Path, out: Out, what: str = "评分") -> Rubric:
    """The rubric, or exit 2 after listing every problem in it (a missing file too: a bad argument)."""
    report = Report()
    rubric = check_rubric(rubric_path, report)
    if rubric is None or not report.ok:
        out.problems(EXIT_USAGE, report.problems)
        if not (out.quiet and out.as_json):
            problem_report(out.console, report.problems, title="规则检查")
            out.console.print(f"[bold red]规则文件 {rubric_path} 有错误，未进行{what}。[/bold red]")
        raise typer.Exit(EXIT_USAGE)
    return rubric


def parse_sources(rubric: Rubric, items: list[str] | None, out: Out) -> dict[str, list[str]]:
    """``--source NAME=PATH`` options grouped by name; a name the rubric does not declare is exit 2."""
    grouped: dict[str, list[str]] = {}
    for raw in items or []:
        name, sep, path = raw.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise out.usage(f"--source 应写作 名称=路径，得到“{raw}”", code="bad-source")
        if name == "return":
            raise out.usage("单位自己的回执直接作为参数给出，不需要 --source return=", code="bad-source")
        if name not in rubric.sources and name not in rubric.records:
            known = "、".join([*rubric.sources, *rubric.records]) or "（规则未声明任何 sources 或 records）"
            raise out.usage(
                f"未知的来源或台账 {name}；规则中声明的来源和台账：{known}", code="unknown-source"
            )
        grouped.setdefault(name, []).append(path)
    return grouped


def check_word_template(template: Path | None, out: Out) -> None:
    """Refuse a missing or unusable ``--template`` as a usage error, before anything is read."""
    if template is None:
        return
    if not template.exists():
        raise out.usage(f"Word 模板 {template} 不存在", code="template-not-found")
    from safescore.render.docx import TemplateError, check_template

    try:
        check_template(template)
    except TemplateError as exc:
        raise out.usage(str(exc), code="template-unusable") from None


def checked_period(rubric: Rubric, period: str | None, out: Out) -> str | None:
    """``--period`` normalised (2022q1 → 2022Q1) and checked against the rubric's period kind."""
    if period is None:
        return None
    p = normalize_period(period) if not period.strip()[4:5] == "-" else period.strip()
    msg = check_period(p, rubric.period)
    if msg:
        raise out.usage(msg, code="bad-period")
    return p


def check_paths(paths: list[Path], sources: dict[str, list[str]], out: Out) -> None:
    """Exit 3 naming every input or source path that does not exist."""
    missing = [str(p) for p in [*paths, *(Path(x) for v in sources.values() for x in v)] if not p.exists()]
    if missing:
        out.console.print("[bold red]无法读取：[/bold red]" + "、".join(missing) + " 不存在")
        out.problems(
            EXIT_IO, [Problem("input-not-found", f"{m} 不存在", category="io", file=m) for m in missing]
        )
        raise typer.Exit(EXIT_IO)


def registry(rubric: Rubric, units_file: Path | None, out: Out) -> list[Unit]:
    """The rubric's units, merged with ``--units FILE`` when given."""
    if units_file is None:
        return list(rubric.units)
    from safescore.inputs.units import merge_units, read_units_table

    report = Report()
    if not units_file.exists():
        raise out.io(f"无法读取：{units_file} 不存在", code="input-not-found", file=str(units_file))
    table = read_units_table(units_file, rubric, report)
    merged = merge_units(list(rubric.units), table, report)
    if not report.ok:
        out.problems(EXIT_USAGE, report.problems)
        problem_report(out.console, report.problems, title="单位名单")
        raise typer.Exit(EXIT_USAGE)
    return merged


def read_and_score(
    rubric: Rubric,
    inputs: list[Path],
    sources: dict[str, list[str]],
    period: str | None,
    *,
    strict: bool,
    latest: bool,
    show_progress: bool,
    console: Console,
    units: list[Unit] | None = None,
    jobs: int | None = None,
) -> Result:
    """Read every input (a progress bar when there are more than 3 files) and score."""
    total = len(iter_input_files(inputs, Report())) + sum(
        len(iter_input_files([Path(x) for x in v], Report())) for v in sources.values()
    )
    kwargs: dict[str, Any] = {"units": units, "period": period, "latest": latest, "jobs": jobs}
    if show_progress and total > 3:
        with Progress(
            TextColumn("读取报表"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=total)

            def tick(path: Path) -> None:
                bar.update(task, advance=1, description=path.name)

            data = read_inputs(rubric, inputs, sources, progress=tick, **kwargs)
    else:
        data = read_inputs(rubric, inputs, sources, **kwargs)
    return score_api(rubric, data, period, strict=strict)


def scored_run(
    rubric: Path,
    inputs: list[Path],
    source: list[str] | None,
    period: str | None,
    units: Path | None,
    out: Out,
    *,
    strict: bool,
    latest: bool,
    jobs: int | None,
) -> tuple[Rubric, dict[str, list[str]], str | None, list[Unit], Result]:
    """Check the options, read and score (exits on usage or read errors)."""
    r = load_checked(rubric, out)
    sources = parse_sources(r, source, out)
    p = checked_period(r, period, out)
    check_paths(inputs, sources, out)
    units_list = registry(r, units, out)
    result = read_and_score(
        r,
        inputs,
        sources,
        p,
        strict=strict,
        latest=latest,
        show_progress=out.chatty,
        console=out.console,
        units=units_list,
        jobs=jobs,
    )
    return r, sources, p, units_list, result


def issuer_of(name: str | None, doc_number: str | None) -> Any:
    """The bulletin's issuer from ``--issuer`` / ``--doc-number``, defaults where not given."""
    from safescore.render.bulletin import Issuer

    base = Issuer()
    return Issuer(name=name or base.name, doc_number=doc_number or base.doc_number)
