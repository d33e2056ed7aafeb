"""results.json reads back into the same Result (what `safescore report` re-renders from)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safescore.results.load import load_result, result_from_dict


def test_results_json_round_trips(gangcheng_result_json: Path) -> None:
    original = json.loads(gangcheng_result_json.read_text(encoding="utf-8"))
    again = load_result(gangcheng_result_json).to_dict()
    assert json.loads(json.dumps(again, ensure_ascii=False)) == original


def test_other_json_is_refused() -> None:
    with pytest.raises(ValueError):
        result_from_dict({"format": "something-else"})


@pytest.fixture()
def gangcheng_result_json(tmp_path: Path, gangcheng_data: Path, run_cli) -> Path:  # type: ignore[no-untyped-def]
    from conftest import ROOT

    out = tmp_path / "out"
    code, _, _ = run_cli(
        "score",
        ROOT / "rubrics" / "gangcheng-sanze.yaml",
        gangcheng_data / "returns-2022Q1.xlsx",
        "--source",
        f"onsite={gangcheng_data / 'onsite-2022Q1.xlsx'}",
        "--period",
        "2022Q1",
        "-o",
        out,
        "--quiet",
    )
    assert code == 0
    return out / "results.json"
