"""The shipped Qingdao example end to end (seed 004; SPEC 1, 3.5, 3.6, 4.4).

``safescore init --example qingdao`` builds the project, ``safescore run --period P`` scores each
2022 quarter into the project's history, ``safescore annual`` rolls the year up. The tests then
check the seed's facts against the generator's scripted ledger (examples/qingdao/make_data.py):
the workload/risk coefficients, the 较大 accident veto, the two warning notices and what their
penalties do to the quarter and to the year. Numbers in the comments are worked by hand from
rubrics/qingdao-kaohe.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import init_example, invoke_cli, load_generator, run_project_cli

from safescore import load_rubric, read_inputs
from safescore.inputs.model import Inputs
from safescore.results.annual import round_half_up
from safescore.results.load import load_result
from safescore.results.model import Result, UnitResult

QUARTERS = ["2022Q1", "2022Q2", "2022Q3", "2022Q4"]
SEED = 2022


md = load_generator("qingdao")


@dataclass
class Project:
    root: Path
    periods: dict[str, Result]
    annual: Result
    exits: dict[str, int]

    def unit(self, period: str, name: str) -> UnitResult:
        return (self.annual if period == "2022" else self.periods[period]).unit(name)


@pytest.fixture(scope="module")
def qd(tmp_path_factory: pytest.TempPathFactory) -> Project:
    base = tmp_path_factory.mktemp("qingdao")
    db = base / "history.db"
    env: dict[str, str | None] = {"SAFESCORE_DB": str(db)}
    root = init_example(base, "qingdao", env)
    exits = {p: run_project_cli(root, "--period", p, "--quiet", env=env)[0] for p in QUARTERS}
    rubric = root / "rubrics" / "qingdao-kaohe.yaml"
    annual = ("annual", rubric, "--year", "2022", "--db", db, "-o", base / "annual", "--quiet")
    exits["2022"] = invoke_cli(*annual, env=env)[0]
    periods = {p: load_result(root / "out" / p / "results.json") for p in QUARTERS}
    return Project(root, periods, load_result(base / "annual" / "results.json"), exits)


@pytest.fixture(scope="module")
def q2_inputs(qd: Project) -> Inputs:
    rubric = load_rubric(qd.root / "rubrics" / "qingdao-kaohe.yaml")
    data = qd.root / "data" / "2022Q2"
    return read_inputs(
        rubric,
        [data / "returns"],
        {"supervise": [data / "supervise"], "accidents": [data / "accidents"]},
        period="2022Q2",
        jobs=1,
    )


def _dates(hit: Any) -> list[str]:
    return [str(dict(r.values)["date"]) for r in hit.records]


def _ledger_row(period: str, unit: str, day: date) -> int:
    """The sheet row the generator wrote this accident on in ``period``'s ledger snapshot."""
    _, end = md.quarter_bounds(period)
    rows = md.ledger_until(SEED, end)
    return 4 + next(i for i, a in enumerate(rows) if (a.unit, a.day) == (unit, day))


# --- the whole year runs ------------------------------------------------------------------------


def test_every_quarter_and_the_year_run_clean(qd: Project) -> None:
    assert qd.exits == {"2022Q1": 0, "2022Q2": 0, "2022Q3": 0, "2022Q4": 0, "2022": 0}
    for p, res in qd.periods.items():
        assert res.period == p and res.errors == [] and res.not_submitted == ()
        assert sorted(u.unit for u in res.units) == sorted(md.NAMES)
        assert not [x for x in res.problems if x.code in ("warning-no-history", "warning-not-judged")]
        for name in ("bulletin.docx", "bulletin.html", "results.xlsx"):
            assert (qd.root / "out" / p / name).is_file()
    assert qd.annual.period == "2022"
    assert [s.id for s in qd.annual.unit("市南区").sections] == QUARTERS


# --- differentiated scoring by workload and risk (差异化考核) -----------------------------------


def test_same_raw_figures_score_differently_by_coefficient(qd: Project) -> None:
    west, south = qd.unit("2022Q2", "西海岸新区"), qd.unit("2022Q2", "市南区")
    # identical raw figures: 330 inspections each, 2 general accidents without deaths each
    for u in (west, south):
        assert u.item("law.inspect").inputs[0].value == 330
        assert {i.field: i.value for i in u.item("acc.count").inputs}["accidents"] == 2
        assert u.item("acc.deaths").score == 12  # no deaths: full marks
    # 执法检查: target 300 × workload; 每少20家次扣1分 (per 0.05)
    #   西海岸新区 300 × 1.30 = 390, short 60 → 8 − 3 = 5;  市南区 300 × 0.90 = 270 → 8
    assert west.item("law.inspect").score == Decimal(5)
    assert "目标390家次" in west.item("law.inspect").reason
    assert south.item("law.inspect").score == Decimal(8)
    # 事故起数: 8 − 2 × accidents ÷ risk
    #   西海岸新区 8 − 4/1.40 = 5.142857… → 5.14;  市南区 8 − 4/0.85 = 3.294117… → 3.29
    assert west.item("acc.count").score == Decimal("5.14")
    assert south.item("acc.count").score == Decimal("3.29")
    assert west.item("acc.count").score == round_half_up(8 - Fraction(4) / Fraction("1.40"), 2)
    assert south.item("acc.count").score == round_half_up(8 - Fraction(4) / Fraction("0.85"), 2)
    assert "折算为1.4286起" in west.item("acc.count").reason
    # the same 处罚率 (30/330 = 9.09%) scores the same: the coefficients touch only their items
    assert west.item("law.cases").score == south.item("law.cases").score == 6


def test_deaths_are_discounted_by_risk_too(qd: Project) -> None:
    # 2022Q3: 莱西市's 较大 accident killed 3 (written ３ in the ledger): 12 − 4 × 3/1.10 = 1.0909… → 1.09
    assert qd.unit("2022Q3", "莱西市").item("acc.deaths").score == Decimal("1.09")
    # 即墨区: 2 deaths, risk 1.10: 12 − 8/1.10 = 4.7272… → 4.73
    assert qd.unit("2022Q3", "即墨区").item("acc.deaths").score == Decimal("4.73")


# --- one-vote veto for a 较大 accident -----------------------------------------------------------


def test_major_accident_vetoes_the_quarter_and_the_year(qd: Project) -> None:
    u = qd.unit("2022Q3", "莱西市")
    assert [(v.id, v.effect) for v in u.vetoes] == [("v.major", "fail")]
    assert u.total == u.total_before_veto >= 60  # fail keeps the score (合格 on points) …
    assert u.grade == "不合格"  # … but takes the lowest grade
    vetoed = {(p, x.unit) for p, res in qd.periods.items() for x in res.units if x.vetoes}
    assert vetoed == {("2022Q3", "莱西市")}
    year = qd.unit("2022", "莱西市")
    assert [v.id for v in year.vetoes] == ["v.major"] and "2022Q3" in year.vetoes[0].title
    assert year.total >= 60 and year.grade == "不合格"


# --- warning notices from the accident ledger ------------------------------------------------------

EXPECTED_WARNINGS = {
    "2022Q1": {},
    "2022Q2": {"西海岸新区": ("w.60d",)},
    "2022Q3": {"即墨区": ("w.yoy",)},
    "2022Q4": {},
}


@pytest.mark.parametrize("period", QUARTERS)
def test_only_the_scripted_warnings_are_issued(qd: Project, period: str) -> None:
    got = {u.unit: u.warnings for u in qd.periods[period].units if u.warnings}
    assert got == EXPECTED_WARNINGS[period]


def test_sixty_day_warning_lists_its_accidents(qd: Project) -> None:
    u = qd.unit("2022Q2", "西海岸新区")
    (hit,) = u.warning_details
    assert (hit.id, hit.kind, hit.penalty) == ("w.60d", "warning", Decimal(5))
    assert _dates(hit) == ["2022-04-18", "2022-05-27"]
    assert "60天内发生2起（2022-04-18、2022-05-27）" in hit.reason
    rows = [
        _ledger_row("2022Q2", "西海岸新区", date(2022, 4, 18)),
        _ledger_row("2022Q2", "西海岸新区", date(2022, 5, 27)),
    ]
    assert [(r.sheet, r.row, r.cell) for r in hit.records] == [("生产安全事故台账", n, f"B{n}") for n in rows]
    assert all(Path(str(r.file)).name == "accidents-2022Q2.xlsx" for r in hit.records)
    # written 黄岛区 and with the dates as 2022.4.18 and 2022年5月27日, still this district's
    assert md.LEDGER_NAME_AS_WRITTEN["西海岸新区"] == "黄岛区"
    assert [dict(r.values)["level"] for r in hit.records] == ["一般", "一般"]


def test_sixty_one_days_is_a_near_miss(qd: Project) -> None:
    pairs = {
        u: sorted(a.day for a in md.SCRIPTED if a.unit == u and a.day.year == 2022)
        for u in ("城阳区", "即墨区")
    }
    assert {u: (d[1] - d[0]).days for u, d in pairs.items()} == {"城阳区": 61, "即墨区": 61}
    assert "w.60d" not in qd.unit("2022Q3", "城阳区").warnings
    assert qd.unit("2022Q3", "城阳区").warnings == ()
    assert "w.60d" not in qd.unit("2022Q3", "即墨区").warnings


def test_year_on_year_warning(qd: Project) -> None:
    u = qd.unit("2022Q3", "即墨区")
    (hit,) = u.warning_details
    assert (hit.id, hit.penalty) == ("w.yoy", Decimal(5))
    assert _dates(hit) == ["2022-07-01", "2022-08-31"]
    assert "2022年7月起数1（上年同月0），死亡人数1（上年同月0）" in hit.reason
    assert "2022年8月起数1（上年同月0），死亡人数1（上年同月0）" in hit.reason
    # the ledger really holds 2021, and nothing for 即墨区 in July or August of it
    ledger = md.ledger_until(SEED, date(2022, 9, 30))
    assert min(a.day for a in ledger) < date(2021, 2, 1)
    assert not [a for a in ledger if a.unit == "即墨区" and a.day.year == 2021 and a.day.month in (7, 8)]


@pytest.mark.parametrize(
    ("period", "unit", "wid"), [("2022Q2", "西海岸新区", "w.60d"), ("2022Q3", "即墨区", "w.yoy")]
)
def test_warning_penalty_counts_in_the_quarter(qd: Project, period: str, unit: str, wid: str) -> None:
    u = qd.unit(period, unit)
    line = u.item(wid)
    assert (line.section, line.score, line.rule) == ("penalty", Decimal(5), "warning")
    others = [it.score for it in u.items if it.section == "penalty" and it.id != wid]
    assert others and all(s == 0 for s in others)  # the generator pins no other 减分 here
    assert u.penalty == Decimal(5)
    sections = sum((s.score for s in u.sections), Decimal(0))
    assert u.total == sections + u.bonus - Decimal(5)


def test_warning_penalty_counts_in_the_year(qd: Project) -> None:
    """annual: {combine: mean}: the year is the mean of the four quarter totals, half-up."""
    for unit in ("西海岸新区", "即墨区"):
        quarters = [qd.unit(p, unit).total for p in QUARTERS]
        year = qd.unit("2022", unit)
        assert [s.score for s in year.sections] == quarters
        assert year.total == round_half_up(Fraction(sum(quarters)) / 4, 2)
        # without the notice that quarter would have been 5 higher, and the year 5 / 4 = 1.25 higher
        spared = round_half_up((Fraction(sum(quarters)) + 5) / 4, 2)
        assert spared - year.total == Decimal("1.25")
    # worked by hand: 西海岸新区 (81.79 + 81.58 + 85.98 + 91.63) / 4 = 340.98 / 4 = 85.245 → 85.25
    assert [qd.unit(p, "西海岸新区").total for p in QUARTERS] == [
        Decimal("81.79"),
        Decimal("81.58"),
        Decimal("85.98"),
        Decimal("91.63"),
    ]
    assert qd.unit("2022", "西海岸新区").total == Decimal("85.25")


def test_bulletin_names_the_veto_and_the_warning(qd: Project) -> None:
    html = (qd.root / "out" / "2022Q3" / "bulletin.html").read_text(encoding="utf-8")
    assert "一票否决" in html and "莱西市" in html
    assert "即墨区" in html and "事故起数和死亡人数连续2个月同比上升" in html


# --- the mess of real returns (SPEC 4.4) ---------------------------------------------------------


def _clean(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


@pytest.mark.parametrize(("unit", "fld"), list(md.MESS), ids=[f"{u}-{f}" for u, f in md.MESS])
def test_messy_cells_read_clean(q2_inputs: Inputs, unit: str, fld: str) -> None:
    truth = {u.name: u for u in md.build_units("2022Q2", SEED)}[unit].values[fld]
    fv = q2_inputs.returns[unit].values[fld]
    assert fv.invalid is None
    assert fv.value == _clean(truth), (fv.raw, fv.value, truth)


def test_names_and_ledger_read_through_the_mess(q2_inputs: Inputs) -> None:
    assert sorted(q2_inputs.returns) == sorted(md.NAMES)  # 黄岛区（西海岸新区）, 即墨\n区, … resolved
    recs = q2_inputs.records["accidents"]
    _, end = md.quarter_bounds("2022Q2")
    truth = md.ledger_until(SEED, end)
    assert [(r.unit, r.values["date"], r.values["deaths"]) for r in recs] == [
        (a.unit, a.day, Decimal(a.deaths)) for a in truth
    ]
    assert not [p for p in q2_inputs.report if p.severity == "error"]


def test_misreported_accidents_give_way_to_the_ledger(qd: Project) -> None:
    res = qd.periods["2022Q2"]
    hits = [p for p in res.problems if p.code == "derived-differs"]
    assert [(p.unit, p.field, p.value, p.expected) for p in hits] == [("平度市", "accidents", "0", "1")]
    acc = {i.field: i.value for i in res.unit("平度市").item("acc.count").inputs}
    assert acc["accidents"] == 1
