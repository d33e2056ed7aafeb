"""SPEC 5, output by output, on the scored Gangcheng sample: what each file must hold.

One ``safescore score ... -o DIR`` run (all formats, letters) serves the whole module; the
library result of the same inputs (``gangcheng_result``) is the reference the files are read
back against. Rendering details (GB/T 9704 page, HTML escaping, xlsx widths) are tested in
the test_render_* modules.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import jsonschema
import openpyxl
import pytest
from conftest import GANGCHENG_PERIOD, ROOT
from docx.oxml.ns import qn
from helpers import invoke_cli

from safescore import __version__
from safescore.render.jsonout import results_schema
from safescore.render.outputs import write_all
from safescore.render.xlsx import GRADE_FILL, RED
from safescore.results.model import Result

RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"
ISSUER, DOC_NO = "钢城区安全生产委员会办公室", "钢安办〔2022〕12号"
EPOCH = "1650000000"  # 2022-04-15 05:20:00 UTC


@pytest.fixture(scope="module")
def out(gangcheng_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spec") / "out"
    returns, onsite = (gangcheng_data / f"{k}-{GANGCHENG_PERIOD}.xlsx" for k in ("returns", "onsite"))
    code, output = invoke_cli(
        "score", RUBRIC, returns, "--source", f"onsite={onsite}", "--period", GANGCHENG_PERIOD,
        "-o", folder, "--format", "json,xlsx,html,docx", "--letters", "--issuer", ISSUER,
        "--doc-number", DOC_NO, "--no-history", "--quiet",
        env={"SOURCE_DATE_EPOCH": EPOCH},
    )  # fmt: skip
    assert code == 0, output
    return folder


@pytest.fixture(scope="module")
def results(out: Path) -> dict[str, Any]:
    # Decimal: "numbers exact" is checked on the digits written, not on floats
    return json.loads((out / "results.json").read_text("utf-8"), parse_float=Decimal)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- results.json -------------------------------------------------------------------------------


def test_results_json_per_unit_fields_and_schema(out: Path, results: dict[str, Any]) -> None:
    schema = results_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(
        json.loads((out / "results.json").read_text("utf-8"))
    )
    assert len(results["units"]) == 27
    for u in results["units"]:
        assert {"unit", "group", "total", "rank", "grade", "vetoes", "warnings", "sections", "items"} <= set(
            u
        )
        assert isinstance(u["vetoes"], list) and isinstance(u["warnings"], list)
        assert all({"id", "score"} <= set(s) for s in u["sections"])
        assert all({"id", "score", "value", "reason", "source"} <= set(it) for it in u["items"])
        assert all({"file", "sheet", "cell"} <= set(it["source"]) for it in u["items"])


def test_results_json_is_the_library_result(out: Path, gangcheng_result: Result) -> None:
    """The CLI writes exactly what the library computes from the same files (STYLE 10)."""
    written = json.loads((out / "results.json").read_text("utf-8"))
    assert written == json.loads(json.dumps(gangcheng_result.to_dict(), ensure_ascii=False))


def _places(d: Decimal | int) -> int:
    exp = Decimal(d).as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def test_results_json_numbers_are_exact_and_add_up(results: dict[str, Any]) -> None:
    places = results["decimals"]
    assert places == 2
    for u in results["units"]:
        scores = [Decimal(it["score"]) for it in u["items"]]
        assert all(_places(s) <= places for s in scores), u["unit"]
        # section scores are sums of rounded item scores; the total adds them, bonus and penalty
        for s in u["sections"]:
            items = [Decimal(it["score"]) for it in u["items"] if it["section"] == s["id"]]
            assert Decimal(s["raw"]) == sum(items, Decimal(0)), (u["unit"], s["id"])
        before = sum((Decimal(s["score"]) for s in u["sections"]), Decimal(0))
        before += Decimal(u["bonus"]) - Decimal(u["penalty"])
        assert Decimal(u["total_before_veto"]) == max(before, Decimal(0)), u["unit"]
        if not u["vetoes"]:
            assert Decimal(u["total"]) == Decimal(u["total_before_veto"]), u["unit"]


# --- manifest.json ------------------------------------------------------------------------------


def test_manifest_names_tool_rubric_inputs_period_options_outputs(out: Path, gangcheng_data: Path) -> None:
    m = json.loads((out / "manifest.json").read_text("utf-8"))
    assert m["tool"] == {"name": "safescore", "version": __version__}
    assert m["rubric"]["id"] == "gangcheng-sanze" and m["rubric"]["version"]
    assert m["rubric"]["sha256"] == sha256(RUBRIC)
    assert m["period"] == GANGCHENG_PERIOD
    assert {Path(i["path"]).name: i["sha256"] for i in m["inputs"]} == {
        p.name: sha256(p) for p in sorted(gangcheng_data.glob(f"*-{GANGCHENG_PERIOD}.xlsx"))
    }
    assert set(m["options"]["formats"]) >= {"json", "xlsx", "html", "docx"}
    assert m["created"] == "2022-04-15T05:20:00Z"
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    listed = {o["path"]: o["sha256"] for o in m["outputs"]}
    # relative names, every file but the manifest itself, each with its digest
    assert set(listed) == files - {"manifest.json"}
    assert all(not Path(n).is_absolute() and ".." not in Path(n).parts for n in listed)
    assert all(listed[n] == sha256(out / n) for n in listed)


# --- results.xlsx -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(out: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(out / "results.xlsx")


def test_xlsx_sheets_frozen_headers(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["排名", "得分明细", "扣分说明", "问题清单", "数据校验", "说明"]
    assert {ws.title: ws.freeze_panes for ws in book} == {
        "排名": "C2", "得分明细": "D3", "扣分说明": "C2", "问题清单": "C2", "数据校验": "A2", "说明": "A2",
    }  # fmt: skip


def test_xlsx_ranking_per_group_with_grade_colours(book: openpyxl.Workbook, gangcheng_result: Result) -> None:
    ws = book["排名"]
    rows = list(ws.iter_rows(values_only=False))
    by_unit = {r[1].value: r for r in rows if isinstance(r[0].value, int)}
    assert len(by_unit) == 27
    for u in gangcheng_result.units:
        r = by_unit[u.unit]
        assert (r[0].value, r[2].value, r[3].value) == (u.rank, float(u.total), u.grade)
        assert r[2].number_format == "0.00"
        want = RED if u.vetoes else GRADE_FILL[u.grade]
        assert r[3].fill.fgColor.rgb[-6:] == want.fgColor.rgb[-6:], u.unit


def _sheet_dicts(ws: Any) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_xlsx_deductions_explain_every_lost_point(book: openpyxl.Workbook, gangcheng_result: Result) -> None:
    rows = {(r["单位"], r["指标编码"]): r for r in _sheet_dicts(book["扣分说明"])}
    expected = 0
    for u in gangcheng_result.units:
        for it in u.items:
            lost = it.score if it.section == "penalty" else it.lost
            if it.section == "bonus" or (lost <= 0 and it.status == "ok"):
                continue
            expected += 1
            r = rows[(u.unit, it.id)]
            assert r["扣分"] == float(lost) and r["扣分原因"] == it.reason
            assert r["评分标准"] == (it.basis or it.rule)
            assert (r["文件"], r["工作表"], r["单元格"]) == (it.source.file, it.source.sheet, it.source.cell)
            assert r["得分"] == (None if it.section == "penalty" else float(it.score))
    assert len(rows) == expected
    # penalty items (减分) are deductions too: 通报批评 costs the 区公安分局 20 points
    assert rows[("济南市公安局钢城区分局", "p.notice")]["扣分"] == 20


def test_xlsx_problem_list_has_every_lost_point_and_a_deadline_column(book: openpyxl.Workbook) -> None:
    issues = _sheet_dicts(book["问题清单"])
    explained = [r for r in _sheet_dicts(book["扣分说明"]) if r["扣分"] and r["扣分"] > 0]
    assert [(r["单位"], r["指标编码"], r["扣分"]) for r in issues] == [
        (r["单位"], r["指标编码"], r["扣分"]) for r in explained
    ]
    assert [r["序号"] for r in issues] == list(range(1, len(issues) + 1))
    assert all("整改期限" in r and r["整改期限"] is None for r in issues)


def test_xlsx_about_sheet_carries_the_manifest(book: openpyxl.Workbook, out: Path) -> None:
    pairs = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    m = json.loads((out / "manifest.json").read_text("utf-8"))
    assert pairs["细则SHA-256"] == m["rubric"]["sha256"] and pairs["考评期"] == GANGCHENG_PERIOD
    assert pairs["工具版本"] == f"safescore {__version__}"
    assert pairs["生成时间"] == "2022-04-15T05:20:00Z"


# --- bulletin --------------------------------------------------------------------------------------

TITLE = "关于2022年第一季度钢城区安全生产“三责同考”考评结果的通报"


def test_docx_bulletin_header_title_tables_and_attachments(out: Path, gangcheng_result: Result) -> None:
    doc = docx.Document(str(out / "bulletin.docx"))
    texts = [p.text for p in doc.paragraphs]
    assert texts[:3] == [ISSUER, DOC_NO, TITLE]
    assert texts[3:5] == ["", "各区直部门、各街道(功能区)："]  # 主送机关 a blank line under the title
    assert re.fullmatch(r"根据.*共考评27个单位，发现扣分问题\d+项。现将考评结果通报如下。", texts[5])
    # a ranking table per group, in group order, with the change against the previous period
    for table, g in zip(doc.tables[:2], gangcheng_result.groups, strict=True):
        head = [c.text for c in table.rows[0].cells]
        assert head == ["名次", "单位", "总分", "等次", "较上期", "备注"]
        assert [r.cells[1].text for r in table.rows[1:]] == [
            u.unit for u in gangcheng_result.group_units(g.id)
        ]
    assert "附件：1．各单位考评得分明细表" in texts and "附件2" in texts


def test_docx_bulletin_lists_problems_without_letters(gangcheng_result: Result, tmp_path: Path) -> None:
    """附件2 (every unit's problem list) is part of the bulletin, letters or not (SPEC 5)."""
    write_all(gangcheng_result, tmp_path, formats=["docx"], letters=False)
    assert not (tmp_path / "letters").exists()
    doc = docx.Document(str(tmp_path / "bulletin.docx"))
    texts = [p.text for p in doc.paragraphs]
    assert "附件2" in texts
    body = "".join(t.text or "" for t in doc.element.body.iter(qn("w:t")))
    assert "被上级通报批评1次，每次减20分，减20分" in body  # a penalty item's reason


@pytest.mark.parametrize("limit", [27, 26])
def test_problem_lists_leave_the_bulletin_beyond_a_size(
    gangcheng_result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Thousands of units' problem lists would make a bulletin of thousands of pages: past
    PROBLEM_LISTS_UP_TO units (27 here at the boundary) they go out only as letters and in
    results.xlsx, and the bulletin says so."""
    from safescore.render import bulletin

    monkeypatch.setattr(bulletin, "PROBLEM_LISTS_UP_TO", limit)
    write_all(gangcheng_result, tmp_path, formats=["docx", "html"], letters=False)
    doc = docx.Document(str(tmp_path / "bulletin.docx"))
    texts = [p.text for p in doc.paragraphs]
    html = (tmp_path / "bulletin.html").read_text("utf-8")
    elsewhere = "本期共27个单位参加考评，各单位扣分问题清单不随本通报印发"
    if limit == 27:
        assert "附件2" in texts and not any(elsewhere in x for x in texts)
        assert 'id="attachment-2"' in html and elsewhere not in html
    else:
        assert "附件2" not in texts and "附件：各单位考评得分明细表" in texts
        assert any(x.startswith(elsewhere) for x in texts)
        assert 'id="attachment-2"' not in html and elsewhere in html and 'id="attachment-1"' in html


def test_html_bulletin_header_and_rank_change_column(out: Path) -> None:
    html = (out / "bulletin.html").read_text("utf-8")
    assert f'<h1 id="title">{TITLE}</h1>' in html
    assert f'<p class="issuer" style="--n: {len(ISSUER)}">{ISSUER}</p>' in html
    assert f'<p class="docno">{DOC_NO}</p>' in html
    assert html.count('<table class="rank sortable"') == 2
    assert html.count("<th>较上期</th>") == 2
    assert 'id="attachment-1"' in html and 'id="attachment-2"' in html


# --- letters -------------------------------------------------------------------------------------


def test_one_letter_per_unit_in_both_formats(out: Path, gangcheng_result: Result) -> None:
    names = {p.name for p in (out / "letters").iterdir()}
    units = [u.unit for u in gangcheng_result.units]
    assert names == {f"{u}.docx" for u in units} | {f"{u}.html" for u in units}


def test_letter_lists_penalty_items_with_reason_and_deadline(out: Path) -> None:
    """济南市公安局钢城区分局 lost 20 points to 通报批评 (a 减分 item): its letter says why."""
    unit = "济南市公安局钢城区分局"
    doc = docx.Document(str(out / "letters" / f"{unit}.docx"))
    rows = [[c.text for c in r.cells] for r in doc.tables[1].rows]
    penalty = [r for r in rows if "被上级通报批评1次" in r[5]]
    assert len(penalty) == 1 and penalty[0][2:5] == ["—", "—", "20.00"]
    assert "请于2022年5月15日前完成整改" in doc.paragraphs[3].text
    html = (out / "letters" / f"{unit}.html").read_text("utf-8")
    assert "被上级通报批评1次，每次减20分，减20分" in html and "2022年5月15日" in html
