"""Deduction reasons in Chinese, written from the rule and the unit's numbers.

``未整改隐患6处，每处扣2分，扣12分`` comes from a ``deduct`` rule on the item
``未整改隐患`` with field unit ``处``. An item's ``reason:`` template overrides
the generated text for an ordinary deduction (not for missing data, which always
says 未填报).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from safescore.rubric import model as m

REASON_PLACES = 4
HUNDRED = Decimal(100)

STATUS_TEXT = {
    "missing": "未填报",
    "invalid": "数据无效",
    "no-value": "无法计算",
    "unscored": "未评分",
}


def fmt(d: Any) -> str:
    """Decimal without trailing zeros or exponent: 12.00 → 12, 3.380 → 3.38."""
    if isinstance(d, bool):
        return "是" if d else "否"
    if isinstance(d, Decimal):
        if d == d.to_integral_value():
            return str(d.quantize(Decimal(1)))
        exp = d.as_tuple().exponent
        if isinstance(exp, int) and exp < -REASON_PLACES:
            # a quotient such as 33.333333…: readable in a bulletin, never used for scoring
            d = d.quantize(Decimal(1).scaleb(-REASON_PLACES), rounding=ROUND_HALF_UP)
        return format(d.normalize(), "f")
    if d is None:
        return "—"
    return str(d)


def pct(d: Decimal | None) -> str:
    """A fraction as a percentage: 0.955 → 95.5%."""
    if d is None:
        return "—"
    return fmt(d * 100) + "%"


@dataclass
class ReasonInput:
    item: m.Item
    unit_word: str
    value: Any
    score: Decimal
    lost: Decimal
    points: Decimal | None
    params: dict[str, Any]
    flags: dict[str, bool]
    value_label: str
    source_title: str = ""


def is_percent(rule: m.Rule) -> bool:
    """Whether the rule's value is a percentage (a rate, or a bare ``percent`` field)."""
    return isinstance(rule, m.RateRule) or (isinstance(rule, m.ValueRule) and rule.percent)


def _show(rule: m.Rule, d: Any) -> str:
    """A value of the rule as an officer reads it: 95% for a percentage, else the number."""
    return pct(d) if is_percent(rule) and isinstance(d, Decimal) else fmt(d)


def _template_values(ri: ReasonInput) -> dict[str, str]:
    rule = ri.item.rule
    v = {
        "title": ri.item.title,
        "value": _show(rule, ri.value),
        "lost": fmt(ri.lost),
        "score": fmt(ri.score),
        "points": fmt(ri.points),
        "unit": ri.unit_word,
    }
    for k in ("miss", "count", "target"):
        v[k] = fmt(ri.params.get(k))
    if isinstance(rule, m.TargetRule) and rule.percent:
        # a percent target's miss is a fraction: quote it in percentage points, as `rate` does
        v["target"] = _show(rule, ri.params.get("target"))
        miss = ri.params.get("miss")
        v["miss"] = fmt(miss * HUNDRED) if isinstance(miss, Decimal) else fmt(miss)
    return v


def deduction_reason(ri: ReasonInput) -> str:
    """Text for a unit that lost points on an item (or gained, for bonus)."""
    rule = ri.item.rule
    if ri.item.reason:
        try:
            return ri.item.reason.format(**_template_values(ri))
        except (KeyError, IndexError, ValueError):
            pass  # a template the checker let through should still not crash scoring
    t, u, lost = ri.item.title, ri.unit_word, fmt(ri.lost)
    label = ri.value_label or t
    if isinstance(rule, m.CheckRule):
        return f"{t}：未达到要求，扣{lost}分"
    if isinstance(rule, m.DeductRule):
        text = f"{t}{fmt(ri.params.get('count'))}{u}，每{u}扣{fmt(rule.per)}分，扣{lost}分"
        return text + "（扣完为止）" if ri.flags.get("capped") else text
    if isinstance(rule, m.RateRule):
        if ri.flags.get("zero_below"):
            return f"{label}{pct(ri.value)}，低于{pct(rule.zero_below)}，不得分"
        if rule.per_point is None:
            return f"{label}{pct(ri.value)}，未达到{pct(rule.full)}，扣{lost}分"
        miss = fmt(ri.params.get("miss"))
        return f"{label}{pct(ri.value)}，低于{pct(rule.full)}要求{miss}个百分点，每个百分点扣{fmt(rule.per_point)}分，扣{lost}分"
    if isinstance(rule, m.TargetRule) and rule.percent:
        return _target_percent_reason(ri, rule, label, lost)
    if isinstance(rule, m.TargetRule):
        target, miss = fmt(ri.params.get("target")), fmt(ri.params.get("miss"))
        head = f"{label}{fmt(ri.value)}{u}，目标{target}{u}"
        side = "超出" if rule.better == "lower" else "差"
        if ri.flags.get("zero_beyond"):
            return f"{head}，{side}{miss}{u}，超过目标的{pct(rule.zero_beyond)}，不得分"
        if rule.per is None:
            return f"{head}，{side}{miss}{u}，未达到目标，扣{lost}分"
        each = f"每{u}" if u else f"每{side}1"  # no unit word: 每差1扣15分, never 每扣15分
        return f"{head}，{side}{miss}{u}，{each}扣{fmt(rule.per)}分，扣{lost}分"
    if isinstance(rule, m.BandsRule):
        if ri.flags.get("no_band"):
            return f"{label}{_show(rule, ri.value)}，不在任何分档内，不得分"
        return f"{label}{_show(rule, ri.value)}，按分档得{fmt(ri.score)}分，扣{lost}分"
    if isinstance(rule, m.LinearRule):
        span = f"{_show(rule, rule.from_)}至{_show(rule, rule.to)}"
        return f"{label}{_show(rule, ri.value)}，按{span}线性计分得{fmt(ri.score)}分，扣{lost}分"
    if isinstance(rule, m.RelativeRule):
        best = _show(rule, ri.params.get("best"))
        return f"{label}{_show(rule, ri.value)}，同组最优{best}，按比例得{fmt(ri.score)}分，扣{lost}分"
    if isinstance(rule, m.RankRule):
        rank = fmt(ri.params.get("rank"))
        return f"{label}{_show(rule, ri.value)}，组内第{rank}名，得{fmt(ri.score)}分，扣{lost}分"
    if isinstance(rule, m.FormulaRule):
        return f"{t}：按公式计算得{fmt(ri.score)}分，扣{lost}分"
    return f"{t}：扣{lost}分"


def _target_percent_reason(ri: ReasonInput, rule: m.TargetRule, label: str, lost: str) -> str:
    """A target on a percent field, in percentage points: 隐患整改率85%，目标90%，差5个百分点…."""
    miss = ri.params.get("miss")
    points = fmt(miss * HUNDRED) if isinstance(miss, Decimal) else fmt(miss)
    head = f"{label}{_show(rule, ri.value)}，目标{_show(rule, ri.params.get('target'))}"
    side = "超出" if rule.better == "lower" else "差"
    if ri.flags.get("zero_beyond"):
        return f"{head}，{side}{points}个百分点，超过目标的{pct(rule.zero_beyond)}，不得分"
    if rule.per is None:
        return f"{head}，{side}{points}个百分点，未达到目标，扣{lost}分"
    # per is per whole unit (1.0 = 100%), so per percentage point it is per / 100
    return f"{head}，{side}{points}个百分点，每个百分点扣{fmt(rule.per / HUNDRED)}分，扣{lost}分"


def bonus_reason(ri: ReasonInput, sign: str) -> str:
    """Text for a bonus (sign 加) or penalty (sign 减) item that applied."""
    rule = ri.item.rule
    if ri.item.reason:
        try:
            return ri.item.reason.format(**_template_values(ri))
        except (KeyError, IndexError, ValueError):
            pass
    u = ri.unit_word
    if isinstance(rule, m.PerRule):
        text = f"{ri.item.title}{fmt(ri.params.get('count'))}{u}，每{u}{sign}{fmt(rule.per)}分，{sign}{fmt(ri.score)}分"
        return text + f"（最多{sign}{fmt(rule.cap)}分）" if ri.flags.get("capped") else text
    return f"{ri.item.title}：{sign}{fmt(ri.score)}分"


def status_reason(status: str, labels: list[str], detail: str = "") -> str:
    """Text for an item that could not be scored normally."""
    head = STATUS_TEXT.get(status, status)
    if status in ("missing", "invalid") and labels:
        return f"{head}：{'、'.join(labels)}，不得分"
    if status == "no-value":
        return f"{head}（{detail or '分母为0'}），不得分"
    return head
