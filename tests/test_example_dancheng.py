"""The shipped Dancheng 双重预防 example end to end through the CLI (SPEC 1, seed 003).

``safescore init DIR --example dancheng`` then ``safescore run`` (2019H1, 2019H2 and the year):
the veto blocks certification (a vetoed enterprise is 列入黑名单 whatever its score), the
blacklist is listed in results.json and in the bulletin, 示范 enterprises are commended, and
item scores derived from the two ledgers (隐患排查治理台账, 执法检查“逢查必考”记录) match a hand
computation. The generator (examples/dancheng/make_data.py) is imported for its ground truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
from helpers import init_example, load_generator, run_project_cli

md = load_generator("dancheng")
SEED = 2019  # the generator's default, used by init
BLACKLIST = "列入黑名单"
ISSUED = "1563148800"  # SOURCE_DATE_EPOCH: 2019-07-15, so the 文号 reads 郸安办〔2019〕1号


def half_up(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Period:
    results: dict[str, Any]
    out: Path

    def unit(self, name: str) -> dict[str, Any]:
        return next(u for u in self.results["units"] if u["unit"] == name)

    def item(self, unit: str, item_id: str) -> dict[str, Any]:
        return next(i for i in self.unit(unit)["items"] if i["id"] == item_id)

    def bulletin_text(self) -> str:
        """Every paragraph and table cell of bulletin.docx, one per line."""
        doc = docx.Document(str(self.out / "bulletin.docx"))
        lines = [p.text for p in doc.paragraphs]
        for t in doc.tables:
            for row in t.rows:
                lines.append(" | ".join(c.text for c in row.cells))
        return "\n".join(lines)


@dataclass
class Project:
    root: Path
    run_code: int
    run_output: str

    def period(self, p: str) -> Period:
        out = self.root / "out" / p
        return Period(json.loads((out / "results.json").read_text(encoding="utf-8")), out)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """``safescore init DIR --example dancheng`` and one bare ``safescore run`` in it."""
    env: dict[str, str | None] = {"SOURCE_DATE_EPOCH": ISSUED, "SAFESCORE_DB": None}
    root = init_example(tmp_path_factory.mktemp("dancheng"), "dancheng", env)
    yield Project(root, *run_project_cli(root, env=env))


@pytest.fixture(scope="module")
def h1(project: Project) -> Period:
    return project.period("2019H1")


@pytest.fixture(scope="module")
def h2(project: Project) -> Period:
    return project.period("2019H2")


# --- init and run ---------------------------------------------------------------------------------


def test_init_lays_out_both_halves_and_run_is_clean(project: Project) -> None:
    for p in ("2019H1", "2019H2"):
        for folder, name in (("returns", "returns"), ("hazards", "hazards"), ("inspections", "inspections")):
            got = sorted(f.name for f in (project.root / "data" / p / folder).iterdir())
            assert got == [f"{name}-{p}.xlsx"], folder
    config = (project.root / "safescore.toml").read_text(encoding="utf-8")
    # the two ledgers are the rubric's record lists, named in [sources] like assessor sheets
    assert (
        'hazards = "data/{period}/hazards"' in config
        and 'inspections = "data/{period}/inspections"' in config
    )
    assert 'period = "2019H1"' in config and 'year = "2019"' in config
    assert project.run_code == 0, project.run_output
    for folder in ("2019H1", "2019H2", "2019-annual"):
        out = project.root / "out" / folder
        for name in ("results.json", "results.xlsx", "bulletin.docx", "bulletin.html", "manifest.json"):
            assert (out / name).is_file(), (folder, name)
    assert len(list((project.root / "out" / "2019H1" / "letters").glob("*.docx"))) == 30
    assert "郸安办〔2019〕1号" in (project.root / "out" / "2019H1" / "bulletin.html").read_text(
        encoding="utf-8"
    )


def test_ledgers_are_read_as_record_lists(h1: Period) -> None:
    layouts = {Path(f["path"]).name: f["layout"] for f in h1.results["inputs"]}
    assert layouts == {
        "returns-2019H1.xlsx": "table",
        "hazards-2019H1.xlsx": "records",
        "inspections-2019H1.xlsx": "records",
    }
    codes = {p["code"] for p in h1.results["problems"] if p["severity"] == "error"}
    assert codes == set()


# --- the veto blocks certification ---------------------------------------------------------------


def test_veto_forces_the_failing_grade_whatever_the_score(h1: Period) -> None:
    """恒信化工 scores 88.89 (验收通过 by the grade table) but its 重大事故隐患 found 2019-03-12,
    due 2019-05-31, is still open on 30 June: 列入黑名单, no 标准化 certification."""
    u = h1.unit(md.VETO_MAJOR_UNIT)
    assert u["vetoes"] == ["v.major"]
    assert u["veto_details"][0]["effect"] == "fail"
    assert Decimal(str(u["total"])) == Decimal(str(u["total_before_veto"])) == Decimal("88.89")
    # by score alone: ≥ 75 is 验收通过 (and below 90, not 示范)
    assert Decimal("75") <= Decimal(str(u["total"])) < Decimal("90")
    assert u["grade"] == BLACKLIST
    assert u["rank"] == 4  # still ranked on its score
    # the veto is traced to the ledger row
    major = h1.item(md.VETO_MAJOR_UNIT, "hz.major")
    assert major["score"] == 0 and major["value"] == 1
    assert "2019-03-12" in major["evidence"][0] and "整改期限2019-05-31" in major["evidence"][0]
    assert "隐患等级重大" in major["evidence"][0] and "整改状态未整改" in major["evidence"][0]


def test_every_vetoed_unit_is_blacklisted(h1: Period, h2: Period) -> None:
    for period in (h1, h2):
        vetoed = [u for u in period.results["units"] if u["vetoes"]]
        assert vetoed
        for u in vetoed:
            assert u["grade"] == BLACKLIST, u["unit"]


def test_vetoes_follow_the_ledgers_across_halves(h1: Period, h2: Period) -> None:
    got = {
        p: {u["unit"]: u["vetoes"] for u in r.results["units"] if u["vetoes"]}
        for p, r in (("H1", h1), ("H2", h2))
    }
    assert got["H1"] == {
        md.VETO_MAJOR_UNIT: ["v.major"],
        md.NOT_BUILT_UNIT: ["v.notbuilt", "v.cases"],
    }
    # 恒信 fixed its 重大隐患 on 2019-08-20; 东方家具's second 立案查处 (2019-09-10) makes two this
    # year; 华康's two cases of the first half still count (ytd); 鑫源商砼 had a fatal accident
    assert got["H2"] == {
        md.NOT_BUILT_UNIT: ["v.cases"],
        md.ONE_CASE_UNIT: ["v.cases"],
        md.DEATH_UNIT: ["v.death"],
    }


def test_annual_carries_any_veto(project: Project) -> None:
    year = project.period("2019-annual")
    blacklisted = {u["unit"] for u in year.results["units"] if u["grade"] == BLACKLIST}
    assert {md.VETO_MAJOR_UNIT, md.NOT_BUILT_UNIT, md.ONE_CASE_UNIT, md.DEATH_UNIT} <= blacklisted


# --- the blacklist --------------------------------------------------------------------------------

H1_BLACKLIST = {
    md.VETO_MAJOR_UNIT,  # veto: 重大事故隐患逾期未整改 (score 88.89)
    md.NOT_BUILT_UNIT,  # veto: 该建不建 + two 立案查处
    "郸城县汲冢加油站",  # 52.05 < 60
    "郸城县绿源秸秆综合利用有限公司",  # 33.45 < 60
}


def test_blacklist_is_score_below_60_or_a_veto(h1: Period) -> None:
    got = {u["unit"] for u in h1.results["units"] if u["grade"] == BLACKLIST}
    expected = {u["unit"] for u in h1.results["units"] if u["vetoes"] or Decimal(str(u["total"])) < 60}
    assert got == expected == H1_BLACKLIST


def test_ladder_escalates_from_interview_to_blacklist(h1: Period, h2: Period) -> None:
    def step(period: Period, unit: str) -> list[tuple[str, int, list[str]]]:
        return [
            (w["action"], w["count"], [r["values"]["date"] for r in w["records"]])
            for w in period.unit(unit)["warning_details"]
            if w["id"] == "l.cases"
        ]

    assert step(h1, md.NOT_BUILT_UNIT) == [("纳入失信行为“黑名单”管理", 2, ["2019-03-20", "2019-05-28"])]
    assert step(h1, md.ONE_CASE_UNIT) == [("约谈企业主要负责人并限期整改", 1, ["2019-04-16"])]
    assert step(h2, md.ONE_CASE_UNIT) == [("纳入失信行为“黑名单”管理", 2, ["2019-04-16", "2019-09-10"])]
    assert h1.unit(md.ONE_CASE_UNIT)["grade"] == "限期整改"  # 约谈 only: 63.27, no veto yet
    assert h2.unit(md.ONE_CASE_UNIT)["grade"] == BLACKLIST
    assert h1.unit(md.NOT_BUILT_UNIT)["warnings"] == ["l.cases:纳入失信行为“黑名单”管理"]


def test_bulletin_lists_the_blacklist(h1: Period) -> None:
    text = h1.bulletin_text()
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if line.count(" | ") >= 4}
    for unit in H1_BLACKLIST:
        assert BLACKLIST in rows[unit], unit  # the ranking table's 等次 column
    for unit in set(rows) - H1_BLACKLIST:
        assert BLACKLIST not in rows[unit], unit
    assert f"{md.VETO_MAJOR_UNIT}（重大事故隐患逾期未整改）" in text  # 一票否决
    assert f"{md.NOT_BUILT_UNIT}（因“双重预防”建设不力被立案查处（纳入失信行为“黑名单”管理））" in text
    assert f"{md.ONE_CASE_UNIT}（因“双重预防”建设不力被立案查处（约谈企业主要负责人并限期整改））" in text
    html = (h1.out / "bulletin.html").read_text(encoding="utf-8")
    for unit in H1_BLACKLIST:
        assert unit in html
    assert html.count(BLACKLIST) >= len(H1_BLACKLIST)


def test_demonstration_enterprises_are_commended(h1: Period) -> None:
    demo = {u["unit"] for u in h1.results["units"] if u["grade"] == "示范"}
    assert demo == {
        "郸城县福星烟花爆竹批发有限公司",
        "中国石化郸城城关加油站",
        "郸城县鑫达化工有限公司",
        "国能郸城生物发电有限公司",
        "郸城财鑫糖业有限责任公司",
        "河南金丹乳酸科技股份有限公司",
        "河南天豫薯业股份有限公司",
    }
    assert all(Decimal(str(h1.unit(n)["total"])) >= 90 and not h1.unit(n)["vetoes"] for n in demo)
    text = h1.bulletin_text()
    praised = next(line for line in text.splitlines() if all(unit in line for unit in demo))  # 予以表扬
    for unit in demo:
        assert unit in praised
    assert md.VETO_MAJOR_UNIT not in praised
    # a first-batch 示范企业 that slipped is not commended
    assert md.BY_NAME["郸城县丰源面业有限公司"].demo and "郸城县丰源面业有限公司" not in praised


# --- hand-computed item scores ---------------------------------------------------------------------


def test_rectification_rate_from_the_ledger_by_hand(h1: Period) -> None:
    """宏源液化气, 2019H1: 11 hazards in the 隐患排查治理台账, 10 fixed by 30 June.
    90.9091% → 9.0909 points short × 0.5 = 4.5455 lost → 8 − 4.5455 = 3.4545 → 3.45."""
    unit = "郸城县宏源液化气有限公司"
    end = date(2019, 6, 30)
    mine = [h for h in md.hazards_until(end, SEED) if h.unit == unit and h.found >= date(2019, 1, 1)]
    assert len(mine) == 11
    assert sum(1 for h in mine if h.status_at(end) == "已整改") == 10
    expected = half_up(Decimal(8) - Decimal("0.5") * (1 - Decimal(10) / Decimal(11)) * 100)
    assert expected == Decimal("3.45")
    it = h1.item(unit, "hz.rate")
    assert Decimal(str(it["score"])) == expected
    assert it["reason"] == "隐患整改率90.9091%，低于100%要求9.0909个百分点，每个百分点扣0.5分，扣4.55分"


def test_exam_pass_rate_from_the_inspection_records_by_hand(h1: Period) -> None:
    """恒信化工, 2019H1 “逢查必考”: 13 of 14 staff tested passed → 92.8571%;
    6 − 0.15 × 7.1429 = 4.9286 → 4.93."""
    end = date(2019, 6, 30)
    mine = [x for x in md.inspections_until(end, SEED) if x.unit == md.VETO_MAJOR_UNIT]
    tested, passed = sum(x.tested for x in mine), sum(x.passed for x in mine)
    assert (tested, passed) == (14, 13)
    expected = half_up(Decimal(6) - Decimal("0.15") * (1 - Decimal(passed) / Decimal(tested)) * 100)
    assert expected == Decimal("4.93")
    assert Decimal(str(h1.item(md.VETO_MAJOR_UNIT, "edu.exam")["score"])) == expected


def test_ledger_beats_the_self_report(h1: Period) -> None:
    """东方家具 reports every hazard fixed (11); the ledger says 9: the ledger's count is used."""
    hits = [
        p
        for p in h1.results["problems"]
        if p["code"] == "derived-differs" and p["unit"] == md.ONE_CASE_UNIT and p["field"] == "hazards_fixed"
    ]
    assert [(h["value"], h["expected"]) for h in hits] == [("11", "9")]
    end = date(2019, 6, 30)
    mine = [h for h in md.hazards_until(end, SEED) if h.unit == md.ONE_CASE_UNIT]
    assert (len(mine), sum(1 for h in mine if h.status_at(end) == "已整改")) == (11, 9)
    assert h1.item(md.ONE_CASE_UNIT, "hz.rate")["value"] == pytest.approx(9 / 11, abs=1e-6)


def test_not_built_unit_scores_zero_on_what_it_left_blank(h1: Period) -> None:
    u = h1.unit(md.NOT_BUILT_UNIT)
    missing = [i for i in u["items"] if i["status"] == "missing"]
    assert {i["id"] for i in missing} >= {"risk.cover", "ctrl.measures", "info.platform", "edu.train"}
    assert all(i["score"] == 0 and "未填报" in i["reason"] for i in missing)
