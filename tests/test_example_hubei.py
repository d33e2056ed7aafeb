"""The shipped Hubei example (seed 002) end to end: `safescore init --example hubei`, `safescore run`.

The seed's facts, each checked against a hand computation from the generator's ground truth
(examples/hubei/make_data.py) and the committed targets table:

* targets are differentiated per city, and each city is scored against its own target;
* the one-vote veto overrides the grade;
* in 鄂州's own assessment “两化” weighs 40%;
* the exposure ladder (2 → 约谈, 3 → 报纸公示, >3 → 黑名单) reached per enterprise;
* the self-score → department → on-site chain: over-claiming self-scores are flagged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import ROOT
from helpers import init_example, load_generator, run_project_cli

md = load_generator("hubei")
PERIOD = "2016"
SEED = 2016  # make_data's default, which `init` uses
TARGETS_XLSX = ROOT / "rubrics" / "targets" / "hubei-mubiao.xlsx"
CITY = {short: md.SHORT_TO_NAME[short] for short, _, _ in md.CITIES}
TRUTH = {c.short: c for c in md.build_cities(PERIOD, SEED, md.load_rubric())}


def D(x: Any) -> Decimal:
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def half_up(x: Decimal, places: int = 2) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rate(value: Decimal, points: int, per_point: Decimal, zero_below: Decimal | None = None) -> Decimal:
    """The `rate` rule: points - per_point × percentage points short of 100%, within [0, points]."""
    if zero_below is not None and value < zero_below:
        return Decimal(0)
    miss = max(Decimal(0), 1 - value) * 100
    return half_up(min(Decimal(points), max(Decimal(0), points - per_point * miss)))


@dataclass
class Run:
    project: Path
    out: Path
    code: int
    units: dict[str, dict[str, Any]]
    problems: list[dict[str, Any]]
    inputs: list[dict[str, Any]]

    def item(self, unit: str, item_id: str) -> dict[str, Any]:
        return next(i for i in self.units[unit]["items"] if i["id"] == item_id)

    def section(self, unit: str, section_id: str) -> dict[str, Any]:
        return next(s for s in self.units[unit]["sections"] if s["id"] == section_id)


@pytest.fixture(scope="module")
def hb(tmp_path_factory: pytest.TempPathFactory) -> Run:
    project = init_example(tmp_path_factory.mktemp("hubei"), "hubei")
    code, output = run_project_cli(project, "--quiet")
    assert code == 0, output
    out = project / "out" / PERIOD
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    units = {u["unit"]: u for u in data["units"]}
    return Run(project, out, code, units, data["problems"], data["inputs"])


# --- the project ----------------------------------------------------------------------------------


def test_project_runs_clean_and_writes_every_output(hb: Run) -> None:
    assert hb.code == 0
    for name in ("results.json", "results.xlsx", "bulletin.docx", "bulletin.html", "manifest.json"):
        assert (hb.out / name).is_file(), name
    assert len(hb.units) == 17 + 4 + 8
    assert len(list((hb.out / "letters").glob("*.docx"))) == 29
    assert all(u["status"] == "已报送" for u in hb.units.values())
    assert not [p for p in hb.problems if p["severity"] == "error"]
    # the 17 自评表 are forms, 鄂州's sheet a table, the ledger records, the targets table read
    layouts = sorted((i["role"], i["layout"]) for i in hb.inputs)
    assert layouts.count(("return", "form")) == 17
    assert ("return", "table") in layouts and ("return", "records") in layouts
    assert {"daily", "onsite", "highlight", "targets"} <= {i["role"] for i in hb.inputs}


def test_messy_returns_read(hb: Run) -> None:
    wuhan = hb.item(CITY["武汉"], "law.inspect")["inputs"]
    assert [(i["raw"], i["value"]) for i in wuhan if i["field"] == "inspections"] == [("5,006", 5006)]
    # 黄石 typed its deaths in full-width digits
    deaths = [i for i in hb.item(CITY["黄石"], "acc.deaths")["inputs"] if i["field"] == "deaths"]
    assert deaths[0]["value"] == TRUTH["黄石"].values["deaths"]
    assert deaths[0]["raw"] == md.xl.number_as_text(deaths[0]["value"], "fullwidth")
    # hand-made forms: unit from 填报单位 (an alias, a trailing space, a line break)
    for short in md.HAND_MADE:
        assert hb.units[CITY[short]]["status"] == "已报送"
    # left blank → 未填报, the item scores 0
    blank = hb.item(CITY["神农架林区"], "law.random")
    assert (blank["score"], blank["status"]) == (0, "missing")
    codes = {p["code"] for p in hb.problems}
    assert {"hidden-row", "value-missing", "derived-differs"} <= codes


# --- targets differentiated per city ------------------------------------------------------------


def test_targets_table_differs_per_city() -> None:
    ws = openpyxl.load_workbook(TARGETS_XLSX, read_only=True).worksheets[0]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[1]]
    table = {r[1]: r[2:6] for r in rows if isinstance(r[0], int)}
    # every city has its own row, under its full name (an alias of the rubric's unit)
    assert set(md.FULL_NAME.values()) <= set(table)
    limits = {short: table[md.FULL_NAME[short]][0] for short in CITY}
    assert limits == {short: md.TARGETS[short][0] for short in CITY}
    assert len(set(limits.values())) >= 15  # differentiated, not one figure for all
    assert limits["仙桃"] != limits["潜江"]


def test_project_carries_the_targets_table(hb: Run) -> None:
    copied = hb.project / "rubrics" / "targets" / "hubei-mubiao.xlsx"
    assert copied.read_bytes() == TARGETS_XLSX.read_bytes()


def test_same_deaths_scored_against_each_citys_own_target(hb: Run) -> None:
    """仙桃 and 潜江 both report 42 deaths; 仙桃's control target is 43, 潜江's 41."""
    got = {}
    for short in ("仙桃", "潜江"):
        deaths = D(TRUTH[short].values["deaths"])
        limit, gdp_limit, _, _ = md.TARGETS[short]
        assert deaths == 42
        pct = deaths * 100 / limit
        expected = half_up(max(Decimal(0), 10 - Decimal("0.5") * max(Decimal(0), pct - 100)))
        item = hb.item(CITY[short], "acc.deaths")
        assert D(item["score"]) == expected
        gdp_rate = deaths / D(TRUTH[short].values["gdp"])
        gdp_item = hb.item(CITY[short], "acc.gdp")
        assert D(gdp_item["score"]) == (4 if gdp_rate <= D(gdp_limit) else 0)
        got[short] = (D(item["score"]), D(gdp_item["score"]))
    assert got["仙桃"] == (Decimal(10), Decimal(4))  # within 43 and 0.065
    assert got["潜江"] == (Decimal("8.78"), Decimal(0))  # 102.44% of 41: −1.22; 0.0638 > 0.062
    assert "超过2.439个百分点" in hb.item(CITY["潜江"], "acc.deaths")["reason"]


def test_inspection_plan_completion_against_own_plan(hb: Run) -> None:
    """武汉 (plan 5,200) and 神农架 (plan 80): the same rule, each against its own plan."""
    for short, expected in (("武汉", Decimal("5.25")), ("神农架林区", Decimal("3.75"))):
        done = D(TRUTH[short].values["inspections"])
        plan = md.TARGETS[short][2]
        assert rate(done / plan, 6, Decimal("0.2"), Decimal("0.7")) == expected
        assert D(hb.item(CITY[short], "law.inspect")["score"]) == expected


# --- one-vote veto --------------------------------------------------------------------------------


def test_veto_overrides_grade(hb: Run) -> None:
    yichang = hb.units[CITY[md.VETO_CITY]]
    assert [v["id"] if isinstance(v, dict) else v for v in yichang["vetoes"]] == ["v.major"]
    assert yichang["total"] >= 90  # 优秀 on its score
    assert yichang["grade"] == "不合格"
    assert yichang["total"] == yichang["total_before_veto"]  # fail keeps the score and the rank
    city = [u for u in hb.units.values() if u["group"] == "city"]
    assert sorted(u["rank"] for u in city) == list(range(1, 18))
    assert [u["unit"] for u in city if u["vetoes"]] == [CITY[md.VETO_CITY]]
    # the vetoed unit takes no 优秀 place: floor(0.3 × 17) = 5 others get it
    excellent = sorted((u for u in city if u["grade"] == "优秀"), key=lambda u: u["rank"])
    assert len(excellent) == 5
    assert all(u["total"] >= 90 for u in excellent)


# --- 鄂州: “两化” weighs 40% ------------------------------------------------------------------------


def test_ezhou_lianghua_weighs_40_percent(hb: Run) -> None:
    districts = {canon: (short, v) for short, canon, v in md.build_districts(PERIOD, SEED)}
    for canon, (short, v) in districts.items():
        lh_target = md.TARGETS[short][3]
        items = {
            "ez.lh.register": rate(D(v["lh_registered"]) / lh_target, 25, Decimal(1)),
            "ez.lh.list": rate(D(v["list_upgrade_rate"]), 25, Decimal(1)),
            "ez.lh.self": rate(D(v["self_report_rate"]), 25, Decimal(1)),
            "ez.lh.major": rate(D(v["major_fix_rate"]), 25, Decimal(2)),
        }
        for iid, expected in items.items():
            assert D(hb.item(canon, iid)["score"]) == expected, (canon, iid)
        raw = sum(items.values(), Decimal(0))
        sec = hb.section(canon, "ez_lh")
        assert D(sec["weight"]) == Decimal("0.4") and D(sec["points"]) == 40
        assert D(sec["raw"]) == raw
        assert D(sec["score"]) == half_up(100 * Decimal("0.4") * raw / 100)
        weights = [D(s["weight"]) for s in hb.units[canon]["sections"]]
        assert weights == [Decimal("0.4"), Decimal("0.2"), Decimal("0.2"), Decimal("0.2")]
        total = sum((D(s["score"]) for s in hb.units[canon]["sections"]), Decimal(0))
        assert D(hb.units[canon]["total"]) == total
    # 鄂城区 by hand: its “两化” section loses 40% of what it lost, not 25% (4 equal sections)
    ecx = hb.section("鄂城区人民政府", "ez_lh")
    assert D(ecx["score"]) == half_up(D(ecx["raw"]) * Decimal("0.4"))
    assert D(ecx["raw"]) < 100


# --- the exposure ladder --------------------------------------------------------------------------


def _ladder_action(count: int) -> str | None:
    if count > 3:
        return md.BLACKLIST
    return md.LADDER_ACTION.get(count) if count < 3 else md.LADDER_ACTION[3]


def test_exposure_ladder_per_enterprise(hb: Run) -> None:
    for name in md.ENTERPRISES:
        count = md.EXPOSURES.get(name, 0)
        u = hb.units[name]
        hits = [w for w in u["warning_details"] if w["id"] == "l.exposure"]
        expected = _ladder_action(count)
        if expected is None:
            assert hits == [], name
        else:
            assert [(h["action"], h["count"]) for h in hits] == [(expected, count)], name
            assert len(hits[0]["records"]) == count  # the ledger rows behind it
            assert f"l.exposure:{expected}" in u["warnings"]
        # the same ledger feeds the item: 5 points per exposure, at most 20
        assert D(hb.item(name, "ent.exposed")["score"]) == 20 - min(20, 5 * count), name
    assert hb.units["鄂城区某钢铁企业"]["warning_details"][0]["action"] == "行业监管部门约谈"
    assert "鄂州日报" in hb.units["华容区某危险化学品经营企业"]["warning_details"][0]["action"]
    assert "黑名单" in hb.units["梁子湖区某非煤矿山企业"]["warning_details"][0]["action"]
    # last year's exposure of 葛店开发区某食品加工企业 is in the ledger but not counted for 2016
    assert hb.units["葛店开发区某食品加工企业"]["warning_details"] == []


def test_reported_exposures_yield_to_the_ledger(hb: Run) -> None:
    diff = [p for p in hb.problems if p["code"] == "derived-differs"]
    assert [(p["unit"], p["value"], p["expected"]) for p in diff] == [("梁子湖区某非煤矿山企业", "3", "5")]


# --- the four modes and the self-score → department → on-site chain ---------------------------------


def test_four_modes_feed_every_city(hb: Run) -> None:
    for name in CITY.values():
        sources = {i["source"]["name"] for i in hb.units[name]["items"]}
        assert {"return", "daily", "onsite", "highlight"} <= sources, name
    ezhou = hb.item(CITY["鄂州"], "b.highlight")
    assert D(ezhou["score"]) == sum((D(p) for _, p in md.HIGHLIGHTS["鄂州"]), Decimal(0)) == Decimal("2.5")
    assert "40%" in ezhou["reason"]
    assert D(hb.item(CITY["天门"], "b.highlight")["score"]) == 0  # no highlight: 未评分, no bonus
    for name in CITY.values():
        assert D(hb.units[name]["bonus"]) <= 5


def test_daily_and_onsite_deductions_as_assessed(hb: Run) -> None:
    for short, c in TRUTH.items():
        for item in ("law.daily", "mech.daily", "prev.edu", "acc.report"):
            lost = sum((D(p) for i, p, _, _ in c.daily if i == item), Decimal(0))
            assert D(hb.item(CITY[short], item)["lost"]) == lost, (short, item)
        for item in ("resp.onsite", "prev.ent_onsite", "base.onsite"):
            lost = sum((D(p) for i, p, _ in c.onsite if i == item), Decimal(0))
            assert D(hb.item(CITY[short], item)["lost"]) == lost, (short, item)


def test_self_score_overclaim_flagged(hb: Run) -> None:
    tolerance = Decimal(5)
    flagged = set()
    for short, c in TRUTH.items():
        u = hb.units[CITY[short]]
        section_items = [i for i in u["items"] if i["section"] not in ("bonus", "penalty")]
        assert {i["id"]: D(i["self_score"]) for i in section_items} == {
            k: D(v) for k, v in c.self_scores.items()
        }
        self_total = sum((D(i["self_score"]) for i in section_items), Decimal(0))
        assessed = sum((D(i["score"]) for i in section_items), Decimal(0))
        assert D(u["self_total"]) == self_total
        assert u["self_flag"] == (self_total - assessed > tolerance), short
        if u["self_flag"]:
            flagged.add(short)
    assert set(md.OVERCLAIM) <= flagged
    for short in md.OVERCLAIM:
        assert D(hb.units[CITY[short]]["self_total"]) == 100
    assert "武汉" not in flagged and "黄冈" not in flagged
    high = {p["unit"] for p in hb.problems if p["code"] == "self-score-high"}
    assert high == {CITY[s] for s in flagged}


def test_committed_targets_table_is_the_generators(tmp_path: Path) -> None:
    md.main(["--targets", str(tmp_path / "t.xlsx")])
    assert (tmp_path / "t.xlsx").read_bytes() == TARGETS_XLSX.read_bytes()
