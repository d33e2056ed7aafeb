"""Limits: plausible numbers anywhere, and how much of an input file is ever read.

Assessment numbers are counts, rates and points. A value beyond these bounds is a
typo or hostile input, and would make exact arithmetic needlessly huge or slow.

Input files come from hundreds of outside parties, so their size is capped before
anything expensive happens (SPEC 9). Each cap has a default and an environment
variable (see docs/hostile-inputs.md):

=========================== ========================== =============
variable                    what                       default
=========================== ========================== =============
SAFESCORE_MAX_UNZIPPED_MB   a file's total unzipped     100 (MiB)
                            size (an .xls/.csv: its
                            own size)
SAFESCORE_MAX_CELLS         cells of one sheet, padded  5,000,000
                            from A1 as readers allocate
SAFESCORE_MAX_ROWS          rows of one sheet           200,000
SAFESCORE_MAX_COLS          columns of one sheet        2,000
SAFESCORE_MAX_MERGED        merged ranges of one sheet  100,000
=========================== ========================== =============

Worst cases measured under the defaults (docs/hostile-inputs.md): peak memory well
under 1 GiB for any file the caps let through.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from safescore.problems import Problem, SafescoreError

MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_PLACES = 28  # Decimal's own default precision
EXPECTED = f"不超过 {MAX_INTEGER_DIGITS} 位整数、{MAX_DECIMAL_PLACES} 位小数的数字"

__all__ = [
    "DEFAULTS",
    "ENV_VARS",
    "EXPECTED",
    "InputLimits",
    "LimitError",
    "input_limits",
    "is_sane",
]


def is_sane(d: Decimal) -> bool:
    """True if ``d`` is finite and within the integer-digit and decimal-place limits."""
    if not d.is_finite():
        return False
    if d.is_zero():
        return True
    exp = d.as_tuple().exponent
    places = -exp if isinstance(exp, int) and exp < 0 else 0
    return d.adjusted() < MAX_INTEGER_DIGITS and places <= MAX_DECIMAL_PLACES


@dataclass(frozen=True)
class InputLimits:
    """How much of one input file is read; anything beyond is refused with a problem."""

    unzipped_bytes: int = 100 << 20
    cells: int = 5_000_000
    rows: int = 200_000
    cols: int = 2_000
    merged: int = 100_000

    def sheet_expected(self) -> str:
        """The 'expected' text of a sheet-too-large problem: every sheet cap and its variable."""
        return (
            f"每个工作表不超过 {self.rows} 行、{self.cols} 列、{self.cells} 个单元格、{self.merged} 个合并区域"
            "（可用环境变量 SAFESCORE_MAX_ROWS / SAFESCORE_MAX_COLS / SAFESCORE_MAX_CELLS / "
            "SAFESCORE_MAX_MERGED 调整）"
        )

    def bytes_expected(self) -> str:
        """The 'expected' text of a file-too-large problem."""
        return f"解压后不超过 {self.unzipped_bytes} 字节（可用环境变量 SAFESCORE_MAX_UNZIPPED_MB 调整）"


DEFAULTS = InputLimits()

# field -> (variable, multiplier from the variable's unit to the field's unit)
ENV_VARS: dict[str, tuple[str, int]] = {
    "unzipped_bytes": ("SAFESCORE_MAX_UNZIPPED_MB", 1 << 20),
    "cells": ("SAFESCORE_MAX_CELLS", 1),
    "rows": ("SAFESCORE_MAX_ROWS", 1),
    "cols": ("SAFESCORE_MAX_COLS", 1),
    "merged": ("SAFESCORE_MAX_MERGED", 1),
}
_CEILING = 1 << 40  # far beyond any real file; keeps products of caps in plain ints


class LimitError(SafescoreError):
    """A SAFESCORE_MAX_* variable is not a positive whole number (a usage error, exit code 2)."""


def input_limits(environ: Mapping[str, str] | None = None) -> InputLimits:
    """The limits in force: each ``SAFESCORE_MAX_*`` variable if set, else its default.

    An unset or empty variable means the default. Anything but a positive whole
    number raises :class:`LimitError`, so a typo never silently lifts a cap.

    >>> input_limits({"SAFESCORE_MAX_ROWS": "500000"}).rows
    500000
    """
    env = os.environ if environ is None else environ
    values: dict[str, int] = {}
    for name, (var, unit) in ENV_VARS.items():
        raw = env.get(var, "").strip().replace("_", "")
        if not raw:
            continue
        if not raw.isascii() or not raw.isdigit() or int(raw) <= 0 or int(raw) * unit > _CEILING:
            raise LimitError(
                Problem(
                    "limit-invalid",
                    f"环境变量 {var} 的值 {env.get(var)!r} 无效，应为正整数",
                    category="usage",
                    field=var,
                    value=str(env.get(var))[:100],
                    expected="正整数",
                )
            )
        values[name] = int(raw) * unit
    return InputLimits(**values) if values else DEFAULTS
