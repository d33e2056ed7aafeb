"""results.xlsx (SPEC 5, 9): sheets, content read back with openpyxl, no formula injection, reproducible bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import load_ok, make_inputs
from openpyxl.worksheet.worksheet import Worksheet

from safescore import Problem, Result
from safescore.api import score
from safescore.render.xlsx import risky, write_results_xlsx, write_validation_xlsx

SHEET_NAMES = ["排名", "得分明细", "扣分说明", "问题清单", "数据校验", "说明"]
HYPERLINK = '=HYPERLINK("http://x","y")'
CMD = "+cmd|' /C calc'!A0"
LONG = "安" * 150 + "x" * 50  # 200 characters
SCRIPT = "<script>alert(1)</script>"
ONSITE_REASON = "-2+3 抽查发现消防通道堵塞"
EPOCH = 1_650_000_000


@pytest.fixture(scope="module")
def gangcheng(gangcheng_result: Result) -> Result:
    return gangcheng_result


@pytest.fixture(scope="module")
def gangcheng_book(gangcheng: Result, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "results.xlsx"
    manifest = {"inputs": [{"path": "returns.xlsx", "sha256": "ab" * 32}]}
    write_results_xlsx(gangcheng, path, manifest=manifest)
    return openpyxl.load_workbook(path)


def rows(ws: Worksheet, start: int = 1) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(min_row=start, values_only=True)]


def table(ws: Worksheet) -> list[dict[str, Any]]:
    """Rows of a one-header-row sheet as dicts keyed by header."""
    head, *body = rows(ws)
    return [dict(zip(head, r, strict=True)) for r in body]


def expected_deductions(result: Result) -> list[tuple[str, str, str | None, D]]:
    """(unit, item, source cell, lost) of every item that cost points, was not scored normally, or is a 减分."""
    out = []
    for g in result.groups:
        for u in result.group_units(g.id):
            for it in u.items:
                lost = it.score if it.section == "penalty" else it.lost
                if lost > 0 or it.status != "ok":
                    out.append((u.unit, it.id, it.source.cell, lost))
    return out


# ----------------------------------------------------------------- the Gangcheng example


def test_sheet_names_and_order(gangcheng_book: openpyxl.Workbook) -> None:
    assert gangcheng_book.sheetnames == SHEET_NAMES


def test_ranking_blocks_follow_group_order(gangcheng: Result, gangcheng_book: openpyxl.Workbook) -> None:
    data = rows(gangcheng_book["排名"])
    assert "2022年第一季度" in data[0][0]
    for g in gangcheng.groups:
        title = [i for i, r in enumerate(data) if r[0] == f"{g.title}（{g.size}个单位）"]
        assert len(title) == 1, g.title
        head = data[title[0] + 1]
        sections = gangcheng.group_units(g.id)[0].sections
        assert head[:5] == ["排名", "单位", "总分", "等次", "较上期"]
        assert head[5 : 5 + len(sections)] == [f"{s.title}（{s.points.normalize():f}）" for s in sections]
        assert head[5 + len(sections) :][:4] == ["加分", "减分", "一票否决", "标记"]
        body = data[title[0] + 2 : title[0] + 2 + g.size]
        units = gangcheng.group_units(g.id)
        assert [r[1] for r in body] == [u.unit for u in units] == list(g.ranking)
        assert [r[0] for r in body] == [u.rank for u in units]
        assert [D(str(r[2])) for r in body] == [u.total for u in units]
        assert [r[3] for r in body] == [u.grade for u in units]
        for r, u in zip(body, units, strict=True):
            assert [D(str(v)) for v in r[5 : 5 + len(sections)]] == [s.score for s in u.sections]
            assert ("点名" in (r[-1] or "")) == ("bottom" in u.callouts)


def test_vetoed_unit_shows_veto_title_in_red(gangcheng: Result, gangcheng_book: openpyxl.Workbook) -> None:
    ws = gangcheng_book["排名"]
    vetoed = [u for u in gangcheng.units if u.vetoes]
    assert vetoed, "the example has a vetoed unit"
    for u in vetoed:
        row = next(r for r in ws.iter_rows() if r[1].value == u.unit)
        veto_cell = row[len(row) - 2]
        assert u.vetoes[0].title in veto_cell.value
        assert row[3].fill.fgColor.rgb.endswith("FFC7CE")  # grade cell red whatever the grade
    excellent = next(r for r in ws.iter_rows() if r[3].value == "优秀")
    assert excellent[3].fill.fgColor.rgb.endswith("C6EFCE")


def test_deductions_one_row_each_with_source_cell(
    gangcheng: Result, gangcheng_book: openpyxl.Workbook
) -> None:
    body = table(gangcheng_book["扣分说明"])
    want = expected_deductions(gangcheng)
    assert len(want) > 100
    assert [(r["单位"], r["指标编码"], r["单元格"], D(str(r["扣分"]))) for r in body] == want
    first = body[0]
    it = gangcheng.unit(first["单位"]).item(first["指标编码"])
    assert first["扣分原因"] == it.reason and first["评分标准"] == it.basis
    assert (first["文件"], first["工作表"]) == (it.source.file, it.source.sheet)
    assert D(str(first["扣分"])) == it.lost and D(str(first["得分"])) == it.score
    onsite = next(r for r in body if r["来源"] == "onsite" and r["佐证"])
    assert "考评组" in onsite["佐证"]
    missing = next(r for r in body if r["扣分原因"].startswith("未填报"))
    assert missing["单元格"]


def test_problem_list_is_the_deductions_with_a_blank_deadline(
    gangcheng: Result, gangcheng_book: openpyxl.Workbook
) -> None:
    body = table(gangcheng_book["问题清单"])
    want = [d for d in expected_deductions(gangcheng) if d[3] > 0]
    assert [(r["单位"], r["指标编码"], r["单元格"], D(str(r["扣分"]))) for r in body] == want
    assert any(r["指标编码"].startswith("p.") for r in body)  # 减分 items are problems too
    assert [r["序号"] for r in body] == list(range(1, len(body) + 1))
    assert all(r["整改期限"] is None for r in body)
    runs: list[str] = []  # each unit's problems come together
    for r in body:
        if not runs or runs[-1] != r["单位"]:
            assert r["单位"] not in runs
            runs.append(r["单位"])


def test_numbers_are_numeric_with_decimals_format(
    gangcheng: Result, gangcheng_book: openpyxl.Workbook
) -> None:
    ws = gangcheng_book["排名"]
    first = next(r for r in ws.iter_rows() if r[0].value == 1)
    assert first[0].data_type == "n" and first[2].data_type == "n"
    assert first[2].number_format == "0.00"
    matrix = gangcheng_book["得分明细"]
    ids = [c.value for c in matrix[1]]
    assert sorted(ids[3:]) == sorted({i.id for u in gangcheng.units for i in u.items})
    assert ids[-2:] == ["p.notice", "p.media"]  # bonus and penalty after the sections
    for r in matrix.iter_rows(min_row=3):
        u = gangcheng.unit(r[0].value)
        assert r[2].data_type == "n" and D(str(r[2].value)) == u.total
        for it in u.items:
            c = r[ids.index(it.id)]
            assert c.data_type == "n" and c.number_format == "0.00" and D(str(c.value)) == it.score
    assert matrix.max_row == 2 + len(gangcheng.units)


def test_validation_and_about(gangcheng: Result, gangcheng_book: openpyxl.Workbook) -> None:
    check = table(gangcheng_book["数据校验"])
    head = [c.value for c in gangcheng_book["数据校验"][1]]
    assert head == "级别 代码 文件 工作表 单元格 行 列 单位 字段 所见值 应为 说明".split()
    assert len(check) == len(gangcheng.problems)
    assert {r["代码"] for r in check} == {p.code for p in gangcheng.problems}
    assert {r["级别"] for r in check} <= {"错误", "警告", "提示"}
    about = {r[0]: r[1] for r in rows(gangcheng_book["说明"]) if r[0]}
    assert about["细则SHA-256"] == gangcheng.rubric_sha256
    assert about["考评期"] == "2022Q1" and about["期别"] == "2022年第一季度"
    assert about["小数位数"] == 2 and about["细则编号"] == "gangcheng-sanze"
    flat = [v for r in rows(gangcheng_book["说明"]) for v in r]
    assert "returns.xlsx" in flat and "ab" * 32 in flat  # the manifest's inputs


def test_frozen_headers_filters_and_widths(gangcheng_book: openpyxl.Workbook) -> None:
    frozen = {ws.title: ws.freeze_panes for ws in gangcheng_book}
    assert frozen == {
        "排名": "C2",
        "得分明细": "D3",
        "扣分说明": "C2",
        "问题清单": "C2",
        "数据校验": "A2",
        "说明": "A2",
    }
    for name in ("得分明细", "扣分说明", "问题清单", "数据校验"):
        assert gangcheng_book[name].auto_filter.ref, name
    ws = gangcheng_book["扣分说明"]
    widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert all(6 <= w <= 60 for w in widths.values())
    assert widths["单位"] >= 2 * len("济南市自然资源和规划局钢城分局")  # CJK counts double
    assert ws["J2"].alignment.wrap_text


# ----------------------------------------------------------------- hostile text


def hostile_result(tmp_path: Path) -> Result:
    names = [HYPERLINK, SCRIPT, LONG, "正常单位"]
    doc = {
        "rubric": "t",
        "title": "测试细则",
        "scale": 100,
        "groups": [{"id": "g", "title": "组"}],
        "units": [{"name": n, "group": "g"} for n in names],
        "sources": {"onsite": {"title": "现场考评"}},
        "fields": {"a": {"label": "字段a", "type": "number"}, "major": {"label": "较大事故", "type": "number"}},
        "sections": [
            {"id": "s", "title": "一", "items": [{"id": "a", "title": "指标a", "points": 90, "rule": {"kind": "formula", "expr": "a"}}]},
            {"id": "o", "title": "现场", "items": [{"id": "x", "title": "现场检查", "points": 10, "source": "onsite", "rule": {"kind": "score"}}]},
        ],
        "veto": [{"id": "v.major", "title": "发生较大事故", "when": "major > 0", "effect": "fail"}],
        "grades": [{"name": "优秀", "min": 90}, {"name": "合格", "min": 60}, {"name": "不合格"}],
    }  # fmt: skip
    rubric = load_ok(tmp_path, json.dumps(doc, ensure_ascii=False))
    returns = {HYPERLINK: {"a": 80, "major": 0}, SCRIPT: {"a": 70, "major": 1}, LONG: {"a": 60, "major": 0}}
    onsite = [(HYPERLINK, "x", "3", CMD), (SCRIPT, "x", "1", ONSITE_REASON), (LONG, "x", "2", "@SUM(A1)")]
    res = score(rubric, make_inputs(rubric, returns, {"onsite": onsite}), "2022-03")
    bad = Problem(
        "bad-value", "\t=cmd()", file="=evil.xlsx", sheet="@S", cell="A1", unit=HYPERLINK, value="\r+1"
    )
    return dataclasses.replace(res, problems=(*res.problems, bad))


def test_untrusted_text_is_never_a_formula(tmp_path: Path) -> None:
    res = hostile_result(tmp_path)
    path = tmp_path / "out" / "results.xlsx"
    write_results_xlsx(res, path)
    wb = openpyxl.load_workbook(path)  # data_only=False: formulas would come back as formulas
    texts: set[str] = set()
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.add(c.value)
                    assert c.quotePrefix == risky(c.value), (ws.title, c.coordinate)
    expected = {HYPERLINK, SCRIPT, LONG, "\t=cmd()", "=evil.xlsx", "@S", "\r+1"}
    assert expected <= texts
    assert any(CMD in t for t in texts) and any(ONSITE_REASON in t for t in texts)
    explained = table(wb["扣分说明"])
    by_unit = {r["单位"]: r for r in explained if r["指标编码"] == "x"}
    assert by_unit[HYPERLINK]["扣分原因"] == CMD
    assert by_unit[SCRIPT]["扣分原因"] == ONSITE_REASON
    ranking = rows(wb["排名"])
    script_row = next(r for r in ranking if r[1] == SCRIPT)
    assert "发生较大事故" in script_row[-2]
    long_row = next(r for r in wb["排名"].iter_rows() if r[1].value == LONG)
    assert wb["排名"].column_dimensions["B"].width <= 60 and long_row[1].alignment.wrap_text
    assert any("未报送" in (r[-1] or "") for r in ranking if r[1] == "正常单位")
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.xlsx"]  # no temp file left


@pytest.mark.parametrize(
    ("text", "flag"),
    [("=1", True), (" +1", True), ("\t-1", True), ("\r\n@x", True), ("＝SUM()", True), ("a=1", False), ("", False)],
)  # fmt: skip
def test_risky(text: str, flag: bool) -> None:
    assert risky(text) is flag


# ----------------------------------------------------------------- reproducibility


def test_same_result_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    res = hostile_result(tmp_path)
    a, b = tmp_path / "first" / "results.xlsx", tmp_path / "second-folder" / "results.xlsx"
    write_results_xlsx(res, a)
    write_results_xlsx(res, b)
    assert a.read_bytes() == b.read_bytes()
    wb = openpyxl.load_workbook(a)
    when = dt.datetime.fromtimestamp(EPOCH, dt.UTC).replace(tzinfo=None)
    assert wb.properties.created == when and wb.properties.modified == when
    about = {r[0]: r[1] for r in rows(wb["说明"]) if r[0]}
    assert about["生成时间"] == "2022-04-15T05:20:00Z"
    assert about["期别"] == "2022年3月"


def test_english_sheet_names(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    write_results_xlsx(hostile_result(tmp_path), path, lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Ranking", "Item scores", "Deductions", "Problems", "Validation", "About"]
    assert [c.value for c in wb["Deductions"][1]][:4] == ["Unit", "Group", "Item", "Title"]


# ----------------------------------------------------------------- validation.xlsx (SPEC 4.6)


def test_validation_xlsx_one_row_per_problem_errors_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    problems = [
        Problem("value-suspicious", "数值可疑", "warning", file="a.xlsx", sheet="表1", cell="C4", unit="甲局"),
        Problem("not-a-number", "不是数字", "error", file="a.xlsx", sheet="表1", cell="B3", unit="乙局",
                field="meetings", value=HYPERLINK, expected="整数"),
    ]  # fmt: skip
    write_validation_xlsx(problems, tmp_path / "v.xlsx")
    book = openpyxl.load_workbook(tmp_path / "v.xlsx")
    assert book.sheetnames == ["数据校验"]
    ws = book["数据校验"]
    assert ws.freeze_panes == "A2"
    got = table(ws)
    assert [(r["级别"], r["代码"], r["工作表"], r["单元格"], r["单位"]) for r in got] == [
        ("错误", "not-a-number", "表1", "B3", "乙局"),
        ("警告", "value-suspicious", "表1", "C4", "甲局"),
    ]
    cell = ws.cell(2, 10)  # 所见值: text from a return, never a formula
    assert cell.value == HYPERLINK and cell.data_type == "s" and cell.quotePrefix
    write_validation_xlsx(problems, tmp_path / "again.xlsx")
    assert (tmp_path / "v.xlsx").read_bytes() == (tmp_path / "again.xlsx").read_bytes()
    write_validation_xlsx([], tmp_path / "empty.xlsx", lang="en")
    assert rows(openpyxl.load_workbook(tmp_path / "empty.xlsx")["Validation"])[0][0] == "Severity"
