"""Building blocks shared by the rubric models: exact numbers, identifiers, the frozen base model.

Numbers are :class:`~decimal.Decimal`; YAML floats are converted through their shortest text
so ``0.75`` is exactly ``Decimal("0.75")``. Models are frozen and reject unknown keys.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
