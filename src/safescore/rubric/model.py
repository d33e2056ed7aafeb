"""The rubric (考核评分细则) as pydantic models.

Numbers are :class:`~decimal.Decimal`; YAML floats are converted through their
shortest text so ``0.75`` is exactly ``Decimal("0.75")``. Models are frozen and
reject unknown keys, so a typo in a rubric is an error with its YAML line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from safescore.rubric.model_base import PERIOD_KINDS, Ident, ItemId, Model, Num, PerGroupNum
from safescore.rubric.model_records import (
    OVERDUE_COLUMNS,
    Derive,
    Ladder,
    LadderStep,
    Overdue,
    RecordColumn,
    RecordColumnType,
    RecordList,
    WarningRule,
)
from safescore.rubric.model_rules import (
    RULE_KINDS,
    Band,
    BandsRule,
    CheckRule,
    DeductRule,
    FormulaRule,
    LinearRule,
    PerRule,
    RankRule,
    RateRule,
    RelativeRule,
    Rule,
    ScoreRule,
    TargetRule,
    ValueRule,
)

__all__ = [  # the models live in three modules; ``rubric.model`` is where everyone imports them
    "OVERDUE_COLUMNS",
    "PERIOD_KINDS",
    "RULE_KINDS",
    "Band",
    "BandsRule",
    "CheckRule",
    "DeductRule",
    "Derive",
    "FormulaRule",
    "Ident",
    "ItemId",
    "Ladder",
    "LadderStep",
    "LinearRule",
    "Model",
    "Num",
    "Overdue",
    "PerGroupNum",
    "PerRule",
    "RankRule",
    "RateRule",
    "RecordColumn",
    "RecordColumnType",
    "RecordList",
    "RelativeRule",
    "Rule",
    "ScoreRule",
    "TargetRule",
    "ValueRule",
    "WarningRule",
]


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
    """A per-unit constant: inline ``values`` and/or a ``table`` file column (``column``, else the
    column headed by the target's name or title, SPEC 4.2)."""

    title: str
    default: Num | None = None
    values: dict[str, Num] = {}
    table: str | None = None
    column: str | None = None

    @model_validator(mode="after")
    def _column_needs_table(self) -> Target:
        # without `column` the table's column is the one headed by the target's name or title
        if self.column and not self.table:
            raise ValueError("column 需要与 table（目标值表）一起给出")
        return self


class Source(Model):
    title: str


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

    @model_validator(mode="after")
    def _mark_percent_values(self) -> Rubric:
        # A rule whose value is a bare percent field quotes it as a percentage in reasons.
        for it in self.all_items():
            rule = it.rule
            if isinstance(rule, ValueRule):
                fd = self.fields.get(rule.value.strip())
                rule._percent = fd is not None and fd.type == "percent"
        return self

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
