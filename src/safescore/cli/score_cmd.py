"""``safescore score``: read, score, rank, write the outputs, store the period in history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from safescore.cli.options import (
    EXIT_OK,
    SUPPORTED_FORMATS,
    DbOpt,
    DocNoOpt,
    InputsArg,
    IssuerOpt,
    JobsOpt,
    JsonOpt,
    LangOpt,
    LatestOpt,
    LetterChartsOpt,
    NoHistoryOpt,
    PeriodOpt,
    QuietOpt,
    RubricArg,
    SourceOpt,
    TemplateOpt,
    UnitsOpt,
)
from safescore.cli.output import Out, check_lang, emit_json, result_exit_code
from safescore.cli.pipeline import check_word_template, issuer_of, scored_run
from safescore.render.outputs import write_all
from safescore.render.terminal import problem_report, ranking_tables


def score(
    rubric: RubricArg,
    inputs: InputsArg,
    source: SourceOpt = None,
    period: PeriodOpt = None,
    out_dir: Annotated[
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
    out = Out.make(as_json, quiet)
    console = out.console
    lang = check_lang(lang, out)
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    for f in formats:
        if f not in SUPPORTED_FORMATS:
            raise out.usage(f"未知的输出格式 {f}；可用：{'、'.join(SUPPORTED_FORMATS)}", code="bad-format")
    if letters and not {"html", "docx"} & set(formats):
        formats += ["html", "docx"]
    check_word_template(template, out)
    _, sources, p, _, result = scored_run(
        rubric, inputs, source, period, units, out, strict=strict, latest=latest, jobs=jobs
    )
    history = None
    if p is not None and not no_history:
        from safescore.cli import history_cmd
        from safescore.history.trend import history_for
        from safescore.results.previous import with_history, with_previous

        history = history_cmd
        result = with_previous(result, history_cmd.previous_for(result, db, no_history))
        result = with_history(result, history_for(result, db, no_history))  # trend across periods
    code = result_exit_code(result)
    if out_dir is not None and not (strict and code != EXIT_OK):
        options = {"formats": formats, "strict": strict, "latest": latest, "sources": sorted(sources)}
        options |= {"lang": lang, "letter_charts": letter_charts}
        try:
            written = write_all(
                result,
                out_dir,
                formats=formats,
                letters=letters,
                issuer=issuer_of(issuer, doc_number),
                template=template,
                options=options,
                lang=lang,
                letter_charts=letter_charts,
            )
        except OSError as exc:
            msg = f"无法写入输出文件夹 {out_dir}：{exc.strerror or exc}"
            raise out.io(msg, "output-unwritable", str(out_dir)) from None
        if out.chatty:
            console.print(f"已写出：{'、'.join(str(out_dir / w) for w in written)}")
    elif out_dir is not None:
        console.print("[bold red]--strict：存在错误，未写出结果。[/bold red]")
    if history is not None and not (strict and code != EXIT_OK):
        manifest = None
        if out_dir is not None and (out_dir / "manifest.json").exists():
            manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        history.store_after_score(result, manifest, db, no_history, console, quiet=quiet or as_json)
    if as_json:
        emit_json(result.to_dict())
    if "table" in formats and not quiet:
        ranking_tables(console, result, lang=lang)
    if not quiet or result.errors:
        problem_report(console, result.problems)
        if result.not_submitted:
            console.print("[yellow]未报送：[/yellow]" + "、".join(result.not_submitted))
    raise typer.Exit(code)
