"""A file that hangs (or kills) its reader never stops the batch (SPEC 9: never a hang).

The stuck reader is simulated by patching ``batch.read_one`` in a child Python that
forks its workers, so the patch is what the workers run; the child is itself bounded
by a timeout, so a regression fails instead of hanging the test run.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_form import make_form

from safescore import load_rubric, read_inputs
from safescore.inputs.batch import file_timeout_from_env, resolve_file_timeout
from safescore.problems import SafescoreError

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"
UNITS = [
    "钢城区应急管理局",
    "钢城区水务局",
    "钢城区商务局",
    "钢城区民政局",
    "艾山街道",
    "汶源街道",
    "里辛街道",
    "颜庄街道",
    "辛庄街道",
    "钢城经济开发区",
]

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="the patched reader reaches workers by fork"
)

# Runs in a child: files whose name has 'stuck' sleep for an hour, 'crash' kill the worker.
CHILD = r"""
import json, multiprocessing, os, sys, time
from pathlib import Path
multiprocessing.set_start_method("fork", force=True)
from safescore import load_rubric, read_inputs
from safescore.inputs import batch

real = batch.read_one

def read_one(path, role):
    if "stuck" in path.name:
        time.sleep(3600)
    if "crash" in path.name:
        os._exit(3)
    return real(path, role)

batch.read_one = read_one
rubric = load_rubric(sys.argv[1])
kw = {} if sys.argv[3] == "env" else {"file_timeout": float(sys.argv[3])}
t0 = time.monotonic()
if os.environ.get("SLOW_CALLER"):  # the caller holds each result a while, as a busy terminal does
    kw["progress"] = lambda path: time.sleep(0.2)
inputs = read_inputs(rubric, [sys.argv[2]], jobs=2, period="2022Q1", **kw)
print(json.dumps({
    "seconds": time.monotonic() - t0,
    "returns": sorted(inputs.returns),
    "problems": [[Path(p.file).name if p.file else None, p.code, p.severity, p.message] for p in inputs.report],
    "files": [Path(f.path).name for f in inputs.files],
}, ensure_ascii=False))
"""


def _folder(tmp_path: Path, bad: dict[int, str]) -> Path:
    """One form return per unit; unit i's file is named after ``bad[i]`` when given."""
    folder = tmp_path / "returns"
    folder.mkdir()
    for i, unit in enumerate(UNITS):
        make_form(folder, unit=unit, meta=None, name=f"{i:02d}-{bad.get(i, 'ok')}.xlsx")
    return folder


def _run(folder: Path, timeout: str, env: dict[str, str] | None = None) -> dict:
    import os

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(RUBRIC), str(folder), timeout],
        capture_output=True,
        text=True,
        timeout=60,  # the bound on the test itself: a hang fails here
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_a_stuck_file_is_a_timeout_and_the_rest_of_the_batch_is_read(tmp_path: Path) -> None:
    # two stuck files: one worker is replaced twice, or both workers once each
    folder = _folder(tmp_path, {2: "stuck", 7: "stuck"})
    out = _run(folder, "1")
    assert out["seconds"] < 30
    timeouts = [p for p in out["problems"] if p[1] == "file-timeout"]
    assert [p[0] for p in timeouts] == ["02-stuck.xlsx", "07-stuck.xlsx"]
    assert all(p[2] == "error" and "超过 1 秒" in p[3] and "SAFESCORE_FILE_TIMEOUT" in p[3] for p in timeouts)
    assert out["returns"] == sorted(u for i, u in enumerate(UNITS) if i not in (2, 7))
    assert {p[1] for p in out["problems"]} == {"file-timeout"}
    assert "02-stuck.xlsx" not in out["files"] and len(out["files"]) == len(UNITS) - 2


def test_the_limit_comes_from_the_environment(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {0: "stuck"})
    out = _run(folder, "env", {"SAFESCORE_FILE_TIMEOUT": "1.5"})
    assert [p[:2] for p in out["problems"]] == [["00-stuck.xlsx", "file-timeout"]]
    assert "超过 1.5 秒" in out["problems"][0][3]
    assert len(out["returns"]) == len(UNITS) - 1


def test_a_worker_that_dies_is_reported_for_its_file_and_replaced(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {4: "crash"})
    out = _run(folder, "30")
    assert [p[:2] for p in out["problems"]] == [["04-crash.xlsx", "file-crashed"]]
    assert "退出码 3" in out["problems"][0][3]
    assert len(out["returns"]) == len(UNITS) - 1


def test_workers_dying_one_after_another_never_break_the_batch(tmp_path: Path) -> None:
    # a worker that died since it was last fed must not be written to (CI saw BrokenPipeError)
    crashes = {1, 2, 3, 5, 6, 8}
    folder = _folder(tmp_path, dict.fromkeys(crashes, "crash"))
    out = _run(folder, "30", {"SLOW_CALLER": "1"})
    assert [p[:2] for p in out["problems"]] == [
        [f"{i:02d}-crash.xlsx", "file-crashed"] for i in sorted(crashes)
    ]
    assert out["returns"] == sorted(u for i, u in enumerate(UNITS) if i not in crashes)


def test_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert file_timeout_from_env({}) == 60
    assert file_timeout_from_env({"SAFESCORE_FILE_TIMEOUT": " "}) == 60
    assert file_timeout_from_env({"SAFESCORE_FILE_TIMEOUT": "2.5"}) == 2.5
    assert file_timeout_from_env({"SAFESCORE_FILE_TIMEOUT": "0"}) is None
    for bad in ("abc", "-1", "nan", "inf"):
        with pytest.raises(SafescoreError) as err:
            file_timeout_from_env({"SAFESCORE_FILE_TIMEOUT": bad})
        assert err.value.problems[0].code == "file-timeout-invalid"
    assert resolve_file_timeout(None) is None and resolve_file_timeout(0) is None
    assert resolve_file_timeout(5) == 5
    with pytest.raises(ValueError):
        resolve_file_timeout(-1)
    # a bad setting stops read_inputs before any file is read (a usage error)
    monkeypatch.setenv("SAFESCORE_FILE_TIMEOUT", "soon")
    started = time.monotonic()
    with pytest.raises(SafescoreError):
        read_inputs(load_rubric(RUBRIC), [ROOT / "no-such-folder"])
    assert time.monotonic() - started < 5
