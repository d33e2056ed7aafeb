"""Generate the sample returns for the Gangcheng 三责同考 example.

Writes, for one quarter, the two workbooks an office of the 钢城区安委办 would have on disk:

* ``returns-<period>.xlsx``: the consolidation sheet (汇总表, table layout): one sheet per group
  (区直部门, 街道) with a merged title, a 填报说明 row, a two-row merged header (column blocks over
  the field labels), one row per unit, a 合计 row and a signature line, plus an unrelated 说明 sheet;
* ``onsite-<period>.xlsx``: the assessors' scoresheet (现场考评, scores layout), long rows
  ``单位 | 指标编码 | 扣分 | 扣分原因 | 佐证``.

The values are synthetic but plausible, and carry the mess of real returns (SPEC 4.4) at fixed
places so tests can target them; see ``README.md`` next to this file. Output is deterministic for a
given ``--seed`` and ``--period`` (byte-identical files: zip entries and document properties carry
fixed timestamps).

Example::

    python examples/gangcheng/make_data.py --period 2022Q2 --out /tmp/gangcheng
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
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
# The helpers all generators share live in examples/_shared. This file runs as a script and is also
# loaded by path (safescore init, the tests), so examples/ is put on the path either way.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))
from _shared import workbook as xl  # noqa: E402
from _shared.values import clamp, frac, parse_quarter  # noqa: E402

OFFICE = "钢城区安委会办公室"
CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}

# Field types and the fields whose blank / 无 / "/" count as zero, as in rubrics/gangcheng-sanze.yaml.
PERCENT = {"task_rate", "cover_rate", "grid_cover", "selfbuilt_rate", "campaign_rate"}
BOOL = {"duty_list", "has_staff", "inspect_plan", "campaign_plan", "plan_revised", "rescue_team", "concealed"}
NUMBER = {"train_hours"}
BLANK_ZERO = {
    "late_reports",
    "hazards_overdue",
    "major_hazards_open",
    "unpublished_cases",
    "unsigned_ents",
    "list_late",
    "duty_absent",
    "accidents",
    "major_accidents",
    "awards",
    "exp_adopted",
    "criticized",
    "exposed",
}

# --- units -------------------------------------------------------------------------------------
# name, range of hazards found per quarter, range of enforcement inspections per quarter (departments)
DEPTS: list[tuple[str, tuple[int, int], tuple[int, int]]] = [
    ("钢城区应急管理局", (180, 420), (45, 75)),
    ("钢城区住房和城乡建设局", (1020, 1600), (35, 60)),
    ("钢城区交通运输局", (120, 300), (30, 55)),
    ("钢城区市场监督管理局", (150, 350), (40, 70)),
    ("济南市公安局钢城区分局", (100, 250), (25, 50)),
    ("钢城区消防救援大队", (300, 700), (60, 110)),
    ("钢城区教育和体育局", (60, 160), (20, 40)),
    ("钢城区卫生健康局", (50, 140), (15, 35)),
    ("钢城区文化和旅游局", (40, 120), (12, 30)),
    ("钢城区农业农村局", (30, 90), (8, 22)),
    ("钢城区水务局", (30, 80), (10, 25)),
    ("钢城区综合行政执法局", (120, 280), (30, 60)),
    ("钢城区工业和信息化局", (80, 200), (20, 45)),
    ("钢城区商务局", (50, 130), (15, 35)),
    ("济南市自然资源和规划局钢城分局", (30, 80), (10, 28)),
    ("济南市生态环境局钢城分局", (60, 150), (20, 45)),
    ("钢城区民政局", (20, 60), (8, 20)),
    ("钢城区发展和改革局", (20, 60), (6, 18)),
    ("钢城区气象局", (8, 25), (4, 12)),
]
STREETS: list[tuple[str, tuple[int, int]]] = [
    ("艾山街道", (1000, 1600)),
    ("汶源街道", (700, 1300)),
    ("里辛街道", (800, 1400)),
    ("颜庄街道", (700, 1200)),
    ("辛庄街道", (500, 1000)),
    ("钢城经济开发区", (600, 1100)),
    ("济南新材料产业园区", (1500, 2400)),
    ("棋山国家森林公园管理服务中心", (80, 200)),
]
FUNCTIONAL_AREAS = {"钢城经济开发区", "济南新材料产业园区", "棋山国家森林公园管理服务中心"}

# Targets from the rubric (targets.case_target, default 1).
CASE_TARGET = {
    "钢城区应急管理局": 6,
    "钢城区住房和城乡建设局": 4,
    "钢城区交通运输局": 4,
    "钢城区市场监督管理局": 5,
    "济南市公安局钢城区分局": 4,
    "钢城区消防救援大队": 5,
    "钢城区综合行政执法局": 4,
    "济南市生态环境局钢城分局": 3,
    "钢城区工业和信息化局": 2,
    "钢城区水务局": 2,
    "钢城区文化和旅游局": 2,
    "钢城区农业农村局": 2,
    "济南市自然资源和规划局钢城分局": 2,
}

# Persistently weak units (they rank at the bottom most quarters); the rest draw a quality from the seed.
WEAK = {"钢城区气象局": 0.3, "钢城区农业农村局": 0.42, "棋山国家森林公园管理服务中心": 0.35}
# Departments one of which has a fatal accident in a quarter (the veto case).
# Rotates through the quarters: with the default seed, 住建局 in Q1, 交通局 Q2, 工信局 Q3, 应急局 Q4.
HIGH_RISK = ["钢城区工业和信息化局", "钢城区应急管理局", "钢城区住房和城乡建设局", "钢城区交通运输局"]

# --- how the names and values are written in the returns (the mess, SPEC 4.4) ------------------
NAME_AS_WRITTEN = {
    "钢城区市场监督管理局": "区市场监管局",  # alias
    "钢城区水务局": "钢城区水务局  ",  # trailing spaces
    "钢城区综合行政执法局": "钢城区综合行政\n执法局",  # newline inside (wrapped cell)
    "颜庄街道": "颜庄街道 ",  # trailing space
    "辛庄街道": "辛庄街道\u3000",  # trailing ideographic space
    "济南新材料产业园区": "新材料产业园",  # alias
}
HIDDEN_ROW_UNIT = "济南市生态环境局钢城分局"
NOTES = {"钢城区农业农村局": "本部门未纳入“双随机”安全生产抽查事项"}

# (unit, field) -> how the cell is written.  Styles: fullwidth, text, thousands, pct100, pct_text,
# pct_frac, pct_fmt, check (√/×), youwu (有/无), blank, slash (/), dash (—), wu (无).
MESS: dict[tuple[str, str], str] = {
    # 区直部门
    ("钢城区应急管理局", "leader_checks"): "fullwidth",
    ("钢城区应急管理局", "task_rate"): "pct_text",
    ("钢城区住房和城乡建设局", "hazards_found"): "thousands",
    ("钢城区交通运输局", "inspections"): "text",
    ("钢城区市场监督管理局", "task_rate"): "pct_fmt",
    ("济南市公安局钢城区分局", "hazards_fixed"): "fullwidth",
    ("钢城区消防救援大队", "duty_list"): "check",
    ("钢城区消防救援大队", "has_staff"): "check",
    ("钢城区教育和体育局", "plan_revised"): "youwu",
    ("钢城区卫生健康局", "train_hours"): "blank",
    ("钢城区文化和旅游局", "unpublished_cases"): "wu",
    ("钢城区农业农村局", "random_planned"): "slash",
    ("钢城区农业农村局", "random_done"): "slash",
    ("钢城区水务局", "campaign_rate"): "pct_text",
    ("钢城区综合行政执法局", "hazards_found"): "text",
    ("钢城区工业和信息化局", "cover_rate"): "pct_frac",
    ("钢城区工业和信息化局", "train_hours"): "text",
    ("钢城区商务局", "has_staff"): "youwu",
    ("钢城区民政局", "late_reports"): "blank",
    ("钢城区发展和改革局", "exposed"): "dash",
    ("钢城区气象局", "drills"): "blank",
    ("钢城区气象局", "camp_reports"): "slash",
    # 街道(功能区)
    ("艾山街道", "hazards_found"): "thousands",
    ("汶源街道", "small_checks"): "fullwidth",
    ("汶源街道", "rescue_team"): "check",
    ("汶源街道", "grid_cover"): "pct100",
    ("里辛街道", "selfbuilt_rate"): "pct_text",
    ("颜庄街道", "whistle_reports"): "text",
    ("颜庄街道", "campaign_rate"): "text",
    ("辛庄街道", "duty_list"): "check",
    ("钢城经济开发区", "whistle_reports"): "slash",
    ("钢城经济开发区", "plan_revised"): "youwu",
    ("济南新材料产业园区", "hazards_found"): "thousands",
    ("棋山国家森林公园管理服务中心", "drills"): "blank",
    ("棋山国家森林公园管理服务中心", "unsigned_ents"): "wu",
}
# Values pinned so the √/× and 有/无 cells include a 'no' (× and 无 mean False).
FORCE = {("辛庄街道", "duty_list"): False, ("钢城经济开发区", "plan_revised"): False}

# --- sheet layouts: blocks of (field, header text) ---------------------------------------------
DUTY_DEPT = [
    ("meetings", "研究安全生产\n工作会议次数(次)"),
    ("duty_list", "是否制定安全\n生产责任清单"),
    ("leader_checks", "主要负责人带队\n检查次数（次）"),
    ("task_rate", "安委会交办任务\n按时办结率（%）"),
    ("late_reports", "信息迟报漏报次数(次)"),
    ("has_staff", "是否配备专职\n安全监管人员"),
]
HAZARD = [
    ("hazards_found", "排查隐患数(处)"),
    ("hazards_fixed", "已整改隐患数(处)"),
    ("hazards_overdue", "逾期未整改\n隐患数(处)"),
    ("major_hazards_open", "未按期销号重大\n事故隐患数(处)"),
]
CAMPAIGN = [
    ("campaign_plan", "是否制定专项\n整治实施方案"),
    ("campaign_rate", "专项整治任务\n完成率（%）"),
    ("list_late", "“两个清单”未按时\n更新次数(次)"),
    ("camp_reports", "专项整治进展\n报送期数(期)"),
]
EMERGENCY = [
    ("plan_revised", "是否修订完善\n应急预案"),
    ("drills", "应急演练次数(次)"),
    ("train_hours", "人均安全培训\n学时(学时)"),
    ("duty_absent", "值班值守脱岗\n漏岗次数(次)"),
]
ACCIDENT = [
    ("accidents", "生产安全事故\n起数(起)"),
    ("deaths", "事故死亡人数(人)"),
    ("major_accidents", "较大及以上\n事故起数(起)"),
    ("concealed", "是否存在瞒报\n谎报事故"),
]
ADJUST: list[xl.Block] = [
    (None, [("awards", "省级以上表彰\n次数")]),
    (None, [("exp_adopted", "经验做法被市级\n以上推广次数")]),
    (None, [("criticized", "被上级通报\n批评次数")]),
    (None, [("exposed", "被媒体曝光安全\n生产问题次数")]),
]
DEPT_LAYOUT: list[xl.Block] = [
    ("责任落实", DUTY_DEPT),
    ("隐患排查治理", [*HAZARD, ("cover_rate", "监管企业检查\n覆盖率（%）")]),
    (
        "行业监管执法",
        [
            ("inspect_plan", "是否制定年度\n监督检查计划"),
            ("inspections", "执法检查企业家次"),
            ("penalty_cases", "行政处罚案件数（起）"),
            ("random_planned", "“双随机”抽查\n计划数(家)"),
            ("random_done", "“双随机”抽查\n完成数(家)"),
            ("unpublished_cases", "处罚信息未按时\n公示件数(件)"),
        ],
    ),
    ("专项整治", CAMPAIGN),
    ("应急管理与宣传培训", EMERGENCY),
    ("事故情况", ACCIDENT),
    *ADJUST,
]
STREET_LAYOUT: list[xl.Block] = [
    (
        "责任落实",
        [
            *DUTY_DEPT[:3],
            ("task_rate", "交办任务\n办结率(%)"),  # the field's alias, not its label
            DUTY_DEPT[4],
            ("safety_staff", "安监站专职\n人员数(人)"),
        ],
    ),
    ("隐患排查治理", [*HAZARD, ("cover_rate", "辖区企业检查\n覆盖率（%）")]),  # alias
    (
        "属地管理",
        [
            ("grid_cover", "网格员巡查\n覆盖率（%）"),
            ("small_checks", "九小场所检查\n家次"),
            ("selfbuilt_rate", "经营性自建房排查\n整治完成率（%）"),
            ("whistle_reports", "“吹哨”移交\n问题数(件)"),
            ("unsigned_ents", "未签订安全承诺书\n企业数(家)"),
        ],
    ),
    ("专项整治", CAMPAIGN),
    ("应急管理与宣传培训", [*EMERGENCY, ("rescue_team", "是否建立应急\n救援队伍")]),
    ("事故情况", ACCIDENT),
    *ADJUST,
]

# --- on-site assessment (现场考评) ---------------------------------------------------------------
ONSITE_ITEMS = {
    "onsite.site": ("企业生产现场检查", 80),
    "onsite.docs": ("内业资料核查", 40),
    "onsite.ask": ("应知应会抽问", 30),
}
# unit -> (places inspected, findings typical of that sector as (template, points per finding));
# finding i is found at place i (modulo the number of places).
SITE: dict[str, tuple[list[str], list[tuple[str, int]]]] = {
    "钢城区应急管理局": (
        ["某钢铁企业炼铁作业区", "某危险化学品经营企业", "某金属压延企业"],
        [
            ("煤气区域作业人员未佩戴便携式一氧化碳报警仪{n}人", 5),
            ("危险化学品未分类分区存放{n}处", 5),
            ("有限空间作业未落实“先通风、再检测、后作业”{n}处", 5),
        ],
    ),
    "钢城区住房和城乡建设局": (
        ["某在建住宅项目", "某市政道路改造工地", "某城镇燃气门站"],
        [
            ("塔式起重机限位装置失效{n}台", 5),
            ("临边洞口防护缺失{n}处", 5),
            ("燃气调压箱未设置防撞设施{n}处", 2),
            ("脚手架连墙件设置不符合要求{n}处", 2),
        ],
    ),
    "钢城区交通运输局": (
        ["某客运站", "某危货运输企业停车场", "某国道改建工地"],
        [
            ("行包安检仪未正常使用{n}台", 5),
            ("危险货物运输车辆动态监控不在线{n}辆", 2),
            ("施工路段未按规定设置警示标志{n}处", 2),
        ],
    ),
    "钢城区市场监督管理局": (
        ["某气瓶充装站", "某商场电梯机房", "某食品生产企业"],
        [
            ("气瓶充装前检查记录缺失{n}份", 2),
            ("电梯维护保养超期{n}台", 5),
            ("压力容器未按期检验{n}台", 5),
        ],
    ),
    "济南市公安局钢城区分局": (
        ["某民爆物品储存库", "某寄递物流网点", "某娱乐场所"],
        [
            ("民爆物品储存库视频监控故障{n}处", 5),
            ("未落实收寄验视制度{n}件", 2),
            ("安全出口上锁{n}处", 5),
        ],
    ),
    "钢城区消防救援大队": (
        ["某商场", "某宾馆", "某大型仓储物流企业"],
        [
            ("消防控制室值班人员未持证上岗{n}人", 5),
            ("自动喷水灭火系统末端试水装置压力不足{n}处", 2),
            ("仓库内电动叉车违规充电{n}处", 2),
        ],
    ),
    "钢城区教育和体育局": (
        ["某中学实验室", "某小学食堂", "某校外培训机构"],
        [
            ("危险化学品未落实双人双锁管理{n}处", 5),
            ("燃气使用场所未安装可燃气体报警装置{n}处", 5),
            ("疏散通道堆放杂物{n}处", 2),
        ],
    ),
    "钢城区卫生健康局": (
        ["某医院氧气站", "某镇卫生院", "某医院配电室"],
        [
            ("氧气站未设置禁火标志{n}处", 2),
            ("常闭式防火门处于开启状态{n}处", 2),
            ("配电室未配备绝缘防护用具{n}处", 2),
        ],
    ),
    "钢城区文化和旅游局": (
        ["某旅游景区", "某网吧", "某KTV"],
        [
            ("游乐设施未定期检验{n}台", 5),
            ("安全出口锁闭{n}处", 5),
            ("包间疏散指示标志缺失{n}处", 2),
        ],
    ),
    "钢城区农业农村局": (
        ["某农机合作社", "某规模养殖场", "某农资经营门店"],
        [
            ("拖拉机未按期年检仍在使用{n}台", 2),
            ("沼气池未设置防护盖板{n}处", 5),
            ("农药与其他物品混存{n}处", 2),
        ],
    ),
    "钢城区水务局": (
        ["某水库管理站", "某供水厂加氯间", "某河道治理工地"],
        [
            ("溢洪道杂物阻塞未清理{n}处", 5),
            ("加氯间未安装氯气泄漏报警装置{n}处", 5),
            ("施工临边未设置防护{n}处", 2),
        ],
    ),
    "钢城区综合行政执法局": (
        ["某餐饮街燃气使用单位", "某建筑垃圾消纳场", "某户外广告设施"],
        [
            ("燃气软管老化未更换{n}处", 2),
            ("堆体边坡未采取防护措施{n}处", 5),
            ("户外广告牌固定件锈蚀{n}处", 2),
        ],
    ),
    "钢城区工业和信息化局": (
        ["某粉尘涉爆企业", "某机械加工企业", "某有限空间作业企业"],
        [
            ("粉尘涉爆区域积尘未及时清理{n}处", 2),
            ("机械设备传动部位防护罩缺失{n}处", 2),
            ("有限空间未设置安全警示标识{n}处", 2),
        ],
    ),
    "钢城区商务局": (["某商贸综合体", "某成品油零售企业", "某大型超市"], []),
    "济南市自然资源和规划局钢城分局": (
        ["某非煤矿山", "某建筑石料开采企业", "某地质灾害隐患点"],
        [
            ("台阶高度超过设计要求{n}处", 5),
            ("采场边坡未设置安全警示标志{n}处", 2),
            ("未落实群测群防巡查记录{n}处", 2),
        ],
    ),
    "济南市生态环境局钢城分局": (
        ["某危险废物贮存库", "某污水处理厂", "某涉VOCs治理设施企业"],
        [
            ("未设置防渗和泄漏收集设施{n}处", 5),
            ("有限空间未设置警示标识{n}处", 2),
            ("VOCs治理设施未开展安全风险辨识{n}套", 2),
        ],
    ),
    "钢城区民政局": (
        ["某养老院", "某社会福利机构", "某殡仪服务站"],
        [
            ("电动自行车在楼道内充电{n}处", 5),
            ("厨房未安装可燃气体报警装置{n}处", 5),
            ("消防应急照明灯损坏{n}处", 2),
        ],
    ),
    "钢城区气象局": (
        ["某施放气球单位", "某防雷装置检测机构", "某加油站"],
        [
            ("氢气瓶露天存放{n}处", 5),
            ("防雷装置检测报告超期{n}份", 2),
            ("防雷接地电阻未按期检测{n}处", 2),
        ],
    ),
}
STREET_SITE: tuple[list[str], list[tuple[str, int]]] = (
    ["辖区某机械加工企业", "辖区某“九小”场所", "辖区某出租房屋", "辖区某经营性自建房", "辖区某建筑工地"],
    [
        ("机械设备传动部位防护罩缺失{n}处", 2),
        ("住人与经营混用{n}处", 5),
        ("电动自行车在楼道内违规停放充电{n}处", 5),
        ("擅自改变主体结构{n}处", 5),
        ("临边洞口防护缺失{n}处", 5),
    ],
)
# Findings that can turn up in any enterprise (found at one of a unit's first two places).
GENERAL_SITE = [
    ("消防通道堵塞{n}处", 2),
    ("特种作业人员未持证上岗{n}人", 5),
    ("配电箱未接地、电气线路私拉乱接{n}处", 2),
    ("灭火器过期失效{n}具", 2),
    ("安全出口指示标志损坏{n}处", 2),
]
DOCS_REASONS = [
    ("安全生产责任制未逐级签订，缺{n}份", 1),
    ("隐患排查台账缺少整改复查记录{n}条", 1),
    ("检查记录未留存现场照片{n}份", 1),
    ("应急演练记录缺少评估总结{n}份", 2),
    ("安全培训档案缺少签到表{n}份", 1),
    ("安委会会议纪要未印发{n}份", 3),
    ("“两个清单”未标注整改时限{n}项", 1),
]
ASK_REASONS = {
    "dept": [
        ("分管负责人对行业领域重大事故隐患判定标准掌握不清{n}项", 2),
        ("{n}名监管人员对“三管三必须”要求表述不准确", 1),
        ("{n}名执法人员不熟悉本行业执法检查重点事项", 1),
        ("抽问{n}名企业从业人员，回答不完整", 0.5),
    ],
    "street": [
        ("{n}名网格员不清楚网格内重点企业底数", 1),
        ("分管负责人对辖区重大风险点掌握不清{n}项", 2),
        ("抽问{n}名安监站人员，不熟悉“吹哨”移交流程", 1),
        ("抽问{n}名企业从业人员，回答不完整", 0.5),
    ],
}
ONSITE_NAME_AS_WRITTEN = {"钢城区应急管理局": "区应急局", "钢城经济开发区": "开发区", "汶源街道": "汶源街道 "}


@dataclass
class UnitData:
    name: str
    group: str  # dept | street
    quality: float
    values: dict[str, Any] = field(default_factory=dict)  # clean values (fractions, bools, None = missing)


@dataclass
class OnsiteRow:
    unit: str  # canonical name
    written: str  # as written in the sheet
    item: str  # id or title, as written
    value: Any  # as written (number, text, full-width text)
    points: float  # clean value
    reason: str
    evidence: str


# --- values ------------------------------------------------------------------------------------


def unit_values(
    name: str, group: str, q: float, rng: random.Random, ranges: tuple[Any, ...]
) -> dict[str, Any]:
    def chance(p: float) -> bool:
        return rng.random() < p

    v: dict[str, Any] = {}
    v["meetings"] = rng.choice([1, 1, 2, 2, 3]) if chance(0.55 + 0.5 * q) else 0
    v["duty_list"] = chance(0.78 + 0.3 * q)
    v["leader_checks"] = max(0, round(rng.gauss(1.6 + 2.4 * q, 0.8)))
    v["task_rate"] = 1.0 if chance(0.35 * q) else frac(rng, 0.9 + 0.1 * q, 0.025, 0.7)
    v["late_reports"] = 0 if chance(0.55 + 0.45 * q) else rng.choice([1, 1, 2])
    hz_lo, hz_hi = ranges[0]
    found = rng.randint(hz_lo, hz_hi)
    fixed = round(found * clamp(rng.gauss(0.91 + 0.09 * q, 0.025), 0.72, 1.0))
    v["hazards_found"] = found
    v["hazards_fixed"] = fixed
    v["hazards_overdue"] = min(found - fixed, max(0, round(rng.gauss((1 - q) * 4, 1))))
    v["major_hazards_open"] = 1 if chance(0.3 * (1 - q)) else 0
    v["cover_rate"] = frac(rng, 0.8 + 0.2 * q, 0.04, 0.55)
    if group == "dept":
        v["has_staff"] = chance(0.8 + 0.25 * q)
        v["inspect_plan"] = chance(0.8 + 0.25 * q)
        in_lo, in_hi = ranges[1]
        v["inspections"] = round(rng.randint(in_lo, in_hi) * (0.75 + 0.35 * q))
        v["penalty_cases"] = max(0, CASE_TARGET.get(name, 1) + round(rng.gauss(-1.2 + 2 * q, 1.0)))
        planned = rng.randint(4, 12)
        v["random_planned"] = planned
        v["random_done"] = min(planned, round(planned * clamp(rng.gauss(0.78 + 0.25 * q, 0.1), 0.3, 1.0)))
        v["unpublished_cases"] = 0 if chance(0.7 + 0.3 * q) else rng.randint(1, 2)
    else:
        v["safety_staff"] = rng.randint(2, 4) + round(3 * q)
        v["grid_cover"] = frac(rng, 0.86 + 0.14 * q, 0.03, 0.7)
        v["small_checks"] = max(10, round(rng.gauss(48 + 25 * q, 6)))
        v["selfbuilt_rate"] = frac(rng, 0.93 + 0.07 * q, 0.02, 0.8)
        v["whistle_reports"] = rng.randint(1, 3) + round(3 * q)
        v["unsigned_ents"] = 0 if chance(0.5 + 0.5 * q) else rng.randint(1, 6)
        v["rescue_team"] = chance(0.82 + 0.25 * q)
    v["campaign_plan"] = chance(0.85 + 0.2 * q)
    v["campaign_rate"] = frac(rng, 0.93 + 0.07 * q, 0.02, 0.75)
    v["list_late"] = 0 if chance(0.6 + 0.4 * q) else 1
    v["camp_reports"] = 3 if chance(0.5 + 0.5 * q) else rng.choice([1, 2, 2])
    v["plan_revised"] = chance(0.78 + 0.3 * q)
    need = 2 if group == "street" and name not in FUNCTIONAL_AREAS else 1
    v["drills"] = need + rng.choice([0, 0, 1]) if chance(0.6 + 0.4 * q) else need - 1
    v["train_hours"] = round(clamp(rng.gauss(4 + 5 * q, 1.0), 1, 12) * 2) / 2
    v["duty_absent"] = 0 if chance(0.75 + 0.25 * q) else 1
    v["accidents"] = 1 if chance((0.25 if group == "street" else 0.05) * (1.2 - q)) else 0
    v["deaths"] = 0
    v["major_accidents"] = 0
    v["concealed"] = False
    v["awards"] = 0
    v["exp_adopted"] = rng.choice([1, 1, 2]) if chance(0.3 * q) else 0
    v["criticized"] = 1 if chance(0.2 * (1 - q) + 0.02) else 0
    v["exposed"] = 1 if chance(0.04) else 0
    return v


def build_units(period: str, seed: int) -> list[UnitData]:
    units: list[UnitData] = []
    specs: list[tuple[str, str, tuple[Any, ...]]] = [(n, "dept", (h, i)) for n, h, i in DEPTS]
    specs += [(n, "street", (h,)) for n, h in STREETS]
    for name, group, ranges in specs:
        base = WEAK.get(name, random.Random(f"{seed}:{name}").uniform(0.55, 0.95))
        rng = random.Random(f"{seed}:{period}:{name}")
        q = clamp(base + rng.uniform(-0.08, 0.08), 0.05, 1.0)
        units.append(UnitData(name, group, q, unit_values(name, group, q, rng, ranges)))
    by_name = {u.name: u for u in units}
    prng = random.Random(f"{seed}:{period}:events")
    # The veto case: one fatal accident (一般事故, 1 death) in a high-risk department.
    _, quarter = parse_quarter(period)
    fatal = by_name[HIGH_RISK[(seed + quarter - 1) % len(HIGH_RISK)]]
    fatal.values["accidents"] = max(1, fatal.values["accidents"])
    fatal.values["deaths"] = 1
    # A couple of commendations (bonus) in each quarter.
    for name in prng.sample([u.name for u in units if u.quality > 0.75], 2):
        by_name[name].values["awards"] = 1
    for (name, fld), value in FORCE.items():
        by_name[name].values[fld] = value
    # Mess that makes a value missing (or zero, for blank: zero fields).
    xl.clean_missing({u.name: u.values for u in units}, MESS, BLANK_ZERO)
    return units


# --- cells -------------------------------------------------------------------------------------


def render(fld: str, value: Any, style: str | None, group: str) -> tuple[Any, str | None]:
    """The cell value (and number format) a unit's clerk would have typed for ``value``."""
    if style in xl.MISSING_STYLES:
        return xl.MISSING_TEXT[style], None
    if fld in BOOL:
        return xl.yes_no(value, style), None
    if fld in PERCENT:
        if style == "text":
            return xl.number_as_text(value, style), None
        return xl.percent_cell(value, style or ("pct100" if group == "dept" else "pct_fmt"))
    if style in {"text", "fullwidth"}:
        return xl.number_as_text(value, style), None
    if style == "thousands":
        return f"{value:,}", None
    if fld in NUMBER and value == int(value):
        return int(value), None
    if group == "street" and fld in {"hazards_found", "hazards_fixed"}:
        return value, "#,##0"
    return value, None


# --- the consolidation sheet -------------------------------------------------------------------


def write_group_sheet(
    ws: Worksheet, title: str, units: list[UnitData], layout: list[xl.Block], group: str
) -> None:
    columns = xl.layout_fields(layout)
    ncol = 2 + len(columns) + 1  # 序号, 单位名称, fields..., 备注
    xl.title_rows(
        ws,
        ncol,
        title,
        "填报说明：1.统计时间为本季度1日至季度末；2.比率类指标填写百分数；3.是否类指标填“是/否”；"
        "4.无此项工作的填“/”；5.季度结束后5个工作日内报区安委办。",
    )
    xl.two_row_header(ws, layout, "单位名称", 48)
    row = 5
    for seq, u in enumerate(units, start=1):
        values = [render(fld, u.values.get(fld), MESS.get((u.name, fld)), group) for fld in columns]
        note = "本季度发生1起生产安全事故，死亡1人" if u.values.get("deaths") else NOTES.get(u.name)
        xl.table_row(ws, row, seq, NAME_AS_WRITTEN.get(u.name, u.name), values, note)
        if u.name == HIDDEN_ROW_UNIT:
            ws.row_dimensions[row].hidden = True
        row += 1

    # 合计 over the counts (not the rates, the yes/no fields or 人均学时).
    summed = [f for f in columns if f not in PERCENT | BOOL | NUMBER]
    xl.total_row(
        ws, row, [sum(u.values.get(f) or 0 for u in units) if f in summed else None for f in columns]
    )
    xl.signature_row(ws, row + 1, f"填报单位（盖章）：{OFFICE}　　填报人：刘××　　审核人：王××")
    xl.table_widths(ws, ncol, name_width=30, note_width=24)


def write_returns(units: list[UnitData], period: str, path: Path, stamp: datetime) -> None:
    year, q = parse_quarter(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "区直部门"
    head = f"钢城区{year}年第{CN_QUARTER[q]}季度安全生产“三责同考”数据汇总表"
    write_group_sheet(ws, f"{head}（区直部门）", [u for u in units if u.group == "dept"], DEPT_LAYOUT, "dept")
    ws = wb.create_sheet("街道")
    streets = [u for u in units if u.group == "street"]
    write_group_sheet(ws, f"{head}（街道、功能区）", streets, STREET_LAYOUT, "street")
    lines = [
        "说明",
        f"1. 本表为{year}年第{CN_QUARTER[q]}季度安全生产“三责同考”考评数据汇总，由区安委办根据各单位报送数据整理。",
        "2. 区直部门、街道(功能区)分表填报，考评细则见《钢城区安全生产“三责同考”季度考评细则》。",
        "3. 现场考评扣分由各考评组另行汇总，不在本表中。",
        "4. 数据如有疑问，请与区安委办综合协调科联系。",
    ]
    xl.notes_sheet(wb, lines, 100)
    xl.save_deterministic(wb, path, stamp, OFFICE)


# --- the on-site scoresheet --------------------------------------------------------------------


def onsite_rows(units: list[UnitData], period: str, seed: int) -> list[OnsiteRow]:
    year, _ = parse_quarter(period)
    rows: list[OnsiteRow] = []
    serial = 0
    for team, u in enumerate(units, start=1):
        rng = random.Random(f"{seed}:{period}:onsite:{u.name}")
        if u.name == "钢城区发展和改革局":
            continue  # no rows at all: full marks for every on-site item
        written = ONSITE_NAME_AS_WRITTEN.get(u.name, u.name)
        places, specific = SITE.get(u.name, STREET_SITE)
        if u.name == "钢城区商务局":
            serial += 1
            rows.append(
                OnsiteRow(
                    u.name,
                    written,
                    "onsite.site",
                    0,
                    0,
                    "抽查2家商贸企业，现场未发现明显问题隐患",
                    f"第{team}考评组检查记录表编号GC-{year}-{serial:03d}",
                )
            )
            continue
        bad = 1 - u.quality
        # Sector findings happen at the place listed at the same position; general ones anywhere.
        site_pool = [(t, per, places[i % len(places)]) for i, (t, per) in enumerate(specific)]
        site_pool += [(t, per, rng.choice(places[:2])) for t, per in rng.sample(GENERAL_SITE, 3)]
        plan = [
            ("onsite.site", site_pool, 1 + round(rng.uniform(0, 2) + 5 * bad), 3),
            ("onsite.docs", [(t, p, None) for t, p in DOCS_REASONS], round(rng.uniform(0, 1.5) + 3 * bad), 3),
            (
                "onsite.ask",
                [(t, p, None) for t, p in ASK_REASONS[u.group]],
                round(rng.uniform(0, 1) + 2 * bad),
                2,
            ),
        ]
        for item, pool, count, max_n in plan:
            title, cap = ONSITE_ITEMS[item]
            used = 0.0
            for template, per, place in rng.sample(pool, min(count, len(pool))):
                n = rng.randint(1, max_n)
                points = n * per
                if used + points > cap:
                    break
                used += points
                reason = template.format(n=n)
                if place:
                    reason = f"抽查{place}，{reason}"
                serial += 1
                evidence = f"第{team}考评组检查记录表编号GC-{year}-{serial:03d}"
                if place and rng.random() < 0.5:
                    evidence += f"；现场照片{rng.randint(2, 6)}张"
                named = item if rng.random() < 0.5 else title
                value: Any = int(points) if points == int(points) else points
                rows.append(OnsiteRow(u.name, written, named, value, points, reason, evidence))
    # Mess in the value column: a number stored as text, a full-width number.
    for target, style in (("钢城区交通运输局", "text"), ("颜庄街道", "fullwidth")):
        row = next(r for r in rows if r.unit == target)
        row.value = xl.number_as_text(row.points, style)
    return rows


def write_onsite(rows: list[OnsiteRow], period: str, path: Path, stamp: datetime) -> None:
    year, q = parse_quarter(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "现场考评扣分"
    xl.title_rows(ws, 5, f"钢城区{year}年第{CN_QUARTER[q]}季度安全生产“三责同考”现场考评扣分汇总表")
    xl.header_row(ws, 2, ["单位", "指标编码", "扣分", "扣分原因", "佐证"])
    for r, row in enumerate(rows, start=3):
        xl.cell(ws, r, 1, row.written, align=xl.LEFT)
        xl.cell(ws, r, 2, row.item)
        xl.cell(ws, r, 3, row.value)
        xl.cell(ws, r, 4, row.reason, align=xl.LEFT)
        xl.cell(ws, r, 5, row.evidence, align=xl.LEFT)
    xl.column_widths(ws, (30, 18, 8, 60, 42))
    ws.freeze_panes = "A3"
    xl.save_deterministic(wb, path, stamp, OFFICE)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="生成钢城区“三责同考”示例数据（季度汇总表与现场考评扣分表）")
    ap.add_argument(
        "--out", type=Path, default=HERE / "data", help="输出目录（默认 examples/gangcheng/data）"
    )
    ap.add_argument("--period", default="2022Q1", help="季度，如 2022Q1")
    ap.add_argument("--seed", type=int, default=2022, help="随机种子（与季度一起决定数据）")
    args = ap.parse_args(argv)
    year, q = parse_quarter(args.period)
    # Returns come in within the first days after the quarter; assessors finish a few days later.
    quarter_end = date(year, 3 * q, 1) + timedelta(days=31)
    quarter_end = quarter_end.replace(day=1) - timedelta(days=1)
    units = build_units(args.period, args.seed)
    returns = args.out / f"returns-{args.period}.xlsx"
    onsite = args.out / f"onsite-{args.period}.xlsx"
    stamp = datetime.combine(quarter_end + timedelta(days=8), datetime.min.time()).replace(hour=9)
    write_returns(units, args.period, returns, stamp)
    write_onsite(onsite_rows(units, args.period, args.seed), args.period, onsite, stamp + timedelta(days=3))
    print(returns)
    print(onsite)


if __name__ == "__main__":
    main()
