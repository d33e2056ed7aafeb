"""Shared fixtures: the Gangcheng sample data (generated once) and an in-process CLI runner."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safescore.cli.app import app
from safescore.results.model import Result

ROOT = Path(__file__).resolve().parent.parent
GANGCHENG_PERIOD = "2022Q1"

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="session")
def gangcheng_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with returns-2022Q1.xlsx and onsite-2022Q1.xlsx from the shipped generator."""
    out = tmp_path_factory.mktemp("gangcheng")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "gangcheng" / "make_data.py"),
            "--out",
            str(out),
            "--period",
            GANGCHENG_PERIOD,
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def gangcheng_result(gangcheng_data: Path) -> Result:
    """The Gangcheng sample scored once: the result every render test draws from (frozen)."""
    from safescore.api import score
    from safescore.inputs.read import read_inputs
    from safescore.rubric.load import load_rubric

    rubric = load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")
    inputs = read_inputs(
        rubric,
        [gangcheng_data / f"returns-{GANGCHENG_PERIOD}.xlsx"],
        {"onsite": [gangcheng_data / f"onsite-{GANGCHENG_PERIOD}.xlsx"]},
    )
    return score(rubric, inputs, GANGCHENG_PERIOD)


@pytest.fixture
def run_cli() -> RunCli:
    """Invoke the typer app in-process; returns (exit_code, stdout, stderr).

    A crash inside a command is re-raised, so it can never pass for exit code 1.
    """
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

    def run(*args: object) -> tuple[int, str, str]:
        result = runner.invoke(app, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture(autouse=True)
def _isolated_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own history database, so `score` never writes safescore.db into the repo."""
    monkeypatch.setenv("SAFESCORE_DB", str(tmp_path_factory.mktemp("history") / "history.db"))
