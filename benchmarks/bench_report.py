"""Report benchmark: the report phase at growing N, and the demo against the import floor.

**Report phase.** The demo is analysed once; its analysis table is then enlarged to each size
by drawing participants with replacement (with a little noise), and ``write_report`` (HTML,
XLSX, DOCX and CSV tables) is timed on each. Above ``AGGREGATE_ABOVE`` participants the
figures are aggregates, so the time should hardly grow; the growth exponent ``b`` of
``time ≈ a · n^b`` is fitted by least squares on the log scale (b ≤ 1 is at most linear).

**Demo.** ``patalliance demo --out DIR`` (a fresh folder each time) and the import floor
``python -c "import pandas, scipy.stats, statsmodels.api, matplotlib.pyplot"`` are run
alternately, ``--repeats`` times each, and the medians of their wall and CPU (user + system)
times and the ratio demo / floor are printed: the ratio, measured in the same run, is what
carries over between machines.

Run::

    python benchmarks/bench_report.py                          # both
    python benchmarks/bench_report.py --sizes 2000 24000 100000 --no-demo
    python benchmarks/bench_report.py --no-report --repeats 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

FLOOR = "import pandas, scipy.stats, statsmodels.api, matplotlib.pyplot"


def enlarge(res, n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """``res`` with an analysis table of ``n`` participants drawn from its own."""
    from patalliance.derive import AnalysisTable

    table = res.table
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, table.n_participants, n)
    ids = pd.Index([f"S{i:07d}" for i in range(n)], name=table.values.index.name)

    def take(frame):  # type: ignore[no-untyped-def]
        out = frame.iloc[rows].copy()
        out.index = ids
        return out

    values = take(table.values)
    values = values + rng.normal(0.0, 0.3, values.shape)
    big = AnalysisTable(
        values=values,
        arms=take(table.arms),
        facilitators=take(table.facilitators),
        covariates=take(table.covariates),
        variables=table.variables,
        labels=take(table.labels),
    )
    return replace(res, table=big)


def bench_report(sizes: list[int]) -> None:
    import patalliance as pa
    from patalliance.report import write_report

    res = pa.analyze(pa.demo_study())
    with tempfile.TemporaryDirectory() as tmp:
        write_report(res, Path(tmp) / "warm")  # imports and fonts, once
        print(f"{'N':>9} {'report CPU s':>13} {'wall s':>8} {'report.html kB':>15}")
        times = []
        for n in sizes:
            big = enlarge(res, n)
            cpu, wall = time.process_time(), time.perf_counter()
            files = write_report(big, Path(tmp) / str(n))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            times.append(cpu)
            size = files["report.html"].stat().st_size / 1e3
            print(f"{n:>9,} {cpu:>13.2f} {wall:>8.2f} {size:>15,.0f}")
    if len(sizes) > 1:
        b = np.polyfit(np.log(sizes), np.log(times), 1)[0]
        print(f"growth exponent b = {b:.2f} (time ≈ a · N^b over N = {sizes[0]:,}..{sizes[-1]:,})")


def _run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench_demo(repeats: int) -> None:
    demo, floor = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            floor.append(_run([sys.executable, "-c", FLOOR]))
            out = Path(tmp) / f"demo-{k}"
            demo.append(_run([sys.executable, "-m", "patalliance", "demo", "--out", str(out)]))
    for name, runs in (("import floor", floor), ("patalliance demo", demo)):
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:>17}: median wall {wall:6.2f} s, CPU {cpu:6.2f} s ({repeats} runs)")
    ratio_wall = statistics.median(w for w, _ in demo) / statistics.median(w for w, _ in floor)
    ratio_cpu = statistics.median(c for _, c in demo) / statistics.median(c for _, c in floor)
    print(f"demo / floor: {ratio_wall:.2f} (wall), {ratio_cpu:.2f} (CPU); {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 24_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs of the demo and the floor")
    parser.add_argument("--no-report", action="store_true", help="skip the report phase")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo timing")
    args = parser.parse_args()
    if not args.no_report:
        bench_report(sorted(args.sizes))
    if not args.no_demo:
        bench_demo(args.repeats)


if __name__ == "__main__":
    main()
