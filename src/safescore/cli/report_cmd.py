"""Commands that render without reading returns: ``report`` (from results.json), ``annual`` (from history)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safescore.cli.options import (
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
from safescore.cli.output import Out, check_lang, emit_json
from safescore.cli.pipeline import check_word_template, issuer_of
from safescore.render.outputs import write_all


def report(
    results: Annotated[
        Path, typer.Argument(metavar="RESULTS.json", help="safescore score 写出的 results.json。")
    ],
    fmt: Annotated[str, typer.Option("--format", help="docx、html、xlsx，逗号分隔。")] = "docx,html",
    out_dir: Annotated[
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

    out = Out.make(as_json, quiet)
    lang = check_lang(lang, out)
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("docx", "html", "xlsx")]
    if bad or not formats:
        raise out.usage(f"report 的 --format 只能是 docx、html、xlsx，得到 {fmt}", code="bad-format")
    check_word_template(template, out)
    try:
        result = load_result(results)
    except OSError as exc:
        raise out.io(
            f"无法读取 {results}：{exc.strerror or exc}", "results-unreadable", str(results)
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise out.usage(f"{results} 不是有效的 safescore 结果文件：{exc}", code="results-invalid") from None
    target = out_dir or results.parent
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
        raise out.io(f"无法写入 {target}：{exc.strerror or exc}", "output-unwritable", str(target)) from None
    if as_json:
        emit_json({"files": written})
    elif not quiet:
        out.console.print(f"已写出 {len(written)} 个文件到 {target}")
    raise typer.Exit(EXIT_OK)


def annual(
    rubric: RubricArg,
    year: Annotated[str, typer.Option("--year", help="年度，如 2022。")],
    db: DbOpt = None,
    out_dir: Annotated[Path | None, typer.Option("-o", "--out", help="输出文件夹。")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table,json,xlsx,html,docx。")] = "table,json",
    lang: LangOpt = "zh",
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """年度汇总：按 annual.combine 合并历史库中各期总分，一票否决按 annual.veto 结转，排名、评定等次并输出。"""
    from safescore.cli.history_cmd import run_annual
    from safescore.render.i18n import use_lang

    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    out = Out.make(as_json, quiet)
    bad = [f for f in formats if f not in SUPPORTED_FORMATS]
    if bad:
        raise out.usage(
            f"未知的输出格式 {'、'.join(bad)}；可用：{'、'.join(SUPPORTED_FORMATS)}", code="bad-format"
        )
    with use_lang(check_lang(lang, out)):  # run_annual renders without a language of its own
        code = run_annual(rubric, year, db, out_dir, formats, as_json, quiet, out.console)
    raise typer.Exit(code)
