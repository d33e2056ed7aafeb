"""Folder input (issue 4): mixed layouts, bad files reported by name, the batch still completes."""

from __future__ import annotations

import json
from pathlib import Path

import hostile
from conftest import RunCli
from test_form import make_form

from safescore import load_rubric, read_inputs, score

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"


def _batch_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    (folder / "sub").mkdir(parents=True)
    make_form(folder, name="应急局.xlsx")
    make_form(folder / "sub", unit="钢城区水务局", name="水务局.xlsx")
    make_form(folder, unit="钢城区水务局", name="水务局-重复.xlsx")  # a second return for one unit
    make_form(folder, unit="钢城区不存在局", name="未知.xlsx")
    hostile.make_zero_byte(folder, "zero.xlsx")
    hostile.make_xls_renamed_xlsx(folder, "legacy.xlsx")
    hostile.make_encrypted_like(folder, "locked.xlsx")
    hostile.make_truncated_zip(folder, "truncated.xlsx")
    hostile.make_simple_xlsx(folder, [["说明"], ["本文件没有数据"]], name="notes.xlsx")
    (folder / "~$应急局.xlsx").write_bytes(b"lock file")  # Excel's lock file: ignored
    return folder


def test_bad_files_are_reported_by_name_and_the_rest_is_scored(tmp_path: Path, run_cli: RunCli) -> None:
    folder = _batch_folder(tmp_path)
    out = tmp_path / "out"
    code, _stdout, _stderr = run_cli("score", RUBRIC, folder, "--period", "2022Q1", "-o", out, "--quiet")
    assert code == 1
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    problems = result["problems"]

    def files_with(code: str) -> set[str]:
        return {Path(p["file"]).name for p in problems if p["code"] == code and p["file"]}

    assert files_with("file-empty") == {"zero.xlsx"}
    assert files_with("file-encrypted") == {"locked.xlsx"}
    assert files_with("file-corrupt") == {"truncated.xlsx"}
    assert "notes.xlsx" in files_with("no-matching-sheet")
    assert files_with("unknown-unit") == {"未知.xlsx"}
    assert len([p for p in problems if p["code"] == "duplicate-return"]) == 1
    assert "~$应急局.xlsx" not in {Path(p["file"]).name for p in problems if p["file"]}
    units = {u["unit"]: u for u in result["units"]}
    assert units["钢城区应急管理局"]["status"] == "已报送"
    assert units["钢城区水务局"]["status"] == "已报送"
    assert units["钢城区交通运输局"]["status"] == "未报送"
    assert len(result["units"]) == 27


def test_pool_and_single_process_read_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    names = [
        "钢城区应急管理局",
        "钢城区水务局",
        "钢城区商务局",
        "钢城区民政局",
        "艾山街道",
        "汶源街道",
        "里辛街道",
        "颜庄街道",
        "辛庄街道",
    ]
    for i, unit in enumerate(names):
        make_form(folder, unit=unit, name=f"{i:02d}.xlsx", meta=None)
    rubric = load_rubric(RUBRIC)
    single = score(rubric, read_inputs(rubric, [folder], jobs=1, period="2022Q1"), "2022Q1")
    pooled = score(rubric, read_inputs(rubric, [folder], jobs=2, period="2022Q1"), "2022Q1")
    assert single.to_dict() == pooled.to_dict()
    assert {u.unit for u in pooled.units if u.submitted} == set(names)


def test_a_form_with_an_extra_ledger_sheet_is_still_a_form(tmp_path: Path) -> None:
    # regression: a sheet with a unit column and one field-named column made the whole file a table
    import openpyxl

    path = make_form(tmp_path, name="form-with-ledger.xlsx")
    wb = openpyxl.load_workbook(path)
    ledger = wb.create_sheet("事故台账")
    ledger.append(["责任单位", "事故死亡人数"])
    ledger.append(["钢城区应急管理局", 0])
    wb.save(path)
    rubric = load_rubric(RUBRIC)
    inputs = read_inputs(rubric, [path], jobs=1, period="2022Q1")
    assert [f.layout for f in inputs.files] == ["form"]
    assert inputs.returns["钢城区应急管理局"].values["meetings"].value == 2
    assert not [p for p in inputs.report if p.code == "missing-column"]


def _with_ledger_and_self(path: Path, *, self_sheet: str = "自评分") -> Path:
    import openpyxl

    from safescore.inputs import form_layout as fl

    wb = openpyxl.load_workbook(path)
    ss = wb.create_sheet(self_sheet)
    ss.append(list(fl.SELF_COLUMNS))
    ss.append(["duty.meetings", "定期研究部署安全生产工作", 30, 28, None])
    hz = wb.create_sheet("隐患清单")
    hz.append(["序号", "隐患描述", "责任单位", "整改期限"])
    for i in range(30):
        hz.append([i + 1, f"隐患{i}", "钢城区应急管理局", "2022-03-01"])
    wb.save(path)
    return path


def _fields(fr: object) -> tuple[object, ...]:
    from safescore.inputs.batch import FileRead

    assert isinstance(fr, FileRead)
    rets = [
        (r.unit, {k: (v.value, v.raw, v.pos, v.invalid) for k, v in r.values.items()}, r.self_scores, r.pos)
        for r in fr.returns
    ]
    return fr.info, rets, [p.to_dict() for p in fr.problems]


def test_a_template_return_is_read_by_its_own_sheets_only(tmp_path: Path, monkeypatch) -> None:
    from safescore.inputs import batch
    from safescore.inputs.form import template_sheets
    from safescore.inputs.workbook import read_workbook
    from safescore.problems import Report

    path = _with_ledger_and_self(make_form(tmp_path))
    wb = read_workbook(path, Report(), select=template_sheets)
    assert wb is not None and [s.name for s in wb.sheets] == ["填报表", "_safescore", "自评分"]
    assert wb.skipped == ("说明", "隐患清单")
    rubric = load_rubric(RUBRIC)
    batch._init(rubric, list(rubric.units), "2022Q1")
    fast = batch.read_one(path, "return")
    monkeypatch.setattr(batch, "template_sheets", lambda names: None)  # read every sheet
    assert _fields(batch.read_one(path, "return")) == _fields(fast)
    assert fast.returns[0].self_scores["duty.meetings"].value == 28


def test_a_template_return_without_its_self_score_sheet_is_read_whole(tmp_path: Path) -> None:
    # the self-scores sit on a sheet of another name: the reader must still find them
    path = _with_ledger_and_self(make_form(tmp_path), self_sheet="自评")
    rubric = load_rubric(RUBRIC)
    inputs = read_inputs(rubric, [path], jobs=1, period="2022Q1")
    assert inputs.returns["钢城区应急管理局"].self_scores["duty.meetings"].value == 28
    assert [f.layout for f in inputs.files] == ["form"] and inputs.report.ok
