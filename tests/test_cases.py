"""Hand-computed acceptance cases, run exactly as an officer would (SPEC 6):

    safescore score RUBRIC RETURNS.xlsx [--source onsite=FILE] --period P -o DIR --format json

Each folder in tests/cases holds ``rubric.yaml``, ``returns.json`` (optional ``title`` row above a
``header`` row, then ``rows``), optionally ``onsite.json`` (scores layout rows
``单位 | 指标编码 | 扣分 | 扣分原因 | 佐证``) and ``expected.json`` with numbers computed by hand;
every unit there carries a ``why`` with the arithmetic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

CASES = Path(__file__).resolve().parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.json").exists())
ONSITE_HEADER = ["单位", "指标编码", "扣分", "扣分原因", "佐证"]


def safescore_exe() -> str:
    exe = Path(sys.executable).with_name("safescore")
    found = str(exe) if exe.exists() else shutil.which("safescore")
    assert found, "the safescore console script is not installed"
    return found


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def plain(v: Any) -> Any:
    return float(v) if isinstance(v, Decimal) else v


def write_xlsx(path: Path, spec: dict[str, Any], header: list[str]) -> None:
    wb = Workbook()
    ws = wb.active
    if spec.get("title"):
        ws.append([spec["title"]])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in spec["rows"]:
        ws.append([plain(v) for v in row])
    wb.save(path)


def num(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def run_case(name: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    case = CASES / name
    expected = load_json(case / "expected.json")
    returns_spec = load_json(case / "returns.json")
    returns = tmp_path / "returns.xlsx"
    write_xlsx(returns, returns_spec, returns_spec["header"])
    cmd = [safescore_exe(), "score", str(case / "rubric.yaml"), str(returns)]
    if (case / "onsite.json").exists():
        onsite = tmp_path / "onsite.xlsx"
        write_xlsx(onsite, load_json(case / "onsite.json"), ONSITE_HEADER)
        cmd += ["--source", f"onsite={onsite}"]
    out = tmp_path / "out"
    cmd += ["--period", expected["period"], "-o", str(out), "--format", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", timeout=120)
    return proc, expected, out


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(name: str, tmp_path: Path) -> None:
    proc, expected, out = run_case(name, tmp_path)
    assert proc.returncode == expected["exit_code"], proc.stdout + proc.stderr
    results = load_json(out / "results.json")
    assert results["period"] == expected["period"]
    assert results["not_submitted"] == expected.get("not_submitted", [])
    got = {u["unit"]: u for u in results["units"]}
    assert sorted(got) == sorted(expected["units"]), "every unit of the case must be checked"
    for unit, want in expected["units"].items():
        u = got[unit]
        assert want["why"]
        ctx = f"{name}/{unit}: {want['why']}"
        assert num(u["total"]) == num(want["total"]), ctx
        assert u["rank"] == want["rank"], ctx
        assert u["grade"] == want["grade"], ctx
        assert u["vetoes"] == want["vetoes"], ctx
        assert u["status"] == want.get("status", "已报送"), ctx
        for key in ("total_before_veto", "bonus", "penalty"):
            if key in want:
                assert num(u[key]) == num(want[key]), (key, ctx)
        if "callouts" in want:
            assert u["callouts"] == want["callouts"], ctx
        items = {i["id"]: i for i in u["items"]}
        for iid, score in want.get("items", {}).items():
            assert num(items[iid]["score"]) == num(score), (iid, ctx)
        for iid in want.get("absent_items", []):
            assert iid not in items, (iid, ctx)
        sections = {s["id"]: s for s in u["sections"]}
        for sid, score in want.get("sections", {}).items():
            assert num(sections[sid]["score"]) == num(score), (sid, ctx)
        for iid, texts in want.get("reasons", {}).items():
            for text in [texts] if isinstance(texts, str) else texts:
                assert text in items[iid]["reason"], (iid, text, items[iid]["reason"])
    for gid, want in expected.get("groups", {}).items():
        g = next(g for g in results["groups"] if g["id"] == gid)
        if "ranking" in want:
            assert g["ranking"] == want["ranking"], gid
        if "bottom" in want:
            assert sorted(g["callouts"]["bottom"]) == sorted(want["bottom"]), gid


def test_there_are_enough_cases() -> None:
    assert len(CASE_NAMES) >= 8
