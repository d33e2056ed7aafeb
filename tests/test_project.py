"""Project config, ``init`` and ``run`` (SPEC 5, 6, 9): config errors, periods, the example end to end."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import threading
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from helpers import init_example, run_project_cli
from rich.console import Console

from safescore.cli.project_cmd import cmd_init, cmd_run
from safescore.project.config import (
    CONFIG_NAME,
    ConfigError,
    ProjectError,
    find_config,
    last_ended_period,
    load_config,
)
from safescore.project.init import config_text, init_project
from safescore.project.lock import LockBusy, ProjectLock, repair_leftovers
from safescore.project.run import UNCHANGED, execute, run_project

GOOD = """
[project]
rubric = "r.yaml"
"""


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=300, no_color=True), buf


def _snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``folder``: (mtime_ns, sha-ish content digest)."""
    import hashlib

    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _leftovers(out: Path) -> list[str]:
    """Temporary or retired folders a run left beside ``out`` (other periods are not leftovers)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f"{out.name}."))


# --- config ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[project]\nname = "x"\n', "[project] rubric"),
        (GOOD + '[output]\nformats = ["json", "pdf"]\n', "[output] formats"),
        (GOOD + '[output]\nfolder = "out"\n', "[output] folder"),
        (GOOD + '[output]\nletters = "yes"\n', "[output] letters"),
        (GOOD + '[issuer]\ndoc_number = "钢安办〔{year}〕{num}号"\n', "[issuer] doc_number"),
        (GOOD + '[sources]\nonsite = "data/{perod}/onsite"\n', "[sources] onsite"),
        (GOOD + '[inputs]\nreturns = "data/{period/returns"\n', "[inputs] returns"),
        (GOOD + '[histroy]\nurl = "x"\n', "[histroy]"),
        (GOOD + "[issuer]\nnext_steps = [1, 2]\n", "[issuer] next_steps[0]"),
        (GOOD + '[output]\ndir = "out\n', "TOML 语法错误"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert key in err.value.message
    assert str(path) in err.value.message
    assert err.value.exit_code == 2


def test_config_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_NAME
    path.write_text(GOOD + '[sources]\nonsite = ["a/{period}.xlsx", "/abs/{year}"]\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.rubric_path == tmp_path / "r.yaml"
    assert cfg.returns_path("2022Q1") == tmp_path / "data/2022Q1/returns"
    assert cfg.output_dir("2022-03") == tmp_path / "out/2022-03"
    assert cfg.source_paths("2022Q1") == {"onsite": [tmp_path / "a/2022Q1.xlsx", Path("/abs/2022")]}
    assert cfg.output.formats == ["json", "xlsx", "html", "docx"] and cfg.output.letters


def test_missing_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="safescore init"):
        load_config(tmp_path / CONFIG_NAME)


def test_the_init_template_is_a_valid_config(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_NAME
    path.write_text(config_text(None, "rubric.yaml"), encoding="utf-8")
    cfg = load_config(path)
    assert cfg.issuer.doc_number == "安办〔{year}〕{seq}号" and cfg.sources == {}
    assert cfg.doc_number(year=2022, period="2022Q1", seq=12) == "安办〔2022〕12号"


def test_find_config_looks_upwards(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(GOOD, encoding="utf-8")
    deep = tmp_path / "data" / "2022Q1"
    deep.mkdir(parents=True)
    assert find_config(deep) == (tmp_path / CONFIG_NAME).resolve()
    assert find_config(tmp_path.parent) is None or find_config(tmp_path.parent) != tmp_path / CONFIG_NAME


@pytest.mark.parametrize(
    ("kind", "today", "expected"),
    [
        ("quarter", dt.date(2026, 11, 23), "2026Q3"),
        ("month", dt.date(2026, 11, 23), "2026-10"),
        ("half", dt.date(2026, 11, 23), "2026H1"),
        ("year", dt.date(2026, 11, 23), "2025"),
        ("quarter", dt.date(2026, 1, 5), "2025Q4"),
        ("quarter", dt.date(2026, 4, 1), "2026Q1"),
        ("quarter", dt.date(2026, 3, 31), "2025Q4"),
        ("month", dt.date(2026, 1, 1), "2025-12"),
        ("half", dt.date(2026, 6, 30), "2025H2"),
        ("half", dt.date(2026, 7, 1), "2026H1"),
        ("year", dt.date(2026, 1, 1), "2025"),
    ],
)
def test_last_ended_period(kind: str, today: dt.date, expected: str) -> None:
    assert last_ended_period(kind, today) == expected


# --- init ------------------------------------------------------------------------------------------


def test_init_unknown_example_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="gangcheng") as err:
        init_project(tmp_path / "p", "nosuch")
    assert err.value.exit_code == 2
    assert not (tmp_path / "p").exists()
    console, buf = _console()
    assert cmd_init(tmp_path / "p", "nosuch", console) == 2
    assert "可用的示例：" in buf.getvalue() and "gangcheng" in buf.getvalue()


def test_init_blank_project_then_run_says_what_is_missing(tmp_path: Path) -> None:
    written = init_project(tmp_path / "p")
    assert (tmp_path / "p" / CONFIG_NAME) in written
    for name in ("data", "out", "logs", "templates"):
        assert (tmp_path / "p" / name).is_dir()
    with pytest.raises(ProjectError, match="已存在"):
        init_project(tmp_path / "p")
    console, buf = _console()
    assert run_project(tmp_path / "p" / CONFIG_NAME, console=console) == 2
    assert "rubric.yaml" in buf.getvalue() and "[project] rubric" in buf.getvalue()


# --- the Gangcheng example, end to end -------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``init --example gangcheng`` then one full ``run`` (all formats, letters)."""
    project = tmp_path_factory.mktemp("proj") / "gangcheng"
    init_project(project, "gangcheng")
    console, buf = _console()
    outcome = execute(project / CONFIG_NAME, console=console)
    assert outcome.code == 0, buf.getvalue()
    assert outcome.status == "written"
    return project


def test_example_run_writes_every_output(example: Path) -> None:
    out = example / "out" / "2022Q1"
    for name in ("results.json", "results.xlsx", "bulletin.docx", "bulletin.html", "manifest.json"):
        assert (out / name).is_file(), name
    assert len(list((out / "letters").glob("*.docx"))) == 27
    assert len(list((out / "letters").glob("*.html"))) == 27
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["period"] == "2022Q1" and len(results["units"]) == 27
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2022Q1" and len(manifest["options"]["fingerprint"]) == 64
    assert "钢安办〔" in (out / "bulletin.html").read_text(encoding="utf-8")
    state = json.loads((example / ".safescore" / "state.json").read_text(encoding="utf-8"))
    assert state["periods"]["2022Q1"]["doc_number"].endswith("〕1号")
    log = (example / "logs" / "safescore.log").read_text(encoding="utf-8")
    assert "开始运行" in log and "新输出已就位" in log
    assert _leftovers(out) == []
    assert not (example / ".safescore" / "run.lock").exists()


def test_the_year_is_scored_and_combined(example: Path) -> None:
    """Gangcheng (seed 000): four quarters make the year; ``[annual] year`` keeps it current."""
    quarters = {}
    for q in ("2022Q1", "2022Q2", "2022Q3", "2022Q4"):
        data = json.loads((example / "out" / q / "results.json").read_text(encoding="utf-8"))
        quarters[q] = {u["unit"]: Decimal(str(u["total"])) for u in data["units"]}
    year = json.loads((example / "out" / "2022-annual" / "results.json").read_text(encoding="utf-8"))
    assert year["period"] == "2022" and len(year["units"]) == 27
    for u in year["units"]:
        mean = sum(quarters[q][u["unit"]] for q in quarters) / 4  # annual.combine: mean
        assert Decimal(str(u["total"])) == mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), u["unit"]
        assert [s["id"] for s in u["sections"]] == list(quarters)
    # Q2 compares with Q1 because the quarters are scored in calendar order
    q2 = json.loads((example / "out" / "2022Q2" / "results.json").read_text(encoding="utf-8"))
    assert q2["previous_period"] == "2022Q1"
    manifest = json.loads((example / "out" / "2022-annual" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["periods"] == list(quarters)
    assert {o["path"] for o in manifest["outputs"]} >= {"results.json", "bulletin.docx", "bulletin.html"}


def test_second_run_is_unchanged_and_touches_nothing(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(example / "out")
    state = (example / ".safescore" / "state.json").read_bytes()
    monkeypatch.chdir(example)  # a bare `safescore run` inside the folder
    console, buf = _console()
    assert cmd_run(None, None, console, False, False) == 0
    assert UNCHANGED in buf.getvalue()
    assert _snapshot(example / "out") == before
    assert (example / ".safescore" / "state.json").read_bytes() == state


def test_changed_input_renders_again_with_the_next_doc_number(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "moved"
    shutil.copytree(example, project)  # a moved project keeps working: every path is relative
    out = project / "out" / "2022Q1"
    old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    onsite = next((project / "data" / "2022Q1" / "onsite").glob("*.xlsx"))
    wb = openpyxl.load_workbook(onsite)
    ws = wb.worksheets[0]
    row = next(r for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, 3).value, int | float))
    ws.cell(row, 3).value = ws.cell(row, 3).value + 1
    wb.save(onsite)
    console, _ = _console()
    assert cmd_run(project, None, console, True, True) == 0
    summary = json.loads(capsys.readouterr().out)
    # Q1–Q4 took 1–4号; the re-issued Q1 takes the next number, the unchanged quarters none
    assert summary["status"] == "written" and summary["doc_number"].endswith("〕5号")
    assert [p["status"] for p in summary["other_periods"]] == ["unchanged"] * 3
    new = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert new["options"]["fingerprint"] != old["options"]["fingerprint"]
    assert _leftovers(out) == []


# --- exit codes and the lock, in process --------------------------------------------------------------


@pytest.fixture
def light(example: Path, tmp_path: Path) -> Path:
    """A copy of the example with no outputs and only results.json: quick to run."""
    project = tmp_path / "light"
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("out", ".safescore", "logs", "*.db"))
    cfg = project / CONFIG_NAME
    text = cfg.read_text(encoding="utf-8").replace(
        'formats = ["json", "xlsx", "html", "docx"]', 'formats = ["json"]'
    )
    cfg.write_text(text.replace("letters = true", "letters = false"), encoding="utf-8")
    return project


def test_missing_returns_folder_is_exit_3(light: Path) -> None:
    console, buf = _console()
    assert run_project(light / CONFIG_NAME, "2023Q1", console=console) == 3
    assert "本期回执" in buf.getvalue() and "2023Q1" in buf.getvalue()
    assert not (light / "out" / "2023Q1").exists()


def test_period_of_the_wrong_kind_is_exit_2(light: Path) -> None:
    console, buf = _console()
    assert run_project(light / CONFIG_NAME, "2022-03", console=console) == 2
    assert "--period" in buf.getvalue()


def test_no_period_means_the_period_that_just_ended(light: Path) -> None:
    cfg = light / CONFIG_NAME
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('period = "2022Q1"', ""), encoding="utf-8")
    console, buf = _console()
    outcome = execute(cfg, console=console, today=dt.date(2023, 1, 9))
    assert outcome.code == 0 and outcome.period == "2022Q4", buf.getvalue()
    assert (light / "out" / "2022Q4" / "results.json").is_file()


def test_bad_rubric_is_exit_2(light: Path) -> None:
    rubric = next((light / "rubrics").glob("*.yaml"))
    rubric.write_text(
        rubric.read_text(encoding="utf-8").replace("scale: 1000", "scale: 900"), encoding="utf-8"
    )
    console, buf = _console()
    assert run_project(light / CONFIG_NAME, console=console) == 2
    assert "有错误" in buf.getvalue()


def test_unknown_source_name_is_exit_2(light: Path) -> None:
    cfg = light / CONFIG_NAME
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("onsite = ", "onsight = "), encoding="utf-8")
    console, buf = _console()
    assert run_project(cfg, console=console) == 2
    assert "[sources] onsight" in buf.getvalue()


def test_busy_lock_exits_3_naming_the_holder(light: Path) -> None:
    with ProjectLock(light / ".safescore" / "run.lock"):
        console, buf = _console()
        assert run_project(light / CONFIG_NAME, console=console) == 3
    assert f"进程 {os.getpid()}" in buf.getvalue() and "正在运行" in buf.getvalue()
    assert not (light / "out" / "2022Q1").exists()


def test_lock_wait_succeeds_when_the_holder_finishes(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    holder = ProjectLock(path)
    holder.acquire()
    threading.Timer(0.4, holder.release).start()
    start = time.monotonic()
    with ProjectLock(path, wait=10, poll=0.05) as second:
        assert second.info is not None and second.info.pid == os.getpid()
    assert 0.3 < time.monotonic() - start < 5
    assert not path.exists()


def test_stale_lock_of_a_dead_process_is_taken(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    path = tmp_path / "run.lock"
    path.write_text(
        json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(), "started": "2022-04-01T02:15:00"})
    )
    with caplog.at_level("WARNING", logger="safescore.project"), ProjectLock(path):
        pass
    assert "已不存在" in caplog.text


def test_foreign_host_lock_is_stale_only_when_old(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    info = {"pid": 1, "host": "other-host", "started": "2022-04-01T02:15:00+08:00"}
    path.write_text(json.dumps(info))
    with pytest.raises(LockBusy, match="other-host"):
        ProjectLock(path).acquire()
    old = time.time() - 13 * 3600
    os.utime(path, (old, old))
    with ProjectLock(path, stale_hours=12):
        pass


def test_repair_restores_the_old_folder_when_out_is_missing(tmp_path: Path) -> None:
    out = tmp_path / "2022Q1"
    (tmp_path / "2022Q1.old-111").mkdir()
    (tmp_path / "2022Q1.old-111" / "results.json").write_text("old")
    (tmp_path / "2022Q1.tmp-111").mkdir()
    (tmp_path / "2022Q1x.tmp-5").mkdir()  # another output folder's name: not ours to touch
    notes = repair_leftovers(out)
    assert (out / "results.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2022Q1", "2022Q1x.tmp-5"]
    assert len(notes) == 2


def test_next_period_shows_rank_changes_from_history(light: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("safescore.cli.history_cmd")
    monkeypatch.delenv("SAFESCORE_DB", raising=False)  # the project's own default, not the test suite's
    console, buf = _console()
    assert run_project(light / CONFIG_NAME, "2022Q1", console=console) == 0, buf.getvalue()
    assert run_project(light / CONFIG_NAME, "2022Q2", console=console) == 0, buf.getvalue()
    assert (light / "safescore.db").is_file()  # in the project, whatever the working folder
    q2 = json.loads((light / "out" / "2022Q2" / "results.json").read_text(encoding="utf-8"))
    assert all(u["previous_rank"] is not None for u in q2["units"])


def test_an_incomplete_year_is_said_and_left_for_later(light: Path) -> None:
    shutil.rmtree(light / "data" / "2022Q4")  # the fourth quarter is not collected yet
    console, buf = _console()
    outcome = execute(light / CONFIG_NAME, console=console)
    assert outcome.code == 0, buf.getvalue()
    assert [p["period"] for p in outcome.other_periods] == ["2022Q2", "2022Q3"]
    assert outcome.annual_dir is None and not (light / "out" / "2022-annual").exists()
    assert "2022 年度汇总暂不生成" in buf.getvalue() and "2022Q4" in buf.getvalue()


def test_trend_comes_from_history_in_calendar_order(example: Path) -> None:
    q4 = json.loads((example / "out" / "2022Q4" / "results.json").read_text(encoding="utf-8"))
    unit = next(u for u in q4["units"] if u["unit"] == "钢城区应急管理局")
    assert [p["period"] for p in unit["history"]] == ["2022Q1", "2022Q2", "2022Q3"]
    q1 = json.loads((example / "out" / "2022Q1" / "results.json").read_text(encoding="utf-8"))
    first = next(u for u in q1["units"] if u["unit"] == "钢城区应急管理局")
    assert unit["history"][0]["total"] == first["total"]


def test_output_lang_is_in_the_config_and_in_the_fingerprint(light: Path) -> None:
    cfg = light / CONFIG_NAME
    text = cfg.read_text(encoding="utf-8").replace('year = "2022"', "")
    cfg.write_text(text.replace('formats = ["json"]', 'formats = ["json", "html"]'), encoding="utf-8")
    console, buf = _console()
    assert run_project(cfg, console=console) == 0, buf.getvalue()
    html = (light / "out" / "2022Q1" / "bulletin.html").read_text(encoding="utf-8")
    assert "考评结果的通报" in html
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('lang = "zh"', 'lang = "en"'), encoding="utf-8")
    console, buf = _console()
    assert run_project(cfg, console=console) == 0, buf.getvalue()
    assert UNCHANGED not in buf.getvalue()  # another language is another output
    html = (light / "out" / "2022Q1" / "bulletin.html").read_text(encoding="utf-8")
    assert "Notice of the" in html and "钢城区应急管理局" in html


def test_an_unusable_word_template_in_the_config_stops_the_run_as_a_config_error(tmp_path: Path) -> None:
    project = init_example(tmp_path, "gangcheng")
    (project / "templates" / "bad.docx").write_bytes(b"PK\x03\x04 not really a zip")
    config = project / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("[templates]\n", '[templates]\nword = "templates/bad.docx"\n', 1), encoding="utf-8"
    )
    code, output = run_project_cli(project)
    assert code == 2, output
    assert "[templates] word" in output and "无法使用" in output and "Traceback" not in output
    assert not any((project / "out").iterdir())
