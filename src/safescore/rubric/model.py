"""The rubric (考核评分细则) as pydantic models.

Numbers are :class:`~decimal.Decimal`; YAML floats are converted through their
shortest text so ``0.75`` is exactly ``Decimal("0.75")``. Models are frozen and
reject unknown keys, so a typo in a rubric is an error with its YAML line.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from safescore.limits import EXPECTED as LIMITS_EXPECTED
from safescore.limits import is_sane


def _to_decimal(v: Any) -> Any:
    d: Decimal | None = None
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        d = Decimal(repr(v))
    elif isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, str) and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", v.strip()):
        d = Decimal(v.strip())
    if d is None:
        return v
    if not is_sane(d):
        raise ValueError(f"数值 {v} 超出范围（应为{LIMITS_EXPECTED}）")
    return d


Num = Annotated[Decimal, BeforeValidator(_to_decimal)]
Ident = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
PerGroupNum = Num | dict[str, Num]

PERIOD_KINDS = ("month", "quarter", "half", "year")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Callout(Model):
    top: int | None = Field(default=None, ge=1)
    bottom: int | None = Field(default=None, ge=1)


class Group(Model):
    id: Ident
    title: str
    callout: Callout | None = None


class Unit(Model):
    name: str
    group: str
    aliases: list[str] = []
    attributes: dict[str, Any] = {}


FieldType = Literal["int", "number", "percent", "bool", "text", "choice", "date"]


class FieldDef(Model):
    """A value a unit reports or an assessor gives. ``min``/``max`` may name another field."""

    label: str
    type: FieldType = "number"
    min: Num | str | None = None
    max: Num | str | None = None
    unit: str | None = None  # 计量单位 shown in forms and reasons (次, 处, 人)
    blank: Literal["missing", "zero"] = "missing"
    choices: list[str] | None = None
    aliases: list[str] = []  # other header texts that mean this field
    help: str | None = None

    @model_validator(mode="after")
    def _choices(self) -> FieldDef:
        if self.type == "choice" and not self.choices:
            raise ValueError("type: choice 需要 choices 列表")
        return self


class Target(Model):
    """A per-unit constant: inline ``values`` and/or a ``table`` file column."""

    title: str
    default: Num | None = None
    values: dict[str, Num] = {}
    table: str | None = None
    column: str | None = None

    @model_validator(mode="after")
    def _table_column(self) -> Target:
        if self.table and not self.column:
            raise ValueError("table 需要同时给出 column（目标值所在列）")
        return self


class Source(Model):
    title: str


# --- rule kinds (SPEC 3.1) ---------------------------------------------------


class CheckRule(Model):
    kind: Literal["check"]
    when: str
    else_: Num = Field(default=Decimal(0), alias="else")


class DeductRule(Model):
    kind: Literal["deduct"]
    count: str
    per: Num
    max: Num | None = None


class RateRule(Model):
    kind: Literal["rate"]
    value: str
    full: Num = Decimal(1)
    per_point: Num | None = None
    zero_below: Num | None = None


class TargetRule(Model):
    kind: Literal["target"]
    value: str
    target: Num | str
    better: Literal["lower", "higher"] = "higher"
    per: Num | None = None
    zero_beyond: Num | None = None


class Band(Model):
    min: Num | None = None
    max: Num | None = None
    score: Num


class BandsRule(Model):
    kind: Literal["bands"]
    value: str
    bands: list[Band] = Field(min_length=1)


class LinearRule(Model):
    kind: Literal["linear"]
    value: str
    from_: Num = Field(alias="from")
    to: Num

    @model_validator(mode="after")
    def _span(self) -> LinearRule:
        if self.from_ == self.to:
            raise ValueError("linear 的 from 与 to 不能相等")
        return self


class RelativeRule(Model):
    kind: Literal["relative"]
    value: str
    best: Literal["max", "min"] = "max"


class RankRule(Model):
    kind: Literal["rank"]
    value: str
    order: Literal["desc", "asc"] = "desc"
    step: Num


class ScoreRule(Model):
    kind: Literal["score"]
    as_: Literal["score", "deduction"] = Field(default="deduction", alias="as")


class FormulaRule(Model):
    kind: Literal["formula"]
    expr: str


class PerRule(Model):
    kind: Literal["per"]
    count: str
    per: Num
    cap: Num | None = None


Rule = Annotated[
    CheckRule
    | DeductRule
    | RateRule
    | TargetRule
    | BandsRule
    | LinearRule
    | RelativeRule
    | RankRule
    | ScoreRule
    | FormulaRule
    | PerRule,
    Field(discriminator="kind"),
]

RULE_KINDS = (
    "check",
    "deduct",
    "rate",
    "target",
    "bands",
    "linear",
    "relative",
    "rank",
    "score",
    "formula",
    "per",
)


class Item(Model):
    """A scored indicator (考核指标). ``points`` may differ per group."""

    id: ItemId
    title: str
    points: PerGroupNum | None = None
    basis: str | None = None  # 评分标准 text
    rule: Rule
    source: str = "return"
    groups: list[str] | None = None
    reason: str | None = None  # template: {title} {value} {miss} {lost} {score} {points} {count} {target}

    def points_for(self, group: str) -> Decimal | None:
        if isinstance(self.points, dict):
            return self.points.get(group)
        return self.points

    def applies_to(self, group: str) -> bool:
        if self.groups is not None and group not in self.groups:
            return False
        return not (isinstance(self.points, dict) and group not in self.points)


class Section(Model):
    """一级指标: points (or a weight), per group where they differ."""

    id: ItemId
    title: str
    points: PerGroupNum | None = None
    weight: PerGroupNum | None = None
    groups: list[str] | None = None
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _points_or_weight(self) -> Section:
        if self.points is not None and self.weight is not None:
            raise ValueError("一级指标只能给出 points 或 weight 之一")
        return self

    def applies_to(self, group: str) -> bool:
        if self.groups is not None and group not in self.groups:
            return False
        for per_group in (self.points, self.weight):
            if isinstance(per_group, dict) and group not in per_group:
                return False
        return True

    def items_for(self, group: str) -> list[Item]:
        return [i for i in self.items if i.applies_to(group)]

    def weight_for(self, group: str) -> Decimal | None:
        if isinstance(self.weight, dict):
            return self.weight.get(group)
        return self.weight

    def declared_points_for(self, group: str) -> Decimal | None:
        if isinstance(self.points, dict):
            return self.points.get(group)
        return self.points


class Adjustments(Model):
    """加分 or 减分 block: items outside the sections, with an overall cap."""

    cap: Num | None = None
    items: list[Item] = []


class CapEffect(Model):
    cap: Num


class MaxGradeEffect(Model):
    max_grade: str


VetoEffect = Literal["fail", "zero"] | CapEffect | MaxGradeEffect


class Veto(Model):
    id: ItemId
    title: str
    when: str
    effect: VetoEffect = "fail"
    groups: list[str] | None = None


class Grade(Model):
    name: str
    min: Num | None = None
    quota: Num | None = Field(default=None, ge=0, le=1)
    color: str | None = None


class AnnualWeights(Model):
    weights: dict[str, Num]


class Annual(Model):
    combine: Literal["mean", "sum"] | AnnualWeights = "mean"
    veto: Literal["any", "none"] = "any"
    missing: Literal["error", "zero", "skip"] = "error"


class SelfCheck(Model):
    tolerance: Num = Decimal(0)


# --- record lists, derived fields, warnings, ladders (SPEC 3.5, 3.6, 4.3) -------------

RecordColumnType = Literal["text", "choice", "date", "int", "number", "bool"]
OVERDUE_COLUMNS = ("overdue", "days_overdue")  # computed per record when ``overdue`` is set


class RecordColumn(Model):
    """One mapped column of a record list: its header text and how cells are cleaned."""

    title: str
    type: RecordColumnType = "text"
    choices: list[str] | None = None
    aliases: list[str] = []


def _record_column(v: Any) -> Any:
    # the short form ``level: 隐患等级`` is a text column headed 隐患等级
    return {"title": v} if isinstance(v, str) else v


class Overdue(Model):
    """How a record is overdue: its ``due`` date has passed and ``done`` does not hold."""

    due: Ident  # a date column
    done: str  # expression over the columns, e.g. "status == '已整改'"
    title: str = "逾期未整改"


class RecordList(Model):
    """A 台账/清单 declared with its column mapping; ``unit`` names the unit column.

    ``date`` is the column that places a record in time (default: a date column
    keyed ``date``); derived fields count the scored period by it, warnings and
    ladders look back along it.
    """

    title: str
    columns: dict[Ident, Annotated[RecordColumn, BeforeValidator(_record_column)]]
    sheet: str | None = None
    date: Ident | None = None
    overdue: Overdue | None = None

    def date_column(self) -> str | None:
        if self.date is not None:
            return self.date
        col = self.columns.get("date")
        return "date" if col is not None and col.type == "date" else None


class Derive(Model):
    """A field computed from a record list: a count (default) or the sum of a column.

    ``span`` picks the records by their date: the scored ``period``, the year up to
    the period's end (``ytd``), or ``all`` records whatever their date.
    """

    records: Ident
    count: bool | None = None
    sum: Ident | None = None
    where: str | None = None
    span: Literal["period", "ytd", "all"] = "period"

    @model_validator(mode="after")
    def _count_or_sum(self) -> Derive:
        if self.sum is not None and self.count:
            raise ValueError("派生字段只能给出 count: true 或 sum 之一")
        if self.sum is None and self.count is False:
            raise ValueError("派生字段需要 count: true 或 sum: 列名")
        return self


class WarningRule(Model):
    """A warning notice (警示) computed from a record list over time (Qingdao).

    ``within_days`` + ``at_least``: that many matching records within that many days
    of each other, the latest in the scored period. ``rising`` + ``months``: the count
    and/or column sums up year on year in that many consecutive months.
    """

    id: ItemId
    title: str
    records: Ident
    where: str | None = None
    within_days: int | None = Field(default=None, ge=1, le=3660)
    at_least: int = Field(default=2, ge=1)
    rising: list[str] | None = Field(default=None, min_length=1)
    months: int = Field(default=2, ge=1, le=24)
    penalty: Num = Decimal(0)
    groups: list[str] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> WarningRule:
        if (self.within_days is None) == (self.rising is None):
            raise ValueError("预警需要 within_days（时间窗口）或 rising（同比上升）之一")
        if self.penalty < 0:
            raise ValueError("预警扣分 penalty 不能为负数")
        return self


class LadderStep(Model):
    at: int | None = Field(default=None, ge=0)
    above: int | None = Field(default=None, ge=0)
    action: str

    @model_validator(mode="after")
    def _one_bound(self) -> LadderStep:
        if (self.at is None) == (self.above is None):
            raise ValueError("阶梯的每一档需要 at（达到）或 above（超过）之一")
        return self

    def reached(self, count: Decimal) -> bool:
        return count >= self.at if self.at is not None else count > (self.above or 0)

    def threshold(self) -> Decimal:
        """Sort key: ``above: 3`` lies just past ``at: 3``."""
        return Decimal(self.at) if self.at is not None else Decimal(self.above or 0) + Decimal("0.5")


class Ladder(Model):
    """An escalation ladder (Ezhou exposures): the last step reached by a cumulative count.

    ``count`` is an expression over fields (a reported or derived cumulative count);
    or ``records`` (+ ``where``) counts the list's records from 1 January up to the
    end of the scored period.
    """

    id: ItemId
    title: str
    count: str | None = None
    records: Ident | None = None
    where: str | None = None
    steps: list[LadderStep] = Field(min_length=1)
    groups: list[str] | None = None

    @model_validator(mode="after")
    def _one_count(self) -> Ladder:
        if (self.count is None) == (self.records is None):
            raise ValueError("阶梯需要 count（字段）或 records（台账）之一")
        if self.where is not None and self.records is None:
            raise ValueError("where 只能与 records 一起使用")
        return self

    def step_for(self, count: Decimal) -> LadderStep | None:
        return next((s for s in reversed(self.steps) if s.reached(count)), None)


class Rubric(Model):
    """A whole rubric file. ``path`` is set by the loader (for relative tables)."""

    rubric: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    version: str = "1"
    period: Literal["month", "quarter", "half", "year"] = "quarter"
    scale: PerGroupNum = Decimal(100)
    decimals: int = Field(default=2, ge=0, le=6)
    groups: list[Group] = Field(min_length=1)
    units: list[Unit] = []
    fields: dict[Ident, FieldDef] = {}
    targets: dict[Ident, Target] = {}
    sources: dict[Ident, Source] = {}
    records: dict[Ident, RecordList] = {}
    derive: dict[Ident, Derive] = {}
    sections: list[Section] = Field(min_length=1)
    bonus: Adjustments = Adjustments()
    penalty: Adjustments = Adjustments()
    veto: list[Veto] = []
    grades: list[Grade] | dict[str, list[Grade]] = []
    quota_ties: Literal["demote", "admit"] = "demote"
    tiebreak: list[str] = []
    annual: Annual = Annual()
    self_check: SelfCheck | None = None
    warnings: list[WarningRule] = []
    ladders: list[Ladder] = []
    path: str | None = Field(default=None, exclude=True)
    sha256: str | None = Field(default=None, exclude=True)

    @field_validator("fields")
    @classmethod
    def _reserved(cls, v: dict[str, FieldDef]) -> dict[str, FieldDef]:
        for name in v:
            if name in {"and", "or", "not", "if_", "min", "max", "abs", "round", "True", "False"}:
                raise ValueError(f"字段名 {name} 是表达式保留字")
        return v

    # -- lookups used everywhere -------------------------------------------
    def group_ids(self) -> list[str]:
        return [g.id for g in self.groups]

    def group(self, gid: str) -> Group:
        for g in self.groups:
            if g.id == gid:
                return g
        raise KeyError(gid)

    def scale_for(self, group: str) -> Decimal:
        if isinstance(self.scale, dict):
            return self.scale.get(group, Decimal(0))
        return self.scale

    def sections_for(self, group: str) -> list[Section]:
        return [s for s in self.sections if s.applies_to(group) and s.items_for(group)]

    def grades_for(self, group: str) -> list[Grade]:
        if isinstance(self.grades, dict):
            return self.grades.get(group, [])
        return self.grades

    def all_items(self) -> list[Item]:
        out = [i for s in self.sections for i in s.items]
        return out + list(self.bonus.items) + list(self.penalty.items)

    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.all_items()}

    def veto_for(self, group: str) -> list[Veto]:
        return [v for v in self.veto if v.groups is None or group in v.groups]

    def warnings_for(self, group: str) -> list[WarningRule]:
        return [w for w in self.warnings if w.groups is None or group in w.groups]

    def ladders_for(self, group: str) -> list[Ladder]:
        return [lad for lad in self.ladders if lad.groups is None or group in lad.groups]
