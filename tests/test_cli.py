"""The command line (SPEC 6): exit codes, --json, -o outputs, explain, check, validate, --help."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import typer.main
from conftest import GANGCHENG_PERIOD, ROOT, RunCli
from openpyxl import Workbook

from safescore import load_rubric, read_inputs, score
from safescore.cli.app import app
from safescore.render.jsonout import results_schema

RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"

# A tiny quarterly rubric: two units, two return items.
TINY = """\
rubric: tiny
title: 小规则
period: quarter
scale: 100
groups:
  - {id: g, title: 单位}
units:
  - {name: 甲局, group: g}
  - {name: 乙局, group: g}
fields:
  meetings: {label: 会议次数, type: int, min: 0}
  plan: {label: 是否印发方案, type: bool}
sections:
  - id: s
    title: 责任落实
    points: 100
    items:
      - id: s.meet
        title: 会议
        points: 60
        rule: {kind: target, value: meetings, target: 2, better: higher, per: 30}
      - id: s.plan
        title: 方案
        points: 40
        rule: {kind: check, when: plan}
"""


def gc_paths(data: Path) -> tuple[Path, Path]:
    return data / f"returns-{GANGCHENG_PERIOD}.xlsx", data / f"onsite-{GANGCHENG_PERIOD}.xlsx"


def gc_score_args(data: Path, *extra: object) -> list[object]:
    returns, onsite = gc_paths(data)
    return ["score", RUBRIC, returns, "--source", f"onsite={onsite}", "--period", GANGCHENG_PERIOD, *extra]


def write_tiny(tmp_path: Path, rows: list[list[object]], rubric_text: str = TINY) -> tuple[Path, Path]:
    rubric = tmp_path / "tiny.yaml"
    rubric.write_text(rubric_text, encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.append(["单位名称", "会议次数", "是否印发方案"])
    for row in rows:
        ws.append(row)
    returns = tmp_path / "returns.xlsx"
    wb.save(returns)
    return rubric, returns


# --- exit codes ----------------------------------------------------------------------------------


def test_score_clean_run_exits_0(run_cli: RunCli, gangcheng_data: Path) -> None:
    code, out, err = run_cli(*gc_score_args(gangcheng_data))
    assert code == 0, out + err
    assert "钢城区应急管理局" in out


def test_tiny_clean_run_exits_0(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = write_tiny(tmp_path, [["甲局", 2, "是"], ["乙局", 1, "否"]])
    code, out, err = run_cli("score", rubric, returns, "--period", "2022Q1", "--json")
    assert code == 0, err
    units = {u["unit"]: u for u in json.loads(out)["units"]}
    assert units["甲局"]["total"] == 100
    assert units["乙局"]["total"] == 30  # 60 - 30*1 + 0


def test_validation_error_exits_1(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = write_tiny(tmp_path, [["甲局", "两次", "是"], ["乙局", 1, "否"]])
    code, out, err = run_cli("score", rubric, returns, "--period", "2022Q1", "--json")
    assert code == 1, err
    problems = json.loads(out)["problems"]
    bad = [p for p in problems if p["severity"] == "error"]
    assert bad, problems
    assert bad[0]["cell"] == "B2" and bad[0]["unit"] == "甲局" and bad[0]["field"] == "meetings"


def test_unit_missing_exits_1(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = write_tiny(tmp_path, [["甲局", 2, "是"]])
    code, out, err = run_cli("score", rubric, returns, "--period", "2022Q1")
    assert code == 1
    assert "未报送" in out + err and "乙局" in out + err
    code, out, _ = run_cli("score", rubric, returns, "--period", "2022Q1", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["not_submitted"] == ["乙局"]
    assert {u["unit"]: u["status"] for u in data["units"]}["乙局"] == "未报送"


def test_rubric_typo_exits_2_and_names_file_and_line(run_cli: RunCli, tmp_path: Path) -> None:
    lines = TINY.splitlines()
    typo_line = next(i for i, t in enumerate(lines, start=1) if "points: 60" in t)
    lines[typo_line - 1] = lines[typo_line - 1].replace("points: 60", "pionts: 60")
    rubric = tmp_path / "typo.yaml"
    rubric.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, returns = write_tiny(tmp_path, [["甲局", 2, "是"], ["乙局", 1, "否"]])

    code, out, err = run_cli("score", rubric, returns, "--period", "2022Q1")
    assert code == 2
    assert f"typo.yaml:{typo_line}" in out + err

    code, out, _ = run_cli("check", rubric, "--json")
    assert code == 2
    problems = json.loads(out)["problems"]
    typo = [p for p in problems if p["code"] == "rubric-unknown-key"]
    assert typo and typo[0]["line"] == typo_line and typo[0]["file"].endswith("typo.yaml")


def test_rubric_yaml_syntax_error_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    rubric = tmp_path / "broken.yaml"
    rubric.write_text("rubric: x\ntitle: [unclosed\n", encoding="utf-8")
    code, out, err = run_cli("check", rubric)
    assert code == 2
    assert "broken.yaml:" in out + err


def test_unknown_item_key_suggests_item_keys(run_cli: RunCli, tmp_path: Path) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text(TINY.replace("rule: {kind: check, when: plan}", "rul: {kind: check, when: plan}"))
    code, out, _ = run_cli("check", rubric, "--json")
    assert code == 2
    typo = next(p for p in json.loads(out)["problems"] if p["code"] == "rubric-unknown-key")
    assert "rule" in typo["message"]  # 是不是 rule？
    assert "basis" in typo["expected"] and "items" not in typo["expected"]


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (["--format", "pdf"], "unknown format"),
        (["--format", "json,bogus"], "one unknown format in a list"),
        (["--source", "onsite"], "--source without ="),
        (["--source", "=x.xlsx"], "--source without a name"),
        (["--source", "daily=x.xlsx"], "source not declared in the rubric"),
    ],
)
def test_bad_usage_exits_2(run_cli: RunCli, gangcheng_data: Path, extra: list[str], why: str) -> None:
    returns, _ = gc_paths(gangcheng_data)
    code, out, err = run_cli("score", RUBRIC, returns, "--period", GANGCHENG_PERIOD, *extra)
    assert code == 2, (why, out, err)


@pytest.mark.parametrize("period", ["2022-03", "2022", "2022H1", "2022Q5", "Q1"])
def test_wrong_period_kind_exits_2(run_cli: RunCli, gangcheng_data: Path, period: str) -> None:
    returns, _ = gc_paths(gangcheng_data)
    code, out, err = run_cli("score", RUBRIC, returns, "--period", period)
    assert code == 2, (out, err)


def test_missing_input_exits_3(run_cli: RunCli, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        "score", RUBRIC, tmp_path / "nope.xlsx", "--period", GANGCHENG_PERIOD, "-o", out_dir
    )
    assert code == 3
    assert "nope.xlsx" in out + err
    assert not out_dir.exists()


def test_missing_source_file_exits_3(run_cli: RunCli, gangcheng_data: Path, tmp_path: Path) -> None:
    returns, _ = gc_paths(gangcheng_data)
    code, _, _ = run_cli(
        "score", RUBRIC, returns, "--source", f"onsite={tmp_path / 'no.xlsx'}", "--period", "2022Q1"
    )
    assert code == 3


def test_unwritable_output_exits_3(run_cli: RunCli, gangcheng_data: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    code, out, err = run_cli(*gc_score_args(gangcheng_data, "-o", blocker, "--format", "json"))
    assert code == 3, out + err
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- score --json and -o -------------------------------------------------------------------------


def test_score_json_equals_library(run_cli: RunCli, gangcheng_data: Path) -> None:
    returns, onsite = gc_paths(gangcheng_data)
    code, out, err = run_cli(*gc_score_args(gangcheng_data, "--json"))
    assert code == 0, err
    cli = json.loads(out)  # stdout is JSON only
    rubric = load_rubric(RUBRIC)
    lib = score(rubric, read_inputs(rubric, [returns], {"onsite": [onsite]}), GANGCHENG_PERIOD).to_dict()
    assert cli == json.loads(json.dumps(lib, ensure_ascii=False))
    assert len(cli["units"]) == 27


def test_output_folder_files(run_cli: RunCli, gangcheng_data: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "results"
    code, out, err = run_cli(*gc_score_args(gangcheng_data, "-o", out_dir, "--format", "json", "-q"))
    assert code == 0, out + err
    assert {"results.json", "validation.json", "manifest.json"} <= {p.name for p in out_dir.iterdir()}
    assert not [p.name for p in out_dir.iterdir() if p.name.endswith(".tmp")]
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    assert results["period"] == GANGCHENG_PERIOD and len(results["units"]) == 27
    for u in results["units"]:  # SPEC 5 minimum keys
        for key in ("unit", "group", "total", "rank", "grade", "vetoes", "warnings", "sections", "items"):
            assert key in u
        assert all({"id", "score"} <= set(s) for s in u["sections"])
        assert all({"id", "score", "value", "reason", "source"} <= set(i) for i in u["items"])
    validation = json.loads((out_dir / "validation.json").read_text(encoding="utf-8"))
    assert validation["counts"]["error"] == 0
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == GANGCHENG_PERIOD
    assert manifest["rubric"]["id"] == "gangcheng-sanze" and len(manifest["rubric"]["sha256"]) == 64
    assert {Path(i["path"]).name for i in manifest["inputs"]} == {
        "returns-2022Q1.xlsx",
        "onsite-2022Q1.xlsx",
    }
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert {o["path"] for o in manifest["outputs"]} >= {"results.json", "validation.json"}


def test_results_json_matches_published_schema(run_cli: RunCli, gangcheng_data: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "results"
    code, _, err = run_cli(*gc_score_args(gangcheng_data, "-o", out_dir, "--format", "json", "-q"))
    assert code == 0, err
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    schema = results_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    validator_cls(schema).validate(results)


# --- explain, check, validate, help --------------------------------------------------------------


def test_explain_item_with_its_cell(run_cli: RunCli, gangcheng_data: Path) -> None:
    returns, onsite = gc_paths(gangcheng_data)
    code, out, err = run_cli(
        "explain",
        RUBRIC,
        returns,
        "--source",
        f"onsite={onsite}",
        "--period",
        GANGCHENG_PERIOD,
        "--unit",
        "区应急局",  # an alias
        "--item",
        "duty.leader",
        "--json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["unit"] == "钢城区应急管理局"
    assert [i["id"] for i in d["items"]] == ["duty.leader"]
    item = d["items"][0]
    # 主要负责人带队检查次数 is written as full-width '２' in 区直部门!E5 (first department row)
    assert item["source"] == {"name": "return", "file": str(returns), "sheet": "区直部门", "cell": "E5"}
    (used,) = item["inputs"]
    assert used["field"] == "leader_checks" and used["cell"] == "E5" and used["raw"] == "２"
    assert used["value"] == 2
    assert item["value"] == 2 and item["score"] == 20 and item["points"] == 30  # 30 - 10 × (3 - 2)


def test_explain_assessor_item_points_at_scoresheet(run_cli: RunCli, gangcheng_data: Path) -> None:
    returns, onsite = gc_paths(gangcheng_data)
    code, out, err = run_cli(
        "explain",
        RUBRIC,
        returns,
        "--source",
        f"onsite={onsite}",
        "--unit",
        "开发区",
        "--item",
        "onsite.site",
        "--json",
    )
    assert code == 0, err
    item = json.loads(out)["items"][0]
    assert item["source"]["name"] == "onsite"
    assert item["source"]["file"] == str(onsite) and item["source"]["sheet"] == "现场考评扣分"
    assert item["source"]["cell"].startswith("C")


def test_explain_unknown_unit_exits_2(run_cli: RunCli, gangcheng_data: Path) -> None:
    returns, _ = gc_paths(gangcheng_data)
    code, _, _ = run_cli("explain", RUBRIC, returns, "--unit", "火星局")
    assert code == 2


def test_check_shipped_rubric_exits_0(run_cli: RunCli) -> None:
    code, out, err = run_cli("check", RUBRIC)
    assert code == 0, out + err
    code, out, _ = run_cli("check", RUBRIC, "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_validate_writes_problems_with_cells(run_cli: RunCli, gangcheng_data: Path, tmp_path: Path) -> None:
    returns, onsite = gc_paths(gangcheng_data)
    out_dir = tmp_path / "v"
    code, out, err = run_cli(
        "validate", RUBRIC, returns, "--source", f"onsite={onsite}", "--period", "2022Q1", "-o", out_dir
    )
    assert code == 0, out + err
    data = json.loads((out_dir / "validation.json").read_text(encoding="utf-8"))
    problems = data["problems"]
    assert {"hidden-row", "value-missing", "row-skipped"} <= {p["code"] for p in problems}
    for p in problems:
        assert p["file"] == str(returns) and p["sheet"] and p["cell"], p
    missing = {(p["sheet"], p["cell"]) for p in problems if p["code"] == "value-missing"}
    assert ("区直部门", "Q14") in missing  # 钢城区农业农村局 “双随机”抽查计划数 written as '/'


def test_validate_bad_value_exits_1_with_cell(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = write_tiny(tmp_path, [["甲局", 2, "是"], ["乙局", 1, "也许"]])
    out_dir = tmp_path / "v"
    code, _, _ = run_cli("validate", rubric, returns, "-o", out_dir)
    assert code == 1
    problems = json.loads((out_dir / "validation.json").read_text(encoding="utf-8"))["problems"]
    bad = [p for p in problems if p["severity"] == "error"]
    assert [(p["file"], p["sheet"], p["cell"], p["unit"]) for p in bad] == [
        (str(returns), "Sheet", "C3", "乙局")
    ]


COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_spec_commands_are_registered() -> None:
    assert set(COMMANDS) >= {"init", "check", "template", "validate", "score", "explain", "annual", "report"}
    assert set(COMMANDS) >= {"run", "history"}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(run_cli: RunCli, name: str) -> None:
    cmd = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert (cmd.help or "").strip(), f"{name} has no help text"
    code, out, err = run_cli(name, "--help")
    assert code == 0, err
    assert (cmd.help or "").strip().splitlines()[0][:10] in out


def test_root_help_and_version(run_cli: RunCli) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in out
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("safescore ")


def test_tiny_rubric_is_valid(tmp_path: Path) -> None:
    """Guard for the fixtures above: the tiny rubric itself must load cleanly."""
    p = tmp_path / "t.yaml"
    p.write_text(textwrap.dedent(TINY), encoding="utf-8")
    assert load_rubric(p).rubric == "tiny"
