"""Turn columnar group scores into per-unit results: ranks, grades, callouts, problems.

The item scores themselves (reasons, inputs, cells) are built by
:mod:`safescore.results.items`; record lists add their warnings and ladder steps
(:mod:`safescore.results.evidence`) and overdue records as problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import compress

import numpy as np

from safescore.engine.reasons import fmt
from safescore.engine.scoring import GroupScores, ItemCol
from safescore.inputs.model import CellRef, Inputs
from safescore.problems import Problem, Report
from safescore.results.evidence import effect_text, warning_parts
from safescore.results.grades import assign_grades
from safescore.results.items import ItemTable
from safescore.results.model import GroupResult, SectionScore, UnitResult, VetoHit
from safescore.results.objects import fast_maker
from safescore.results.ranks import callouts, competition_ranks
from safescore.results.values import or_zero
from safescore.rubric import model as m

_new_section = fast_maker(SectionScore, ("id", "title", "points", "score", "raw", "weight"))


class _Builder:
    def __init__(self, rubric: m.Rubric, gs: GroupScores, inputs: Inputs, report: Report, strict: bool):
        from safescore.api import needs_return

        self.needs_return = needs_return(rubric, gs.group.id)
        self.r = rubric
        self.gs = gs
        self.inputs = inputs
        self.report = report
        self.strict = strict

    def _bad(self, f: str, i: int) -> bool:
        col = self.gs.env.get(f)
        return bool(col is not None and col.na[i])

    def missing_problems(self, i: int, unit: str, cols: list[ItemCol]) -> None:
        """``value-missing`` for each field unit ``i`` left blank that made an item unscorable."""
        ret = self.inputs.returns[unit]
        seen: set[str] = set()
        for col in cols:
            for f in col.refs:
                if f in seen or not self._bad(f, i) or f not in self.r.fields:
                    continue
                if f in self.gs.invalid and self.gs.invalid[f][i]:
                    continue  # the reader already reported why the value is invalid
                seen.add(f)
                fv = ret.values.get(f)
                pos: CellRef | None = fv.pos if fv and fv.pos else ret.pos
                self.report.add(
                    Problem(
                        "value-missing",
                        f"{unit} 未填报 {self.r.fields[f].label}，相关指标按0分计",
                        severity="error" if self.strict else "warning",
                        category="input",
                        file=pos.file if pos else None,
                        sheet=pos.sheet if pos else None,
                        cell=pos.cell if pos else None,
                        unit=unit,
                        field=f,
                        expected=self.r.fields[f].label,
                    )
                )

    def _missing_by_unit(self) -> dict[int, list[ItemCol]]:
        """The items each unit could not score for a missing value, in item order."""
        out: dict[int, list[ItemCol]] = {}
        gs = self.gs
        for col in gs.items + gs.bonus_items + gs.penalty_items:
            for i in np.flatnonzero(col.status == "missing").tolist():
                out.setdefault(i, []).append(col)
        return out

    def self_check(
        self, unit: str, selfs: Sequence[Decimal | None], scores: Sequence[Decimal]
    ) -> tuple[Decimal | None, bool]:
        """The unit's own total over the section items it scored itself, and whether it is too
        high; ``selfs`` and ``scores`` are the unit's self-scores and scores of section items."""
        r = self.r
        own = [x for x in selfs if x is not None]
        if not own:
            return None, False
        self_total = sum(own, Decimal(0))
        assessed = sum([s for x, s in zip(selfs, scores, strict=True) if x is not None], Decimal(0))
        if r.self_check is None or not self_total - assessed > r.self_check.tolerance:
            return self_total, False
        self.report.add(
            Problem(
                "self-score-high",
                f"{unit} 自评分 {self_total} 高于核定得分 {assessed}，差距超过 {r.self_check.tolerance} 分",
                severity="warning",
                category="scoring",
                unit=unit,
                value=str(self_total),
                expected=f"不高于 {assessed + r.self_check.tolerance}",
            )
        )
        return self_total, True

    def ranks_and_grades(self, totals: list[Decimal | None]) -> tuple[list[int], list[str | None]]:
        gs, r, n = self.gs, self.r, self.gs.n
        tie_vals = [
            next(sc.score for sc in gs.sections if sc.section.id == t).to_decimals()
            for t in r.tiebreak
            if any(sc.section.id == t for sc in gs.sections)
        ]
        keys = [(or_zero(totals[i]), *(or_zero(tv[i]) for tv in tie_vals)) for i in range(n)]
        ranks = competition_ranks(keys)
        failed = np.zeros(n, dtype=bool)
        max_grade: list[str | None] = [None] * n
        for vc in reversed(gs.vetoes):  # the first veto that caps the grade wins
            if vc.veto.effect == "fail":
                failed |= vc.hit
            elif isinstance(vc.veto.effect, m.MaxGradeEffect):
                for i in np.flatnonzero(vc.hit).tolist():
                    max_grade[i] = vc.veto.effect.max_grade
        grades = assign_grades(
            r.grades_for(gs.group.id),
            [or_zero(t) for t in totals],
            ranks,
            failed.tolist(),
            max_grade,
            r.quota_ties,
        )
        return ranks, grades

    def build(self) -> tuple[GroupResult, list[UnitResult]]:
        gs, r = self.gs, self.r
        n = gs.n
        totals = gs.total.to_decimals()
        totals_before = gs.total_before.to_decimals()
        ranks, grades = self.ranks_and_grades(totals)
        call = gs.group.callout
        top_idx, bottom_idx = callouts(ranks, call.top if call else None, call.bottom if call else None)
        top_set, bottom_set = set(top_idx), set(bottom_idx)
        units: list[UnitResult] = []
        bonus, penalty = gs.bonus.to_decimals(), gs.penalty.to_decimals()
        table = ItemTable(r, gs, self.inputs)
        item_rows = table.rows()
        section_rows = self.section_rows()
        missing = self._missing_by_unit()
        # the unit's own total adds up the section items: normally the leading columns
        n_own = sum(table.own)
        own_prefix = all(table.own[:n_own])
        hits = [vc.hit.tolist() for vc in gs.vetoes]
        undetermined = [vc.undetermined.tolist() for vc in gs.vetoes]
        veto_hits = [VetoHit(vc.veto.id, vc.veto.title, effect_text(vc.veto.effect)) for vc in gs.vetoes]
        records = gs.records
        for i, u in enumerate(gs.units):
            submitted = u.name in self.inputs.returns
            status = "已报送" if submitted else ("未报送" if self.needs_return else "无需报送")
            items = item_rows[i]
            marks, details, warned = warning_parts(r, records.hits[i]) if records else ((), (), [])
            if warned:
                items = items + tuple(warned)
            if submitted and i in missing:
                self.missing_problems(i, u.name, missing[i])
            sections = section_rows[i]
            vetoes = tuple(vh for vh, hit in zip(veto_hits, hits, strict=True) if hit[i])
            for vc, und in zip(gs.vetoes, undetermined, strict=True):
                if und[i] and submitted:
                    self.report.add(
                        Problem(
                            "veto-undetermined",
                            f"{u.name}：一票否决条件“{vc.veto.title}”所需数据缺失，无法判断",
                            severity="error" if self.strict else "warning",
                            category="scoring",
                            unit=u.name,
                        )
                    )
            selfs, scores = table.unit_self[i], table.unit_scores[i]
            if not own_prefix:
                selfs, scores = tuple(compress(selfs, table.own)), tuple(compress(scores, table.own))
            self_total, self_flag = self.self_check(u.name, selfs[:n_own], scores[:n_own])
            callouts_ = tuple(x for x, idx in (("top", top_set), ("bottom", bottom_set)) if i in idx)
            units.append(
                UnitResult(
                    unit=u.name,
                    group=gs.group.id,
                    status=status,
                    total=or_zero(totals[i]),
                    total_before_veto=or_zero(totals_before[i]),
                    rank=ranks[i],
                    grade=grades[i],
                    sections=sections,
                    items=items,
                    bonus=or_zero(bonus[i]),
                    penalty=or_zero(penalty[i]),
                    vetoes=vetoes,
                    warnings=marks,
                    warning_details=details,
                    callouts=callouts_,
                    self_total=self_total,
                    self_flag=self_flag,
                )
            )
        self.out_of_range_problems()
        self.record_problems()
        order = sorted(range(n), key=lambda i: (ranks[i], gs.units[i].name))
        group = GroupResult(
            gs.group.id,
            gs.group.title,
            n,
            r.scale_for(gs.group.id),
            tuple(gs.units[i].name for i in order),
            tuple(gs.units[i].name for i in top_idx),
            tuple(gs.units[i].name for i in bottom_idx),
        )
        return group, units

    def section_rows(self) -> list[tuple[SectionScore, ...]]:
        """Every unit's section scores, built a section at a time."""
        secs = self.gs.sections
        if not secs:
            return [()] * self.gs.n
        ids = [sc.section.id for sc in secs]
        titles = [sc.section.title for sc in secs]
        points = [sc.points for sc in secs]
        weights = [sc.weight for sc in secs]
        scores = zip(*([or_zero(x) for x in sc.score.to_decimals()] for sc in secs), strict=True)
        raws = zip(*([or_zero(x) for x in sc.raw.to_decimals()] for sc in secs), strict=True)
        return [
            tuple(map(_new_section, ids, titles, points, s, w, weights))
            for s, w in zip(scores, raws, strict=True)
        ]

    def out_of_range_problems(self) -> None:
        """``score-out-of-range`` for assessor totals outside 0..points (clamped by the engine)."""
        gs = self.gs
        for col in gs.items:
            if col.assessed is None:
                continue
            for i in np.flatnonzero(col.assessed.out_of_range).tolist():
                first = col.assessed.rows[i][0].pos
                shown = fmt(col.assessed.total.decimal_at(i))
                self.report.add(
                    Problem(
                        "score-out-of-range",
                        f"{gs.units[i].name} 的指标 {col.item.id} 评分合计 {shown} 超出 0 至 {fmt(col.points)} 分",
                        file=first.file,
                        sheet=first.sheet,
                        cell=first.cell,
                        unit=gs.units[i].name,
                        field=col.item.id,
                        value=shown,
                        expected=f"0 至 {fmt(col.points)}",
                    )
                )

    def record_problems(self) -> None:
        rec = self.gs.records
        for p in rec.problems if rec else []:
            if p.unit is not None or p not in self.report.problems:  # group-wide notes come once per group
                self.report.add(p)


def build_group(
    rubric: m.Rubric, gs: GroupScores, inputs: Inputs, report: Report, strict: bool = False
) -> tuple[GroupResult, list[UnitResult]]:
    """Rank, grade and call out one group; produce its unit results."""
    return _Builder(rubric, gs, inputs, report, strict).build()
