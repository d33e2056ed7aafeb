"""Write every requested output for one result, all or nothing, plus ``manifest.json``.

Files are rendered into a staging folder beside the output folder and moved in
only when all of them succeeded (each move is an atomic rename), so a failure
never leaves a half-written set and the previous outputs stay as they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safescore.render.bulletin import Issuer, bulletin_view
from safescore.render.files import json_bytes
from safescore.render.i18n import resolve
from safescore.render.jsonout import manifest as manifest_dict
from safescore.render.jsonout import validation_dict
from safescore.results.model import Result

FILE_FORMATS = ("json", "xlsx", "html", "docx")
BULLETIN = "bulletin"
LETTERS_DIR = "letters"


def _render(
    result: Result,
    stage: Path,
    formats: Sequence[str],
    letters: bool,
    issuer: Issuer,
    template: Path | None,
    meta: bool,
    lang: str,
    letter_charts: bool,
) -> None:
    if "json" in formats:
        (stage / "results.json").write_bytes(json_bytes(result.to_dict()))
    if meta:
        (stage / "validation.json").write_bytes(json_bytes(validation_dict(result.problems)))
    if "xlsx" in formats:
        from safescore.render.xlsx import write_results_xlsx

        write_results_xlsx(result, stage / "results.xlsx", lang=lang)
    # the bulletin's 附件2 lists every unit's problems whether or not letter files are written
    view = (
        bulletin_view(result, issuer, letters=True, lang=lang)
        if ("html" in formats or "docx" in formats)
        else None
    )
    if view is not None and "html" in formats:
        from safescore.render.html import render_bulletin_html, render_letter_html

        (stage / f"{BULLETIN}.html").write_text(render_bulletin_html(view, result), encoding="utf-8")
        if letters:
            from safescore.render.docx import letter_filename

            folder = stage / LETTERS_DIR
            folder.mkdir(exist_ok=True)
            used: set[str] = set()
            for letter in view.letters:
                name = Path(letter_filename(letter.unit, used)).with_suffix(".html").name
                (folder / name).write_text(
                    render_letter_html(letter, result, issuer=issuer), encoding="utf-8"
                )
    if view is not None and "docx" in formats:
        from safescore.render.docx import render_bulletin_docx, render_letters_docx

        render_bulletin_docx(view, stage / f"{BULLETIN}.docx", template=template)
        if letters:
            render_letters_docx(view.letters, stage / LETTERS_DIR, template=template, charts=letter_charts)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def write_all(
    result: Result,
    out_dir: Path,
    *,
    formats: Sequence[str],
    letters: bool = False,
    issuer: Issuer | None = None,
    template: Path | None = None,
    options: dict[str, Any] | None = None,
    meta: bool = True,
    lang: str | None = None,
    letter_charts: bool = False,
) -> list[str]:
    """Render ``formats`` (json, xlsx, html, docx) into ``out_dir``; return the names written.

    ``meta=False`` (re-rendering a report) skips validation.json and manifest.json.
    ``lang`` (zh, en; None: the current language, see :func:`safescore.render.i18n.use_lang`)
    chooses the tool's own words. ``letter_charts`` puts the section profile and trend charts
    into the Word letters too (the bulletin always has its charts; HTML letters always do).
    Raises OSError if the folder cannot be written; nothing partial is left then.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".safescore-", dir=out_dir))
    try:
        _render(
            result, stage, formats, letters, issuer or Issuer(), template, meta, resolve(lang), letter_charts
        )
        names = [p.relative_to(stage).as_posix() for p in _files(stage)]
        outputs = [(n, hashlib.sha256((stage / n).read_bytes()).hexdigest()) for n in names]
        manifest = manifest_dict(result, options or {}, outputs)
        extra = ["manifest.json"] if meta else []
        if meta:
            (stage / "manifest.json").write_bytes(json_bytes(manifest))
        if letters and (out_dir / LETTERS_DIR).exists():
            shutil.rmtree(
                out_dir / LETTERS_DIR
            )  # a unit dropped since the last run must not keep an old letter
        for name in [*names, *extra]:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / name, target)
        return [*names, *extra]
    finally:
        shutil.rmtree(stage, ignore_errors=True)
