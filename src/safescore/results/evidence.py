"""Ledger rows as evidence: deductions counted from records, warnings and ladder steps."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from safescore.engine.reasons import fmt
from safescore.engine.records import Hit, RecordOutcome
from safescore.engine.scoring import ItemCol
from safescore.inputs.model import Record
from safescore.results.model import ItemScore, RecordRef, SourceRef, WarningHit
from safescore.results.values import places
from safescore.rubric import model as m

EVIDENCE_ROWS = 10  # ledger rows quoted per derived field in a deduction's evidence


def effect_text(effect: Any) -> str:
    """A veto's effect as results.json writes it: fail, zero, cap:N or max_grade:X."""
    if isinstance(effect, m.CapEffect):
        return f"cap:{fmt(effect.cap)}"
    if isinstance(effect, m.MaxGradeEffect):
        return f"max_grade:{effect.max_grade}"
    return str(effect)


def record_ref(rec: Record, rl: m.RecordList) -> RecordRef:
    """Where a ledger row is and what it says, in the rubric's column order."""
    values = tuple((k, rec.values[k]) for k in rl.columns if k in rec.values)
    return RecordRef(rec.source, rec.pos.file, rec.pos.sheet, rec.row, rec.pos.cell, values)


def describe(rec: Record, rl: m.RecordList) -> str:
    """One ledger row as a line of evidence: 隐患清单第5行（台账.xlsx）：隐患等级一般，…"""
    shown = "，".join(
        f"{col.title}{fmt(rec.values[k])}" for k, col in rl.columns.items() if rec.values.get(k) is not None
    )
    return f"{rl.title}第{rec.row}行（{Path(rec.pos.file).name}）：{shown}"


def ledger_evidence(rubric: m.Rubric, records: RecordOutcome, col: ItemCol, i: int) -> tuple[str, ...]:
    """The ledger rows behind a deduction whose count is one derived field (the overdue hazards).

    Only then are the rows the problem itself; for ``found - fixed`` they would not be.
    """
    text = getattr(col.item.rule, "count", None) or getattr(col.item.rule, "value", None)
    d = records.derived.get(text.strip()) if isinstance(text, str) else None
    if d is None:
        return ()
    rl = rubric.records[d.spec.records]
    rows = d.rows[i]
    more = len(rows) - EVIDENCE_ROWS
    tail = [f"……另有{more}条，共{len(rows)}条"] if more > 0 else []
    return tuple([describe(rec, rl) for rec in rows[:EVIDENCE_ROWS]] + tail)


def warning_parts(
    rubric: m.Rubric, hits: list[Hit]
) -> tuple[tuple[str, ...], tuple[WarningHit, ...], list[ItemScore]]:
    """Marks, details and penalty lines for the warnings and ladder steps one unit reached."""
    details: list[WarningHit] = []
    lines: list[ItemScore] = []
    for h in hits:
        refs = tuple(record_ref(rec, rubric.records[rec.source]) for rec in h.records)
        penalty = places(h.penalty, rubric.decimals)
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
                evidence=tuple(describe(rec, rubric.records[rec.source]) for rec in h.records),
            )
        )
    return tuple(d.mark for d in details), tuple(details), lines
