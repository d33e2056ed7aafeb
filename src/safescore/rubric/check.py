"""Semantic checks of a rubric (``safescore check``): the lint behind every load.

Each finding is a :class:`Problem` with the YAML line of the offending key.
Errors make the rubric unusable (exit 2); warnings are shown and allowed.
"""

from __future__ import annotations

import itertools
import math
import string
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from safescore.problems import Problem, Report
from safescore.rubric import model as m
from safescore.rubric.check_records import RecordChecks
from safescore.rubric.expr import Expr, ExprError, Kind, infer, parse
from safescore.rubric.load import Positions, parse_rubric

REASON_KEYS = {"title", "value", "miss", "lost", "score", "points", "count", "target", "unit"}
ASSESSOR_KIND = "score"


@lru_cache(maxsize=4096)
def parse_cached(text: str) -> Expr:
    return parse(text)


def field_kind(f: m.FieldDef) -> Kind | None:
    if f.type in ("int", "number", "percent"):
        return "num"
    if f.type == "bool":
        return "bool"
    if f.type in ("text", "choice"):
        return "str"
    return None  # dates are not usable in expressions


class _Checker(RecordChecks):
    def __init__(self, rubric: m.Rubric, positions: Positions, report: Report, fname: str):
        self.r = rubric
        self.pos = positions
        self.report = report
        self.fname = fname
        self.used_fields: set[str] = set()
        self.groups = set(rubric.group_ids())

    def add(
        self, code: str, msg: str, loc: tuple[Any, ...], severity: str = "error", expected: str | None = None
    ) -> None:
        line, col = self.pos.find(loc)
        self.report.add(
            Problem(
                code,
                msg,
                severity=severity,
                category="rubric",
                file=self.fname,
                line=line,
                column=col,
                expected=expected,
            )  # type: ignore[arg-type]
        )

    def kind_of(self, name: str) -> Kind | None:
        if name in self.r.fields:
            self.used_fields.add(name)
            return field_kind(self.r.fields[name])
        if name in self.r.targets:
            return "num"
        return None

    def expr(
        self, text: str, want: Kind, loc: tuple[Any, ...], kind_of: Callable[[str], Kind | None] | None = None
    ) -> None:
        try:
            e = parse_cached(text)
            got = infer(e.root, kind_of or self.kind_of)
        except ExprError as exc:
            line, col = self.pos.find_in_value(loc, exc.col)
            self.report.add(
                Problem(
                    exc.code,
                    f"表达式 “{text}” 第{exc.col + 1}个字符处：{exc}",
                    category="rubric",
                    file=self.fname,
                    line=line,
                    column=col,
                )
            )
            return
        if got != want:
            names = {"num": "数值", "bool": "条件（是/否）", "str": "文本", "date": "日期"}
            self.add("expr-type", f"表达式 “{text}” 的结果是{names[got]}，这里需要{names[want]}", loc)

    # -- checks ------------------------------------------------------------------
    def run(self) -> None:
        self.check_groups_units()
        self.check_fields()
        self.check_sections()
        self.check_adjustments()
        self.check_vetoes_grades()
        self.check_targets()
        self.check_records()
        self.check_derive()
        self.check_warnings_ladders()
        for name in self.r.fields:
            if name not in self.used_fields:
                self.add("field-unused", f"字段 {name} 未被任何指标使用", ("fields", name), "warning")

    def check_groups_units(self) -> None:
        seen: set[str] = set()
        for i, g in enumerate(self.r.groups):
            if g.id in seen:
                self.add("duplicate-id", f"分组 {g.id} 重复", ("groups", i, "id"))
            seen.add(g.id)
        from safescore.inputs.clean import normalize_name

        names: dict[str, str] = {}
        for i, u in enumerate(self.r.units):
            if u.group not in self.groups:
                self.add(
                    "unknown-group",
                    f"单位 {u.name} 的分组 {u.group} 未定义",
                    ("units", i, "group"),
                    expected="、".join(self.groups),
                )
            for n in (u.name, *u.aliases):
                key = normalize_name(n)
                if key in names and names[key] != u.name:
                    self.add("duplicate-unit-name", f"单位名称或简称 {n} 与 {names[key]} 重复", ("units", i))
                names[key] = u.name
        if isinstance(self.r.scale, dict):
            for g in self.r.scale:
                if g not in self.groups:
                    self.add("unknown-group", f"scale 中的分组 {g} 未定义", ("scale", g))

    def check_fields(self) -> None:
        for name, f in self.r.fields.items():
            for key in ("min", "max"):
                v = getattr(f, key)
                if isinstance(v, str):
                    if v not in self.r.fields:
                        self.add(
                            "unknown-field", f"字段 {name} 的 {key} 引用了未知字段 {v}", ("fields", name, key)
                        )
                    else:
                        self.used_fields.add(v)

    def _group_list(self, groups: list[str] | None, loc: tuple[Any, ...]) -> None:
        for g in groups or []:
            if g not in self.groups:
                self.add("unknown-group", f"分组 {g} 未定义", loc, expected="、".join(self.groups))

    def check_sections(self) -> None:
        item_ids: set[str] = set()
        section_ids: set[str] = set()
        for si, s in enumerate(self.r.sections):
            sloc: tuple[Any, ...] = ("sections", si)
            if s.id in section_ids:
                self.add("duplicate-id", f"一级指标编号 {s.id} 重复", (*sloc, "id"))
            section_ids.add(s.id)
            self._group_list(s.groups, (*sloc, "groups"))
            for key in ("points", "weight"):
                v = getattr(s, key)
                if isinstance(v, dict):
                    self._group_list(list(v), (*sloc, key))
            for ii, it in enumerate(s.items):
                iloc = (*sloc, "items", ii)
                if it.id in item_ids:
                    self.add("duplicate-id", f"指标编号 {it.id} 重复", (*iloc, "id"))
                item_ids.add(it.id)
                self._group_list(it.groups, (*iloc, "groups"))
                if isinstance(it.points, dict):
                    self._group_list(list(it.points), (*iloc, "points"))
                if it.rule.kind == "per":
                    self.add("rule-misplaced", "kind: per 只能用于加分或减分项", (*iloc, "rule", "kind"))
                self.check_item(it, iloc, in_section=True)
        for gid in self.r.group_ids():
            self.check_group_totals(gid)
        for i, t in enumerate(self.r.tiebreak):
            if t not in section_ids:
                self.add(
                    "unknown-section",
                    f"tiebreak 中的一级指标 {t} 未定义",
                    ("tiebreak", i),
                    expected="、".join(section_ids),
                )

    def check_group_totals(self, gid: str) -> None:
        secs = [(i, s) for i, s in enumerate(self.r.sections) if s.applies_to(gid) and s.items_for(gid)]
        if not secs:
            self.add("group-empty", f"分组 {gid} 没有任何适用的指标", ("groups",))
            return
        weighted = [s.weight_for(gid) is not None for _, s in secs]
        if any(weighted) and not all(weighted):
            self.add("points-weight-mixed", f"分组 {gid} 的一级指标混用了 points 与 weight", ("sections",))
            return
        total = Decimal(0)
        for si, s in secs:
            item_sum = Decimal(0)
            for ii, it in enumerate(s.items):
                if not it.applies_to(gid):
                    continue
                p = it.points_for(gid)
                if p is None:
                    self.add(
                        "item-no-points",
                        f"指标 {it.id} 没有给出分组 {gid} 的分值",
                        ("sections", si, "items", ii),
                    )
                    continue
                item_sum += p
            declared = s.declared_points_for(gid)
            if declared is not None and declared != item_sum:
                self.add(
                    "section-points-mismatch",
                    f"一级指标 {s.id} 在分组 {gid} 的分值 {declared} 不等于其下指标分值之和 {item_sum}",
                    ("sections", si, "points"),
                )
            total += s.weight_for(gid) if any(weighted) else (declared if declared is not None else item_sum)  # type: ignore[operator]
        if any(weighted):
            if total != 1:
                self.add("weights-not-one", f"分组 {gid} 的一级指标权重之和为 {total}，应为 1", ("sections",))
        elif total != self.r.scale_for(gid):
            self.add(
                "points-not-scale",
                f"分组 {gid} 的一级指标分值之和为 {total}，应等于满分 scale {self.r.scale_for(gid)}",
                ("scale",),
            )

    def check_item(self, it: m.Item, loc: tuple[Any, ...], in_section: bool) -> None:
        rule = it.rule
        rloc = (*loc, "rule")
        if it.source != "return" and it.source not in self.r.sources:
            self.add(
                "unknown-source", f"指标 {it.id} 的来源 {it.source} 未在 sources 中声明", (*loc, "source")
            )
        if rule.kind == ASSESSOR_KIND and it.source == "return":
            self.add(
                "score-needs-source",
                f"指标 {it.id} 使用 kind: score，需要指定评分来源 source（如 onsite）",
                (*loc, "source"),
            )
        if rule.kind != ASSESSOR_KIND and it.source != "return":
            self.add(
                "source-needs-score",
                f"指标 {it.id} 来自评分表 {it.source}，只能使用 kind: score",
                (*loc, "rule", "kind"),
            )
        needs_points = in_section or rule.kind not in ("per",)
        if needs_points and it.points is None:
            self.add("item-no-points", f"指标 {it.id} 缺少分值 points", loc)
        exprs: list[tuple[str, Kind, str]] = []
        if isinstance(rule, m.CheckRule):
            exprs.append((rule.when, "bool", "when"))
        elif isinstance(rule, m.DeductRule | m.PerRule):
            exprs.append((rule.count, "num", "count"))
        elif isinstance(rule, m.RateRule | m.BandsRule | m.LinearRule | m.RelativeRule | m.RankRule):
            exprs.append((rule.value, "num", "value"))
        elif isinstance(rule, m.TargetRule):
            exprs.append((rule.value, "num", "value"))
            if isinstance(rule.target, str):
                exprs.append((rule.target, "num", "target"))
        elif isinstance(rule, m.FormulaRule):
            exprs.append((rule.expr, "num", "expr"))
        for text, want, key in exprs:
            self.expr(text, want, (*rloc, key))
        if isinstance(rule, m.BandsRule):
            self.check_bands(it, rule, rloc)
        if it.reason:
            try:
                keys = {f for _, f, _, _ in string.Formatter().parse(it.reason) if f}
            except ValueError:
                keys = {"?"}
            bad = keys - REASON_KEYS
            if bad:
                self.add(
                    "reason-template",
                    f"扣分说明模板中的 {{{'}、{'.join(sorted(bad))}}} 无法识别",
                    (*loc, "reason"),
                    expected="可用：" + "、".join(sorted(REASON_KEYS)),
                )

    def check_bands(self, it: m.Item, rule: m.BandsRule, loc: tuple[Any, ...]) -> None:
        bounded = [(i, b) for i, b in enumerate(rule.bands) if b.min is not None or b.max is not None]
        has_default = len(bounded) < len(rule.bands)
        for i, b in enumerate(rule.bands):
            pts = [it.points_for(g) for g in self.r.group_ids() if it.applies_to(g)]
            top = max((p for p in pts if p is not None), default=None)
            if b.score < 0 or (top is not None and b.score > top):
                self.add(
                    "band-score-range",
                    f"分档得分 {b.score} 超出 0 到 {top} 的范围",
                    (*loc, "bands", i, "score"),
                )
            if b.min is not None and b.max is not None and b.min > b.max:
                self.add("band-empty", f"分档下限 {b.min} 大于上限 {b.max}", (*loc, "bands", i))
        inf = Decimal("Infinity")
        spans = [
            (b.min if b.min is not None else -inf, b.max if b.max is not None else inf, i) for i, b in bounded
        ]
        for k, (lo2, hi2, i2) in enumerate(spans):
            for lo1, hi1, i1 in spans[:k]:
                if lo1 <= lo2 and hi2 <= hi1:
                    # first match wins, so a band inside an earlier one can never apply
                    self.add(
                        "band-unreachable",
                        f"第{i2 + 1}档完全落在第{i1 + 1}档之内，永远不会被采用",
                        (*loc, "bands", i2),
                    )
                    break
                overlap = max(lo1, lo2) <= min(hi1, hi2)
                nested = lo2 <= lo1 and hi1 <= hi2
                if overlap and not nested:
                    self.add(
                        "band-overlap",
                        f"第{i1 + 1}档与第{i2 + 1}档部分重叠，重叠部分按第{i1 + 1}档计",
                        (*loc, "bands", i2),
                        "warning",
                    )
        if not has_default and spans:
            merged: list[list[Decimal]] = []
            for lo, hi, _ in sorted(spans):
                if merged and lo <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            for (_, hi1), (lo2, _) in itertools.pairwise(merged):
                # max 59 / min 60 leaves no gap for whole-number values
                if not (lo2 - hi1 == 1 and hi1 == hi1.to_integral_value()):
                    self.add(
                        "band-gap",
                        f"分档在 {hi1} 与 {lo2} 之间有空档，落在其中的值不得分",
                        (*loc, "bands"),
                        "warning",
                    )

    def check_adjustments(self) -> None:
        for key in ("bonus", "penalty"):
            block: m.Adjustments = getattr(self.r, key)
            for ii, it in enumerate(block.items):
                self.check_item(it, (key, "items", ii), in_section=False)

    def check_vetoes_grades(self) -> None:
        grade_names: set[str] = set()
        grade_lists = self.r.grades.items() if isinstance(self.r.grades, dict) else [(None, self.r.grades)]
        for gkey, grades in grade_lists:
            base: tuple[Any, ...] = ("grades", gkey) if gkey else ("grades",)
            if gkey and gkey not in self.groups:
                self.add("unknown-group", f"grades 中的分组 {gkey} 未定义", base)
            names = [g.name for g in grades]
            grade_names.update(names)
            if len(set(names)) != len(names):
                self.add("duplicate-id", "等次名称重复", base)
            mins = [g.min for g in grades if g.min is not None]
            if mins != sorted(mins, reverse=True):
                self.add("grades-order", "等次应从高到低排列（min 递减）", base)
            if grades and grades[-1].min is not None:
                self.add(
                    "grades-no-floor",
                    f"最低等次 {grades[-1].name} 带有 min：低于它的单位也将被评为该等次",
                    (*base, len(grades) - 1),
                    "warning",
                )
            for gi, g in enumerate(grades):
                if g.quota is None:
                    continue
                groups = [gkey] if gkey else self.r.group_ids()
                for gid in groups:
                    size = sum(1 for u in self.r.units if u.group == gid)
                    if size and math.floor(g.quota * size) == 0:
                        # A warning: the rubric is valid, and a units table may add units to the group.
                        self.add(
                            "quota-unreachable",
                            f"等次 {g.name} 的比例 {g.quota} 乘以分组 {gid} 的 {size} 个单位不足 1 个名额，没有单位能评上",
                            (*base, gi, "quota"),
                            "warning",
                        )
        for vi, v in enumerate(self.r.veto):
            self.expr(v.when, "bool", ("veto", vi, "when"))
            self._group_list(v.groups, ("veto", vi, "groups"))
            if isinstance(v.effect, m.MaxGradeEffect) and v.effect.max_grade not in grade_names:
                self.add(
                    "unknown-grade",
                    f"一票否决 {v.id} 的 max_grade {v.effect.max_grade} 不是已定义的等次",
                    ("veto", vi, "effect"),
                )
        if self.r.veto and not grade_names and any(v.effect == "fail" for v in self.r.veto):
            self.add("veto-needs-grades", "effect: fail 需要定义等次 grades", ("veto",))

    def check_targets(self) -> None:
        known = {u.name for u in self.r.units}
        for name, t in self.r.targets.items():
            for unit in t.values:
                if known and unit not in known:
                    self.add(
                        "unknown-unit",
                        f"目标值 {name} 中的单位 {unit} 不在单位名单中",
                        ("targets", name, "values"),
                    )
            if t.table:
                table = Path(self.r.path or ".").parent / t.table
                if not table.exists():
                    self.add(
                        "target-table-missing",
                        f"目标值表 {t.table} 不存在（路径相对于规则文件）",
                        ("targets", name, "table"),
                    )
                continue  # per-unit completeness is checked when the table is read
            if t.default is None:
                missing = [u for u in known if u not in t.values]
                if missing:
                    self.add(
                        "target-missing",
                        f"目标值 {name} 缺少这些单位的值且没有 default：{'、'.join(sorted(missing)[:5])}",
                        ("targets", name),
                    )


def check_rubric(path: Path, report: Report) -> m.Rubric | None:
    """Load ``path`` and run every semantic check; problems go into ``report``."""
    got = parse_rubric(path, report)
    if got is None:
        return None
    rubric, positions = got
    _Checker(rubric, positions, report, str(path)).run()
    return rubric
