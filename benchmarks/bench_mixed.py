"""Benchmark: mixed models and trajectories grow linearly with the number of participants.

Synthetic trials of n participants with up to five occasions (15% missing) and two arms:

- the growth model of ``[[analysis.trajectories]]`` (``fit_random_slope``: exact REML with
  random intercepts and slopes, then Satterthwaite's df), against statsmodels ``MixedLM``
  (REML, default optimizer) at a small n;
- the random-intercept model of ``[[analysis.mixed_models]]`` (``fit_random_intercept``)
  with a 1,000-replicate parametric bootstrap.

Each is timed at n and 4n; a ratio near 4 is linear growth (quadratic would be 16). Times are
process CPU seconds, best of ``--repeats``, BLAS limited to one thread (threadpoolctl) so that
the 2-core shared machine measures the algorithm rather than contention.

Run: ``python benchmarks/bench_mixed.py [--n 10000] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from patalliance.stats import fit_random_intercept
from patalliance.stats.growth import fit_random_slope

TIMES = np.array([7.0, 28.0, 91.0, 182.0, 365.0]) / 30.0


def trial(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y, exog with arm terms, time, participant) in long form."""
    rng = np.random.default_rng(seed)
    u = rng.multivariate_normal([0.0, 0.0], [[16.0, -0.4], [-0.4, 0.25]], size=n)
    arm = rng.integers(0, 2, n).astype(float)
    rows, cols = np.nonzero(rng.random((n, TIMES.size)) > 0.15)
    t, d = TIMES[cols], arm[rows]
    y = 10 + 2 * d + (-0.3 - 0.2 * d) * t + u[rows, 0] + u[rows, 1] * t + rng.normal(0, 3, t.size)
    return y, np.column_stack([np.ones(t.size), t, d, d * t]), t, rows


def best_cpu(func: Callable[[], object], repeats: int) -> float:
    out = []
    for _ in range(repeats):
        start = time.process_time()
        func()
        out.append(time.process_time() - start)
    return min(out)


def growth(n: int) -> Callable[[], object]:
    y, x, t, g = trial(n)
    return lambda: fit_random_slope(y, x, t, g, names=["I", "time", "arm", "time:arm"])


def intercept(n: int) -> Callable[[], object]:
    y, x, _, g = trial(n)
    return lambda: fit_random_intercept(
        y, x[:, [0, 2]], g, names=["I", "arm"], focus="arm", n_boot=1000,
        rng=np.random.default_rng(2),
    )  # fmt: skip


def statsmodels_growth(n: int) -> Callable[[], object]:
    from statsmodels.regression.mixed_linear_model import MixedLM

    y, x, _, g = trial(n)

    def fit() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return MixedLM(y, x, groups=g, exog_re=x[:, :2]).fit(reml=True)

    return fit


def run(args: argparse.Namespace) -> None:
    small = 500
    ours = best_cpu(growth(small), args.repeats)
    ref = best_cpu(statsmodels_growth(small), 1)
    print(f"growth model, n = {small}: {ours:.2f} s; statsmodels MixedLM {ref:.2f} s "
          f"({ref / ours:.0f}x)")  # fmt: skip
    for name, make in (("growth model", growth), ("random intercept + 1,000 boot", intercept)):
        t1 = best_cpu(make(args.n), args.repeats)
        t4 = best_cpu(make(4 * args.n), args.repeats)
        print(f"{name}: n = {args.n}: {t1:.2f} s; n = {4 * args.n}: {t4:.2f} s; "
              f"ratio {t4 / t1:.1f} (linear: 4)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="participants (and 4x that)")
    parser.add_argument("--repeats", type=int, default=2, help="best-of repeats")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (0: unlimited)")
    args = parser.parse_args()
    if args.blas_threads > 0:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.blas_threads):
            run(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
