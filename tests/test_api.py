"""The public API is pinned: changing it must be a deliberate edit here."""

from __future__ import annotations

import inspect

import safescore

EXPECTED = {
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
}


def test_all_is_pinned() -> None:
    assert set(safescore.__all__) == EXPECTED


def test_every_export_exists_and_public_functions_are_documented() -> None:
    for name in safescore.__all__:
        obj = getattr(safescore, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and obj.__doc__.strip(), f"{name} has no docstring"


def test_core_does_not_import_output_libraries() -> None:
    # engine/ and results/ stay free of rich, openpyxl and jinja2 (STYLE habit 6)
    import pathlib

    root = pathlib.Path(safescore.__file__).parent
    for sub in ("engine", "results", "rubric"):
        for path in (root / sub).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            for lib in ("rich", "openpyxl", "jinja2"):
                assert f"import {lib}" not in text and f"from {lib}" not in text, f"{path} imports {lib}"
