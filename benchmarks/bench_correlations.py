"""Benchmark: all-pairs bootstrap correlations, patalliance vs pingouin 0.7.

20 variables x 24 participants with about 8% missing values, all 190 pairs, 10,000 percentile
bootstrap resamples per pair. patalliance computes every pair at once
(``bootstrap_correlations``); pingouin runs ``pairwise_corr`` and then ``compute_bootci`` pair
by pair. pingouin is timed on a subset of pairs and extrapolated per pair (stated in the
output). The two bootstraps use different random draws, so their intervals differ by Monte
Carlo error only.

Both sides run with BLAS limited to one thread (threadpoolctl), the same for both: on this
2-core, shared machine a multi-threaded BLAS mostly measures contention with other jobs.
``--blas-threads 0`` leaves BLAS alone.

Run: ``python benchmarks/bench_correlations.py [--pingouin-pairs 20]``
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd
import pingouin

from patalliance.stats import bootstrap_correlations, correlate

N_PARTICIPANTS = 24
N_VARIABLES = 20
N_RESAMPLES = 10_000


def make_data(seed: int = 20240314) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(N_PARTICIPANTS, 1))
    x = 0.6 * latent + rng.normal(size=(N_PARTICIPANTS, N_VARIABLES))
    x[rng.random(x.shape) < 0.08] = np.nan
    return pd.DataFrame(x, columns=[f"v{i:02d}" for i in range(N_VARIABLES)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pingouin-pairs", type=int, default=20, help="pairs timed in pingouin")
    parser.add_argument("--repeats", type=int, default=3, help="best-of repeats for ours")
    parser.add_argument(
        "--blas-threads", type=int, default=1, help="BLAS threads for both sides (0: unlimited)"
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

    # Ours: point estimates + p-values + bootstrap CIs of all pairs (best of a few runs).
    ours_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        point = correlate(x, x)
        boot = bootstrap_correlations(
            x, x, n_resamples=N_RESAMPLES, ci_method="percentile", rng=np.random.default_rng(1)
        )
        ours_times.append(time.perf_counter() - start)
    t_ours = min(ours_times)

    # pingouin: pairwise_corr on all pairs, compute_bootci on a subset, extrapolated per pair.
    start = time.perf_counter()
    table = pingouin.pairwise_corr(data, method="pearson")
    t_pairwise = time.perf_counter() - start
    subset = pairs[: args.pingouin_pairs]
    cis = {}
    start = time.perf_counter()
    for j, k in subset:
        both = data.iloc[:, [j, k]].dropna()
        cis[(j, k)] = pingouin.compute_bootci(
            both.iloc[:, 0].to_numpy(),
            both.iloc[:, 1].to_numpy(),
            func="pearson",
            paired=True,
            method="per",
            n_boot=N_RESAMPLES,
            confidence=0.95,
            decimals=15,
            seed=1,
        )
    t_boot_subset = time.perf_counter() - start
    t_pingouin = t_pairwise + t_boot_subset / len(subset) * len(pairs)

    names = list(data.columns)
    index = {name: i for i, name in enumerate(names)}
    d_r = max(abs(point.r[index[row.X], index[row.Y]] - row.r) for row in table.itertuples())
    d_p = max(abs(point.p[index[row.X], index[row.Y]] - row.p_unc) for row in table.itertuples())
    d_ci = max(
        max(abs(boot.ci_low[j, k] - ci[0]), abs(boot.ci_high[j, k] - ci[1]))
        for (j, k), ci in cis.items()
    )

    print(
        f"data: {N_VARIABLES} variables x {N_PARTICIPANTS} participants, "
        f"{int(np.isnan(x).sum())} missing values; {len(pairs)} pairs; "
        f"{N_RESAMPLES} percentile bootstrap resamples"
    )
    print(f"patalliance (correlate + bootstrap_correlations, all pairs): {t_ours:.3f} s")
    print(
        f"pingouin 0.7 (pairwise_corr {t_pairwise:.3f} s + compute_bootci timed on "
        f"{len(subset)} pairs = {t_boot_subset:.3f} s, extrapolated to {len(pairs)} pairs): "
        f"{t_pingouin:.3f} s"
    )
    print(f"speed-up: {t_pingouin / t_ours:.0f}x")
    print(f"max |delta r| vs pingouin: {d_r:.3g}")
    print(f"max |delta p| vs pingouin: {d_p:.3g}")
    print(
        f"max |delta CI bound| vs pingouin over {len(cis)} pairs: {d_ci:.3g} "
        "(different random draws: Monte Carlo error)"
    )
    print(f"replicates excluded as degenerate, max per pair: {int(boot.n_excluded.max())}")


if __name__ == "__main__":
    main()
