"""The bulletin (通报) and per-unit letters as plain data, shared by the HTML and Word renderers.

Everything a reader sees is decided here from a :class:`Result` and the issuer
options; the renderers only lay it out. Pure: no I/O, no output libraries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from safescore.engine.reasons import fmt
from safescore.render.files import source_epoch
from safescore.render.i18n import CN_NUM, Catalog, tr
from safescore.results.model import ItemScore, Result, UnitResult

__all__ = ["CN_NUM", "BulletinView", "Issuer", "LetterView", "bulletin_view", "letter_view", "period_label"]


def period_label(period: str | None, lang: str | None = "zh") -> str:
    """2022Q1 → 2022年第一季度; 2022-03 → 2022年3月; 2022H1 → 2022年上半年; 2022 → 2022年度
    (``lang="en"``: Q1 2022, March 2022, H1 2022, 2022)."""
    return tr(lang).period(period)


def issue_date() -> dt.date:
    """成文日期: today, or SOURCE_DATE_EPOCH's date so outputs are reproducible."""
    epoch = source_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).date()
    return dt.date.today()


def cn_date(d: dt.date, lang: str | None = "zh") -> str:
    """2022年4月15日 (``lang="en"``: 15 April 2022)."""
    return tr(lang).date(d)


@dataclass(frozen=True)
class Issuer:
    """Who signs the bulletin; from options or the project config."""

    name: str = "安全生产委员会办公室"  # 发文机关
    doc_number: str = ""  # 文号, e.g. 钢安办〔2022〕12号
    next_steps: tuple[str, ...] = (
        "各单位要对照问题清单逐项整改，于收到通报后15个工作日内将整改情况报送安委会办公室。",
        "排名靠后的单位要深刻剖析原因，主要负责人在安委会全体会议上作表态发言。",
        "安委会办公室将对整改情况进行跟踪督办，整改不力的将在下一期考评中从严扣分。",
    )
    date: dt.date | None = None
    rectify_days: int = 30  # 整改期限: days after the bulletin's date


def issuer_texts(issuer: Issuer, t: Catalog) -> tuple[str, tuple[str, ...]]:
    """The issuer's name and next steps in the output language: the built-in defaults are the
    tool's words and get translated; anything given in options or the config stays as given."""
    base = Issuer()
    name = t("issuer_default") if issuer.name == base.name else issuer.name
    steps = issuer.next_steps
    if steps == base.next_steps:
        steps = (t("next_step_1"), t("next_step_2"), t("next_step_3"))
    return name, steps


@dataclass(frozen=True)
class TrendPoint:
    """A unit in one period of its trend: the earlier stored periods, then this one."""

    period: str  # 2022Q1
    label: str  # 2022年第一季度 / Q1 2022
    total: str
    rank: int
    grade: str


@dataclass(frozen=True)
class RankRow:
    rank: int
    unit: str
    total: str
    grade: str
    change: str
    marks: tuple[str, ...]
    sections: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class GroupView:
    id: str
    title: str
    scale: str
    section_titles: tuple[str, ...]
    rows: tuple[RankRow, ...]
    commended: tuple[str, ...]
    called_out: tuple[str, ...]
    bottom_n: int | None


PROBLEM_LISTS_UP_TO = 300  # units; beyond this 附件2 would run to thousands of pages


def lists_problems(view: BulletinView) -> bool:
    """Whether the bulletin carries every unit's problem list as 附件2. A bulletin of thousands
    of units (Tianqu's enterprises) does not: the lists go out as letters and in results.xlsx."""
    return sum(len(g.rows) for g in view.groups) <= PROBLEM_LISTS_UP_TO


@dataclass(frozen=True)
class ReasonView:
    """One item's deductions across units: how many lost points, how many points in all."""

    item: str
    title: str
    units: int
    points_lost: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Deduction:
    item: str
    title: str
    points: str
    score: str
    lost: str
    reason: str
    evidence: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class LetterView:
    """A per-unit 反馈单."""

    unit: str
    group: str
    total: str
    rank: int
    group_size: int
    grade: str
    status: str
    sections: tuple[tuple[str, str, str], ...]  # (title, score, points)
    bonus: str
    penalty: str
    vetoes: tuple[str, ...]
    deductions: tuple[Deduction, ...]
    self_total: str | None
    deadline: str = ""  # 整改期限 for every item of the problem list
    trend: tuple[TrendPoint, ...] = ()  # earlier stored periods and this one, oldest first
    lang: str = "zh"


@dataclass(frozen=True)
class BulletinView:
    title: str
    issuer: str
    doc_number: str
    date: str
    period: str
    rubric_title: str
    overview: str
    groups: tuple[GroupView, ...]
    reasons: tuple[ReasonView, ...]
    vetoes: tuple[tuple[str, str], ...]  # (unit, veto title)
    warnings: tuple[tuple[str, str], ...]
    not_submitted: tuple[str, ...]
    next_steps: tuple[str, ...]
    letters: tuple[LetterView, ...] = field(default_factory=tuple)
    lang: str = "zh"


def _change(u: UnitResult, has_previous: bool, t: Catalog) -> str:
    from safescore.results.previous import rank_change

    change = rank_change(u, has_previous)
    return t("new") if change == "新" else change


def points_lost(it: ItemScore) -> Decimal:
    """Points an item cost the unit: points minus score, or for a penalty item (减分) its score,
    which is what it takes off the total."""
    return it.score if it.section == "penalty" else it.lost


def is_deduction(it: ItemScore) -> bool:
    """An item the unit is told about: it cost points (penalty items too), or an assessed item
    that was not scored normally (missing, invalid …). Bonus items never are."""
    if it.section == "bonus":
        return False
    return points_lost(it) > 0 or (it.section != "penalty" and it.status != "ok")


def _money(d: Decimal, places: int) -> str:
    return f"{d:.{places}f}"


def _trend(result: Result, u: UnitResult, t: Catalog) -> tuple[TrendPoint, ...]:
    """The unit's stored history and this period, when there is history to draw."""
    if not u.history or not result.period:
        return ()
    places = result.decimals
    points = [(p.period, p.total, p.rank, p.grade) for p in u.history]
    points.append((result.period, u.total, u.rank, u.grade))
    return tuple(
        TrendPoint(period, t.period(period), _money(total, places), rank, grade or "—")
        for period, total, rank, grade in points
    )


def letter_view(
    result: Result, u: UnitResult, issuer: Issuer | None = None, *, lang: str | None = None
) -> LetterView:
    """Everything one unit needs to see about its own score, with the rectification deadline.

    ``lang`` (default: the current language, Chinese unless set) chooses the tool's own words.
    """
    t = tr(lang)
    issuer = issuer or Issuer()
    deadline = t.date((issuer.date or issue_date()) + dt.timedelta(days=issuer.rectify_days))
    places = result.decimals
    group = next(g for g in result.groups if g.id == u.group)
    deductions = tuple(
        Deduction(
            it.id,
            it.title,
            "—" if it.points is None else fmt(it.points),
            "—" if it.section == "penalty" else _money(it.score, places),
            _money(points_lost(it), places),
            it.reason,
            it.evidence,
            " ".join(x for x in (it.source.sheet or "", it.source.cell or "") if x),
        )
        for it in u.items
        if is_deduction(it)
    )
    return LetterView(
        unit=u.unit,
        group=group.title,
        total=_money(u.total, places),
        rank=u.rank,
        group_size=group.size,
        grade=u.grade or "—",
        status=u.status,
        sections=tuple((s.title, _money(s.score, places), fmt(s.points)) for s in u.sections),
        bonus=_money(u.bonus, places),
        penalty=_money(u.penalty, places),
        vetoes=tuple(v.title for v in u.vetoes),
        deductions=deductions,
        self_total=None if u.self_total is None else _money(u.self_total, places),
        deadline=deadline if deductions else "",
        trend=_trend(result, u, t),
        lang=t.lang,
    )


def bulletin_view(
    result: Result, issuer: Issuer | None = None, *, letters: bool = False, lang: str | None = None
) -> BulletinView:
    """The whole 通报 as data: title, overview, per-group rankings, reasons, vetoes, next steps.

    ``lang`` (default: the current language, Chinese unless set) chooses the tool's own words;
    names, titles and reasons from the rubric and the returns stay as they are.
    """
    t = tr(lang)
    issuer = issuer or Issuer()
    issuer_name, next_steps = issuer_texts(issuer, t)
    places = result.decimals
    plabel = t.period(result.period)
    groups: list[GroupView] = []
    for g in result.groups:
        units = result.group_units(g.id)
        section_titles = tuple(s.title for s in units[0].sections) if units else ()
        rows = tuple(
            RankRow(
                u.rank,
                u.unit,
                _money(u.total, places),
                u.grade or "—",
                _change(u, result.previous_period is not None, t),
                tuple(t("veto_mark", title=v.title) for v in u.vetoes)
                + ((t("not_submitted"),) if not u.submitted else ()),
                tuple(_money(s.score, places) for s in u.sections),
                u.status,
            )
            for u in units
        )
        top_grade = next((u.grade for u in units if u.grade), None)  # units are in rank order
        commended = tuple(u.unit for u in units if "top" in u.callouts) or tuple(
            u.unit for u in units if u.grade and u.grade == top_grade and not u.vetoes
        )
        groups.append(
            GroupView(
                g.id, g.title, fmt(g.scale), section_titles, rows, commended, g.bottom, len(g.bottom) or None
            )
        )
    # reasons aggregated by item: how many units lost points there and how many points in all
    lost_units: dict[str, int] = defaultdict(int)
    lost_points: dict[str, Decimal] = defaultdict(Decimal)
    examples: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, str] = {}
    problems = 0
    for u in result.units:
        for it in u.items:
            lost = points_lost(it)
            if it.section == "bonus" or lost <= 0:
                continue
            problems += 1
            lost_units[it.id] += 1
            lost_points[it.id] += lost
            titles[it.id] = it.title
            if it.reason and len(examples[it.id]) < 3:
                examples[it.id].append(t("unit_says", unit=u.unit, text=it.reason))
    reasons = tuple(
        ReasonView(i, titles[i], lost_units[i], _money(lost_points[i], places), tuple(examples[i]))
        for i in sorted(lost_units, key=lambda k: (-lost_points[k], -lost_units[k], k))
    )
    n_units = len(result.units)
    group_text = t.join(t("overview_group", title=g.title, n=g.size) for g in result.groups)
    overview = t(
        "overview", rubric=result.rubric_title, groups=group_text, period=plabel, n=n_units, problems=problems
    )
    vetoes = tuple((u.unit, v.title) for u in result.units for v in u.vetoes)
    warnings = tuple(
        (u.unit, t("with_action", title=w.title, action=w.action) if w.action else w.title)
        for u in result.units
        for w in u.warning_details
    ) or tuple((u.unit, w) for u in result.units for w in u.warnings)
    title = t("bulletin_title", period=plabel, short=_short_title(result.rubric_title))
    return BulletinView(
        title=title,
        issuer=issuer_name,
        doc_number=issuer.doc_number,
        date=t.date(issuer.date or issue_date()),
        period=plabel,
        rubric_title=result.rubric_title,
        overview=overview,
        groups=tuple(groups),
        reasons=reasons,
        vetoes=vetoes,
        warnings=warnings,
        not_submitted=result.not_submitted,
        next_steps=next_steps,
        letters=tuple(letter_view(result, u, issuer, lang=t.lang) for u in result.units) if letters else (),
        lang=t.lang,
    )


def _short_title(rubric_title: str) -> str:
    """钢城区安全生产"三责同考"季度考评细则 → 钢城区安全生产"三责同考"."""
    t = rubric_title
    for suffix in ("考核评分细则", "考评细则", "评分细则", "考核细则", "细则", "考核办法", "办法"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
            break
    for suffix in ("季度", "月度", "年度", "考评", "考核"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return t
