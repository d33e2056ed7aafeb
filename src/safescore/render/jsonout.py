"""What ``results.json``, ``validation.json`` and ``manifest.json`` hold (written by :mod:`.outputs`)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from safescore import __version__
from safescore.problems import Problem
from safescore.render.files import build_time
from safescore.results.model import Result


def results_schema() -> dict[str, Any]:
    """The published JSON Schema of ``results.json``."""
    import json

    text = resources.files("safescore").joinpath("schemas/results.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validation_dict(problems: list[Problem] | tuple[Problem, ...]) -> dict[str, Any]:
    rows = [p.to_dict() for p in problems]
    counts = {"error": 0, "warning": 0, "info": 0}
    by_code: dict[str, int] = {}
    for p in problems:
        counts[p.severity] = counts.get(p.severity, 0) + 1
        by_code[p.code] = by_code.get(p.code, 0) + 1
    return {"format": "safescore.validation/1", "counts": counts, "by_code": by_code, "problems": rows}


def created_at() -> str:
    """Build time as ISO 8601 UTC; SOURCE_DATE_EPOCH pins it so outputs are reproducible."""
    return build_time().isoformat() + "Z"


def manifest(result: Result, options: dict[str, Any], outputs: list[tuple[str, str]]) -> dict[str, Any]:
    """``manifest.json`` (SPEC 5): tool version, rubric id/version/sha256, every input file with its
    sha256, period, options, and each output as (name relative to the output folder, sha256).
    """
    return {
        "format": "safescore.manifest/1",
        "tool": {"name": "safescore", "version": __version__},
        "created": created_at(),
        "rubric": {"id": result.rubric_id, "version": result.rubric_version, "sha256": result.rubric_sha256},
        "period": result.period,
        "inputs": list(result.inputs),
        "options": options,
        "outputs": [{"path": name, "sha256": digest} for name, digest in outputs],
    }
