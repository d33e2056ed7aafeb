"""Every unit's item scores for one group, built column by column.

The engine scores an item for all units at once (an :class:`ItemCol`); results need
one :class:`ItemScore` per unit and item, with the value shown, the inputs read and
their cells, and a reason. Here each item column is converted once: its Decimals and
reason texts are shared by every unit with the same numbers. The returns are read
unit by unit, in one pass over each unit's values (which lie together in memory:
reading them field by field across 10,000 returns is several times slower). The
columns are then put back together per unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import compress, repeat
from operator import is_
from typing import Any

import numpy as np

from safescore.engine.decvec import DecVec
from safescore.engine.reasons import ReasonInput, bonus_reason, deduction_reason, fmt, status_reason
from safescore.engine.scoring import GroupScores, ItemCol
from safescore.inputs.model import Inputs
from safescore.results.evidence import ledger_evidence
from safescore.results.model import InputUsed, ItemScore, SourceRef
from safescore.results.objects import fast_maker
from safescore.results.values import ZERO, or_zero, per_object, shown, shown_values, value_key
from safescore.rubric import model as m
from safescore.rubric.model import TargetRule

DEFAULT_UNIT_WORD = {"deduct": "处", "per": "次"}
RETURN_SOURCE = "return"  # source name of an item read from the returns (not from a ledger)

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
new_item = fast_maker(ItemScore, _ITEM_FIELDS)
new_source = fast_maker(SourceRef, ("name", "file", "sheet", "cell"))
new_input = fast_maker(InputUsed, ("field", "label", "value", "raw", "file", "sheet", "cell"))


class ItemColumn:
    """One item over the group's units: the per-unit lists its ItemScores are made of."""

    def __init__(self, col: ItemCol, kind: str, n: int, derived: dict[str, Any]):
        it = col.item
        self.col, self.kind = col, kind
        self.id, self.title, self.rule, self.basis = it.id, it.title, it.rule.kind, it.basis
        self.ledger: str | None = next((derived[f].spec.records for f in col.refs if f in derived), None)
        self.source_name = self.ledger or RETURN_SOURCE
        self.section = kind == "section"
        self.full = col.points or ZERO  # a section item's points (lost = full - score)
        self.status: list[str] = col.status.tolist()  # the engine's status strings
        if col.assessed is not None:
            self.values: list[Any] = col.assessed.total.to_decimals()
        else:
            self.values = shown_values(col.out.value if col.out else None, n)
        full, sc = self.full, col.score
        if not sc.na.any():  # the engine fills unscored units with 0: each value converted once
            self.scores: list[Decimal] = sc.to_decimals()  # type: ignore[assignment]
            self.lost: list[Decimal] = sc.to_decimals(lambda s: full - s) if self.section else [ZERO] * n
            self.lost_any: list[bool] = sc.to_decimals(lambda s: full - s > 0 if self.section else s > 0)  # type: ignore[assignment]
        else:
            self.scores = [or_zero(x) for x in sc.to_decimals()]
            self.lost = per_object(lambda s: full - s, self.scores) if self.section else [ZERO] * n
            self.lost_any = per_object(lambda x: x > 0, self.lost if self.section else self.scores)
        self.reasons: list[str] = [""] * n
        self.sources: list[SourceRef] = []
        self.used: list[tuple[InputUsed, ...]] = []
        self.evidence: list[tuple[str, ...]] = [()] * n
        self.self_scores: Sequence[Decimal | None] = [None] * n


class ItemTable:
    """All item columns of a group (sections, then bonus, then penalty) and their rows."""

    def __init__(self, rubric: m.Rubric, gs: GroupScores, inputs: Inputs):
        self.r, self.gs, self.inputs = rubric, gs, inputs
        self.n = n = gs.n
        self.derived = gs.records.derived if gs.records else {}
        d = self.derived
        self.cols = [ItemColumn(c, "section", n, d) for c in gs.items]
        self.cols += [ItemColumn(c, "bonus", n, d) for c in gs.bonus_items]
        self.cols += [ItemColumn(c, "penalty", n, d) for c in gs.penalty_items]
        # after rows(): each unit's scores and self-scores in column order; which columns the
        # unit's own total (自评分) adds up: the section items
        self.unit_scores: list[tuple[Decimal, ...]] = []
        self.unit_self: list[tuple[Decimal | None, ...]] = []
        self.own = [c.col.section not in ("bonus", "penalty") for c in self.cols]

    # -- reading the returns, unit by unit ---------------------------------------------------------
    def _read(
        self,
    ) -> tuple[dict[str, Sequence[InputUsed]], dict[tuple[str, str], Sequence[SourceRef | None]]]:
        """Inputs used (per field) for every unit, and the cell of each item's first input as
        its source (per source name and field); each unit's self-scores go into the columns."""
        r, units = self.r, self.gs.units
        fields = list(dict.fromkeys(f for c in self.cols for f in c.col.refs))
        plain = [f for f in fields if f not in self.derived and f not in r.targets]
        labels = [r.fields[f].label for f in plain]
        # later inputs of an item are its source only where the first has no cell (see _fill)
        firsts = [(c.source_name, c.col.refs[0]) for c in self.cols if c.col.assessed is None and c.col.refs]
        names = [list(dict.fromkeys(name for name, first in firsts if first == f)) for f in plain]
        blank = [
            new_input(f, lab, None, None, None, None, None) for f, lab in zip(plain, labels, strict=True)
        ]
        blank_src = [None for ns in names for _ in ns]
        spec = list(zip(plain, labels, names, blank, strict=True))
        ids = [c.id for c in self.cols]
        no_self = [None] * len(ids)
        returns = self.inputs.returns
        in_rows: list[list[InputUsed]] = []
        src_rows: list[list[SourceRef | None]] = []
        self_rows: list[list[Decimal | None]] = []
        for u in units:
            ret = returns.get(u.name)
            if ret is None:
                in_rows.append(blank)
                src_rows.append(blank_src)
                self_rows.append(no_self)
                continue
            vals = ret.values
            row: list[InputUsed] = []
            srcs: list[SourceRef | None] = []
            for f, label, ns, empty in spec:
                fv = vals.get(f)
                if fv is None:
                    row.append(empty)
                    srcs.extend([None] * len(ns))
                    continue
                pos = fv.pos
                file, sheet, cell = (pos.file, pos.sheet, pos.cell) if pos else (None, None, None)
                row.append(
                    new_input(f, label, fv.value if fv.invalid is None else None, fv.raw, file, sheet, cell)
                )
                for name in ns:
                    srcs.append(new_source(name, file, sheet, cell) if file else None)
            in_rows.append(row)
            src_rows.append(srcs)
            own = ret.self_scores
            self_rows.append(
                [
                    x.value if x is not None and isinstance(x.value, Decimal) else None
                    for x in map(own.get, ids)
                ]
            )
        inputs = dict(zip(plain, _columns(in_rows, len(plain)), strict=True))
        pairs = [(name, f) for f, ns in zip(plain, names, strict=True) for name in ns]
        sources = dict(zip(pairs, _columns(src_rows, len(pairs)), strict=True))
        for c, col in zip(self.cols, _columns(self_rows, len(ids)), strict=True):
            c.self_scores = col
        for f in fields:
            if f in self.derived:
                inputs[f] = self._derived_inputs(f)
            elif f in r.targets:
                per_unit = self.inputs.targets.get(f, {})
                title = r.targets[f].title
                inputs[f] = [new_input(f, title, per_unit.get(u.name), None, None, None, None) for u in units]
        for name, f in firsts:  # a derived field's ledger; a target (no cell: never a source)
            if (name, f) not in sources:
                sources[(name, f)] = [
                    new_source(name, x.file, x.sheet, x.cell) if x.file else None for x in inputs[f]
                ]
        return inputs, sources

    def _derived_inputs(self, f: str) -> list[InputUsed]:
        """A field counted from a ledger: its value, and the ledger it was counted from (no cell)."""
        d = self.derived[f]
        label = self.r.fields[f].label
        out: list[InputUsed] = []
        for val, rows in zip(d.value.to_decimals(), d.rows, strict=True):
            at = rows[0].pos if rows else None
            out.append(new_input(f, label, val, val, at.file if at else None, at.sheet if at else None, None))
        return out

    # -- per column ----------------------------------------------------------------------------------
    def _fill(self, c: ItemColumn, inputs: dict[str, Sequence[InputUsed]], sources: dict[Any, Any]) -> None:
        """Inputs, source, evidence and reason of every unit for one item."""
        col, n = c.col, self.n
        refs = col.refs
        c.used = list(zip(*(inputs[f] for f in refs), strict=True)) if refs else [()] * n
        if col.assessed is not None:
            a = col.assessed
            c.sources, c.evidence = [], []
            for rows in a.rows:
                first = rows[0].pos if rows else None
                c.sources.append(
                    new_source(
                        col.item.source,
                        first.file if first else None,
                        first.sheet if first else None,
                        first.cell if first else None,
                    )
                )
                c.evidence.append(tuple(r.evidence for r in rows if r.evidence))
            c.reasons = [
                self._assessed_reason(c, i, st, lost, value)
                for i, (st, lost, value) in enumerate(zip(c.status, c.lost, c.values, strict=True))
            ]
            return
        none = new_source(c.source_name, None, None, None)
        if not refs:
            c.sources = [none] * n
        else:
            c.sources = list(sources[(c.source_name, refs[0])])
            # where the first input has no cell, the next one that has (is_ keeps the test in C)
            for i in compress(range(n), map(is_, c.sources, repeat(None))):
                x = next((x for f in refs[1:] if (x := inputs[f][i]).file), None)
                c.sources[i] = none if x is None else new_source(c.source_name, x.file, x.sheet, x.cell)
        lost_any = c.lost_any
        if c.ledger and self.gs.records is not None:
            c.evidence = [
                ledger_evidence(self.r, self.gs.records, col, i) if hit else ()
                for i, hit in enumerate(lost_any)
            ]
        self._reasons(c, lost_any)

    def _reasons(self, c: ItemColumn, lost_any: list[bool]) -> None:
        """Reasons of the units that lost points (or got a bonus/penalty) or could not be scored."""
        col = c.col
        keyed: list[int] = []
        no_value = ""
        st = col.status
        todo = (st == "missing") | (st == "invalid") | (st == "no-value") | np.array(lost_any, dtype=bool)
        for i in np.flatnonzero(todo).tolist():
            s = c.status[i]
            if s in ("missing", "invalid"):
                labels = [
                    self.r.fields[f].label if f in self.r.fields else self.r.targets[f].title
                    for f in col.refs
                    if self._bad(f, i)
                ]
                c.reasons[i] = status_reason(s, labels)
            elif s == "no-value":
                c.reasons[i] = no_value = no_value or status_reason(s, [])
            else:
                keyed.append(i)
        if not keyed:
            return
        # The text depends only on the numbers it quotes, so units with the same mantissas (and
        # masks, denominators, flags) share it: keys of small ints, not Decimals, hash fast.
        out = col.out
        assert out is not None
        params = list(out.params.items())
        flags = list(out.flags.items())
        key_cols = [*value_key(col.score), *value_key(out.value)]
        for _, v in params:
            key_cols += value_key(v)
        key_cols += [f.tolist() for _, f in flags]
        keys = list(zip(*key_cols, strict=True))
        texts: dict[tuple[Any, ...], str] = {}
        unit_word, label = self.unit_word(col), self.value_label(col)
        for i in keyed:
            k = keys[i]
            text = texts.get(k)
            if text is None:
                ri = ReasonInput(
                    col.item,
                    unit_word,
                    c.values[i],
                    c.scores[i],
                    c.lost[i],
                    col.points,
                    {name: _param_at(v, i) for name, v in params},
                    {name: bool(f[i]) for name, f in flags},
                    label,
                )
                text = texts[k] = (
                    deduction_reason(ri)
                    if c.kind == "section"
                    else bonus_reason(ri, "加" if c.kind == "bonus" else "减")
                )
            c.reasons[i] = text

    def _assessed_reason(self, c: ItemColumn, i: int, status: str, lost: Decimal, value: Any) -> str:
        col = c.col
        assert col.assessed is not None
        if status == "unscored":
            return status_reason("unscored", [])
        joined = "；".join([r.reason for r in col.assessed.rows[i] if r.reason])
        if status == "out-of-range":
            joined = (
                joined + "；" if joined else ""
            ) + f"评分合计{fmt(value)}超出0至{fmt(col.points)}分，已按边界计"
        if c.kind == "section" and lost and not joined:
            src = col.item.source
            joined = (
                f"{self.r.sources[src].title}扣{fmt(lost)}分" if src in self.r.sources else f"扣{fmt(lost)}分"
            )
        return joined

    def _bad(self, f: str, i: int) -> bool:
        col = self.gs.env.get(f)
        return bool(col is not None and col.na[i])

    def unit_word(self, col: ItemCol) -> str:
        for f in col.refs:
            fd = self.r.fields.get(f)
            if fd and fd.unit and fd.unit not in ("%", "％"):
                return fd.unit
        return DEFAULT_UNIT_WORD.get(col.item.rule.kind, "")

    def value_label(self, col: ItemCol) -> str:
        refs = col.refs
        if isinstance(col.item.rule, TargetRule):  # the target compared with is not the value quoted
            refs = [f for f in refs if f not in self.r.targets]
        if len(refs) == 1 and refs[0] in self.r.fields:
            return self.r.fields[refs[0]].label
        return col.item.title

    # -- back to units -------------------------------------------------------------------------------
    def rows(self) -> list[tuple[ItemScore, ...]]:
        """Every unit's ItemScores, in column order."""
        inputs, sources = self._read()
        for c in self.cols:
            self._fill(c, inputs, sources)
        cols, n = self.cols, self.n
        if not cols:
            self.unit_scores = self.unit_self = [()] * n
            return [()] * n
        ids = [c.id for c in cols]
        titles = [c.title for c in cols]
        sections = [c.col.section for c in cols]
        points = [c.col.points for c in cols]
        rules = [c.rule for c in cols]
        bases = [c.basis for c in cols]

        def per_unit(attr: str) -> list[tuple[Any, ...]]:
            return list(zip(*(getattr(c, attr) for c in cols), strict=True))

        per = [per_unit(a) for a in ("scores", "lost", "values", "status", "reasons")]
        per += [per_unit(a) for a in ("sources", "used", "evidence", "self_scores")]
        self.unit_scores, self.unit_self = per[0], per[8]
        out: list[tuple[ItemScore, ...]] = []
        for sc, lo, va, st, re, so, us, ev, ss in zip(*per, strict=True):
            out.append(
                tuple(
                    map(
                        new_item,
                        ids,
                        titles,
                        sections,
                        points,
                        sc,
                        lo,
                        va,
                        st,
                        re,
                        rules,
                        bases,
                        so,
                        us,
                        ev,
                        ss,
                    )
                )
            )
        return out


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[tuple[Any, ...]]:
    """Rows of ``width`` values turned into ``width`` columns (also when there are no rows)."""
    if not rows:
        return [() for _ in range(width)]
    return list(zip(*rows, strict=True))


def _param_at(v: DecVec, i: int) -> Decimal | None:
    """A reason parameter of unit ``i`` as shown."""
    return shown(v.decimal_at(i))
