"""Checks of record lists, derived fields, warnings and ladders (SPEC 3.5, 3.6, 4.3).

A mixin of the rubric checker: it uses the checker's ``r`` (rubric), ``add`` and ``expr``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

from safescore.rubric import model as m
from safescore.rubric.expr import Kind


def record_kind(rl: m.RecordList, name: str, computed: bool = True) -> Kind | None:
    """Type of a record-list column in a where-expression (``computed``: overdue columns too)."""
    col = rl.columns.get(name)
    if col is not None:
        return {"int": "num", "number": "num", "bool": "bool", "date": "date"}.get(col.type, "str")
    if computed and rl.overdue is not None and name in m.OVERDUE_COLUMNS:
        return "bool" if name == "overdue" else "num"
    return None


class RecordChecks:
    """``check_records``, ``check_derive`` and ``check_warnings_ladders`` for the rubric checker."""

    r: m.Rubric
    add: Callable[..., None]
    expr: Callable[..., None]

    def _column(
        self, rl: m.RecordList, name: str, kinds: tuple[Kind, ...], loc: tuple[Any, ...], what: str
    ) -> None:
        kind = record_kind(rl, name)
        if kind is None:
            self.add(
                "unknown-column",
                f"{what} 引用了台账“{rl.title}”中未映射的列 {name}",
                loc,
                expected="、".join(rl.columns),
            )
        elif kind not in kinds:
            self.add("column-type", f"{what} 的列 {name} 类型不符", loc, expected="/".join(kinds))

    def _record_list(self, name: str, loc: tuple[Any, ...]) -> m.RecordList | None:
        rl = self.r.records.get(name)
        if rl is None:
            self.add(
                "unknown-records",
                f"台账 {name} 未在 records 中声明",
                loc,
                expected="、".join(self.r.records) or "先在 records 中声明台账",
            )
        return rl

    def _where(self, rl: m.RecordList, text: str | None, loc: tuple[Any, ...]) -> None:
        if text is not None:
            self.expr(text, "bool", loc, lambda n: record_kind(rl, n))

    def check_records(self) -> None:
        for name, rl in self.r.records.items():
            loc: tuple[Any, ...] = ("records", name)
            if name in self.r.sources:
                self.add("duplicate-id", f"台账 {name} 与评分来源同名", loc)
            if rl.date is not None:
                self._column(rl, rl.date, ("date",), (*loc, "date"), "date")
            if rl.overdue is not None:
                for key in m.OVERDUE_COLUMNS:
                    if key in rl.columns:
                        self.add("reserved-column", f"列名 {key} 由 overdue 自动计算，不能再映射", loc)
                self._column(rl, rl.overdue.due, ("date",), (*loc, "overdue", "due"), "overdue.due")
                done = rl.overdue.done
                self.expr(
                    done,
                    "bool",
                    (*loc, "overdue", "done"),
                    functools.partial(record_kind, rl, computed=False),
                )

    def check_derive(self) -> None:
        for name, d in self.r.derive.items():
            loc: tuple[Any, ...] = ("derive", name)
            fd = self.r.fields.get(name)
            if fd is None:
                self.add("unknown-field", f"派生字段 {name} 未在 fields 中声明", loc)
            elif fd.type not in ("int", "number"):
                self.add("derive-type", f"派生字段 {name} 应为 int 或 number 类型（计数或求和）", loc)
            rl = self._record_list(d.records, (*loc, "records"))
            if rl is None:
                continue
            if d.sum is not None:
                self._column(rl, d.sum, ("num",), (*loc, "sum"), f"派生字段 {name} 的 sum")
            self._where(rl, d.where, (*loc, "where"))
            if d.span != "all" and rl.date_column() is None:
                self.add(
                    "derive-no-date",
                    f"台账“{rl.title}”没有日期列（date），派生字段 {name} 将统计全部记录",
                    (*loc, "span"),
                    "warning",
                )

    def check_warnings_ladders(self) -> None:
        taken = {i.id for i in self.r.all_items()} | {v.id for v in self.r.veto}
        for wi, w in enumerate(self.r.warnings):
            loc: tuple[Any, ...] = ("warnings", wi)
            if w.id in taken:
                self.add("duplicate-id", f"预警编号 {w.id} 与其他指标或预警重复", (*loc, "id"))
            taken.add(w.id)
            self._group_list(w.groups, (*loc, "groups"))
            rl = self._record_list(w.records, (*loc, "records"))
            if rl is None:
                continue
            self._where(rl, w.where, (*loc, "where"))
            if rl.date_column() is None:
                self.add("records-no-date", f"预警 {w.id} 需要台账“{rl.title}”有日期列（date）", loc)
            for ri, metric in enumerate(w.rising or []):
                if metric != "count":
                    self._column(rl, metric, ("num",), (*loc, "rising", ri), f"预警 {w.id} 的 rising")
        for li, lad in enumerate(self.r.ladders):
            loc = ("ladders", li)
            if lad.id in taken:
                self.add("duplicate-id", f"阶梯编号 {lad.id} 与其他指标或预警重复", (*loc, "id"))
            taken.add(lad.id)
            self._group_list(lad.groups, (*loc, "groups"))
            if lad.count is not None:
                self.expr(lad.count, "num", (*loc, "count"))
            elif lad.records is not None and (rl := self._record_list(lad.records, (*loc, "records"))):
                self._where(rl, lad.where, (*loc, "where"))
                if rl.date_column() is None:
                    self.add(
                        "records-no-date",
                        f"台账“{rl.title}”没有日期列，阶梯 {lad.id} 将统计全部记录",
                        loc,
                        "warning",
                    )
            marks = [s.threshold() for s in lad.steps]
            if any(b <= a for a, b in itertools.pairwise(marks)):
                self.add("ladder-order", f"阶梯 {lad.id} 的各档应按次数从低到高排列", (*loc, "steps"))
