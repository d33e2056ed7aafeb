"""The public entry points: load a rubric, read inputs, score, all importable without the CLI."""

from __future__ import annotations

from safescore.engine.scoring import score_group
from safescore.inputs.batch import gc_paused
from safescore.inputs.model import Inputs
from safescore.problems import Problem, Report
from safescore.results.build import build_group
from safescore.results.model import GroupResult, Result, UnitResult
from safescore.rubric.model import Rubric


def needs_return(rubric: Rubric, group: str) -> bool:
    """True when some item of the group reads the unit's own return."""
    for s in rubric.sections_for(group):
        if any(it.source == "return" for it in s.items_for(group)):
            return True
    return False


def score(rubric: Rubric, inputs: Inputs, period: str | None = None, *, strict: bool = False) -> Result:
    """Score every unit of every group; never raises for bad data.

    Problems met while reading (``inputs.report``) and while scoring are all in
    ``Result.problems``. Units with no return are scored on what exists and
    listed in ``Result.not_submitted``.

    >>> result = score(load_rubric("rubrics/gangcheng-sanze.yaml"), inputs, "2022Q1")  # doctest: +SKIP
    """
    with gc_paused():
        return _score(rubric, inputs, period, strict)


def _score(rubric: Rubric, inputs: Inputs, period: str | None, strict: bool) -> Result:
    report = Report(list(inputs.report.problems))
    groups: list[GroupResult] = []
    units: list[UnitResult] = []
    not_submitted: list[str] = []
    for g in rubric.groups:
        members = [u for u in inputs.units if u.group == g.id]
        if not members:
            continue
        if needs_return(rubric, g.id):
            for u in members:
                if u.name not in inputs.returns:
                    not_submitted.append(u.name)
                    report.add(
                        Problem(
                            "unit-not-submitted",
                            f"{u.name}（{g.title}）未报送，按已有数据计分，缺失项不得分",
                            category="input",
                            unit=u.name,
                        )
                    )
        gs = score_group(rubric, g, members, inputs, period)
        group_result, unit_results = build_group(rubric, gs, inputs, report, strict)
        groups.append(group_result)
        units.extend(unit_results)
    return Result(
        rubric_id=rubric.rubric,
        rubric_title=rubric.title,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        period=period,
        decimals=rubric.decimals,
        groups=tuple(groups),
        units=tuple(units),
        problems=tuple(report.problems),
        inputs=tuple(
            {"path": f.path, "sha256": f.sha256, "role": f.role, "layout": f.layout} for f in inputs.files
        ),
        not_submitted=tuple(not_submitted),
    )
