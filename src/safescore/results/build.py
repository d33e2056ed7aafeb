"""Turn columnar group scores into per-unit results with reasons and cells.

Record lists add to this: a derived field cites the ledger rows it counted, each
warning becomes a penalty line (reason and triggering rows as evidence) plus a
``warning_details`` entry, and overdue records are listed as problems.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from safescore.engine.decvec import DecVec
from safescore.engine.reasons import ReasonInput, bonus_reason, deduction_reason, fmt, status_reason
from safescore.engine.records import Hit
from safescore.engine.scoring import GroupScores, ItemCol
from safescore.inputs.model import CellRef, Inputs, Record, UnitReturn, slot_maker
from safescore.problems import Problem, Report
from safescore.results.grades import assign_grades
from safescore.results.model import (
    GroupResult,
    InputUsed,
    ItemScore,
    RecordRef,
    SectionScore,
    SourceRef,
    UnitResult,
    VetoHit,
    WarningHit,
)
from safescore.results.ranks import callouts, competition_ranks
from safescore.rubric import model as m
from safescore.rubric.expr import BoolVec, StrVec, Vec

DEFAULT_UNIT_WORD = {"deduct": "处", "per": "次"}


DISPLAY_PLACES = 6  # a quotient like 2/3 is shown (not scored) to six decimals
EVIDENCE_ROWS = 10  # ledger rows quoted per derived field in a deduction's evidence


def _shown(d: Decimal | None) -> Decimal | None:
    """A value for display: exact decimals as they are, long quotients cut to 6 places half-up."""
    if d is None:
        return None
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -DISPLAY_PLACES:
        return d.quantize(Decimal(1).scaleb(-DISPLAY_PLACES), rounding=ROUND_HALF_UP).normalize()
    return d


def _value_at(v: Vec | DecVec | None, i: int) -> Any:
    if v is None:
        return None
    if isinstance(v, DecVec):
        return _shown(v.decimal_at(i))
    if v.na[i]:
        return None
    if isinstance(v, BoolVec):
        return bool(v.v[i])
    if isinstance(v, StrVec):
        return str(v.v[i])
    return None


_ZERO = Decimal(0)


def _d(x: Decimal | None) -> Decimal:
    """Missing → 0; keeps a present zero's precision (Decimal("0.00") is falsy)."""
    return Decimal(0) if x is None else x


def _places(d: Decimal, decimals: int) -> Decimal:
    """Half-up to the rubric's decimals, as the engine rounded the penalty it deducted."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -decimals:
        return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return d


def _effect_text(effect: Any) -> str:
    if isinstance(effect, m.CapEffect):
        return f"cap:{fmt(effect.cap)}"
    if isinstance(effect, m.MaxGradeEffect):
        return f"max_grade:{effect.max_grade}"
    return str(effect)


def record_ref(rec: Record, rl: m.RecordList) -> RecordRef:
    values = tuple((k, rec.values[k]) for k in rl.columns if k in rec.values)
    return RecordRef(rec.source, rec.pos.file, rec.pos.sheet, rec.row, rec.pos.cell, values)


def describe(rec: Record, rl: m.RecordList) -> str:
    """One ledger row as a line of evidence: 隐患清单第5行（台账.xlsx）：隐患等级一般，…"""
    shown = "，".join(
        f"{col.title}{fmt(rec.values[k])}" for k, col in rl.columns.items() if rec.values.get(k) is not None
    )
    return f"{rl.title}第{rec.row}行（{Path(rec.pos.file).name}）：{shown}"


_ITEM_FIELDS = (
    "id",
    "title",
    "section",
    "points",
    "score",
    "lost",
    "value",
    "status",
    "reason",
    "rule",
    "basis",
    "source",
    "inputs",
    "evidence",
    "self_score",
)
_new_item = slot_maker(ItemScore, _ITEM_FIELDS)
_new_source = slot_maker(SourceRef, ("name", "file", "sheet", "cell"))
_new_input = slot_maker(InputUsed, ("field", "label", "value", "raw", "file", "sheet", "cell"))
_new_section = slot_maker(SectionScore, ("id", "title", "points", "score", "raw", "weight"))


def _shown_list(decs: list[Decimal | None]) -> list[Decimal | None]:
    """``_shown`` of each; a Decimal object shared by several units is shown once."""
    seen: dict[int, Decimal | None] = {}
    out: list[Decimal | None] = []
    for d in decs:
        k = id(d)
        if k not in seen:
            seen[k] = _shown(d)
        out.append(seen[k])
    return out


def _key(v: object) -> tuple[object, ...]:
    """``v`` as part of a cache key: its type (True == 1 == Decimal(1)) and a zero's sign."""
    if isinstance(v, Decimal):
        return (Decimal, v, v.is_signed())
    return (v.__class__, v)


def _values(v: Vec | DecVec | None, n: int) -> list[Any]:
    """``_value_at(v, i)`` for every unit."""
    if v is None:
        return [None] * n
    if isinstance(v, DecVec):
        return _shown_list(v.to_decimals())
    na = v.na.tolist()
    if isinstance(v, BoolVec):
        return [None if na[i] else bool(x) for i, x in enumerate(v.v.tolist())]
    if isinstance(v, StrVec):
        return [None if na[i] else str(x) for i, x in enumerate(v.v.tolist())]
    return [None] * n


class _Col:
    """One item column, converted once for all units: scores, statuses and values as
    Python lists, the reason's parameters only when some unit needs a reason."""

    def __init__(self, b: _Builder, col: ItemCol, kind: str):
        self.b, self.col, self.kind = b, col, kind
        n = b.gs.n
        self.scores = [_d(x) for x in col.score.to_decimals()]
        self.status: list[str] = [str(x) for x in col.status.tolist()]
        if col.assessed is not None:
            self.values: list[Any] = col.assessed.total.to_decimals()
        else:
            self.values = _values(col.out.value if col.out else None, n)
        derived = b.gs.records.derived if b.gs.records else {}
        self.ledger = next((derived[f].spec.records for f in col.refs if f in derived), None)
        it = col.item
        self.id, self.title, self.rule, self.basis = it.id, it.title, it.rule.kind, it.basis
        self.source_name = self.ledger or "return"
        self.section = kind == "section"
        self.full = col.points or _ZERO  # a section item's points (lost = full - score)
        self._params: dict[str, list[Any]] | None = None
        self.reasons: dict[tuple[object, ...], str] = {}  # reason texts by the numbers they quote
        self._flags: dict[str, list[bool]] | None = None
        self._word: str | None = None
        self._label: str | None = None

    @property
    def params(self) -> dict[str, list[Any]]:
        if self._params is None:
            out = self.col.out
            assert out is not None
            self._params = {k: _shown_list(v.to_decimals()) for k, v in out.params.items()}
        return self._params

    @property
    def flags(self) -> dict[str, list[bool]]:
        if self._flags is None:
            out = self.col.out
            assert out is not None
            self._flags = {k: [bool(x) for x in v.tolist()] for k, v in out.flags.items()}
        return self._flags

    @property
    def unit_word(self) -> str:
        if self._word is None:
            self._word = self.b.unit_word(self.col)
        return self._word

    @property
    def value_label(self) -> str:
        if self._label is None:
            self._label = self.b.value_label(self.col)
        return self._label


class _Builder:
    def __init__(self, rubric: m.Rubric, gs: GroupScores, inputs: Inputs, report: Report, strict: bool):
        from safescore.api import needs_return

        self.needs_return = needs_return(rubric, gs.group.id)
        self.r = rubric
        self.gs = gs
        self.inputs = inputs
        self.report = report
        self.strict = strict
        self.index = {u.name: i for i, u in enumerate(gs.units)}
        self._used: dict[str, InputUsed] = {}  # the current unit's inputs by field

    def unit_word(self, col: ItemCol) -> str:
        for f in col.refs:
            fd = self.r.fields.get(f)
            if fd and fd.unit and fd.unit not in ("%", "％"):
                return fd.unit
        return DEFAULT_UNIT_WORD.get(col.item.rule.kind, "")

    def value_label(self, col: ItemCol) -> str:
        if len(col.refs) == 1 and col.refs[0] in self.r.fields:
            return self.r.fields[col.refs[0]].label
        return col.item.title

    def inputs_used(self, refs: list[str], unit: str, i: int) -> tuple[InputUsed, ...]:
        """The inputs an item read for unit ``i``; each is built once per unit (``_used``)."""
        used = self._used
        return tuple([used[f] if f in used else self._input(f, unit, i) for f in refs])

    def _input(self, f: str, unit: str, i: int) -> InputUsed:
        derived = self.gs.records.derived if self.gs.records else {}
        if f in derived:
            rows = derived[f].rows[i]
            val = derived[f].value.decimal_at(i)
            at = rows[0].pos if rows else None  # the ledger it was counted from; no single cell
            file, sheet = (at.file, at.sheet) if at else (None, None)
            used = InputUsed(f, self.r.fields[f].label, val, val, file, sheet, None)
        elif f in self.r.targets:
            val = self.inputs.targets.get(f, {}).get(unit)
            used = InputUsed(f, self.r.targets[f].title, val, None, None, None, None)
        else:
            ret = self.inputs.returns.get(unit)
            fv = ret.values.get(f) if ret else None
            pos = fv.pos if fv else None
            used = _new_input(
                f,
                self.r.fields[f].label,
                fv.value if fv and fv.invalid is None else None,
                fv.raw if fv else None,
                pos.file if pos else None,
                pos.sheet if pos else None,
                pos.cell if pos else None,
            )
        self._used[f] = used
        return used

    def item_score(self, c: _Col, i: int, unit: str, ret: UnitReturn | None) -> ItemScore:
        col = c.col
        score = c.scores[i]
        status = c.status[i]
        used = self.inputs_used(col.refs, unit, i)
        evidence: tuple[str, ...] = ()
        value: Any = c.values[i]
        if col.assessed is not None:
            rows = col.assessed.rows[i]
            first = rows[0].pos if rows else None
            source = SourceRef(
                col.item.source,
                first.file if first else None,
                first.sheet if first else None,
                first.cell if first else None,
            )
            evidence = tuple(r.evidence for r in rows if r.evidence)
        else:
            first_cell = None
            for u in used:
                if u.file:
                    first_cell = u
                    break
            source = (
                _new_source(c.source_name, first_cell.file, first_cell.sheet, first_cell.cell)
                if first_cell
                else _new_source(c.source_name, None, None, None)
            )
            if c.ledger:
                lost_any = c.full > score if c.section else score > 0
                if lost_any:
                    evidence = self.ledger_evidence(col, i)
        lost = c.full - score if c.section else _ZERO
        if col.assessed is None and status == "ok" and not (lost > 0 if c.section else score > 0):
            reason = ""  # what reason() says for a unit that lost nothing
        else:
            reason = self.reason(c, i, status, score, lost, value)
        own = ret.self_scores.get(c.id) if ret else None
        self_score = own.value if own is not None and isinstance(own.value, Decimal) else None
        return _new_item(  # in _ITEM_FIELDS order
            c.id,
            c.title,
            col.section,
            col.points,
            score,
            lost,
            value,
            status,
            reason,
            c.rule,
            c.basis,
            source,
            used,
            evidence,
            self_score,
        )

    def ledger_evidence(self, col: ItemCol, i: int) -> tuple[str, ...]:
        """The ledger rows behind a deduction whose count is one derived field (the overdue hazards).

        Only then are the rows the problem itself; for ``found - fixed`` they would not be.
        """
        assert self.gs.records is not None
        text = getattr(col.item.rule, "count", None) or getattr(col.item.rule, "value", None)
        d = self.gs.records.derived.get(text.strip()) if isinstance(text, str) else None
        if d is None:
            return ()
        rl = self.r.records[d.spec.records]
        rows = d.rows[i]
        more = len(rows) - EVIDENCE_ROWS
        tail = [f"……另有{more}条，共{len(rows)}条"] if more > 0 else []
        return tuple([describe(rec, rl) for rec in rows[:EVIDENCE_ROWS]] + tail)

    def warning_parts(self, i: int) -> tuple[tuple[str, ...], tuple[WarningHit, ...], list[ItemScore]]:
        """Marks, details and penalty lines for the warnings and ladder steps of unit ``i``."""
        hits: list[Hit] = self.gs.records.hits[i] if self.gs.records else []
        details: list[WarningHit] = []
        lines: list[ItemScore] = []
        for h in hits:
            refs = tuple(record_ref(rec, self.r.records[rec.source]) for rec in h.records)
            penalty = _places(h.penalty, self.r.decimals)
            details.append(WarningHit(h.id, h.title, h.kind, h.reason, penalty, h.action, h.count, refs))
            if h.kind != "warning" or penalty <= 0:
                continue
            first = h.records[0].pos if h.records else None
            lines.append(
                ItemScore(
                    id=h.id,
                    title=h.title,
                    section="penalty",
                    points=penalty,
                    score=penalty,
                    lost=Decimal(0),
                    value=Decimal(len(h.records)),
                    status="ok",
                    reason=f"{h.reason}，发出警示，扣{fmt(penalty)}分",
                    rule="warning",
                    basis=None,
                    source=SourceRef(
                        h.records[0].source if h.records else "records",
                        first.file if first else None,
                        first.sheet if first else None,
                        first.cell if first else None,
                    ),
                    evidence=tuple(describe(rec, self.r.records[rec.source]) for rec in h.records),
                )
            )
        return tuple(d.mark for d in details), tuple(details), lines

    def record_problems(self) -> None:
        rec = self.gs.records
        for p in rec.problems if rec else []:
            if p.unit is not None or p not in self.report.problems:  # group-wide notes come once per group
                self.report.add(p)

    def reason(self, c: _Col, i: int, status: str, score: Decimal, lost: Decimal, value: Any) -> str:
        col, kind = c.col, c.kind
        if col.assessed is not None:
            rows = col.assessed.rows[i]
            texts = [r.reason for r in rows if r.reason]
            if status == "unscored":
                return status_reason("unscored", [])
            joined = "；".join(texts)
            if status == "out-of-range":
                joined = (
                    joined + "；" if joined else ""
                ) + f"评分合计{fmt(value)}超出0至{fmt(col.points)}分，已按边界计"
            if kind == "section" and lost and not joined:
                joined = (
                    f"{self.r.sources[col.item.source].title}扣{fmt(lost)}分"
                    if col.item.source in self.r.sources
                    else f"扣{fmt(lost)}分"
                )
            return joined
        if status in ("missing", "invalid"):
            labels = [
                self.r.fields[f].label if f in self.r.fields else self.r.targets[f].title
                for f in col.refs
                if self._bad(f, i)
            ]
            return status_reason(status, labels)
        if status == "no-value":
            return status_reason(status, [])
        # Only a unit that lost points (or got a bonus/penalty) has a reason to write.
        if not (lost > 0 if kind == "section" else score > 0):
            return ""
        params = {k: v[i] for k, v in c.params.items()}
        flags = {k: v[i] for k, v in c.flags.items()}
        # The text depends only on these numbers (formatted by value), so units with the same
        # numbers share it; the sign of a Decimal zero shows ("-0"), so it is part of the key.
        try:
            key = (_key(score), _key(lost), _key(value), *map(_key, params.values()), *flags.values())
            text = c.reasons.get(key)
        except TypeError:  # an unhashable value: just write the text
            key, text = None, None
        if text is None:
            ri = ReasonInput(
                col.item, c.unit_word, value, score, lost, col.points, params, flags, c.value_label
            )
            text = (
                deduction_reason(ri)
                if kind == "section"
                else bonus_reason(ri, "加" if kind == "bonus" else "减")
            )
            if key is not None:
                c.reasons[key] = text
        return text

    def _bad(self, f: str, i: int) -> bool:
        col = self.gs.env.get(f)
        return bool(col is not None and col.na[i])

    def problems_for_unit(self, i: int, unit: str, submitted: bool, cols: list[ItemCol]) -> None:
        if not submitted:
            return
        ret = self.inputs.returns[unit]
        seen: set[str] = set()
        for col in cols:
            if col.status[i] != "missing":
                continue
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

    def build(self) -> tuple[GroupResult, list[UnitResult]]:
        gs, r = self.gs, self.r
        n = gs.n
        totals = gs.total.to_decimals()
        totals_before = gs.total_before.to_decimals()
        tie_cols = [
            next(sc.score for sc in gs.sections if sc.section.id == t)
            for t in r.tiebreak
            if any(sc.section.id == t for sc in gs.sections)
        ]
        tie_vals = [c.to_decimals() for c in tie_cols]
        keys = [(_d(totals[i]), *(_d(tv[i]) for tv in tie_vals)) for i in range(n)]
        ranks = competition_ranks(keys)
        failed = [any(vc.hit[i] and vc.veto.effect == "fail" for vc in gs.vetoes) for i in range(n)]
        max_grade = [
            next(
                (
                    vc.veto.effect.max_grade
                    for vc in gs.vetoes
                    if vc.hit[i] and isinstance(vc.veto.effect, m.MaxGradeEffect)
                ),
                None,
            )
            for i in range(n)
        ]
        grades = assign_grades(
            r.grades_for(gs.group.id), [_d(t) for t in totals], ranks, failed, max_grade, r.quota_ties
        )
        call = gs.group.callout
        top_idx, bottom_idx = callouts(ranks, call.top if call else None, call.bottom if call else None)
        top_set, bottom_set = set(top_idx), set(bottom_idx)
        units: list[UnitResult] = []
        section_vals = [(sc, sc.score.to_decimals(), sc.raw.to_decimals()) for sc in gs.sections]
        bonus, penalty = gs.bonus.to_decimals(), gs.penalty.to_decimals()
        cols = [_Col(self, c, "section") for c in gs.items]
        cols += [_Col(self, c, "bonus") for c in gs.bonus_items]
        cols += [_Col(self, c, "penalty") for c in gs.penalty_items]
        for i, u in enumerate(gs.units):
            submitted = u.name in self.inputs.returns
            status = "已报送" if submitted else ("未报送" if self.needs_return else "无需报送")
            self._used = {}
            ret = self.inputs.returns.get(u.name)
            items = [self.item_score(c, i, u.name, ret) for c in cols]
            marks, details, warned = self.warning_parts(i)
            items += warned
            self.problems_for_unit(i, u.name, submitted, gs.items + gs.bonus_items + gs.penalty_items)
            sections = tuple(
                _new_section(sc.section.id, sc.section.title, sc.points, _d(sv[i]), _d(rv[i]), sc.weight)
                for sc, sv, rv in section_vals
            )
            vetoes = tuple(
                VetoHit(vc.veto.id, vc.veto.title, _effect_text(vc.veto.effect))
                for vc in gs.vetoes
                if vc.hit[i]
            )
            for vc in gs.vetoes:
                if vc.undetermined[i] and submitted:
                    self.report.add(
                        Problem(
                            "veto-undetermined",
                            f"{u.name}：一票否决条件“{vc.veto.title}”所需数据缺失，无法判断",
                            severity="error" if self.strict else "warning",
                            category="scoring",
                            unit=u.name,
                        )
                    )
            own = [it for it in items if it.self_score is not None and it.section not in ("bonus", "penalty")]
            self_total = sum((it.self_score for it in own), Decimal(0)) if own else None  # type: ignore[misc]
            assessed = sum((it.score for it in own), Decimal(0))
            self_flag = (
                bool(own) and r.self_check is not None and self_total - assessed > r.self_check.tolerance
            )  # type: ignore[operator]
            if self_flag:
                self.report.add(
                    Problem(
                        "self-score-high",
                        f"{u.name} 自评分 {self_total} 高于核定得分 {assessed}，差距超过 {r.self_check.tolerance} 分",  # type: ignore[union-attr]
                        severity="warning",
                        category="scoring",
                        unit=u.name,
                        value=str(self_total),
                        expected=f"不高于 {assessed + r.self_check.tolerance}",  # type: ignore[union-attr]
                    )
                )
            callouts_ = tuple(x for x, idx in (("top", top_set), ("bottom", bottom_set)) if i in idx)
            units.append(
                UnitResult(
                    unit=u.name,
                    group=gs.group.id,
                    status=status,
                    total=_d(totals[i]),
                    total_before_veto=_d(totals_before[i]),
                    rank=ranks[i],
                    grade=grades[i],
                    sections=sections,
                    items=tuple(items),
                    bonus=_d(bonus[i]),
                    penalty=_d(penalty[i]),
                    vetoes=vetoes,
                    warnings=marks,
                    warning_details=details,
                    callouts=callouts_,
                    self_total=self_total,
                    self_flag=self_flag,
                )
            )
        for col in gs.items:
            if col.assessed is None:
                continue
            for i in range(n):
                if col.assessed.out_of_range[i]:
                    first = col.assessed.rows[i][0].pos
                    self.report.add(
                        Problem(
                            "score-out-of-range",
                            f"{gs.units[i].name} 的指标 {col.item.id} 评分合计 {fmt(col.assessed.total.decimal_at(i))} 超出 0 至 {fmt(col.points)} 分",
                            file=first.file,
                            sheet=first.sheet,
                            cell=first.cell,
                            unit=gs.units[i].name,
                            field=col.item.id,
                            value=fmt(col.assessed.total.decimal_at(i)),
                            expected=f"0 至 {fmt(col.points)}",
                        )
                    )
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


def build_group(
    rubric: m.Rubric, gs: GroupScores, inputs: Inputs, report: Report, strict: bool = False
) -> tuple[GroupResult, list[UnitResult]]:
    """Rank, grade and call out one group; produce its unit results."""
    return _Builder(rubric, gs, inputs, report, strict).build()
