"""Commands that render without reading returns: ``report`` (from results.json), ``annual`` (from history)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safescore.cli.options import (
    EXIT_IO,
    EXIT_OK,
    SUPPORTED_FORMATS,
    DbOpt,
    DocNoOpt,
    IssuerOpt,
    JsonOpt,
    LangOpt,
    LetterChartsOpt,
    QuietOpt,
    RubricArg,
    TemplateOpt,
)
from safescore.cli.output import check_lang, emit_json, make_console, usage_error
from safescore.cli.pipeline import issuer_of
from safescore.render.outputs import write_all


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

    console = make_console(as_json)
    lang = check_lang(lang, console)
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("docx", "html", "xlsx")]
    if bad or not formats:
        raise usage_error(console, f"report 的 --format 只能是 docx、html、xlsx，得到 {fmt}")
    if template is not None and not template.exists():
        raise usage_error(console, f"Word 模板 {template} 不存在")
    try:
        result = load_result(results)
    except OSError as exc:
        console.print(f"[bold red]无法读取 {results}：{exc.strerror or exc}[/bold red]")
        raise typer.Exit(EXIT_IO) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise usage_error(console, f"{results} 不是有效的 safescore 结果文件：{exc}") from None
    target = out or results.parent
    try:
        written = write_all(
            result,
            target,
            formats=formats,
            letters=letters,
            issuer=issuer_of(issuer, doc_number),
            template=template,
            meta=False,
            lang=lang,
            letter_charts=letter_charts,
        )
    except OSError as exc:
        console.print(f"[bold red]无法写入 {target}：{exc.strerror or exc}[/bold red]")
        raise typer.Exit(EXIT_IO) from None
    if as_json:
        emit_json({"files": written})
    elif not quiet:
        console.print(f"已写出 {len(written)} 个文件到 {target}")
    raise typer.Exit(EXIT_OK)


def annual(
    rubric: RubricArg,
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
    console = make_console(as_json)
    bad = [f for f in formats if f not in SUPPORTED_FORMATS]
    if bad:
        raise usage_error(console, f"未知的输出格式 {'、'.join(bad)}；可用：{'、'.join(SUPPORTED_FORMATS)}")
    with use_lang(check_lang(lang, console)):  # run_annual renders without a language of its own
        code = run_annual(rubric, year, db, out, formats, as_json, quiet, console)
    raise typer.Exit(code)
