"""Reading workbooks into absolute grids, and refusing hostile files with exact codes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import hostile
import pytest

from safescore.inputs.workbook import SheetGrid, WorkbookData, cell_name, iter_input_files, read_workbook
from safescore.problems import Report


def read(path: Path, **kw: int) -> tuple[WorkbookData | None, Report]:
    report = Report()
    return read_workbook(path, report, **kw), report


def only_sheet(data: WorkbookData | None) -> SheetGrid:
    assert data is not None
    assert len(data.sheets) == 1
    return data.sheets[0]


# ---------------------------------------------------------------- positions


@pytest.mark.parametrize(
    ("r", "c", "name"),
    [
        (0, 0, "A1"),
        (2, 2, "C3"),
        (0, 25, "Z1"),
        (0, 26, "AA1"),
        (9, 51, "AZ10"),
        (0, 702, "AAA1"),
        (1048575, 16383, "XFD1048576"),
    ],
)
def test_cell_name(r: int, c: int, name: str) -> None:
    assert cell_name(r, c) == name
    assert cell_name(r, c)[: -len(str(r + 1))] == hostile.column_letter(c)


def test_values_land_at_absolute_positions_when_data_starts_at_c3(tmp_path: Path) -> None:
    when = dt.datetime(2022, 3, 5, 8, 30)
    path = hostile.make_simple_xlsx(tmp_path, [["单位", "得分"], ["甲", 95], ["乙", when]], start="C3")
    data, report = read(path)
    assert report.codes() == []
    assert data is not None and data.kind == "xlsx"
    grid = only_sheet(data)
    assert grid.value(2, 2) == "单位"
    assert grid.value(2, 3) == "得分"
    assert grid.value(3, 2) == "甲"
    assert grid.value(3, 3) == 95
    assert grid.value(4, 3) == when  # date-formatted cells stay datetimes
    assert grid.rows[0] == [None] * 4 and grid.rows[2][:2] == [None, None]
    assert grid.value(0, 0) is None and grid.value(100, 100) is None and grid.value(-1, 0) is None
    assert (grid.n_rows, grid.n_cols) == (5, 4)
    assert grid.hidden is False and grid.hidden_rows == set() and grid.uncached_formulas == set()


def test_merged_ranges_and_merged_value(tmp_path: Path) -> None:
    rows = [["考核指标", None, "得分"], ["安全培训", "台账", 5], [None, None, 3]]
    path = hostile.make_simple_xlsx(tmp_path, rows, start="B2", merged=["B2:C2", "B3:B4"])
    grid = only_sheet(read(path)[0])
    assert grid.merged == [(1, 1, 1, 2), (2, 1, 3, 1)]
    assert grid.merged_value(1, 2) == "考核指标"
    assert grid.value(1, 2) is None
    assert grid.merged_value(3, 1) == "安全培训"
    assert grid.merged_value(3, 3) == 3


def test_hidden_rows_and_hidden_sheet(tmp_path: Path) -> None:
    path = hostile.make_simple_xlsx(
        tmp_path,
        [["a"], ["b"], ["c"], ["d"]],
        hidden_rows=[2, 4],
        extra_sheets={"meta": [["rubric", "x"]]},
        hidden_sheets=["meta"],
    )
    data, report = read(path)
    assert report.codes() == [] and data is not None
    main, meta = data.sheets
    assert main.hidden_rows == {1, 3}
    assert main.hidden is False
    assert (meta.name, meta.hidden, meta.value(0, 1)) == ("meta", True, "x")


def test_uncached_formulas_are_reported_by_position(tmp_path: Path) -> None:
    grid = only_sheet(read(hostile.make_uncached_formula_xlsx(tmp_path))[0])
    # C2 plain formula, D2 shared master, D3 shared child without <v>, D4 shared child with empty <v>.
    assert grid.uncached_formulas == {(1, 2), (1, 3), (2, 3), (3, 3)}
    assert grid.value(1, 1) == 1
    assert grid.value(1, 2) is None  # never a silent 0


def test_error_cells_keep_excel_text(tmp_path: Path) -> None:
    grid = only_sheet(read(hostile.make_error_cells_xlsx(tmp_path))[0])
    assert grid.value(1, 1) == "#DIV/0!"
    assert grid.value(2, 2) == "#N/A"
    assert grid.value(1, 2) == 0
    assert grid.uncached_formulas == set()


def test_modified_time_from_core_properties(tmp_path: Path) -> None:
    path = hostile.make_simple_xlsx(tmp_path, [["a"]])
    data = read(path)[0]
    assert data is not None and data.modified is not None
    assert abs(data.modified - time.time()) < 24 * 3600
    assert read(hostile.make_xls(tmp_path))[0].modified is None  # type: ignore[union-attr]


# ---------------------------------------------------------------- legacy and text formats


def test_legacy_xls_positions_merges_hidden_sheet(tmp_path: Path) -> None:
    data, report = read(hostile.make_xls(tmp_path))
    assert report.codes() == [] and data is not None and data.kind == "xls"
    grid, hidden = data.sheets
    assert (grid.name, grid.value(2, 2), grid.value(2, 3), grid.value(3, 2)) == ("数据", "单位", 1.5, "甲")
    assert grid.merged == [(5, 2, 6, 3)]
    assert grid.merged_value(6, 3) == "合并"
    assert hidden.hidden is True and hidden.value(0, 0) == 1


def test_xls_renamed_xlsx_is_read_with_a_warning(tmp_path: Path) -> None:
    data, report = read(hostile.make_xls_renamed_xlsx(tmp_path))
    assert data is not None and data.kind == "xls"
    assert report.codes() == ["extension-mismatch"]
    assert report.problems[0].severity == "warning"
    assert data.sheets[0].value(2, 2) == "单位"


def test_xlsx_renamed_xls_is_read_with_a_warning(tmp_path: Path) -> None:
    path = hostile.make_simple_xlsx(tmp_path, [["a"]], name="really_xlsx.xls")
    data, report = read(path)
    assert data is not None and data.kind == "xlsx" and report.codes() == ["extension-mismatch"]


def test_csv_gb18030_and_utf8(tmp_path: Path) -> None:
    rows = [["单位", "得分", "备注"], ["青岛港", "95", ""]]
    data, report = read(hostile.make_csv_gb18030(tmp_path, rows, name="汇总.csv"))
    assert report.codes() == [] and data is not None and data.kind == "csv"
    grid = only_sheet(data)
    assert grid.name == "汇总"
    assert grid.rows == [["单位", "得分", "备注"], ["青岛港", "95", None]]
    utf8 = tmp_path / "u.csv"
    utf8.write_bytes("\ufeff单位\t得分\n甲\t1\n".encode())
    assert only_sheet(read(utf8)[0]).rows == [["单位", "得分"], ["甲", "1"]]


# ---------------------------------------------------------------- hostile corpus: exactly one code, never raises


@pytest.mark.parametrize(
    ("maker", "code"),
    [
        (hostile.make_zero_byte, "file-empty"),
        (hostile.make_truncated_zip, "file-corrupt"),
        (hostile.make_zip_without_workbook, "not-a-workbook"),
        (hostile.make_text_renamed_xlsx, "not-a-workbook"),
        (hostile.make_xlsb_like, "unsupported-format"),
        (hostile.make_encrypted_like, "file-encrypted"),
        (hostile.make_ole_not_excel, "not-a-workbook"),
        (hostile.make_xml_entity_xlsx, "xml-unsafe"),
    ],
)
def test_hostile_file_gives_exactly_its_code(tmp_path: Path, maker, code: str) -> None:  # type: ignore[no-untyped-def]
    path = maker(tmp_path)
    data, report = read(path)
    assert data is None
    assert report.codes() == [code]
    problem = report.problems[0]
    assert (problem.severity, problem.category, problem.file) == ("error", "input", str(path))
    assert path.name in problem.message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert read(tmp_path / "nope.xlsx")[1].codes() == ["input-not-found"]
    assert read(tmp_path)[1].codes() == ["file-unreadable"]


def test_html_saved_as_xls_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>单位</td></tr></table></body></html>", encoding="utf-8")
    data, report = read(path)
    assert data is None and report.codes() == ["not-a-workbook"]
    assert "HTML" in report.problems[0].message


def test_corrupt_member_data_is_reported_not_raised(tmp_path: Path) -> None:
    path = hostile.make_simple_xlsx(tmp_path, [["x" * 50, i] for i in range(300)], name="flipped.xlsx")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    raw = bytearray(path.read_bytes())
    data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(data_start + 20, data_start + 60):
        raw[k] ^= 0x5A
    path.write_bytes(bytes(raw))
    data, report = read(path)
    assert report.codes() in (["file-corrupt"], ["sheet-unreadable"])
    assert data is None or data.sheets == []


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    start = time.monotonic()
    path = hostile.make_zip_bomb_xlsx(tmp_path_factory.mktemp("bomb"))
    assert time.monotonic() - start < 5
    return path


def test_zip_bomb_rejected_quickly_before_unzipping(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 5_000_000
    start = time.monotonic()
    data, report = read(zip_bomb)
    assert time.monotonic() - start < 5  # a guard, not a benchmark
    assert data is None and report.codes() == ["file-too-large"]


def test_sheet_too_large_skips_only_that_sheet(tmp_path: Path) -> None:
    big = [[i, i, i, i] for i in range(30)]
    path = hostile.make_simple_xlsx(tmp_path, big, sheet="big", extra_sheets={"small": [["ok"]]})
    data, report = read(path, max_cells=100)
    assert report.codes() == ["sheet-too-large"]
    assert report.problems[0].sheet == "big"
    assert data is not None and [s.name for s in data.sheets] == ["small"]
    # Padding from A1 counts: one far-away cell is a huge grid.
    far = hostile.make_simple_xlsx(tmp_path, [["x"]], start="ZZ1000", name="far.xlsx")
    assert read(far, max_cells=10_000)[1].codes() == ["sheet-too-large"]
    xls_data, xls_report = read(hostile.make_xls(tmp_path), max_cells=10)
    assert xls_report.codes() == ["sheet-too-large"]
    assert xls_data is not None and [s.name for s in xls_data.sheets] == ["隐藏"]


def test_unsafe_prolog_after_long_comment_is_refused(tmp_path: Path) -> None:
    path = hostile.make_simple_xlsx(tmp_path, [["a"]], name="sneaky.xlsx")
    with zipfile.ZipFile(path) as src:
        items = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member, blob in items:
            if member == "xl/sharedStrings.xml" or member == "xl/styles.xml":
                blob = (
                    b"<!--"
                    + b" " * 100_000
                    + b'--><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    + blob
                )
            out.writestr(member, blob)
    assert read(path)[1].codes() == ["xml-unsafe"]


def test_sparse_far_cell_never_reaches_calamine(tmp_path: Path) -> None:
    # calamine would abort the whole process on this sheet, so run it in a child.
    path = hostile.make_sparse_xlsx(tmp_path)
    code = (
        "import sys; from pathlib import Path; from safescore.problems import Report;"
        "from safescore.inputs.workbook import read_workbook; r = Report();"
        "d = read_workbook(Path(sys.argv[1]), r); print(r.codes(), [s.name for s in d.sheets])"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['sheet-too-large'] []"


def test_member_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    data, report = read(hostile.make_lying_size_xlsx(tmp_path))
    assert data is None and report.codes() == ["file-corrupt"]


def test_ods_positions_merges_hidden_rows(tmp_path: Path) -> None:
    c, row = hostile.ods_cell, hostile.ods_row
    rows = [
        row(c(repeat=5), repeat=2),
        row(c(repeat=2), c("单位"), c(3)),
        row(c(repeat=2), c("合并", span=(1, 2)), "<table:covered-table-cell/>", hidden=True),
        row(c(repeat=1024), repeat=100000),  # trailing empty rows, as LibreOffice writes them
    ]
    data, report = read(hostile.make_ods(tmp_path, {"表1": rows}))
    assert report.codes() == [] and data is not None and data.kind == "ods"
    grid = only_sheet(data)
    assert (grid.value(2, 2), grid.value(2, 3)) == ("单位", 3)
    assert grid.merged == [(3, 2, 3, 3)] and grid.merged_value(3, 3) == "合并"
    assert grid.hidden_rows == {3}
    assert grid.n_rows == 4


def test_ods_repeat_bomb_refused_before_calamine_loads_it(tmp_path: Path) -> None:
    start = time.monotonic()
    data, report = read(hostile.make_ods_repeat_bomb(tmp_path))
    assert time.monotonic() - start < 5
    assert data is None and report.codes() == ["sheet-too-large"]
    assert report.problems[0].sheet == "bomb"


# ---------------------------------------------------------------- input discovery


def test_iter_input_files_recurses_sorts_and_skips(tmp_path: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in [
        "a.xlsx",
        "b/c.XLS",
        "b/deep/d.csv",
        "b/e.xlsm",
        "~$a.xlsx",
        ".f.xlsx",
        ".hidden/g.xlsx",
        "notes.txt",
    ]:
        (tmp_path / rel).write_bytes(b"x")
    lone = tmp_path / "b" / "deep" / "d.csv"
    report = Report()
    found = iter_input_files([tmp_path, lone, tmp_path / "missing"], report)
    assert found == sorted(
        [
            tmp_path / "a.xlsx",
            tmp_path / "b" / "c.XLS",
            tmp_path / "b" / "deep" / "d.csv",
            tmp_path / "b" / "e.xlsm",
        ]
    )
    assert report.codes() == ["input-not-found"]
    assert report.problems[0].file == str(tmp_path / "missing")
    # A file given explicitly is taken as given, whatever its name.
    assert iter_input_files([tmp_path / "notes.txt"], Report()) == [tmp_path / "notes.txt"]


def test_every_generated_file_reads_without_raising(tmp_path: Path) -> None:
    makers = [
        hostile.make_zero_byte,
        hostile.make_truncated_zip,
        hostile.make_zip_without_workbook,
        hostile.make_text_renamed_xlsx,
        hostile.make_xlsb_like,
        hostile.make_encrypted_like,
        hostile.make_ole_not_excel,
        hostile.make_xml_entity_xlsx,
        hostile.make_uncached_formula_xlsx,
        hostile.make_error_cells_xlsx,
        hostile.make_xls,
        hostile.make_xls_renamed_xlsx,
    ]
    paths = [make(tmp_path) for make in makers]
    report = Report()
    for path in iter_input_files([tmp_path], report):
        read_workbook(path, report)
    assert report.ok is False
    assert {p.file for p in report.errors} <= {str(p) for p in paths}
    assert os.listdir(tmp_path)
