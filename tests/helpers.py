"""Small builders for tests: a rubric from YAML text, inputs from plain dicts, shipped examples."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from typer.testing import CliRunner

from safescore.cli.app import app
from safescore.inputs.model import CellRef, FieldValue, Inputs, ScoreRow, UnitReturn
from safescore.problems import Report
from safescore.rubric.check import check_rubric
from safescore.rubric.model import Rubric


def rubric_from_text(tmp_path: Path, text: str, name: str = "r.yaml") -> tuple[Rubric | None, Report]:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    report = Report()
    return check_rubric(p, report), report


def load_ok(tmp_path: Path, text: str) -> Rubric:
    rubric, report = rubric_from_text(tmp_path, text)
    assert rubric is not None and report.ok, [(p.code, p.message, p.line) for p in report]
    return rubric


def _dec(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, int) and not isinstance(v, bool):
        return Decimal(v)
    if isinstance(v, str):
        try:
            return Decimal(v)
        except Exception:
            return v
    return v


def make_inputs(
    rubric: Rubric, returns: dict[str, dict[str, Any]], scores: dict[str, list[tuple]] | None = None
) -> Inputs:
    """returns: unit → {field: value}; scores: source → [(unit, item, value, reason)]."""
    inputs = Inputs(units=list(rubric.units))
    for row, (unit, vals) in enumerate(returns.items(), start=2):
        ret = UnitReturn(unit, pos=CellRef("t.xlsx", "S", f"A{row}"))
        for col, (f, v) in enumerate(vals.items()):
            ret.values[f] = FieldValue(_dec(v), v, CellRef("t.xlsx", "S", f"{chr(66 + col)}{row}"))
        inputs.returns[unit] = ret
    for src, rows in (scores or {}).items():
        inputs.scores[src] = [
            ScoreRow(src, u, item, _dec(v), reason, "", CellRef("s.xlsx", "S", f"C{i + 2}"))
            for i, (u, item, v, reason) in enumerate(rows)
        ]
    for name, t in rubric.targets.items():
        inputs.targets[name] = {
            u.name: t.values.get(u.name, t.default)
            for u in rubric.units
            if t.values.get(u.name, t.default) is not None
        }
    return inputs


# --- the shipped examples (examples/<name>/) -----------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def load_generator(example: str) -> ModuleType:
    """``examples/<example>/make_data.py`` as a module, for its ground truth (values, layouts, mess)."""
    name = f"{example}_make_data"
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / example / "make_data.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def invoke_cli(*args: object, env: dict[str, str | None] | None = None) -> tuple[int, str]:
    """Run ``safescore ARGS`` in-process: (exit code, output). A crash inside a command is re-raised.

    ``env`` adds to (a value of None removes from) the environment, on top of a wide, colourless terminal.
    """
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def init_example(tmp_path: Path, name: str, env: dict[str, str | None] | None = None) -> Path:
    """``safescore init <tmp_path>/<name>-demo --example <name>`` (must succeed): the project folder."""
    project = tmp_path / f"{name}-demo"
    code, output = invoke_cli("init", project, "--example", name, env=env)
    assert code == 0, output
    return project


def run_project_cli(
    project: Path, *args: object, env: dict[str, str | None] | None = None
) -> tuple[int, str]:
    """``safescore run <project> ARGS``: (exit code, output)."""
    return invoke_cli("run", project, *args, env=env)
