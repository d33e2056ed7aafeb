"""``safescore run`` under faults (SPEC 9): kill -9 mid-write, concurrent runs, a full or unwritable disk.

Real processes are started with ``python -c`` calling :func:`run_project`; the test hooks
``SAFESCORE_TEST_SLOW_RENDER`` / ``SAFESCORE_TEST_SLOW_SWAP`` hold a run at a known instant
(outputs rendered in ``<out>.tmp-<pid>``, or between the two renames of the swap) so the
kill lands exactly there. The projects write only results.json and validation.json: what is
tested is the folder handling, which does not depend on the formats.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console

from safescore.project.config import CONFIG_NAME
from safescore.project.init import init_project
from safescore.project.run import run_project

RUN = (
    "import sys; from pathlib import Path; from safescore.project.run import run_project; "
    "sys.exit(run_project(Path(sys.argv[1]), wait=float(sys.argv[2])))"
)
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("faults") / "tpl"
    init_project(project, "gangcheng")
    cfg = project / CONFIG_NAME
    text = cfg.read_text(encoding="utf-8").replace('["json", "xlsx", "html", "docx"]', '["json"]')
    text = text.replace('year = "2022"', "")  # one period: these tests are about its folder swap
    cfg.write_text(text.replace("letters = true", "letters = false"), encoding="utf-8")
    return project


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "p"
    shutil.copytree(template, dest)
    return dest


def _start(project: Path, *, wait: float = 0, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(project / CONFIG_NAME), str(wait)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "300", **(env or {})},
    )


def _until(cond: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"run ended early ({proc.returncode}): {proc.communicate()[0]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("timed out waiting for the run")
        time.sleep(0.05)


def _run(project: Path) -> tuple[int, str]:
    buf = io.StringIO()
    code = run_project(project / CONFIG_NAME, console=Console(file=buf, width=300, no_color=True))
    return code, buf.getvalue()


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _change_input(project: Path) -> None:
    """Change one on-site deduction, so the next run has new outputs to write."""
    onsite = next((project / "data" / "2022Q1" / "onsite").glob("*.xlsx"))
    wb = openpyxl.load_workbook(onsite)
    ws = wb.worksheets[0]
    row = next(r for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, 3).value, int | float))
    ws.cell(row, 3).value = ws.cell(row, 3).value + 1
    wb.save(onsite)


def _saved(project: Path) -> bytes:
    """The run state and the history database (when this installation keeps one), as bytes."""
    db = project / "safescore.db"
    return (project / ".safescore" / "state.json").read_bytes() + (db.read_bytes() if db.exists() else b"")


def _baseline(project: Path) -> tuple[Path, dict[str, str], bytes]:
    """Run once, change an input; return the output folder, its files, and state + history."""
    code, said = _run(project)
    assert code == 0, said
    _change_input(project)
    out = project / "out" / "2022Q1"
    return out, _tree(out), _saved(project)


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def test_kill_9_while_rendering_leaves_previous_outputs_and_next_run_repairs(project: Path) -> None:
    out, before, state = _baseline(project)
    proc = _start(project, env={"SAFESCORE_TEST_SLOW_RENDER": "60"})
    tmp = out.parent / f"2022Q1.tmp-{proc.pid}"
    _until(lambda: (tmp / "manifest.json").is_file(), proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # mid-write: the new set sits unfinished beside the output folder, which is untouched
    assert _tree(out) == before
    assert _saved(project) == state
    assert _siblings(out) == ["2022Q1", tmp.name]
    lock = json.loads((project / ".safescore" / "run.lock").read_text())
    assert lock["pid"] == proc.pid  # left behind by the dead run

    code, said = _run(project)
    assert code == 0, said
    assert "已清除上次中断运行留下的" in said
    assert _siblings(out) == ["2022Q1"]
    assert _tree(out) != before  # the changed input is now scored
    log = (project / "logs" / "safescore.log").read_text(encoding="utf-8")
    assert "发现失效的运行锁" in log and f"进程 {proc.pid} 已不存在" in log
    assert not (project / ".safescore" / "run.lock").exists()


def test_kill_9_between_the_two_renames_is_undone(project: Path) -> None:
    out, before, state = _baseline(project)
    proc = _start(project, env={"SAFESCORE_TEST_SLOW_SWAP": "60"})
    old = out.parent / f"2022Q1.old-{proc.pid}"
    _until(old.is_dir, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists() and _tree(old) == before  # the worst instant: out is missing
    assert _saved(project) == state

    code, said = _run(project)
    assert code == 0, said
    assert "已恢复原有输出" in said
    assert _siblings(out) == ["2022Q1"]
    assert json.loads((out / "manifest.json").read_text())["options"]["fingerprint"]


def test_two_concurrent_runs_never_overlap(project: Path) -> None:
    first = _start(project, env={"SAFESCORE_TEST_SLOW_RENDER": "4"})
    lock = project / ".safescore" / "run.lock"
    _until(lambda: lock.is_file() and f'"pid": {first.pid}' in lock.read_text(), first)

    second = _start(project)  # gives up at once
    third = _start(project, wait=TIMEOUT)  # waits for the first, then finds nothing to do
    said, _ = second.communicate(timeout=TIMEOUT)
    assert second.returncode == 3
    assert f"进程 {first.pid}" in said and "正在运行" in said

    said3, _ = third.communicate(timeout=TIMEOUT)
    said1, _ = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 0, said1
    assert third.returncode == 0, said3
    assert "输入未变化，结果保持不变" in said3
    log = (project / "logs" / "safescore.log").read_text(encoding="utf-8")
    assert f"[{third.pid}] 等待后取得运行锁" in log
    assert _siblings(project / "out" / "2022Q1") == ["2022Q1"]


def test_unwritable_output_location_is_exit_3_and_nothing_partial(project: Path) -> None:
    # root ignores chmod, so make the output's parent a regular file: mkdir fails as on a dead disk
    (project / "blocked").write_text("not a folder")
    cfg = project / CONFIG_NAME
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace('dir = "out/{period}"', 'dir = "blocked/{period}"')
    )
    code, said = _run(project)
    assert code == 3
    assert "无法写入输出文件夹" in said
    assert (project / "blocked").read_text() == "not a folder"
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("blocked")) == ["blocked"]
    assert not (project / ".safescore" / "state.json").exists()  # no 文号 used up
    assert not (project / ".safescore" / "run.lock").exists()


def test_disk_full_midway_is_exit_3_and_previous_outputs_stand(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before, state = _baseline(project)
    real_replace = os.replace
    calls = {"n": 0}

    def full_disk(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # one file already moved into the new set, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    code, said = _run(project)
    monkeypatch.undo()
    assert code == 3
    assert "No space left on device" in said or "空间" in said
    assert _tree(out) == before
    assert _siblings(out) == ["2022Q1"]
    assert _saved(project) == state


def test_failed_final_rename_puts_the_previous_outputs_back(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before, state = _baseline(project)
    real_rename = os.rename

    def refuse_new(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        if ".tmp-" in str(src):
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(src))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", refuse_new)
    code, said = _run(project)
    monkeypatch.undo()
    assert code == 3, said
    assert _tree(out) == before
    assert _siblings(out) == ["2022Q1"]
    assert _saved(project) == state
