"""The project config ``safescore.toml``: what ``safescore run`` scores, from where, into where.

Every path in the file is relative to the file's own folder (the project folder), so a
project can be moved or mounted elsewhere and cron can start it from any working directory.
Errors name the file and the key (``safescore.toml：[output] formats``) because the person
fixing them is an officer with a text editor, not a Python developer.
"""

from __future__ import annotations

import datetime as dt
import string
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_NAME = "safescore.toml"
FILE_FORMATS = ("json", "xlsx", "html", "docx")
PATH_PLACEHOLDERS = frozenset({"period", "year"})
DOC_NUMBER_PLACEHOLDERS = frozenset({"year", "period", "seq"})


class ProjectError(Exception):
    """A project cannot be set up or run; ``exit_code`` follows SPEC 6 (2 usage/config, 3 I/O)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class ConfigError(ProjectError):
    """``safescore.toml`` is missing, unreadable or invalid (always exit 2)."""

    def __init__(self, message: str):
        super().__init__(message, 2)


def _placeholders(text: str) -> set[str]:
    """Names used as ``{name}`` in ``text``; raises ValueError on a stray brace."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_placeholders(text: str, allowed: frozenset[str]) -> str:
    try:
        used = _placeholders(text)
    except ValueError:
        raise ValueError(f"“{text}”中的花括号不成对；占位符写作 {{period}}") from None
    bad = used - allowed
    if bad:
        names = "、".join("{" + b + "}" for b in sorted(bad)) if all(bad) else "{}"
        ok = "、".join("{" + a + "}" for a in sorted(allowed))
        raise ValueError(f"“{text}”中有未知的占位符 {names}；可用：{ok}")
    return text


def _check_source(v: str | list[str]) -> str | list[str]:
    for p in [v] if isinstance(v, str) else v:
        _check_placeholders(p, PATH_PLACEHOLDERS)
    return v


# one path or several; validated per source so an error names ``[sources] onsite``
SourcePaths = Annotated[str | list[str], AfterValidator(_check_source)]


class _Section(BaseModel):
    # a misspelt key must be an error, not a silently ignored setting
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ProjectSection(_Section):
    name: str = ""
    rubric: str
    units: str | None = None
    period: str | None = None


class InputsSection(_Section):
    returns: str = "data/{period}/returns"

    @field_validator("returns")
    @classmethod
    def _paths(cls, v: str) -> str:
        return _check_placeholders(v, PATH_PLACEHOLDERS)


class OutputSection(_Section):
    dir: str = "out/{period}"
    formats: list[str] = Field(default_factory=lambda: list(FILE_FORMATS))
    letters: bool = True
    letter_charts: bool = False  # section profile and trend pictures in the Word letters (slow)
    lang: Literal["zh", "en"] = "zh"  # the tool's own words in the outputs

    @field_validator("dir")
    @classmethod
    def _dir(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("输出文件夹不能为空")
        return _check_placeholders(v, PATH_PLACEHOLDERS)

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if f not in FILE_FORMATS]
        if bad:
            raise ValueError(f"未知的输出格式 {'、'.join(bad)}；可用：{'、'.join(FILE_FORMATS)}")
        if not v:
            raise ValueError(f"至少要有一种输出格式：{'、'.join(FILE_FORMATS)}")
        return list(dict.fromkeys(v))


class IssuerSection(_Section):
    name: str = ""
    doc_number: str = ""
    next_steps: list[str] | None = None

    @field_validator("doc_number")
    @classmethod
    def _doc_number(cls, v: str) -> str:
        return _check_placeholders(v, DOC_NUMBER_PLACEHOLDERS)


class TemplatesSection(_Section):
    word: str | None = None


class HistorySection(_Section):
    url: str | None = None


class AnnualSection(_Section):
    """``[annual]``: with a ``year``, ``safescore run`` also scores that year's other periods
    that have inputs and, once the year is complete, writes the annual result (年度汇总)."""

    year: str | None = None
    dir: str = "out/{year}-annual"

    @field_validator("year")
    @classmethod
    def _year(cls, v: str | None) -> str | None:
        if v is not None and not (len(v.strip()) == 4 and v.strip().isdigit()):
            raise ValueError(f'年度应写作四位数字，如 "2022"，得到“{v}”')
        return v.strip() if v else v

    @field_validator("dir")
    @classmethod
    def _dir(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("输出文件夹不能为空")
        return _check_placeholders(v, PATH_PLACEHOLDERS)


class ProjectConfig(_Section):
    """``safescore.toml`` parsed; :attr:`root` is the project folder (the file's folder)."""

    project: ProjectSection
    inputs: InputsSection = Field(default_factory=InputsSection)
    sources: dict[str, SourcePaths] = Field(default_factory=dict)
    output: OutputSection = Field(default_factory=OutputSection)
    issuer: IssuerSection = Field(default_factory=IssuerSection)
    templates: TemplatesSection = Field(default_factory=TemplatesSection)
    history: HistorySection = Field(default_factory=HistorySection)
    annual: AnnualSection = Field(default_factory=AnnualSection)
    root: Path = Path(".")
    path: Path = Path(CONFIG_NAME)

    # --- paths, resolved against the project folder --------------------------------------------

    def resolve(self, rel: str, period: str | None = None) -> Path:
        """``rel`` with ``{period}``/``{year}`` filled in, relative to the project folder."""
        text = rel.format(period=period or "", year=(period or "")[:4]) if period is not None else rel
        p = Path(text).expanduser()
        return p if p.is_absolute() else self.root / p

    @property
    def rubric_path(self) -> Path:
        return self.resolve(self.project.rubric)

    @property
    def units_path(self) -> Path | None:
        return self.resolve(self.project.units) if self.project.units else None

    @property
    def template_path(self) -> Path | None:
        return self.resolve(self.templates.word) if self.templates.word else None

    def returns_path(self, period: str) -> Path:
        return self.resolve(self.inputs.returns, period)

    def source_paths(self, period: str) -> dict[str, list[Path]]:
        return {
            name: [self.resolve(p, period) for p in ([v] if isinstance(v, str) else v)]
            for name, v in self.sources.items()
        }

    def output_dir(self, period: str) -> Path:
        return self.resolve(self.output.dir, period)

    def annual_dir(self, year: str) -> Path:
        """The annual result's folder; ``{year}`` (and ``{period}``) are the year."""
        return self.resolve(self.annual.dir, year)

    @property
    def state_dir(self) -> Path:
        """Lock and run state live here, inside the project, never inside an output folder."""
        return self.root / ".safescore"

    @property
    def log_path(self) -> Path:
        return self.root / "logs" / "safescore.log"

    def resolve_period(self, kind: str, given: str | None, today: dt.date) -> str:
        """``--period``, else ``[project] period``, else the last ended period of ``kind``.

        :raises ProjectError: (exit 2) a period of another kind than the rubric's.
        """
        from safescore.results.periods import check_period, normalize_period

        if given:
            where, raw = "--period", given
        elif self.project.period:
            where, raw = f"{self.path}：[project] period", self.project.period
        else:
            return last_ended_period(kind, today)
        p = raw.strip() if raw.strip()[4:5] == "-" else normalize_period(raw)
        msg = check_period(p, kind)
        if msg:
            raise ProjectError(f"{where}：{msg}", 2)
        return p

    def input_paths(self, period: str, known_sources: Iterable[str]) -> tuple[Path, dict[str, list[Path]]]:
        """This period's returns path and source paths, all checked to exist.

        :raises ProjectError: exit 3 for a missing input (not collected yet), exit 2 for a source
            name the rubric does not declare or a missing Word template.
        """
        returns = self.returns_path(period)
        if not returns.exists():
            raise ProjectError(
                f'本期回执 {returns} 不存在（{self.path}：[inputs] returns = "{self.inputs.returns}"）；'
                f"{period} 的报表可能尚未收齐",
                3,
            )
        known = list(known_sources)
        sources = self.source_paths(period)
        for name, paths in sources.items():
            if name not in known:
                names = "、".join(known) or "（规则未声明任何 sources 或 records）"
                raise ProjectError(
                    f"{self.path}：[sources] {name}：规则中没有这个来源或台账；规则声明的来源与台账：{names}",
                    2,
                )
            for sp in paths:
                if not sp.exists():
                    raise ProjectError(f"{self.path}：[sources] {name}：{sp} 不存在", 3)
        tpl = self.template_path
        if tpl is not None and not tpl.is_file():
            raise ProjectError(f"{self.path}：[templates] word：Word 模板 {tpl} 不存在", 2)
        if tpl is not None:
            from safescore.render.docx import TemplateError, check_template

            try:
                check_template(tpl)
            except TemplateError as exc:
                raise ProjectError(f"{self.path}：[templates] word：{exc}", 2) from None
        return returns, sources

    def doc_number(self, *, year: int, period: str, seq: int) -> str:
        return self.issuer.doc_number.format(year=year, period=period, seq=seq)


_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的配置项（拼写错误？）",
    "string_type": "应为文本（用英文双引号括起来）",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": '应为列表，如 ["json", "docx"]',
    "dict_type": "应为一个表（[节名]）",
    "model_type": "应为一个表（[节名]）",
}


_UNION_TAGS = frozenset({"str", "list[str]", "bool", "int"})


def _key_name(loc: tuple[Any, ...]) -> str:
    """('output', 'formats', 0) → ``[output] formats[0]``; the way an editor user finds it."""
    # pydantic adds union-member tags ('str', 'list[str]') to the location; they are not keys
    parts = [str(x) for x in loc if str(x) not in _UNION_TAGS and not str(x).startswith("function-")]
    if not parts:
        return "（文件顶层）"
    head, rest = parts[0], parts[1:]
    if not rest:
        return f"[{head}]"
    key = rest[0] + "".join(f"[{x}]" if x.isdigit() else f".{x}" for x in rest[1:])
    return f"[{head}] {key}"


def _explain(exc: ValidationError, path: Path) -> str:
    lines = []
    for err in exc.errors():
        msg = _MESSAGES.get(err["type"]) or str(err.get("msg", "")).removeprefix("Value error, ")
        lines.append(f"{path}：{_key_name(tuple(err['loc']))}：{msg}")
    return "\n".join(lines)


def load_config(path: Path) -> ProjectConfig:
    """Read and validate ``safescore.toml``; raise :class:`ConfigError` naming file and key.

    >>> cfg = load_config(Path("/srv/anquan/safescore.toml"))  # doctest: +SKIP
    >>> cfg.output_dir("2022Q1")  # doctest: +SKIP
    PosixPath('/srv/anquan/out/2022Q1')
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"项目配置 {path} 不存在；可先运行 safescore init 创建") from None
    except OSError as exc:
        raise ConfigError(f"无法读取项目配置 {path}：{exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}：不是 UTF-8 编码的文本，请用 UTF-8 保存") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}：TOML 语法错误：{exc}") from None
    for reserved in ("root", "path"):
        if reserved in data:  # these are computed, never read from the file
            raise ConfigError(f"{path}：[{reserved}]：不认识的配置项（拼写错误？）")
    root = path.resolve().parent
    try:
        return ProjectConfig.model_validate({**data, "root": root, "path": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path)) from None


def find_config(start: Path) -> Path | None:
    """``safescore.toml`` in ``start`` or the nearest parent folder, like git finds ``.git``."""
    here = Path(start).resolve()
    if here.is_file():
        return here if here.name == CONFIG_NAME else None
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def last_ended_period(kind: str, today: dt.date) -> str:
    """The most recent period of ``kind`` that has fully ended before ``today``.

    Cron starts the batch just after a period closes, so this is the one to score:
    on 2026-11-23 → quarter 2026Q3, month 2026-10, half 2026H1, year 2025.
    """
    y, m = today.year, today.month
    if kind == "month":
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        return f"{y}-{m:02d}"
    if kind == "quarter":
        q = (m - 1) // 3  # quarters finished this year
        return f"{y}Q{q}" if q else f"{y - 1}Q4"
    if kind == "half":
        return f"{y}H1" if m > 6 else f"{y - 1}H2"
    if kind == "year":
        return str(y - 1)
    raise ValueError(f"未知的期间类型 {kind}")
