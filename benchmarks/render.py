"""Benchmark: the Word bulletin and 1,000 per-unit letters (SPEC section 8, third bullet).

Run from the repository root::

    .venv/bin/python benchmarks/render.py [--letters 1000] [--baseline-letters 100] [--repeat 3]

1. Generates the Gangcheng sample returns (examples/gangcheng/make_data.py) into a temporary
   folder, scores them and builds the bulletin view with its 27 letters (untimed).
2. Bulletin: ``render_bulletin_docx`` (python-docx, GB/T 9704 layout, appendices), best of
   ``--repeat``.
3. Letters, fast path: ``render_letters_docx`` on ``--letters`` LetterViews made by cycling the
   27 real ones with unique unit names: one python-docx prototype, then string templates
   filled per unit, pre-compressed constant parts, atomic writes on four threads. Best of
   ``--repeat``; then the same run split into prototype / render to bytes / serial writes to
   show what limits it.
4. Baseline, in the same run: what one would write with python-docx alone, each letter built
   from scratch (``Document()``, styles, page set-up, tables: ``build_letter_document``) and
   ``doc.save(path)``. Timed on ``--baseline-letters`` letters (default 100, about 12 s) and
   given per letter; ``--baseline-letters 1000`` times them all.
5. Checks that the fast path's document.xml equals python-docx's for every one of the 27 real
   letters (exit 1 if not) and that two fast runs are byte-identical under SOURCE_DATE_EPOCH.
6. Charts (matplotlib PNG, docs/rendering.md): the bulletin without its score-bar charts, to
   show what they cost; and ``--chart-letters`` letters with ``charts=True`` (section profile
   and a four-period trend each), every letter's numbers made unique so no chart comes from the
   cache: the worst case of ``--letter-charts``. Letters without charts (the default) are the
   fast path of step 3.

Targets (SPEC 8 / the issue): fast path at least 3x the baseline per letter, and 1,000 letters
well under 15 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2022Q1"


def build_view(work: Path) -> object:
    from safescore import load_rubric, read_inputs, score
    from safescore.render.bulletin import Issuer, bulletin_view

    data = work / "data"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "gangcheng" / "make_data.py"),
            "--out",
            str(data),
            "--period",
            PERIOD,
        ],
        check=True,
        capture_output=True,
    )
    rubric = load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")
    inputs = read_inputs(
        rubric, [data / f"returns-{PERIOD}.xlsx"], {"onsite": [data / f"onsite-{PERIOD}.xlsx"]}
    )
    result = score(rubric, inputs, PERIOD)
    return bulletin_view(result, Issuer(doc_number="钢安办〔2022〕12号"), letters=True)


def _unique_charts(letter: object, i: int) -> object:
    """``letter`` with section scores and a four-period trend of its own (defeats the chart cache)."""
    from safescore.render.bulletin import TrendPoint

    sections = tuple(
        (title, f"{max(float(score) - (i % 97) / 100, 0):.2f}", points)
        for title, score, points in letter.sections  # type: ignore[attr-defined]
    )
    trend = tuple(
        TrendPoint(p, p, f"{80 + (i * 7 + k * 3) % 19:.2f}", 1 + (i + k) % 14, "良好")
        for k, p in enumerate(("2021Q2", "2021Q3", "2021Q4", PERIOD))
    )
    return dataclasses.replace(letter, sections=sections, trend=trend)  # type: ignore[type-var]


def best(fn: object, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append(time.perf_counter() - t)
    return min(runs), runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--letters", type=int, default=1000)
    ap.add_argument("--baseline-letters", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chart-letters", type=int, default=40, help="letters timed with charts (0: skip)")
    args = ap.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

    import docx

    from safescore.render import charts
    from safescore.render.docx import (
        LetterRenderer,
        build_letter_document,
        letter_filename,
        render_bulletin_docx,
        render_letters_docx,
    )
    from safescore.render.docx.package import doc_parts
    from safescore.render.files import write_atomic

    ok = True
    with tempfile.TemporaryDirectory(prefix="safescore-render-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        view = build_view(work)
        setup = time.perf_counter() - t0
        real = list(view.letters)  # type: ignore[attr-defined]
        letters = [
            dataclasses.replace(
                real[i % len(real)], unit=f"{real[i % len(real)].unit}{i // len(real) + 1:03d}"
            )
            for i in range(args.letters)
        ]
        n_ded = sum(len(x.deductions) for x in letters)

        # bulletin, with its charts (the default) and without
        bpath = work / "out" / "通报.docx"
        have_font = charts.available()
        render_bulletin_docx(view, bpath)  # type: ignore[arg-type]  # warm: matplotlib import, fonts
        charts._bars.cache_clear()

        def bulletin() -> None:
            charts._bars.cache_clear()  # draw the charts every run
            render_bulletin_docx(view, bpath)  # type: ignore[arg-type]

        b_best, b_runs = best(bulletin, args.repeat)
        b_doc = docx.Document(str(bpath))
        b_size = bpath.stat().st_size
        nb_path = work / "out" / "通报-无图.docx"
        nb_best, _ = best(lambda: render_bulletin_docx(view, nb_path, charts=False), args.repeat)  # type: ignore[arg-type]

        # letters, fast path
        counter = iter(range(10**6))

        def fast() -> list[Path]:
            return render_letters_docx(letters, work / f"fast{next(counter)}")

        f_best, f_runs = best(fast, args.repeat)
        a = render_letters_docx(letters[:50], work / "repro-a")
        b = render_letters_docx(letters[:50], work / "repro-b")
        same = all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
        ok &= same
        sizes = [p.stat().st_size for p in (work / "fast0").iterdir()]

        # where the fast path's time goes (single-threaded, for the split)
        t = time.perf_counter()
        renderer = LetterRenderer()
        t_proto = time.perf_counter() - t
        t = time.perf_counter()
        blobs = [renderer.render(x) for x in letters]
        t_render = time.perf_counter() - t
        used: set[str] = set()
        split_dir = work / "split"
        t = time.perf_counter()
        for x, blob in zip(letters, blobs, strict=True):
            write_atomic(split_dir / letter_filename(x.unit, used), blob)
        t_write = time.perf_counter() - t

        # letters with charts: every letter's scores unique, so every chart is drawn
        c_time, c_n, c_pics = 0.0, min(args.chart_letters, len(letters)), 0
        if c_n and have_font:
            charted = [_unique_charts(x, i) for i, x in enumerate(letters[:c_n])]
            t = time.perf_counter()
            paths = render_letters_docx(charted, work / "charts", charts=True)
            c_time = time.perf_counter() - t
            for path in paths:
                with zipfile.ZipFile(path) as z:
                    c_pics += sum(n.startswith("word/media/") for n in z.namelist())

        # baseline: python-docx from scratch per letter
        n_base = min(args.baseline_letters, len(letters))
        base_dir = work / "baseline"
        base_dir.mkdir()
        used = set()
        t = time.perf_counter()
        for x in letters[:n_base]:
            build_letter_document(x).save(str(base_dir / letter_filename(x.unit, used)))
        t_base = time.perf_counter() - t

        # same XML from both paths, for every real letter
        mismatches = []
        for x in real:
            slow = dict(doc_parts(build_letter_document(x)))["word/document.xml"]
            with zipfile.ZipFile(io.BytesIO(renderer.render(x))) as z:
                if z.read("word/document.xml") != slow:
                    mismatches.append(x.unit)
        ok &= not mismatches

    per_fast = f_best / len(letters)
    per_base = t_base / n_base
    ratio = per_base / per_fast
    print("safescore render benchmark (SPEC 8: 1,000 per-unit letters (.docx) and the bulletin)")
    print(
        f"data:       Gangcheng {PERIOD}: 27 units, {sum(len(x.deductions) for x in real)} deductions (setup {setup:.2f} s, untimed)"
    )
    print(
        f"bulletin:   {b_best:.3f} s best of {args.repeat} (runs: {', '.join(f'{r:.3f}' for r in b_runs)}); "
        f"{len(b_doc.tables)} tables, {len(b_doc.paragraphs)} paragraphs, {b_size / 1024:.0f} KiB"
    )
    print(
        f"            without charts {nb_best:.3f} s: the {len(view.groups)} score-bar charts cost "  # type: ignore[attr-defined]
        f"{b_best - nb_best:.3f} s" + ("" if have_font else " (NO CJK FONT: charts left out)")
    )
    print(
        f"letters:    {len(letters):,} letters ({n_ded:,} deduction rows), {sum(sizes) / len(sizes) / 1024:.1f} KiB each"
    )
    print(
        f"fast path:  {f_best:.3f} s best of {args.repeat} (runs: {', '.join(f'{r:.3f}' for r in f_runs)}); "
        f"{len(letters) / f_best:,.0f} letters/s, {per_fast * 1000:.2f} ms/letter"
    )
    print(
        f"  split:    prototype {t_proto * 1000:.0f} ms (once) + render to bytes {t_render:.3f} s "
        f"({t_render / len(letters) * 1000:.2f} ms/letter) + atomic writes {t_write:.3f} s serial "
        f"({t_write / len(letters) * 1000:.2f} ms/letter; 4 threads overlap them in the run above)"
    )
    print(
        f"baseline:   {t_base:.3f} s for {n_base:,} letters (python-docx from scratch + doc.save); "
        f"{n_base / t_base:,.1f} letters/s, {per_base * 1000:.1f} ms/letter"
        + (
            f"; {per_base * len(letters):.1f} s for {len(letters):,} extrapolated"
            if n_base < len(letters)
            else ""
        )
    )
    print(f"ratio:      baseline/fast per letter = {ratio:.1f}x")
    if c_time:
        per_chart = c_time / c_n
        print(
            f"charts:     {c_n} letters with --letter-charts ({c_pics} PNGs, none cached): {c_time:.2f} s, "
            f"{per_chart * 1000:.0f} ms/letter ({per_chart / per_fast:.0f}x a letter without charts); "
            f"{per_chart * 1000:.0f} s for 1,000 extrapolated; off by default"
        )
    limit = (
        "atomic writes (temp file + fsync + rename)"
        if t_write > t_render
        else "rendering (string fill + deflate)"
    )
    print(f"limit:      {limit}; see the split line")
    print(
        f"checks:     document.xml equal to python-docx's for {len(real) - len(mismatches)}/{len(real)} real letters; "
        f"reproducible bytes: {'yes' if same else 'NO'}"
    )
    if mismatches:
        print(f"  MISMATCH: {', '.join(mismatches[:5])}")
    print(
        f"versions:   Python {platform.python_version()}, python-docx {docx.__version__ if hasattr(docx, '__version__') else '?'}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    t_ok = ratio >= 3
    s_ok = f_best * 1000 / len(letters) < 15
    print(
        f"targets:    fast >= 3x baseline: {'PASS' if t_ok else 'MISS'}; "
        f"1,000 letters < 15 s: {'PASS' if s_ok else 'MISS'} ({f_best * 1000 / len(letters):.2f} s per 1,000)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
