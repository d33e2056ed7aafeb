"""Every output format through the CLI: reproducible bytes, manifest, report re-rendering, all-or-nothing."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from safescore.render import charts

RUBRIC = ROOT / "rubrics" / "gangcheng-sanze.yaml"


def _score(run_cli, data: Path, out: Path, *extra: object) -> int:  # type: ignore[no-untyped-def]
    code, _, _ = run_cli(
        "score", RUBRIC, data / "returns-2022Q1.xlsx", "--source", f"onsite={data / 'onsite-2022Q1.xlsx'}",
        "--period", "2022Q1", "-o", out, "--quiet", *extra,
    )  # fmt: skip
    return code


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_all_formats_are_byte_identical_with_source_date_epoch(
    tmp_path: Path, gangcheng_data: Path, run_cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1650000000")
    args = (
        "--format",
        "json,xlsx,html,docx",
        "--letters",
        "--letter-charts",
        "--issuer",
        "钢城区安全生产委员会办公室",
        "--doc-number",
        "钢安办〔2022〕12号",
    )
    assert _score(run_cli, gangcheng_data, tmp_path / "first", *args) == 0
    assert _score(run_cli, gangcheng_data, tmp_path / "second-run", *args) == 0
    a, b = _digests(tmp_path / "first"), _digests(tmp_path / "second-run")
    assert a == b
    assert {
        "results.json",
        "results.xlsx",
        "bulletin.html",
        "bulletin.docx",
        "validation.json",
        "manifest.json",
    } <= set(a)
    assert len([n for n in a if n.startswith("letters/")]) == 2 * 27
    if charts.cjk_font() is not None:  # charts included: Word bulletin and letters carry PNGs
        for name in ("bulletin.docx", "letters/钢城区应急管理局.docx"):
            with zipfile.ZipFile(tmp_path / "first" / name) as z:
                assert any(n.startswith("word/media/") for n in z.namelist()), name
    manifest = json.loads((tmp_path / "first" / "manifest.json").read_text(encoding="utf-8"))
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert listed == {k: v for k, v in a.items() if k != "manifest.json"}
    assert manifest["created"] == "2022-04-15T05:20:00Z"
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])


def test_report_re_renders_from_results_json(tmp_path: Path, gangcheng_data: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert _score(run_cli, gangcheng_data, tmp_path / "run") == 0
    code, _, _ = run_cli(
        "report",
        tmp_path / "run" / "results.json",
        "--format",
        "docx,html",
        "-o",
        tmp_path / "rep",
        "--doc-number",
        "钢安办〔2022〕12号",
    )
    assert code == 0
    html = (tmp_path / "rep" / "bulletin.html").read_text(encoding="utf-8")
    assert "钢安办〔2022〕12号" in html and "钢城区气象局" in html
    assert (tmp_path / "rep" / "bulletin.docx").stat().st_size > 5000
    assert not (tmp_path / "rep" / "manifest.json").exists()
    code, _, _ = run_cli("report", tmp_path / "run" / "validation.json", "--format", "html")
    assert code == 2


def test_a_failed_render_leaves_previous_outputs_untouched(
    tmp_path: Path, gangcheng_data: Path, run_cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _score(run_cli, gangcheng_data, out, "--format", "json,xlsx") == 0
    before = _digests(out)

    import safescore.render.xlsx as xlsx

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "write_results_xlsx", broken)
    assert _score(run_cli, gangcheng_data, out, "--format", "json,xlsx") == 3
    assert _digests(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".safescore-")]


@pytest.mark.parametrize("fmt", ["pdf", "xlsx,odt"])
def test_unknown_format_is_usage_error(tmp_path: Path, gangcheng_data: Path, run_cli, fmt: str) -> None:  # type: ignore[no-untyped-def]
    assert _score(run_cli, gangcheng_data, tmp_path / "o", "--format", fmt) == 2
