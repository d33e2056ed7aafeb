"""``results.json``, ``validation.json`` and ``manifest.json``."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

from safescore import __version__
from safescore.problems import Problem
from safescore.render.files import json_bytes, write_atomic
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
    """Build time; SOURCE_DATE_EPOCH pins it so outputs are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        if epoch
        else dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
    return when.isoformat().replace("+00:00", "Z")


def write_outputs(result: Result, out_dir: Path, options: dict[str, Any], formats: list[str]) -> list[str]:
    """Write the JSON outputs and the manifest into ``out_dir``; return names written."""
    written: list[tuple[str, bytes]] = []
    if "json" in formats:
        written.append(("results.json", json_bytes(result.to_dict())))
    written.append(("validation.json", json_bytes(validation_dict(result.problems))))
    for name, data in written:
        write_atomic(out_dir / name, data)
    manifest = {
        "format": "safescore.manifest/1",
        "tool": {"name": "safescore", "version": __version__},
        "created": created_at(),
        "rubric": {"id": result.rubric_id, "version": result.rubric_version, "sha256": result.rubric_sha256},
        "period": result.period,
        "inputs": list(result.inputs),
        "options": options,
        "outputs": [{"path": name, "sha256": hashlib.sha256(data).hexdigest()} for name, data in written],
    }
    write_atomic(out_dir / "manifest.json", json_bytes(manifest))
    return [n for n, _ in written] + ["manifest.json"]
