"""SPEC 6 command lines as a user types them: Chinese usage errors, --json on failure, every
option documented, and the options each command takes (found by auditing the shipped examples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from conftest import GANGCHENG_PERIOD, ROOT, RunCli
from test_cli import RUBRIC, write_tiny

from safescore.cli.app import app


def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """The two-unit rubric of test_cli with a clean table return (exit 0 when scored)."""
    return write_tiny(tmp_path, [["甲局", 2, "是"], ["乙局", 1, "否"]])


def failure(out: str, exit_code: int) -> list[dict[str, Any]]:
    """The JSON error document of a failed --json run; returns its problems."""
    data = json.loads(out)
    assert data["ok"] is False
    assert data["exit_code"] == exit_code
    assert data["format"] == "safescore.validation/1"
    return list(data["problems"])


# --- parse errors: Chinese, exit 2, nothing on stdout ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message", "help_of"),
    [
        (["score"], "缺少参数 RUBRIC", "score"),
        (["score", "r.yaml"], "缺少参数 INPUT", "score"),
        (["score", "r.yaml", "x.xlsx", "--bogus"], "没有选项 --bogus", "score"),
        (["explain", "r.yaml", "x.xlsx"], "缺少选项 --unit", "explain"),
        (["explain", "r.yaml", "x.xlsx", "--unit"], "选项 --unit 后面需要一个值", "explain"),
        (["score", "r.yaml", "x.xlsx", "--jobs", "0"], "--jobs / -j 的值无效", "score"),
        (["scor"], "没有命令 scor（是不是：score）", ""),
        (["check", "a.yaml", "b.yaml"], "多余的参数：b.yaml", "check"),
        (["history", "show"], "缺少参数 PERIOD|#RUN", "history show"),
        (["annual", "r.yaml"], "缺少选项 --year", "annual"),
    ],
)
def test_parse_errors_are_chinese_and_exit_2(
    run_cli: RunCli, args: list[str], message: str, help_of: str
) -> None:
    code, out, err = run_cli(*args)
    assert code == 2
    assert out == ""
    assert f"用法错误：{message}" in err
    assert err.splitlines()[-1] == " ".join(["查看帮助：safescore", *help_of.split(), "--help"])
    for english in ("Error", "Missing", "No such", "Usage:"):
        assert english not in err


def test_parse_error_under_json_prints_the_error_document(run_cli: RunCli) -> None:
    code, out, err = run_cli("score", "r.yaml", "x.xlsx", "--json", "--bogus")
    assert code == 2
    problems = failure(out, 2)
    assert [(p["code"], p["category"]) for p in problems] == [("usage-error", "usage")]
    assert problems[0]["message"].startswith("没有选项 --bogus")
    assert "用法错误：没有选项 --bogus" in err


def test_usage_line_names_the_arguments_as_spec_6_does(run_cli: RunCli) -> None:
    code, out, _ = run_cli("score", "--help")
    assert code == 0
    assert "RUBRIC" in out and "INPUT" in out
    code, out, _ = run_cli("report", "--help")
    assert code == 0 and "RESULTS.json" in out


# --- --json: one JSON document on stdout, also when the command fails ------------------------------


def test_json_missing_input_is_exit_3_with_each_path(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, _ = tiny(tmp_path)
    gone = [tmp_path / "a.xlsx", tmp_path / "b"]
    code, out, err = run_cli("score", rubric, *gone, "--period", "2022Q1", "--json")
    assert code == 3
    problems = failure(out, 3)
    assert [(p["code"], p["category"], p["file"]) for p in problems] == [
        ("input-not-found", "io", str(gone[0])),
        ("input-not-found", "io", str(gone[1])),
    ]
    assert "a.xlsx" in err


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (["--source", "onsite=x.xlsx"], "unknown-source"),
        (["--source", "onsite"], "bad-source"),
        (["--period", "2022-03"], "bad-period"),
        (["--format", "pdf"], "bad-format"),
        (["--lang", "fr"], "bad-lang"),
        (["--template", "none.docx"], "template-not-found"),
    ],
)
def test_json_usage_errors_name_their_code(
    run_cli: RunCli, tmp_path: Path, extra: list[str], problem: str
) -> None:
    rubric, returns = tiny(tmp_path)
    code, out, _ = run_cli("score", rubric, returns, "--period", "2022Q1", "--json", *extra)
    assert code == 2
    assert [p["code"] for p in failure(out, 2)] == [problem]


def test_json_bad_rubric_lists_its_problems_with_lines(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    rubric.write_text(rubric.read_text(encoding="utf-8").replace("scale: 100", "scale: 90"), encoding="utf-8")
    for command in (["score", rubric, returns], ["validate", rubric, returns], ["check", rubric]):
        code, out, _ = run_cli(*command, "--json")
        assert code == 2, command
        problems = failure(out, 2)
        assert problems and all(p["category"] == "rubric" for p in problems)
        assert all(p["file"] == str(rubric) for p in problems)


def test_json_explain_unknown_unit_and_item(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    code, out, _ = run_cli("explain", rubric, returns, "--unit", "丙局", "--json")
    assert code == 2
    assert [p["code"] for p in failure(out, 2)] == ["unknown-unit"]
    code, out, _ = run_cli("explain", rubric, returns, "--unit", "甲局", "--item", "s.none", "--json")
    assert code == 2
    problems = failure(out, 2)
    assert [p["code"] for p in problems] == ["unknown-item"]
    assert "s.meet、s.plan" in problems[0]["message"]


def test_json_report_of_missing_results_is_exit_3(run_cli: RunCli, tmp_path: Path) -> None:
    code, out, _ = run_cli("report", tmp_path / "results.json", "--format", "html", "--json")
    assert code == 3
    assert [(p["code"], p["file"]) for p in failure(out, 3)] == [
        ("results-unreadable", str(tmp_path / "results.json"))
    ]


def test_json_history_show_of_unknown_period(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    assert run_cli("score", rubric, returns, "--period", "2022Q1", "--quiet")[0] == 0
    code, out, err = run_cli("history", "show", "2023Q1", "--json")
    assert code == 2
    assert [p["code"] for p in failure(out, 2)] == ["run-not-found"]
    assert "2023Q1" in err


def test_library_stop_is_chinese_exit_2_and_json(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SafescoreError (here a bad SAFESCORE_FILE_TIMEOUT) ends the command, never a traceback."""
    rubric, returns = tiny(tmp_path)
    monkeypatch.setenv("SAFESCORE_FILE_TIMEOUT", "abc")
    code, out, err = run_cli("score", rubric, returns, "--period", "2022Q1", "--json")
    assert code == 2
    problems = failure(out, 2)
    assert len(problems) == 1 and "SAFESCORE_FILE_TIMEOUT" in problems[0]["message"]
    assert "SAFESCORE_FILE_TIMEOUT" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "command",
    [
        ["check", "{rubric}"],
        ["validate", "{rubric}", "{returns}", "--period", "2022Q1"],
        ["explain", "{rubric}", "{returns}", "--unit", "甲局", "--item", "s.meet"],
        ["template", "{rubric}", "-o", "{tmp}/forms"],
        ["init", "{tmp}/project"],
    ],
)
def test_json_success_is_only_json(run_cli: RunCli, tmp_path: Path, command: list[str]) -> None:
    rubric, returns = tiny(tmp_path)
    args = [a.format(rubric=rubric, returns=returns, tmp=tmp_path) for a in command]
    code, out, _ = run_cli(*args, "--json")
    assert code == 0
    assert isinstance(json.loads(out), dict)


# --- options the commands take ---------------------------------------------------------------------


def test_explain_quiet_still_prints_the_account(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    code, out, _ = run_cli("explain", rubric, returns, "--unit", "乙局", "--quiet")
    assert code == 0
    assert "乙局" in out and "s.meet" in out


def test_init_json_and_quiet(run_cli: RunCli, tmp_path: Path) -> None:
    code, out, _ = run_cli("init", tmp_path / "p", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["exit_code"] == 0
    assert data["config"] == str(tmp_path / "p" / "safescore.toml")
    assert Path(data["config"]).is_file()
    code, out, err = run_cli("init", tmp_path / "q", "--quiet")
    assert (code, out, err) == (0, "", "")
    code, out, _ = run_cli("init", tmp_path / "p", "--json")  # the config exists already
    assert code == 2
    assert [p["code"] for p in failure(out, 2)] == ["init-failed"]


def test_history_show_lang_en(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    assert run_cli("score", rubric, returns, "--period", "2022Q1", "--quiet")[0] == 0
    code, out, _ = run_cli("history", "show", "2022Q1", "--lang", "en")
    assert code == 0
    assert "Rank" in out and "甲局" in out
    code, out, _ = run_cli("history", "show", "2022Q1")
    assert code == 0 and "排名" in out and "Rank" not in out
    assert run_cli("history", "show", "2022Q1", "--lang", "fr")[0] == 2


# --- help: every command, sub-command, argument and option is documented (sqlite-utils style) -------


def _commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, cmd: Any) -> None:
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            path = f"{prefix} {name}".strip()
            found.append((path, sub))
            walk(path, sub)

    walk("", root)
    return found


COMMANDS = _commands()


def test_all_spec_6_commands_are_walked() -> None:
    names = {name for name, _ in COMMANDS}
    assert names >= {"init", "check", "template", "validate", "score", "explain", "annual", "report"}
    assert names >= {"run", "history", "history list", "history show"}


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_parameter_has_help(run_cli: RunCli, name: str, cmd: Any) -> None:
    assert (cmd.help or "").strip(), f"{name} has no help text"
    undocumented = [p.name for p in cmd.params if not (getattr(p, "help", None) or "").strip()]
    assert undocumented == [], f"{name}: parameters without help: {undocumented}"
    code, out, err = run_cli(*name.split(), "--help")
    assert code == 0, err
    for p in cmd.params:
        flag = p.opts[0] if p.param_type_name == "option" else (p.metavar or p.name.upper())
        assert flag in out, f"{name} --help does not show {flag}"


# --- found in the audit (fixed outside cli/) ------------------------------------------------------


def test_validate_output_folder_has_validation_xlsx(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    code, _, err = run_cli("validate", rubric, returns, "--period", "2022Q1", "-o", tmp_path / "v")
    assert code == 0, err
    assert (tmp_path / "v" / "validation.json").is_file()
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "v" / "validation.xlsx").worksheets[0]
    assert sheet.title == "数据校验" and "文件" in [c.value for c in sheet[1]]


def test_folder_input_holding_the_source_file(run_cli: RunCli, gangcheng_data: Path) -> None:
    onsite = gangcheng_data / f"onsite-{GANGCHENG_PERIOD}.xlsx"
    code, out, err = run_cli(
        "score", RUBRIC, gangcheng_data, "--source", f"onsite={onsite}", "--period", GANGCHENG_PERIOD
    )
    assert code == 0, out + err


def test_root_is_the_repository() -> None:
    """Guard for the imports above: RUBRIC is the shipped Gangcheng rubric."""
    assert RUBRIC == ROOT / "rubrics" / "gangcheng-sanze.yaml" and RUBRIC.is_file()


def test_an_unusable_word_template_is_a_usage_error(run_cli: RunCli, tmp_path: Path) -> None:
    rubric, returns = tiny(tmp_path)
    code, _, err = run_cli(
        "score", rubric, returns, "--period", "2022Q1", "--format", "json", "-o", tmp_path / "r"
    )
    assert code == 0, err
    bad = tmp_path / "tpl.docx"
    bad.write_text("not a Word file", encoding="utf-8")
    runs = {
        "score": ("score", rubric, returns, "--period", "2022Q1", "--format", "docx"),
        "report": ("report", tmp_path / "r" / "results.json", "--format", "docx"),
    }
    for name, args in runs.items():
        code, out, err = run_cli(*args, "--template", bad, "-o", tmp_path / name)
        assert code == 2, out + err
        assert "无法使用" in out + err and "Traceback" not in out + err
        assert not (tmp_path / name).exists()  # refused before anything was read or written
