"""Record lists, derived fields, warnings and ladders in the rubric (SPEC 3.5, 3.6, 4.3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from safescore.rubric.model_base import Ident, ItemId, Model, Num

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
