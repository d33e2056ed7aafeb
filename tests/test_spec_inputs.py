"""SPEC 4.1, 4.2, 4.4 and 4.5 as acceptance tests: returns as they really arrive.

Each test writes the workbook an office would send (openpyxl, so formulas have no cached value
unless Excel computed them) and reads it with :func:`safescore.read_inputs`.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from helpers import load_ok
from openpyxl import Workbook

from safescore import read_inputs
from safescore.inputs.model import Inputs
from safescore.rubric.model import Rubric

RUBRIC = """
rubric: spec-inputs
title: 读取验收
groups: [{id: g, title: 部门}]
units:
  - {name: 钢城区应急管理局, group: g, aliases: [区应急局]}
  - {name: 钢城区住房和城乡建设局, group: g, aliases: [区住建局]}
  - {name: 钢城区交通运输局, group: g}
fields:
  found:  {label: 排查隐患数, type: int, min: 0}
  rate:   {label: 隐患整改率, type: percent}
  plan:   {label: 是否印发工作要点, type: bool}
  fines:  {label: 罚款金额, type: number, unit: 元}
  drills: {label: 演练次数, type: int, blank: zero}
  day:    {label: 演练日期, type: date}
sections:
  - id: s
    title: 一
    items:
      - {id: a, title: 隐患, points: 20, rule: {kind: formula, expr: "min(found, 20)"}}
      - {id: b, title: 整改率, points: 20, rule: {kind: rate, value: rate, per_point: 1}}
      - {id: c, title: 要点, points: 20, rule: {kind: check, when: plan}}
      - {id: d, title: 罚款, points: 20, rule: {kind: formula, expr: "min(fines / 1000, 20)"}}
      - {id: e, title: 演练, points: 20, rule: {kind: formula, expr: "min(drills * 5, 20)"}}
"""
HEAD = ["单位名称", "排查隐患数", "隐患整改率", "是否印发工作要点", "罚款金额", "演练次数", "演练日期"]


@pytest.fixture(scope="module")
def rubric(tmp_path_factory: pytest.TempPathFactory) -> Rubric:
    return load_ok(tmp_path_factory.mktemp("r"), RUBRIC)


def xlsx(path: Path, rows: list[list[Any]], merged: tuple[str, ...] = (), title: str = "Sheet1") -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)
    for rng in merged:
        ws.merge_cells(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read(rubric: Rubric, *paths: Path, **kw: Any) -> Inputs:
    return read_inputs(rubric, list(paths), jobs=1, **kw)


def values(inputs: Inputs, unit: str) -> dict[str, Any]:
    return {f: v.value for f, v in inputs.returns[unit].values.items()}


def problems(inputs: Inputs) -> list[tuple[str, str, str | None]]:
    return sorted((p.code, p.severity, p.cell) for p in inputs.report)


# ------------------------------------------------------------------ 4.1 table layout


def test_header_in_row_ten_below_titles_with_normalised_labels(rubric: Rubric, tmp_path: Path) -> None:
    """The header row is among the first 10; labels match after whitespace, newlines, full-width
    forms and trailing units such as (个) or （%） are normalised away."""
    titles = [["钢城区2022年一季度安全生产考核汇总表"], ["填报说明：请如实填写"], *[[] for _ in range(7)]]
    head = [
        "被考核单位",
        "排查隐患数(个)",
        "隐患\n整改率（%）",
        "是否印发 工作要点",
        "罚款金额（元）",
        "演练次数（次）",
        "演练日期",
    ]
    path = xlsx(tmp_path / "t.xlsx", [*titles, head, ["区应急局", 3, "95%", "是", 1500, 2, "2022.3.5"]])
    inputs = read(rubric, path)
    assert values(inputs, "钢城区应急管理局") == {
        "found": D(3),
        "rate": D("0.95"),
        "plan": True,
        "fines": D(1500),
        "drills": D(2),
        "day": dt.date(2022, 3, 5),
    }
    assert inputs.returns["钢城区应急管理局"].values["found"].pos.cell == "B11"


@pytest.mark.parametrize("unit_head", ["单位", "单位名称", "被考核单位", "填报单位"])
def test_unit_column_names(rubric: Rubric, tmp_path: Path, unit_head: str) -> None:
    path = xlsx(tmp_path / "t.xlsx", [[*HEAD[1:3], unit_head], [3, 0.9, "区住建局"]])
    inputs = read(rubric, path)
    assert values(inputs, "钢城区住房和城乡建设局") == {"found": D(3), "rate": D("0.9")}


def test_the_row_matching_most_labels_is_the_header(rubric: Rubric, tmp_path: Path) -> None:
    """A title row that happens to hold one label is not the header; the row with most labels is."""
    rows = [["单位", "排查隐患数"], ["（单位：个）"], HEAD, ["区应急局", 4, 1, "否", 0, 1, None]]
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", rows))
    assert values(inputs, "钢城区应急管理局")["found"] == D(4)
    assert inputs.returns["钢城区应急管理局"].values["found"].pos.cell == "B4"


def test_merged_two_row_header(rubric: Rubric, tmp_path: Path) -> None:
    """A merged group heading over two label cells, and the unit heading merged down two rows."""
    rows = [
        ["单位名称", "隐患排查治理", None, "其他"],
        [None, "排查隐患数", "隐患整改率", "是否印发工作要点"],
        ["区应急局", 5, "100%", "√"],
    ]
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", rows, merged=("A1:A2", "B1:C1")))
    assert values(inputs, "钢城区应急管理局") == {"found": D(5), "rate": D(1), "plan": True}


# ------------------------------------------------------------------ 4.2 targets tables

TARGETS = """
rubric: spec-targets
title: 目标值验收
groups: [{id: g, title: 部门}]
units: [{name: 甲局, group: g}, {name: 乙局, group: g}]
fields: {deaths: {label: 死亡人数, type: int}}
targets:
  limit: {title: 死亡控制指标, table: t.xlsx, column: 控制指标}
sections:
  - {id: s, title: 一, items: [{id: a, title: 控制, points: 100, rule: {kind: target, value: deaths, target: limit, better: lower}}]}
"""


def test_targets_table_unknown_unit_and_missing_target_are_errors(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(TARGETS, encoding="utf-8")
    xlsx(tmp_path / "t.xlsx", [["单位", "控制指标"], ["甲局", 2], ["丙局", 1], ["合计", 3]])
    from safescore import load_rubric

    rubric = load_rubric(tmp_path / "r.yaml")
    inputs = read(rubric)
    found = sorted((p.code, p.severity, p.cell) for p in inputs.report)
    assert found == [("target-missing", "error", None), ("unknown-unit", "error", "A3")]
    assert inputs.targets["limit"] == {"甲局": D(2)}
    missing = next(p for p in inputs.report if p.code == "target-missing")
    assert "乙局" in missing.message


# ------------------------------------------------------------------ 4.4 cleaning


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("95%", D("0.95")),
        (95, D("0.95")),
        (0.95, D("0.95")),
        ("９５％", D("0.95")),
        (1, D(1)),
        (100, D(1)),
        ("0", D(0)),
    ],
)
def test_percent_forms(rubric: Rubric, tmp_path: Path, raw: Any, want: D) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["区应急局", 1, raw]]))
    assert values(inputs, "钢城区应急管理局")["rate"] == want


@pytest.mark.parametrize("raw", [101, "120%", -0.5, "百分之九十"])
def test_percent_out_of_range_is_an_error_at_its_cell(rubric: Rubric, tmp_path: Path, raw: Any) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["区应急局", 1, raw]]))
    assert [(p.severity, p.cell, p.field) for p in inputs.report] == [("error", "C2", "rate")]
    assert inputs.returns["钢城区应急管理局"].values["rate"].value is None  # never a silent 0


def test_percent_above_100_allowed_by_the_fields_max(tmp_path: Path) -> None:
    """ "anything else is an error unless the field's max allows it" (max is a fraction: 1.5 = 150%)."""
    rubric = load_ok(tmp_path, RUBRIC.replace("type: percent}", "type: percent, max: 1.5}"))
    ok = read(rubric, xlsx(tmp_path / "a.xlsx", [HEAD, ["区应急局", 1, 150], ["区住建局", 1, "120%"]]))
    assert [values(ok, u)["rate"] for u in ok.returns] == [D("1.5"), D("1.2")]
    bad = read(rubric, xlsx(tmp_path / "b.xlsx", [HEAD, ["区应急局", 1, 151]]))
    (p,) = list(bad.report)
    assert (p.code, p.cell, p.expected) == (
        "percent-out-of-range",
        "C2",
        "0%～150% 的百分数，如 95%、95 或 0.95",
    )


@pytest.mark.parametrize(
    ("raw", "want"),
    [("是", True), ("否", False), ("√", True), ("×", False), ("有", True), ("无", False), (None, None)],
)
def test_bools(rubric: Rubric, tmp_path: Path, raw: Any, want: bool | None) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["区应急局", 1, 1, raw]]))
    assert values(inputs, "钢城区应急管理局")["plan"] is want


@pytest.mark.parametrize(
    ("raw", "fines", "drills"),
    [
        ("无", None, D(0)),  # missing, unless the field says blank: zero
        ("/", None, D(0)),
        ("—", None, D(0)),
        (None, None, D(0)),
        ("１２,３４５.５", D("12345.5"), None),  # full-width digits, thousands separators
        ("12,345元", D(12345), None),  # the field's unit after the number
    ],
)
def test_missing_markers_and_numbers_as_text(
    rubric: Rubric, tmp_path: Path, raw: Any, fines: D | None, drills: D | None
) -> None:
    row = ["区应急局", 1, 1, "是", raw, raw if drills is not None else 1]
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, row]))
    got = values(inputs, "钢城区应急管理局")
    assert got["fines"] == fines
    assert got["drills"] == (drills if drills is not None else D(1))
    assert not [p for p in inputs.report if p.severity == "error"]


@pytest.mark.parametrize("raw", [44625, "2022.3.5", "2022年3月5日", "2022-03-05", dt.datetime(2022, 3, 5)])
def test_dates(rubric: Rubric, tmp_path: Path, raw: Any) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["区应急局", 1, 1, "是", 0, 1, raw]]))
    assert values(inputs, "钢城区应急管理局")["day"] == dt.date(2022, 3, 5)


def test_formula_without_cached_value_is_an_error_naming_the_cell(rubric: Rubric, tmp_path: Path) -> None:
    rows = [HEAD, ["区应急局", "=1+2", 1, "是"], ['="区住"&"建局"', 3, 1, "是"]]
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", rows))
    assert problems(inputs) == [("formula-no-cache", "error", "A3"), ("formula-no-cache", "error", "B2")]
    assert inputs.returns["钢城区应急管理局"].values["found"].value is None  # never a silent 0
    assert "钢城区住房和城乡建设局" not in inputs.returns


# ------------------------------------------------------------------ 4.5 names


@pytest.mark.parametrize(
    "written",
    [
        "钢城区应急管理局",
        "钢城区应急管理局  ",
        "钢城区\n应急管理局",
        " 钢 城 区 应 急 管 理 局",
        "钢城区应急管理局\u200b",  # zero-width space pasted from a web page
        "\u202b钢城区应急管理局\u202c",  # bidi embedding from a PDF
        "\u200f钢城区应急\u200e管理局\u2069",
        "区应急局",  # alias
        "区 应急局",
    ],
)
def test_names_match_after_normalising(rubric: Rubric, tmp_path: Path, written: str) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, [written, 1]]))
    assert list(inputs.returns) == ["钢城区应急管理局"]
    assert not [p for p in inputs.report if p.severity == "error"]


def test_full_width_name(tmp_path: Path) -> None:
    rubric = load_ok(tmp_path, RUBRIC.replace("钢城区交通运输局", "钢城区ABC交通局"))
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["钢城区ＡＢＣ交通局", 1]]))
    assert list(inputs.returns) == ["钢城区ABC交通局"]


@pytest.mark.parametrize("total", ["合计", "总计", "小计", "合  计", "全区合计", "合计（3个单位）"])
def test_total_rows_are_skipped_and_reported(rubric: Rubric, tmp_path: Path, total: str) -> None:
    rows = [HEAD, ["区应急局", 1], [total, 1], [None, 2]]
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", rows))
    assert list(inputs.returns) == ["钢城区应急管理局"]
    assert problems(inputs) == [("row-skipped", "info", "A3"), ("row-skipped", "info", "A4")]


def test_unknown_name_suggests_the_closest(rubric: Rubric, tmp_path: Path) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["钢城区交通局", 1]]))
    (p,) = list(inputs.report)
    assert (p.code, p.severity, p.cell) == ("unknown-unit", "error", "A2")
    assert p.expected is not None and p.expected.split("、")[0] == "钢城区交通运输局"
    assert "是不是：钢城区交通运输局" in p.message


def test_a_huge_name_is_quoted_shortened(rubric: Rubric, tmp_path: Path) -> None:
    """A 32,767-character cell (Excel's maximum) must not be quoted whole in a message."""
    huge = "某" * 32767
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, [huge, "x" * 32767]]))
    (p,) = list(inputs.report)
    assert p.code == "unknown-unit" and len(p.message) < 200
    assert "某" * 60 + "…" in p.message


def test_a_huge_bad_value_is_quoted_shortened(rubric: Rubric, tmp_path: Path) -> None:
    inputs = read(rubric, xlsx(tmp_path / "t.xlsx", [HEAD, ["区应急局", "x" * 32767]]))
    (p,) = list(inputs.report)
    assert (p.code, p.cell) == ("not-a-number", "B2") and len(p.message) < 200


def test_two_returns_for_one_unit_are_an_error_unless_latest(rubric: Rubric, tmp_path: Path) -> None:
    old = xlsx(tmp_path / "a" / "old.xlsx", [HEAD, ["区应急局", 1]])
    new = xlsx(tmp_path / "b" / "new.xlsx", [HEAD, ["钢城区应急管理局", 2]])
    os.utime(old, (1_600_000_000, 1_600_000_000))
    os.utime(new, (1_700_000_000, 1_700_000_000))
    plain = read(rubric, new, old)
    assert [(p.code, p.severity) for p in plain.report] == [("duplicate-return", "error")]
    latest = read(rubric, new, old, latest=True)
    assert values(latest, "钢城区应急管理局")["found"] == D(2)
    (p,) = list(latest.report)
    assert (p.code, p.severity) == ("duplicate-return-resolved", "info") and "new.xlsx" in p.message
    # the file order does not decide: the file's own modified time does
    assert values(read(rubric, old, new, latest=True), "钢城区应急管理局")["found"] == D(2)


def test_targets_table_column_defaults_to_the_target_name_or_title(tmp_path: Path) -> None:
    """SPEC 4.2: one column per target name or title. Without ``column`` either heading is found;
    a rate target typed as 90% is 0.9, like a percent field; a 合计 row is not a unit."""
    from safescore import load_rubric

    text = TARGETS.replace("table: t.xlsx, column: 控制指标", "table: t.xlsx").replace(
        "  limit: {title", "  rate_goal: {title: 整改率目标, table: g.xlsx}\n  limit: {title"
    )
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    xlsx(tmp_path / "t.xlsx", [["单位名称", "死亡控制指标"], ["甲局", 2], ["乙局", "０"], ["合计", 2]])
    xlsx(tmp_path / "g.xlsx", [["单位", "rate_goal"], ["甲局", "90%"], ["乙局", 0.85]])
    inputs = read(load_rubric(tmp_path / "r.yaml"))
    assert not list(inputs.report)
    assert inputs.targets == {
        "limit": {"甲局": D(2), "乙局": D(0)},
        "rate_goal": {"甲局": D("0.9"), "乙局": D("0.85")},
    }
