"""The units table (SPEC 4.5, ``--units FILE``): name, group, aliases and attributes.

Large registries (hundreds of enterprises) live in a sheet the office already
keeps, not in the rubric. Columns: 单位名称 (or 名称/单位), 分组 (group id or
title), 简称/别名 (several, separated by 、，; or spaces); every other column is
an attribute (行业, 风险等级…), numbers as Decimal. A sheet without a 分组 column
may be named after its group (one sheet per group is common). Every bad cell is
a problem at that cell; good rows are still read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from safescore.inputs.clean import (
    CleanError,
    is_missing_marker,
    normalize_label,
    normalize_name,
    normalize_text,
    parse_number,
)
from safescore.inputs.header import HEADER_SCAN_ROWS
from safescore.inputs.match import is_total_row
from safescore.inputs.workbook import SheetGrid, cell_name, read_workbook
from safescore.problems import Problem, Report
from safescore.rubric.model import Group, Rubric, Unit

__all__ = ["merge_units", "read_units_table"]

_ROLES = {
    "name": ("单位名称", "名称", "单位", "被考核单位", "被考评单位", "企业名称", "单位(企业)名称"),
    "group": ("分组", "组别", "考核分组", "所属分组", "分组名称", "分组编码"),
    "aliases": ("简称/别名", "简称", "别名", "简称或别名", "简称、别名", "别称", "曾用名"),
    "skip": ("序号",),
}
_ROLE_KEYS = {normalize_label(t): role for role, texts in _ROLES.items() for t in texts}
_ALIAS_SPLIT = re.compile(r"[、,，;；\s]+")
# Codes (0531…, 18-digit credit codes) look like numbers but must stay text.
_CODE_LIKE = re.compile(r"0[0-9].*|[0-9]{16,}")


def _key(name: object) -> str:
    """The key names are compared by, as the matcher does."""
    return normalize_name(name).casefold()


def _clean_name(raw: object) -> str:
    """Trim and drop line breaks and spaces between CJK characters; keep the rest as written."""
    s = re.sub(r"\s+", " ", str(raw).strip())
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", s)


def _find_header(sheet: SheetGrid) -> tuple[int, dict[str, int], dict[int, str]] | None:
    """(row, role → column, attribute column → header text) of the best header row."""
    best: tuple[int, dict[str, int], dict[int, str]] | None = None
    for r in range(min(sheet.n_rows, HEADER_SCAN_ROWS)):
        roles: dict[str, int] = {}
        attrs: dict[int, str] = {}
        for c in range(len(sheet.rows[r])):
            text = _text(sheet.merged_value(r, c))
            if not text:
                continue
            role = _ROLE_KEYS.get(normalize_label(text))
            if role is None:
                if normalize_name(text) not in attrs.values():  # a header merged over two columns
                    attrs[c] = normalize_name(text)
            elif role not in roles:
                roles[role] = c
        if "name" in roles and (best is None or len(roles) > len(best[1])):
            best = (r, roles, attrs)
    return best


def _text(v: object) -> str:
    return "" if v is None else normalize_text(v)


def _attr_value(raw: object) -> Any:
    """Numbers (also stored as text) → Decimal, dates → date, blanks → None, text as written."""
    if isinstance(raw, str) and len(raw) <= 200:
        return _attr_text(raw)  # a column of 行业 / 风险等级 repeats a few texts
    return _attr_value_of(raw)


@lru_cache(maxsize=4096)
def _attr_text(raw: str) -> Any:
    return _attr_value_of(raw)


def _attr_value_of(raw: object) -> Any:
    if is_missing_marker(raw):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = normalize_text(raw)
    if isinstance(raw, int | float | Decimal) or not _CODE_LIKE.fullmatch(text):
        try:
            return parse_number(raw)
        except CleanError:
            pass
    return text


def _match_group(text: str, groups: Sequence[Group]) -> Group | None:
    """By id, title, or title without its bracketed note (街道 for 街道(功能区))."""
    key, short = _key(text), normalize_label(text)
    for g in groups:
        if key in (g.id.casefold(), _key(g.title)):
            return g
    return next((g for g in groups if short == normalize_label(g.title)), None)


class _Reader:
    """Reads one file; ``seen`` spans sheets so a unit listed twice is caught."""

    def __init__(self, path: Path, rubric: Rubric, report: Report):
        self.fname, self.rubric, self.report = str(path), rubric, report
        self.seen: dict[str, str] = {}  # name key → "sheet!A1"
        self.alias_owner: dict[str, str] = {}  # alias key → unit name
        self.all_names: dict[str, str] = {}  # name key → name, every sheet, filled before reading

    def problem(self, code: str, msg: str, sheet: str, cell: str | None, **kw: Any) -> None:
        self.report.add(Problem(code, msg, file=self.fname, sheet=sheet, cell=cell, **kw))

    def read_sheet(self, sheet: SheetGrid, found: tuple[int, dict[str, int], dict[int, str]]) -> list[Unit]:
        hrow, roles, attrs = found
        groups = self.rubric.groups
        default = _match_group(sheet.name, groups) or (groups[0] if len(groups) == 1 else None)
        if "group" not in roles and default is None:
            msg = f"工作表“{sheet.name}”没有“分组”列，也不以分组命名，无法确定单位的分组"
            expected = "分组 列（填 " + "、".join(f"{g.id} 或 {g.title}" for g in groups) + "）"
            self.problem("missing-column", msg, sheet.name, cell_name(hrow, 0), expected=expected)
            return []
        out: list[Unit] = []
        for r in range(hrow + 1, sheet.n_rows):
            unit = self.read_row(sheet, r, roles, attrs, default)
            if unit is not None:
                out.append(unit)
        return out

    def read_row(
        self, sheet: SheetGrid, r: int, roles: dict[str, int], attrs: dict[int, str], default: Group | None
    ) -> Unit | None:
        ncol = roles["name"]
        raw, a1 = sheet.value(r, ncol), cell_name(r, ncol)
        total = raw is not None and is_total_row(raw)
        if total or not _text(raw):
            # a pre-numbered blank row (only 序号 filled) is not worth a line in the report
            if any(v not in (None, "") for c, v in enumerate(sheet.rows[r]) if c != roles.get("skip")):
                msg = f"跳过{'合计行' if total else '单位名称为空的行'}（第{r + 1}行）"
                kw = {"severity": "info", "value": _text(raw) or None}
                self.problem("row-skipped", msg, sheet.name, a1, **kw)
            return None
        name = _clean_name(raw)
        where = f"{sheet.name}!{a1}"
        if _key(name) in self.seen:
            msg = f"单位“{name}”在单位名单中出现两次（{self.seen[_key(name)]} 与 {where}），只采用第一行"
            self.problem("duplicate-unit", msg, sheet.name, a1, unit=name, value=_text(raw))
            return None
        group = self.group_of(sheet, r, roles.get("group"), default, name)
        if group is None:
            return None
        self.seen[_key(name)] = where
        return Unit(
            name=name,
            group=group.id,
            aliases=self.aliases_of(sheet, r, roles.get("aliases"), name),
            attributes={
                attrs[c]: v for c in sorted(attrs) if (v := _attr_value(sheet.merged_value(r, c))) is not None
            },
        )

    def group_of(
        self, sheet: SheetGrid, r: int, col: int | None, default: Group | None, name: str
    ) -> Group | None:
        # Group cells are often merged down a block of rows, so follow the merge.
        text = _text(sheet.merged_value(r, col)) if col is not None else ""
        groups = self.rubric.groups
        expected = "、".join(f"{g.id}（{g.title}）" for g in groups)
        a1 = cell_name(r, col) if col is not None else None
        if not text:
            if default is None:
                msg = f"单位“{name}”没有填写分组"
                self.problem("missing-group", msg, sheet.name, a1, unit=name, expected=expected)
            return default
        group = _match_group(text, groups)
        if group is None:
            msg = f"单位“{name}”的分组“{text}”不是本规则的分组"
            self.problem("unknown-group", msg, sheet.name, a1, unit=name, value=text, expected=expected)
        return group

    def aliases_of(self, sheet: SheetGrid, r: int, col: int | None, name: str) -> list[str]:
        raw = sheet.value(r, col) if col is not None else None
        if is_missing_marker(raw):
            return []
        out: list[str] = []
        keys = {_key(name)}
        for alias in _ALIAS_SPLIT.split(str(raw).strip()):
            k = _key(alias)
            if not k or k in keys:
                continue
            owner = self.alias_owner.get(k) or self.all_names.get(k)
            if owner is not None:
                msg = f"“{name}”的别名“{alias}”已是单位“{owner}”的名称或别名，已忽略"
                a1 = cell_name(r, col) if col is not None else None
                self.problem("alias-conflict", msg, sheet.name, a1, unit=name, value=alias)
                continue
            keys.add(k)
            self.alias_owner[k] = name
            out.append(alias)
        return out


def read_units_table(path: Path, rubric: Rubric, report: Report) -> list[Unit]:
    """Units from every visible sheet with a 单位名称 column; problems go to ``report``."""
    wb = read_workbook(Path(path), report)
    if wb is None:
        return []
    reader = _Reader(wb.path, rubric, report)
    found = [(s, h) for s in wb.sheets if not s.hidden and (h := _find_header(s)) is not None]
    # An alias may name a unit listed further down, so all names are known before aliases.
    for s, (hrow, roles, _attrs) in found:
        for r in range(hrow + 1, s.n_rows):
            v = s.value(r, roles["name"])
            if _text(v) and not is_total_row(v):
                reader.all_names.setdefault(_key(v), _clean_name(v))
    units: list[Unit] = []
    for sheet, h in found:
        units.extend(reader.read_sheet(sheet, h))
    if not found:
        report.add(
            Problem(
                "no-matching-sheet",
                "单位名单中没有找到含“单位名称”列的工作表",
                file=str(wb.path),
                expected="表头含 单位名称、分组、简称/别名 的工作表",
            )
        )
    return units


def merge_units(rubric_units: Sequence[Unit], table_units: Sequence[Unit], report: Report) -> list[Unit]:
    """The rubric's units with the table's: the table wins for a name in both (an info problem).

    Rubric order first, then units only in the table. An alias that names another
    unit (or another unit's alias) would make names ambiguous: it is an error and dropped.
    """
    by_key = {_key(u.name): u for u in table_units}
    merged: list[Unit] = []
    for u in rubric_units:
        t = by_key.pop(_key(u.name), None)
        if t is not None:
            msg = f"单位“{u.name}”同时在规则文件和单位名单中，采用单位名单中的分组、别名和属性"
            report.add(Problem("unit-overridden", msg, severity="info", unit=u.name))
            # The rubric's spelling stays: its targets and sample data are keyed by it.
            t = t if t.name == u.name else t.model_copy(update={"name": u.name})
        merged.append(t or u)
    merged += [u for u in table_units if _key(u.name) in by_key]
    owner = {_key(u.name): u.name for u in merged}
    out: list[Unit] = []
    for u in merged:
        keep: list[str] = []
        for alias in u.aliases:
            other = owner.setdefault(_key(alias), u.name)
            if other != u.name:
                msg = f"单位“{u.name}”的别名“{alias}”已是单位“{other}”的名称或别名，已忽略"
                report.add(Problem("alias-conflict", msg, unit=u.name, value=alias))
                continue
            keep.append(alias)
        out.append(u if len(keep) == len(u.aliases) else u.model_copy(update={"aliases": keep}))
    return out
