"""Participants benchmark: the participants table and the analysis table at 2k, 20k and 200k.

For each size it times

- **participants table**: ``participants.csv`` with one row per participant (plus the 12
  participants of the tiny test study, who have item responses) read, validated, scored and
  derived by ``patalliance.pipeline.prepare``;
- **analysis table**: ``build_analysis_table`` on long scores for every participant (two
  measures, five occasions, some missing), built with numpy;

and prints the growth exponent ``b`` of ``time ≈ a · n^b`` fitted by least squares on the log
scale. Linear code gives b ≈ 1 (a little under at small n, where fixed costs weigh); the
quadratic build this replaced (a list search per id) gave b ≈ 2: 139 s at 60,000
participants. ``--naive`` also times that quadratic ordering (``sorted(set(ids),
key=ids.index)``) at the sizes up to 20,000, for comparison.

Run::

    python benchmarks/bench_participants.py                       # 2k, 20k, 200k
    python benchmarks/bench_participants.py --sizes 1000 10000 100000 --naive
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from conftest import make_participants, make_responses, write_study

from patalliance.derive import build_analysis_table
from patalliance.instruments.registry import resolve_keys
from patalliance.pipeline import prepare
from patalliance.study import load_study

OCCASIONS = [
    ("alliance", "prep"),
    ("alliance", "post1w"),
    ("depression", "baseline"),
    ("depression", "post1w"),
    ("depression", "fu4w"),
]


def timed(func: Callable[[], object], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return float(best)


def participants_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.array([f"S{i:07d}" for i in rng.permutation(n)], dtype=object)
    arms = np.where(np.arange(n) % 2 == 0, "immediate", "delayed")
    return pd.DataFrame({"participant_id": ids, "arm": arms, "facilitator": "F1"})


def long_scores(ids: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    parts = []
    for measure, tp in OCCASIONS:
        keep = rng.random(len(ids)) < 0.9
        parts.append(
            pd.DataFrame(
                {
                    "participant_id": ids[keep][::-1],
                    "measure": measure,
                    "timepoint": tp,
                    "scale": "total",
                    "score": rng.integers(0, 50, size=int(keep.sum())).astype(float),
                    "n_valid": 12,
                    "n_items": 12,
                    "prorated": False,
                    "band": "",
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def naive_order(ids: list[str]) -> list[str]:
    """The quadratic first-seen order: a list search per id."""
    return sorted(set(ids), key=ids.index)


def exponent(sizes: list[int], seconds: list[float]) -> float:
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000, 200_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive", action="store_true", help="also time the quadratic order")
    parser.add_argument("--seed", type=int, default=20240314)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    responses = make_responses(12)
    rows: list[tuple[int, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            people = pd.concat([make_participants(12), participants_frame(n, rng)])
            path = write_study(Path(tmp) / f"n{n}", responses, people)
            t_pipeline = timed(lambda p=path: prepare(p), args.repeats)
            study = load_study(path)
            keys = resolve_keys(study)
            frame = participants_frame(n, rng)
            scores = long_scores(frame["participant_id"].to_numpy(), rng)
            t_table = timed(
                lambda s=scores, f=frame, st=study, k=keys: build_analysis_table(s, f, st, k),
                args.repeats,
            )
            t_naive = np.nan
            if args.naive and n <= 20_000:
                ids = list(scores["participant_id"])
                t_naive = timed(lambda i=ids: naive_order(i), 1)
            rows.append((n, t_pipeline, t_table, t_naive))
            print(
                f"n = {n:>9,}: participants table (prepare) {t_pipeline:7.3f} s; "
                f"analysis table {t_table:7.3f} s"
                + (f"; quadratic order alone {t_naive:7.3f} s" if not np.isnan(t_naive) else "")
            )
    sizes = [r[0] for r in rows]
    if len(sizes) >= 2:
        b_pipe = exponent(sizes, [r[1] for r in rows])
        b_table = exponent(sizes, [r[2] for r in rows])
        print(f"growth exponent b (time ~ n^b): participants table {b_pipe:.2f}, ", end="")
        print(f"analysis table {b_table:.2f} (1 = linear, 2 = quadratic)")
        naive = [(r[0], r[3]) for r in rows if not np.isnan(r[3])]
        if len(naive) >= 2:
            b_naive = exponent([s for s, _ in naive], [t for _, t in naive])
            print(f"quadratic order (for comparison): b = {b_naive:.2f}")
        worst = max(b_pipe, b_table)
        print(f"target: b < 1.3 {'met' if worst < 1.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
