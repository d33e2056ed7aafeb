"""Generate the sample data for the Qingdao 2022 安全生产考核 example (seed 004).

Writes, for one quarter, the three workbooks the 青岛市安委办 would have on disk:

* ``returns-<period>.xlsx``: the consolidation sheet (数据汇总表, table layout) of the ten
  区（市）: a merged title, a 填报说明 row, a two-row merged header, one row per 区（市）,
  a 合计 row and a signature line, plus an unrelated 说明 sheet;
* ``supervise-<period>.xlsx``: the “4+N” joint supervision teams' findings (scores layout),
  long rows ``单位 | 指标编码 | 扣分 | 扣分原因 | 佐证``;
* ``accidents-<period>.xlsx``: the city's 生产安全事故台账 (a record list) from 1 January 2021
  to the end of the quarter, so the warning notices can look back 60 days and a year.

The accident ledger is scripted (``SCRIPTED``) so the warnings fire exactly where the tests
expect them, and background accidents are kept at least ``MIN_GAP`` days apart within a
区（市）, so nothing else fires:

* 西海岸新区: two general accidents 39 days apart in 2022Q2 → 60天内连续发生2起一般事故;
* 城阳区: two general accidents 61 days apart in 2022Q3 → the near miss, no warning;
* 即墨区: one fatal accident in each of July and August 2022, none a year before →
  事故起数和死亡人数连续2个月同比上升 in 2022Q3 (61 days apart: no 60-day warning);
* 莱西市: a 较大 accident (3 deaths) in September 2022 → 一票否决 in 2022Q3;
* 西海岸新区 and 市南区 have the same raw figures in 2022Q2 (2 accidents, 0 deaths,
  330 inspections), which score differently under their workload and risk coefficients.

The returns carry the mess of real returns (SPEC 4.4) at fixed places (``MESS``,
``NAME_AS_WRITTEN``, ``LEDGER_MESS``). Output is deterministic for a given ``--seed`` and
``--period`` (byte-identical files).

Example::

    python examples/qingdao/make_data.py --period 2022Q3 --out /tmp/qingdao
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
# The helpers all generators share live in examples/_shared. This file runs as a script and is also
# loaded by path (safescore init, the tests), so examples/ is put on the path either way.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))
from _shared import workbook as xl  # noqa: E402
from _shared.values import clamp, frac, parse_quarter  # noqa: E402

CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}
OFFICE = "青岛市安全生产委员会办公室"

# --- units and their coefficients (as in rubrics/qingdao-kaohe.yaml) -----------------------------
# name, 工作体量系数, 风险强度系数, 镇（街道）数, typical hazards found per quarter
DISTRICTS: list[tuple[str, float, float, int, int]] = [
    ("市南区", 0.90, 0.85, 10, 1400),
    ("市北区", 1.00, 0.95, 22, 1900),
    ("李沧区", 0.95, 1.00, 11, 1500),
    ("崂山区", 0.90, 0.90, 5, 1100),
    ("西海岸新区", 1.30, 1.40, 23, 4200),
    ("城阳区", 1.15, 1.05, 8, 2600),
    ("即墨区", 1.15, 1.10, 15, 2900),
    ("胶州市", 1.10, 1.15, 12, 2500),
    ("平度市", 1.10, 1.20, 17, 2700),
    ("莱西市", 1.00, 1.10, 11, 2000),
]
NAMES = [d[0] for d in DISTRICTS]
WORKLOAD = {d[0]: d[1] for d in DISTRICTS}
RISK = {d[0]: d[2] for d in DISTRICTS}

PERCENT = {"class_rate", "baobao_rate", "relocation_rate"}
BOOL = {"morning_meeting", "major_impact"}
NUMBER = {"reserve_months"}
BLANK_ZERO = {
    "new_projects",
    "projects_assessed",
    "major_hazards_open",
    "accidents",
    "deaths",
    "major_accidents",
    "exp_adopted",
    "sanhua_ents",
    "criticized",
    "exposed",
}

# --- the accident ledger -----------------------------------------------------------------------


@dataclass(frozen=True)
class Accident:
    unit: str
    day: date
    level: str  # 一般 | 较大
    deaths: int
    injured: int
    industry: str
    summary: str


SCRIPTED: list[Accident] = [
    # the 60-day warning: 39 days apart, both general, no deaths (so no year-on-year rise in deaths)
    Accident(
        "西海岸新区", date(2022, 4, 18), "一般", 0, 3, "港口物流", "某港口企业集装箱吊具脱落，造成3人重伤"
    ),
    Accident("西海岸新区", date(2022, 5, 27), "一般", 0, 2, "危险化学品", "某石化企业检修闪爆，造成2人重伤"),
    # the same raw figures as 西海岸新区 in 2022Q2, but 87 days apart: no warning
    Accident("市南区", date(2022, 4, 2), "一般", 0, 1, "建筑施工", "某商业综合体装修高处坠落，造成1人重伤"),
    Accident("市南区", date(2022, 6, 28), "一般", 0, 2, "商贸", "某酒店厨房燃气泄漏爆燃，造成2人重伤"),
    # the near miss: 61 days apart
    Accident("城阳区", date(2022, 7, 4), "一般", 1, 0, "工贸", "某机械加工企业起重作业物体打击，造成1人死亡"),
    Accident("城阳区", date(2022, 9, 3), "一般", 1, 0, "建筑施工", "某在建厂房项目脚手架坍塌，造成1人死亡"),
    # year on year: July and August 2022 each up on 2021 (none then) in count and deaths
    Accident("即墨区", date(2022, 7, 1), "一般", 1, 0, "工贸", "某纺织企业员工清理设备时被卷入，造成1人死亡"),
    Accident("即墨区", date(2022, 8, 31), "一般", 1, 1, "建筑施工", "某住宅项目塔吊拆除倾覆，造成1人死亡"),
    # the 较大 accident: one-vote veto in 2022Q3
    Accident(
        "莱西市", date(2022, 9, 16), "较大", 3, 1, "有限空间", "某食品企业污水池清理中毒窒息，造成3人死亡"
    ),
    # an early 2021 record, so the ledger visibly reaches back to the same months last year
    Accident("平度市", date(2021, 1, 8), "一般", 1, 0, "矿山", "某建筑石料矿山边坡滑塌，造成1人死亡"),
]
MIN_GAP = 75  # days between two accidents of one 区（市） other than the scripted pairs
# months of 2021/2022 kept free of background accidents per 区（市） (so the scripted facts hold)
KEEP_CLEAR: dict[str, list[tuple[date, date]]] = {
    "即墨区": [(date(2021, 7, 1), date(2021, 8, 31))],
    "西海岸新区": [(date(2022, 4, 1), date(2022, 6, 30))],
    "市南区": [(date(2022, 4, 1), date(2022, 6, 30))],
}
BACKGROUND = [
    ("工贸", "某金属制品企业冲压作业发生机械伤害，造成{d}人死亡"),
    ("建筑施工", "某在建项目施工升降机坠落，造成{d}人死亡"),
    ("建筑施工", "某市政管网工程沟槽坍塌，造成{d}人死亡"),
    ("交通运输（厂内）", "某物流园区叉车倒车作业碾压，造成{d}人死亡"),
    ("工贸", "某木材加工企业粉尘爆燃，造成{d}人死亡"),
    ("商贸", "某仓储企业货架倒塌，造成{d}人死亡"),
    ("危险化学品", "某化工企业储罐区动火作业发生火灾，造成{d}人死亡"),
    ("渔业船舶", "某渔港码头装卸作业人员落水，造成{d}人死亡"),
    ("工贸（有限空间）", "某食品企业窨井清淤作业中毒，造成{d}人死亡"),
]
# How many general accidents a 区（市） has in a year, before spacing (scaled by its risk).
LEDGER_START, LEDGER_YEARS = date(2021, 1, 1), (2021, 2022)


def _far_enough(day: date, taken: list[date]) -> bool:
    return all(abs((day - t).days) >= MIN_GAP for t in taken)


def accident_ledger(seed: int) -> list[Accident]:
    """Every accident of 2021 and 2022 (the generator cuts it at the period's end)."""
    out = list(SCRIPTED)
    for name in NAMES:
        rng = random.Random(f"{seed}:ledger:{name}")
        taken = [a.day for a in SCRIPTED if a.unit == name]
        for year in LEDGER_YEARS:
            want = max(1, round(rng.gauss(2.2 * RISK[name], 0.8)))
            tries = 0
            placed = 0
            while placed < want and tries < 200:
                tries += 1
                day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                if not _far_enough(day, taken):
                    continue
                if any(lo <= day <= hi for lo, hi in KEEP_CLEAR.get(name, [])):
                    continue
                taken.append(day)
                placed += 1
                industry, text = rng.choice(BACKGROUND)
                deaths = rng.choices([1, 2, 0], weights=[65, 10, 25])[0]
                injured = rng.choice([0, 0, 1, 2]) if deaths else rng.randint(1, 3)
                summary = text.format(d=deaths) if deaths else text.replace("{d}人死亡", f"{injured}人重伤")
                out.append(Accident(name, day, "一般", deaths, injured, industry, summary))
    return sorted(out, key=lambda a: (a.day, NAMES.index(a.unit)))


def ledger_until(seed: int, end: date) -> list[Accident]:
    return [a for a in accident_ledger(seed) if LEDGER_START <= a.day <= end]


# How ledger cells are written (SPEC 4.4): by 1-based position in the full ledger's rows of 2021
# and 2022, so the same rows look the same in every quarter's snapshot.
LEDGER_NAME_AS_WRITTEN = {"西海岸新区": "黄岛区", "即墨区": "即墨区 ", "平度市": "平度"}
LEDGER_MESS = {  # scripted accident → how its date cell is written
    ("西海岸新区", date(2022, 4, 18)): "dotted",  # 2022.4.18
    ("西海岸新区", date(2022, 5, 27)): "cn",  # 2022年5月27日
    ("城阳区", date(2022, 9, 3)): "iso",  # 2022-09-03 as text
    ("即墨区", date(2022, 8, 31)): "cn",
}
FULLWIDTH_DEATHS = ("莱西市", date(2022, 9, 16))  # 死亡人数 written as ３

# --- the returns -------------------------------------------------------------------------------


@dataclass
class UnitData:
    name: str
    quality: float
    values: dict[str, Any] = field(default_factory=dict)  # clean values (fractions, bools, None = missing)


def quarter_bounds(period: str) -> tuple[date, date]:
    year, q = parse_quarter(period)
    start = date(year, 3 * q - 2, 1)
    end = (date(year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
    return start, end


# Values pinned per period (the tests' hand-computed facts).
PINNED: dict[str, dict[str, dict[str, Any]]] = {
    "2022Q2": {
        "西海岸新区": {"inspections": 330, "penalty_cases": 30, "criticized": 0, "exposed": 0},
        "市南区": {"inspections": 330, "penalty_cases": 30, "criticized": 0, "exposed": 0},
    },
    "2022Q3": {"即墨区": {"criticized": 0, "exposed": 0}},
}
# (unit, field) → how the cell is written. Styles: fullwidth, text, thousands, pct100, pct_text,
# pct_frac, pct_fmt, check (√/×), youwu (有/无), blank, slash (/), dash (—), wu (无).
MESS: dict[tuple[str, str], str] = {
    ("市南区", "class_rate"): "pct_text",
    ("市北区", "hazards_found"): "thousands",
    ("市北区", "morning_meeting"): "check",
    ("李沧区", "inspections"): "fullwidth",
    ("崂山区", "new_projects"): "wu",  # 无: no new projects (blank: zero)
    ("崂山区", "projects_assessed"): "slash",
    ("西海岸新区", "hazards_found"): "thousands",
    ("西海岸新区", "relocation_rate"): "pct_frac",
    ("城阳区", "baobao_rate"): "pct100",
    ("城阳区", "reserve_months"): "text",
    ("即墨区", "hazards_fixed"): "fullwidth",
    ("胶州市", "morning_meeting"): "youwu",
    ("胶州市", "exposed"): "dash",
    ("平度市", "week_checks"): "text",
    ("莱西市", "drills"): "blank",  # a real gap: scored 0 with 未填报
    ("莱西市", "major_impact"): "check",
}
NAME_AS_WRITTEN = {
    "西海岸新区": "黄岛区（西海岸新区）",  # alias
    "市南区": "市南区 ",  # trailing space
    "即墨区": "即墨\n区",  # newline inside (wrapped cell)
    "平度市": "平度市\u3000",  # ideographic space
}
MISREPORTED = {"平度市": ("accidents", -1)}  # the return's own count differs from the ledger's

LAYOUT: list[xl.Block] = [
    (
        "责任落实",
        [
            ("meetings", "党委政府研究安全\n生产工作会议次数(次)"),
            ("four_ones", "专业委员会“4个1”\n落实项数(项)"),
            ("class_rate", "镇（街道）安全生产\n公益课堂开展率（%）"),
            ("week_checks", "安全生产活动周领导干部\n带队督导检查次数(次)"),
        ],
    ),
    (
        "风险管控",
        [
            ("new_projects", "新上高危\n项目数(个)"),
            ("projects_assessed", "完成安全风险评估\n论证项目数(个)"),
            ("baobao_rate", "重大项目领导干部包保\n责任落实并公布率（%）"),
            ("relocation_rate", "城围化工搬迁\n改造完成率（%）"),  # the field's alias
        ],
    ),
    (
        "监管执法与隐患治理",
        [
            ("inspections", "执法检查生产经营\n单位家次"),
            ("penalty_cases", "行政处罚\n立案数(起)"),
            ("hazards_found", "排查隐患数(处)"),
            ("hazards_fixed", "已整改隐患数(处)"),
            ("major_hazards_open", "挂牌督办重大事故隐患\n逾期未销号数(处)"),
        ],
    ),
    (
        "应急保障",
        [
            ("reserve_months", "应急物资储备可\n保障月数(个月)"),
            ("drills", "应急演练次数(次)"),
            ("morning_meeting", "是否落实安全生产\n“晨会”制度"),
        ],
    ),
    (
        "事故情况",
        [
            ("accidents", "生产安全事故\n起数(起)"),
            ("deaths", "事故死亡人数(人)"),
            ("major_accidents", "较大及以上\n事故起数(起)"),
            ("major_impact", "是否发生造成重大\n社会影响的事故"),
        ],
    ),
    (None, [("exp_adopted", "经验做法被省级\n以上推广次数")]),
    (None, [("sanhua_ents", "完成“三化”改造\n高危企业数(家)")]),
    (None, [("criticized", "被市级以上通报\n批评次数")]),
    (None, [("exposed", "《应急时刻》等媒体\n曝光问题数(个)")]),
]


def unit_values(
    name: str, q: float, rng: random.Random, period: str, ledger: list[Accident]
) -> dict[str, Any]:
    def chance(p: float) -> bool:
        return rng.random() < p

    _, workload, _, towns, hazards = next(d for d in DISTRICTS if d[0] == name)
    v: dict[str, Any] = {}
    v["meetings"] = rng.choice([1, 1, 2, 2, 3]) if chance(0.6 + 0.5 * q) else 0
    v["four_ones"] = 4 if chance(0.35 + 0.6 * q) else rng.choice([2, 3, 3])
    held = min(3 * towns, round(3 * towns * clamp(rng.gauss(0.86 + 0.14 * q, 0.04), 0.7, 1.0)))
    v["class_rate"] = round(held / (3 * towns), 3)
    v["week_checks"] = max(0, round(rng.gauss(1.8 + 2.5 * q, 0.8)))
    new = rng.choice([0, 1, 2, 2, 3, 4])
    v["new_projects"] = new
    v["projects_assessed"] = new if chance(0.5 + 0.5 * q) else max(0, new - 1)
    v["baobao_rate"] = 1.0 if chance(0.5 * q) else frac(rng, 0.92 + 0.08 * q, 0.03, 0.8)
    v["relocation_rate"] = frac(rng, 0.7 + 0.3 * q, 0.06, 0.5)
    inspections = round(300 * workload * clamp(rng.gauss(0.82 + 0.3 * q, 0.08), 0.6, 1.3))
    v["inspections"] = inspections
    v["penalty_cases"] = round(inspections * clamp(rng.gauss(0.03 + 0.07 * q, 0.015), 0.01, 0.15))
    found = round(hazards * rng.uniform(0.85, 1.15))
    v["hazards_found"] = found
    v["hazards_fixed"] = round(found * clamp(rng.gauss(0.9 + 0.1 * q, 0.02), 0.78, 1.0))
    v["major_hazards_open"] = 1 if chance(0.35 * (1 - q)) else 0
    v["reserve_months"] = round(clamp(rng.gauss(2.4 + 1.4 * q, 0.4), 1.5, 6) * 2) / 2
    v["drills"] = rng.choice([2, 2, 3, 4]) if chance(0.55 + 0.45 * q) else 1
    v["morning_meeting"] = chance(0.7 + 0.35 * q)
    start, end = quarter_bounds(period)
    mine = [a for a in ledger if a.unit == name and start <= a.day <= end]
    v["accidents"] = len(mine)
    v["deaths"] = sum(a.deaths for a in mine)
    v["major_accidents"] = sum(1 for a in mine if a.level != "一般")
    v["major_impact"] = False
    v["exp_adopted"] = 1 if chance(0.35 * q) else 0
    v["sanhua_ents"] = rng.choice([1, 2, 3]) if chance(0.5 * q) else 0
    v["criticized"] = 1 if chance(0.25 * (1 - q) + 0.02) else 0
    v["exposed"] = rng.choice([1, 2]) if chance(0.2 * (1 - q) + 0.03) else 0
    return v


def build_units(period: str, seed: int) -> list[UnitData]:
    """The clean values of every 区（市） for ``period`` (what the scores must be computed from)."""
    _, end = quarter_bounds(period)
    ledger = ledger_until(seed, end)
    units: list[UnitData] = []
    for name in NAMES:
        base = random.Random(f"{seed}:{name}").uniform(0.45, 0.95)
        rng = random.Random(f"{seed}:{period}:{name}")
        quality = clamp(base + rng.uniform(-0.08, 0.08), 0.05, 1.0)
        units.append(UnitData(name, quality, unit_values(name, quality, rng, period, ledger)))
    by_name = {u.name: u for u in units}
    for name, values in PINNED.get(period, {}).items():
        by_name[name].values.update(values)
    xl.clean_missing({u.name: u.values for u in units}, MESS, BLANK_ZERO)
    return units


def reported(u: UnitData, fld: str) -> Any:
    """The value as the 区（市） reported it (a ledger count may be misreported)."""
    v = u.values.get(fld)
    if u.name in MISREPORTED and MISREPORTED[u.name][0] == fld and v:
        return v + MISREPORTED[u.name][1]
    return v


# --- the “4+N” supervision findings ----------------------------------------------------------

FINDINGS = [
    ("专业委员会联合检查未形成问题清单，检查记录不完整{n}处", 1),
    ("年度重大项目包保责任人未向社会公布{n}项", 2),
    ("安全生产活动周督导检查流于形式，未发现实质问题{n}次", 1),
    ("镇（街道）安全生产公益课堂台账缺少签到和影像资料{n}处", 1),
    ("重大风险管控清单“五落实”不到位{n}项", 2),
    ("上次督导检查发现的问题未按期整改{n}项", 2),
    ("安全生产“晨会”记录缺失{n}次", 1),
    ("“城围化工”企业搬迁改造未按序时进度推进{n}家", 2),
    ("应急物资储备清单与实物不符{n}类", 1),
    ("行刑衔接案件移送记录不全{n}件", 1),
]
TEAMS = ["第一督查组", "第二督查组", "第三督查组", "第四督查组"]
SUPERVISE_NAME_AS_WRITTEN = {"西海岸新区": "西海岸新区（黄岛区）", "崂山区": "崂山"}


@dataclass
class FindingRow:
    unit: str
    written: str
    item: str
    value: Any
    points: float
    reason: str
    evidence: str


def supervise_rows(units: list[UnitData], period: str, seed: int) -> list[FindingRow]:
    year, q = parse_quarter(period)
    rows: list[FindingRow] = []
    serial = 0
    for k, u in enumerate(units):
        rng = random.Random(f"{seed}:{period}:supervise:{u.name}")
        count = max(0, round(rng.gauss(0.5 + 4 * (1 - u.quality), 0.8)))
        used = 0.0
        team = TEAMS[k % len(TEAMS)]
        for template, per in rng.sample(FINDINGS, min(count, len(FINDINGS))):
            n = rng.randint(1, 2)
            pts = float(n * per)
            if used + pts > 10:
                break
            used += pts
            serial += 1
            written = SUPERVISE_NAME_AS_WRITTEN.get(u.name, u.name)
            named = "sup.tasks" if rng.random() < 0.6 else "安全生产重点任务落实"
            evidence = f"“4+N”{team}督导检查记录QD-{year}Q{q}-{serial:03d}"
            rows.append(FindingRow(u.name, written, named, int(pts), pts, template.format(n=n), evidence))
    if rows:  # a number stored as text
        rows[0].value = str(rows[0].value)
    return rows


# --- cells -------------------------------------------------------------------------------------


def render(fld: str, value: Any, style: str | None) -> tuple[Any, str | None]:
    """The cell value (and number format) a clerk would have typed for ``value``."""
    if style in xl.MISSING_STYLES:
        return xl.MISSING_TEXT[style], None
    if fld in BOOL:
        return xl.yes_no(value, style), None
    if fld in PERCENT:
        return xl.percent_cell(value, style or "pct_fmt")
    if style in {"text", "fullwidth"}:
        return xl.number_as_text(value, style), None
    if style == "thousands":
        return f"{value:,}", None
    if fld in NUMBER and value == int(value):
        return int(value), None
    return value, None


def write_returns(units: list[UnitData], period: str, path: Path, stamp: datetime) -> None:
    year, q = parse_quarter(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "区（市）"
    columns = xl.layout_fields(LAYOUT)
    ncol = 2 + len(columns) + 1
    xl.title_rows(
        ws,
        ncol,
        f"青岛市{year}年第{CN_QUARTER[q]}季度区（市）安全生产工作考核数据汇总表",
        "填报说明：1.统计时间为本季度1日至季度末；2.比率类指标填写百分数；3.是否类指标填“是/否”；"
        "4.事故情况以市应急局《生产安全事故台账》为准；5.季度结束后5个工作日内报市安委办。",
    )
    xl.two_row_header(ws, LAYOUT, "单位名称", 60)
    row = 5
    for seq, u in enumerate(units, start=1):
        values = [render(fld, reported(u, fld), MESS.get((u.name, fld))) for fld in columns]
        note = None
        if u.values.get("major_accidents"):
            note = "本季度发生较大生产安全事故1起"
        elif u.values.get("deaths"):
            note = f"本季度发生生产安全事故{u.values['accidents']}起，死亡{u.values['deaths']}人"
        xl.table_row(ws, row, seq, NAME_AS_WRITTEN.get(u.name, u.name), values, note)
        row += 1
    summed = [f for f in columns if f not in PERCENT | BOOL | NUMBER]
    xl.total_row(ws, row, [sum(reported(u, f) or 0 for u in units) if f in summed else None for f in columns])
    xl.signature_row(ws, row + 1, f"填报单位（盖章）：{OFFICE}　　填报人：孙××　　审核人：李××", height=None)
    xl.table_widths(ws, ncol, name_width=22, note_width=28)

    lines = [
        "说明",
        f"1. 本表为{year}年第{CN_QUARTER[q]}季度区（市）安全生产工作考核数据汇总，由市安委办根据各区（市）报送数据整理。",
        "2. 执法检查目标家次、事故扣分按各区（市）工作体量系数、风险强度系数差异化折算，系数见考核细则。",
        "3. 事故起数、死亡人数以《生产安全事故台账》统计为准；“4+N”督导检查扣分另行汇总。",
    ]
    xl.notes_sheet(wb, lines, 100)
    xl.save_deterministic(wb, path, stamp, OFFICE)


LEDGER_HEAD = [
    "序号",
    "事发区（市）",
    "发生日期",
    "事故等级",
    "死亡人数",
    "受伤人数",
    "行业领域",
    "事故简况",
    "备注",
]


def write_ledger(ledger: list[Accident], period: str, path: Path, stamp: datetime) -> None:
    year, _ = parse_quarter(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "生产安全事故台账"
    _, end = quarter_bounds(period)
    xl.title_rows(ws, len(LEDGER_HEAD), f"青岛市生产安全事故台账（2021年1月—{year}年{end.month}月）")
    xl.header_row(ws, 3, LEDGER_HEAD)
    for i, a in enumerate(ledger, start=1):
        r = 3 + i
        day = xl.date_as_written(a.day, LEDGER_MESS.get((a.unit, a.day), "date"))
        deaths: Any = a.deaths
        if (a.unit, a.day) == FULLWIDTH_DEATHS:
            deaths = xl.fullwidth(str(a.deaths))
        note = "市安委会挂牌督办调查" if a.level != "一般" else None
        cells = [
            i,
            LEDGER_NAME_AS_WRITTEN.get(a.unit, a.unit),
            day,
            a.level,
            deaths,
            a.injured,
            a.industry,
            a.summary,
            note,
        ]
        for c, v in enumerate(cells, start=1):
            fmt = "yyyy-mm-dd" if c == 3 and isinstance(v, date) else None
            xl.cell(ws, r, c, v, align=xl.LEFT if c in (8, 9) else xl.CENTER, fmt=fmt)
    r = 4 + len(ledger)
    xl.cell(ws, r, 1, None, font=xl.BOLD)
    xl.cell(ws, r, 2, "合计", font=xl.BOLD)
    xl.cell(ws, r, 3, f"{len(ledger)}起", font=xl.BOLD)
    xl.cell(ws, r, 4, None)
    xl.cell(ws, r, 5, sum(a.deaths for a in ledger), font=xl.BOLD)
    xl.cell(ws, r, 6, sum(a.injured for a in ledger), font=xl.BOLD)
    for c in (7, 8, 9):
        xl.cell(ws, r, c, None)
    xl.column_widths(ws, (6, 14, 14, 10, 10, 10, 16, 60, 20))
    ws.freeze_panes = "A4"
    xl.save_deterministic(wb, path, stamp, OFFICE)


def write_supervise(rows: list[FindingRow], period: str, path: Path, stamp: datetime) -> None:
    year, q = parse_quarter(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "督导检查扣分"
    xl.title_rows(ws, 5, f"{year}年第{CN_QUARTER[q]}季度安全生产“4+N”督导检查问题扣分汇总表")
    xl.header_row(ws, 2, ["单位", "指标编码", "扣分", "扣分原因", "佐证"])
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate([row.written, row.item, row.value, row.reason, row.evidence], start=1):
            xl.cell(ws, r, c, v, align=xl.LEFT if c in (1, 4, 5) else xl.CENTER)
    xl.column_widths(ws, (22, 22, 8, 60, 40))
    ws.freeze_panes = "A3"
    xl.save_deterministic(wb, path, stamp, OFFICE)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description="生成青岛市区（市）安全生产考核示例数据（汇总表、“4+N”督导检查扣分表、事故台账）"
    )
    ap.add_argument("--out", type=Path, default=HERE / "data", help="输出目录（默认 examples/qingdao/data）")
    ap.add_argument("--period", default="2022Q1", help="季度，如 2022Q1")
    ap.add_argument("--seed", type=int, default=2022, help="随机种子（与季度一起决定数据）")
    args = ap.parse_args(argv)
    _, end = quarter_bounds(args.period)
    units = build_units(args.period, args.seed)
    stamp = datetime.combine(end + timedelta(days=7), datetime.min.time()).replace(hour=9)
    returns = args.out / f"returns-{args.period}.xlsx"
    supervise = args.out / f"supervise-{args.period}.xlsx"
    accidents = args.out / f"accidents-{args.period}.xlsx"
    write_returns(units, args.period, returns, stamp)
    write_supervise(
        supervise_rows(units, args.period, args.seed), args.period, supervise, stamp + timedelta(days=2)
    )
    write_ledger(ledger_until(args.seed, end), args.period, accidents, stamp - timedelta(days=2))
    for p in (returns, supervise, accidents):
        print(p)


if __name__ == "__main__":
    main()
