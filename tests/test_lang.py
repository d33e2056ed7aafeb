"""``--lang en``: the tool's own words in English in every rendered output; the data (unit names,
item titles, reasons, grade names) stays as it came."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import docx
import openpyxl
import pytest
from conftest import ROOT
from docx.oxml.ns import qn
from helpers import load_ok, make_inputs

from safescore.api import score
from safescore.history.store import HistoryStore
from safescore.render.docx.styles import S_H1, S_TITLE
from safescore.render.i18n import LANGS, MESSAGES, WORDS_EN, catalog, current_lang, use_lang

RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"
CJK = re.compile(r"[\u3400-\u9fff]")


def _score(run_cli, data: Path, out: Path, *extra: object) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code, stdout, _ = run_cli(
        "score", RUBRIC, data / "returns-2022Q1.xlsx", "--source", f"onsite={data / 'onsite-2022Q1.xlsx'}",
        "--period", "2022Q1", "-o", out, *extra,
    )  # fmt: skip
    return code, stdout


@pytest.fixture(scope="module")
def en_out(tmp_path_factory: pytest.TempPathFactory, gangcheng_data: Path) -> tuple[Path, str]:
    from typer.testing import CliRunner

    from safescore.cli.app import app

    out = tmp_path_factory.mktemp("en")
    args = [
        "score", str(RUBRIC), str(gangcheng_data / "returns-2022Q1.xlsx"),
        "--source", f"onsite={gangcheng_data / 'onsite-2022Q1.xlsx'}", "--period", "2022Q1",
        "-o", str(out / "out"), "--format", "table,json,xlsx,html,docx", "--letters", "--lang", "en",
        "--no-history",
    ]  # fmt: skip
    res = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"}).invoke(app, args)
    assert res.exit_code == 0, res.output
    return out / "out", res.stdout


@pytest.fixture(scope="module")
def units(en_out: tuple[Path, str]) -> list[str]:
    return [u["unit"] for u in json.loads((en_out[0] / "results.json").read_text("utf-8"))["units"]]


def test_catalogue_is_complete_and_placeholders_match() -> None:
    fields = string.Formatter()
    for key, pair in MESSAGES.items():
        assert len(pair) == len(LANGS) and all(pair), key
        names = [sorted(f for _, f, _, _ in fields.parse(text) if f) for text in pair]
        assert names[0] == names[1], key
    assert not any(CJK.search(v) for v in WORDS_EN.values())
    assert not any(CJK.search(pair[1]) for key, pair in MESSAGES.items())


def test_periods_dates_and_numbering_in_english() -> None:
    import datetime as dt

    en, zh = catalog("en"), catalog("zh")
    assert [en.period(p) for p in ("2022Q1", "2022-03", "2022H2", "2022")] == [
        "Q1 2022",
        "March 2022",
        "H2 2022",
        "2022",
    ]
    assert [zh.period(p) for p in ("2022Q1", "2022-03", "2022H2", "2022")] == [
        "2022年第一季度", "2022年3月", "2022年下半年", "2022年度",
    ]  # fmt: skip
    assert (
        en.date(dt.date(2022, 4, 15)) == "15 April 2022" and zh.date(dt.date(2022, 4, 15)) == "2022年4月15日"
    )
    assert (en.h1(3), en.h2(2), zh.h1(3), zh.h2(12)) == ("3. ", "(2) ", "三、", "（十二）")


def test_use_lang_sets_and_restores_the_current_language() -> None:
    assert current_lang() == "zh"
    with use_lang("en"):
        assert current_lang() == "en"
    assert current_lang() == "zh"
    with pytest.raises(ValueError):
        use_lang("fr").__enter__()


def test_word_bulletin_in_english(en_out: tuple[Path, str], units: list[str]) -> None:
    doc = docx.Document(str(en_out[0] / "bulletin.docx"))
    title = next(p.text for p in doc.paragraphs if p.style.name == S_TITLE.name)
    assert title.startswith("Notice of the Q1 2022 assessment results")
    headings = [p.text for p in doc.paragraphs if p.style.name == S_H1.name]
    assert headings[0] == "1. Rankings" and headings[-1].endswith("Next steps")
    assert not any(CJK.search(h) for h in headings)
    ranking = doc.tables[0]
    assert [c.text for c in ranking.rows[0].cells] == ["Rank", "Unit", "Total", "Grade", "Change", "Remarks"]
    names = [r.cells[1].text for r in ranking.rows[1:]]
    assert names and set(names) <= set(units)  # unit names unchanged
    body = "".join(t.text or "" for t in doc.element.body.iter(qn("w:t")))
    assert "Attachment 1" in body and "Next steps" in body and "考评排名情况" not in body


def test_word_letter_in_english(en_out: tuple[Path, str], units: list[str]) -> None:
    letters = sorted((en_out[0] / "letters").glob("*.docx"))
    assert len(letters) == 27
    doc = docx.Document(str(letters[0]))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Work safety assessment: feedback"
    assert texts[2].startswith("To ") and texts[2][3:-1] in units
    assert "1. Scores" in texts and "2. Points lost" in texts
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Section", "Points", "Score"]
    assert texts[3].startswith("In this assessment your unit scored")


def test_html_in_english(en_out: tuple[Path, str], units: list[str]) -> None:
    html = (en_out[0] / "bulletin.html").read_text("utf-8")
    assert '<html lang="en">' in html
    assert '<h2 class="hei">1. Assessment results</h2>' in html
    assert "<th>Rank</th>" in html and "考评结果" not in html and "附件" not in html
    assert all(u in html for u in units)
    letter = next((en_out[0] / "letters").glob("*.html")).read_text("utf-8")
    assert "work safety assessment: feedback" in letter and "Scores by section" in letter
    assert "各一级指标得分" not in letter


def test_xlsx_in_english(en_out: tuple[Path, str], units: list[str]) -> None:
    wb = openpyxl.load_workbook(en_out[0] / "results.xlsx")
    assert wb.sheetnames == ["Ranking", "Item scores", "Deductions", "Problems", "Validation", "About"]
    ws = wb["Ranking"]
    assert [c.value for c in ws[4]][:5] == ["Rank", "Unit", "Total", "Grade", "Change"]
    assert {ws.cell(row=r, column=2).value for r in range(5, 10)} <= set(units)
    assert wb["Deductions"]["A1"].value == "Unit"


def test_terminal_table_in_english(en_out: tuple[Path, str]) -> None:
    stdout = en_out[1]
    assert "Rank" in stdout and "Unit" in stdout and "Change" in stdout
    assert "排名" not in stdout


def test_report_re_renders_in_english(tmp_path: Path, gangcheng_data: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert _score(run_cli, gangcheng_data, tmp_path / "run", "--quiet")[0] == 0
    code, _, _ = run_cli(
        "report",
        tmp_path / "run" / "results.json",
        "--format",
        "html,xlsx",
        "-o",
        tmp_path / "rep",
        "--lang",
        "en",
    )
    assert code == 0
    assert '<html lang="en">' in (tmp_path / "rep" / "bulletin.html").read_text("utf-8")
    assert openpyxl.load_workbook(tmp_path / "rep" / "results.xlsx").sheetnames[0] == "Ranking"
    # Chinese stays the default
    code, _, _ = run_cli(
        "report", tmp_path / "run" / "results.json", "--format", "html", "-o", tmp_path / "zh"
    )
    assert '<html lang="zh-CN">' in (tmp_path / "zh" / "bulletin.html").read_text("utf-8")


def test_unknown_language_is_a_usage_error(tmp_path: Path, gangcheng_data: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert _score(run_cli, gangcheng_data, tmp_path / "o", "--lang", "fr")[0] == 2


ANNUAL_RUBRIC = """
rubric: lang-annual
title: 年度汇总测试
period: quarter
scale: 100
groups: [{id: dept, title: 区直部门}]
units: [{name: 甲局, group: dept}, {name: 乙局, group: dept}]
fields: {pts: {label: 得分, type: number, min: 0}}
sections:
  - id: s
    title: 得分
    points: 100
    items: [{id: s.pts, title: 得分, points: 100, rule: {kind: formula, expr: pts}}]
grades: [{name: 优秀, min: 90}, {name: 合格}]
annual: {combine: mean}
"""


def test_annual_in_english(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    rubric = load_ok(tmp_path, ANNUAL_RUBRIC)
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with HistoryStore(url) as store:
        for q, (a, b) in zip(
            ("2022Q1", "2022Q2", "2022Q3", "2022Q4"), ((95, 80), (91, 85), (90, 70), (99, 60)), strict=True
        ):
            store.save(score(rubric, make_inputs(rubric, {"甲局": {"pts": a}, "乙局": {"pts": b}}), q))
    out = tmp_path / "out"
    code, stdout, _ = run_cli(
        "annual",
        tmp_path / "r.yaml",
        "--year",
        "2022",
        "--db",
        url,
        "-o",
        out,
        "--format",
        "table,json,xlsx,html",
        "--lang",
        "en",
    )
    assert code == 0, stdout
    assert "Rank" in stdout and "甲局" in stdout
    html = (out / "bulletin.html").read_text("utf-8")
    assert '<html lang="en">' in html and "Notice of the 2022 assessment results" in html and "甲局" in html
    assert openpyxl.load_workbook(out / "results.xlsx").sheetnames[0] == "Ranking"
    assert current_lang() == "zh"  # the command's language does not leak
