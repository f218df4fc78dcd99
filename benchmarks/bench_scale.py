"""Scale benchmark: ``analyze`` with the demo's plan at N = 24 … 100,000 participants.

For each size N the simulator (:func:`patalliance.simulate.trial.simulate_trial`) writes a
trial with the bundled demo's study file and plan (every family: sensitivity, Bayes factors,
multiple imputation, mediation with 5,000 resamples, mixed models with a 1,000-replicate
parametric bootstrap, trajectories, …), about 320 item responses per participant (30 M at
N = 100,000, an 850 MB CSV) and 10% missing follow-ups. A fresh Python process per N then
runs exactly what ``patalliance analyze`` runs (``patalliance.analyze`` and
``Results.write``), with a timer around each phase:

- **read**, **validate**, **score**, **derive** (the pipeline's four steps), **notes** (the
  prorated/dropped score notes);
- one line per analysis family (``descriptives``, ``reliability``, ``correlations``, …) and
  **plan checks** (the plan's variable and memory checks);
- **write**: results.json, scores.csv, qc_report.json and the CSV tables;
- **report**: report.html, tables.xlsx and tables.docx.

It prints, per N, the wall time and the peak resident memory of the process (with the
report, and before the report phase, which is the peak of ``analyze --no-report``), and the
ratio of the total to the **floor**: a plain ``pandas.read_csv(engine="pyarrow")`` of the same
responses.csv, timed in a fresh process of its own just before (its peak memory is printed
too, as "read MB"). It then prints each phase's growth exponent
``b`` of ``time ≈ a·N^b``, fitted by least squares on the log scale over the sizes from
2,400 up. Linear work gives b ≈ 1 and N log N about 1.1 over that range; phases under 0.05 s
at the largest N are too small to fit and are shown as "-".

Run::

    python benchmarks/bench_scale.py                          # 24, 240, 2,400, 24,000, 100,000
    python benchmarks/bench_scale.py --sizes 24 2400 --keep /tmp/scale-data

``--keep DIR`` keeps the generated trials in DIR and reuses those already there (the data of
a size depend only on N and the seed). Generating N = 100,000 takes a few minutes and 2 GB of
disk. The results are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZES = [24, 240, 2_400, 24_000, 100_000]
SEED = 1
FIT_FROM = 2_400

#: Correlations of the simulated scores (the rest are 0): an alliance that goes with the
#: acute experience and with lower depression later, as in the demo.
CORRELATIONS = {
    ("alliance.total@prep", "alliance.total@post1w"): 0.6,
    ("alliance.total@prep", "depression.total@fu4w"): -0.3,
    ("alliance.total@post1w", "depression.total@fu4w"): -0.35,
    ("alliance.total@prep", "mystical.total@peak"): 0.3,
    ("alliance.total@prep", "breakthrough.total@peak"): 0.3,
    ("breakthrough.total@peak", "depression.total@fu4w"): -0.3,
    ("mystical.total@peak", "depression.total@fu4w"): -0.25,
}

#: The pipeline steps and the analysis families, timed where they are called.
PIPELINE = {
    "read": ("patalliance.pipeline", "read_with_frames"),
    "validate": ("patalliance.pipeline", "validate"),
    "score": ("patalliance.pipeline", "score_trial"),
    "derive": ("patalliance.pipeline", "build_analysis_table"),
    "notes": ("patalliance.api", "score_notes"),
    "plan checks": ("patalliance.analysis.runner", "validate_plan"),
    "memory check": ("patalliance.analysis.runner", "check_resample_memory"),
}
FAMILIES = [
    "describe",
    "run_reliability",
    "run_change",
    "run_correlations",
    "run_efficacy",
    "run_partial_correlations",
    "run_mixed_models",
    "run_mediation",
    "run_facilitator",
    "run_sensitivity",
    "run_bayes_factors",
    "run_multiple_imputation",
    "run_regressions",
    "run_moderation",
    "run_trajectories",
]


def demo_folder() -> Path:
    import patalliance

    return Path(patalliance.__file__).parent / "data" / "levin2024"


def generate(n: int, folder: Path) -> Path:
    """Write a simulated trial of ``n`` participants with the demo's study file into ``folder``."""
    from patalliance.instruments.registry import resolve_keys
    from patalliance.simulate.covariates import synthetic_covariates
    from patalliance.simulate.trial import Missingness, simulate_trial
    from patalliance.study import load_study

    study_path = folder / "study.toml"
    if study_path.exists() and (folder / "responses.csv").exists():
        return study_path
    study = load_study(demo_folder() / "study.toml")
    missing = {f"depression.total@{t}": Missingness(rate=0.1) for t in ("fu3m", "fu6m", "fu12m")}
    trial = simulate_trial(
        study,
        resolve_keys(study),
        n_per_arm={"immediate": n // 2, "delayed": n - n // 2},
        seed=SEED,
        correlations=CORRELATIONS,
        missing=missing,
    )
    people = synthetic_covariates(trial.participants, seed=SEED)
    folder.mkdir(parents=True, exist_ok=True)
    dataclasses.replace(trial, participants=people).write(folder)
    study_path.write_text((demo_folder() / "study.toml").read_text(encoding="utf-8"))
    return study_path


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(name: str, func: Callable[..., Any], times: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def floor_child(responses: Path) -> dict[str, float]:
    """The floor, in a fresh process of its own: a plain pyarrow read of ``responses``."""
    import pandas as pd

    start = time.perf_counter()
    pd.read_csv(responses, engine="pyarrow")
    return {"floor_s": time.perf_counter() - start, "floor_mb": peak_mb()}


def child(study_path: Path, out: Path) -> dict[str, Any]:
    """Run ``analyze`` on one trial with every phase timed (in a fresh process)."""
    import importlib

    times: dict[str, float] = {}
    import patalliance as pa
    import patalliance.report as report_module

    for name, (module, attr) in PIPELINE.items():
        mod = importlib.import_module(module)
        setattr(mod, attr, _timed(name, getattr(mod, attr), times))
    runner = importlib.import_module("patalliance.analysis.runner")
    for attr in FAMILIES:
        label = attr.removeprefix("run_")
        setattr(runner, attr, _timed(label, getattr(runner, attr), times))
    report_module.write_report = _timed(  # type: ignore[assignment]
        "report", report_module.write_report, times
    )

    start = time.perf_counter()
    results = pa.analyze(study_path)
    analyze_s = time.perf_counter() - start
    before_write_mb = peak_mb()
    start = time.perf_counter()
    results.write(out, report=False)
    times["write"] = time.perf_counter() - start
    no_report_mb = peak_mb()
    results.write(out.with_name(out.name + "-report"), report=True)
    return {
        "n": results.n_participants,
        "responses": results.qc.rows_read,
        "analyze_s": analyze_s,
        "times": times,
        "peak_no_report_mb": max(before_write_mb, no_report_mb),
        "peak_mb": peak_mb(),
    }


def run_size(n: int, data_root: Path, out_root: Path) -> dict[str, Any]:
    folder = data_root / f"n{n}"
    start = time.perf_counter()
    study_path = generate(n, folder)
    print(f"N = {n:,}: data ready in {time.perf_counter() - start:.1f} s", flush=True)
    floor = _run_child(n, ["--floor", str(folder / "responses.csv")])
    run = _run_child(n, ["--child", str(study_path), str(out_root / f"n{n}")])
    return floor | run


def _run_child(n: int, arguments: list[str]) -> dict[str, Any]:
    command = [sys.executable, __file__, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"N = {n}: {arguments[0]} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) on log(N)."""
    xs = [math.log(n) for n in sizes]
    ys = [math.log(max(s, 1e-6)) for s in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def summarize(runs: list[dict[str, Any]]) -> None:
    print()
    header = (
        f"{'N':>8} {'responses':>11} {'pyarrow s':>9} {'total s':>8} {'x floor':>8} "
        f"{'no report s':>11} {'x floor':>8} {'peak MB':>8} {'no-report MB':>12} "
        f"{'read MB':>8}"
    )
    print(header)
    for run in runs:
        t = run["times"]
        total = sum(t.values())
        no_report = total - t.get("report", 0.0)
        print(
            f"{run['n']:>8,} {run['responses']:>11,} {run['floor_s']:>9.2f} {total:>8.1f} "
            f"{total / run['floor_s']:>8.1f} {no_report:>11.1f} "
            f"{no_report / run['floor_s']:>8.1f} {run['peak_mb']:>8.0f} "
            f"{run['peak_no_report_mb']:>12.0f} {run['floor_mb']:>8.0f}"
        )
    phases = list(dict.fromkeys(name for run in runs for name in run["times"]))
    fitted = [run for run in runs if run["n"] >= FIT_FROM]
    print()
    print("seconds per phase, and the growth exponent b of time = a N^b from N = 2,400 up")
    print(f"{'phase':<22}" + "".join(f"{run['n']:>10,}" for run in runs) + f"{'b':>7}")
    for phase in phases:
        seconds = [run["times"].get(phase, 0.0) for run in runs]
        row = f"{phase:<22}" + "".join(f"{s:>10.3f}" for s in seconds)
        last = fitted[-1]["times"].get(phase, 0.0) if fitted else 0.0
        if len(fitted) >= 2 and last >= 0.05:
            b = exponent([r["n"] for r in fitted], [r["times"].get(phase, 0.0) for r in fitted])
            row += f"{b:>7.2f}"
        else:
            row += f"{'-':>7}"
        print(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated data here")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        print(json.dumps(floor_child(args.floor)))
        return 0
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1])))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        data_root = args.keep or Path(tmp) / "data"
        runs = []
        for n in args.sizes:
            runs.append(run_size(n, data_root, Path(tmp) / "out"))
            t = runs[-1]["times"]
            print(
                f"N = {n:,}: analyze {runs[-1]['analyze_s']:.1f} s, "
                f"with outputs {sum(t.values()):.1f} s, peak {runs[-1]['peak_mb']:.0f} MB",
                flush=True,
            )
    summarize(runs)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
