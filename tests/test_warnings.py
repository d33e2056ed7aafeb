"""Warnings and ladders over record history (SPEC 3.6): Qingdao's two warning notices at their
boundaries, their penalties and triggering records, and Ezhou's exposure ladder."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import jsonschema
import pytest
from helpers import load_ok
from test_records import DISTRICTS, QINGDAO, accidents_file, codes, qingdao, run

from safescore.api import score
from safescore.engine.records import period_span
from safescore.inputs.read import read_inputs
from safescore.render.jsonout import results_schema
from safescore.results.load import result_from_dict

JAN1 = dt.date(2022, 1, 1)


def accident(unit: str, day: dt.date, level: str = "一般", deaths: int = 0) -> tuple[object, ...]:
    return (unit, day, level, deaths, "")


# --- 60 days, 2 general accidents -----------------------------------------------------------


def test_sixty_day_window_boundaries(tmp_path: Path) -> None:
    """Jan 1 → Mar 1 is 59 days, → Mar 2 is 60 (warned: the first day is not counted), → Mar 3 is 61."""
    rows = [
        accident("市南区", JAN1),
        accident("市南区", JAN1 + dt.timedelta(days=59)),
        accident("市北区", JAN1),
        accident("市北区", JAN1 + dt.timedelta(days=60)),
        accident("黄岛区", JAN1),
        accident("黄岛区", JAN1 + dt.timedelta(days=61)),
        accident("崂山区", dt.date(2022, 3, 1)),
        accident("崂山区", dt.date(2022, 3, 2), level="较大"),  # not a general accident
    ]
    res = run(qingdao(tmp_path), tmp_path, "2022-03", [], rows)
    warned = {u.unit: "w.60d" in u.warnings for u in res.units}
    assert warned == {"市南区": True, "市北区": True, "黄岛区": False, "崂山区": False}
    assert (JAN1 + dt.timedelta(days=60)) == dt.date(2022, 3, 2)


def test_sixty_day_warning_is_issued_in_the_period_of_the_later_accident(tmp_path: Path) -> None:
    rows = [accident("市南区", dt.date(2022, 1, 20)), accident("市南区", dt.date(2022, 3, 1))]
    r = qingdao(tmp_path)
    assert "w.60d" not in run(r, tmp_path, "2022-01", [], rows).unit("市南区").warnings
    assert "w.60d" not in run(r, tmp_path, "2022-02", [], rows).unit("市南区").warnings
    assert "w.60d" in run(r, tmp_path, "2022-03", [], rows).unit("市南区").warnings
    assert "w.60d" not in run(r, tmp_path, "2022-04", [], rows).unit("市南区").warnings
    # the quarter holding the later accident issues it; the quarter after does not
    assert "w.60d" in run(r, tmp_path, "2022Q1", [], rows).unit("市南区").warnings
    assert "w.60d" not in run(r, tmp_path, "2022Q2", [], rows).unit("市南区").warnings


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [
        ("2022-03", "2022-03-01", "2022-03-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2022Q4", "2022-10-01", "2022-12-31"),
        ("2022h1", "2022-01-01", "2022-06-30"),
        ("2022", "2022-01-01", "2022-12-31"),
    ],
)
def test_period_spans(label: str, first: str, last: str) -> None:
    span = period_span(label)
    assert span is not None
    assert dt.date.fromordinal(span.start).isoformat() == first
    assert dt.date.fromordinal(span.end).isoformat() == last
    assert dt.date.fromordinal(span.year_start) == dt.date(int(label[:4]), 1, 1)
    assert period_span("2022-13") is None and period_span(None) is None


def test_warning_lists_triggering_records_and_deducts_its_penalty(tmp_path: Path) -> None:
    rows = [
        accident("市南区", dt.date(2021, 12, 20)),  # outside 60 days of the March accident
        accident("市南区", dt.date(2022, 2, 10), deaths=1),
        accident("市南区", dt.date(2022, 3, 5)),
        accident("市北区", dt.date(2022, 3, 5)),
    ]
    res = run(qingdao(tmp_path), tmp_path, "2022-03", [], rows)
    south, north = res.unit("市南区"), res.unit("市北区")
    assert south.warnings == ("w.60d",)
    detail = south.warning_details[0]
    assert [(x.sheet, x.row, x.cell) for x in detail.records] == [
        ("事故台账", 4, "B4"),
        ("事故台账", 5, "B5"),
    ]
    assert dict(detail.records[0].values)["date"] == dt.date(2022, 2, 10)
    assert "2022-02-10、2022-03-05" in detail.reason
    line = south.item("w.60d")
    assert (line.section, line.score, line.rule) == ("penalty", D(10), "warning")
    assert len(line.evidence) == 2 and line.source.cell == "B4"
    assert south.penalty == D(10)
    assert south.total == north.total - D(10)
    data = res.to_dict()
    jsonschema.validate(data, results_schema())
    u = next(x for x in data["units"] if x["unit"] == "市南区")
    assert u["warning_details"][0]["records"][1] == {
        "records": "accidents",
        "file": str(tmp_path / "事故台账.xlsx"),
        "sheet": "事故台账",
        "row": 5,
        "cell": "B5",
        "values": {"date": "2022-03-05", "level": "一般", "deaths": 0, "summary": None},
    }
    assert result_from_dict(json.loads(json.dumps(data))).unit("市南区").warnings == ("w.60d",)


def test_warning_penalties_share_the_penalty_cap(tmp_path: Path) -> None:
    """Both warnings (10 + 10) under a penalty cap of 15 take 15 off, like any 减分 items."""
    rows = [
        accident("市南区", dt.date(2021, 2, 10)),
        accident("市南区", dt.date(2021, 3, 10)),
        accident("市南区", dt.date(2022, 2, 10), deaths=1),
        accident("市南区", dt.date(2022, 2, 11), deaths=1),
        accident("市南区", dt.date(2022, 3, 10), deaths=1),
        accident("市南区", dt.date(2022, 3, 11)),
    ]
    res = run(qingdao(tmp_path, penalty_cap=15), tmp_path, "2022-03", [], rows)
    south = res.unit("市南区")
    assert south.warnings == ("w.60d", "w.yoy")
    assert south.penalty == D(15)
    sections = sum((s.score for s in south.sections), D(0))
    assert south.total == sections - D(15)


# --- year on year, two months running ------------------------------------------------------------


def _yoy(unit: str, month: int, this: tuple[int, int], last: tuple[int, int]) -> list[tuple[object, ...]]:
    """``this``/``last``: (accidents, deaths) in ``month`` of 2022 / 2021; deaths on the first one."""
    out = []
    for year, (n, deaths) in ((2022, this), (2021, last)):
        for k in range(n):
            out.append(
                accident(unit, dt.date(year, month, 1 + k), level="较大", deaths=deaths if k == 0 else 0)
            )
    return out


def test_rising_two_months_running_versus_one_month(tmp_path: Path) -> None:
    rows = [
        *_yoy("市南区", 2, (2, 1), (1, 0)),
        *_yoy("市南区", 3, (2, 1), (1, 0)),  # Feb and Mar both up: warned
        *_yoy("市北区", 2, (1, 0), (1, 0)),
        *_yoy("市北区", 3, (2, 1), (1, 0)),  # only March up: not warned
        *_yoy("黄岛区", 2, (2, 0), (1, 0)),
        *_yoy("黄岛区", 3, (2, 1), (1, 0)),  # February's count up but deaths not: not warned
        *_yoy("崂山区", 1, (2, 1), (1, 0)),
        *_yoy("崂山区", 2, (2, 1), (1, 0)),  # Jan and Feb up: a run that ended before March
    ]
    r = qingdao(tmp_path)
    res = run(r, tmp_path, "2022-03", [], rows)
    warned = {u.unit: "w.yoy" in u.warnings for u in res.units}
    assert warned == {"市南区": True, "市北区": False, "黄岛区": False, "崂山区": False}
    detail = next(d for d in res.unit("市南区").warning_details if d.id == "w.yoy")
    days = [dict(x.values)["date"] for x in detail.records]
    assert {d.month for d in days} == {2, 3} and {d.year for d in days} == {2022}  # this year's, in the run
    assert "2022年2月起数2（上年同月1），死亡人数1（上年同月0）" in detail.reason
    # 崂山区's run ends in February: issued in February, and in the first quarter
    assert "w.yoy" in run(r, tmp_path, "2022-02", [], rows).unit("崂山区").warnings
    assert "w.yoy" in run(r, tmp_path, "2022Q1", [], rows).unit("崂山区").warnings


def test_rising_is_not_judged_without_last_years_records(tmp_path: Path) -> None:
    rows = [
        accident("市南区", dt.date(2022, 2, 1), deaths=1),
        accident("市南区", dt.date(2022, 3, 1), deaths=1),
    ]
    res = run(qingdao(tmp_path), tmp_path, "2022-03", [], rows)
    assert "w.yoy" not in res.unit("市南区").warnings
    assert codes(res, "warning-no-history")


def test_no_ledger_or_no_period_is_reported_not_warned(tmp_path: Path) -> None:
    r = qingdao(tmp_path)
    res = run(r, tmp_path, "2022-03", [], None)
    assert not any(u.warnings for u in res.units)
    assert {p.field for p in codes(res, "warning-not-judged")} == {"accidents"}
    assert len(codes(res, "warning-not-judged")) == 2  # one per warning, not one per group and unit
    undated = score(r, read_inputs(r, [], {"accidents": [accidents_file(tmp_path, [])]}, jobs=1))
    # no period given; and the hazard ledger the exposure ladder counts is missing too
    assert [p.field for p in codes(undated, "warning-not-judged")] == ["hazards", None]


# --- the exposure ladder -----------------------------------------------------------------------


def exposures(unit: str, n: int, month: int = 3) -> list[tuple[object, ...]]:
    day = dt.date(2022, month, 1)
    return [(unit, "重大", day, day + dt.timedelta(days=30), "已整改") for _ in range(n)]


def test_ladder_steps_per_unit(tmp_path: Path) -> None:
    hazards = [
        *exposures("市南区", 1),
        *exposures("市北区", 1, month=1),
        *exposures("市北区", 1),  # 2 this year, across months: 约谈
        *exposures("黄岛区", 3),  # 3: 报纸公示
        *exposures("崂山区", 4),  # more than 3: 黑名单
        ("市南区", "重大", dt.date(2021, 12, 1), dt.date(2021, 12, 30), "已整改"),  # last year
        ("市南区", "一般", dt.date(2022, 3, 2), dt.date(2022, 3, 30), "已整改"),  # not 重大
        ("市南区", "重大", dt.date(2022, 4, 2), dt.date(2022, 4, 30), "已整改"),  # after the period
    ]
    res = run(qingdao(tmp_path), tmp_path, "2022-03", hazards, [])
    marks = {u.unit: u.warnings for u in res.units}
    assert marks == {
        "市南区": (),
        "市北区": ("l.exposure:约谈",),
        "黄岛区": ("l.exposure:报纸公示并列为重点执法检查对象",),
        "崂山区": ("l.exposure:纳入征信黑名单",),
    }
    step = res.unit("崂山区").warning_details[0]
    assert (step.kind, step.count, step.penalty, len(step.records)) == ("ladder", D(4), D(0), 4)
    assert res.unit("崂山区").penalty == D(0)  # a ladder step is an action, not a deduction
    jsonschema.validate(res.to_dict(), results_schema())


@pytest.mark.parametrize(("count", "action"), [(0, None), (1, None), (2, "约谈"), (3, "公示"), (4, "黑名单")])
def test_ladder_over_a_reported_cumulative_count(tmp_path: Path, count: int, action: str | None) -> None:
    text = (
        QINGDAO.replace("PENALTY_CAP", "30")
        .replace(
            "  deaths: {label: 事故死亡人数",
            "  exposures: {label: 累计曝光次数, type: int}\n  deaths: {label: 事故死亡人数",
        )
        .replace("    records: hazards\n    where: \"level == '重大'\"\n", "    count: exposures\n")
        .replace("报纸公示并列为重点执法检查对象", "公示")
        .replace("纳入征信黑名单", "黑名单")
    )
    r = load_ok(tmp_path, text)
    res = run(r, tmp_path, "2022-03", [], [], returns={d: {"累计曝光次数": count} for d in DISTRICTS})
    want = (f"l.exposure:{action}",) if action else ()
    assert res.unit("市南区").warnings == want
