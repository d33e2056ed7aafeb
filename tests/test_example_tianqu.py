"""The shipped Tianqu 天衢新区 安全生产“三化” example end to end through the CLI (SPEC 1, seed 001).

``safescore init DIR --example tianqu`` then ``safescore run DIR`` (config period 2023-11), once per
module. The facts asserted are the ones the seed states and the example reproduces: monthly
scoring of 9 quantified areas; each area's score combined from documents (资料, the units' returns),
supervision (督导, the weekly supervision team's deductions) and peer review (评议, the review
panel's mean scores); enterprises classified into the five colours 绿、蓝、黄、白、橙; a monthly
bulletin in Word and HTML.
"""

from __future__ import annotations

import json
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import ROOT, RunCli
from helpers import init_example, load_generator, run_project_cli

from safescore import load_rubric

PERIOD = "2023-11"
MONTHS = ("2023-09", "2023-10", "2023-11")
SOURCES = ("supervision", "review", "expert")
COLOURS = ("绿色", "蓝色", "黄色", "白色", "橙色")
COLOUR_MIN = {"绿色": 90, "蓝色": 80, "黄色": 70, "白色": 60, "橙色": 0}
AREAS = (
    "制度建设",
    "责任落实",
    "专项整治",
    "隐患排查治理",
    "分级分类监管",
    "监管执法",
    "宣传教育培训",
    "应急保障",
    "事故防控",
)
TITLE = "关于2023年11月天衢新区安全生产“三化”改革考评结果的通报"


md = load_generator("tianqu")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made by ``safescore init --example tianqu`` and run once (exit code checked)."""
    base = tmp_path_factory.mktemp("tianqu")
    env: dict[str, str | None] = {"SAFESCORE_DB": str(base / "history.db")}
    proj = init_example(base, "tianqu", env)
    code, output = run_project_cli(proj, env=env)
    assert code == 0, output
    return proj


@pytest.fixture(scope="module")
def results(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "out" / PERIOD / "results.json").read_text(encoding="utf-8"))
    return data


def unit(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next(u for u in results["units"] if u["unit"] == name)


def item(u: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(it for it in u["items"] if it["id"] == item_id)


def section(u: dict[str, Any], title: str) -> Decimal:
    return Decimal(str(next(s["score"] for s in u["sections"] if s["title"] == title)))


# --- init lays out three months of 资料, 督导, 评议 and 专家检查 ----------------------------------------


def test_init_files_three_months_by_source(project: Path) -> None:
    for month in MONTHS:
        returns = sorted(p.name for p in (project / "data" / month / "returns").iterdir())
        assert returns == [f"enterprises-{month}.xlsx", f"returns-{month}.xlsx"]
        for src in SOURCES:
            assert [p.name for p in (project / "data" / month / src).iterdir()] == [f"{src}-{month}.xlsx"]
    config = (project / "safescore.toml").read_text(encoding="utf-8")
    assert f'period = "{PERIOD}"' in config
    for src in SOURCES:
        assert f'{src} = "data/{{period}}/{src}"' in config


# --- monthly scoring of 9 areas -------------------------------------------------------------------


def test_monthly_scoring_of_nine_areas(project: Path, results: dict[str, Any]) -> None:
    rubric = load_rubric(project / "rubrics" / "tianqu-sanhua.yaml")
    assert rubric.period == "month" and results["period"] == PERIOD
    assert {g["id"]: g["size"] for g in results["groups"]} == {"dept": 12, "street": 12, "ent": 20}
    for u in results["units"]:
        assert u["status"] == "已报送" and u["rank"] >= 1 and u["grade"], u["unit"]
        if u["group"] != "ent":
            assert tuple(s["title"] for s in u["sections"]) == AREAS, u["unit"]
            assert sum(Decimal(str(s["points"])) for s in u["sections"]) == 100


def test_only_the_two_blank_cells_are_flagged(results: dict[str, Any]) -> None:
    problems = [
        (p["severity"], p["code"], p.get("unit")) for p in results["problems"] if p["severity"] != "info"
    ]
    assert sorted(problems) == [
        ("warning", "value-missing", "二屯镇"),  # 责任清单任务完成率 left blank
        ("warning", "value-missing", "天衢新区经济发展局"),  # 现场检查平台录入率 left blank
    ]
    missing = item(unit(results, "天衢新区经济发展局"), "enforce.platform")
    assert missing["score"] == 0 and missing["status"] == "missing" and "未填报" in missing["reason"]


# --- 资料 + 督导 + 评议 ------------------------------------------------------------------------------


def _row(path: Path, sheet: str, name: str, header: str) -> Any:
    """The cell under ``header`` (row 4 of the two-row header) in the row of unit ``name``."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    headers = [c.value for c in ws[4]]
    col = next(i for i, h in enumerate(headers) if h is not None and h.replace("\n", "") == header)
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[1] == name:
            return row[col]
    raise KeyError(name)


def _assessor_rows(path: Path, sheet: str, name: str, item_id: str, title: str) -> list[Any]:
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return [
        r[3]
        for r in ws.iter_rows(min_row=3, values_only=True)
        if r[1].strip() == name and r[2] in (item_id, title)
    ]


def test_area_score_combines_documents_supervision_and_review(project: Path, results: dict[str, Any]) -> None:
    """二屯镇, 三、专项整治 (15 points), worked by hand from the three workbooks of 2023-11.

    资料  检查家次 20 / 目标 25 → 4 × 20/25 = 3.20; 整改 5 / 6 = 83.33% → 3 − 0.1 × 16.67 = 1.33
    督导  5 − (2 + 1 + 0.5) = 1.50   (three findings in weeks 2 and 4)
    评议  2.29                        (the review panel's mean)
    专项整治 = 3.20 + 1.33 + 1.50 + 2.29 = 8.32
    """
    data = project / "data" / PERIOD
    returns = data / "returns" / f"returns-{PERIOD}.xlsx"
    checks = Decimal(_row(returns, "镇街", "二屯镇", "专项整治检查家次"))
    found = Decimal(_row(returns, "镇街", "二屯镇", "专项整治发现问题数(项)"))
    fixed = Decimal(_row(returns, "镇街", "二屯镇", "专项整治问题整改数(项)"))
    assert (checks, found, fixed) == (20, 6, 5)
    q = Decimal("0.01")
    docs_checks = (4 * checks / 25).quantize(q, ROUND_HALF_UP)  # targets.campaign_target 二屯镇: 25
    docs_fix = (3 - Decimal("0.1") * (1 - fixed / found) * 100).quantize(q, ROUND_HALF_UP)
    sup = _assessor_rows(
        data / "supervision" / f"supervision-{PERIOD}.xlsx",
        "督导扣分",
        "二屯镇",
        "campaign.sup",
        "专项整治督导",
    )
    rev = _assessor_rows(
        data / "review" / f"review-{PERIOD}.xlsx", "评议得分", "二屯镇", "campaign.rev", "专项整治评议"
    )
    assert sorted(Decimal(str(v)) for v in sup) == [Decimal("0.5"), 1, 2] and rev == [2.29]
    supervision = 5 - sum(Decimal(str(v)) for v in sup)
    review = Decimal(str(rev[0]))
    expected = docs_checks + docs_fix + supervision + review
    assert (docs_checks, docs_fix, supervision, review, expected) == (
        Decimal("3.20"),
        Decimal("1.33"),
        Decimal("1.5"),
        Decimal("2.29"),
        Decimal("8.32"),
    )
    u = unit(results, "二屯镇")
    assert section(u, "专项整治") == expected
    parts = {
        it["id"]: (Decimal(str(it["score"])), it["source"]["name"])
        for it in u["items"]
        if it["section"] == "campaign"
    }
    assert parts == {
        "campaign.checks": (docs_checks, "return"),
        "campaign.fix": (docs_fix, "return"),
        "campaign.sup": (supervision, "supervision"),
        "campaign.rev": (review, "review"),
    }
    assert "危化品专项整治问题清单未闭环销号2项" in item(u, "campaign.sup")["reason"]


def test_every_area_but_accidents_draws_on_all_three_sources(results: dict[str, Any]) -> None:
    for u in results["units"]:
        if u["group"] == "ent":
            continue
        by_section: dict[str, set[str]] = {}
        for it in u["items"]:
            by_section.setdefault(it["section"], set()).add(it["source"]["name"])
        assert by_section.pop("accident") == {"return"}
        assert by_section.pop("bonus") == by_section.pop("penalty") == {"return"}
        assert all(s == {"return", "supervision", "review"} for s in by_section.values()), u["unit"]
        points = {"return": Decimal(0), "supervision": Decimal(0), "review": Decimal(0)}
        for it in u["items"]:
            if it["points"] is not None:
                points[it["source"]["name"]] += Decimal(str(it["points"]))
        assert points == {"return": 50, "supervision": 30, "review": 20}  # 资料50 + 督导30 + 评议20


def test_unit_without_supervision_findings_keeps_full_supervision_points(results: dict[str, Any]) -> None:
    u = unit(results, md.NO_SUPERVISION)
    sup = [it for it in u["items"] if it["source"]["name"] == "supervision"]
    assert len(sup) == 8 and all(it["score"] == it["points"] for it in sup)


# --- five colours --------------------------------------------------------------------------------


def test_enterprises_classified_into_five_colours(results: dict[str, Any]) -> None:
    ents = [u for u in results["units"] if u["group"] == "ent"]
    assert len(ents) == 20
    assert {u["grade"] for u in ents} == set(COLOURS)
    for u in ents:
        by_score = next(c for c in COLOURS if Decimal(str(u["total"])) >= COLOUR_MIN[c])
        if not u["vetoes"]:
            assert u["grade"] == by_score, u["unit"]


def test_accident_makes_orange_and_major_hazard_caps_at_white(results: dict[str, Any]) -> None:
    accident = unit(results, md.ENT_ACCIDENT[PERIOD])
    assert accident["vetoes"] == ["v.ent_accident"]
    assert Decimal(str(accident["total"])) >= 70 and accident["grade"] == "橙色"  # 黄色 by score
    major = unit(results, md.ENT_MAJOR_OPEN[PERIOD])
    assert major["vetoes"] == ["v.ent_major"]
    assert Decimal(str(major["total"])) >= 70 and major["grade"] == "白色"  # 黄色 by score
    assert item(major, "ent.major")["score"] == 0


def test_fatal_accident_caps_a_street_at_yiban(results: dict[str, Any]) -> None:
    u = unit(results, md.FATAL[PERIOD])
    assert u["vetoes"] == ["v.death"]
    assert Decimal(str(u["total"])) >= 80 and u["grade"] == "一般"  # 良好 by score


# --- the monthly bulletin ------------------------------------------------------------------------


def test_monthly_bulletin_in_word_and_html(project: Path, results: dict[str, Any]) -> None:
    out = project / "out" / PERIOD
    html = (out / "bulletin.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(out / "bulletin.docx") as z:
        body = z.read("word/document.xml").decode("utf-8")
    for text in ("天衢新区安全生产委员会办公室", "企业（五色分级）", *COLOURS):
        assert text in html and text in body, text
    assert TITLE in html
    assert "2023年11月" in body and "通报" in body
    for g in results["groups"]:
        if g["id"] == "ent":
            assert g["callouts"] == {"top": [], "bottom": []}
            continue
        ranking = g["ranking"]
        assert g["callouts"] == {"top": ranking[:3], "bottom": ranking[-3:]}
        for name in ranking[:3] + ranking[-3:]:
            assert name in html and name in body


# --- the mess of real returns (SPEC 4.4) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field", "raw", "value"),
    [
        ("天衢新区应急管理局", "leader_checks", "３", 3),  # full-width digit
        ("天衢新区交通运输局", "campaign_checks", "26", 26),  # number stored as text
        ("天衢新区消防救援大队", "supplies_ok", "√", True),
        ("长河街道", "supplies_ok", "×", False),
        ("天衢新区教育和体育局", "supplies_ok", "有", True),
        ("天衢新区卫生健康局", "tasks_late", "无", 0),  # 无 in a blank: zero field
        ("天衢新区综合行政执法局", "weekly_missed", None, 0),  # blank in a blank: zero field
        ("天衢新区商务局", "first_lessons", "/", 0),
        ("宋官屯街道", "train_rate", "0.975", 0.975),  # name written with a trailing space
        ("袁桥镇", "platform_rate", "76.3%", 0.763),  # name written as 袁桥镇人民政府
        ("德州恒润精细化工有限公司", "hazards_found", "１５", 15),
        ("德州长河路桥工程有限公司", "train_rate", 1.0, 1),  # name wrapped onto two lines
        ("德州袁桥木业有限公司", "selfcheck_ok", "×", False),
        ("德州黄河涯纺织有限公司", "risk_level", "一般风险 ", "一般风险"),
    ],
)
def test_messy_cells_read_clean(results: dict[str, Any], name: str, field: str, raw: Any, value: Any) -> None:
    seen = [i for it in unit(results, name)["items"] for i in it["inputs"] if i["field"] == field]
    assert seen, (name, field)
    assert seen[0]["raw"] == raw and seen[0]["value"] == value, seen[0]


def test_names_as_written_in_the_sheets_resolve(project: Path, results: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(project / "data" / PERIOD / "returns" / f"returns-{PERIOD}.xlsx")
    written = {c.value for ws in (wb["区直部门"], wb["镇街"]) for c in ws["B"]}
    for name, as_written in md.NAME_AS_WRITTEN.items():
        if unit(results, name)["group"] != "ent":
            assert as_written in written, name


def test_check_passes_without_warnings(run_cli: RunCli) -> None:
    code, out, _ = run_cli("check", ROOT / "rubrics" / "tianqu-sanhua.yaml")
    assert code == 0 and "未发现问题" in out
