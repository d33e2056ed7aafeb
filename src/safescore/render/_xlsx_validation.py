"""The value cells of a template: number format, fill hint and data validation (SPEC 4.1).

A value cell's input message carries the 评分标准 of every item that reads the field, and
its data validation refuses what the reader would refuse, within Excel's own limits.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl.worksheet.datavalidation import DataValidation

from safescore.rubric.model import FieldDef, Rubric

PROMPT_MAX = 255  # Excel's limits for data-validation texts
TITLE_MAX = 32


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


PERCENT_HINT = "可填 95%、95 或 0.95，均按 95% 计"
_INT_SPAN = (Decimal(-2_147_483_648), Decimal(2_147_483_647))  # Excel's whole-number range


def fmt(d: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (``1E+2`` → ``100``)."""
    return format(d.normalize(), "f")


def show_value(value: Decimal, fd: FieldDef) -> str:
    """A value in the field's terms: fractions as percentages, else number plus unit."""
    if fd.type == "percent":
        return f"{fmt(value * 100)}%"
    return f"{fmt(value)}{fd.unit or ''}"


def _bounds(fd: FieldDef) -> tuple[Decimal | None, Decimal | None]:
    # a bound naming another field is checked by the reader (cross-field), not by Excel
    lo = fd.min if isinstance(fd.min, Decimal) else None
    hi = fd.max if isinstance(fd.max, Decimal) else None
    if fd.type == "percent":
        lo = Decimal(0) if lo is None else lo
        hi = Decimal(1) if hi is None else hi
    return lo, hi


def _range_text(lo: Decimal | None, hi: Decimal | None, fd: FieldDef) -> str:
    def show(d: Decimal) -> str:
        return show_value(d, fd)

    if lo is not None and hi is not None:
        return f"{show(lo)}～{show(hi)}"
    if lo is not None:
        return f"不小于{show(lo)}"
    if hi is not None:
        return f"不大于{show(hi)}"
    return ""


def _other_bounds(fd: FieldDef, rubric: Rubric) -> str:
    words = []
    for bound, word in ((fd.min, "不小于"), (fd.max, "不大于")):
        if isinstance(bound, str) and bound in rubric.fields:
            words.append(f"{word}“{rubric.fields[bound].label}”")
    return "，".join(words)


def fill_hint(fd: FieldDef, rubric: Rubric) -> str:
    """How to fill the value cell, in one short sentence (used in prompts and error messages)."""
    lo, hi = _bounds(fd)
    span = _range_text(lo, hi, fd)
    extra = _other_bounds(fd, rubric)
    limits = "，".join(p for p in (span, extra) if p)
    limits = f"（{limits}）" if limits else ""
    if fd.type == "bool":
        return "从下拉列表选择“是”或“否”"
    if fd.type == "choice":
        return "从下拉列表选择：" + "、".join(fd.choices or [])
    if fd.type == "percent":
        return f"填写百分比{limits}，{PERCENT_HINT}"
    if fd.type == "int":
        return f"填写整数{limits}"
    if fd.type == "number":
        return f"填写数字{limits}"
    if fd.type == "date":
        return "填写日期，如 2022-03-05"
    return "填写文字"


def number_format(fd: FieldDef) -> str:
    """Cell number format for the value cell."""
    return {"int": "0", "percent": "0.0%", "date": "yyyy-mm-dd", "text": "@"}.get(fd.type, "General")


def _list_formula(choices: list[str]) -> str | None:
    # an inline list must stay under 255 characters and cannot hold commas or quotes
    inline = ",".join(choices)
    if len(inline) > 250 or any("," in c or '"' in c for c in choices):
        return None
    return f'"{inline}"'


def validation(fd: FieldDef, rubric: Rubric, basis: str, list_ref: str | None = None) -> DataValidation:
    """A data validation for one value cell, whose input message carries the 评分标准.

    ``list_ref`` is a sheet range holding the choices when they cannot be inline.
    """
    hint = fill_hint(fd, rubric)
    lo, hi = _bounds(fd)
    kw: dict[str, object] = {}
    if fd.type in ("int", "number", "percent"):
        kw["type"] = "whole" if fd.type == "int" else "decimal"
        if lo is not None and hi is not None:
            kw.update(operator="between", formula1=fmt(lo), formula2=fmt(hi))
        elif lo is not None:
            kw.update(operator="greaterThanOrEqual", formula1=fmt(lo))
        elif hi is not None:
            kw.update(operator="lessThanOrEqual", formula1=fmt(hi))
        else:
            kw.update(operator="between", formula1=fmt(_INT_SPAN[0]), formula2=fmt(_INT_SPAN[1]))
    elif fd.type == "bool":
        kw.update(type="list", formula1='"是,否"')
    elif fd.type == "choice" and (formula := list_ref or _list_formula(fd.choices or [])):
        kw.update(type="list", formula1=formula)
    elif fd.type == "date":
        kw.update(type="date", operator="greaterThan", formula1="1")
    # Excel turns a typed 95 into 95% in a percent cell, other programs may keep 95:
    # warn instead of refusing, because the reader accepts 95 as 95% anyway.
    style = "warning" if fd.type == "percent" else "stop"
    lines = [hint]
    if fd.blank == "zero":
        lines.append("未发生可留空（按0计）")
    if fd.help:
        lines.append(fd.help)
    if basis:
        lines.append("评分标准：" + basis)
    title = fd.label + (f"（{fd.unit}）" if fd.unit else "")
    return DataValidation(
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=fd.type != "text",
        promptTitle=clip(title, TITLE_MAX),
        prompt=clip("\n".join(lines), PROMPT_MAX),
        errorTitle=clip("填写有误：" + fd.label, TITLE_MAX),
        error=clip(hint, PROMPT_MAX),
        errorStyle=style,
        **kw,  # type: ignore[arg-type]
    )


def needs_list_sheet(fd: FieldDef) -> bool:
    """True when a choice field's options must live in cells rather than inline."""
    return fd.type == "choice" and _list_formula(fd.choices or []) is None


def score_validation(title: str, basis: str, points: Decimal | None, word: str) -> DataValidation:
    """Decimal 0..points for a 自评分 cell, its prompt carrying the item's 评分标准."""
    limit = f"0～{fmt(points)}分" if points is not None else "不小于0"
    return DataValidation(
        type="decimal",
        operator="between" if points is not None else "greaterThanOrEqual",
        formula1="0",
        formula2=fmt(points) if points is not None else None,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle=clip(title, TITLE_MAX),
        prompt=clip(f"{word}（{limit}）。评分标准：{basis}", PROMPT_MAX),
        errorTitle="自评分有误",
        error=clip(f"{word}，范围 {limit}", PROMPT_MAX),
    )
