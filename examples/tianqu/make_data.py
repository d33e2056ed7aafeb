"""Generate the sample data for the Tianqu 天衢新区 安全生产“三化” example (one month).

Writes, for one month, the five workbooks the 天衢新区安委办 would have on disk after the monthly
调度 ("资料+督导+评议", and the enterprise five-colour ledger):

* ``returns-<period>.xlsx``: 月度考核资料汇总表 (table layout), sheets ``区直部门`` and ``镇街`` with a
  merged title, a 填报说明 row, a two-row merged header (one block per area over the field labels),
  one row per unit, a 合计 row and a signature line, plus an unrelated ``说明`` sheet;
* ``enterprises-<period>.xlsx``: 企业分级监管台账 (table layout, also a return): one row per sampled
  enterprise, with industry, risk level, safety record and management figures, plus last month's
  colour (a column the rubric does not read);
* ``supervision-<period>.xlsx``: 督导检查扣分汇总表 (scores layout): the weekly supervision team's
  deductions, ``被考核单位 | 考核项目 | 扣分 | 扣分原因 | 佐证`` (one row per finding);
* ``review-<period>.xlsx``: 评议得分汇总表 (scores layout): the review panel's mean score per unit
  and area, ``单位名称 | 考核项目 | 得分 | 评分说明``, plus a ``评议组成员`` sheet that is not read;
* ``expert-<period>.xlsx``: 专家检查扣分表 (scores layout): the hired experts' findings per enterprise.

Values are synthetic but plausible and carry the mess of real returns (SPEC 4.4) at fixed places
(``MESS``, ``NAME_AS_WRITTEN``, ``ENT_MESS``, ``SCORE_NAME_AS_WRITTEN``), so tests can target them.
Output is deterministic for a given ``--seed`` and ``--period`` (byte-identical files).

Example::

    python examples/tianqu/make_data.py --period 2023-10 --out /tmp/tianqu
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
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
from _shared.values import clamp, frac  # noqa: E402

OFFICE = "天衢新区安全生产委员会办公室"

# Field types as in rubrics/tianqu-sanhua.yaml.
PERCENT = {
    "duty_list_rate",
    "plan_rate",
    "ledger_rate",
    "promise_rate",
    "platform_rate",
    "train_rate",
}
BOOL = {"plan_revised", "supplies_ok", "concealed", "promise_signed", "selfcheck_ok", "dual_ok"}
CHOICE = {"industry", "risk_level", "std_level"}
BLANK_ZERO = {
    "weekly_missed",
    "tasks_late",
    "hazards_overdue",
    "first_lessons",
    "accidents",
    "deaths",
    "major_accidents",
    "exp_adopted",
    "criticized",
    "acc_12m",
    "major_open",
}

# --- units -------------------------------------------------------------------------------------
# name, range of hazards found per month
DEPTS: list[tuple[str, tuple[int, int]]] = [
    ("天衢新区应急管理局", (90, 180)),
    ("天衢新区住房和城乡建设局", (900, 1400)),
    ("天衢新区交通运输局", (50, 120)),
    ("德州市市场监督管理局天衢新区分局", (80, 160)),
    ("德州市公安局天衢新区分局", (40, 100)),
    ("天衢新区消防救援大队", (200, 380)),
    ("天衢新区教育和体育局", (30, 80)),
    ("天衢新区卫生健康局", (20, 60)),
    ("天衢新区综合行政执法局", (60, 140)),
    ("天衢新区经济发展局", (70, 150)),
    ("天衢新区商务局", (25, 70)),
    ("德州市生态环境局天衢新区分局", (20, 60)),
]
STREETS: list[tuple[str, tuple[int, int]]] = [
    ("新湖街道", (1000, 1500)),
    ("新华街道", (700, 1200)),
    ("天衢街道", (600, 1000)),
    ("广川街道", (500, 900)),
    ("运河街道", (600, 1000)),
    ("长河街道", (700, 1100)),
    ("宋官屯街道", (500, 900)),
    ("黄河涯镇", (300, 600)),
    ("二屯镇", (200, 400)),
    ("赵虎镇", (200, 400)),
    ("抬头寺镇", (300, 600)),
    ("袁桥镇", (300, 600)),
]

# Targets from the rubric (targets.campaign_target default 30, targets.case_target default 1).
CAMPAIGN_TARGET = {
    "天衢新区应急管理局": 40,
    "天衢新区住房和城乡建设局": 35,
    "德州市市场监督管理局天衢新区分局": 40,
    "天衢新区消防救援大队": 50,
    "天衢新区教育和体育局": 20,
    "天衢新区卫生健康局": 15,
    "天衢新区商务局": 20,
    "德州市生态环境局天衢新区分局": 20,
    "新湖街道": 50,
    "新华街道": 50,
    "天衢街道": 45,
    "广川街道": 45,
    "运河街道": 45,
    "长河街道": 40,
    "宋官屯街道": 40,
    "黄河涯镇": 35,
    "二屯镇": 25,
    "赵虎镇": 25,
    "抬头寺镇": 35,
    "袁桥镇": 35,
}
CASE_TARGET = {
    "天衢新区应急管理局": 3,
    "天衢新区住房和城乡建设局": 2,
    "德州市市场监督管理局天衢新区分局": 2,
    "天衢新区消防救援大队": 3,
    "天衢新区综合行政执法局": 2,
}

# Persistently weak or strong units (they sit at the bottom or top most months); the rest draw a
# quality from the seed.
FIXED_QUALITY = {
    "天衢新区商务局": 0.3,
    "德州市生态环境局天衢新区分局": 0.38,
    "二屯镇": 0.3,
    "赵虎镇": 0.4,
    "天衢新区应急管理局": 0.95,
    "新湖街道": 0.93,
}
# A fatal accident (1 death) in one unit per month: the v.death veto (grade at most 一般).
FATAL: dict[str, str | None] = {"2023-09": None, "2023-10": "天衢新区住房和城乡建设局", "2023-11": "长河街道"}
FATAL_ROTATION = ["抬头寺镇", "天衢新区交通运输局", "袁桥镇", "天衢新区住房和城乡建设局", "长河街道"]

# Enterprises: name, town, industry, risk level, standardisation level, base quality, accidents in
# the 11 months before the scored one.
ENTS: list[tuple[str, str, str, str, str, float, int]] = [
    ("德州恒润精细化工有限公司", "袁桥镇", "危险化学品", "较大风险", "二级", 0.92, 0),
    ("德州天衢燃气有限公司", "长河街道", "危险化学品", "较大风险", "三级", 0.85, 0),
    ("德州鲁信液化气储配有限公司", "抬头寺镇", "危险化学品", "重大风险", "三级", 0.6, 0),
    ("德州华钰精密铸造有限公司", "宋官屯街道", "重点工贸", "较大风险", "三级", 0.85, 0),
    ("德州盛安粉末涂装有限公司", "抬头寺镇", "重点工贸", "较大风险", "小微企业达标", 0.35, 1),
    ("德州运河冷链物流有限公司", "运河街道", "重点工贸", "较大风险", "三级", 0.75, 0),
    ("德州袁桥木业有限公司", "袁桥镇", "重点工贸", "一般风险", "未达标", 0.3, 0),
    ("德州新湖建设工程有限公司", "新湖街道", "建筑施工", "较大风险", "三级", 0.7, 1),
    ("德州长河路桥工程有限公司", "长河街道", "建筑施工", "一般风险", "三级", 0.85, 0),
    ("德州通衢危险货物运输有限公司", "宋官屯街道", "道路运输", "较大风险", "三级", 0.8, 0),
    ("德州天衢公共交通客运有限公司", "天衢街道", "道路运输", "一般风险", "二级", 0.97, 0),
    ("德州运河印象商业广场有限公司", "运河街道", "人员密集场所", "一般风险", "三级", 0.95, 0),
    ("德州新华里酒店管理有限公司", "新华街道", "人员密集场所", "一般风险", "小微企业达标", 0.7, 0),
    ("德州宋官屯机械制造有限公司", "宋官屯街道", "一般工贸", "一般风险", "三级", 0.92, 0),
    ("德州黄河涯纺织有限公司", "黄河涯镇", "一般工贸", "一般风险", "三级", 0.55, 0),
    ("德州赵虎食品有限公司", "赵虎镇", "一般工贸", "低风险", "小微企业达标", 0.95, 0),
    ("德州二屯家具制造有限公司", "二屯镇", "一般工贸", "一般风险", "未达标", 0.45, 0),
    ("德州长河仓储服务有限公司", "长河街道", "一般工贸", "低风险", "三级", 0.97, 0),
    ("德州广川百货超市有限公司", "广川街道", "商贸服务", "低风险", "小微企业达标", 0.98, 0),
    ("德州新湖家居商贸有限公司", "新湖街道", "商贸服务", "一般风险", "小微企业达标", 0.8, 0),
]
# Enterprise events: this month's accident (veto: 橙色) and an open major hazard (at most 白色).
ENT_ACCIDENT = {"2023-09": "德州盛安粉末涂装有限公司", "2023-11": "德州运河冷链物流有限公司"}
ENT_MAJOR_OPEN = {"2023-10": "德州恒润精细化工有限公司", "2023-11": "德州运河印象商业广场有限公司"}
COLOURS = ("绿色", "蓝色", "黄色", "白色", "橙色")

# --- how the names and values are written (the mess, SPEC 4.4) -------------------------------
NAME_AS_WRITTEN = {
    "德州市市场监督管理局天衢新区分局": "新区市场监管局",  # alias
    "天衢新区商务局": "天衢新区商务局  ",  # trailing spaces
    "天衢新区综合行政执法局": "天衢新区综合行政\n执法局",  # newline inside (wrapped cell)
    "宋官屯街道": "宋官屯街道 ",  # trailing space
    "黄河涯镇": "黄河涯镇\u3000",  # trailing ideographic space
    "袁桥镇": "袁桥镇人民政府",  # alias
    "德州赵虎食品有限公司": "德州赵虎食品有限公司 ",  # trailing space
    "德州长河路桥工程有限公司": "德州长河路桥工程\n有限公司",  # newline inside
}
# (unit, field) -> how the cell is written.  Styles: fullwidth, text, thousands, pct100, pct_text,
# pct_frac, pct_fmt, check (√/×), youwu (有/无), blank, slash (/), dash (—), wu (无).
MESS: dict[tuple[str, str], str] = {
    # 区直部门
    ("天衢新区应急管理局", "leader_checks"): "fullwidth",
    ("天衢新区住房和城乡建设局", "hazards_found"): "thousands",
    ("天衢新区交通运输局", "campaign_checks"): "text",
    ("德州市市场监督管理局天衢新区分局", "duty_list_rate"): "pct_text",
    ("天衢新区消防救援大队", "plan_revised"): "check",
    ("天衢新区消防救援大队", "supplies_ok"): "check",
    ("天衢新区教育和体育局", "supplies_ok"): "youwu",
    ("天衢新区卫生健康局", "tasks_late"): "wu",
    ("天衢新区综合行政执法局", "weekly_missed"): "blank",
    ("天衢新区经济发展局", "platform_rate"): "blank",
    ("天衢新区商务局", "first_lessons"): "slash",
    ("德州市生态环境局天衢新区分局", "systems_built"): "fullwidth",
    # 镇街
    ("新湖街道", "hazards_found"): "thousands",
    ("新华街道", "small_checks"): "fullwidth",
    ("广川街道", "drills"): "text",
    ("运河街道", "plan_rate"): "pct100",
    ("长河街道", "supplies_ok"): "check",
    ("宋官屯街道", "train_rate"): "pct_frac_text",
    ("二屯镇", "duty_list_rate"): "blank",
    ("赵虎镇", "hazards_overdue"): "wu",
    ("袁桥镇", "platform_rate"): "pct_text",
    # 企业分级监管台账
    ("德州恒润精细化工有限公司", "hazards_found"): "fullwidth",
    ("德州天衢燃气有限公司", "promise_signed"): "check",
    ("德州鲁信液化气储配有限公司", "acc_12m"): "wu",
    ("德州华钰精密铸造有限公司", "train_rate"): "pct_text",
    ("德州运河冷链物流有限公司", "dual_ok"): "youwu",
    ("德州袁桥木业有限公司", "selfcheck_ok"): "check",
    ("德州新湖建设工程有限公司", "major_open"): "dash",
    ("德州长河路桥工程有限公司", "train_rate"): "pct_frac",
    ("德州天衢公共交通客运有限公司", "hazards_fixed"): "text",
    ("德州黄河涯纺织有限公司", "risk_level"): "trailing",
    ("德州二屯家具制造有限公司", "dual_ok"): "youwu",
    ("德州广川百货超市有限公司", "major_open"): "blank",
}
# Values pinned so the √/× and 有/无 cells include a 'no' (× and 无 mean False).
FORCE: dict[tuple[str, str], Any] = {
    ("长河街道", "supplies_ok"): False,
    ("德州袁桥木业有限公司", "selfcheck_ok"): False,
    ("德州二屯家具制造有限公司", "dual_ok"): False,
}
# Unit names as the assessors wrote them in the supervision / expert sheets.
SCORE_NAME_AS_WRITTEN = {
    "天衢新区应急管理局": "新区应急局",
    "天衢新区住房和城乡建设局": "新区住建局 ",
    "黄河涯镇": "黄河涯镇 ",
    "德州新湖建设工程有限公司": "德州新湖建设工程有限公司  ",
}
NO_SUPERVISION = "天衢新区卫生健康局"  # inspected, nothing found: no rows, full supervision points

# --- sheet layouts: blocks of (field, header text) --------------------------------------------


def _layout(group: str) -> list[xl.Block]:
    enforce = [("platform_rate", "现场检查平台\n录入率（%）")]
    if group == "dept":
        enforce.append(("penalty_cases", "行政处罚\n立案数(起)"))
    else:
        enforce.append(("small_checks", "九小场所\n检查家次"))
    return [
        (
            "一、制度建设",
            [
                ("systems_built", "已建立安全监管\n“十项制度”项数"),
                ("weekly_missed", "周调度未按时\n报送次数(次)"),
            ],
        ),
        (
            "二、责任落实",
            [
                ("duty_list_rate", "责任清单任务\n完成率（%）"),
                ("leader_checks", "主要负责人带队\n检查次数(次)"),
                ("tasks_late", "交办事项逾期\n未办结件数(件)"),
            ],
        ),
        (
            "三、专项整治",
            [
                ("campaign_checks", "专项整治\n检查家次"),
                ("campaign_found", "专项整治发现\n问题数(项)"),
                ("campaign_fixed", "专项整治问题\n整改数(项)"),
            ],
        ),
        (
            "四、隐患排查治理",
            [
                ("plan_rate", "全覆盖大检查计划\n完成率（%）"),
                ("hazards_found", "排查隐患数(处)"),
                ("hazards_fixed", "已整改隐患数(处)"),
                ("hazards_overdue", "逾期未整改\n隐患数(处)"),
            ],
        ),
        (
            "五、分级分类监管",
            [("ledger_rate", "监管对象分级台账\n建档率（%）"), ("promise_rate", "告知承诺书\n签订率（%）")],
        ),
        ("六、监管执法", enforce),
        (
            "七、宣传教育培训",
            [("first_lessons", "“开工第一课”\n场次"), ("train_rate", "从业人员安全培训\n覆盖率（%）")],
        ),
        (
            "八、应急保障",
            [
                ("plan_revised", "应急预案是否\n完成制修订"),
                ("drills", "应急演练次数(次)"),
                ("supplies_ok", "应急物资储备\n是否达标"),
            ],
        ),
        (
            "九、事故防控",
            [
                ("accidents", "本月生产安全\n事故起数(起)"),
                ("deaths", "事故死亡人数(人)"),
                ("major_accidents", "较大及以上\n事故起数(起)"),
                ("concealed", "是否存在瞒报\n谎报事故"),
            ],
        ),
        (None, [("exp_adopted", "经验做法被市级\n以上推广次数")]),
        (None, [("criticized", "被市级以上通报\n批评次数")]),
    ]


ENT_LAYOUT: list[xl.Block] = [
    (None, [("town", "所属镇街")]),
    ("基本情况", [("industry", "行业类别"), ("risk_level", "安全风险等级")]),
    (
        "安全生产状况",
        [
            ("accidents", "本月生产安全\n事故起数(起)"),
            ("acc_12m", "近12个月生产安全\n事故起数(起)"),
            ("major_open", "未整改重大\n事故隐患数(处)"),
            ("hazards_found", "排查隐患数(处)"),
            ("hazards_fixed", "已整改隐患数(处)"),
        ],
    ),
    (
        "管理绩效",
        [
            ("std_level", "安全生产\n标准化等级"),
            ("promise_signed", "是否签订安全\n生产承诺书"),
            ("selfcheck_ok", "月度自查报告\n是否按时报送"),
            ("dual_ok", "双重预防机制\n是否有效运行"),
            ("train_rate", "从业人员安全培训\n覆盖率（%）"),
        ],
    ),
    (None, [("last_colour", "上月分级")]),
]

# --- assessor sheets ---------------------------------------------------------------------------
AREAS = ["system", "duty", "campaign", "hazard", "grading", "enforce", "training", "emergency"]
AREA_TITLE = {
    "system": "制度建设",
    "duty": "责任落实",
    "campaign": "专项整治",
    "hazard": "隐患排查治理",
    "grading": "分级分类监管",
    "enforce": "监管执法",
    "training": "宣传教育培训",
    "emergency": "应急保障",
}
SUP_POINTS = {
    "system": 3,
    "duty": 5,
    "campaign": 5,
    "hazard": 5,
    "grading": 3,
    "enforce": 3,
    "training": 3,
    "emergency": 3,
}
REV_POINTS = {
    "system": 2,
    "duty": 3,
    "campaign": 3,
    "hazard": 3,
    "grading": 2,
    "enforce": 2,
    "training": 2,
    "emergency": 3,
}
# area -> findings of the supervision team as (template, points per finding); {n} is a count.
SUP_FINDINGS: dict[str, list[tuple[str, float]]] = {
    "system": [
        ("“十项制度”中通报约谈制度未印发执行", 1),
        ("隐患台账制度执行不到位，台账缺少复查记录{n}条", 0.5),
        ("信用监管制度未落实，失信企业未推送{n}家", 0.5),
    ],
    "duty": [
        ("责任清单第{n}项任务未按期落实", 1),
        ("班子成员未按“一岗双责”开展检查", 1),
        ("安委会综合督查交办问题未逐条整改{n}项", 1),
    ],
    "campaign": [
        ("抽查燃气用户，未安装燃气泄漏报警装置{n}户", 0.5),
        ("抽查九小场所，电动自行车违规停放充电{n}处", 0.5),
        ("危化品专项整治问题清单未闭环销号{n}项", 1),
        ("抽查餐饮场所，燃气软管超期使用{n}处", 0.5),
        ("专项整治发现的突出问题未挂牌督办", 2),
    ],
    "hazard": [
        ("抽查企业，发现隐患未录入台账{n}处", 0.5),
        ("全覆盖大检查存在漏查单位{n}家", 1),
        ("隐患整改复查不到位{n}处", 0.5),
        ("较大隐患未落实整改措施、责任、资金、时限和预案", 2),
    ],
    "grading": [
        ("监管对象分级与实际风险不符{n}家", 0.5),
        ("五色告知书未送达{n}家", 0.5),
        ("承诺书未签字盖章{n}份", 0.5),
    ],
    "enforce": [
        ("检查记录未通过现场检查平台录入{n}份", 0.5),
        ("执法文书填写不规范{n}份", 0.5),
        ("检查发现的问题未依法处置{n}项", 1),
    ],
    "training": [
        ("培训档案缺少签到表和考试记录{n}份", 0.5),
        ("抽问{n}名从业人员应知应会，回答不合格", 0.5),
        ("“开工第一课”未留存影像资料", 0.5),
    ],
    "emergency": [
        ("应急值守人员脱岗{n}人次", 1),
        ("应急物资储备台账与实物不符{n}项", 0.5),
        ("应急救援队伍人员不在岗{n}人", 0.5),
    ],
}
REVIEW_REMARKS: dict[str, list[str]] = {
    "system": ["制度执行与记录衔接不够", "周调度报送质量不高"],
    "duty": ["责任清单落实不够细", "“三管三必须”压力传导不够"],
    "campaign": ["专项整治推进偏慢", "九小场所整治有反弹"],
    "hazard": ["隐患闭环管理有待加强", "全覆盖检查进度滞后"],
    "grading": ["分级动态调整不及时", "告知承诺覆盖不全"],
    "enforce": ["执法检查“宽松软”", "平台应用不够深入"],
    "training": ["培训针对性不强", "宣传形式单一"],
    "emergency": ["应急准备不够扎实", "物资储备更新慢"],
}
REVIEWERS = [
    ("区安委会成员单位代表", "张××"),
    ("区安委会成员单位代表", "李××"),
    ("镇街代表", "王××"),
    ("镇街代表", "赵××"),
    ("企业代表", "刘××"),
    ("行业专家", "陈××"),
    ("人大代表、政协委员", "孙××"),
]
EXPERT_GENERAL = [
    ("消防通道堵塞{n}处", 1),
    ("灭火器过期失效{n}具", 1),
    ("配电箱未接地、电气线路私拉乱接{n}处", 1),
    ("安全警示标志缺失{n}处", 1),
    ("特种作业人员未持证上岗{n}人", 1),
    ("有限空间未设置警示标识{n}处", 1),
    ("劳动防护用品配备不全{n}处", 1),
]
EXPERT_MAJOR: dict[str, str] = {
    "危险化学品": "储罐区可燃气体报警器失效",
    "重点工贸": "粉尘涉爆区域除尘系统未设置泄爆装置",
    "建筑施工": "深基坑未按方案设置支护",
    "道路运输": "车辆动态监控系统故障未修复",
    "人员密集场所": "安全出口锁闭",
    "一般工贸": "机械设备传动部位防护罩缺失",
    "商贸服务": "疏散通道被货物堵塞",
}
EXPERTS = ["王××（化工安全）", "周××（工贸安全）", "吴××（消防）", "郑××（建筑施工）"]


@dataclass
class UnitData:
    name: str
    group: str  # dept | street | ent
    quality: float
    values: dict[str, Any] = field(default_factory=dict)  # clean values (fractions, bools, None = missing)


@dataclass
class ScoreRowData:
    unit: str  # canonical name
    written: str  # as written in the sheet
    item: str  # id or title, as written
    value: Any  # as written (number, text, full-width text)
    points: Decimal  # clean value
    reason: str
    evidence: str


# --- values ------------------------------------------------------------------------------------


def parse_period(period: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise SystemExit(f"--period 应为月份，如 2023-11，收到 {period!r}")
    return int(m.group(1)), int(m.group(2))


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def unit_values(name: str, group: str, q: float, rng: random.Random, hz: tuple[int, int]) -> dict[str, Any]:
    def chance(p: float) -> bool:
        return rng.random() < p

    v: dict[str, Any] = {}
    v["systems_built"] = 10 if chance(0.45 + 0.55 * q) else rng.randint(6, 9)
    v["weekly_missed"] = 0 if chance(0.45 + 0.55 * q) else rng.choice([1, 1, 2])
    v["duty_list_rate"] = 1.0 if chance(0.4 * q) else frac(rng, 0.88 + 0.12 * q, 0.03, 0.75)
    v["leader_checks"] = max(0, round(rng.gauss(0.8 + 1.6 * q, 0.6)))
    v["tasks_late"] = 0 if chance(0.55 + 0.45 * q) else rng.choice([1, 1, 2])
    target = CAMPAIGN_TARGET.get(name, 30)
    checks = round(target * clamp(rng.gauss(0.7 + 0.4 * q, 0.1), 0.35, 1.4))
    found = round(checks * rng.uniform(0.3, 0.8))
    v["campaign_checks"] = checks
    v["campaign_found"] = found
    v["campaign_fixed"] = round(found * clamp(rng.gauss(0.82 + 0.18 * q, 0.05), 0.6, 1.0))
    v["plan_rate"] = frac(rng, 0.78 + 0.22 * q, 0.05, 0.5)
    found = rng.randint(*hz)
    fixed = round(found * clamp(rng.gauss(0.86 + 0.14 * q, 0.03), 0.65, 1.0))
    v["hazards_found"] = found
    v["hazards_fixed"] = fixed
    v["hazards_overdue"] = min(found - fixed, max(0, round(rng.gauss((1 - q) * 3, 1))))
    v["ledger_rate"] = frac(rng, 0.92 + 0.08 * q, 0.02, 0.8)
    v["promise_rate"] = frac(rng, 0.88 + 0.12 * q, 0.03, 0.75)
    v["platform_rate"] = frac(rng, 0.72 + 0.28 * q, 0.06, 0.4)
    if group == "dept":
        v["penalty_cases"] = max(0, CASE_TARGET.get(name, 1) + round(rng.gauss(-0.8 + 1.4 * q, 0.7)))
    else:
        v["small_checks"] = max(4, round(rng.gauss(14 + 22 * q, 5)))
    v["first_lessons"] = max(0, round(rng.gauss(0.6 + 1.8 * q, 0.7)))
    v["train_rate"] = frac(rng, 0.9 + 0.1 * q, 0.02, 0.8)
    v["plan_revised"] = chance(0.75 + 0.3 * q)
    v["drills"] = rng.choice([1, 1, 2]) if chance(0.55 + 0.45 * q) else 0
    v["supplies_ok"] = chance(0.7 + 0.35 * q)
    v["accidents"] = 1 if chance((0.18 if group == "street" else 0.06) * (1.2 - q)) else 0
    v["deaths"] = 0
    v["major_accidents"] = 0
    v["concealed"] = False
    v["exp_adopted"] = 1 if chance(0.25 * q) else 0
    v["criticized"] = 1 if chance(0.15 * (1 - q)) else 0
    return v


STD_POINTS = {"一级": 10, "二级": 10, "三级": 8, "小微企业达标": 6, "未达标": 0}
INDUSTRY_POINTS = {
    "商贸服务": 10,
    "一般工贸": 8,
    "人员密集场所": 5,
    "重点工贸": 4,
    "道路运输": 4,
    "建筑施工": 3,
    "危险化学品": 0,
}
RISK_POINTS = {"低风险": 10, "一般风险": 7, "较大风险": 4, "重大风险": 0}


def ent_values(
    spec: tuple[str, str, str, str, str, float, int], q: float, rng: random.Random
) -> dict[str, Any]:
    _, town, industry, risk, std, _, acc_before = spec

    def chance(p: float) -> bool:
        return rng.random() < p

    v: dict[str, Any] = {"town": town, "industry": industry, "risk_level": risk, "std_level": std}
    v["accidents"] = 0
    v["acc_12m"] = acc_before
    v["major_open"] = 0
    found = rng.randint(3, 24)
    v["hazards_found"] = found
    v["hazards_fixed"] = round(found * clamp(rng.gauss(0.84 + 0.18 * q, 0.05), 0.6, 1.0))
    v["promise_signed"] = chance(0.8 + 0.35 * q)
    v["selfcheck_ok"] = chance(0.45 + 0.65 * q)
    v["dual_ok"] = chance(0.35 + 0.75 * q)
    v["train_rate"] = frac(rng, 0.86 + 0.14 * q, 0.03, 0.7)
    return v


def build_units(period: str, seed: int) -> list[UnitData]:
    """Every unit's clean values for ``period`` (the truth the workbooks are written from)."""
    units: list[UnitData] = []
    specs = [(n, "dept", hz) for n, hz in DEPTS] + [(n, "street", hz) for n, hz in STREETS]
    for name, group, hz in specs:
        base = FIXED_QUALITY.get(name, random.Random(f"{seed}:{name}").uniform(0.5, 0.92))
        rng = random.Random(f"{seed}:{period}:{name}")
        q = clamp(base + rng.uniform(-0.07, 0.07), 0.05, 1.0)
        units.append(UnitData(name, group, q, unit_values(name, group, q, rng, hz)))
    for spec in ENTS:
        rng = random.Random(f"{seed}:{period}:{spec[0]}")
        q = clamp(spec[5] + rng.uniform(-0.04, 0.04), 0.05, 1.0)
        units.append(UnitData(spec[0], "ent", q, ent_values(spec, q, rng)))
    by_name = {u.name: u for u in units}
    _, month = parse_period(period)
    # The v.death case: one fatal accident (一般事故, 1 death) per month.
    fatal = FATAL.get(period, FATAL_ROTATION[(seed + month) % len(FATAL_ROTATION)])
    if fatal:
        by_name[fatal].values["accidents"] = max(1, by_name[fatal].values["accidents"])
        by_name[fatal].values["deaths"] = 1
    # Enterprise events: an accident this month (also counted in the 12 months), an open major hazard.
    ent_acc = ENT_ACCIDENT.get(period)
    if ent_acc:
        by_name[ent_acc].values["accidents"] = 1
        by_name[ent_acc].values["acc_12m"] += 1
    if "2023-09" < period <= "2024-08":  # September's accident stays on the 12-month record
        by_name[ENT_ACCIDENT["2023-09"]].values["acc_12m"] += 1
    major = ENT_MAJOR_OPEN.get(period)
    if major:
        by_name[major].values["major_open"] = 1
    # Last month's colour (a column of the ledger the rubric does not read).
    prng = random.Random(f"{seed}:{previous_period(period)}:colours")
    for u in units:
        if u.group == "ent":
            idx = 4 - min(4, int(u.quality * 5))
            u.values["last_colour"] = COLOURS[clamp(idx + prng.choice([-1, 0, 0, 0, 1]), 0, 4)]
    for (name, fld), value in FORCE.items():
        by_name[name].values[fld] = value
    # Mess that makes a value missing (or zero, for blank: zero fields).
    xl.clean_missing({u.name: u.values for u in units}, MESS, BLANK_ZERO)
    return units


# --- cells -------------------------------------------------------------------------------------


def render(fld: str, value: Any, style: str | None, group: str) -> tuple[Any, str | None]:
    """The cell value (and number format) a clerk would have typed for ``value``."""
    if style in xl.MISSING_STYLES:
        return xl.MISSING_TEXT[style], None
    if fld in CHOICE or fld in {"town", "last_colour"}:
        return (f"{value} " if style == "trailing" else value), None
    if fld in BOOL:
        return xl.yes_no(value, style), None
    if fld in PERCENT:
        if style == "pct_frac_text":
            return xl.number_as_text(value, "text"), None
        return xl.percent_cell(
            value, style or {"dept": "pct100", "street": "pct_fmt", "ent": "pct100"}[group]
        )
    if style in {"text", "fullwidth"}:
        return xl.number_as_text(float(value), style), None
    if style == "thousands":
        return f"{value:,}", None
    return value, None


# --- the sheets --------------------------------------------------------------------------------


def columns_of(layout: list[xl.Block]) -> list[str]:
    return xl.layout_fields(layout)


def write_table_sheet(
    ws: Worksheet,
    title: str,
    note: str,
    units: list[UnitData],
    layout: list[xl.Block],
    group: str,
    name_header: str,
    *,
    totals: bool,
) -> None:
    columns = columns_of(layout)
    ncol = 2 + len(columns) + 1
    xl.title_rows(ws, ncol, title, note)
    xl.two_row_header(ws, layout, name_header, 48)
    row = 5
    for seq, u in enumerate(units, start=1):
        values = [render(fld, u.values.get(fld), MESS.get((u.name, fld)), group) for fld in columns]
        remark = None
        if u.values.get("deaths"):
            remark = "本月发生1起生产安全事故，死亡1人"
        elif group == "ent" and u.values.get("accidents"):
            remark = "本月发生1起生产安全事故（轻伤1人）"
        elif group == "ent" and u.values.get("major_open"):
            remark = "专家检查认定重大事故隐患1处，正在整改"
        xl.table_row(ws, row, seq, NAME_AS_WRITTEN.get(u.name, u.name), values, remark)
        row += 1
    if totals:  # 合计 over the counts
        summed = [f for f in columns if f not in PERCENT | BOOL | CHOICE | {"systems_built"}]
        xl.total_row(
            ws, row, [sum(u.values.get(f) or 0 for u in units) if f in summed else None for f in columns]
        )
        row += 1
    xl.signature_row(ws, row, f"填报单位（盖章）：{OFFICE}　　填报人：马××　　审核人：杨××")
    xl.table_widths(ws, ncol, name_width=32, note_width=26)


def write_returns(units: list[UnitData], period: str, path: Path, stamp: datetime) -> None:
    year, month = parse_period(period)
    head = f"天衢新区{year}年{month}月安全生产月度考核资料汇总表"
    note = (
        "填报说明：1.统计时间为本月1日至月末；2.比率类指标填写百分数；3.是否类指标填“是/否”；"
        "4.无此项工作的填“/”；5.次月3日前报区安委办，督导、评议得分由区安委办另行汇总。"
    )
    wb = Workbook()
    ws = wb.active
    ws.title = "区直部门"
    depts = [u for u in units if u.group == "dept"]
    write_table_sheet(
        ws, f"{head}（区直部门）", note, depts, _layout("dept"), "dept", "单位名称", totals=True
    )
    ws = wb.create_sheet("镇街")
    streets = [u for u in units if u.group == "street"]
    write_table_sheet(
        ws, f"{head}（镇街）", note, streets, _layout("street"), "street", "单位名称", totals=True
    )
    lines = [
        "说明",
        f"1. 本表为{year}年{month}月安全生产月度考核“资料”部分，由区安委办根据各单位报送资料整理。",
        "2. 考核采用“资料+督导+评议”相结合的方式：资料50分、督导30分、评议20分。",
        "3. 督导扣分见《督导检查扣分汇总表》，评议得分见《评议得分汇总表》。",
        "4. 数据如有疑问，请与区安委办综合协调科联系。",
    ]
    xl.notes_sheet(wb, lines, 100)
    xl.save_deterministic(wb, path, stamp, OFFICE)


def write_enterprises(units: list[UnitData], period: str, path: Path, stamp: datetime) -> None:
    year, month = parse_period(period)
    wb = Workbook()
    ws = wb.active
    ws.title = "企业分级台账"
    note = (
        "说明：按行业类别、风险大小、安全生产状况和管理绩效实行绿、蓝、黄、白、橙五色分级；"
        "隐患数据来自企业月度自查表，重大事故隐患以专家检查认定为准。"
    )
    ents = [u for u in units if u.group == "ent"]
    write_table_sheet(
        ws,
        f"天衢新区{year}年{month}月企业分级监管台账",
        note,
        ents,
        ENT_LAYOUT,
        "ent",
        "企业名称",
        totals=False,
    )
    xl.save_deterministic(wb, path, stamp, OFFICE)


# --- assessor rows -----------------------------------------------------------------------------


def _dec(x: float) -> Decimal:
    return Decimal(repr(x))


def supervision_rows(units: list[UnitData], period: str, seed: int) -> list[ScoreRowData]:
    """The weekly supervision team's findings, one row per finding (督导, as deductions)."""
    year, month = parse_period(period)
    rows: list[ScoreRowData] = []
    serial = 0
    for u in units:
        if u.group == "ent" or u.name == NO_SUPERVISION:
            continue
        rng = random.Random(f"{seed}:{period}:supervision:{u.name}")
        written = SCORE_NAME_AS_WRITTEN.get(u.name, u.name)
        used = dict.fromkeys(AREAS, Decimal(0))
        weeks = sorted(rng.sample([1, 2, 3, 4], 2 + (rng.random() < 0.4)))
        for week in weeks:
            n_find = max(0, round(rng.gauss(0.6 + 3.2 * (1 - u.quality), 0.8)))
            for _ in range(n_find):
                area = rng.choice(AREAS)
                template, per = rng.choice(SUP_FINDINGS[area])
                n = rng.randint(1, 2) if "{n}" in template else 1
                points = _dec(per) * n
                if used[area] + points > SUP_POINTS[area]:
                    continue
                used[area] += points
                serial += 1
                item = f"{area}.sup" if rng.random() < 0.5 else f"{AREA_TITLE[area]}督导"
                evidence = f"第{week}周督导检查记录 TQDD-{year}{month:02d}-{serial:03d}"
                if rng.random() < 0.4:
                    evidence += f"；现场照片{rng.randint(2, 5)}张"
                value: Any = int(points) if points == int(points) else float(points)
                rows.append(
                    ScoreRowData(u.name, written, item, value, points, template.format(n=n), evidence)
                )
    # Mess in the value column: a number stored as text, a full-width number.
    for target, style in (("天衢新区交通运输局", "text"), ("广川街道", "fullwidth")):
        row = next((r for r in rows if r.unit == target), None)
        if row is not None:
            row.value = xl.number_as_text(row.points, style)
    return rows


def review_rows(units: list[UnitData], period: str, seed: int) -> list[ScoreRowData]:
    """The review panel's mean score per unit and area (评议, as scores, two decimals)."""
    rows: list[ScoreRowData] = []
    for u in units:
        if u.group == "ent":
            continue
        rng = random.Random(f"{seed}:{period}:review:{u.name}")
        for area in AREAS:
            pts = REV_POINTS[area]
            marks = []
            for _ in REVIEWERS:  # each reviewer marks in half points
                share = clamp(rng.gauss(0.74 + 0.24 * u.quality, 0.08), 0.4, 1.0)
                marks.append(Decimal(round(pts * share * 2)) / 2)
            mean = (sum(marks, Decimal(0)) / len(marks)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            remark = ""
            if mean < Decimal(pts) * Decimal("0.85"):
                remark = "评议意见：" + rng.choice(REVIEW_REMARKS[area])
            value: Any = float(mean)
            rows.append(ScoreRowData(u.name, u.name, f"{AREA_TITLE[area]}评议", value, mean, remark, ""))
    # Mess: one mean written as full-width text, one as plain text.
    for target, area, style in (
        ("新华街道", "duty", "fullwidth"),
        ("天衢新区教育和体育局", "hazard", "text"),
    ):
        row = next(r for r in rows if r.unit == target and r.item == f"{AREA_TITLE[area]}评议")
        row.value = xl.number_as_text(row.points, style)
    return rows


def expert_rows(units: list[UnitData], period: str, seed: int) -> list[ScoreRowData]:
    """The experts' findings per enterprise: 一般隐患 1 point, 较大隐患 5 points each."""
    year, month = parse_period(period)
    rows: list[ScoreRowData] = []
    serial = 0
    for u in units:
        if u.group != "ent":
            continue
        rng = random.Random(f"{seed}:{period}:expert:{u.name}")
        written = SCORE_NAME_AS_WRITTEN.get(u.name, u.name)
        serial += 1
        evidence = f"专家组诊断记录 TQZJ-{year}{month:02d}-{serial:03d}（{rng.choice(EXPERTS)}）"
        used = Decimal(0)
        found: list[tuple[str, Decimal]] = []
        if rng.random() < 0.6 * (1 - u.quality) or u.values.get("major_open"):
            found.append(("较大隐患：" + EXPERT_MAJOR[u.values["industry"]], Decimal(5)))
        n_general = max(0, round(rng.gauss(7 * (1 - u.quality), 1.2)))
        for template, per in rng.sample(EXPERT_GENERAL, min(n_general, len(EXPERT_GENERAL))):
            n = rng.randint(1, 2)
            found.append(("一般隐患：" + template.format(n=n), Decimal(per * n)))
        for reason, points in found:
            if used + points > 20:
                continue
            used += points
            rows.append(ScoreRowData(u.name, written, "专家检查", int(points), points, reason, evidence))
    return rows


def write_scores(
    rows: list[ScoreRowData],
    path: Path,
    stamp: datetime,
    *,
    title: str,
    sheet: str,
    headers: tuple[str, str, str, str, str],
    extra: tuple[str, list[list[Any]]] | None = None,
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    xl.title_rows(ws, 6, title)
    xl.header_row(ws, 2, ("序号", *headers))
    for r, row in enumerate(rows, start=3):
        xl.cell(ws, r, 1, r - 2)
        xl.cell(ws, r, 2, row.written, align=xl.LEFT)
        xl.cell(ws, r, 3, row.item)
        xl.cell(ws, r, 4, row.value)
        xl.cell(ws, r, 5, row.reason or None, align=xl.LEFT)
        xl.cell(ws, r, 6, row.evidence or None, align=xl.LEFT)
    xl.column_widths(ws, (6, 32, 18, 8, 50, 44))
    ws.freeze_panes = "A3"
    if extra is not None:
        name, table = extra
        ws2 = wb.create_sheet(name)
        for r, line in enumerate(table, start=1):
            for c, value in enumerate(line, start=1):
                xl.cell(ws2, r, c, value, font=xl.BOLD if r == 1 else xl.FONT)
        xl.column_widths(ws2, (6, 24, 12))
    xl.save_deterministic(wb, path, stamp, OFFICE)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="生成天衢新区安全生产“三化”月度考核示例数据")
    ap.add_argument("--out", type=Path, default=HERE / "data", help="输出目录（默认 examples/tianqu/data）")
    ap.add_argument("--period", default="2023-11", help="月份，如 2023-11")
    ap.add_argument("--seed", type=int, default=2023, help="随机种子（与月份一起决定数据）")
    args = ap.parse_args(argv)
    year, month = parse_period(args.period)
    month_end = (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    stamp = datetime.combine(month_end + timedelta(days=3), datetime.min.time()).replace(hour=9)
    units = build_units(args.period, args.seed)
    cn = f"天衢新区{year}年{month}月安全生产月度考核"
    paths = {
        "returns": args.out / f"returns-{args.period}.xlsx",
        "enterprises": args.out / f"enterprises-{args.period}.xlsx",
        "supervision": args.out / f"supervision-{args.period}.xlsx",
        "review": args.out / f"review-{args.period}.xlsx",
        "expert": args.out / f"expert-{args.period}.xlsx",
    }
    write_returns(units, args.period, paths["returns"], stamp)
    write_enterprises(units, args.period, paths["enterprises"], stamp)
    write_scores(
        supervision_rows(units, args.period, args.seed),
        paths["supervision"],
        stamp + timedelta(days=1),
        title=f"{cn}督导检查扣分汇总表",
        sheet="督导扣分",
        headers=("被考核单位", "考核项目", "扣分", "扣分原因", "佐证"),
    )
    members = [["序号", "姓名", "类别"]] + [[i, n, k] for i, (k, n) in enumerate(REVIEWERS, start=1)]
    write_scores(
        review_rows(units, args.period, args.seed),
        paths["review"],
        stamp + timedelta(days=2),
        title=f"{cn}评议得分汇总表（评议组{len(REVIEWERS)}人，取平均分）",
        sheet="评议得分",
        headers=("单位名称", "考核项目", "得分", "评分说明", "依据"),
        extra=("评议组成员", members),
    )
    write_scores(
        expert_rows(units, args.period, args.seed),
        paths["expert"],
        stamp + timedelta(days=1),
        title=f"天衢新区{year}年{month}月企业安全生产专家检查扣分表",
        sheet="专家检查",
        headers=("企业名称", "考核项目", "扣分", "发现问题", "检查记录"),
    )
    for p in paths.values():
        print(p)


if __name__ == "__main__":
    main()
