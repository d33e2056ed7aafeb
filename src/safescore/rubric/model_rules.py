"""The rule kinds of an item (SPEC 3.1), one pydantic model each, told apart by ``kind``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, model_validator

from safescore.rubric.model_base import Model, Num

# --- rule kinds (SPEC 3.1) ---------------------------------------------------


class ValueRule(Model):
    """A rule that looks at one ``value``. ``percent`` is set by the rubric when that value
    is a bare ``percent`` field, so reasons show 95% rather than the fraction 0.95."""

    _percent: bool = PrivateAttr(default=False)

    @property
    def percent(self) -> bool:
        return self._percent


class CheckRule(Model):
    kind: Literal["check"]
    when: str
    else_: Num = Field(default=Decimal(0), alias="else")


class DeductRule(Model):
    kind: Literal["deduct"]
    count: str
    per: Num
    max: Num | None = None


class RateRule(ValueRule):
    kind: Literal["rate"]
    value: str
    full: Num = Decimal(1)
    per_point: Num | None = None
    zero_below: Num | None = None


class TargetRule(ValueRule):
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


class BandsRule(ValueRule):
    kind: Literal["bands"]
    value: str
    bands: list[Band] = Field(min_length=1)


class LinearRule(ValueRule):
    kind: Literal["linear"]
    value: str
    from_: Num = Field(alias="from")
    to: Num

    @model_validator(mode="after")
    def _span(self) -> LinearRule:
        if self.from_ == self.to:
            raise ValueError("linear 的 from 与 to 不能相等")
        return self


class RelativeRule(ValueRule):
    kind: Literal["relative"]
    value: str
    best: Literal["max", "min"] = "max"


class RankRule(ValueRule):
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
