"""``safescore`` command line: the typer app, its commands and the console-script entry point.

Each command lives in a module of its own and only parses options, calls the
library, renders and sets the exit code (SPEC 6: 0 done and clean; 1 done, but
with validation errors or units missing; 2 bad usage or bad rubric/config;
3 could not read or write):

- ``inputs_cmd``: check, validate, template, explain
- ``score_cmd``: score
- ``report_cmd``: report, annual
- ``project_cmd``: init, run; ``history_cmd``: history list|show (and annual's work)
- ``pipeline``: the option checks, reading and scoring the commands share
- ``options``: shared options and exit codes; ``output``: console, JSON, usage errors
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safescore import __version__
from safescore.cli import inputs_cmd, report_cmd, score_cmd
from safescore.cli.options import (
    EXIT_INTERNAL,
    EXIT_OK,
    DbOpt,
    JsonOpt,
    LangOpt,
    PeriodOpt,
    QuietOpt,
)
from safescore.cli.output import Out, check_lang, emit_json, error_payload, make_console
from safescore.cli.usage import SafescoreGroup
from safescore.problems import Problem

app = typer.Typer(
    name="safescore",
    help="安全生产考核评分工具：YAML 评分细则 + Excel 报表 → 可追溯到单元格的得分、排名与通报。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=SafescoreGroup,
)

# the order here is the order of `safescore --help`
app.command()(inputs_cmd.check)
app.command()(inputs_cmd.validate)
app.command()(score_cmd.score)
app.command()(inputs_cmd.explain)
app.command()(inputs_cmd.template)
app.command()(report_cmd.report)
app.command()(report_cmd.annual)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="项目文件夹。")],
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            help="示例项目：gangcheng、tianqu、hubei、dancheng、qingdao（examples/ 下带 example.toml 的文件夹）。",
        ),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """创建项目文件夹：safescore.toml（规则、单位名单、各来源输入文件夹、输出、发文机关、文号、历史库）及各子文件夹。"""
    from safescore.cli.project_cmd import cmd_init

    raise typer.Exit(cmd_init(directory, example, make_console(as_json), quiet=quiet, as_json=as_json))


@app.command()
def run(
    config: Annotated[
        Path | None,
        typer.Argument(metavar="CONFIG", help="safescore.toml 或其所在文件夹（默认：当前文件夹向上查找）。"),
    ] = None,
    period: PeriodOpt = None,
    wait: Annotated[float, typer.Option("--wait", help="另一次运行正在进行时最多等待的秒数。")] = 0.0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """按项目配置批量运行（适合 cron）：加锁、评分、全部输出写好后整体替换、记录日志与历史；输入未变化则不做改动。"""
    from safescore.cli.project_cmd import cmd_run

    raise typer.Exit(cmd_run(config, period, make_console(as_json), quiet, as_json, wait=wait))


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

    raise typer.Exit(history_cmd.history_list(db, rubric_id, as_json, make_console(as_json)))


@history_app.command("show")
def history_show(
    run: Annotated[
        str, typer.Argument(metavar="PERIOD|#RUN", help="期间（如 2022Q1，取当前版本）或 #运行编号。")
    ],
    db: DbOpt = None,
    rubric_id: Annotated[str | None, typer.Option("--rubric", help="规则 id（库中有多个规则时）。")] = None,
    lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """显示某一期（或某次运行）的排名结果。"""
    from safescore.cli import history_cmd

    out = Out.make(as_json)
    raise typer.Exit(
        history_cmd.history_show(db, run, rubric_id, as_json, out.console, check_lang(lang, out))
    )


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="显示版本。")] = False) -> None:
    if version:
        typer.echo(f"safescore {__version__}")
        raise typer.Exit(EXIT_OK)


def main() -> None:
    """Console-script entry point: user mistakes never show a traceback; a bug is exit 70."""
    import os

    try:
        app(standalone_mode=True)
    except Exception as exc:
        if os.environ.get("SAFESCORE_DEBUG"):
            raise
        Console(stderr=True).print(
            f"[bold red]safescore 内部错误：{exc!r}[/bold red]（这是程序缺陷，请报告；设置 SAFESCORE_DEBUG=1 可查看详情）"
        )
        if "--json" in sys.argv[1:]:
            problem = Problem("internal-error", f"safescore 内部错误：{exc!r}", category="usage")
            emit_json(error_payload(EXIT_INTERNAL, [problem]))
        sys.exit(EXIT_INTERNAL)
