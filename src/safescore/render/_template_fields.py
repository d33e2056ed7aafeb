"""What a blank return asks for: the field rows of a group, with the scoring texts that use
each field, and the titles and units the template sheets show (SPEC 4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from safescore.engine.scoring import rule_refs
from safescore.render import _xlsx_validation as xv
from safescore.rubric.check import parse_cached
from safescore.rubric.model import FieldDef, Item, Rubric


@dataclass
class FieldRow:
    """One row of the form: a field, the scoring texts that use it, the targets they read."""

    fid: str
    fd: FieldDef
    basis: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    vetoes: list[str] = field(default_factory=list)

    def basis_text(self, rubric: Rubric, unit_targets: dict[str, Decimal]) -> str:
        """评分标准 text: the items' basis, this unit's own target values, then vetoes; joined by '；'."""
        parts = list(self.basis)
        for name in self.targets:
            value = unit_targets.get(name)
            if value is not None:
                parts.append(f"目标值：{xv.show_value(value, self.fd)}（{rubric.targets[name].title}）")
        parts.extend(f"一票否决：{title}" for title in self.vetoes)
        return "；".join(parts)


def return_items(rubric: Rubric, group: str) -> list[Item]:
    """Items of ``group`` scored from the unit's own return, in rubric order (assessors' left out)."""
    out = [it for s in rubric.sections_for(group) for it in s.items_for(group) if it.source == "return"]
    for block in (rubric.bonus, rubric.penalty):
        out.extend(it for it in block.items if it.source == "return" and it.applies_to(group))
    return out


def field_rows(rubric: Rubric, group: str) -> list[FieldRow]:
    """Fields a unit of ``group`` reports, each once, in section/item order, then veto fields.

    Fields derived from record lists are left out: the unit does not type them.
    """
    rows: dict[str, FieldRow] = {}

    def row_for(fid: str) -> FieldRow | None:
        if fid not in rubric.fields or fid in rubric.derive:
            return None
        return rows.setdefault(fid, FieldRow(fid, rubric.fields[fid]))

    for it in return_items(rubric, group):
        refs = rule_refs(it.rule, rubric)
        target_names = [n for n in refs if n in rubric.targets and n not in rubric.fields]
        for fid in refs:
            row = row_for(fid)
            if row is None:
                continue
            text = (it.basis or it.title).strip()
            if text not in row.basis:
                row.basis.append(text)
            row.targets.extend(n for n in target_names if n not in row.targets)
    for v in rubric.veto_for(group):
        for fid in sorted(parse_cached(v.when).names):
            row = row_for(fid)
            if row is not None:
                row.vetoes.append(v.title)
    return list(rows.values())


def template_title(rubric: Rubric, kind: str, group_title: str) -> str:
    """The printed title: the rubric's title without 细则/评分, the kind, the group."""
    base = rubric.title.removesuffix("细则").removesuffix("评分")
    return f"{base}{kind}（{group_title}）"


def unit_text(fd: FieldDef) -> str:
    """The unit a value is counted in: the field's own, or % for a percentage."""
    return fd.unit or ("%" if fd.type == "percent" else "")
