"""Generate the sample data for the Dancheng 双重预防 example (企业“双重预防”体系建设评估).

Writes, for one half-year, the three workbooks the 郸城县应急管理局 would have on disk:

* ``returns-<period>.xlsx``: the 企业“双重预防”体系建设情况汇总表 (table layout): one sheet per
  group (危化及烟花爆竹, 工贸企业) with a merged title, a 填报说明 row, a two-row merged header,
  one row per enterprise, a 合计 row and a signature line, plus an unrelated 说明 sheet;
* ``hazards-<period>.xlsx``: the 隐患排查治理台账 exported from the county's 双重预防 information
  system (record list): every hazard of the year up to the period's end, with its status as of then;
* ``inspections-<period>.xlsx``: the 执法检查“逢查必考”记录 of the 应急管理局 enforcement team
  (record list), also cumulative for the year: on-site tests of staff, 责令限期整改, 立案查处.

The values are synthetic but plausible (enterprise names are illustrative; the scores are made
up) and carry the mess of real returns (SPEC 4.4) at fixed places so tests can target them; see
``README.md`` next to this file. Output is deterministic for a given ``--seed`` and ``--period``
(byte-identical files: zip entries and document properties carry fixed timestamps).

Example::

    python examples/dancheng/make_data.py --period 2019H2 --out /tmp/dancheng
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
# The helpers all generators share live in examples/_shared. This file runs as a script and is also
# loaded by path (safescore init, the tests), so examples/ is put on the path either way.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))
from _shared import workbook as xl  # noqa: E402
from _shared.values import clamp  # noqa: E402

OFFICE = "郸城县应急管理局"
HALF_CN = {1: "上半年", 2: "下半年"}

# --- enterprises -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ent:
    name: str
    group: str  # hazchem | industry
    base: float | None  # standing; None draws one from the seed
    demo: bool  # 第一批示范企业
    staff: int  # 从业人员数: drives how many hazards and tests
    kind: str  # key of PLACES / HAZARD_TEXTS


HAZCHEM = [
    Ent("郸城县鑫达化工有限公司", "hazchem", 0.94, True, 120, "chem"),
    Ent("郸城县恒信化工有限公司", "hazchem", 0.93, False, 85, "chem"),
    Ent("郸城县宏源液化气有限公司", "hazchem", None, False, 18, "gas"),
    Ent("郸城县盛源工业气体有限公司", "hazchem", 0.74, False, 26, "gas"),
    Ent("郸城县福星烟花爆竹批发有限公司", "hazchem", 0.93, True, 15, "fireworks"),
    Ent("中国石化郸城城关加油站", "hazchem", 0.96, True, 12, "station"),
    Ent("中国石化郸城宁平加油站", "hazchem", None, False, 9, "station"),
    Ent("中国石油郸城南丰加油站", "hazchem", None, False, 10, "station"),
    Ent("郸城县汲冢加油站", "hazchem", 0.42, False, 6, "station"),
    Ent("郸城县丰盛农资有限公司", "hazchem", None, False, 14, "store"),
    Ent("郸城县顺达危险货物运输有限公司", "hazchem", None, False, 60, "transport"),
]
INDUSTRY = [
    Ent("河南金丹乳酸科技股份有限公司", "industry", 0.97, True, 900, "food"),
    Ent("郸城财鑫糖业有限责任公司", "industry", 0.95, True, 600, "food"),
    Ent("河南天豫薯业股份有限公司", "industry", 0.94, True, 450, "food"),
    Ent("河南百年康鑫药业有限公司", "industry", 0.92, True, 180, "pharma"),
    Ent("国能郸城生物发电有限公司", "industry", 0.93, True, 90, "power"),
    Ent("郸城县丰源面业有限公司", "industry", 0.7, True, 70, "dust"),  # a 示范企业 slipping
    Ent("郸城县文玉食品有限公司", "industry", None, False, 220, "food"),
    Ent("郸城县利民面粉有限公司", "industry", None, False, 45, "dust"),
    Ent("郸城县金穗冷藏有限公司", "industry", None, False, 25, "ammonia"),
    Ent("郸城县鑫源商砼有限公司", "industry", None, False, 80, "building"),
    Ent("郸城县豫东新型墙体材料有限公司", "industry", None, False, 60, "building"),
    Ent("郸城县宏达纺织有限公司", "industry", None, False, 300, "textile"),
    Ent("郸城县华康木业有限公司", "industry", 0.3, False, 40, "wood"),  # 该建不建
    Ent("郸城县东方家具有限公司", "industry", 0.68, False, 35, "wood"),
    Ent("郸城县鸿运饲料有限公司", "industry", None, False, 40, "dust"),
    Ent("郸城县永丰包装有限公司", "industry", None, False, 50, "paper"),
    Ent("郸城县宏图彩印有限公司", "industry", None, False, 30, "paper"),
    Ent("郸城县恒通机械制造有限公司", "industry", None, False, 110, "machine"),
    Ent("郸城县绿源秸秆综合利用有限公司", "industry", 0.36, False, 20, "dust"),
]
ENTERPRISES = HAZCHEM + INDUSTRY
BY_NAME = {e.name: e for e in ENTERPRISES}

# --- the scripted cases the tests rely on ------------------------------------------------------
# A well-run chemical plant whose 重大事故隐患 found in March is still open at the end of June:
# vetoed in 2019H1 (grade forced to 不通过 whatever its score); fixed in August, so not in 2019H2.
VETO_MAJOR_UNIT = "郸城县恒信化工有限公司"
VETO_MAJOR_PLACE = "氯化反应釜区"
VETO_MAJOR_DESC = (
    "氯化反应釜未设置紧急冷却和紧急切断系统，重点监管危险化工工艺自动化控制系统未投用（重大事故隐患）"
)
VETO_MAJOR_DATES = ((3, 12), (5, 31), (8, 20))  # found, due, fixed (month, day)
# 该建不建: no system at all in 2019H1, two 立案查处 in the first half (ladder: 黑名单; veto).
NOT_BUILT_UNIT = "郸城县华康木业有限公司"
# One 立案查处 in each half: 约谈 in 2019H1, 黑名单 (and the 2-case veto) in 2019H2.
ONE_CASE_UNIT = "郸城县东方家具有限公司"
CASES: list[tuple[str, date, float, str]] = [
    (NOT_BUILT_UNIT, date(2019, 3, 20), 3.0, "未开展安全风险辨识评估，未建立隐患排查治理台账"),
    (
        NOT_BUILT_UNIT,
        date(2019, 5, 28),
        5.0,
        "复查仍未开展“双重预防”体系建设，砂光车间除尘系统未设置锁气卸灰装置",
    ),
    (
        ONE_CASE_UNIT,
        date(2019, 4, 16),
        2.0,
        "未按规定对喷漆房、打磨车间开展风险辨识，岗位人员不清楚本岗位风险",
    ),
    (ONE_CASE_UNIT, date(2019, 9, 10), 3.0, "隐患排查治理台账弄虚作假，已整改隐患现场未整改"),
]
# A fatal accident (2019H2 only).
DEATH_UNIT, DEATH_HALF = "郸城县鑫源商砼有限公司", 2
DEATH_NOTE = "7月18日厂区内发生1起车辆伤害事故，死亡1人"
# 经验做法被市级以上推广 (bonus): 2019H2 includes the 7月25日 全市现场会 held in Dancheng.
PROMOTED = {
    1: {"河南金丹乳酸科技股份有限公司": 1},
    2: {"河南金丹乳酸科技股份有限公司": 1, "郸城财鑫糖业有限责任公司": 1},
}
# Enterprises that report every hazard as fixed although the ledger says otherwise (“两张皮”).
OVERREPORT = {"郸城县汲冢加油站", "郸城县鸿运饲料有限公司", "郸城县东方家具有限公司"}

# --- the mess (SPEC 4.4) -----------------------------------------------------------------------
NAME_AS_WRITTEN = {
    "河南金丹乳酸科技股份有限公司": "金丹科技",  # alias
    "郸城财鑫糖业有限责任公司": "郸城县财鑫糖业有限责任公司",  # alias (with 县)
    "中国石化郸城城关加油站": "中国石化郸城城关加油站 ",  # trailing space
    "郸城县豫东新型墙体材料有限公司": "郸城县豫东新型墙体\n材料有限公司",  # newline inside
    "郸城县顺达危险货物运输有限公司": "郸城县顺达危险货物运输有限公司\u3000",  # ideographic space
}
HIDDEN_ROW_UNIT = "郸城县永丰包装有限公司"
# (unit, field) -> how the cell is written.  Styles: fullwidth, text, pct100, pct_text, pct_frac,
# pct_fmt, check (√/×), youwu (有/无), blank, slash (/), dash (—), wu (无).
MESS: dict[tuple[str, str], str] = {
    ("郸城县鑫达化工有限公司", "rules_issued"): "fullwidth",
    ("郸城县恒信化工有限公司", "duty_rate"): "pct_text",
    ("郸城县宏源液化气有限公司", "risk_cover"): "pct100",
    ("郸城县盛源工业气体有限公司", "four_color"): "check",
    ("郸城县福星烟花爆竹批发有限公司", "platform"): "youwu",
    ("中国石化郸城宁平加油站", "card_rate"): "pct_frac",
    ("中国石化郸城宁平加油站", "major_reported"): "slash",
    ("中国石油郸城南丰加油站", "hazards_found"): "text",
    ("郸城县汲冢加油站", "reviewed"): "check",
    ("郸城县丰盛农资有限公司", "app_rate"): "text",
    ("郸城县丰盛农资有限公司", "major_reported"): "slash",
    ("河南金丹乳酸科技股份有限公司", "measure_rate"): "pct_text",
    ("郸城财鑫糖业有限责任公司", "eval_method"): "check",
    ("郸城县文玉食品有限公司", "train_rate"): "pct100",
    ("郸城县利民面粉有限公司", "task_rate"): "blank",
    ("郸城县金穗冷藏有限公司", "notified"): "wu",
    ("郸城县鑫源商砼有限公司", "promoted"): "dash",
    ("郸城县宏达纺织有限公司", "level_ctrl"): "youwu",
    ("郸城县永丰包装有限公司", "promoted"): "slash",
    ("郸城县宏图彩印有限公司", "rules_issued"): "fullwidth",
    ("郸城县恒通机械制造有限公司", "major_reported"): "slash",
}
# The 该建不建 enterprise leaves every 双重预防 column at “/” in 2019H1 (dp_built is 否).
NOT_BUILT_SLASH = [
    "rules_issued",
    "duty_rate",
    "risk_cover",
    "eval_method",
    "major_reported",
    "four_color",
    "measure_rate",
    "level_ctrl",
    "card_rate",
    "key_sites_rate",
    "check_list",
    "train_rate",
    "platform",
    "app_rate",
    "task_rate",
    "reviewed",
    "rewards",
]
# How names are written in the two ledgers (the information system exports the short names some
# enterprises registered with; an enforcement clerk types a trailing space).
LEDGER_NAME_AS_WRITTEN = {
    "河南金丹乳酸科技股份有限公司": "金丹乳酸",
    "国能郸城生物发电有限公司": "国能生物发电",
    "郸城县宏源液化气有限公司": "宏源液化气站",
    "郸城县恒通机械制造有限公司": "郸城县恒通机械制造有限公司 ",
}
INSPECTION_NAME_AS_WRITTEN = {
    "中国石化郸城城关加油站": "中石化城关加油站",
    "郸城县丰盛农资有限公司": "丰盛农资",
}
# Enterprises whose hazard rows leave 整改状态 blank for hazards still open (read as not done).
BLANK_STATUS_UNITS = {"郸城县利民面粉有限公司", "郸城县宏图彩印有限公司"}

PERCENT = {
    "duty_rate",
    "risk_cover",
    "measure_rate",
    "card_rate",
    "alarm_rate",
    "key_sites_rate",
    "train_rate",
    "app_rate",
    "task_rate",
}
BOOL = {
    "dp_built",
    "leader_group",
    "eval_method",
    "major_reported",
    "four_color",
    "level_ctrl",
    "check_list",
    "platform",
    "reviewed",
    "rewards",
}
BLANK_ZERO = {"major_risks", "deaths", "promoted", "notified"}

# --- sheet layouts: blocks of (field, header text) ---------------------------------------------


def _layout(group: str) -> list[xl.Block]:
    tailored = (
        ("alarm_rate", "可燃有毒气体检测报警\n设施完好率（%）")
        if group == "hazchem"
        else ("key_sites_rate", "重点场所管控措施\n落实率（%）")  # the field's alias
    )
    return [
        (
            "组织保障",
            [
                ("dp_built", "是否开展“双重预防”\n体系建设"),
                ("leader_group", "是否成立主要负责人\n任组长的领导小组"),
                ("rules_issued", "制定“双重预防”\n管理制度数(项)"),
                ("duty_rate", "岗位安全责任书\n签订率（%）"),
            ],
        ),
        (
            "风险辨识评估",
            [
                ("risk_cover", "风险辨识\n覆盖率（%）"),  # alias
                ("eval_method", "是否采用LEC、JHA、SCL\n等方法评价风险"),
                ("major_risks", "重大风险数(个)"),
                ("major_reported", "重大风险是否\n按规定报告"),
                ("four_color", "是否绘制\n四色图"),  # alias
            ],
        ),
        (
            "风险分级管控",
            [
                ("measure_rate", "风险管控措施\n落实率（%）"),
                ("level_ctrl", "是否落实公司、车间、班组、\n岗位分级管控责任"),
                ("card_rate", "岗位风险告知卡\n覆盖率（%）"),
                tailored,
            ],
        ),
        (
            "隐患排查治理",
            [
                ("check_list", "是否编制隐患排查\n清单和排查计划"),
                ("hazards_found", "排查隐患数(处)"),
                ("hazards_fixed", "已整改隐患数(处)"),
            ],
        ),
        ("教育培训", [("train_rate", "全员“双重预防”\n培训覆盖率（%）")]),
        (
            "信息化建设",
            [
                ("platform", "是否接入县“双重预防”\n信息系统"),
                ("app_rate", "从业人员手机APP\n使用率（%）"),
                ("task_rate", "信息系统排查任务\n按时完成率（%）"),
            ],
        ),
        (
            "持续改进",
            [
                ("reviewed", "是否开展体系运行评审\n并更新风险清单"),
                ("rewards", "是否建立并兑现\n“双重预防”考核奖惩"),
            ],
        ),
        (None, [("deaths", "生产安全事故\n死亡人数(人)")]),
        (None, [("promoted", "经验做法被市级以上\n推广次数(次)")]),
        (None, [("notified", "信息系统数据未按时\n更新被通报次数(次)")]),
    ]


SHEETS = {"hazchem": "危化及烟花爆竹", "industry": "工贸企业"}
LAYOUTS = {g: _layout(g) for g in SHEETS}

# --- ledger texts ------------------------------------------------------------------------------
PLACES = {
    "chem": ["氯化反应釜区", "罐区", "装卸站台", "配电室", "危化品仓库", "污水处理站"],
    "gas": ["充装间", "储罐区", "钢瓶库", "装卸区", "配电室"],
    "fireworks": ["1号成品库", "2号成品库", "库区道路", "值班室", "防雷设施"],
    "station": ["加油区", "卸油区", "油罐区", "便利店", "配电间"],
    "store": ["农药仓库", "门市部", "装卸区"],
    "transport": ["停车场", "危货车辆", "维修车间", "动态监控室"],
    "food": ["发酵车间", "锅炉房", "淀粉车间", "包装车间", "原料库", "污水处理站", "配电室"],
    "pharma": ["提取车间", "乙醇回收间", "锅炉房", "饮片库"],
    "power": ["锅炉间", "料场", "汽机间", "升压站", "除尘器"],
    "dust": ["制粉车间", "除尘系统", "成品库", "筒仓", "配电室"],
    "ammonia": ["氨机房", "冷库", "穿堂", "配电室"],
    "building": ["搅拌站", "砂石料场", "罐车停放区", "成型车间", "窑炉"],
    "textile": ["纺纱车间", "织布车间", "棉花仓库", "空压机房"],
    "wood": ["砂光车间", "喷漆房", "打磨车间", "木料堆场", "除尘系统"],
    "paper": ["印刷车间", "纸板线", "原纸仓库", "溶剂库"],
    "machine": ["焊接车间", "机加工车间", "喷涂车间", "行车", "空压机房"],
}
GENERAL_HAZARDS = [
    "灭火器压力不足",
    "消防通道堆放杂物",
    "配电箱门未关闭、线路私拉乱接",
    "安全警示标志缺失",
    "员工未正确佩戴劳动防护用品",
    "应急照明灯损坏",
    "设备传动部位防护罩缺失",
    "岗位风险告知卡内容未更新",
]
SPECIFIC_HAZARDS = {
    "chem": [
        "可燃气体报警仪未定期校验",
        "储罐液位计显示失灵",
        "装卸软管未定期更换",
        "防爆区域使用非防爆电器",
    ],
    "gas": ["钢瓶充装前检查记录不全", "储罐区静电接地电阻未检测", "超期未检钢瓶未隔离存放"],
    "fireworks": ["库房防雷设施未按期检测", "成品库超量存放", "库区视频监控存在盲区"],
    "station": ["卸油时未连接静电接地", "油罐通气管阻火器锈蚀", "加油机下方渗漏未处理"],
    "store": ["农药与化肥混存", "仓库通风设施损坏"],
    "transport": ["危货车辆动态监控离线", "驾驶员未按规定休息", "罐体检验报告过期"],
    "food": ["锅炉安全阀未按期校验", "有限空间作业未审批", "淀粉车间积尘未及时清理", "压力容器超期未检"],
    "pharma": ["乙醇回收间防爆风机故障", "提取罐压力表超期未检"],
    "power": ["料场消防水炮不能正常使用", "锅炉水位计不清晰", "除尘器卸灰阀密封不严"],
    "dust": ["除尘系统未设置泄爆装置", "车间积尘超过规定厚度", "筒仓未设置料位检测"],
    "ammonia": ["氨机房氨气浓度报警仪失效", "液氨管道阀门腐蚀", "冷库未设置逃生门内开装置"],
    "building": ["搅拌机检修未挂牌上锁", "罐车倒车无专人指挥", "窑炉测温装置损坏"],
    "textile": ["棉花仓库电气线路未穿管", "车间飞花积聚", "空压机储气罐安全阀失效"],
    "wood": ["砂光机除尘管道积尘", "喷漆房未使用防爆灯具", "打磨工位未设置吸尘罩"],
    "paper": ["溶剂库通风不良", "纸板线传动链条无防护", "印刷机清洗使用汽油"],
    "machine": ["焊接作业未办理动火审批", "行车限位器失灵", "喷涂房静电接地断开"],
}
INSPECTION_KINDS = ["日常检查", "专项执法检查", "“双随机”抽查", "复查"]
ORDER_ISSUES = [
    "风险管控措施未落实到岗位",
    "隐患排查清单与现场不符",
    "岗位人员对本岗位风险及应急处置措施不清楚",
    "信息系统排查任务未按时完成",
    "四色分布图未随风险变化更新",
]


@dataclass
class UnitData:
    name: str
    group: str
    quality: float
    values: dict[str, Any] = field(default_factory=dict)  # clean values (fractions, bools, None = missing)
    note: str | None = None


@dataclass
class Hazard:
    unit: str
    found: date
    place: str
    desc: str
    level: str  # 一般 | 重大
    origin: str  # 企业自查 | 隐患随手拍 | 执法检查 | 专家诊断
    due: date
    fixed_on: date | None

    def status_at(self, end: date) -> str:
        if self.fixed_on is not None and self.fixed_on <= end:
            return "已整改"
        return "未整改" if self.due < end and self.level == "重大" else "整改中"


@dataclass
class Inspection:
    unit: str
    date: date
    kind: str
    tested: int
    passed: int
    result: str  # 合格 | 责令限期整改 | 立案查处
    fine: float | None  # 万元
    issue: str


# --- periods and values --------------------------------------------------------------------------


def parse_period(period: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})H([12])", period)
    if not m:
        raise SystemExit(f"期间应为半年，如 2019H1：{period}")
    return int(m.group(1)), int(m.group(2))


def half_bounds(year: int, half: int) -> tuple[date, date]:
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))


def quality(e: Ent, year: int, half: int, seed: int) -> float:
    base = e.base if e.base is not None else random.Random(f"{seed}:{e.name}").uniform(0.62, 0.9)
    return clamp(base + random.Random(f"{seed}:{year}H{half}:{e.name}:q").uniform(-0.04, 0.04), 0.05, 1.0)


def _rate(rng: random.Random, lo: float, q: float, spread: float = 0.03) -> float:
    """A fraction rising with ``q`` from ``lo`` to 1, with noise, to 3 decimals (0.1 percentage point)."""
    x = clamp(lo + (1 - lo) * q + rng.uniform(-spread, spread), 0.0, 1.0)
    if q > 0.9 and rng.random() < 0.5:
        x = 1.0
    return round(x, 3)


def unit_values(e: Ent, q: float, rng: random.Random, year: int, half: int) -> dict[str, Any]:
    v: dict[str, Any] = {}
    v["dp_built"] = True
    v["leader_group"] = q > 0.4 or rng.random() < 0.5
    v["rules_issued"] = 5 if q > 0.82 else clamp(round(2 + 3.5 * q + rng.uniform(-0.8, 0.8)), 1, 5)
    v["duty_rate"] = _rate(rng, 0.78, q)
    v["risk_cover"] = _rate(rng, 0.82, q)
    v["eval_method"] = q > 0.5 or rng.random() < 0.3
    v["major_risks"] = (rng.choice([1, 1, 2]) if e.kind in {"chem", "gas"} else 0) + (
        1 if e.kind in {"ammonia", "dust"} and rng.random() < 0.6 else 0
    )
    # nothing to report is written 是
    v["major_reported"] = v["major_risks"] == 0 or q > 0.55 or rng.random() < 0.5
    v["four_color"] = q > 0.55 or rng.random() < 0.4
    v["measure_rate"] = _rate(rng, 0.76, q)
    v["level_ctrl"] = q > 0.5 or rng.random() < 0.4
    v["card_rate"] = _rate(rng, 0.5, q, 0.05)
    if e.group == "hazchem":
        v["alarm_rate"] = _rate(rng, 0.9, q, 0.01)
    else:
        v["key_sites_rate"] = _rate(rng, 0.74, q)
    v["check_list"] = q > 0.45 or rng.random() < 0.5
    v["train_rate"] = _rate(rng, 0.8, q)
    v["platform"] = q > 0.35
    v["app_rate"] = _rate(rng, 0.4, q, 0.05)
    v["task_rate"] = _rate(rng, 0.76, q)
    v["reviewed"] = q > 0.65 or rng.random() < 0.3
    v["rewards"] = q > 0.6 or rng.random() < 0.3
    v["deaths"] = 1 if (e.name == DEATH_UNIT and half == DEATH_HALF) else 0
    v["promoted"] = PROMOTED[half].get(e.name, 0)
    v["notified"] = 1 if q < 0.55 else 0
    if e.name == NOT_BUILT_UNIT and half == 1:
        v["dp_built"] = False
        v["leader_group"] = False
        v["major_risks"] = 0
        for f in NOT_BUILT_SLASH:
            v[f] = None
    return v


def build_units(period: str, seed: int) -> list[UnitData]:
    """Every enterprise with its clean values for ``period`` (the hazard counts are the ledger's)."""
    year, half = parse_period(period)
    start, end = half_bounds(year, half)
    found = hazards_until(end, seed)
    units: list[UnitData] = []
    for e in ENTERPRISES:
        q = quality(e, year, half, seed)
        rng = random.Random(f"{seed}:{period}:{e.name}:values")
        u = UnitData(e.name, e.group, q, unit_values(e, q, rng, year, half))
        mine = [h for h in found if h.unit == e.name and start <= h.found <= end]
        u.values["hazards_found"] = len(mine)
        fixed = sum(1 for h in mine if h.status_at(end) == "已整改")
        u.values["hazards_fixed"] = len(mine) if e.name in OVERREPORT else fixed
        if u.values["deaths"]:
            u.note = DEATH_NOTE
        elif e.name == NOT_BUILT_UNIT and half == 1:
            u.note = "尚未开展“双重预防”体系建设"
        units.append(u)
    xl.clean_missing({u.name: u.values for u in units}, MESS, BLANK_ZERO)
    return units


# --- the two ledgers -----------------------------------------------------------------------------


def _day_in(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def hazards_for_half(e: Ent, year: int, half: int, seed: int) -> list[Hazard]:
    """The hazards an enterprise found in one half-year (independent of which period is written)."""
    q = quality(e, year, half, seed)
    rng = random.Random(f"{seed}:{year}H{half}:{e.name}:hazards")
    start, end = half_bounds(year, half)
    not_built = e.name == NOT_BUILT_UNIT and half == 1
    n = 3 if not_built else clamp(round((e.staff**0.5) * 1.3 * (0.5 + q) + rng.uniform(0, 4)), 4, 45)
    texts = SPECIFIC_HAZARDS[e.kind] + GENERAL_HAZARDS
    out: list[Hazard] = []
    for _ in range(n):
        found = _day_in(rng, start, end)
        if not_built:
            origin = "执法检查"
        else:
            r = rng.random()
            snap = (0.05 + 0.4 * q) if q > 0.35 else 0.0
            origin = (
                "隐患随手拍"
                if r < snap
                else "执法检查"
                if r < snap + 0.06
                else "专家诊断"
                if r < snap + 0.1
                else "企业自查"
            )
        due = found + timedelta(days=rng.choice([3, 5, 7, 7, 10, 15, 30]))
        r = rng.random()
        if r < 0.7 + 0.28 * q:  # in time
            fixed: date | None = found + timedelta(days=rng.randint(1, (due - found).days))
        elif r < 0.9 + 0.08 * q:  # late
            fixed = due + timedelta(days=rng.randint(3, 45))
        else:
            fixed = None
        out.append(
            Hazard(e.name, found, rng.choice(PLACES[e.kind]), rng.choice(texts), "一般", origin, due, fixed)
        )
    if e.name == VETO_MAJOR_UNIT and half == 1:
        found, due, fixed_on = (date(year, m, d) for m, d in VETO_MAJOR_DATES)
        out.append(
            Hazard(e.name, found, VETO_MAJOR_PLACE, VETO_MAJOR_DESC, "重大", "专家诊断", due, fixed_on)
        )
    return sorted(out, key=lambda h: h.found)


def hazards_until(end: date, seed: int) -> list[Hazard]:
    """The ledger as exported at ``end``: every hazard of the year found by then."""
    rows: list[Hazard] = []
    for half in (1, 2):
        start, _ = half_bounds(end.year, half)
        if start > end:
            break
        for e in ENTERPRISES:
            rows += [h for h in hazards_for_half(e, end.year, half, seed) if h.found <= end]
    return sorted(rows, key=lambda h: (h.found, ENTERPRISES.index(BY_NAME[h.unit])))


def inspections_for_half(e: Ent, year: int, half: int, seed: int) -> list[Inspection]:
    q = quality(e, year, half, seed)
    rng = random.Random(f"{seed}:{year}H{half}:{e.name}:inspections")
    start, end = half_bounds(year, half)
    out: list[Inspection] = []
    scripted = [c for c in CASES if c[0] == e.name and start <= c[1] <= end]
    for _ in range(rng.choice([1, 1, 2, 2, 3]) if not scripted else 1):
        day = _day_in(rng, start, end)
        tested = rng.randint(3, 6) + (2 if e.staff > 200 else 0)
        passed = sum(1 for _ in range(tested) if rng.random() < 0.35 + 0.65 * q)
        if rng.random() < 0.55 * (1 - q):
            result, issue = "责令限期整改", rng.choice(ORDER_ISSUES)
        else:
            result, issue = "合格", "未发现“双重预防”体系运行问题"
        out.append(Inspection(e.name, day, rng.choice(INSPECTION_KINDS), tested, passed, result, None, issue))
    for unit, day, fine, issue in scripted:
        tested = rng.randint(3, 5)
        passed = max(0, tested - rng.randint(2, 3))
        out.append(Inspection(unit, day, "专项执法检查", tested, passed, "立案查处", fine, issue))
    return sorted(out, key=lambda x: x.date)


def inspections_until(end: date, seed: int) -> list[Inspection]:
    rows: list[Inspection] = []
    for half in (1, 2):
        start, _ = half_bounds(end.year, half)
        if start > end:
            break
        for e in ENTERPRISES:
            rows += [x for x in inspections_for_half(e, end.year, half, seed) if x.date <= end]
    return sorted(rows, key=lambda x: (x.date, ENTERPRISES.index(BY_NAME[x.unit])))


# --- cells -------------------------------------------------------------------------------------


def render(fld: str, value: Any, style: str | None, group: str) -> tuple[Any, str | None]:
    """The cell value (and number format) a clerk would have typed for ``value``."""
    if style in xl.MISSING_STYLES:
        return xl.MISSING_TEXT[style], None
    if value is None:
        return "/", None
    if fld in BOOL:
        return xl.yes_no(value, style), None
    if fld in PERCENT:
        if style == "text":
            return xl.number_as_text(value, style), None
        return xl.percent_cell(value, style or ("pct_fmt" if group == "industry" else "pct100"))
    if style in {"text", "fullwidth"}:
        return xl.number_as_text(value, style), None
    return value, None


def date_cell(d: date, k: int) -> Any:
    """How the k-th date of a ledger is written: mostly a real date, sometimes text or a serial."""
    if k % 11 == 3:
        return xl.date_as_written(d, "dotted")
    if k % 13 == 5:
        return xl.date_as_written(d, "cn")
    if k % 17 == 7:
        return xl.date_as_written(d, "serial")  # an Excel serial number without a date format
    return d


# --- the consolidation sheet -------------------------------------------------------------------


def columns_of(group: str) -> list[str]:
    return xl.layout_fields(LAYOUTS[group])


def write_group_sheet(ws: Worksheet, title: str, units: list[UnitData], group: str) -> None:
    layout = LAYOUTS[group]
    columns = columns_of(group)
    ncol = 2 + len(columns) + 1  # 序号, 企业名称, fields..., 备注
    xl.title_rows(
        ws,
        ncol,
        title,
        "填报说明：1.由企业自评填报，行业主管部门审核；2.比率类指标填写百分数；3.是否类指标填“是/否”；"
        "4.不涉及的填“/”；5.隐患数以县“双重预防”信息系统台账为准；6.每半年结束后5个工作日内报县应急管理局。",
    )
    xl.two_row_header(ws, layout, "企业名称", 60)
    row = 5
    for seq, u in enumerate(units, start=1):
        values = [render(fld, u.values.get(fld), MESS.get((u.name, fld)), u.group) for fld in columns]
        xl.table_row(ws, row, seq, NAME_AS_WRITTEN.get(u.name, u.name), values, u.note)
        if u.name == HIDDEN_ROW_UNIT:
            ws.row_dimensions[row].hidden = True
        row += 1
    # 合计 over the count columns
    summed = {"hazards_found", "hazards_fixed", "major_risks", "deaths", "promoted", "notified"}
    xl.total_row(
        ws, row, [sum(u.values.get(f) or 0 for u in units) if f in summed else None for f in columns]
    )
    xl.signature_row(ws, row + 1, f"填报单位（盖章）：{OFFICE}　　填报人：张××　　审核人：李××")
    xl.table_widths(ws, ncol, name_width=32, note_width=28)


def write_returns(units: list[UnitData], period: str, path: Path, stamp: datetime) -> None:
    year, half = parse_period(period)
    head = f"郸城县{year}年{HALF_CN[half]}企业“双重预防”体系建设情况汇总表"
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS["hazchem"]
    write_group_sheet(
        ws, f"{head}（危险化学品和烟花爆竹企业）", [u for u in units if u.group == "hazchem"], "hazchem"
    )
    ws = wb.create_sheet(SHEETS["industry"])
    write_group_sheet(ws, f"{head}（工贸企业）", [u for u in units if u.group == "industry"], "industry")
    lines = [
        "说明",
        f"1. 本表为{year}年{HALF_CN[half]}企业“双重预防”体系建设评估数据汇总，由县应急管理局根据企业自评和行业部门审核数据整理。",
        "2. 隐患排查治理、“逢查必考”和立案查处情况以县“双重预防”信息系统台账和执法检查记录为准，表中企业自报隐患数仅供核对。",
        "3. 评分标准见《郸城县企业安全生产“双重预防”体系建设考核评分细则》。",
    ]
    xl.notes_sheet(wb, lines, 110)
    xl.save_deterministic(wb, path, stamp, OFFICE)


HAZARD_HEAD = [
    "序号",
    "企业名称",
    "排查日期",
    "风险点（部位）",
    "隐患描述",
    "隐患等级",
    "隐患来源",
    "整改期限",
    "整改状态",
]
INSPECTION_HEAD = [
    "序号",
    "被检查企业",
    "检查日期",
    "检查类别",
    "抽考人数",
    "合格人数",
    "处理结果",
    "罚款金额（万元）",
    "主要问题",
]


def write_hazards(rows: list[Hazard], period: str, end: date, path: Path, stamp: datetime) -> None:
    year, _ = parse_period(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "隐患排查治理台账"
    xl.title_rows(
        ws,
        len(HAZARD_HEAD),
        f"郸城县企业隐患排查治理台账（{year}年1月1日—{end.month}月{end.day}日）",
        f"数据来源：郸城县“双重预防”信息系统；导出时间：{end.year}年{end.month}月{end.day}日24时；整改状态为导出时状态。",
    )
    xl.header_row(ws, 3, HAZARD_HEAD)
    for k, h in enumerate(rows):
        r = 4 + k
        status = h.status_at(end)
        if h.unit in BLANK_STATUS_UNITS and status != "已整改":
            status = None  # the clerk left it blank: read as not done
        values = [
            k + 1,
            LEDGER_NAME_AS_WRITTEN.get(h.unit, h.unit),
            date_cell(h.found, k),
            h.place,
            h.desc,
            h.level,
            h.origin,
            date_cell(h.due, k + 1),
            status,
        ]
        for c, v in enumerate(values, start=1):
            fmt = "yyyy-mm-dd" if isinstance(v, date) else None
            xl.cell(ws, r, c, v, align=xl.LEFT if c in (2, 5) else xl.CENTER, fmt=fmt)
    xl.column_widths(ws, (6, 30, 12, 14, 50, 8, 10, 12, 9))
    ws.freeze_panes = "A4"
    xl.save_deterministic(wb, path, stamp, OFFICE)


def write_inspections(rows: list[Inspection], period: str, end: date, path: Path, stamp: datetime) -> None:
    year, _ = parse_period(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "逢查必考记录"
    xl.title_rows(
        ws,
        len(INSPECTION_HEAD),
        f"郸城县应急管理局执法检查“逢查必考”记录（{year}年1月1日—{end.month}月{end.day}日）",
        "说明：执法人员按“逢查必考”原则，分批次随机抽考企业负责人、安全管理人员和一线员工“双重预防”应知应会内容。",
    )
    xl.header_row(ws, 3, INSPECTION_HEAD)
    for k, x in enumerate(rows):
        r = 4 + k
        tested: Any = x.tested
        if k % 19 == 4:
            tested = xl.fullwidth(str(x.tested))  # full-width digits
        fine: Any = x.fine if x.fine is not None else "/"
        values = [
            k + 1,
            INSPECTION_NAME_AS_WRITTEN.get(x.unit, x.unit),
            date_cell(x.date, k + 2),
            x.kind,
            tested,
            x.passed,
            x.result,
            fine,
            x.issue,
        ]
        for c, v in enumerate(values, start=1):
            fmt = "yyyy-mm-dd" if isinstance(v, date) else None
            xl.cell(ws, r, c, v, align=xl.LEFT if c in (2, 9) else xl.CENTER, fmt=fmt)
    xl.column_widths(ws, (6, 30, 12, 14, 9, 9, 13, 10, 50))
    ws.freeze_panes = "A4"
    xl.save_deterministic(wb, path, stamp, OFFICE)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description="生成郸城县企业“双重预防”体系建设评估示例数据（汇总表、隐患台账、逢查必考记录）"
    )
    ap.add_argument("--out", type=Path, default=HERE / "data", help="输出目录（默认 examples/dancheng/data）")
    ap.add_argument("--period", default="2019H1", help="半年，如 2019H1")
    ap.add_argument("--seed", type=int, default=2019, help="随机种子（与期间一起决定数据）")
    args = ap.parse_args(argv)
    year, half = parse_period(args.period)
    _, end = half_bounds(year, half)
    stamp = datetime.combine(end + timedelta(days=6), datetime.min.time()).replace(hour=9)
    units = build_units(args.period, args.seed)
    paths = [
        args.out / f"returns-{args.period}.xlsx",
        args.out / f"hazards-{args.period}.xlsx",
        args.out / f"inspections-{args.period}.xlsx",
    ]
    write_returns(units, args.period, paths[0], stamp)
    write_hazards(hazards_until(end, args.seed), args.period, end, paths[1], stamp - timedelta(days=5))
    write_inspections(
        inspections_until(end, args.seed), args.period, end, paths[2], stamp - timedelta(days=5)
    )
    for p in paths:
        print(p)


if __name__ == "__main__":
    main()
