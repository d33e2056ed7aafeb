"""``safescore`` command line: read options, call the library, render, set the exit code.

Exit codes (SPEC 6): 0 done and clean; 1 done, but with validation errors or
units missing; 2 bad usage or bad rubric; 3 could not read or write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from safescore import __version__
from safescore.api import score as score_api
from safescore.inputs.read import read_inputs
from safescore.inputs.workbook import iter_input_files
from safescore.problems import InputReadError, Problem, Report, SafescoreError
from safescore.render.jsonout import validation_dict
from safescore.render.outputs import write_all
from safescore.render.terminal import problem_report, ranking_tables, unit_account
from safescore.results.model import Result
from safescore.results.periods import check_period, normalize_period
from safescore.rubric.check import check_rubric
from safescore.rubric.model import Rubric, Unit

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3
SUPPORTED_FORMATS = ("table", "json", "xlsx", "html", "docx")
PLANNED_FORMATS: tuple[str, ...] = ()

app = typer.Typer(
    name="safescore",
    help="安全生产考核评分工具：YAML 评分细则 + Excel 报表 → 可追溯到单元格的得分、排名与通报。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="向标准输出打印机器可读的 JSON。")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="只输出错误（适合 cron）。")]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", help="评分表来源：名称=路径，如 onsite=现场考评.xlsx；可多次给出。"),
]
PeriodOpt = Annotated[
    str | None, typer.Option("--period", help="考核期间：2022Q1、2022-03、2022H1 或 2022。")
]
LatestOpt = Annotated[bool, typer.Option("--latest", help="同一单位有两份回执时采用文件修改时间较新的一份。")]
IssuerOpt = Annotated[
    str | None, typer.Option("--issuer", help="发文机关（通报红头与落款），如 钢城区安全生产委员会办公室。")
]
DocNoOpt = Annotated[str | None, typer.Option("--doc-number", help="文号，如 钢安办〔2022〕12号。")]
TemplateOpt = Annotated[
    Path | None, typer.Option("--template", help="自带的 Word 模板（.docx），见 docs/word-templates.md。")
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="历史库：SQLAlchemy URL 或 SQLite 文件路径（默认：SAFESCORE_DB、项目配置或当前文件夹的 safescore.db）。",
    ),
]
NoHistoryOpt = Annotated[bool, typer.Option("--no-history", help="不写入历史库（也不显示较上期名次变化）。")]
JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="并行读取的进程数（默认：CPU 核数）。")
]
UnitsOpt = Annotated[
    Path | None, typer.Option("--units", help="单位名单表（单位名称、分组、简称及其他属性）。")
]
LangOpt = Annotated[
    str,
    typer.Option(
        "--lang", help="通报、反馈单、results.xlsx 和终端排名表中工具自身文字的语言：zh（默认）或 en。"
    ),
]
LetterChartsOpt = Annotated[
    bool,
    typer.Option(
        "--letter-charts",
        help="Word 反馈单也配图（各一级指标得分率、历次总分及排名）；较慢，见 docs/rendering.md。",
    ),
]


def _lang(lang: str, console: Console) -> str:
    from safescore.render.i18n import LANGS

    if lang not in LANGS:
        raise _usage_error(console, f"--lang 只能是 {'、'.join(LANGS)}，得到 {lang}")
    return lang


def _console(as_json: bool) -> Console:
    # with --json, stdout carries only JSON; everything human goes to stderr
    return Console(stderr=True) if as_json else Console()


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _load(rubric_path: Path, console: Console, as_json: bool, quiet: bool) -> Rubric:
    report = Report()
    rubric = check_rubric(rubric_path, report)
    if rubric is None or not report.ok:
        if as_json:
            _emit_json({"ok": False, **validation_dict(report.problems)})
        if not quiet or not as_json:
            problem_report(console, report.problems, title="规则检查")
            console.print(f"[bold red]规则文件 {rubric_path} 有错误，未进行评分。[/bold red]")
        raise typer.Exit(EXIT_USAGE)
    return rubric


def _usage_error(console: Console, message: str) -> typer.Exit:
    console.print(f"[bold red]用法错误：[/bold red]{message}")
    return typer.Exit(EXIT_USAGE)


def _parse_sources(rubric: Rubric, items: list[str] | None, console: Console) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw in items or []:
        name, sep, path = raw.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise _usage_error(console, f"--source 应写作 名称=路径，得到“{raw}”")
        if name == "return":
            raise _usage_error(console, "单位自己的回执直接作为参数给出，不需要 --source return=")
        if name not in rubric.sources and name not in rubric.records:
            known = "、".join([*rubric.sources, *rubric.records]) or "（规则未声明任何 sources 或 records）"
            raise _usage_error(console, f"未知的来源或台账 {name}；规则中声明的来源和台账：{known}")
        out.setdefault(name, []).append(path)
    return out


def _period(rubric: Rubric, period: str | None, console: Console) -> str | None:
    if period is None:
        return None
    p = normalize_period(period) if not period.strip()[4:5] == "-" else period.strip()
    msg = check_period(p, rubric.period)
    if msg:
        raise _usage_error(console, msg)
    return p


def _check_paths(paths: list[Path], sources: dict[str, list[str]], console: Console) -> None:
    missing = [str(p) for p in [*paths, *(Path(x) for v in sources.values() for x in v)] if not p.exists()]
    if missing:
        console.print("[bold red]无法读取：[/bold red]" + "、".join(missing) + " 不存在")
        raise typer.Exit(EXIT_IO)


def _registry(rubric: Rubric, units_file: Path | None, console: Console) -> list[Unit]:
    if units_file is None:
        return list(rubric.units)
    from safescore.inputs.units import merge_units, read_units_table

    report = Report()
    if not units_file.exists():
        console.print(f"[bold red]无法读取：[/bold red]{units_file} 不存在")
        raise typer.Exit(EXIT_IO)
    table = read_units_table(units_file, rubric, report)
    merged = merge_units(list(rubric.units), table, report)
    if not report.ok:
        problem_report(console, report.problems, title="单位名单")
        raise typer.Exit(EXIT_USAGE)
    return merged


def _read_and_score(
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


def _scored_run(
    rubric: Path,
    inputs: list[Path],
    source: list[str] | None,
    period: str | None,
    units: Path | None,
    console: Console,
    *,
    as_json: bool,
    quiet: bool,
    strict: bool,
    latest: bool,
    jobs: int | None,
    show_progress: bool,
) -> tuple[Rubric, dict[str, list[str]], str | None, list[Unit], Result]:
    """What validate, score and explain share: check options, read, score (exits on usage/IO errors)."""
    r = _load(rubric, console, as_json, quiet)
    sources = _parse_sources(r, source, console)
    p = _period(r, period, console)
    _check_paths(inputs, sources, console)
    registry = _registry(r, units, console)
    result = _read_and_score(
        r,
        inputs,
        sources,
        p,
        strict=strict,
        latest=latest,
        show_progress=show_progress,
        console=console,
        units=registry,
        jobs=jobs,
    )
    return r, sources, p, registry, result


def _issuer(name: str | None, doc_number: str | None) -> Any:
    from safescore.render.bulletin import Issuer

    base = Issuer()
    return Issuer(name=name or base.name, doc_number=doc_number or base.doc_number)


def _exit_code(result: Result) -> int:
    if result.errors or result.not_submitted:
        return EXIT_PROBLEMS
    return EXIT_OK


@app.command()
def check(
    rubric: Annotated[Path, typer.Argument(help="评分细则 YAML 文件。")],
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """检查评分细则：分值合计、名称引用、表达式、分档、目标值、配额等，列出全部问题。"""
    console = _console(as_json)
    report = Report()
    loaded = check_rubric(rubric, report)
    if as_json:
        _emit_json({"ok": loaded is not None and report.ok, **validation_dict(report.problems)})
    elif not quiet or not report.ok:
        problem_report(console, report.problems, title="规则检查")
        if loaded is not None and report.ok:
            groups = "、".join(f"{g.title}（满分 {loaded.scale_for(g.id)}）" for g in loaded.groups)
            n_items = len(loaded.all_items())
            console.print(
                f"[green]✓ {loaded.title}：{len(loaded.sections)} 个一级指标，{n_items} 个评分项；分组 {groups}[/green]"
            )
    raise typer.Exit(EXIT_OK if loaded is not None and report.ok else EXIT_USAGE)


@app.command()
def validate(
    rubric: Annotated[Path, typer.Argument(help="评分细则 YAML 文件。")],
    inputs: Annotated[list[Path], typer.Argument(help="各单位回执（文件或文件夹）。")],
    source: SourceOpt = None,
    period: PeriodOpt = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="写出 validation.json 的文件夹。")] = None,
    latest: LatestOpt = False,
    jobs: JobsOpt = None,
    units: UnitsOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="缺失或无效的值一律视为错误。")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """校验报表：逐条列出文件、工作表、单元格、单位、字段、所见值与应为值。"""
    console = _console(as_json)
    _, _, _, _, result = _scored_run(
        rubric,
        inputs,
        source,
        period,
        units,
        console,
        as_json=as_json,
        quiet=quiet,
        strict=strict,
        latest=latest,
        jobs=jobs,
        show_progress=not (quiet or as_json),
    )
    payload = validation_dict(result.problems)
    payload["not_submitted"] = list(result.not_submitted)
    if out is not None:
        try:
            from safescore.render.files import json_bytes, write_atomic

            write_atomic(out / "validation.json", json_bytes(payload))
        except OSError as exc:
            console.print(f"[bold red]无法写入 {out}：{exc.strerror or exc}[/bold red]")
            raise typer.Exit(EXIT_IO) from None
    if as_json:
        _emit_json(payload)
    elif not quiet or result.errors:
        problem_report(console, result.problems)
        if result.not_submitted:
            console.print("[yellow]未报送：[/yellow]" + "、".join(result.not_submitted))
    raise typer.Exit(_exit_code(result))


@app.command()
def score(
    rubric: Annotated[Path, typer.Argument(help="评分细则 YAML 文件。")],
    inputs: Annotated[list[Path], typer.Argument(help="各单位回执（文件或文件夹）。")],
    source: SourceOpt = None,
    period: PeriodOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--out",
            help="输出文件夹：results.json、results.xlsx、bulletin.docx/html、letters/、manifest.json。",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="输出格式，逗号分隔：table,json,xlsx,html,docx。")
    ] = "table,json",
    letters: Annotated[
        bool, typer.Option("--letters", help="同时为每个单位生成反馈单（html/docx，写入 letters/）。")
    ] = False,
    issuer: IssuerOpt = None,
    doc_number: DocNoOpt = None,
    template: TemplateOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="缺失或无效的值一律视为错误，且不写出结果。")
    ] = False,
    latest: LatestOpt = False,
    jobs: JobsOpt = None,
    units: UnitsOpt = None,
    db: DbOpt = None,
    no_history: NoHistoryOpt = False,
    lang: LangOpt = "zh",
    letter_charts: LetterChartsOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """评分并排名：终端排名表，-o 文件夹中写出 results.json 等。"""
    console = _console(as_json)
    lang = _lang(lang, console)
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    for f in formats:
        if f in PLANNED_FORMATS:
            raise _usage_error(console, f"输出格式 {f} 尚未实现；目前可用：{'、'.join(SUPPORTED_FORMATS)}")
        if f not in SUPPORTED_FORMATS:
            raise _usage_error(console, f"未知的输出格式 {f}；可用：{'、'.join(SUPPORTED_FORMATS)}")
    if letters and not {"html", "docx"} & set(formats):
        formats += ["html", "docx"]
    if template is not None and not template.exists():
        raise _usage_error(console, f"Word 模板 {template} 不存在")
    _, sources, p, _, result = _scored_run(
        rubric,
        inputs,
        source,
        period,
        units,
        console,
        as_json=as_json,
        quiet=quiet,
        strict=strict,
        latest=latest,
        jobs=jobs,
        show_progress=not (quiet or as_json),
    )
    history = None
    if p is not None and not no_history:
        from safescore.cli import history_cmd
        from safescore.history.trend import history_for
        from safescore.results.previous import with_history, with_previous

        history = history_cmd
        result = with_previous(result, history_cmd.previous_for(result, db, no_history))
        result = with_history(result, history_for(result, db, no_history))  # trend across periods
    code = _exit_code(result)
    if out is not None and not (strict and code != EXIT_OK):
        options = {"formats": formats, "strict": strict, "latest": latest, "sources": sorted(sources)}
        options |= {"lang": lang, "letter_charts": letter_charts}
        try:
            written = write_all(
                result,
                out,
                formats=formats,
                letters=letters,
                issuer=_issuer(issuer, doc_number),
                template=template,
                options=options,
                lang=lang,
                letter_charts=letter_charts,
            )
        except OSError as exc:
            console.print(f"[bold red]无法写入输出文件夹 {out}：{exc.strerror or exc}[/bold red]")
            raise typer.Exit(EXIT_IO) from None
        if not quiet and not as_json:
            console.print(f"已写出：{'、'.join(str(out / w) for w in written)}")
    elif out is not None:
        console.print("[bold red]--strict：存在错误，未写出结果。[/bold red]")
    if history is not None and not (strict and code != EXIT_OK):
        manifest = None
        if out is not None and (out / "manifest.json").exists():
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        history.store_after_score(result, manifest, db, no_history, console, quiet=quiet or as_json)
    if as_json:
        _emit_json(result.to_dict())
    if "table" in formats and not quiet:
        ranking_tables(console, result, lang=lang)
    if not quiet or result.errors:
        problem_report(console, result.problems)
        if result.not_submitted:
            console.print("[yellow]未报送：[/yellow]" + "、".join(result.not_submitted))
    raise typer.Exit(code)


@app.command()
def explain(
    rubric: Annotated[Path, typer.Argument(help="评分细则 YAML 文件。")],
    inputs: Annotated[list[Path], typer.Argument(help="各单位回执（文件或文件夹）。")],
    unit: Annotated[str, typer.Option("--unit", help="单位名称或简称。")],
    item: Annotated[str | None, typer.Option("--item", help="只看这个指标编码。")] = None,
    source: SourceOpt = None,
    period: PeriodOpt = None,
    latest: LatestOpt = False,
    jobs: JobsOpt = None,
    units: UnitsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """逐项说明一个单位的每一分：取值、规则、得分、扣分原因和来源单元格。"""
    from safescore.inputs.match import UnitMatcher

    console = _console(as_json)
    _, _, _, registry, result = _scored_run(
        rubric,
        inputs,
        source,
        period,
        units,
        console,
        as_json=as_json,
        quiet=False,
        strict=False,
        latest=latest,
        jobs=jobs,
        show_progress=False,
    )
    m = UnitMatcher(registry).match(unit)
    if m.unit is None:
        hint = f"；是不是：{'、'.join(m.suggestions)}" if m.suggestions else ""
        raise _usage_error(console, f"单位“{unit}”不在单位名单中{hint}")
    u = result.unit(m.unit.name)
    if item is not None and all(it.id != item for it in u.items):
        raise _usage_error(console, f"{u.unit} 没有指标 {item}；可用：{'、'.join(it.id for it in u.items)}")
    if as_json:
        d = u.to_dict()
        if item is not None:
            d["items"] = [x for x in d["items"] if x["id"] == item]
        _emit_json(d)
    else:
        unit_account(console, result, u, item)
    raise typer.Exit(EXIT_OK)


def _not_yet(name: str, issue: str) -> None:
    Console(stderr=True).print(
        f"[bold red]safescore {name} 尚未实现[/bold red]（{issue}）。目前可用：check、validate、score、explain。"
    )
    raise typer.Exit(EXIT_USAGE)


@app.command()
def template(
    rubric: Annotated[Path, typer.Argument(help="评分细则 YAML 文件。")],
    out: Annotated[Path, typer.Option("-o", "--out", help="模板输出文件夹。")],
    period: PeriodOpt = None,
    units: UnitsOpt = None,
    table: Annotated[
        bool, typer.Option("--table", help="生成一行一个单位的汇总表模板，而不是每单位一份填报表。")
    ] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """按评分细则生成填报模板：每个单位一份（含本单位目标值、下拉框、数值校验、评分标准提示），或 --table 汇总表。"""
    from safescore.inputs.read import resolve_targets
    from safescore.render.template_xlsx import write_form_templates, write_table_template

    console = _console(as_json)
    r = _load(rubric, console, as_json, quiet)
    p = _period(r, period, console)
    registry = _registry(r, units, console)
    if not registry:
        raise _usage_error(console, "规则中没有单位名单，请用 --units 指定单位名单表")
    report = Report()
    targets = resolve_targets(r, registry, report, [])
    if not report.ok:
        problem_report(console, report.problems, title="目标值")
        raise typer.Exit(EXIT_USAGE)
    try:
        paths = (
            write_table_template(r, registry, p, out)
            if table
            else write_form_templates(r, registry, p, out, targets=targets)
        )
    except OSError as exc:
        console.print(f"[bold red]无法写入 {out}：{exc.strerror or exc}[/bold red]")
        raise typer.Exit(EXIT_IO) from None
    if as_json:
        _emit_json({"files": [str(x) for x in paths]})
    elif not quiet:
        console.print(f"已生成 {len(paths)} 个模板，位于 {out}")
    raise typer.Exit(EXIT_OK)


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="safescore score 写出的 results.json。")],
    fmt: Annotated[str, typer.Option("--format", help="docx、html、xlsx，逗号分隔。")] = "docx,html",
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="输出文件夹（默认：results.json 所在文件夹）。")
    ] = None,
    letters: Annotated[bool, typer.Option("--letters", help="同时生成逐单位反馈单。")] = False,
    issuer: IssuerOpt = None,
    doc_number: DocNoOpt = None,
    template: TemplateOpt = None,
    lang: LangOpt = "zh",
    letter_charts: LetterChartsOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """不重新读取报表，直接由 results.json 重新生成通报、反馈单或 Excel。"""
    from safescore.results.load import load_result

    console = _console(as_json)
    lang = _lang(lang, console)
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("docx", "html", "xlsx")]
    if bad or not formats:
        raise _usage_error(console, f"report 的 --format 只能是 docx、html、xlsx，得到 {fmt}")
    if template is not None and not template.exists():
        raise _usage_error(console, f"Word 模板 {template} 不存在")
    try:
        result = load_result(results)
    except OSError as exc:
        console.print(f"[bold red]无法读取 {results}：{exc.strerror or exc}[/bold red]")
        raise typer.Exit(EXIT_IO) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise _usage_error(console, f"{results} 不是有效的 safescore 结果文件：{exc}") from None
    target = out or results.parent
    try:
        written = write_all(
            result,
            target,
            formats=formats,
            letters=letters,
            issuer=_issuer(issuer, doc_number),
            template=template,
            meta=False,
            lang=lang,
            letter_charts=letter_charts,
        )
    except OSError as exc:
        console.print(f"[bold red]无法写入 {target}：{exc.strerror or exc}[/bold red]")
        raise typer.Exit(EXIT_IO) from None
    if as_json:
        _emit_json({"files": written})
    elif not quiet:
        console.print(f"已写出 {len(written)} 个文件到 {target}")
    raise typer.Exit(EXIT_OK)


@app.command()
def annual(
    rubric: Annotated[Path, typer.Argument(help="评分细则 YAML 文件。")],
    year: Annotated[str, typer.Option("--year", help="年度，如 2022。")],
    db: DbOpt = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="输出文件夹。")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table,json,xlsx,html,docx。")] = "table,json",
    lang: LangOpt = "zh",
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """年度汇总：按 annual.combine 合并历史库中各期总分，一票否决按 annual.veto 结转，排名、评定等次并输出。"""
    from safescore.cli.history_cmd import run_annual
    from safescore.render.i18n import use_lang

    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    console = _console(as_json)
    bad = [f for f in formats if f not in SUPPORTED_FORMATS]
    if bad:
        raise _usage_error(console, f"未知的输出格式 {'、'.join(bad)}；可用：{'、'.join(SUPPORTED_FORMATS)}")
    with use_lang(_lang(lang, console)):  # run_annual renders without a language of its own
        code = run_annual(rubric, year, db, out, formats, as_json, quiet, console)
    raise typer.Exit(code)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="项目文件夹。")],
    example: Annotated[str | None, typer.Option("--example", help="示例项目：gangcheng、tianqu、hubei、dancheng、qingdao（examples/ 下带 example.toml 的文件夹）。")] = None,
) -> None:
    """创建项目文件夹：safescore.toml（规则、单位名单、各来源输入文件夹、输出、发文机关、文号、历史库）及各子文件夹。"""
    from safescore.cli.project_cmd import cmd_init

    raise typer.Exit(cmd_init(directory, example, Console()))


@app.command()
def run(
    config: Annotated[
        Path | None, typer.Argument(help="safescore.toml 或其所在文件夹（默认：当前文件夹向上查找）。")
    ] = None,
    period: PeriodOpt = None,
    wait: Annotated[float, typer.Option("--wait", help="另一次运行正在进行时最多等待的秒数。")] = 0.0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """按项目配置批量运行（适合 cron）：加锁、评分、全部输出写好后整体替换、记录日志与历史；输入未变化则不做改动。"""
    from safescore.cli.project_cmd import cmd_run

    raise typer.Exit(cmd_run(config, period, _console(as_json), quiet, as_json, wait=wait))


history_app = typer.Typer(help="历史记录：已评分的各期结果（SQLite 或 PostgreSQL）。", no_args_is_help=True)
app.add_typer(history_app, name="history")


@history_app.command("list")
def history_list(
    db: DbOpt = None,
    rubric_id: Annotated[str | None, typer.Option("--rubric", help="只列出这个规则 id 的记录。")] = None,
    as_json: JsonOpt = False,
) -> None:
    """列出历史库中的各次评分（期间、时间、是否为当前版本、单位数）。"""
    from safescore.cli import history_cmd

    raise typer.Exit(history_cmd.history_list(db, rubric_id, as_json, _console(as_json)))


@history_app.command("show")
def history_show(
    run: Annotated[str, typer.Argument(help="期间（如 2022Q1，取当前版本）或 #运行编号。")],
    db: DbOpt = None,
    rubric_id: Annotated[str | None, typer.Option("--rubric", help="规则 id（库中有多个规则时）。")] = None,
    as_json: JsonOpt = False,
) -> None:
    """显示某一期（或某次运行）的排名结果。"""
    from safescore.cli import history_cmd

    raise typer.Exit(history_cmd.history_show(db, run, rubric_id, as_json, _console(as_json)))


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="显示版本。")] = False) -> None:
    if version:
        typer.echo(f"safescore {__version__}")
        raise typer.Exit(EXIT_OK)


EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in safescore, not a user mistake


def main() -> None:
    """Console-script entry point: user mistakes never show a traceback."""
    import os

    try:
        app(standalone_mode=True)
    except SafescoreError as exc:
        Console(stderr=True).print("[bold red]" + "；".join(p.message for p in exc.problems) + "[/bold red]")
        sys.exit(EXIT_IO if isinstance(exc, InputReadError) else EXIT_USAGE)
    except Exception as exc:
        if os.environ.get("SAFESCORE_DEBUG"):
            raise
        Console(stderr=True).print(
            f"[bold red]safescore 内部错误：{exc!r}[/bold red]（这是程序缺陷，请报告；设置 SAFESCORE_DEBUG=1 可查看详情）"
        )
        sys.exit(EXIT_INTERNAL)


def _problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [p.to_dict() for p in problems]
