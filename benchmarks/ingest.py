"""Benchmark: read + validate + score 10,000 form returns, one workbook each (SPEC 8, first bullet).

Run from the repository root::

    .venv/bin/python benchmarks/ingest.py [--n 10000] [--jobs N] [--baseline-sample 300] [--keep DIR]

1. Generates N form returns (layout of ``safescore.inputs.form_layout``) for the shipped
   gangcheng rubric, plus a units table (.xlsx) that assigns the synthetic units to the
   rubric's groups. Each workbook has a 填报表 sheet with 60 field rows (the rubric's 40
   fields, 16 unscored statistics fields added by a benchmark copy of the rubric, 4 rows
   the reader must report as unknown) and 10 section headings, a 自评分 sheet, a 说明
   sheet, a 200-row 隐患清单 and the hidden _safescore sheet. Values arrive messy but
   valid (numbers as text, full-width digits, units after numbers, 95% / 95 / 0.95,
   是/√/有/1/TRUE, 无/— for zero, formulas with cached values, hidden rows).
   One real workbook per group is written with openpyxl; every return is then produced
   by filling that template's sheet XML (inline strings, no shared strings) and zipping
   it, in a process pool. A sample is checked to open in openpyxl and to read back
   through safescore with the generated values.
2. Times ``read_units_table`` + ``merge_units`` + ``read_inputs(jobs=--jobs)`` + ``score``
   (wall time, files/s, CPU time of the main process and of the pool workers, peak memory
   per process and of all processes together).
3. Times the naive baseline on a sample: ``pandas.read_excel(sheet_name=None,
   engine="openpyxl")`` per file and a Python loop turning the form rows into field
   values; and safescore with ``jobs=1`` on the same sample.
4. Checks that every unit got its return, that the problems are exactly the designed
   ones, that every value read equals the generated one, that every unit's scores equal a
   direct computation (``fractions.Fraction``), and that a handful of units score the same
   when their file is read alone.

``--profile`` adds a cProfile summary of ``read_inputs(jobs=1)`` over the sample.
Exit status: 0 when every check passes, 1 otherwise (the targets do not affect it).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from importlib.metadata import version
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from safescore.api import score
from safescore.engine.scoring import rule_refs
from safescore.inputs import form_layout as fl
from safescore.inputs.batch import default_jobs
from safescore.inputs.model import Inputs
from safescore.inputs.read import read_inputs
from safescore.inputs.units import merge_units, read_units_table
from safescore.problems import Report
from safescore.results.model import Result, UnitResult
from safescore.rubric import model as m
from safescore.rubric.check import check_rubric

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"
PERIOD = "2022Q1"
PERIOD_TEXT = "2022年第一季度"
HAZARD_ROWS = 200
SAMPLE_VERIFY = 24  # generated files checked with openpyxl and safescore before timing
SCORE_CHECK_UNITS = 6  # units scored alone and by direct computation
TARGET_RATIO = 5.0
TARGET_RATE = 200.0
TARGET_MEM = 1 << 30
MIB = 1 << 20
PH = 7_770_000_000  # placeholder numbers: template cells filled per file
Q1_START = 44562  # Excel serial of 2022-01-01
_EPOCH = dt.date(1899, 12, 30)  # Excel serial 0 (for serials after 1900-03-01)
SEED = 1

# Unscored statistics rows many offices keep in their forms; added to a copy of the rubric.
EXTRA_FIELDS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("x_ent_total", "监管企业总数", "int", "家", False),
    ("x_ent_key", "重点监管企业数", "int", "家", False),
    ("x_haz_general", "一般隐患数", "int", "处", True),
    ("x_haz_large", "较大隐患数", "int", "处", True),
    ("x_fund", "隐患整改投入资金", "number", "万元", True),
    ("x_train_people", "安全培训人次", "int", "人次", False),
    ("x_drill_people", "应急演练参与人数", "int", "人", False),
    ("x_publicity", "安全宣传活动场次", "int", "场", True),
    ("x_talks", "警示约谈次数", "int", "次", True),
    ("x_closed", "关闭取缔企业数", "int", "家", True),
    ("x_stopped", "责令停产整顿企业数", "int", "家", True),
    ("x_grid_staff", "专兼职网格员人数", "int", "人", False),
    ("x_report_rate", "信息报送及时率", "percent", "", False),
    ("x_login_rate", "监管信息系统登录率", "percent", "", False),
    ("x_dual", "是否建立双重预防机制", "bool", "", False),
    ("x_insurance", "是否推行安全生产责任保险", "bool", "", False),
)
# Rows below the fields that name no field: a value in them is a 'form-unknown-field' warning.
UNKNOWN_ROWS = ("填报人", "联系电话", "审核人", "填报日期")
HEADINGS = {
    "meetings": "一、责任落实",
    "hazards_found": "二、隐患排查治理",
    "inspect_plan": "三、行业监管执法（区直部门）",
    "grid_cover": "四、属地管理（街道、功能区）",
    "campaign_plan": "五、专项整治",
    "plan_revised": "六、应急管理与宣传培训",
    "accidents": "七、事故情况",
    "awards": "八、加减分事项",
    EXTRA_FIELDS[0][0]: "九、其他统计数据（不计分）",
    UNKNOWN_ROWS[0]: "十、填报信息",
}
INT_RANGES = {
    "meetings": (0, 3),
    "leader_checks": (1, 5),
    "late_reports": (0, 2),
    "safety_staff": (0, 8),
    "hazards_found": (5, 160),
    "major_hazards_open": (0, 1),
    "inspections": (5, 60),
    "penalty_cases": (0, 8),
    "random_planned": (5, 40),
    "unpublished_cases": (0, 2),
    "small_checks": (30, 90),
    "whistle_reports": (0, 8),
    "unsigned_ents": (0, 5),
    "list_late": (0, 2),
    "camp_reports": (0, 3),
    "drills": (0, 3),
    "duty_absent": (0, 1),
    "awards": (0, 2),
    "exp_adopted": (0, 3),
    "x_ent_total": (20, 3000),
    "x_ent_key": (0, 80),
    "x_haz_general": (0, 150),
    "x_haz_large": (0, 4),
    "x_train_people": (0, 2500),
    "x_drill_people": (0, 400),
    "x_grid_staff": (0, 120),
}
RARE = {"accidents": 0.1, "deaths": 0.02, "major_accidents": 0.005, "criticized": 0.05, "exposed": 0.05}
TRUE_RATE = {"concealed": 0.005}
FULL_WIDTH = str.maketrans("0123456789.%", "０１２３４５６７８９．％")
BOOL_TEXTS = (("是", "否"), ("√", "×"), ("有", "无"), ("是 ", "否 "), ("是\n", "否\n"))
EVIDENCE = ("会议纪要", "检查记录表", "执法文书", "整改通知书", "签到表及照片", "印发文件", "台账复印件")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
PLACES = (
    "生产车间",
    "原料仓库",
    "配电室",
    "锅炉房",
    "危化品库",
    "办公楼",
    "员工宿舍",
    "厨房",
    "有限空间",
    "装卸区",
)
ISSUES = (
    "消防通道被杂物堵塞",
    "灭火器压力不足未及时更换",
    "电气线路私拉乱接",
    "安全警示标识缺失",
    "应急照明损坏",
    "防护栏杆松动",
    "特种作业人员无证上岗",
    "安全出口上锁",
    "粉尘清扫记录缺失",
    "气瓶未固定存放",
    "有限空间作业未审批",
    "动火作业监护人不在岗",
)
LEVELS = ("一般隐患", "一般隐患", "一般隐患", "较大隐患", "重大隐患")
STATES = ("已整改", "已整改", "已整改", "整改中", "逾期未整改")
INDUSTRIES = ("危险化学品", "冶金", "建筑施工", "交通运输", "商贸", "工贸", "烟花爆竹", "非煤矿山")


# --- units ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    index: int
    name: str
    group: str
    alias: str
    in_rubric: bool


def unit_spec(i: int, rubric_units: Sequence[tuple[str, str, str]], groups: Sequence[str]) -> UnitSpec:
    """Unit ``i``: the rubric's own units first, then synthetic units of the units table."""
    if i < len(rubric_units):
        name, group, alias = rubric_units[i]
        return UnitSpec(i, name, group, alias, True)
    rng = random.Random(SEED * 1_000_003 + i)
    group = (
        groups[0] if rng.random() < 0.6 or len(groups) == 1 else groups[1 + rng.randrange(len(groups) - 1)]
    )
    if group == groups[0]:
        return UnitSpec(i, f"钢城区第{i:05d}号监管部门", group, f"监管部门{i:05d}", False)
    return UnitSpec(i, f"钢城区第{i:05d}号街道", group, f"{i:05d}号街道", False)


# --- what one unit reports -----------------------------------------------------------------------

# (kind, text, formula); kind: n number, s inline string, b bool, f formula with cached value, e empty
Cell = tuple[str, str, str]


@dataclass(frozen=True)
class FieldGen:
    fid: str
    type: str
    unit: str
    blank_zero: bool
    max_field: str | None
    max_num: Decimal | None


@dataclass(frozen=True)
class ItemGen:
    iid: str
    title: str
    points: Decimal | None  # None for bonus/penalty items
    cap: Decimal | None


@dataclass
class UnitData:
    values: dict[str, Decimal | bool] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    evidence: dict[str, Cell] = field(default_factory=dict)
    self_values: dict[str, Decimal] = field(default_factory=dict)
    self_cells: dict[str, Cell] = field(default_factory=dict)
    unknown: dict[str, Cell] = field(default_factory=dict)
    unit_text: str = ""
    hidden_fid: str | None = None
    unknown_warnings: int = 0


def _num_text(d: Decimal) -> str:
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


def _messy_int(rng: random.Random, v: Decimal, fg: FieldGen, formulas: bool) -> Cell:
    text = _num_text(v)
    if v == 0 and fg.blank_zero and rng.random() < 0.5:
        marker = rng.choice(("", "无", "—", "/", "-"))
        return ("e", "", "") if marker == "" else ("s", marker, "")
    x = rng.random()
    if x < 0.55:
        return ("n", text, "")
    if x < 0.67:
        return ("s", text, "")
    if x < 0.75:
        return ("s", text.translate(FULL_WIDTH), "")
    if x < 0.81:
        return ("s", rng.choice((f" {text} ", f"{text}\n", f"{text} ")), "")
    if x < 0.87 and fg.unit:
        return ("s", rng.choice((f"{text}{fg.unit}", f"{text} {fg.unit}")), "")
    if x < 0.91 and v >= 1000:
        return ("s", f"{int(v):,}", "")
    if x < 0.96 and v >= 2 and formulas:
        a = rng.randint(1, int(v) - 1)
        return ("f", text, f"{a}+{int(v) - a}")  # a formula with its cached value
    return ("n", f"{text}.0" if "." not in text else text, "")


def _messy_percent(rng: random.Random, frac: Decimal) -> Cell:
    pct = _num_text(frac * 100)
    x = rng.random()
    if x < 0.3:
        return ("s", f"{pct}%", "")
    if x < 0.55:
        return ("n", pct, "")
    if x < 0.8:
        return ("n", _num_text(frac), "")
    if x < 0.9:
        return ("s", f"{pct}%".translate(FULL_WIDTH), "")
    return ("s", rng.choice((_num_text(frac), f"{pct} %", f" {pct}%")), "")


def _messy_number(rng: random.Random, v: Decimal, fg: FieldGen) -> Cell:
    text = _num_text(v)
    if v == 0 and fg.blank_zero and rng.random() < 0.5:
        return ("s", "无", "")
    x = rng.random()
    if x < 0.6:
        return ("n", text, "")
    if x < 0.75:
        return ("s", text, "")
    if x < 0.9 and fg.unit:
        return ("s", f"{text}{fg.unit}", "")
    return ("s", text.translate(FULL_WIDTH), "")


def _messy_bool(rng: random.Random, v: bool) -> Cell:
    x = rng.random()
    if x < 0.7:
        yes, no = BOOL_TEXTS[0] if x < 0.45 else rng.choice(BOOL_TEXTS)
        return ("s", yes if v else no, "")
    if x < 0.85:
        return ("n", "1" if v else "0", "")
    return ("b", "1" if v else "0", "")


def _field_value(rng: random.Random, fg: FieldGen, values: dict[str, Decimal | bool]) -> Decimal | bool:
    if fg.type == "bool":
        return rng.random() < TRUE_RATE.get(fg.fid, 0.85)
    if fg.type == "percent":
        return Decimal(1) if rng.random() < 0.3 else Decimal(rng.randint(600, 999)) / 1000
    if fg.type == "number":  # train_hours: 0 to 12 in halves; amounts: one decimal
        if fg.fid == "train_hours":
            return Decimal(rng.randint(0, 24)) / 2
        return Decimal(rng.randint(0, 500)) / 10
    # int
    if fg.fid in RARE:
        v = 1 if rng.random() < RARE[fg.fid] else 0
        if fg.fid == "accidents":
            v = max(v, int(values.get("deaths", 0)))
        return Decimal(v)
    lo, hi = INT_RANGES.get(fg.fid, (0, 20))
    if fg.max_num is not None:
        hi = min(hi, int(fg.max_num))
    if fg.max_field is not None and isinstance(values.get(fg.max_field), Decimal):
        cap = int(values[fg.max_field])  # type: ignore[arg-type]
        if fg.fid == "hazards_overdue":
            cap -= int(values.get("hazards_fixed", 0))
            lo, hi = 0, min(3, cap)
        else:
            lo, hi = int(cap * 0.6), cap
    return Decimal(rng.randint(min(lo, hi), hi))


def _self_cell(rng: random.Random, it: ItemGen) -> tuple[Decimal | None, Cell]:
    if it.points is None:  # bonus / penalty: mostly nothing to claim
        if rng.random() < 0.6:
            return None, ("e", "", "")
        v = Decimal(rng.randint(0, int(it.cap or 10)))
    else:
        if rng.random() < 0.1:
            return None, ("e", "", "")
        v = it.points if rng.random() < 0.3 else Decimal(rng.randint(0, int(it.points) * 2)) / 2
    text = _num_text(v)
    return v, (("n", text, "") if rng.random() < 0.7 else ("s", text, ""))


def unit_data(spec: UnitSpec, fields: Sequence[FieldGen], items: Sequence[ItemGen]) -> UnitData:
    """Everything that varies in unit ``spec``'s form, and the values safescore must read."""
    rng = random.Random(SEED * 7_919_993 + spec.index)
    d = UnitData()
    formulas = rng.random() < 0.1  # a form where someone typed =a+b in a few cells
    for fg in fields:
        v = _field_value(rng, fg, d.values)
        d.values[fg.fid] = v
        if isinstance(v, bool):
            d.cells[fg.fid] = _messy_bool(rng, v)
        elif fg.type == "percent":
            d.cells[fg.fid] = _messy_percent(rng, v)
        elif fg.type == "number":
            d.cells[fg.fid] = _messy_number(rng, v, fg)
        else:
            d.cells[fg.fid] = _messy_int(rng, v, fg, formulas)
        if rng.random() < 0.25:
            d.evidence[fg.fid] = ("s", f"{rng.choice(EVIDENCE)}（附件{rng.randint(1, 9)}）", "")
    for it in items:
        v, cell = _self_cell(rng, it)
        d.self_cells[it.iid] = cell
        if v is not None:
            d.self_values[it.iid] = v
    who = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
    d.unknown = {
        "填报人": ("s", who, ""),
        "联系电话": ("s", f"0531-7{rng.randint(0, 9_999_999):07d}", ""),
        "审核人": ("s", rng.choice(SURNAMES) + rng.choice(GIVEN), "")
        if rng.random() < 0.7
        else ("e", "", ""),
        "填报日期": ("n", str(Q1_START + 90 + rng.randint(0, 9)), "")
        if rng.random() < 0.6
        else ("s", f"2022年4月{rng.randint(1, 10)}日", ""),
    }
    d.unknown_warnings = sum(1 for c in d.unknown.values() if c[0] != "e")
    x = rng.random()
    if x < 0.7:
        d.unit_text = spec.name
    elif x < 0.9:
        d.unit_text = spec.alias
    else:
        cut = len(spec.name) // 2
        d.unit_text = f"{spec.name[:cut]}\n{spec.name[cut:]} "
    if rng.random() < 0.02:
        d.hidden_fid = rng.choice(fields[:40]).fid
    return d


# --- the template workbook and its sheet XML -----------------------------------------------------


@dataclass
class SheetTpl:
    part: str
    consts: list[str]  # len(slots) + 1 constant pieces around the slots
    slots: list[tuple[tuple[str, str], str, str]]  # (key, cell ref, ' s="N"' or '')


@dataclass
class Template:
    group: str
    parts: dict[str, bytes]  # constant parts
    sheets: dict[str, SheetTpl]  # form, self, meta, hazard
    rows: dict[str, int]  # field id → 1-based Excel row in the form
    hazard_styles: dict[str, str]  # column letter → ' s="N"'


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _style(c: Any, fill: PatternFill | None = None, bold: bool = False, center: bool = False) -> Any:
    c.border = _BORDER
    c.alignment = _CENTER if center else _WRAP
    if fill is not None:
        c.fill = fill
    if bold:
        c.font = Font(bold=True)
    return c


def _basis(rubric: m.Rubric, group: str) -> dict[str, str]:
    """Field id → the 评分标准 texts of the group's items that read it."""
    out: dict[str, list[str]] = {}
    items = [it for s in rubric.sections_for(group) for it in s.items_for(group)]
    items += [it for it in (*rubric.bonus.items, *rubric.penalty.items) if it.applies_to(group)]
    for it in items:
        if it.source != "return":
            continue
        for fid in rule_refs(it.rule, rubric):
            if fid in rubric.fields:
                out.setdefault(fid, []).append(it.basis or it.title)
    return {k: "；".join(v) for k, v in out.items()}


def self_items(rubric: m.Rubric, group: str) -> list[ItemGen]:
    """The 自评分 rows: the group's items scored from the return, then bonus and penalty items."""
    out = [
        ItemGen(it.id, it.title, it.points_for(group), None)
        for s in rubric.sections_for(group)
        for it in s.items_for(group)
        if it.source == "return"
    ]
    for block in (rubric.bonus, rubric.penalty):
        for it in block.items:
            if it.applies_to(group):
                cap = getattr(it.rule, "cap", None)
                out.append(ItemGen(it.id, it.title, None, cap))
    return out


def build_template(rubric: m.Rubric, group: str, items: Sequence[ItemGen]) -> Template:
    """One real workbook for ``group`` written by openpyxl, cut into constant XML and slots."""
    slot_keys: list[tuple[str, str]] = []

    def slot(key: tuple[str, str]) -> int:
        slot_keys.append(key)
        return PH + len(slot_keys) - 1

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = fl.FORM_SHEET
    for col, width in zip("ABCDEFG", (20, 30, 9, 13, 58, 20, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws.merge_cells("A1:G1")
    ws["A1"] = f"{rubric.title.removesuffix('细则')}填报表（{rubric.group(group).title}）"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = _CENTER
    ws["A2"], ws["D2"], ws["E2"] = "填报单位：", "考核期间：", PERIOD_TEXT
    ws["B2"] = slot(("unit", ""))
    ws.merge_cells("A3:G3")
    ws["A3"] = (
        "填报说明：请在浅黄色单元格中填写本单位本季度的数据；是/否项从下拉列表选择；百分比可填 95%、95 或 0.95。"
    )
    for c, text in enumerate(fl.FORM_COLUMNS, start=1):
        _style(ws.cell(fl.HEADER_ROW, c, text), _HEAD_FILL, bold=True, center=True)
    basis = _basis(rubric, group)
    extra = {fid for fid, *_ in EXTRA_FIELDS}
    bool_dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    int_dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    ws.add_data_validation(bool_dv)
    ws.add_data_validation(int_dv)
    rows: dict[str, int] = {}
    r = fl.FIRST_DATA_ROW
    for key in [*rubric.fields, *UNKNOWN_ROWS]:
        if key in HEADINGS:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
            _style(ws.cell(r, 1, HEADINGS[key]), _LABEL_FILL, bold=True)
            r += 1
        if key in UNKNOWN_ROWS:
            _style(ws.cell(r, 2, key), _LABEL_FILL)
            cell = _style(ws.cell(r, 4, slot(("unknown", key))), _INPUT_FILL, center=True)
            if key == "填报日期":
                cell.number_format = "yyyy-mm-dd"
            r += 1
            continue
        fd = rubric.fields[key]
        unit_text = fd.unit or ("%" if fd.type == "percent" else "")
        note = "（统计数据，不计分）" if key in extra else basis.get(key, "")
        labels = (key, fd.label, unit_text, slot(("value", key)), note, slot(("evidence", key)), None)
        for c, v in enumerate(labels, start=1):
            _style(ws.cell(r, c, v), _INPUT_FILL if c in (4, 6, 7) else _LABEL_FILL, center=c in (3, 4))
        if fd.type in ("bool", "int"):
            (bool_dv if fd.type == "bool" else int_dv).add(f"D{r}")
        rows[key] = r
        r += 1
    ws.freeze_panes = f"A{fl.FIRST_DATA_ROW}"
    ws.protection.sheet = True

    self_ws = wb.create_sheet(fl.SELF_SHEET)
    for c, text in enumerate(fl.SELF_COLUMNS, start=1):
        _style(self_ws.cell(1, c, text), _HEAD_FILL, bold=True, center=True)
    for r, it in enumerate(items, start=2):
        shown = it.points if it.points is not None else it.cap
        shown_v = None if shown is None else int(shown) if shown == int(shown) else float(shown)
        for c, v in enumerate((it.iid, it.title, shown_v, slot(("self", it.iid)), None), start=1):
            _style(self_ws.cell(r, c, v), _INPUT_FILL if c >= 4 else _LABEL_FILL, center=c in (3, 4))
        if shown_v is not None:  # as the real template: 0 to the item's points
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(shown_v))
            self_ws.add_data_validation(dv)
            dv.add(f"D{r}")

    help_ws = wb.create_sheet(fl.HELP_SHEET)
    help_ws.column_dimensions["A"].width = 78
    help_lines = (
        f"{rubric.title} 填报说明",
        f"考核细则：{rubric.title}（版本 {rubric.version}）",
        "1. 只在浅黄色单元格中填写：“填报表”的“填报值”“佐证材料”“备注”列，“自评分”表的“自评分”“说明”列。",
        "2. 选中“填报值”单元格会显示该项的填写要求和评分标准。",
        "3. 是/否 项请从下拉列表中选择；整数项请填写阿拉伯数字。",
        "4. 百分比项可填写 95%、95 或 0.95。",
        "5. 计数项未发生可留空，按 0 计；其他项留空视为未填报。",
        "6. “隐患清单”按季度排查台账填写，每行一处隐患。",
        "7. 请不要修改工作表名称、“字段编码”列和隐藏的工作表。",
    )
    for r, text in enumerate(help_lines, start=1):
        help_ws.cell(r, 1, text).alignment = _WRAP

    haz = wb.create_sheet("隐患清单")
    heads = ("序号", "隐患描述", "隐患等级", "发现日期", "整改期限", "整改状态", "整改资金（万元）", "责任人")
    for c, text in enumerate(heads, start=1):
        _style(haz.cell(1, c, text), _HEAD_FILL, bold=True, center=True)
        haz.column_dimensions["ABCDEFGH"[c - 1]].width = (6, 40, 10, 12, 12, 12, 14, 10)[c - 1]
    for c, v in enumerate((1, "样例", "一般隐患", Q1_START, "2022.1.31", "已整改", 1.25, "王伟"), start=1):
        cell = _style(haz.cell(2, c, v), center=c != 2)
        if c == 4:
            cell.number_format = "yyyy-mm-dd"
        if c == 7:
            cell.number_format = "0.00"
    haz.freeze_panes = "A2"
    haz.auto_filter.ref = f"A1:H{HAZARD_ROWS + 1}"

    meta = wb.create_sheet(fl.META_SHEET)
    fixed = {"safescore_template": fl.TEMPLATE_VERSION, "rubric": rubric.rubric, "period": PERIOD}
    fixed |= {"rubric_version": rubric.version, "group": group}
    for r, key in enumerate(fl.META_KEYS, start=1):
        meta.cell(r, 1, key)
        meta.cell(r, 2, slot(("meta_unit", "")) if key == "unit" else fixed[key]).number_format = "@"
    meta.sheet_state = "hidden"
    wb.active = 0
    wb.properties.creator = "safescore benchmark"

    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        raw = {n: z.read(n) for n in z.namelist()}
    names = {ws.title: f"xl/worksheets/sheet{i}.xml" for i, ws in enumerate(wb.worksheets, start=1)}
    assert all(p in raw for p in names.values()), sorted(raw)
    sheets = {
        "form": _cut(names[fl.FORM_SHEET], raw, slot_keys),
        "self": _cut(names[fl.SELF_SHEET], raw, slot_keys),
        "meta": _cut(names[fl.META_SHEET], raw, slot_keys),
    }
    haz_xml = _utf8(raw.pop(names["隐患清单"]).decode())
    styles = dict(re.findall(r'<c r="([A-H])2"((?: s="\d+")?)', haz_xml))
    haz_xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{HAZARD_ROWS + 1}"/>', haz_xml)
    start, end = haz_xml.index('<row r="2"'), haz_xml.index("</sheetData>")
    sheets["hazard"] = SheetTpl(
        names["隐患清单"], [haz_xml[:start], haz_xml[end:]], [(("hazard", ""), "", "")]
    )
    for st in sheets.values():
        raw.pop(st.part, None)
    parts = {n: (_utf8(b.decode()).encode() if n.endswith(".xml") else b) for n, b in raw.items()}
    return Template(group, parts, sheets, rows, styles)


def _utf8(xml: str) -> str:
    """openpyxl writes non-ASCII text as character references; Excel and WPS write UTF-8."""
    return re.sub(r"&#(\d+);", lambda mm: chr(int(mm[1])) if int(mm[1]) > 127 else mm[0], xml)


_SLOT_RE = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: [a-zA-Z]+="[^"]*")*)><v>(777\d{7})</v></c>')


def _cut(part: str, raw: dict[str, bytes], keys: list[tuple[str, str]]) -> SheetTpl:
    xml = _utf8(raw[part].decode())
    consts: list[str] = []
    slots: list[tuple[tuple[str, str], str, str]] = []
    pos = 0
    for mm in _SLOT_RE.finditer(xml):
        consts.append(xml[pos : mm.start()])
        style = "".join(a for a in re.findall(r' [a-zA-Z]+="[^"]*"', mm[2]) if a.startswith(" s="))
        slots.append((keys[int(mm[3]) - PH], mm[1], style))
        pos = mm.end()
    consts.append(xml[pos:])
    return SheetTpl(part, consts, slots)


def cell_xml(ref: str, style: str, cell: Cell) -> str:
    kind, text, formula = cell
    if kind == "e":
        return f'<c r="{ref}"{style}/>'
    if kind == "n":
        return f'<c r="{ref}"{style}><v>{text}</v></c>'
    if kind == "b":
        return f'<c r="{ref}"{style} t="b"><v>{text}</v></c>'
    if kind == "f":
        return f'<c r="{ref}"{style}><f>{formula}</f><v>{text}</v></c>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def render(st: SheetTpl, lookup: Callable[[tuple[str, str]], Cell]) -> str:
    out = [st.consts[0]]
    for (key, ref, style), const in zip(st.slots, st.consts[1:], strict=True):
        out.append(cell_xml(ref, style, lookup(key)))
        out.append(const)
    return "".join(out)


_DUE_TEXT = {
    serial: f"{d.year}.{d.month}.{d.day}"
    for serial in range(Q1_START, Q1_START + 160)
    for d in [_EPOCH + dt.timedelta(days=serial)]
}


def hazard_rows(rng: random.Random, styles: dict[str, str]) -> str:
    """The 隐患清单 rows; one 64-bit draw per row keeps this cheap (it is most of each file)."""
    s = styles
    out = []
    for r in range(2, HAZARD_ROWS + 2):
        b = rng.getrandbits(64)
        b, found = divmod(b, 90)
        b, due = divmod(b, 54)
        found += Q1_START
        due += found + 7
        if b & 1:
            due_cell = f'<c r="E{r}"{s["D"]}><v>{due}</v></c>'
        else:  # a date typed as text, 2022.3.5
            due_cell = f'<c r="E{r}"{s["E"]} t="inlineStr"><is><t>{_DUE_TEXT[due]}</t></is></c>'
        b >>= 1
        b, place = divmod(b, len(PLACES))
        b, issue = divmod(b, len(ISSUES))
        b, spot = divmod(b, 30)
        b, level = divmod(b, len(LEVELS))
        b, state = divmod(b, len(STATES))
        b, fund = divmod(b, 5001)
        b, sur = divmod(b, len(SURNAMES))
        given = b % len(GIVEN)
        out.append(
            f'<row r="{r}"><c r="A{r}"{s["A"]}><v>{r - 1}</v></c>'
            f'<c r="B{r}"{s["B"]} t="inlineStr"><is><t>{PLACES[place]}{ISSUES[issue]}（{spot + 1}号位置）</t></is></c>'
            f'<c r="C{r}"{s["C"]} t="inlineStr"><is><t>{LEVELS[level]}</t></is></c>'
            f'<c r="D{r}"{s["D"]}><v>{found}</v></c>{due_cell}'
            f'<c r="F{r}"{s["F"]} t="inlineStr"><is><t>{STATES[state]}</t></is></c>'
            f'<c r="G{r}"{s["G"]}><v>{fund / 100}</v></c>'
            f'<c r="H{r}"{s["H"]} t="inlineStr"><is><t>{SURNAMES[sur]}{GIVEN[given]}</t></is></c></row>'
        )
    return "".join(out)


# --- generation (process pool) -------------------------------------------------------------------

_G: dict[str, Any] = {}


def _gen_init(state: dict[str, Any]) -> None:
    _G.clear()
    _G.update(state)


def file_name(spec: UnitSpec) -> str:
    return f"{spec.index:05d}_{spec.name}_{PERIOD}.xlsx"


def write_return(spec: UnitSpec, out_dir: Path) -> int:
    tpl: Template = _G["templates"][spec.group]
    d = unit_data(spec, _G["fields"], _G["items"][spec.group])
    empty: Cell = ("e", "", "")

    def lookup(key: tuple[str, str]) -> Cell:
        kind, name = key
        if kind == "value":
            return d.cells[name]
        if kind == "evidence":
            return d.evidence.get(name, empty)
        if kind == "self":
            return d.self_cells[name]
        if kind == "unknown":
            return d.unknown[name]
        if kind == "unit":
            return ("s", d.unit_text, "")
        if kind == "meta_unit":
            return ("s", spec.name, "")
        raise KeyError(key)

    form = render(tpl.sheets["form"], lookup)
    if d.hidden_fid is not None:
        r = tpl.rows[d.hidden_fid]
        form = form.replace(f'<row r="{r}"', f'<row r="{r}" hidden="1"', 1)
    sheets = {
        tpl.sheets["form"].part: form,
        tpl.sheets["self"].part: render(tpl.sheets["self"], lookup),
        tpl.sheets["meta"].part: render(tpl.sheets["meta"], lookup),
    }
    rng = random.Random(SEED * 104_729 + spec.index)
    haz = tpl.sheets["hazard"]
    sheets[haz.part] = haz.consts[0] + hazard_rows(rng, tpl.hazard_styles) + haz.consts[1]
    path = out_dir / file_name(spec)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in tpl.parts.items():
            z.writestr(_G["zinfo"][name], data)
        for name, text in sheets.items():
            z.writestr(_G["zinfo"][name], text.encode())
    return path.stat().st_size


def _gen_chunk(args: tuple[list[int], str]) -> int:
    indices, out_dir = args
    specs = [unit_spec(i, _G["rubric_units"], _G["groups"]) for i in indices]
    return sum(write_return(s, Path(out_dir)) for s in specs)


def write_units_table(path: str, n: int, rubric_units: list[tuple[str, str, str]], groups: list[str]) -> int:
    """The units table (read with --units semantics): 序号 | 单位名称 | 分组 | 简称 | 行业 | 风险等级."""
    titles = _G.get("group_titles", {})
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("单位名单")
    ws.append(["钢城区安全生产考核单位名单"])
    ws.append(["序号", "单位名称", "分组", "简称", "行业", "风险等级"])
    count = 0
    for i in range(len(rubric_units), n):
        spec = unit_spec(i, rubric_units, groups)
        rng = random.Random(SEED * 15_485_863 + i)
        group = rng.choice((spec.group, spec.group, titles.get(spec.group, spec.group)))
        name = spec.name + (" " if rng.random() < 0.05 else "")
        ws.append([i + 1, name, group, spec.alias, rng.choice(INDUSTRIES), rng.choice("ABCD")])
        count += 1
    wb.save(path)
    return count


def _units_task(args: tuple[str, int]) -> int:
    return write_units_table(args[0], args[1], _G["rubric_units"], _G["groups"])


# --- the run -------------------------------------------------------------------------------------


def bench_rubric(tmp: Path) -> tuple[m.Rubric, Report]:
    """The shipped rubric plus EXTRA_FIELDS (unscored), written next to the returns."""
    text = RUBRIC.read_text(encoding="utf-8")
    lines = []
    for fid, label, typ, unit, zero in EXTRA_FIELDS:
        opts = [f"label: {label}", f"type: {typ}"]
        opts += [f"unit: {unit}"] if unit else []
        opts += ["min: 0"] if typ in ("int", "number") else []
        opts += ["blank: zero"] if zero else []
        lines.append(f"  {fid}: {{{', '.join(opts)}}}")
    head, sep, tail = text.partition("\ntargets:")
    assert sep, "the rubric has no targets: block to insert fields before"
    path = tmp / "gangcheng-sanze-bench.yaml"
    path.write_text(
        head.rstrip("\n") + "\n  # 基准测试：不计分的统计数据\n" + "\n".join(lines) + "\n" + sep + tail
    )
    report = Report()
    rubric = check_rubric(path, report)
    if rubric is None or not report.ok:
        sys.exit(f"benchmark rubric does not load: {report.errors}")
    return rubric, report


def field_gens(rubric: m.Rubric) -> list[FieldGen]:
    out = []
    for fid, fd in rubric.fields.items():
        out.append(
            FieldGen(
                fid,
                fd.type,
                fd.unit or "",
                fd.blank == "zero",
                fd.max if isinstance(fd.max, str) else None,
                fd.max if isinstance(fd.max, Decimal) else None,
            )
        )
    return out


def _zinfos(templates: dict[str, Template]) -> dict[str, zipfile.ZipInfo]:
    out = {}
    stamp = time.localtime()[:6]
    for tpl in templates.values():
        for name in [*tpl.parts, *(s.part for s in tpl.sheets.values())]:
            zi = zipfile.ZipInfo(name, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            out[name] = zi
    return out


@dataclass
class Gen:
    root: Path
    returns: Path
    units_path: Path
    specs: list[UnitSpec]
    seconds: float
    bytes: int
    n_table_units: int


def generate(
    rubric: m.Rubric, n: int, jobs: int, root: Path, reuse: bool = False
) -> tuple[Gen, dict[str, Any]]:
    t0 = time.perf_counter()
    groups = [g.id for g in rubric.groups]
    rubric_units = [(u.name, u.group, (u.aliases or [u.name])[0]) for u in rubric.units]
    items = {g: self_items(rubric, g) for g in groups}
    templates = {g: build_template(rubric, g, items[g]) for g in groups}
    state = {
        "templates": templates,
        "fields": field_gens(rubric),
        "items": items,
        "rubric_units": rubric_units,
        "groups": groups,
        "group_titles": {g.id: g.title for g in rubric.groups},
        "zinfo": _zinfos(templates),
    }
    returns = root / "returns"
    returns.mkdir(parents=True, exist_ok=True)
    units_path = root / "units.xlsx"
    specs = [unit_spec(i, rubric_units, groups) for i in range(n)]
    if (
        reuse
        and units_path.is_file()
        and sorted(p.name for p in returns.glob("*.xlsx")) == sorted(file_name(s) for s in specs)
    ):
        # the same seed and n write the same returns: keep the ones a previous run left
        _gen_init(state)
        total = sum((returns / file_name(s)).stat().st_size for s in specs)
        n_table = max(0, n - len(rubric_units))
        return Gen(root, returns, units_path, specs, 0.0, total, n_table), state
    for old in returns.glob("*.xlsx"):
        old.unlink()
    step = 250
    chunks = [(list(range(a, min(a + step, n))), str(returns)) for a in range(0, n, step)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_gen_init, initargs=(state,)) as pool:
        table = pool.submit(_units_task, (str(units_path), n))
        total = sum(pool.map(_gen_chunk, chunks))
        n_table = table.result()
    _gen_init(state)
    return Gen(root, returns, units_path, specs, time.perf_counter() - t0, total, n_table), state


# --- memory --------------------------------------------------------------------------------------


def _rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


class MemSampler(threading.Thread):
    """Samples the RSS of this process and its children (the pool workers) every ``interval`` s."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval = interval
        self.done = threading.Event()
        self.peak: dict[int, int] = {}
        self.peak_total = 0
        self.ok = os.path.exists(f"/proc/{os.getpid()}/status")

    def run(self) -> None:
        while self.ok and not self.done.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        me = os.getpid()
        total = 0
        for pid in [me, *_children(me)]:
            rss = _rss_kib(pid)
            if rss is None:
                continue
            total += rss
            self.peak[pid] = max(self.peak.get(pid, 0), rss)
        self.peak_total = max(self.peak_total, total)

    def stop(self) -> None:
        self.done.set()
        self.join()
        if self.ok:
            self.sample()


def _cpu() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its reaped children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


# --- checks --------------------------------------------------------------------------------------


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def check_values(
    specs: Sequence[UnitSpec], datas: Sequence[UnitData], inputs: Inputs, limit: int = 5
) -> tuple[int, int, list[str]]:
    """(values compared, mismatches, first messages): every field and self-score of every return."""
    compared, bad, msgs = 0, 0, []
    for spec, d in zip(specs, datas, strict=True):
        ret = inputs.returns.get(spec.name)
        if ret is None:
            continue
        got = {fid: fv.value for fid, fv in ret.values.items()}
        got_self = {iid: fv.value for iid, fv in ret.self_scores.items()}
        for want, have, what in ((d.values, got, "field"), (d.self_values, got_self, "self-score")):
            keys = set(want) | set(have)
            compared += len(keys)
            for k in sorted(keys):
                if k not in want or k not in have or not _same(want[k], have[k]):
                    bad += 1
                    if len(msgs) < limit:
                        msgs.append(
                            f"{spec.name} {what} {k}: generated {want.get(k)!r}, read {have.get(k)!r}"
                        )
    return compared, bad, msgs


def _q(x: Fraction, decimals: int) -> Decimal:
    """Half-up rounding of an exact non-negative value."""
    scaled = x * 10**decimals
    n = (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)
    return Decimal(n).scaleb(-decimals)


_CODE: dict[str, Any] = {}
_EV_GLOBALS = {"__builtins__": {}, "min": min, "max": max}


def _ev(expr: str, env: dict[str, Any]) -> Any:
    """A rubric expression (Python-like syntax) on exact Fraction values."""
    code = _CODE.get(expr)
    if code is None:
        code = _CODE[expr] = compile(expr, "<rubric>", "eval")
    return eval(code, _EV_GLOBALS, env)


def direct_scores(rubric: m.Rubric, spec: UnitSpec, values: dict[str, Any]) -> dict[str, Decimal]:
    """Item scores, bonus, penalty and totals of one unit, computed exactly with Fraction (SPEC 3.1)."""
    g = spec.group
    env = {k: (v if isinstance(v, bool) else Fraction(v)) for k, v in values.items()}
    for name, t in rubric.targets.items():
        env.setdefault(name, Fraction(t.values.get(spec.name, t.default)))  # type: ignore[arg-type]
    out: dict[str, Decimal] = {}

    def item(it: m.Item) -> Decimal:
        r, pts = it.rule, it.points_for(g)
        p = Fraction(pts) if pts is not None else Fraction(0)
        F = Fraction
        if isinstance(r, m.CheckRule):
            raw = p if _ev(r.when, env) else F(r.else_)
        elif isinstance(r, m.DeductRule):
            cap = F(r.max) if r.max is not None else p
            raw = p - min(F(r.per) * _ev(r.count, env), cap)
        elif isinstance(r, m.RateRule):
            v = _ev(r.value, env)
            miss = max(F(r.full) - v, 0) * 100
            raw = p - F(r.per_point) * miss if r.per_point is not None else (0 if miss > 0 else p)
            if r.zero_below is not None and v < F(r.zero_below):
                raw = F(0)
        elif isinstance(r, m.TargetRule):
            v = _ev(r.value, env)
            t = F(r.target) if isinstance(r.target, Decimal) else env[r.target]
            miss = max((v - t) if r.better == "lower" else (t - v), 0)
            raw = p - F(r.per) * miss if r.per is not None else (F(0) if miss > 0 else p)
            assert r.zero_beyond is None
        elif isinstance(r, m.BandsRule):
            v = _ev(r.value, env)
            raw = next(
                (
                    F(b.score)
                    for b in r.bands
                    if (b.min is None or v >= b.min) and (b.max is None or v <= b.max)
                ),
                F(0),
            )
        elif isinstance(r, m.LinearRule):
            v = _ev(r.value, env)
            raw = p * min(max((v - F(r.from_)) / (F(r.to) - F(r.from_)), F(0)), F(1))
        elif isinstance(r, m.FormulaRule):
            raw = F(_ev(r.expr, env))
        elif isinstance(r, m.PerRule):
            raw = F(r.per) * _ev(r.count, env)
            raw = min(raw, F(r.cap)) if r.cap is not None else raw
        elif isinstance(r, m.ScoreRule):
            assert r.as_ == "deduction"
            raw = p  # no assessor rows: nothing deducted
        else:
            raise AssertionError(f"rule kind {r.kind} not in the gangcheng rubric")
        raw = max(raw, F(0)) if pts is None else min(max(raw, F(0)), p)
        out[it.id] = _q(raw, rubric.decimals)
        return out[it.id]

    total = Decimal(0)
    for s in rubric.sections_for(g):
        assert s.weight_for(g) is None
        total += sum((item(it) for it in s.items_for(g)), Decimal(0))
    adj = []
    for block in (rubric.bonus, rubric.penalty):
        got = sum((item(it) for it in block.items if it.applies_to(g)), Decimal(0))
        adj.append(min(got, block.cap) if block.cap is not None else got)
    out["bonus"], out["penalty"] = adj
    total = max(total + adj[0] - adj[1], Decimal(0))
    out["total_before_veto"] = total
    for v in rubric.veto_for(g):
        if _ev(v.when, env):
            if v.effect == "zero":
                total = Decimal(0)
            elif isinstance(v.effect, m.CapEffect):
                total = min(total, v.effect.cap)
    out["total"] = total
    return out


def unit_scores(u: UnitResult) -> dict[str, Decimal]:
    out = {it.id: it.score for it in u.items}
    out |= {
        "bonus": u.bonus,
        "penalty": u.penalty,
        "total_before_veto": u.total_before_veto,
        "total": u.total,
    }
    return out


def check_direct(
    rubric: m.Rubric, specs: Sequence[UnitSpec], datas: Sequence[UnitData], result: Result, limit: int = 8
) -> tuple[int, int, list[str]]:
    """Every unit: the batch's item scores, bonus, penalty and totals vs :func:`direct_scores`."""
    by_name = {u.unit: u for u in result.units}
    compared, bad, msgs = 0, 0, []
    for spec, d in zip(specs, datas, strict=True):
        got = unit_scores(by_name[spec.name])
        want = direct_scores(rubric, spec, d.values)
        for k in sorted(set(got) | set(want)):
            compared += 1
            if got.get(k) != want.get(k):
                bad += 1
                if len(msgs) < limit:
                    msgs.append(f"{spec.name} {k}: batch {got.get(k)}, direct {want.get(k)}")
    return compared, bad, msgs


def check_alone(
    rubric: m.Rubric, gen: Gen, units: list[m.Unit], result: Result, count: int
) -> tuple[list[UnitSpec], list[str]]:
    """A handful of units per group: batch scores vs the unit's file read and scored on its own."""
    by_name = {u.name: u for u in units}
    by_result = {u.unit: u for u in result.units}
    picks: list[UnitSpec] = []
    for g in (gr.id for gr in rubric.groups):
        members = [s for s in gen.specs if s.group == g]
        k = min(len(members), max(1, count // len(rubric.groups)))
        picks += [members[j * (len(members) - 1) // max(1, k - 1)] for j in range(k)]
    bad: list[str] = []
    for spec in dict.fromkeys(picks):
        batch = unit_scores(by_result[spec.name])
        alone_in = read_inputs(
            rubric, [gen.returns / file_name(spec)], units=[by_name[spec.name]], period=PERIOD, jobs=1
        )
        alone = unit_scores(score(rubric, alone_in, PERIOD).unit(spec.name))
        bad += [
            f"{spec.name} {k}: batch {batch.get(k)}, alone {alone.get(k)}"
            for k in batch
            if batch[k] != alone.get(k)
        ]
    return list(dict.fromkeys(picks)), bad


def verify_sample(gen: Gen, rubric: m.Rubric, state: dict[str, Any], count: int) -> list[str]:
    """Generated files open in openpyxl and read back through safescore with the generated values."""
    msgs: list[str] = []
    n = len(gen.specs)
    picks = sorted({i * (n - 1) // max(1, count - 1) for i in range(min(count, n))})
    for i in picks:
        spec = gen.specs[i]
        wb = load_workbook(gen.returns / file_name(spec))
        names = wb.sheetnames
        if names != [fl.FORM_SHEET, fl.SELF_SHEET, fl.HELP_SHEET, "隐患清单", fl.META_SHEET]:
            msgs.append(f"{spec.name}: openpyxl sees sheets {names}")
        d = unit_data(spec, state["fields"], state["items"][spec.group])
        seen = (wb[fl.FORM_SHEET]["B2"].value, wb[fl.META_SHEET]["B4"].value, wb["隐患清单"].max_row)
        if seen != (d.unit_text, spec.name, HAZARD_ROWS + 1):
            msgs.append(f"{spec.name}: openpyxl reads unit cell, meta unit, 隐患清单 rows {seen}")
        wb.close()
    sample = [gen.specs[i] for i in picks]
    rep = Report()
    units = merge_units(rubric.units, read_units_table(gen.units_path, rubric, rep), rep)
    inp = read_inputs(
        rubric, [gen.returns / file_name(s) for s in sample], units=units, period=PERIOD, jobs=1
    )
    missing = [s.name for s in sample if s.name not in inp.returns]
    if missing:
        msgs.append(f"safescore read no return for {missing[:3]}")
    datas = [unit_data(s, state["fields"], state["items"][s.group]) for s in sample]
    _, bad, first = check_values(sample, datas, inp)
    msgs += first if bad else []
    msgs += [f"units table: {p.code} {p.message}" for p in rep.problems if p.severity != "info"][:3]
    return msgs


# --- the naive baseline --------------------------------------------------------------------------

_B_MISSING = {"", "无", "/", "-", "—", "--", "——", "n/a", "nan"}
_B_TRUE = {"是", "√", "有", "1", "true", "yes", "y"}
_B_FALSE = {"否", "×", "无", "0", "false", "no", "n"}


def _b_blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def baseline_clean(raw: object, fd: m.FieldDef) -> Decimal | bool | None:
    """A careful hand-written cleaner for the values these forms hold."""
    if isinstance(raw, bool):
        return raw if fd.type == "bool" else Decimal(int(raw))
    if _b_blank(raw):
        s = ""
    elif isinstance(raw, int | float):
        s = str(raw)
    else:
        s = unicodedata.normalize("NFKC", str(raw)).strip()
    if fd.type == "bool":
        k = s.lower().removesuffix(".0")
        return True if k in _B_TRUE else False if k in _B_FALSE else None
    if s.lower() in _B_MISSING:
        return Decimal(0) if fd.blank == "zero" else None
    pct = s.endswith("%")
    s = s.removesuffix("%").strip()
    if fd.unit and s.endswith(fd.unit):
        s = s[: -len(fd.unit)].strip()
    d = Decimal(s.replace(",", ""))
    if fd.type == "percent" and (pct or d > 1):
        d = d / 100
    return d


def _rows(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(df.columns), *df.itertuples(index=False, name=None)]


def baseline_read(path: Path, rubric: m.Rubric, labels: dict[str, str]) -> tuple[str | None, dict, dict]:
    """pandas.read_excel every sheet, then loop over the form's rows (no validation, no scoring)."""
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    unit = None
    for row in _rows(sheets[fl.META_SHEET]):
        if row[0] == "unit":
            unit = str(row[1])
    values: dict[str, Any] = {}
    rows = _rows(sheets[fl.FORM_SHEET])
    h = next(i for i, row in enumerate(rows) if "填报值" in row)
    col = {name: j for j, name in enumerate(rows[h])}
    for row in rows[h + 1 :]:
        code, name, raw = row[col["字段编码"]], row[col["指标名称"]], row[col["填报值"]]
        fid = code if isinstance(code, str) and code in rubric.fields else None
        if fid is None and isinstance(name, str):
            fid = labels.get(re.sub(r"\s+", "", name))
        if fid is not None and fid not in values:
            values[fid] = baseline_clean(raw, rubric.fields[fid])
    self_scores: dict[str, Decimal] = {}
    rows = _rows(sheets[fl.SELF_SHEET])
    for row in rows[1:]:
        if isinstance(row[0], str) and not _b_blank(row[3]):
            self_scores[row[0]] = Decimal(str(row[3]).strip())
    return unit, values, self_scores


# --- profile summary -----------------------------------------------------------------------------

PROFILE_ROWS = (  # label, file (~ for built-ins), function(s), depth, text on the line (comprehensions)
    ("read_one (one file, everything)", "batch.py", "read_one", 0, None),
    ("read_workbook (填报表, 自评分, _safescore only)", "workbook.py", "read_workbook", 1, None),
    ("first_unsafe_part (XML prolog checks)", "_xlsx_zip.py", "first_unsafe_part", 2, None),
    ("sheet_parts + core_modified", "_xlsx_scan.py", "sheet_parts|core_modified", 2, None),
    ("calamine open (from_filelike)", "~", "from_filelike", 2, None),
    ("_read_sheet (per sheet)", "_read_sheets.py", "_read_sheet", 2, None),
    ("scan_sheet (XML pre-scan)", "_xlsx_scan.py", "scan_sheet", 3, None),
    ("fast_scan", "_xlsx_fast.py", "fast_scan", 4, None),
    ("_expat_scan", "_xlsx_scan.py", "_expat_scan", 4, None),
    ("calamine get_sheet_by_name", "~", "get_sheet_by_name", 3, None),
    ("calamine to_python", "~", "to_python", 3, None),
    ("'' -> None grid copy", "_read_sheets.py", "<listcomp>", 3, 'None if v == "" else v'),
    ("template_sheets_suffice (form headers)", "form.py", "template_sheets_suffice", 1, None),
    ("looks_like_form", "form.py", "looks_like_form", 1, None),
    ("read_form_workbook", "form.py", "read_form_workbook", 1, None),
    ("labelled (unit/period cells)", "form_meta.py", "labelled", 2, None),
    ("_read_fields", "form.py", "_read_fields", 2, None),
    ("read_cell", "table.py", "read_cell", 3, None),
    ("clean_value (values not seen before)", "clean.py", "clean_value", 4, None),
    ("_read_self_scores", "form.py", "_read_self_scores", 2, None),
    ("check_cross_field", "table.py", "check_cross_field", 2, None),
    ("sha256_file", "batch.py", "sha256_file", 1, None),
    ("find_header (all callers)", "header.py", "find_header", 0, None),
    ("merged_value (all callers)", "grid.py", "merged_value", 0, None),
    ("normalize_label (all callers)", "clean.py", "normalize_label", 0, None),
)


def _line_of(module_file: str, text: str) -> int | None:
    for i, line in enumerate(Path(module_file).read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return i
    return None


def profile_summary(rubric: m.Rubric, paths: list[Path], units: list[m.Unit], top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    read_inputs(rubric, paths, units=units, period=PERIOD, jobs=1)
    prof.disable()
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = max(v[3] for k, v in stats.items() if k[2] == "read_inputs")
    lines = [f"cProfile of read_inputs(jobs=1) over {len(paths)} files: {total:.2f} s under the profiler"]
    lines.append(f"  {'inclusive time':<48}{'s':>8}{'%':>7}{'calls':>9}")
    for label, fname, func, depth, marker in PROFILE_ROWS:
        cum = calls = 0.0
        for (path, line, name), (_cc, nc, _tt, ct, _callers) in stats.items():
            if fname == "~":
                hit = path == "~" and func in name
            else:
                hit = path.endswith(fname) and name in func.split("|")
                if hit and marker is not None:
                    hit = line == _line_of(path, marker)
            if hit and marker is not None:  # nested comprehensions: the outer one includes the inner
                cum, calls = max(cum, ct), max(calls, nc)
            elif hit:
                cum, calls = cum + ct, calls + nc
        if calls:
            lines.append(f"  {'  ' * depth + label:<48}{cum:8.2f}{100 * cum / total:6.1f}%{int(calls):9d}")
    lines.append(f"  top {top} by own time:")
    own = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (path, line, name), (_cc, nc, tt, ct, _callers) in own:
        where = name if path == "~" else f"{Path(path).name}:{line} {name}"
        lines.append(f"    {tt:7.2f} s {100 * tt / total:5.1f}%  cum {ct:6.2f}  {nc:8d}x  {where[:90]}")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def _fmt_s(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{int(s // 60)} min {s % 60:.0f} s"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="form returns to generate and read (10000)")
    ap.add_argument("--jobs", type=int, default=None, help="read_inputs processes (default: all cores)")
    ap.add_argument("--baseline-sample", type=int, default=300, help="files read by the baseline (300)")
    ap.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: use the returns a previous run left there (same --n)",
    )
    ap.add_argument("--profile", action="store_true", help="cProfile read_inputs(jobs=1) over the sample")
    ap.add_argument("--profile-top", type=int, default=20)
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be at least 1")
    jobs = args.jobs or default_jobs()
    if args.keep is not None:
        keep = args.keep.resolve()
        if keep == ROOT or ROOT in keep.parents:
            ap.error(f"--keep must be outside the repository ({ROOT})")
        keep.mkdir(parents=True, exist_ok=True)
        root, cleanup = keep, None
    else:
        cleanup = tempfile.mkdtemp(prefix="safescore-ingest-")
        root = Path(cleanup)
    try:
        return run(args, jobs, root)
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)


def run(args: argparse.Namespace, jobs: int, root: Path) -> int:
    n = args.n
    ok = True
    print("safescore ingest benchmark (SPEC 8: read + validate + score 10,000 form returns)")
    print(
        f"machine:    {default_jobs()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, python-calamine {version('python-calamine')}, "
        f"openpyxl {version('openpyxl')}, pandas {pd.__version__}"
    )
    rubric, rubric_report = bench_rubric(root)
    unused = sum(1 for p in rubric_report.problems if p.code == "field-unused")
    print(
        f"rubric:     {RUBRIC.name} ({rubric.rubric} {rubric.version}) + {len(EXTRA_FIELDS)} unscored fields "
        f"({len(rubric.fields)} fields); check_rubric: 0 errors, {len(rubric_report.problems)} warnings "
        f"({unused} field-unused)"
    )

    # 1. generate
    gen, state = generate(rubric, n, jobs, root, reuse=args.reuse and args.keep is not None)
    by_group = Counter(s.group for s in gen.specs)
    n_rub = sum(s.in_rubric for s in gen.specs)
    print(
        f"units:      {n:,} = {n_rub} from the rubric + {gen.n_table_units:,} from units.xlsx "
        f"({', '.join(f'{g} {c:,}' for g, c in by_group.items())})"
    )
    rows = len(next(iter(state["templates"].values())).rows)
    made = (
        f"in {gen.seconds:.1f} s ({jobs} processes; {n / gen.seconds:,.0f} files/s)"
        if gen.seconds
        else "reused from the previous run (--reuse)"
    )
    print(f"generated:  {n:,} files {made}, {gen.bytes / MIB:,.0f} MiB, {gen.bytes / n / 1024:.0f} KiB each")
    print(
        f"            per file: 填报表 {rows + len(UNKNOWN_ROWS)} rows ({len(rubric.fields) - len(EXTRA_FIELDS)} "
        f"rubric fields + {len(EXTRA_FIELDS)} extra fields + {len(UNKNOWN_ROWS)} unknown rows) and "
        f"{len(HEADINGS)} headings; 自评分 {', '.join(f'{len(v)}' for v in state['items'].values())} rows; "
        f"说明; 隐患清单 {HAZARD_ROWS} x 8; hidden _safescore"
    )
    if args.keep is not None:
        print(f"            kept in {root}")
    msgs = verify_sample(gen, rubric, state, SAMPLE_VERIFY)
    print(
        f"sample:     {min(SAMPLE_VERIFY, n)} files: open in openpyxl; read back by safescore with the generated values: "
        + ("OK" if not msgs else "FAILED")
    )
    for msg in msgs:
        print(f"  FAIL {msg}")
    ok &= not msgs

    # 2. time safescore end to end
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sampler = MemSampler()
    sampler.start()
    t0, c0 = time.perf_counter(), _cpu()
    unit_report = Report()
    units = merge_units(rubric.units, read_units_table(gen.units_path, rubric, unit_report), unit_report)
    t1, c1 = time.perf_counter(), _cpu()
    inputs = read_inputs(rubric, [gen.returns], units=units, period=PERIOD, jobs=jobs)
    t2, c2 = time.perf_counter(), _cpu()
    result = score(rubric, inputs, PERIOD)
    t3, c3 = time.perf_counter(), _cpu()
    sampler.stop()
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    wall = t3 - t0
    rate = n / wall
    me = os.getpid()
    workers = {pid: kib for pid, kib in sampler.peak.items() if pid != me}
    peak_proc = max(self_kib, child_kib, *sampler.peak.values()) * 1024
    print(
        f"safescore:  {wall:.1f} s wall = units table {t1 - t0:.2f} s + read_inputs {t2 - t1:.1f} s "
        f"(jobs={jobs}) + score {t3 - t2:.2f} s = {rate:,.1f} files/s"
    )
    main_u, main_r, main_s = c1[0] - c0[0], c2[0] - c1[0], c3[0] - c2[0]
    pool_cpu = c3[1] - c0[1]
    busy = (c3[0] - c0[0] + pool_cpu) / wall
    print(
        f"cpu:        main {main_u + main_r + main_s:.1f} s (units table {main_u:.1f}, while reading {main_r:.1f}, "
        f"score {main_s:.1f}) + pool workers {pool_cpu:.1f} s = {1000 * (c3[0] - c0[0] + pool_cpu) / n:.1f} ms "
        f"per file; {busy:.2f} of {jobs} cores busy on average (1-min load average before: {load:.2f})"
    )
    idle = main_u + max(pool_cpu / jobs, main_r) + main_s
    print(
        f"            the same CPU on {jobs} otherwise idle cores: about {idle:.1f} s = {n / idle:,.1f} files/s "
        f"(estimate: units table + max(workers / {jobs}, main while reading) + score)"
    )
    print(
        f"memory:     peak {peak_proc / MIB:,.0f} MiB in one process (ru_maxrss: main {self_kib / 1024:,.0f} MiB, "
        f"children {child_kib / 1024:,.0f} MiB; sampled pool workers "
        f"{max(workers.values(), default=0) / 1024:,.0f} MiB); all processes together "
        f"{sampler.peak_total / 1024:,.0f} MiB (sampled every {sampler.interval} s)"
    )

    # 4. correctness
    expected_names = {s.name for s in gen.specs}
    got = set(inputs.returns)
    print(
        f"returns:    {len(got & expected_names):,} of {n:,} units have their return; units registered "
        f"{len(units):,}; not submitted {len(result.not_submitted)}"
    )
    want_missing = max(0, len(rubric.units) - n)
    if got != expected_names or len(result.not_submitted) != want_missing:
        ok = False
        print(
            f"  FAIL missing {sorted(expected_names - got)[:5]}, unexpected {sorted(got - expected_names)[:5]}"
        )
    if len(units) != max(n, len(rubric.units)):
        ok = False
        print(f"  FAIL units registered {len(units)}, expected {max(n, len(rubric.units))}")
    datas = [unit_data(s, state["fields"], state["items"][s.group]) for s in gen.specs]
    want = Counter(
        {
            "form-unknown-field": sum(d.unknown_warnings for d in datas),
            "hidden-row": sum(d.hidden_fid is not None for d in datas),
        }
    )
    if want_missing:
        want["unit-not-submitted"] = want_missing
    seen = Counter(p.code for p in result.problems) + Counter(p.code for p in unit_report.problems)
    errors = sum(1 for p in result.problems if p.severity == "error" and p.code != "unit-not-submitted")
    codes = ", ".join(f"{c} {seen[c]:,} (designed {want[c]:,})" for c in sorted(set(want) | set(seen)))
    print(f"problems:   {codes}; errors {errors}")
    if seen != want or errors:
        ok = False
        for p in [p for p in result.problems if p.code not in want][:5]:
            print(f"  FAIL unexpected {p.code} {p.severity}: {p.message} ({p.file} {p.sheet} {p.cell})")
    compared, bad, first = check_values(gen.specs, datas, inputs)
    print(f"values:     {compared:,} field and self-score values read = generated: {bad} differ")
    for msg in first:
        print(f"  FAIL {msg}")
    ok &= bad == 0
    td = time.perf_counter()
    compared, bad, first = check_direct(rubric, gen.specs, datas, result)
    print(
        f"scores:     {compared:,} item scores, bonuses, penalties and totals of all {n:,} units = direct "
        f"computation (Fraction, {time.perf_counter() - td:.1f} s): {bad} differ"
    )
    for msg in first:
        print(f"  FAIL {msg}")
    ok &= bad == 0
    del datas
    alone, bad_alone = check_alone(rubric, gen, units, result, SCORE_CHECK_UNITS)
    print(
        f"            {len(alone)} units ({', '.join(s.name for s in alone[:2])}, ...) scored from their file "
        f"read alone = batch: " + ("OK" if not bad_alone else f"{len(bad_alone)} differ")
    )
    for msg in bad_alone[:8]:
        print(f"  FAIL {msg}")
    ok &= not bad_alone

    # 3. baseline and jobs=1 on a sample
    k = max(1, min(args.baseline_sample, n))
    sample = [gen.specs[i * (n - 1) // max(1, k - 1)] for i in range(k)] if k > 1 else gen.specs[:1]
    paths = [gen.returns / file_name(s) for s in sample]
    labels = {re.sub(r"\s+", "", fd.label): fid for fid, fd in rubric.fields.items()}
    tb, cb = time.perf_counter(), time.process_time()
    base = [baseline_read(p, rubric, labels) for p in paths]
    base_s, base_cpu = time.perf_counter() - tb, time.process_time() - cb
    base_rate = k / base_s
    base_bad = 0
    for spec, (unit, values, _self) in zip(sample, base, strict=True):
        d = unit_data(spec, state["fields"], state["items"][spec.group])
        base_bad += unit != spec.name
        base_bad += sum(not _same(v, values.get(fid)) for fid, v in d.values.items())
    del base
    ts, cs = time.perf_counter(), time.process_time()
    one = read_inputs(rubric, paths, units=units, period=PERIOD, jobs=1)
    one_s, one_cpu = time.perf_counter() - ts, time.process_time() - cs
    one_rate = k / one_s
    ok &= len(one.returns) == k
    ratio = rate / base_rate
    idle_ratio = (n / idle) / (k / base_cpu)
    print(
        f"baseline:   {k} files: pandas.read_excel(sheet_name=None, engine='openpyxl') + row loop {base_s:.1f} s "
        f"(CPU {base_cpu:.1f} s) = {base_rate:.1f} files/s; {n:,} files would take {_fmt_s(n / base_rate)}; "
        f"{base_bad} values differ from the generated ones"
    )
    print(
        f"            safescore read_inputs(jobs=1) on the same {k} files: {one_s:.1f} s (CPU {one_cpu:.1f} s) = "
        f"{one_rate:.1f} files/s, {one_rate / base_rate:.1f}x the baseline in one process "
        f"({base_cpu / one_cpu:.1f}x by CPU time)"
    )
    print(
        f"ratio:      safescore {rate:,.1f} files/s / baseline {base_rate:.1f} files/s = {ratio:.1f}x "
        f"(idle-core estimate from CPU times: {n / idle:,.1f} / {k / base_cpu:.1f} = {idle_ratio:.1f}x)"
    )
    print(
        f"targets:    >= {TARGET_RATIO:g}x baseline: {'PASS' if ratio >= TARGET_RATIO else 'MISS'} ({ratio:.1f}x; "
        f"estimate {idle_ratio:.1f}x); >= {TARGET_RATE:g} returns/s: {'PASS' if rate >= TARGET_RATE else 'MISS'} "
        f"({rate:,.1f}; estimate {n / idle:,.1f}); peak memory < 1 GiB: "
        f"{'PASS' if peak_proc < TARGET_MEM else 'MISS'} ({peak_proc / MIB:,.0f} MiB per process, "
        f"{sampler.peak_total / 1024:,.0f} MiB all processes)"
    )
    print(f"checks:     {'all passed' if ok else 'FAILED'}")
    if args.profile:
        print(profile_summary(rubric, paths, units, args.profile_top))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
