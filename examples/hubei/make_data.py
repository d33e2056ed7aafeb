"""Generate the sample data for the Hubei 安全生产目标责任考核 example (seed 002).

Writes, for one year, what the 湖北省安监局 协调处 would have on disk at the end of the assessment:

* 17 自评表 (form layout, one workbook per 市州安监局): the indicator data (指标考核) and, on the
  ``自评分`` sheet, the city's own score per item (step 1 of the four steps). Most are on the
  official template (hidden ``_safescore`` sheet); three are hand-made;
* ``daily-<year>.xlsx``: the 日常考核 scoresheet of the 省安监局 相关处室 (step 2);
* ``onsite-<year>.xlsx``: the 现场考核 scoresheet of the 考核组 (step 3);
* ``highlight-<year>.xlsx``: the 工作亮点考核 (bonus points approved by the 局党组);
* ``鄂州市<year>年度安全生产目标责任考核数据汇总表.xlsx``: 鄂州市安委办's consolidation sheet
  (table layout) for its own assessment of its 4 districts and of sampled “两化” enterprises;
* ``鄂州市<year>年重大隐患曝光台账.xlsx``: the exposure ledger that drives the ladder.

``--targets PATH`` writes the targets table instead (rubrics/targets/hubei-mubiao.xlsx, committed).

The values are synthetic but plausible (2016 GDP of each city, control targets near 0.05 deaths per
亿元 GDP), carry the mess of real returns (SPEC 4.4) at fixed places listed in ``MESS`` and
``FORM_NAME_AS_WRITTEN``, and the designed facts the tests check are pinned: ``VETO_CITY``,
``OVERCLAIM``, ``PINNED``, ``EXPOSURES``. Deterministic for a given ``--seed`` and ``--period``
(byte-identical files).

Example::

    python examples/hubei/make_data.py --period 2016 --out /tmp/hubei
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
# The helpers all generators share live in examples/_shared. This file runs as a script and is also
# loaded by path (safescore init, the tests), so examples/ is put on the path either way.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))
from _shared import workbook as xl  # noqa: E402
from _shared.values import clamp, frac  # noqa: E402

RUBRIC = HERE.parent.parent / "rubrics" / "hubei-mubiao.yaml"
TARGETS_XLSX = HERE.parent.parent / "rubrics" / "targets" / "hubei-mubiao.xlsx"

# --- units and their targets (2016) -------------------------------------------------------------
# short name, 2016 GDP (亿元), base quality (None: drawn from the seed)
CITIES: list[tuple[str, float, float | None]] = [
    ("武汉", 11912.61, 0.9),
    ("黄石", 1305.55, None),
    ("十堰", 1429.80, None),
    ("宜昌", 3709.36, 0.93),  # the veto case: a high score, then a 重大事故
    ("襄阳", 3694.50, None),
    ("鄂州", 797.82, 0.88),
    ("荆门", 1521.00, 0.5),  # over-claims
    ("孝感", 1576.69, None),
    ("荆州", 1726.75, None),
    ("黄冈", 1726.17, 0.86),
    ("咸宁", 1107.93, None),
    ("随州", 855.73, 0.45),  # over-claims
    ("恩施州", 802.58, None),
    ("仙桃", 668.62, 0.8),
    ("潜江", 658.66, 0.8),
    ("天门", 474.60, 0.4),  # over-claims
    ("神农架林区", 26.89, None),
]
SHORT_TO_NAME = {s: f"{s}{'' if s in ('恩施州', '神农架林区') else '市'}安监局" for s, _, _ in CITIES}
# the full names, as the targets table writes them (aliases in the rubric)
FULL_NAME = {
    s: (
        "恩施土家族苗族自治州安全生产监督管理局"
        if s == "恩施州"
        else f"{s}{'' if s == '神农架林区' else '市'}安全生产监督管理局"
    )
    for s, _, _ in CITIES
}

TARGET_COLUMNS = (
    "生产安全事故死亡人数控制指标",
    "亿元GDP生产安全事故死亡率控制指标",
    "年度执法检查计划家次",
    "“两化”系统注册企业目标数",
)
# unit (short) -> (deaths limit, deaths per 亿元 GDP limit, inspections planned, “两化” registrations)
# Set from each city's planned GDP and industry: 武汉 the lowest rate, 神农架 the highest.
TARGETS: dict[str, tuple[int, float | None, int, int]] = {
    "武汉": (357, 0.030, 5200, 16000),
    "黄石": (72, 0.055, 1500, 4200),
    "十堰": (85, 0.060, 1600, 4800),
    "宜昌": (166, 0.045, 2800, 9000),
    "襄阳": (166, 0.045, 2800, 9500),
    "鄂州": (48, 0.060, 1100, 3600),
    "荆门": (84, 0.055, 1500, 4600),
    "孝感": (91, 0.058, 1700, 5600),
    "荆州": (112, 0.065, 1900, 6000),
    "黄冈": (112, 0.065, 1900, 6200),
    "咸宁": (68, 0.062, 1300, 4000),
    "随州": (53, 0.062, 1000, 3000),
    "恩施州": (64, 0.080, 1200, 3200),
    "仙桃": (43, 0.065, 800, 2600),
    "潜江": (41, 0.062, 800, 2500),
    "天门": (36, 0.075, 650, 2000),
    "神农架林区": (4, 0.150, 80, 120),
    # 鄂州市分解到各区（开发区）的目标（亿元GDP死亡率不分解）
    "鄂城区": (20, None, 380, 1300),
    "华容区": (12, None, 260, 900),
    "梁子湖区": (6, None, 150, 450),
    "葛店开发区": (8, None, 220, 700),
}
DISTRICTS: list[tuple[str, str, float]] = [
    # name as written in 鄂州's sheet, canonical, quality
    ("鄂城区", "鄂城区人民政府", 0.82),
    ("华容区", "华容区人民政府", 0.9),
    ("梁子湖区", "梁子湖区人民政府", 0.62),
    ("葛店开发区", "葛店经济技术开发区管委会", 0.86),
]
# enterprise -> (清单提档升级, 自查隐患按期整改率, 逾期未整改重大隐患, exposures reported in the sheet)
ENTERPRISES: dict[str, tuple[bool, float, int, int]] = {
    "鄂城区某钢铁企业": (True, 0.96, 0, 2),
    "鄂城区某水泥建材企业": (True, 0.99, 0, 0),
    "鄂城区某船舶修造企业": (True, 0.93, 0, 1),
    "华容区某危险化学品经营企业": (True, 0.88, 1, 3),
    "华容区某金属制品企业": (True, 0.97, 0, 0),
    "梁子湖区某非煤矿山企业": (False, 0.82, 2, 3),  # reports 3; the ledger has 5 (derived-differs)
    "葛店开发区某生物医药企业": (True, 1.0, 0, 0),
    "葛店开发区某食品加工企业": (True, 0.95, 0, 0),
}

# --- designed facts (the tests check these) ----------------------------------------------------
VETO_CITY = "宜昌"  # one 重大事故 → 一票否决, grade 不合格 whatever the score
OVERCLAIM = ("荆门", "随州", "天门")  # self-score full marks on every item
# (city, field) -> value: 仙桃 and 潜江 report the same deaths against different control targets
PINNED: dict[tuple[str, str], Any] = {
    ("仙桃", "deaths"): 42,
    ("潜江", "deaths"): 42,
    ("武汉", "deaths"): 362,
    ("武汉", "inspections"): 5006,
    ("神农架林区", "deaths"): 3,
    ("神农架林区", "inspections"): 71,
    ("宜昌", "major_accidents"): 1,
    ("宜昌", "larger_accidents"): 0,
}
# exposures in the ledger, this year (a 2015 record for 葛店开发区某食品加工企业 does not count)
EXPOSURES: dict[str, int] = {
    "鄂城区某钢铁企业": 2,
    "鄂城区某船舶修造企业": 1,
    "华容区某危险化学品经营企业": 3,
    "梁子湖区某非煤矿山企业": 5,
}
LADDER_ACTION = {2: "行业监管部门约谈", 3: "在《鄂州日报》公示并列为重点执法检查对象"}
BLACKLIST = "纳入社会征信体系不良记录“黑名单”"

# --- how the forms are written (the mess, SPEC 4.4) --------------------------------------------
HAND_MADE = ("黄冈", "恩施州", "神农架林区")  # no hidden sheet: the unit comes from 填报单位
FORM_NAME_AS_WRITTEN = {
    "黄冈": "黄冈市安全生产监督管理局",  # the full name (an alias)
    "恩施州": "恩施州安监局 ",  # trailing space
    "神农架林区": "神农架林区\n安监局",  # a line break (wrapped cell)
}
HIDDEN_ROW = ("孝感", "std_rate")  # a hidden row in the form, still read (warning)
EXTRA_SHEET = ("武汉", "襄阳")  # a 佐证材料目录 sheet next to the form
# (city, field) -> style: fullwidth, text, thousands, pct_text, pct100, pct_frac, check, youwu, blank, wu
MESS: dict[tuple[str, str], str] = {
    ("武汉", "inspections"): "thousands",
    ("武汉", "gdp"): "thousands",
    ("黄石", "deaths"): "fullwidth",
    ("十堰", "random_public_rate"): "pct_text",
    ("襄阳", "penalty_cases"): "text",
    ("襄阳", "duty_lists"): "check",
    ("鄂州", "lh_registered"): "thousands",
    ("荆门", "township_rate"): "pct_frac",
    ("孝感", "safety_funds"): "youwu",
    ("荆州", "larger_accidents"): "wu",
    ("黄冈", "gov_meetings"): "fullwidth",
    ("咸宁", "hazard_online"): "pct_text",
    ("随州", "promoted"): "blank",
    ("恩施州", "county_assess"): "check",
    ("恩施州", "self_report_rate"): "pct100",
    ("天门", "major_fix_rate"): "pct_text",
    ("神农架林区", "random_public_rate"): "blank",  # left empty: 未填报, law.random scores 0
}
# self-scores written as text / full-width digits
SELF_MESS = {("襄阳", "law.inspect"): "text", ("黄石", "acc.gdp"): "fullwidth"}
SCORE_NAME_AS_WRITTEN = {
    "武汉": "武汉市",
    "恩施州": "恩施州",
    "神农架林区": "神农架林区",
    "鄂州": "鄂州市安全生产监督管理局",
}

# --- assessors' findings ------------------------------------------------------------------------
# item -> [(reason template, deduction)]; {county} is filled with a county of the city
DAILY: dict[str, list[tuple[str, float, str]]] = {
    "law.daily": [
        ("{m}月安全生产执法统计月报迟报", 0.5, "省安监局政策法规处"),
        ("{m}月执法统计报表数据与执法案卷不一致", 0.5, "省安监局政策法规处"),
        ("执法案卷评查1卷不合格（处罚依据引用错误）", 1, "省安监局政策法规处"),
        ("执法案卷评查1卷不合格（未履行告知程序）", 1, "省安监局政策法规处"),
    ],
    "mech.daily": [
        ("省安委会议定事项（危险化学品专项整治方案）未按期报送", 1, "省安监局协调处"),
        ("{m}月值班信息迟报1次", 0.5, "省安监局办公室"),
        ("督办件（第{n}号）回复超期", 0.5, "省安监局协调处"),
        ("汛期安全生产信息未按日报送1次", 0.5, "省安监局办公室"),
    ],
    "prev.edu": [
        ("“安全生产月”活动总结未按时报送", 0.5, "省安全生产宣传教育中心"),
        ("监管执法人员年度培训任务未完成", 1, "省安全生产宣传教育中心"),
        ("安全生产宣传信息报送不足规定条数", 0.5, "省安全生产宣传教育中心"),
    ],
    "acc.report": [
        ("{m}月1起一般事故信息迟报", 1, "省安监局调查统计处"),
        ("{n}起一般事故调查报告未按期批复结案", 0.5, "省安监局调查统计处"),
        ("较大事故整改措施落实情况未开展评估", 0.5, "省安监局调查统计处"),
    ],
}
ONSITE: dict[str, list[tuple[str, float]]] = {
    "resp.onsite": [
        ("抽查{county}，安委会成员单位“一岗双责”责任状未签订到位", 1),
        ("市政府常务会议纪要未体现研究安全生产工作事项{n}次", 0.5),
        ("抽查{county}，对乡镇的安全生产目标考核结果未通报", 1),
        ("部门“两张清单”未在门户网站公开", 0.5),
    ],
    "prev.ent_onsite": [
        ("抽查{county}某化工企业，重大危险源未落实包保责任人", 1),
        ("抽查{county}某机械制造企业，隐患自查记录与“两化”系统上报不一致", 0.5),
        ("抽查{county}某非煤矿山，重大隐患整改未落实“五落实”要求", 1),
        ("抽查{county}某建材企业，隐患排查治理制度未上墙、未培训", 0.5),
    ],
    "base.onsite": [
        ("执法车辆、执法记录仪配备不足", 0.5),
        ("抽查{county}安监站，监管台账记录不完整", 0.5),
        ("{n}家企业应急预案未按规定备案", 0.5),
        ("应急救援队伍未开展年度训练考核", 1),
    ],
}
COUNTIES: dict[str, list[str]] = {
    "武汉": ["新洲区", "黄陂区", "江夏区"],
    "黄石": ["大冶市", "阳新县"],
    "十堰": ["丹江口市", "郧阳区", "竹山县"],
    "宜昌": ["当阳市", "枝江市", "宜都市"],
    "襄阳": ["枣阳市", "老河口市", "谷城县"],
    "鄂州": ["鄂城区", "华容区"],
    "荆门": ["钟祥市", "京山县", "沙洋县"],
    "孝感": ["应城市", "汉川市", "安陆市"],
    "荆州": ["松滋市", "监利县", "石首市"],
    "黄冈": ["浠水县", "麻城市", "武穴市"],
    "咸宁": ["赤壁市", "嘉鱼县", "通城县"],
    "随州": ["广水市", "随县"],
    "恩施州": ["利川市", "建始县", "巴东县"],
    "仙桃": ["彭场镇", "毛嘴镇"],
    "潜江": ["园林街道", "渔洋镇"],
    "天门": ["岳口镇", "多宝镇"],
    "神农架林区": ["松柏镇", "木鱼镇"],
}
# 工作亮点 (bonus): city -> [(highlight, points)]; most are the practices the seed reports
HIGHLIGHTS: dict[str, list[tuple[str, float]]] = {
    "黄冈": [
        ("将安全生产纳入乡镇20强考核评比，与县市区党政领导班子年终考核挂钩", 1),
        ("增加1名市委副书记联系安全生产工作，乡镇由党委副书记分管", 0.5),
    ],
    "荆州": [("依托干部个人实绩考核系统建立安全生产履职台账，每季度通报履责情况", 1)],
    "十堰": [("出台乡镇（街办）安全生产监督管理规范化建设指导意见，党委书记任乡镇安委会主任", 1)],
    "鄂州": [
        ("“两化”体系建设考核权重占年度安全生产责任目标考核的40%", 1),
        ("重大隐患企业分类执法，实行曝光、约谈、公示、“黑名单”阶梯惩戒", 1),
        ("安排专项资金为全部“两化”注册企业编制分行业隐患排查治理清单", 0.5),
    ],
    "武汉": [("在全省率先推行“双随机、两公开”执法检查，随机抽取检查人员和技术专家", 1)],
    "宜昌": [("建立安全生产专家库，实施专家挂点定向服务小微企业", 0.5)],
    "襄阳": [("推行安全生产网格化监管，村（社区）设专（兼）职网格员", 0.5)],
}


@dataclass
class City:
    short: str
    name: str
    quality: float
    values: dict[str, Any] = field(default_factory=dict)
    daily: list[tuple[str, float, str, str]] = field(default_factory=list)  # item, points, reason, office
    onsite: list[tuple[str, float, str]] = field(default_factory=list)  # item, points, reason
    self_scores: dict[str, float] = field(default_factory=dict)


# --- helpers ------------------------------------------------------------------------------------


def parse_year(period: str) -> int:
    if not re.fullmatch(r"\d{4}", period):
        raise SystemExit(f"--period 应为年度，如 2016，收到 {period!r}")
    return int(period)


def load_rubric() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(RUBRIC.read_text(encoding="utf-8"))
    return data


def city_items(rubric: dict[str, Any]) -> list[dict[str, Any]]:
    """The section items of the 市州 group, in rubric order."""
    return [it for s in rubric["sections"] if "city" in s.get("groups", ["city"]) for it in s["items"]]


def city_fields(rubric: dict[str, Any]) -> list[str]:
    """Fields on a city's form, in rubric order (the 鄂州-only ones left out)."""
    skip = {"dist_meetings", "list_upgrade_rate", "ent_list_upgraded", "ent_self_fix_rate"}
    skip |= {"ent_major_overdue", "exposures"}
    return [f for f in rubric["fields"] if f not in skip]


def _half_down(x: float) -> float:
    return math.floor(x * 2 + 1e-9) / 2


# --- values -------------------------------------------------------------------------------------


def city_values(short: str, gdp: float, q: float, rng: random.Random) -> dict[str, Any]:
    deaths_limit, _, inspect_target, lh_target = TARGETS[short]

    def chance(p: float) -> bool:
        return rng.random() < p

    v: dict[str, Any] = {}
    v["gov_meetings"] = 4 if chance(0.35 + 0.6 * q) else rng.choice([2, 3, 3])
    v["duty_lists"] = chance(0.65 + 0.4 * q)
    v["county_assess"] = chance(0.7 + 0.4 * q)
    v["inspections"] = round(inspect_target * clamp(rng.gauss(0.86 + 0.18 * q, 0.04), 0.72, 1.2))
    v["penalty_cases"] = round(v["inspections"] * clamp(rng.gauss(0.025 + 0.03 * q, 0.006), 0.01, 0.08))
    v["random_public_rate"] = 1.0 if chance(0.4 * q) else frac(rng, 0.9 + 0.1 * q, 0.02, 0.8)
    v["township_rate"] = frac(rng, 0.8 + 0.2 * q, 0.04, 0.6)
    v["lh_registered"] = round(lh_target * clamp(rng.gauss(0.9 + 0.15 * q, 0.03), 0.82, 1.15))
    v["self_report_rate"] = frac(rng, 0.9 + 0.1 * q, 0.02, 0.8)
    v["major_fix_rate"] = 1.0 if chance(0.5 * q) else frac(rng, 0.9 + 0.1 * q, 0.02, 0.8)
    v["std_rate"] = frac(rng, 0.86 + 0.14 * q, 0.02, 0.75)
    v["hazard_online"] = 1.0 if chance(0.4 * q) else frac(rng, 0.88 + 0.12 * q, 0.02, 0.75)
    v["safety_funds"] = chance(0.75 + 0.3 * q)
    v["gdp"] = gdp
    v["deaths"] = max(0, round(deaths_limit * clamp(rng.gauss(1.02 - 0.12 * q, 0.03), 0.7, 1.2)))
    v["larger_accidents"] = 1 if chance(0.35 * (1.1 - q)) else 0
    v["major_accidents"] = 0
    v["concealed"] = False
    v["promoted"] = rng.choice([1, 1, 2]) if chance(0.5 * q) else 0
    v["criticized"] = 1 if chance(0.3 * (1 - q)) else 0
    return v


def item_estimate(item_id: str, v: dict[str, Any], short: str) -> float | None:
    """How a city's clerk works out the score of an indicator item (None for assessor items)."""
    deaths_limit, gdp_limit, inspect_target, lh_target = TARGETS[short]

    def rate(value: float | None, points: float, per_point: float, zero_below: float = 0) -> float:
        if value is None:
            return points  # not filled in, but claimed anyway
        if value < zero_below:
            return 0
        return max(0.0, points - per_point * max(0.0, 1 - value) * 100)

    calc = {
        "resp.meeting": lambda: 4 - min(4, max(0, 4 - v["gov_meetings"])),
        "resp.lists": lambda: 3 if v["duty_lists"] else 0,
        "resp.assess": lambda: 3 if v["county_assess"] else 0,
        "law.inspect": lambda: rate(v["inspections"] / inspect_target, 6, 0.2, 0.7),
        "law.random": lambda: rate(v["random_public_rate"], 4, 0.2),
        "law.cases": lambda: 4 * clamp(v["penalty_cases"] * 100 / v["inspections"] / 5, 0, 1),
        "mech.township": lambda: rate(v["township_rate"], 4, 0.1),
        "prev.lianghua": lambda: rate(v["lh_registered"] / lh_target, 5, 0.1, 0.8),
        "prev.selfcheck": lambda: rate(v["self_report_rate"], 4, 0.2),
        "prev.major_fix": lambda: rate(v["major_fix_rate"], 3, 0.3),
        "base.std": lambda: rate(v["std_rate"], 4, 0.2),
        "base.online": lambda: rate(v["hazard_online"], 3, 0.3),
        "base.funds": lambda: 2 if v["safety_funds"] else 0,
        "acc.deaths": lambda: max(0.0, 10 - 0.5 * max(0.0, v["deaths"] * 100 / deaths_limit - 100)),
        "acc.gdp": lambda: 4 if gdp_limit is not None and v["deaths"] / v["gdp"] <= gdp_limit else 0,
        "acc.larger": lambda: max(0, 4 - 2 * v["larger_accidents"]),
    }
    f = calc.get(item_id)
    return None if f is None else round(f(), 2)


def build_cities(period: str, seed: int, rubric: dict[str, Any]) -> list[City]:
    year = parse_year(period)
    items = city_items(rubric)
    cities: list[City] = []
    for short, gdp, base in CITIES:
        q0 = base if base is not None else random.Random(f"{seed}:{short}").uniform(0.6, 0.9)
        rng = random.Random(f"{seed}:{period}:{short}")
        q = clamp(q0 + rng.uniform(-0.04, 0.04), 0.05, 1.0)
        growth = 1 + 0.075 * (year - 2016)
        c = City(short, SHORT_TO_NAME[short], q, city_values(short, round(gdp * growth, 2), q, rng))
        for (s, fld), value in PINNED.items():
            if s == short:
                c.values[fld] = value
        for (s, fld), style in MESS.items():
            if s == short and style == "blank":
                c.values[fld] = 0 if fld in {"promoted"} else None
        _assessors(c, rng)
        _self_scores(c, items, rng)
        cities.append(c)
    return cities


def _assessors(c: City, rng: random.Random) -> None:
    """The 日常考核 and 现场考核 deductions: more for weaker cities, within each item's points."""
    bad = 1 - c.quality
    counties = COUNTIES[c.short]
    caps = {"law.daily": 6, "mech.daily": 6, "prev.edu": 3, "acc.report": 4}
    for item, pool in DAILY.items():
        k = min(len(pool), round(rng.uniform(0, 1.2) + 4 * bad))
        used = 0.0
        for template, pts, office in rng.sample(pool, k):
            if used + pts > caps[item]:
                break
            used += pts
            reason = template.format(m=rng.randint(1, 12), n=rng.randint(2, 3))
            c.daily.append((item, pts, reason, office))
    caps = {"resp.onsite": 5, "prev.ent_onsite": 4, "base.onsite": 5}
    for item, pool2 in ONSITE.items():
        k = min(len(pool2), round(rng.uniform(0, 1.5) + 4 * bad))
        used = 0.0
        for template, pts in rng.sample(pool2, k):
            if used + pts > caps[item]:
                break
            used += pts
            reason = template.format(county=rng.choice(counties), n=rng.randint(2, 4))
            c.onsite.append((item, pts, reason))


def _self_scores(c: City, items: list[dict[str, Any]], rng: random.Random) -> None:
    """Step 1: the city's own score per item. Over-claimers give themselves full marks."""
    for it in items:
        pts = float(it["points"])
        if c.short in OVERCLAIM:
            c.self_scores[it["id"]] = pts
            continue
        est = item_estimate(it["id"], c.values, c.short)
        if est is None:
            daily = sum(p for i, p, _, _ in c.daily if i == it["id"])
            onsite = sum(p for i, p, _ in c.onsite if i == it["id"])
            # daily deductions were notified during the year; on-site ones are partly disputed
            est = pts - daily - _half_down(onsite / 2)
        elif 0 < est < pts and rng.random() < 0.3:
            est = min(pts, _half_down(est) + 0.5)  # rounded up a little
        c.self_scores[it["id"]] = round(est, 2)


def district_values(canon: str, short: str, q: float, rng: random.Random) -> dict[str, Any]:
    deaths_limit, _, inspect_target, lh_target = TARGETS[short]
    v: dict[str, Any] = {}
    v["lh_registered"] = round(lh_target * clamp(rng.gauss(0.9 + 0.12 * q, 0.02), 0.8, 1.1))
    v["list_upgrade_rate"] = frac(rng, 0.86 + 0.14 * q, 0.02, 0.7)
    v["self_report_rate"] = frac(rng, 0.9 + 0.1 * q, 0.015, 0.8)
    v["major_fix_rate"] = 1.0 if rng.random() < 0.5 * q else frac(rng, 0.88 + 0.12 * q, 0.02, 0.75)
    v["dist_meetings"] = 4 if rng.random() < 0.2 + 0.6 * q else 3
    v["township_rate"] = 1.0 if rng.random() < 0.3 * q else frac(rng, 0.88 + 0.12 * q, 0.02, 0.6)
    v["inspections"] = round(inspect_target * clamp(rng.gauss(0.88 + 0.1 * q, 0.03), 0.75, 1.15))
    v["random_public_rate"] = 1.0 if rng.random() < 0.3 * q else frac(rng, 0.93 + 0.07 * q, 0.015, 0.8)
    v["deaths"] = max(0, deaths_limit + rng.choice([-2, -1, 0, 0, 1]) + (1 if q < 0.7 else 0))
    v["larger_accidents"] = 1 if canon.startswith("梁子湖") else 0
    return v


def build_districts(period: str, seed: int) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for short, canon, q in DISTRICTS:
        rng = random.Random(f"{seed}:{period}:{short}")
        out.append((short, canon, district_values(canon, short, q, rng)))
    return out


def build_enterprises(period: str, seed: int) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, (upgraded, rate, overdue, reported) in ENTERPRISES.items():
        rng = random.Random(f"{seed}:{period}:{name}")
        noisy = round(clamp(rate + rng.choice([-0.01, 0, 0, 0.01]), 0.5, 1.0), 3)
        out.append(
            (
                name,
                {
                    "ent_list_upgraded": upgraded,
                    "ent_self_fix_rate": noisy,
                    "ent_major_overdue": overdue,
                    "exposures": reported,
                },
            )
        )
    return out


# --- cells -------------------------------------------------------------------------------------

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")


def render(fld: str, ftype: str, value: Any, style: str | None) -> tuple[Any, str | None]:
    """The cell value (and number format) a clerk would have typed for ``value``."""
    if style == "blank" or value is None:
        return None, None
    if style == "wu":
        return "无", None
    if ftype == "bool":
        return xl.yes_no(value, style), None
    if ftype == "percent":
        if style == "pct100":
            return xl.percent_cell(value, style)[0], None  # 95 typed, no number format
        return xl.percent_cell(value, style or "pct_fmt")
    if style in {"text", "fullwidth"}:
        return xl.number_as_text(value, style), None
    if style == "thousands":
        return (f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"), None
    return value, None


# --- the city forms (自评表) ---------------------------------------------------------------------

SECTION_OF_FIELD = {
    "gov_meetings": "一、健全责任体系",
    "inspections": "二、推进依法治理",
    "township_rate": "三、完善体制机制",
    "lh_registered": "四、加强安全预防",
    "std_rate": "五、强化基础建设",
    "gdp": "六、防范遏制事故",
    "promoted": "七、加减分",
}


def write_form(c: City, rubric: dict[str, Any], year: int, path: Path, stamp: datetime) -> None:
    hand = c.short in HAND_MADE
    fields = rubric["fields"]
    wb = Workbook()
    ws = wb.active
    ws.title = "填报表" if not hand else f"{year}年度自评表"
    title = f"{rubric['title']}（{year}年度）自评表"
    ncol = 7 if not hand else 5
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    xl.cell(ws, 1, 1, title, font=xl.TITLE)
    ws.row_dimensions[1].height = 30
    written = FORM_NAME_AS_WRITTEN.get(c.short, c.name)
    if hand:
        ws.cell(row=2, column=1, value="填报单位（盖章）：").font = xl.FONT
        ws.cell(row=2, column=2, value=written).font = xl.FONT
        ws.cell(row=2, column=4, value="考核期间：").font = xl.FONT
        ws.cell(row=2, column=5, value=f"{year}年度").font = xl.FONT
        header = ["序号", "指标名称", "填报值", "佐证材料", "备注"]
    else:
        ws.cell(row=2, column=1, value="填报单位：").font = xl.FONT
        ws.cell(row=2, column=2, value=written).font = xl.FONT
        ws.cell(row=2, column=4, value="考核期间：").font = xl.FONT
        ws.cell(row=2, column=5, value=str(year)).font = xl.FONT
        header = ["字段编码", "指标名称", "计量单位", "填报值", "评分标准", "佐证材料", "备注"]
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncol)
    ws.cell(
        row=3,
        column=1,
        value=f"填报说明：统计时间为{year}年1月1日至12月31日；比率类指标填写百分数；是否类填“是/否”。"
        f"请于{year + 1}年1月15日前报省安监局协调处。",
    ).font = xl.FONT
    xl.header_row(ws, 5, header)
    basis_of = {}
    for it in city_items(rubric):
        rule = it["rule"]
        for key in ("value", "count", "when"):
            expr = str(rule.get(key, ""))
            for f in re.findall(r"[a-z_]+", expr):
                basis_of.setdefault(f, it.get("basis"))
    row, seq = 6, 0
    for fld in city_fields(rubric):
        fd = fields[fld]
        if fld in SECTION_OF_FIELD:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncol)
            xl.cell(ws, row, 1, SECTION_OF_FIELD[fld], font=xl.BOLD, align=xl.LEFT)
            row += 1
        seq += 1
        value, fmt = render(fld, fd.get("type", "number"), c.values.get(fld), MESS.get((c.short, fld)))
        label = fd["label"]
        if hand:
            unit = fd.get("unit")
            label = f"{label}（{unit}）" if unit and unit not in label else label
            cells = [seq, label, value, None, None]
            vcol = 3
        else:
            cells = [fld, label, fd.get("unit"), value, basis_of.get(fld), None, None]
            vcol = 4
        for k, v in enumerate(cells, start=1):
            xl.cell(ws, row, k, v, align=xl.LEFT if k in (2, 5) else xl.CENTER)
        ws.cell(row=row, column=vcol).fill = INPUT_FILL
        if fmt:
            ws.cell(row=row, column=vcol).number_format = fmt
        if fld == "deaths" and c.values.get("major_accidents"):
            ws.cell(row=row, column=ncol, value=f"含{year}年8月1起重大事故").font = xl.FONT
        if (c.short, fld) == HIDDEN_ROW:
            ws.row_dimensions[row].hidden = True
        row += 1
    ws.cell(
        row=row + 1, column=1, value="填报人：张××　　审核人：李××　　联系电话：027-8736××××"
    ).font = xl.FONT
    xl.column_widths(ws, (10, 46, 8, 12, 50, 16, 16) if not hand else (6, 50, 12, 20, 16))
    ws.freeze_panes = "A6"

    # 自评分 (step 1 of the four steps)
    ss = wb.create_sheet("自评分")
    xl.header_row(ss, 1, ("指标编码", "指标名称", "分值", "自评分", "说明"))
    for r, it in enumerate(city_items(rubric), start=2):
        score: Any = c.self_scores[it["id"]]
        score = int(score) if score == int(score) else score
        style = SELF_MESS.get((c.short, it["id"]))
        if style:
            score = xl.number_as_text(score, style)
        row_cells = [it["id"] if not hand else None, it["title"], it["points"], score, None]
        for k, v in enumerate(row_cells, start=1):
            xl.cell(ss, r, k, v, align=xl.LEFT if k == 2 else xl.CENTER)
    xl.column_widths(ss, (16, 36, 8, 10, 30))

    if c.short in EXTRA_SHEET:
        ex = wb.create_sheet("佐证材料目录")
        docs = [
            "市政府常务会议纪要",
            "安全生产目标责任书",
            "执法检查计划及完成情况统计表",
            "“两化”系统注册企业名单",
        ]
        for r, d in enumerate(["序号　佐证材料名称", *docs], start=1):
            ex.cell(row=r, column=1, value=d if r == 1 else f"{r - 1}　{d}").font = xl.FONT
        ex.column_dimensions["A"].width = 50
    if not hand:
        meta = wb.create_sheet("_safescore")
        for r, (k, v) in enumerate(
            (
                ("safescore_template", "1"),
                ("rubric", rubric["rubric"]),
                ("rubric_version", rubric["version"]),
                ("unit", c.name),
                ("group", "city"),
                ("period", str(year)),
            ),
            start=1,
        ):
            meta.cell(row=r, column=1, value=k)
            meta.cell(row=r, column=2, value=v)
        meta.sheet_state = "hidden"
    xl.save_deterministic(wb, path, stamp, c.name)


# --- the assessors' scoresheets ----------------------------------------------------------------


def write_scores(
    path: Path,
    title: str,
    head: tuple[str, str, str, str, str],
    rows: list[tuple[str, str, Any, str, str]],
    stamp: datetime,
    creator: str,
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "评分汇总"
    ws.merge_cells("A1:E1")
    xl.cell(ws, 1, 1, title, font=xl.TITLE)
    ws.row_dimensions[1].height = 30
    xl.header_row(ws, 2, head)
    for r, row in enumerate(rows, start=3):
        for k, v in enumerate(row, start=1):
            xl.cell(ws, r, k, v, align=xl.LEFT if k in (1, 4, 5) else xl.CENTER)
    xl.column_widths(ws, (18, 22, 8, 64, 40))
    ws.freeze_panes = "A3"
    xl.save_deterministic(wb, path, stamp, creator)


def _points(x: float) -> Any:
    return int(x) if x == int(x) else x


def daily_rows(cities: list[City], rubric: dict[str, Any]) -> list[tuple[str, str, Any, str, str]]:
    titles = {it["id"]: it["title"] for it in city_items(rubric)}
    rows = []
    for c in cities:
        written = SCORE_NAME_AS_WRITTEN.get(c.short, c.short + "市")
        for n, (item, pts, reason, office) in enumerate(c.daily):
            named = item if n % 2 == 0 else titles[item]
            rows.append((written, named, _points(pts), reason, f"{office}日常考核记录"))
    return rows


def onsite_rows(cities: list[City], year: int) -> list[tuple[str, str, Any, str, str]]:
    rows = []
    for team, c in enumerate(cities, start=1):
        written = SCORE_NAME_AS_WRITTEN.get(c.short, c.short + "市")
        for n, (item, pts, reason) in enumerate(c.onsite, start=1):
            rows.append(
                (
                    written,
                    item,
                    _points(pts),
                    reason,
                    f"第{(team - 1) % 4 + 1}考核组现场考核记录表 HB-{year}-{team:02d}{n:02d}",
                )
            )
        if not c.onsite:
            rows.append((written, "resp.onsite", 0, "现场核查未发现问题", f"第{(team - 1) % 4 + 1}考核组"))
    return rows


def highlight_rows(year: int) -> list[tuple[str, str, Any, str, str]]:
    rows = []
    for short, items in HIGHLIGHTS.items():
        written = SCORE_NAME_AS_WRITTEN.get(short, short + "市")
        for text, pts in items:
            rows.append((written, "工作亮点", _points(pts), text, f"省安监局党组会议审定（{year + 1}年1月）"))
    return rows


# --- 鄂州: consolidation sheet and exposure ledger ----------------------------------------------

EZ_DISTRICT_COLS = [
    ("lh_registered", "“两化”系统\n注册企业数(家)"),
    ("list_upgrade_rate", "隐患排查治理清单\n提档升级完成率(%)"),
    ("self_report_rate", "企业隐患自查\n自改自报率(%)"),
    ("major_fix_rate", "重大隐患整改\n销号率(%)"),
    ("dist_meetings", "区政府（管委会）常务会议\n研究安全生产工作次数(次)"),
    ("township_rate", "乡镇（街道）安全监管机构\n规范化建设达标率(%)"),
    ("inspections", "执法检查\n企业家次"),
    ("random_public_rate", "“双随机、两公开”检查\n结果公开率(%)"),
    ("deaths", "生产安全事故\n死亡人数(人)"),
    ("larger_accidents", "较大生产安全\n事故起数(起)"),
]
EZ_ENT_COLS = [
    ("ent_list_upgraded", "是否完成隐患排查治理\n清单提档升级"),
    ("ent_self_fix_rate", "自查隐患按期\n整改率(%)"),
    ("ent_major_overdue", "逾期未整改\n重大隐患数(处)"),
    ("exposures", "重大隐患被\n曝光次数(次)"),
]
PERCENTS = {"list_upgrade_rate", "self_report_rate", "major_fix_rate", "township_rate"}
PERCENTS |= {"random_public_rate", "ent_self_fix_rate"}


def _table_sheet(
    ws: Worksheet,
    title: str,
    unit_head: str,
    cols: list[tuple[str, str]],
    rows: list[tuple[str, dict[str, Any]]],
    total: bool,
) -> None:
    ncol = 2 + len(cols)
    last = get_column_letter(ncol)
    ws.merge_cells(f"A1:{last}1")
    xl.cell(ws, 1, 1, title, font=xl.TITLE)
    ws.row_dimensions[1].height = 30
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = "填报单位：鄂州市安委会办公室　　　　统计口径：1月1日至12月31日"
    ws["A2"].font = xl.FONT
    xl.header_row(ws, 3, ["序号", unit_head] + [h for _, h in cols])
    ws.row_dimensions[3].height = 48
    r = 4
    for seq, (name, v) in enumerate(rows, start=1):
        xl.cell(ws, r, 1, seq)
        xl.cell(ws, r, 2, name, align=xl.LEFT)
        for k, (fld, _) in enumerate(cols, start=3):
            val = v[fld]
            if isinstance(val, bool):
                xl.cell(ws, r, k, xl.yes_no(val, None))
            else:
                xl.cell(ws, r, k, val, fmt="0.0%" if fld in PERCENTS else None)
        r += 1
    if total:
        xl.cell(ws, r, 2, "合计", font=xl.BOLD)
        for k, (fld, _) in enumerate(cols, start=3):
            if fld not in PERCENTS:
                xl.cell(ws, r, k, sum(v[fld] for _, v in rows), font=xl.BOLD)
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 28
    for k in range(3, ncol + 1):
        ws.column_dimensions[get_column_letter(k)].width = 14
    ws.freeze_panes = "C4"


def write_ezhou(
    districts: list[tuple[str, str, dict[str, Any]]],
    ents: list[tuple[str, dict[str, Any]]],
    year: int,
    path: Path,
    stamp: datetime,
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "各区（开发区）"
    title = f"鄂州市{year}年度安全生产责任目标考核数据汇总表（各区、开发区）"
    _table_sheet(ws, title, "被考核单位", EZ_DISTRICT_COLS, [(s, v) for s, _, v in districts], total=True)
    ws = wb.create_sheet("两化企业")
    title = f"鄂州市{year}年度“两化”注册企业隐患排查治理质量考核汇总表（抽样）"
    _table_sheet(ws, title, "单位名称", EZ_ENT_COLS, ents, total=False)
    lines = [
        "说明",
        "1. “两化”体系建设考核权重占全年安全生产责任目标考核权重的40%。",
        "2. 企业重大隐患被曝光次数以市安监局官方网站曝光台账为准。",
    ]
    xl.notes_sheet(wb, lines, 80)
    xl.save_deterministic(wb, path, stamp, "鄂州市安委会办公室")


LEDGER_HAZARDS = {
    "鄂城区某钢铁企业": ["煤气柜区域一氧化碳报警仪失效未修复", "高炉炉前作业区安全通道被占用未整改"],
    "鄂城区某船舶修造企业": ["船舱有限空间作业未配备通风检测设备"],
    "华容区某危险化学品经营企业": [
        "液氨储罐区可燃气体报警装置失效未整改",
        "储罐区防火堤破损未修复",
        "重大危险源未设置视频监控",
    ],
    "梁子湖区某非煤矿山企业": [
        "采场边坡存在滑坡隐患未处置",
        "排土场未设置截排水设施",
        "爆破器材库防雷设施检测超期",
        "台阶高度超过设计要求未整改",
        "主要负责人未取得安全生产知识和管理能力考核合格证",
    ],
}
# the ledger's date column as clerks type it: a date, an Excel serial number, or text
DATE_STYLES = ("date", "dotted", "date", "cn", "serial")


def ledger_rows(year: int, seed: int) -> list[tuple[str, str, Any, str, str, str]]:
    rng = random.Random(f"{seed}:{year}:ledger")
    rows: list[tuple[str, str, date, str, str, str]] = []
    # last year's exposure: in the ledger, but outside this year's count
    rows.append(
        (
            "葛店开发区某食品加工企业",
            "葛店开发区",
            date(year - 1, 11, 20),
            "液氨制冷车间氨泄漏报警装置未联锁",
            "市安监局网站",
            "已整改",
        )
    )
    for name, n in EXPOSURES.items():
        district = name.split("某")[0]
        months = sorted(rng.sample(range(2, 12), n))
        for k, m in enumerate(months):
            d = date(year, m, rng.randint(1, 28))
            channel = "市安监局网站" if k < 2 else "市安监局网站、《鄂州日报》"
            status = "已整改" if k < n - 1 else "整改中"
            rows.append((name, district, d, LEDGER_HAZARDS[name][k], channel, status))
    rows.sort(key=lambda r: r[2])
    out: list[tuple[str, str, Any, str, str, str]] = []
    for i, (name, district, d, hazard, channel, status) in enumerate(rows):
        shown = xl.date_as_written(d, DATE_STYLES[i % len(DATE_STYLES)])
        out.append((name, district, shown, hazard, channel, status))
    return out


def write_ledger(year: int, seed: int, path: Path, stamp: datetime) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "重大隐患曝光台账"
    head = ["序号", "企业名称", "所在区", "曝光日期", "重大隐患内容", "曝光渠道", "整改情况"]
    xl.header_row(ws, 1, head)
    for r, row in enumerate(ledger_rows(year, seed), start=2):
        xl.cell(ws, r, 1, r - 1)
        for k, v in enumerate(row, start=2):
            fmt = "yyyy-mm-dd" if isinstance(v, date) else None
            xl.cell(ws, r, k, v, align=xl.LEFT if k in (2, 5) else xl.CENTER, fmt=fmt)
    xl.column_widths(ws, (6, 28, 12, 14, 44, 26, 10))
    xl.save_deterministic(wb, path, stamp, "鄂州市安全生产监督管理局")


# --- targets table -----------------------------------------------------------------------------


def write_targets(path: Path) -> None:
    """The 目标值表 the rubric names (rubrics/targets/hubei-mubiao.xlsx)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "2016年度目标值"
    ws.merge_cells("A1:F1")
    xl.cell(ws, 1, 1, "2016年度市州安全生产工作责任目标（差异化下达）", font=xl.TITLE)
    ws.row_dimensions[1].height = 30
    xl.header_row(ws, 2, ("序号", "单位", *TARGET_COLUMNS))
    ws.row_dimensions[2].height = 40
    names = [FULL_NAME[s] for s, _, _ in CITIES] + [canon for _, canon, _ in DISTRICTS]
    shorts = [s for s, _, _ in CITIES] + [s for s, _, _ in DISTRICTS]
    for r, (name, short) in enumerate(zip(names, shorts, strict=True), start=3):
        xl.cell(ws, r, 1, r - 2)
        xl.cell(ws, r, 2, name, align=xl.LEFT)
        for k, v in enumerate(TARGETS[short], start=3):
            xl.cell(ws, r, k, v)
    note = len(names) + 4
    ws.cell(
        row=note,
        column=1,
        value="注：鄂州市各区（开发区）目标由鄂州市分解下达；亿元GDP死亡率指标只对市州下达。",
    )
    ws.cell(row=note, column=1).font = xl.FONT
    xl.column_widths(ws, (6, 40, 16, 18, 14, 16))
    xl.save_deterministic(wb, path, datetime(2016, 3, 1, 9), "湖北省安全生产监督管理局")


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="生成湖北省安全生产目标责任考核示例数据（年度）")
    ap.add_argument("--out", type=Path, default=HERE / "data", help="输出目录（默认 examples/hubei/data）")
    ap.add_argument("--period", default="2016", help="年度，如 2016")
    ap.add_argument("--seed", type=int, default=2016, help="随机种子（与年度一起决定数据）")
    ap.add_argument(
        "--targets", type=Path, help="只写出目标值表到此路径（rubrics/targets/hubei-mubiao.xlsx）"
    )
    args = ap.parse_args(argv)
    if args.targets:
        write_targets(args.targets)
        print(args.targets)
        return
    year = parse_year(args.period)
    rubric = load_rubric()
    cities = build_cities(args.period, args.seed, rubric)
    stamp = datetime(year + 1, 1, 12, 9)
    out: Path = args.out
    written: list[Path] = []
    for c in cities:
        p = out / f"{year}年度安全生产目标责任考核自评表（{c.short}）.xlsx"
        write_form(c, rubric, year, p, stamp)
        written.append(p)
    p = out / f"daily-{year}.xlsx"
    head = ("单位", "指标编码或名称", "扣分", "扣分原因", "佐证")
    write_scores(
        p,
        f"{year}年度市州安监局目标考核日常考核扣分汇总表",
        head,
        daily_rows(cities, rubric),
        stamp,
        "湖北省安全生产监督管理局",
    )
    written.append(p)
    p = out / f"onsite-{year}.xlsx"
    write_scores(
        p,
        f"{year}年度市州安监局目标考核现场考核扣分汇总表",
        head,
        onsite_rows(cities, year),
        stamp,
        "湖北省安全生产监督管理局",
    )
    written.append(p)
    p = out / f"highlight-{year}.xlsx"
    head = ("单位", "指标", "得分", "评分说明", "依据")
    write_scores(
        p,
        f"{year}年度市州安监局工作亮点考核评分表",
        head,
        highlight_rows(year),
        stamp,
        "湖北省安全生产监督管理局",
    )
    written.append(p)
    p = out / f"鄂州市{year}年度安全生产目标责任考核数据汇总表.xlsx"
    write_ezhou(
        build_districts(args.period, args.seed), build_enterprises(args.period, args.seed), year, p, stamp
    )
    written.append(p)
    p = out / f"鄂州市{year}年重大隐患曝光台账.xlsx"
    write_ledger(year, args.seed, p, stamp)
    written.append(p)
    for p in written:
        print(p)


if __name__ == "__main__":
    main()
