"""Time ``safescore.score`` alone on the returns a ``benchmarks/ingest.py --keep DIR`` run left.

Reading is not timed: the returns are read once (``read_units_table`` + ``merge_units`` +
``read_inputs``, as ingest.py does) and pickled to ``--cache``. Each timed run is a fresh child
process that unpickles them and scores once, so caches start cold as in a real run; the CPU time
(``time.process_time``) of ``score`` is reported, best of ``--repeat``, because the machine is shared.

    .venv/bin/python benchmarks/ingest.py --n 10000 --keep /tmp/ing10k      # once: writes the returns
    .venv/bin/python benchmarks/score_returns.py --dir /tmp/ing10k           # best of 3
    .venv/bin/python benchmarks/score_returns.py --dir /tmp/ing10k --profile # + cProfile of one run
    .venv/bin/python benchmarks/score_returns.py --dir /tmp/ing10k --dump /tmp/before.json

``--dump FILE`` writes ``results.json`` and ``validation.json`` of one run (as ``safescore.render
.jsonout`` writes them) to FILE and FILE.validation.json and prints their SHA-256, so a change can
be checked to leave every byte of the output as it was.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pickle
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from safescore.api import score
from safescore.inputs.batch import default_jobs
from safescore.inputs.read import read_inputs
from safescore.inputs.units import merge_units, read_units_table
from safescore.problems import Report
from safescore.render.files import json_bytes
from safescore.render.jsonout import validation_dict
from safescore.rubric import model as m
from safescore.rubric.check import check_rubric

PERIOD = "2022Q1"
RUBRIC_NAME = "gangcheng-sanze-bench.yaml"  # written by ingest.py next to the returns


def load_rubric(root: Path) -> m.Rubric:
    report = Report()
    rubric = check_rubric(root / RUBRIC_NAME, report)
    if rubric is None or not report.ok:
        sys.exit(f"{root / RUBRIC_NAME} does not load: {report.errors}")
    return rubric


def prepare(root: Path, cache: Path) -> None:
    """Read the returns once, as ingest.py does, and pickle the Inputs."""
    rubric = load_rubric(root)
    rep = Report()
    units = merge_units(rubric.units, read_units_table(root / "units.xlsx", rubric, rep), rep)
    t0 = time.perf_counter()
    inputs = read_inputs(rubric, [root / "returns"], units=units, period=PERIOD, jobs=default_jobs())
    took = time.perf_counter() - t0
    cache.write_bytes(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"read {len(inputs.returns):,} returns in {took:.1f} s; pickled to {cache}")


def one_run(root: Path, cache: Path, profile: int, dump: Path | None) -> dict[str, Any]:
    """Unpickle, score once; CPU and wall seconds of ``score`` (and a profile if asked)."""
    rubric = load_rubric(root)
    inputs = pickle.loads(cache.read_bytes())
    prof = cProfile.Profile() if profile else None
    c0, t0 = time.process_time(), time.perf_counter()
    if prof is not None:
        prof.enable()
    result = score(rubric, inputs, PERIOD)
    if prof is not None:
        prof.disable()
    out: dict[str, Any] = {"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0}
    out["units"] = len(result.units)
    if prof is not None:
        stats = pstats.Stats(prof, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(profile)
        stats.sort_stats("cumulative").print_stats(profile)
    if dump is not None:
        data = json_bytes(result.to_dict())
        val = json_bytes(validation_dict(result.problems))
        dump.write_bytes(data)
        Path(f"{dump}.validation.json").write_bytes(val)
        out["results_sha256"] = hashlib.sha256(data).hexdigest()
        out["validation_sha256"] = hashlib.sha256(val).hexdigest()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="the --keep directory of an ingest.py run")
    ap.add_argument("--cache", type=Path, default=None, help="pickled Inputs (default: DIR/inputs.pickle)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs, each in a fresh process (3)")
    ap.add_argument("--profile", action="store_true", help="also cProfile one run (printed to stderr)")
    ap.add_argument("--profile-top", type=int, default=30)
    ap.add_argument("--dump", type=Path, default=None, help="write results.json of one run here")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = ap.parse_args(argv)
    root = args.dir.resolve()
    cache = args.cache or root / "inputs.pickle"
    if args.one:
        top = args.profile_top if args.profile else 0
        print(json.dumps(one_run(root, cache, top, args.dump)))
        return 0
    if not cache.is_file():
        prepare(root, cache)
    runs: list[dict[str, Any]] = []
    base = [sys.executable, __file__, "--dir", str(root), "--cache", str(cache), "--one"]
    jobs = [[*base, *(["--dump", str(args.dump)] if args.dump else [])]]
    jobs += [base] * (args.repeat - 1)
    if args.profile:
        jobs.append([*base, "--profile", "--profile-top", str(args.profile_top)])
    for cmd in jobs:
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    timed = runs[: args.repeat]
    best = min(timed, key=lambda r: r["cpu"])
    n = best["units"]
    print(
        f"score(): {n:,} units, CPU {best['cpu']:.2f} s best of {len(timed)} "
        f"({1000 * best['cpu'] / n:.3f} ms per unit); runs CPU "
        + ", ".join(f"{r['cpu']:.2f}" for r in timed)
        + " s; wall "
        + ", ".join(f"{r['wall']:.2f}" for r in timed)
        + " s"
    )
    if args.profile:
        print(f"profiled run: {runs[-1]['cpu']:.2f} s CPU under cProfile (profile on stderr)")
    if args.dump:
        print(f"results.json sha256 {runs[0]['results_sha256']}  ({args.dump})")
        print(f"validation.json sha256 {runs[0]['validation_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
