"""safescore: work-safety assessment (安全生产考核) scoring from YAML rubrics and Excel returns.

The public API::

    from safescore import load_rubric, read_inputs, score
    rubric = load_rubric("rubrics/gangcheng-sanze.yaml")
    inputs = read_inputs(rubric, ["returns.xlsx"], {"onsite": ["onsite.xlsx"]})
    result = score(rubric, inputs, "2022Q1")
    result.unit("钢城区应急管理局").total
"""

from __future__ import annotations

__version__ = "0.1.0"

from safescore.api import score
from safescore.inputs.model import Inputs
from safescore.inputs.read import read_inputs
from safescore.problems import Problem, Report, RubricError, SafescoreError
from safescore.results.model import GroupResult, ItemScore, Result, SectionScore, UnitResult, VetoHit
from safescore.rubric.load import load_rubric
from safescore.rubric.model import Rubric

__all__ = [
    "GroupResult",
    "Inputs",
    "ItemScore",
    "Problem",
    "Report",
    "Result",
    "Rubric",
    "RubricError",
    "SafescoreError",
    "SectionScore",
    "UnitResult",
    "VetoHit",
    "__version__",
    "load_rubric",
    "read_inputs",
    "score",
]
