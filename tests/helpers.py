"""Small builders for tests: a rubric from YAML text, inputs from plain dicts."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

from safescore.inputs.model import CellRef, FieldValue, Inputs, ScoreRow, UnitReturn
from safescore.problems import Report
from safescore.rubric.check import check_rubric
from safescore.rubric.model import Rubric


def rubric_from_text(tmp_path: Path, text: str, name: str = "r.yaml") -> tuple[Rubric | None, Report]:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    report = Report()
    return check_rubric(p, report), report


def load_ok(tmp_path: Path, text: str) -> Rubric:
    rubric, report = rubric_from_text(tmp_path, text)
    assert rubric is not None and report.ok, [(p.code, p.message, p.line) for p in report]
    return rubric


def _dec(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, int) and not isinstance(v, bool):
        return Decimal(v)
    if isinstance(v, str):
        try:
            return Decimal(v)
        except Exception:
            return v
    return v


def make_inputs(
    rubric: Rubric, returns: dict[str, dict[str, Any]], scores: dict[str, list[tuple]] | None = None
) -> Inputs:
    """returns: unit → {field: value}; scores: source → [(unit, item, value, reason)]."""
    inputs = Inputs(units=list(rubric.units))
    for row, (unit, vals) in enumerate(returns.items(), start=2):
        ret = UnitReturn(unit, pos=CellRef("t.xlsx", "S", f"A{row}"))
        for col, (f, v) in enumerate(vals.items()):
            ret.values[f] = FieldValue(_dec(v), v, CellRef("t.xlsx", "S", f"{chr(66 + col)}{row}"))
        inputs.returns[unit] = ret
    for src, rows in (scores or {}).items():
        inputs.scores[src] = [
            ScoreRow(src, u, item, _dec(v), reason, "", CellRef("s.xlsx", "S", f"C{i + 2}"))
            for i, (u, item, v, reason) in enumerate(rows)
        ]
    for name, t in rubric.targets.items():
        inputs.targets[name] = {
            u.name: t.values.get(u.name, t.default)
            for u in rubric.units
            if t.values.get(u.name, t.default) is not None
        }
    return inputs
