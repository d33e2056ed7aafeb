"""Annual results (年度汇总): combine a year's period totals as the rubric's ``annual`` says.

Decisions (documented in docs/rubric.md terms):

- **Weights** are keyed by the part of the period label after the year:
  ``Q1``–``Q4`` (quarters), ``H1``/``H2`` (halves), ``01``–``12`` (months; ``"1"``
  is accepted for ``"01"``; quote the keys in YAML). Every period of the year
  needs a weight. The combined total is ``Σ weight × period total``; weights that
  do not sum to 1 are allowed (a warning), since a rubric may mean a weighted sum.
- **Arithmetic** is exact (fractions), then rounded half-up to ``decimals``.
- **missing: error** — a missing period is an error (``annual-missing-period``);
  ``zero`` — it counts as 0 (the mean still divides by every period);
  ``skip`` — the combination runs over the periods present (mean over them; sum
  over them; weights rescaled so the present ones keep the full weight sum).
  The same policy applies to one unit absent from a period that others have.
- **veto: any** — every veto hit in any period is carried to the year and its
  effect re-applied to the annual total (zero → 0, cap → at most N, fail →
  lowest grade and no quota place, max_grade → grade at most that); the year
  shows each veto once, titled with the periods it hit in.
  **veto: none** — nothing is carried; period totals are combined as they stood
  (after that period's own veto effects).
- **Grades** use the rubric's bands; for ``sum`` and ``weights`` the ``min``
  thresholds are scaled by the number of periods / the weight sum, so 优秀 ≥ 900
  of 1000 per quarter means ≥ 3600 of a summed year.
- **Warnings** issued in any period are listed in the year, titled with their period
  (their penalty is already in that period's total, so it is not deducted again);
  a ladder shows the latest step reached.
- **Ranks** are per group on the annual total, competition style. The rubric's
  ``tiebreak`` (section ids) does not apply: a year has no sections, so units
  with equal annual totals share a rank.
- The result has ``period`` = the year; each unit carries one
  :class:`SectionScore` per period (id = period label, score = that period's
  total, weight = its weight) so every renderer shows the per-period breakdown;
  ``items`` is empty.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from safescore.problems import Problem
from safescore.results.annual_weights import (
    annual_weights,
    period_labels,
    round_half_up,
    section_title,
    weight_key,
)
from safescore.results.grades import assign_grades
from safescore.results.model import GroupResult, Result, SectionScore, UnitResult, VetoHit, WarningHit
from safescore.results.ranks import callouts, competition_ranks
from safescore.rubric import model as m

__all__ = ["annual_result", "period_labels", "round_half_up", "section_title", "weight_key"]


@dataclass
class _Acc:
    """One unit's year so far: its period totals, statuses and the vetoes it met (with periods)."""

    group: str
    totals: dict[str, Decimal] = field(default_factory=dict)
    statuses: set[str] = field(default_factory=set)
    vetoes: dict[str, tuple[VetoHit, list[str]]] = field(default_factory=dict)
    notices: list[WarningHit] = field(default_factory=list)  # warnings issued, titled with their period
    ladder: dict[str, WarningHit] = field(default_factory=dict)  # latest step reached per ladder


@dataclass(frozen=True)
class _Plan:
    """How this year combines: the period labels, which are present, the method and weights."""

    labels: list[str]
    present: list[str]
    how: str  # mean | sum | weights
    weights: dict[str, Fraction] | None
    policy: str  # error | zero | skip

    @property
    def columns(self) -> list[str]:
        # periods shown per unit: all of them when a missing one counts as 0, else those that exist
        return self.labels if self.policy == "zero" else self.present

    @property
    def factor(self) -> Fraction:
        """Full marks of the year over full marks of one period (scales grade bands and 满分)."""
        if self.weights is not None:
            return sum(self.weights.values(), Fraction(0))
        return Fraction(len(self.labels)) if self.how == "sum" else Fraction(1)

    def combine(self, totals: dict[str, Decimal]) -> Fraction:
        """Exact combination of one unit's totals (zero-filled beforehand under ``missing: zero``)."""
        present = [p for p in self.labels if p in totals]
        if not present:
            return Fraction(0)
        if self.weights is not None:
            got = sum((self.weights[p] * Fraction(totals[p]) for p in present), Fraction(0))
            part = sum((self.weights[p] for p in present), Fraction(0))
            return got * self.factor / part if part else Fraction(0)
        s = sum((Fraction(totals[p]) for p in present), Fraction(0))
        return s / len(present) if self.how == "mean" else s


def _dec(f: Fraction) -> Decimal:
    """A fraction that is a finite decimal (weights, scaled bands) as a Decimal."""
    return Decimal(f.numerator) / Decimal(f.denominator)


def _effect_text(hit: VetoHit, rubric: m.Rubric) -> str:
    """The stored effect; for results written without one, the rubric's current definition."""
    if hit.effect:
        return hit.effect
    veto = next((v for v in rubric.veto if v.id == hit.id), None)
    if veto is None:
        return ""
    e = veto.effect
    if isinstance(e, m.CapEffect):
        return f"cap:{e.cap}"
    if isinstance(e, m.MaxGradeEffect):
        return f"max_grade:{e.max_grade}"
    return str(e)


def _apply_vetoes(
    combined: Decimal, hits: list[VetoHit], rubric: m.Rubric, grade_names: list[str]
) -> tuple[Decimal, bool, str | None]:
    """(total, failed, max_grade) after re-applying carried veto effects to the annual total."""
    total, failed, max_grade = combined, False, None
    for hit in hits:
        effect = _effect_text(hit, rubric)
        if effect == "fail":
            failed = True
        elif effect == "zero":
            total = Decimal(0)
        elif effect.startswith("cap:"):
            total = min(total, Decimal(effect[4:]))
        elif effect.startswith("max_grade:"):
            name = effect[len("max_grade:") :]
            # two limits: the stricter one is the grade further down the list
            rank = grade_names.index(name) if name in grade_names else -1
            if max_grade is None or rank > (grade_names.index(max_grade) if max_grade in grade_names else -1):
                max_grade = name
    return total, failed, max_grade


def _plan(rubric: m.Rubric, period_results: dict[str, Result], year: str, problems: list[Problem]) -> _Plan:
    labels = period_labels(rubric.period, year)
    policy = rubric.annual.missing
    for extra in sorted(set(period_results) - set(labels)):
        problems.append(
            Problem(
                "annual-extra-period",
                f"{extra} 不是 {year} 年的{rubric.period}期间，未计入年度汇总",
                severity="warning",
                category="scoring",
                value=extra,
            )
        )
    present = [p for p in labels if p in period_results]
    if not present:
        problems.append(
            Problem(
                "annual-no-periods",
                f"历史记录中没有 {rubric.rubric} 在 {year} 年的任何期间成绩",
                category="scoring",
            )
        )
    for p in labels:
        if p not in period_results:
            problems.append(
                Problem(
                    "annual-missing-period",
                    f"{year} 年缺少 {p} 的成绩" + MISSING_NOTE.get(policy, ""),
                    severity="error" if policy == "error" else "info",
                    category="scoring",
                    value=p,
                )
            )
    for p in present:
        sha = period_results[p].rubric_sha256
        if rubric.sha256 and sha and sha != rubric.sha256:
            problems.append(
                Problem(
                    "annual-rubric-changed",
                    f"{p} 的成绩按另一版本的评分细则计算（sha256 {sha[:12]}…）",
                    severity="warning",
                    category="scoring",
                    value=p,
                )
            )
    weights = annual_weights(rubric, labels, problems)
    combine = rubric.annual.combine
    # bad weight keys are already an error; fall back to the mean so something can still be shown
    how = "weights" if weights is not None else (combine if isinstance(combine, str) else "mean")
    return _Plan(labels, present, how, weights, policy)


MISSING_NOTE = {"zero": "，按0分计", "skip": "，不计入年度汇总"}


def _accumulate(period_results: dict[str, Result], plan: _Plan, problems: list[Problem]) -> dict[str, _Acc]:
    accs: dict[str, _Acc] = {}
    for p in plan.present:
        for u in period_results[p].units:
            acc = accs.setdefault(u.unit, _Acc(u.group))
            if acc.group != u.group:
                problems.append(
                    Problem(
                        "annual-group-changed",
                        f"{u.unit} 在 {p} 属于分组 {u.group}，此前为 {acc.group}；年度按最新分组排名",
                        severity="warning",
                        category="scoring",
                        unit=u.unit,
                    )
                )
                acc.group = u.group
            acc.totals[p] = u.total
            acc.statuses.add(u.status)
            for v in u.vetoes:
                acc.vetoes.setdefault(v.id, (v, []))[1].append(p)
            for w in u.warning_details:
                if w.kind == "ladder":  # cumulative over the year: the latest period's step stands
                    acc.ladder[w.id] = w
                else:  # its penalty is already in that period's total; the year lists it
                    acc.notices.append(dataclasses.replace(w, title=f"{w.title}（{p}）"))
    for name, acc in accs.items():
        for p in plan.present:
            if p not in acc.totals:
                problems.append(
                    Problem(
                        "annual-unit-missing-period",
                        f"{name} 在 {p} 没有成绩" + MISSING_NOTE.get(plan.policy, ""),
                        severity="error" if plan.policy == "error" else "warning",
                        category="scoring",
                        unit=name,
                        value=p,
                    )
                )
    return accs


def _group(
    rubric: m.Rubric, g: m.Group, members: list[str], accs: dict[str, _Acc], plan: _Plan
) -> tuple[GroupResult, list[UnitResult]]:
    grade_names = [gr.name for gr in rubric.grades_for(g.id)]
    totals: list[Decimal] = []
    befores: list[Decimal] = []
    failed: list[bool] = []
    max_grades: list[str | None] = []
    carried: list[tuple[VetoHit, ...]] = []
    for name in members:
        acc = accs[name]
        unit_totals = acc.totals
        if plan.policy == "zero":
            unit_totals = {p: acc.totals.get(p, Decimal(0)) for p in plan.labels}
        combined = round_half_up(plan.combine(unit_totals), rubric.decimals)
        hits: list[VetoHit] = []
        if rubric.annual.veto == "any":
            hits = [v for v, _ in acc.vetoes.values()]
        total, fail, max_grade = _apply_vetoes(combined, hits, rubric, grade_names)
        totals.append(total)
        befores.append(combined)
        failed.append(fail)
        max_grades.append(max_grade)
        carried.append(
            tuple(
                VetoHit(v.id, f"{v.title}（{'、'.join(ps)}）", _effect_text(v, rubric))
                for v, ps in acc.vetoes.values()
            )
            if hits
            else ()
        )
    ranks = competition_ranks([(t,) for t in totals])  # no sections in a year: no tiebreak
    factor = _dec(plan.factor)
    bands = [
        gr.model_copy(update={"min": gr.min * factor}) if gr.min is not None else gr
        for gr in rubric.grades_for(g.id)
    ]
    grades = assign_grades(bands, totals, ranks, failed, max_grades, rubric.quota_ties)
    call = g.callout
    top_idx, bottom_idx = callouts(ranks, call.top if call else None, call.bottom if call else None)
    scale = rubric.scale_for(g.id)
    units: list[UnitResult] = []
    for i, name in enumerate(members):
        acc = accs[name]
        sections = tuple(
            SectionScore(
                p,
                section_title(p),
                scale,
                acc.totals.get(p, Decimal(0)),
                acc.totals.get(p, Decimal(0)),
                None if plan.weights is None else _dec(plan.weights[p]),
            )
            for p in plan.columns
        )
        status = "已报送"
        if acc.statuses == {"未报送"} or acc.statuses == {"无需报送"}:
            status = next(iter(acc.statuses))  # never submitted all year / never had to
        units.append(
            UnitResult(
                unit=name,
                group=g.id,
                status=status,
                total=totals[i],
                total_before_veto=befores[i],
                rank=ranks[i],
                grade=grades[i],
                sections=sections,
                items=(),
                bonus=Decimal(0),
                penalty=Decimal(0),
                vetoes=carried[i],
                warnings=tuple(w.mark for w in (*acc.notices, *acc.ladder.values())),
                warning_details=(*acc.notices, *acc.ladder.values()),
                callouts=tuple(x for x, idx in (("top", top_idx), ("bottom", bottom_idx)) if i in idx),
            )
        )
    order = sorted(range(len(members)), key=lambda i: (ranks[i], members[i]))
    group = GroupResult(
        g.id,
        g.title,
        len(members),
        scale * factor,
        tuple(members[i] for i in order),
        tuple(members[i] for i in top_idx),
        tuple(members[i] for i in bottom_idx),
    )
    return group, units


def _sha(result: Result) -> str:
    text = json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def annual_result(
    rubric: m.Rubric, period_results: dict[str, Result], year: str
) -> tuple[Result, list[Problem]]:
    """The year of ``rubric`` from its periods' results (label → Result); see the module docstring.

    Problems of severity ``error`` (a missing period under ``missing: error``,
    bad weight keys) mean the annual result must not be published; the result
    is still built over the periods present so the caller can show why.
    """
    problems: list[Problem] = []
    plan = _plan(rubric, period_results, year, problems)
    accs = _accumulate(period_results, plan, problems)
    groups: list[GroupResult] = []
    units: list[UnitResult] = []
    for g in rubric.groups:
        members = [name for name, a in accs.items() if a.group == g.id]  # period order, not alphabetical
        if members:
            group, group_units = _group(rubric, g, members, accs, plan)
            groups.append(group)
            units.extend(group_units)
    known = set(rubric.group_ids())
    for name, acc in accs.items():
        if acc.group not in known:
            problems.append(
                Problem(
                    "annual-unknown-group",
                    f"{name} 的分组 {acc.group} 不在评分细则中，未计入年度排名",
                    category="scoring",
                    unit=name,
                    value=acc.group,
                )
            )
    result = Result(
        rubric_id=rubric.rubric,
        rubric_title=rubric.title,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        period=year,
        decimals=rubric.decimals,
        groups=tuple(groups),
        units=tuple(units),
        problems=tuple(problems),
        inputs=tuple(
            {
                "path": f"history:{rubric.rubric}/{p}",
                "sha256": _sha(period_results[p]),
                "role": f"period:{p}",
                "layout": "results",
            }
            for p in plan.present
        ),
        not_submitted=tuple(u.unit for u in units if u.status == "未报送"),
    )
    return result, problems
