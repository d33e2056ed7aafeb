"""``safescore init DIR [--example NAME]``: a project folder with a commented ``safescore.toml``.

The config is written as text, not serialised, so each key carries the comment that explains
it: the officer who edits it next year reads the file, not this code.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import safescore
from safescore.project.config import CONFIG_NAME, ProjectError

FOLDERS = ("data", "out", "logs", "templates")

_HEADER = """\
# safescore 项目配置。safescore run 读取本文件，按其中的设置完成一期考核：
# 读取回执与评分表 → 评分排名 → 写出结果表、通报、反馈单 → 存入历史库。
# 文件中的相对路径都相对于本文件所在的文件夹（项目文件夹）。
# 路径中的 {period} 替换为考核期间（如 2022Q1、2022-03、2022H1、2022），{year} 替换为其年份。
"""

_BODY = """\

[project]
# 项目名称，只用于日志和提示
name = "{name}"
# 评分细则（YAML）
rubric = "{rubric}"
# 单位名单表（可选，Excel）：单位名称、分组、简称及其他属性；与细则中的单位合并
# units = "units.xlsx"
# 固定的考核期间（可选）。不写时 safescore run 评“刚结束的那一期”（适合 cron 定时运行），
# 命令行 --period 优先于此处
{period_line}

[inputs]
# 各单位回执（汇总表或逐单位填报表）所在的文件夹或文件
returns = "data/{{period}}/returns"

[sources]
# 评分表来源：名称 = 路径（名称必须是细则 sources 中声明的来源，如现场考评 onsite）
{sources}

[output]
# 输出文件夹：每期一个。运行成功才整体替换，失败时上一次的输出原样保留
dir = "out/{{period}}"
# 输出格式：json（results.json）、xlsx（results.xlsx）、html 与 docx（通报）
formats = ["json", "xlsx", "html", "docx"]
# 是否为每个单位生成反馈单（letters/ 文件夹，html 与 docx）
letters = true
# Word 反馈单中是否插入各板块得分图和历次得分趋势图（HTML 反馈单总是带图；每份约 0.3 秒）
letter_charts = false
# 输出文字的语言：zh（中文）或 en（英文；单位、指标名称等数据保持原文）
lang = "zh"

[issuer]
# 发文机关（通报红头与落款）
name = "{issuer}"
# 文号。占位符：{{year}} 成文年份，{{period}} 考核期间，{{seq}} 本项目当年的流水号
# （保存在 .safescore/state.json，只在确实生成了新结果时加 1）
doc_number = "{doc_number}"
# 通报“下一步工作要求”各段；不写时使用默认的三段
# next_steps = [
#   "各单位要对照问题清单逐项整改，于收到通报后15个工作日内将整改情况报送安委会办公室。",
# ]

[templates]
# 自带的 Word 通报模板（可选，见 docs/word-templates.md），放在 templates/ 下
# word = "templates/通报模板.docx"

[annual]
# 年度汇总（可选）：写了 year 时，safescore run 在评完本期后，把该年度其余已有回执的各期也评好
# （输入未变化的期间不重复处理），各期齐备（或按细则 annual.missing 允许缺期）时写出年度结果
{year_line}
dir = "out/{{year}}-annual"

[history]
# 历史库地址（可选）：不写时用默认的 SQLite 文件；多个办公室共用时写 SQLAlchemy 地址
# url = "postgresql://user@host/safescore"
"""


@dataclass(frozen=True)
class Example:
    """A shipped example, described by ``examples/<name>/example.toml``."""

    key: str
    rubric: str  # path inside the source checkout
    generator: str  # path inside the source checkout
    periods: tuple[str, ...]
    period: str
    name: str
    issuer: str
    doc_number: str
    sources: tuple[str, ...] = ()  # assessor sources / record lists the generator writes
    extra_files: tuple[str, ...] = ()  # files the rubric names, relative to the rubric
    year: str | None = None  # the year whose annual result `safescore run` keeps current

    @property
    def source(self) -> str:
        """The first source (kept for callers that know one assessor source)."""
        return self.sources[0] if self.sources else ""


def load_examples(root: Path | None) -> dict[str, Example]:
    """Every ``examples/*/example.toml`` of the source checkout, by folder name."""
    found: dict[str, Example] = {}
    if root is None:
        return found
    for spec in sorted((root / "examples").glob("*/example.toml")):
        key = spec.parent.name
        try:
            d = tomllib.loads(spec.read_text(encoding="utf-8"))
            found[key] = Example(
                key=key,
                rubric=str(d["rubric"]),
                generator=f"examples/{key}/{d['generator']}",
                periods=tuple(str(p) for p in d["periods"]),
                period=str(d["period"]),
                name=str(d["name"]),
                issuer=str(d["issuer"]),
                doc_number=str(d["doc_number"]),
                sources=tuple(str(s) for s in d.get("sources", [])),
                extra_files=tuple(str(f) for f in d.get("extra_files", [])),
                year=str(d["year"]) if d.get("year") else None,
            )
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise ProjectError(f"示例描述 {spec} 无效：{exc}", 2) from None
    return found


def source_root() -> Path | None:
    """The source checkout safescore runs from (``src/safescore`` → repo root), if any."""
    root = Path(safescore.__file__).resolve().parent.parent.parent
    return root if (root / "examples").is_dir() and (root / "rubrics").is_dir() else None


def config_text(example: Example | None, rubric: str) -> str:
    """The commented ``safescore.toml`` for a new project."""
    if example is None:
        sources = '# onsite = "data/{period}/onsite"'
        period_line = '# period = "2022Q1"'
        year_line = '# year = "2022"'
        name, issuer, doc_number = "安全生产考核", "安全生产委员会办公室", "安办〔{year}〕{seq}号"
    else:
        sources = (
            "\n".join(f'{n} = "data/{{period}}/{n}"' for n in example.sources) or "# （本示例没有评分表来源）"
        )
        period_line = f'period = "{example.period}"'
        year_line = f'year = "{example.year}"' if example.year else '# year = "2022"'
        name, issuer, doc_number = example.name, example.issuer, example.doc_number
    return _HEADER + _BODY.format(
        name=name,
        rubric=rubric,
        period_line=period_line,
        year_line=year_line,
        sources=sources,
        issuer=issuer,
        doc_number=doc_number,  # format() inserts values verbatim: its {year} stays a placeholder
    )


def _load_generator(path: Path) -> Callable[[list[str]], None]:
    name = "safescore_example_" + path.parent.name
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProjectError(f"无法加载示例数据生成器 {path}", 2)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up while the module runs
    spec.loader.exec_module(mod)
    main: Callable[[list[str]], None] = mod.main
    return main


def _generate(example: Example, root: Path, project: Path) -> list[Path]:
    """Run the generator per period and file its two workbooks as the config expects them."""
    generate = _load_generator(root / example.generator)
    made: list[Path] = []
    for period in example.periods:
        with tempfile.TemporaryDirectory(prefix=".gen-", dir=project) as tmp:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints the paths it wrote
                generate(["--out", tmp, "--period", period])
            for f in sorted(Path(tmp).iterdir()):
                role = next((n for n in example.sources if f.name.startswith(n)), "returns")
                dest = project / "data" / period / role / f.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(f), dest)
                made.append(dest)
    return made


def init_project(directory: Path, example: str | None = None) -> list[Path]:
    """Create a project folder; return the files and folders written.

    :param example: a folder of ``examples/`` with an ``example.toml`` (``gangcheng`` …): copies
        its rubric and generates the sample returns of every period it lists, with the config's
        ``period`` set so a bare ``safescore run`` works.
    :raises ProjectError: unknown example, an existing ``safescore.toml``, or no source checkout.

    >>> init_project(Path("/srv/anquan"), "gangcheng")  # doctest: +SKIP
    """
    project = Path(directory)
    ex: Example | None = None
    root: Path | None = None
    if example is not None:
        root = source_root()
        examples = load_examples(root)
        ex = examples.get(example)
        if ex is None:
            if root is None:
                raise ProjectError(
                    f"示例 {example} 需要 safescore 源代码中的 examples/ 与 rubrics/，当前安装中找不到"
                    "（只有从源代码检出安装时才带有示例）；请从源代码仓库安装（pip install -e .），"
                    "或不带 --example 创建空项目",
                    2,
                )
            raise ProjectError(f"没有名为 {example} 的示例；可用的示例：{'、'.join(examples)}", 2)
        assert root is not None  # examples are only found in a source checkout
        extra = [str(Path(ex.rubric).parent / f) for f in ex.extra_files]
        missing = [p for p in (ex.rubric, ex.generator, *extra) if not (root / p).is_file()]
        if missing:
            raise ProjectError(
                f"示例 {example} 需要 safescore 源代码中的 {ex.rubric} 与 {ex.generator}，"
                "当前安装中找不到（只有从源代码检出安装时才带有示例）；"
                "请从源代码仓库安装（pip install -e .），或不带 --example 创建空项目",
                2,
            )
    config = project / CONFIG_NAME
    if config.exists():
        raise ProjectError(f"{config} 已存在，未覆盖；如要重新创建请先移走它", 2)
    try:
        project.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name in FOLDERS:
            (project / name).mkdir(exist_ok=True)
            written.append(project / name)
        if ex is not None and root is not None:
            rubric_rel = f"rubrics/{Path(ex.rubric).name}"
            (project / "rubrics").mkdir(exist_ok=True)
            shutil.copyfile(root / ex.rubric, project / rubric_rel)
            for rel in ex.extra_files:  # targets tables etc., kept at the same place relative to the rubric
                dest = project / "rubrics" / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / Path(ex.rubric).parent / rel, dest)
                written.append(dest)
            written.append(project / rubric_rel)
            written += _generate(ex, root, project)
        else:
            rubric_rel = "rubric.yaml"  # the officer puts their 评分细则 here
        config.write_text(config_text(ex, rubric_rel), encoding="utf-8")
        written.insert(0, config)
    except OSError as exc:
        raise ProjectError(f"无法创建项目 {project}：{exc.strerror or exc}", 3) from None
    return written
