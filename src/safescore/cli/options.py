"""Options shared by several commands (typer ``Annotated`` aliases) and the exit codes of SPEC 6."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# SPEC 6: 0 done and clean; 1 done, but with validation errors or units missing;
# 2 bad usage or bad rubric/config; 3 could not read or write
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in safescore, not a user mistake
SUPPORTED_FORMATS = ("table", "json", "xlsx", "html", "docx")

RubricArg = Annotated[Path, typer.Argument(metavar="RUBRIC", help="评分细则 YAML 文件。")]
InputsArg = Annotated[
    list[Path],
    typer.Argument(
        metavar="INPUT", help="各单位回执：文件或文件夹（文件夹递归读取 .xlsx、.xlsm、.xls、.csv）。"
    ),
]
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
