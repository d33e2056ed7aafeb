"""``safescore template``: form templates per unit and the table template (SPEC 4.1, 4.5)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from safescore import Rubric, load_rubric
from safescore.inputs import form_layout as fl
from safescore.inputs.match import UnitMatcher
from safescore.inputs.read import resolve_targets
from safescore.inputs.table import _fields_needed, looks_like_table, read_table_workbook
from safescore.inputs.workbook import read_workbook
from safescore.problems import Report
from safescore.render.template_xlsx import (
    field_rows,
    safe_filename,
    write_form_templates,
    write_table_template,
)
from safescore.rubric.model import Unit

PERIOD = "2022Q1"
DEPT = "钢城区应急管理局"
STREET = "艾山街道"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")


@pytest.fixture(scope="module")
def targets(rubric: Rubric) -> dict[str, dict[str, Decimal]]:
    report = Report()
    out = resolve_targets(rubric, list(rubric.units), report, [])
    assert report.ok
    return out


@pytest.fixture(scope="module")
def forms(
    rubric: Rubric, targets: dict[str, dict[str, Decimal]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("forms")
    paths = write_form_templates(rubric, list(rubric.units), PERIOD, out, targets=targets)
    return {u.name: p for u, p in zip(rubric.units, paths, strict=True)}


def _open(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def _value_rows(ws: Worksheet) -> dict[str, int]:
    """Field id → row of the form sheet."""
    rows: dict[str, int] = {}
    for r in range(fl.FIRST_DATA_ROW, ws.max_row + 1):
        code = ws.cell(r, fl.COL_CODE + 1).value
        if code:
            rows[str(code)] = r
    return rows


def _validation_at(ws: Worksheet, coord: str) -> DataValidation:
    hits = [dv for dv in ws.data_validations.dataValidation if coord in dv.sqref]
    assert len(hits) == 1, f"{coord}: {len(hits)} validations"
    return hits[0]


def _group_of(rubric: Rubric, name: str) -> str:
    return next(u.group for u in rubric.units if u.name == name)


# --- one file per unit ----------------------------------------------------------------------


def test_every_unit_gets_a_template(rubric: Rubric, forms: dict[str, Path]) -> None:
    assert len(rubric.units) == 27
    assert len(forms) == 27
    assert len({p.name for p in forms.values()}) == 27
    for name, path in forms.items():
        assert path.name == f"{safe_filename(name)}.xlsx"
        assert path.is_file() and path.stat().st_size > 0
        wb = _open(path)
        assert wb.sheetnames[:4] == [fl.FORM_SHEET, fl.SELF_SHEET, fl.HELP_SHEET, fl.META_SHEET]
        assert wb.active.title == fl.FORM_SHEET
        ws = wb[fl.FORM_SHEET]
        assert ws["B2"].value == name and ws["E2"].value == PERIOD
        assert [c.value for c in ws[fl.HEADER_ROW]][: len(fl.FORM_COLUMNS)] == list(fl.FORM_COLUMNS)


@pytest.mark.parametrize("unit", [DEPT, STREET])
def test_field_rows_are_exactly_the_groups(rubric: Rubric, forms: dict[str, Path], unit: str) -> None:
    group = _group_of(rubric, unit)
    ws = _open(forms[unit])[fl.FORM_SHEET]
    codes = list(_value_rows(ws))
    assert codes == [r.fid for r in field_rows(rubric, group)]
    assert len(codes) == len(set(codes))
    # the table reader's own notion of what a group must report agrees
    assert set(codes) == _fields_needed(rubric, {group})
    for fid, r in _value_rows(ws).items():
        assert ws.cell(r, fl.COL_LABEL + 1).value == rubric.fields[fid].label
    other = {"dept": ("grid_cover", "safety_staff"), "street": ("inspections", "has_staff")}[group]
    assert not set(other) & set(codes)
    assert {"deaths", "major_accidents", "concealed", "awards", "criticized"} <= set(codes)


def test_section_order_then_bonus_penalty_then_veto(rubric: Rubric, forms: dict[str, Path]) -> None:
    codes = list(_value_rows(_open(forms[DEPT])[fl.FORM_SHEET]))
    assert codes[0] == "meetings"
    assert codes.index("penalty_cases") < codes.index("awards") < codes.index("criticized")
    assert codes[-2:] == ["major_accidents", "concealed"]  # read only by vetoes


@pytest.mark.parametrize(
    ("unit", "fid", "text"),
    [
        (DEPT, "penalty_cases", "目标值：6起"),
        (DEPT, "drills", "目标值：1次"),
        (DEPT, "deaths", "目标值：0人"),
        (STREET, "drills", "目标值：2次"),
        ("钢城经济开发区", "drills", "目标值：1次"),
    ],
)
def test_units_own_targets_appear(
    rubric: Rubric, forms: dict[str, Path], unit: str, fid: str, text: str
) -> None:
    ws = _open(forms[unit])[fl.FORM_SHEET]
    basis = ws.cell(_value_rows(ws)[fid], fl.COL_BASIS + 1).value
    assert text in basis
    assert basis.startswith(next(it.basis for it in rubric.all_items() if fid in str(it.rule)))


def test_basis_ends_with_vetoes(forms: dict[str, Path]) -> None:
    ws = _open(forms[DEPT])[fl.FORM_SHEET]
    basis = {fid: ws.cell(r, fl.COL_BASIS + 1).value for fid, r in _value_rows(ws).items()}
    assert basis["deaths"].split("；")[-2:] == [
        "目标值：0人（生产安全事故死亡人数控制指标）",
        "一票否决：发生造成人员死亡的生产安全事故",
    ]
    assert basis["concealed"] == "一票否决：瞒报、谎报生产安全事故"


# --- validation, prompts, protection ---------------------------------------------------------


@pytest.mark.parametrize("unit", [DEPT, STREET])
def test_data_validations(rubric: Rubric, forms: dict[str, Path], unit: str) -> None:
    ws = _open(forms[unit])[fl.FORM_SHEET]
    rows = _value_rows(ws)
    col = "D"  # fl.COL_VALUE
    for fid, r in rows.items():
        dv = _validation_at(ws, f"{col}{r}")
        assert dv.showInputMessage and dv.prompt and dv.promptTitle
        assert len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32
        assert dv.allow_blank
        fd = rubric.fields[fid]
        if fd.type == "bool":
            assert dv.type == "list" and dv.formula1 == '"是,否"'
        elif fd.type == "int":
            assert dv.type == "whole"
            assert ws[f"{col}{r}"].number_format == "0"
        elif fd.type == "percent":
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "1")
            assert ws[f"{col}{r}"].number_format == "0.0%"
            assert "95%" in dv.prompt and "0.95" in dv.prompt
    meetings = _validation_at(ws, f"{col}{rows['meetings']}")
    assert (meetings.operator, meetings.formula1) == ("greaterThanOrEqual", "0")
    assert "评分标准" in meetings.prompt and "少1次扣15分" in meetings.prompt
    reports = _validation_at(ws, f"{col}{rows['camp_reports']}")
    assert (reports.type, reports.operator, reports.formula2) == ("whole", "between", "3")
    hours = _validation_at(ws, f"{col}{rows['train_hours']}")
    assert (hours.type, hours.formula1, hours.formula2) == ("decimal", "0", "100")
    fixed = _validation_at(ws, f"{col}{rows['hazards_fixed']}")
    assert "不大于“排查隐患数”" in fixed.prompt  # a bound naming a field is told, not enforced
    assert "按0计" in _validation_at(ws, f"{col}{rows['late_reports']}").prompt


@pytest.mark.parametrize("unit", [DEPT, STREET])
def test_locking_and_protection(forms: dict[str, Path], unit: str) -> None:
    wb = _open(forms[unit])
    ws = wb[fl.FORM_SHEET]
    assert ws.protection.sheet is True
    assert ws.protection.password is None and ws.protection.hashValue is None
    for r in _value_rows(ws).values():
        for c in (fl.COL_VALUE, fl.COL_EVIDENCE, fl.COL_NOTE):
            assert ws.cell(r, c + 1).protection.locked is False
        for c in (fl.COL_CODE, fl.COL_LABEL, fl.COL_UNIT, fl.COL_BASIS):
            assert ws.cell(r, c + 1).protection.locked is True
    assert ws["B2"].protection.locked is True and ws["E2"].protection.locked is True
    assert ws.freeze_panes == f"A{fl.FIRST_DATA_ROW}"
    for name in (fl.SELF_SHEET, fl.HELP_SHEET, fl.META_SHEET):
        assert wb[name].protection.sheet is True and wb[name].protection.hashValue is None


@pytest.mark.parametrize("unit", [DEPT, STREET])
def test_self_score_sheet(rubric: Rubric, forms: dict[str, Path], unit: str) -> None:
    group = _group_of(rubric, unit)
    ws = _open(forms[unit])[fl.SELF_SHEET]
    assert [c.value for c in ws[1]][: len(fl.SELF_COLUMNS)] == list(fl.SELF_COLUMNS)
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    expected = [
        it.id for s in rubric.sections_for(group) for it in s.items_for(group) if it.source == "return"
    ] + [it.id for it in (*rubric.bonus.items, *rubric.penalty.items)]
    assert ids == expected
    assert not any(i.startswith("onsite.") for i in ids)  # assessors score those
    by_id = rubric.item_by_id()
    for r, item_id in enumerate(ids, start=2):
        assert ws.cell(r, 2).value == by_id[item_id].title
        assert ws.cell(r, 4).protection.locked is False and ws.cell(r, 1).protection.locked is True
        dv = _validation_at(ws, f"D{r}")
        assert dv.type == "decimal" and dv.formula1 == "0"
        pts = by_id[item_id].points_for(group)
        if pts is not None:
            assert Decimal(str(ws.cell(r, 3).value)) == pts
            assert Decimal(dv.formula2) == pts
    progress = ids.index("camp.progress") + 2
    assert ws.cell(progress, 3).value == {"dept": 80, "street": 60}[group]


@pytest.mark.parametrize("unit", [DEPT, STREET])
def test_hidden_meta_sheet(rubric: Rubric, forms: dict[str, Path], unit: str) -> None:
    ws = _open(forms[unit])[fl.META_SHEET]
    assert ws.sheet_state == "hidden"
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert meta == {
        "safescore_template": fl.TEMPLATE_VERSION,
        "rubric": "gangcheng-sanze",
        "rubric_version": rubric.version,
        "unit": unit,
        "group": _group_of(rubric, unit),
        "period": PERIOD,
    }
    assert list(meta) == list(fl.META_KEYS)


def test_no_period_leaves_the_period_cell_open(rubric: Rubric, targets: dict, tmp_path: Path) -> None:
    units = [u for u in rubric.units if u.name == DEPT]
    (path,) = write_form_templates(rubric, units, None, tmp_path, targets=targets)
    wb = _open(path)
    assert wb[fl.FORM_SHEET]["E2"].value is None
    assert wb[fl.FORM_SHEET]["E2"].protection.locked is False
    meta = {r[0].value: r[1].value for r in wb[fl.META_SHEET].iter_rows()}
    assert meta["period"] in ("", None)


def test_no_formulas_anywhere(forms: dict[str, Path]) -> None:
    # a formula saved by openpyxl has no cached value: the readers would reject it
    for path in (forms[DEPT], forms[STREET]):
        for ws in _open(path).worksheets:
            for row in ws.iter_rows():
                assert not any(isinstance(c.value, str) and c.value.startswith("=") for c in row)


# --- file names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "CON",
        "con.txt",
        "LPT9",
        "a/b\\c",
        "<script>",
        "x" * 200,
        "区" * 200,
        "..",
        "",
        " . ",
        "a\nb\tc\x00d",
        "COM1 ",
    ],
)
def test_safe_filename(name: str) -> None:
    out = safe_filename(name)
    assert out
    assert not any(ch in out for ch in '/\\<>:"|?*') and ".." not in out
    assert not any(ord(ch) < 32 for ch in out)
    assert out == out.rstrip(" .") and not out.startswith(".")
    assert out.split(".")[0].strip().upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert len(out.encode("utf-8")) <= 120


def test_safe_filename_keeps_ordinary_names() -> None:
    assert safe_filename("济南市公安局钢城区分局") == "济南市公安局钢城区分局"
    assert safe_filename("街道(功能区) 一") == "街道(功能区) 一"
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("<script>") == "script"
    assert safe_filename("CON") == "_CON"


def test_colliding_names_get_a_suffix(rubric: Rubric, tmp_path: Path) -> None:
    units = [Unit(name=n, group="dept") for n in ("a/b", "a\\b", "A_B", "CON")]
    paths = write_form_templates(rubric, units, PERIOD, tmp_path, targets={})
    assert [p.name for p in paths] == ["a_b.xlsx", "a_b-2.xlsx", "A_B-3.xlsx", "_CON.xlsx"]
    assert all(p.parent == tmp_path for p in paths)


def test_unknown_group_is_refused(rubric: Rubric, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_form_templates(rubric, [Unit(name="x", group="nope")], PERIOD, tmp_path, targets={})


# --- the table template ---------------------------------------------------------------------


def test_table_template_reads_back(rubric: Rubric, tmp_path: Path) -> None:
    (path,) = write_table_template(rubric, list(rubric.units), PERIOD, tmp_path)
    assert path.parent == tmp_path and path.suffix == ".xlsx"
    report = Report()
    wb = read_workbook(path, report)
    assert wb is not None and report.ok
    assert len(wb.sheets) == len(rubric.groups)
    for sheet, group in zip(wb.sheets, rubric.group_ids(), strict=True):
        header = looks_like_table(sheet, rubric)
        assert header is not None, sheet.name
        assert header.unit_col == 0
        assert list(header.columns.values()) == [r.fid for r in field_rows(rubric, group)]
        names = [sheet.value(r, 0) for r in range(header.row + 1, sheet.n_rows)]
        assert names == [u.name for u in rubric.units if u.group == group]
    returns = read_table_workbook(wb, rubric, UnitMatcher(rubric.units), report)
    assert sorted(r.unit for r in returns) == sorted(u.name for u in rubric.units)
    assert not [p for p in report if p.code == "missing-column"]


def test_table_template_to_a_file_path(rubric: Rubric, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "汇总.xlsx"
    assert write_table_template(rubric, list(rubric.units), None, target) == [target]
    ws = openpyxl.load_workbook(target).worksheets[0]
    dvs = ws.data_validations.dataValidation
    assert any(dv.type == "list" and dv.formula1 == '"是,否"' for dv in dvs)


# --- reproducible bytes ---------------------------------------------------------------------


def test_source_date_epoch_gives_identical_bytes(
    rubric: Rubric, targets: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1650000000")
    units = [u for u in rubric.units if u.name in (DEPT, STREET)]
    runs = []
    for folder in ("one", "two"):
        out = tmp_path / folder
        paths = write_form_templates(rubric, units, PERIOD, out, targets=targets)
        paths += write_table_template(rubric, list(rubric.units), PERIOD, out)
        runs.append({p.name: p.read_bytes() for p in paths})
    assert runs[0].keys() == runs[1].keys() and len(runs[0]) == 3
    for name in runs[0]:
        assert runs[0][name] == runs[1][name], name
    props = openpyxl.load_workbook(tmp_path / "one" / f"{DEPT}.xlsx").properties
    assert props.created == props.modified
    assert props.created.year == 2022 and props.created.month == 4


# --- the form reader accepts what template writes -------------------------------------------


def test_filled_template_is_read_by_the_form_reader(
    rubric: Rubric, forms: dict[str, Path], tmp_path: Path
) -> None:
    form = pytest.importorskip("safescore.inputs.form")
    wb = _open(forms[STREET])
    ws = wb[fl.FORM_SHEET]
    typed = {"bool": "是", "percent": 95, "int": 3, "number": 7.5}  # 95 typed where Excel would not convert
    for fid, r in _value_rows(ws).items():
        ws.cell(r, fl.COL_VALUE + 1).value = typed[rubric.fields[fid].type]
    wb[fl.SELF_SHEET]["D2"] = 25
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    report = Report()
    data = read_workbook(filled, report)
    assert data is not None and form.looks_like_form(data)
    ret = form.read_form_workbook(data, rubric, UnitMatcher(rubric.units), PERIOD, report)
    assert ret is not None and ret.unit == STREET
    assert set(ret.values) == set(_value_rows(ws))
    assert ret.values["task_rate"].value == Decimal("0.95")
    assert ret.values["duty_list"].value is True
    assert ret.values["meetings"].value == Decimal(3)
    assert ret.self_scores["duty.meetings"].value == Decimal(25)
    assert not [p for p in report if p.severity == "error"]


# --- field types the shipped rubric does not use --------------------------------------------

OTHER_TYPES = """
rubric: types
title: 类型测试细则
groups: [{id: g, title: 组}]
units: [{name: 甲单位, group: g}]
fields:
  level: {label: 风险等级, type: choice, choices: [低, 中, 高]}
  kind: {label: 行业类别, type: choice, choices: ["危化品,烟花爆竹", "冶金", "工贸"]}
  note: {label: 情况说明, type: text}
  amount: {label: 安全生产投入金额（含隐患整改、教育培训、应急物资和其他专项投入）, type: number, unit: 万元}
sections:
  - id: s
    title: 测试
    points: 100
    items:
      - {id: s.a, title: 等级, points: 40, rule: {kind: check, when: "level == '低' and kind == '冶金'"}}
      - {id: s.b, title: 金额, points: 60, basis: LONG, rule: {kind: linear, value: amount, from: 0, to: 10}}
veto:
  - {id: v, title: 瞒报, when: "note == '瞒报'", effect: zero}
"""


def test_choice_date_text_and_unbounded_number(tmp_path: Path) -> None:
    from helpers import load_ok

    rub = load_ok(tmp_path, OTHER_TYPES.replace("LONG", "按投入金额线性得分" * 40))
    (path,) = write_form_templates(rub, list(rub.units), PERIOD, tmp_path / "out", targets={})
    wb = _open(path)
    ws = wb[fl.FORM_SHEET]
    rows = _value_rows(ws)
    assert list(rows) == ["kind", "level", "amount", "note"]
    dv = {fid: _validation_at(ws, f"D{r}") for fid, r in rows.items()}
    assert (dv["level"].type, dv["level"].formula1) == ("list", '"低,中,高"')
    # a choice holding a comma cannot be an inline list: it lives on a hidden sheet
    assert dv["kind"].type == "list" and dv["kind"].formula1 == "_lists!$A$1:$A$3"
    assert wb["_lists"].sheet_state == "hidden" and wb["_lists"]["A1"].value == "危化品,烟花爆竹"
    assert dv["note"].type is None and dv["note"].prompt and ws[f"D{rows['note']}"].number_format == "@"
    assert dv["amount"].type == "decimal" and dv["amount"].operator == "between"
    # Excel refuses longer input messages: 255 characters, title 32
    assert len(dv["amount"].prompt) == 255 and dv["amount"].prompt.endswith("…")
    assert len(dv["amount"].promptTitle) == 32


def test_date_validation(rubric: Rubric) -> None:
    # dates cannot be used in expressions today, so no rubric puts one on a form yet
    from safescore.render import _xlsx_style as xs
    from safescore.rubric.model import FieldDef

    fd = FieldDef(label="检查日期", type="date")
    dv = xs.validation(fd, rubric, "")
    assert (dv.type, dv.operator, dv.formula1) == ("date", "greaterThan", "1")
    assert xs.number_format(fd) == "yyyy-mm-dd"
