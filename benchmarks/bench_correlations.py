"""Benchmark: all-pairs bootstrap correlations against per-pair vectorised bootstraps.

20 variables x 24 participants with about 8% missing values, all 190 pairs, 10,000 percentile
bootstrap resamples per pair. patalliance computes every pair at once
(``correlate`` + ``bootstrap_correlations``: one draw of resample indices shared by all
pairs, weighted moments from resampling counts). It is compared with:

(a) **per-pair vectorised numpy** (the headline ratio): for each pair, its complete cases, one
    draw ``rng.integers(0, n, (B, n))``, r of all B replicates at once from the resampled
    arrays, and ``np.quantile`` of the replicates;
(b) ``scipy.stats.bootstrap`` per pair (``paired=True, vectorized=True``, percentile
    interval), timed on a subset of pairs and extrapolated per pair;
(c) pingouin 0.7 ``pairwise_corr`` + ``compute_bootci`` per pair (a Python loop over
    replicates inside), timed on a subset and extrapolated; a secondary line.

The bootstraps use different random draws (and (a)-(c) resample each pair's complete cases
where patalliance resamples participants), so their intervals differ by Monte Carlo error
only; the output shows by how much. Every side runs with BLAS limited to one thread
(threadpoolctl): on a shared machine a multi-threaded BLAS mostly measures contention with
other jobs. ``--blas-threads 0`` leaves BLAS alone. Times are the best of ``--repeats`` runs
(process CPU time is printed beside the wall time).

Run: ``python benchmarks/bench_correlations.py [--subset-pairs 20] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pingouin
from scipy import stats

from patalliance.stats import bootstrap_correlations, correlate

N_PARTICIPANTS = 24
N_VARIABLES = 20
N_RESAMPLES = 10_000
LEVEL = 0.95

Pairs = list[tuple[int, int]]


def make_data(seed: int = 20240314) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(N_PARTICIPANTS, 1))
    x = 0.6 * latent + rng.normal(size=(N_PARTICIPANTS, N_VARIABLES))
    x[rng.random(x.shape) < 0.08] = np.nan
    return pd.DataFrame(x, columns=[f"v{i:02d}" for i in range(N_VARIABLES)])


def best_of(repeats: int, func: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall and CPU seconds of ``repeats`` calls, and the last result."""
    walls, cpus = [], []
    out = None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), out


def _complete(x: np.ndarray, j: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(x[:, j]) & ~np.isnan(x[:, k])
    return x[ok, j], x[ok, k]


def per_pair_numpy(x: np.ndarray, pairs: Pairs, seed: int) -> dict[tuple[int, int], Any]:
    """(a): one index draw per pair, r of every replicate vectorised, np.quantile."""
    rng = np.random.default_rng(seed)
    alpha = (1.0 - LEVEL) / 2.0
    out = {}
    for j, k in pairs:
        a, b = _complete(x, j, k)
        point = stats.pearsonr(a, b)
        idx = rng.integers(0, a.size, size=(N_RESAMPLES, a.size))
        xa, ya = a[idx], b[idx]
        xa -= xa.mean(axis=1, keepdims=True)
        ya -= ya.mean(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (xa * ya).sum(axis=1) / np.sqrt((xa * xa).sum(axis=1) * (ya * ya).sum(axis=1))
        r = r[np.isfinite(r)]
        out[(j, k)] = (point.statistic, point.pvalue, *np.quantile(r, [alpha, 1.0 - alpha]))
    return out


def per_pair_scipy(x: np.ndarray, pairs: Pairs, seed: int) -> dict[tuple[int, int], Any]:
    """(b): scipy.stats.bootstrap per pair (percentile, vectorised statistic)."""
    rng = np.random.default_rng(seed)

    def pearson(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
        return stats.pearsonr(u, v, axis=axis).statistic  # type: ignore[no-any-return]

    out = {}
    for j, k in pairs:
        a, b = _complete(x, j, k)
        res = stats.bootstrap(
            (a, b), pearson, paired=True, vectorized=True, n_resamples=N_RESAMPLES,
            confidence_level=LEVEL, method="percentile", rng=rng,
        )  # fmt: skip
        out[(j, k)] = (res.confidence_interval.low, res.confidence_interval.high)
    return out


def per_pair_pingouin(data: pd.DataFrame, pairs: Pairs) -> dict[tuple[int, int], Any]:
    """(c): pingouin compute_bootci per pair (pairwise_corr is timed separately)."""
    out = {}
    for j, k in pairs:
        both = data.iloc[:, [j, k]].dropna()
        out[(j, k)] = pingouin.compute_bootci(
            both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy(), func="pearson",
            paired=True, method="per", n_boot=N_RESAMPLES, confidence=LEVEL, decimals=15,
            seed=1,
        )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--subset-pairs", type=int, default=20, help="pairs timed in scipy and pingouin"
    )
    parser.add_argument("--repeats", type=int, default=5, help="best-of repeats")
    parser.add_argument(
        "--blas-threads", type=int, default=1, help="BLAS threads for every side (0: unlimited)"
    )
    args = parser.parse_args()
    if args.blas_threads > 0:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.blas_threads):
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    data = make_data()
    x = data.to_numpy()
    pairs = list(itertools.combinations(range(N_VARIABLES), 2))
    subset = pairs[: args.subset_pairs]
    scale = len(pairs) / len(subset)

    def ours() -> tuple[Any, Any]:
        point = correlate(x, x)
        boot = bootstrap_correlations(
            x, x, n_resamples=N_RESAMPLES, ci_method="percentile", rng=np.random.default_rng(1)
        )
        return point, boot

    w_ours, c_ours, (point, boot) = best_of(args.repeats, ours)
    w_np, c_np, numpy_cis = best_of(args.repeats, lambda: per_pair_numpy(x, pairs, 2))
    w_sp, c_sp, scipy_cis = best_of(max(1, args.repeats // 2), lambda: per_pair_scipy(x, subset, 3))
    w_pw, c_pw, table = best_of(1, lambda: pingouin.pairwise_corr(data, method="pearson"))
    w_pg, c_pg, pingouin_cis = best_of(1, lambda: per_pair_pingouin(data, subset))
    w_sp, c_sp = w_sp * scale, c_sp * scale
    w_pg, c_pg = w_pw + w_pg * scale, c_pw + c_pg * scale

    print(
        f"data: {N_VARIABLES} variables x {N_PARTICIPANTS} participants, "
        f"{int(np.isnan(x).sum())} missing values; {len(pairs)} pairs; "
        f"{N_RESAMPLES} percentile bootstrap resamples per pair; best of {args.repeats}; "
        f"BLAS threads: {args.blas_threads or 'unlimited'}"
    )
    print(f"patalliance, all pairs at once:            {w_ours:8.3f} s  (CPU {c_ours:.3f} s)")
    print(f"(a) per-pair vectorised numpy bootstrap:   {w_np:8.3f} s  (CPU {c_np:.3f} s)")
    print(
        f"(b) scipy.stats.bootstrap per pair:        {w_sp:8.3f} s  (CPU {c_sp:.3f} s; "
        f"{len(subset)} pairs timed, extrapolated to {len(pairs)})"
    )
    print(
        f"(c) pingouin 0.7 pairwise_corr + compute_bootci: {w_pg:8.3f} s  (CPU {c_pg:.3f} s; "
        f"{len(subset)} pairs timed, extrapolated)"
    )
    print(f"speed-up over (a): {w_np / w_ours:.1f}x wall, {c_np / c_ours:.1f}x CPU (target 10x)")
    print(f"speed-up over (b): {w_sp / w_ours:.0f}x wall, {c_sp / c_ours:.0f}x CPU")
    print(f"speed-up over (c): {w_pg / w_ours:.0f}x wall, {c_pg / c_ours:.0f}x CPU")

    d_r = max(abs(point.r[j, k] - v[0]) for (j, k), v in numpy_cis.items())
    d_p = max(abs(point.p[j, k] - v[1]) for (j, k), v in numpy_cis.items())
    print(f"max |delta r|, |delta p| vs scipy.stats.pearsonr: {d_r:.3g}, {d_p:.3g}")
    for name, cis, first in (
        ("(a)", numpy_cis, 2),
        ("(b)", scipy_cis, 0),
        ("(c)", pingouin_cis, 0),
    ):
        d_ci = max(
            max(abs(boot.ci_low[j, k] - ci[first]), abs(boot.ci_high[j, k] - ci[first + 1]))
            for (j, k), ci in cis.items()
        )
        print(f"max |delta CI bound| vs {name} over {len(cis)} pairs: {d_ci:.3g} (Monte Carlo)")
    names = list(data.columns)
    index = {name: i for i, name in enumerate(names)}
    d_pg = max(abs(point.r[index[row.X], index[row.Y]] - row.r) for row in table.itertuples())
    print(f"max |delta r| vs pingouin pairwise_corr: {d_pg:.3g}")
    print(f"replicates excluded as degenerate, max per pair: {int(boot.n_excluded.max())}")


if __name__ == "__main__":
    main()
