"""Regenerate ``change.json``: paired t-test, d_z with its noncentral-t CI, d_av, Wilcoxon.

Run ``python tests/reference/make_change.py`` from the repository root. Uses scipy and numpy
only (never ``patalliance``).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy
from _refio import dump, versions
from scipy import optimize, stats

NAN = np.nan

DATASETS = {
    # 12 complete pairs, distinct nonzero differences: scipy's Wilcoxon p is exact.
    "distinct": (
        [44.0, 51.0, 38.0, 47.0, 55.0, 42.0, 49.0, 36.0, 53.0, 45.0, 40.0, 48.0],
        [47.0, 58.0, 37.0, 52.0, 56.0, 50.0, 55.0, 42.0, 60.0, 44.0, 49.0, 50.0],
    ),
    # missing values at either time, tied and zero differences: normal approximation.
    "ties_missing": (
        [50.0, 52.0, 47.0, 60.0, NAN, 55.0, 41.0, 44.0, 58.0, 49.0, 53.0, NAN, 46.0, 51.0],
        [54.0, 53.0, 50.0, 61.0, 58.0, 60.0, 41.0, 48.0, NAN, 52.0, 52.0, 47.0, 50.0, 54.0],
    ),
    # a decrease, 90% intervals
    "decrease": (
        [30.0, 28.0, 35.0, 31.0, 26.0, 33.0, 29.0],
        [24.0, 27.0, 29.0, 30.0, 20.0, 31.0, 25.0],
    ),
}
LEVELS = {"distinct": 0.95, "ties_missing": 0.95, "decrease": 0.9}


def _nct_bound(t_obs: float, df: float, target: float) -> float:
    """The noncentrality lambda with scipy.stats.nct.cdf(t_obs, df, lambda) == target."""

    def f(nc: float) -> float:
        return float(stats.nct.cdf(t_obs, df, nc)) - target

    width = 1.0  # the CDF decreases in nc: widen the bracket until it changes sign
    while not f(t_obs - width) > 0 > f(t_obs + width):
        width *= 1.5
    lo, hi = t_obs - width, t_obs + width
    return float(optimize.brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=1000))


def block(x_from: list[float], x_to: list[float], level: float) -> dict:
    a, b = np.array(x_from), np.array(x_to)
    ok = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[ok], b[ok]
    n = a.size
    d = b - a
    tt = stats.ttest_rel(b, a)
    ci = tt.confidence_interval(confidence_level=level)
    alpha = 1.0 - level
    lam_low = _nct_bound(float(tt.statistic), n - 1.0, 1.0 - alpha / 2.0)
    lam_high = _nct_bound(float(tt.statistic), n - 1.0, alpha / 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = stats.wilcoxon(d, alternative="two-sided")
    sd_from, sd_to = float(np.std(a, ddof=1)), float(np.std(b, ddof=1))
    return {
        "x_from": x_from,
        "x_to": x_to,
        "confidence_level": level,
        "expected": {
            "n": n,
            "n_dropped": int((~ok).sum()),
            "mean_from": float(np.mean(a)),
            "mean_to": float(np.mean(b)),
            "sd_from": sd_from,
            "sd_to": sd_to,
            "mean_diff": float(np.mean(d)),
            "t": float(tt.statistic),
            "df": float(tt.df),
            "p": float(tt.pvalue),
            "diff_ci_low": float(ci.low),
            "diff_ci_high": float(ci.high),
            "d_z": float(np.mean(d) / np.std(d, ddof=1)),
            "d_z_ci_low": lam_low / np.sqrt(n),
            "d_z_ci_high": lam_high / np.sqrt(n),
            "d_av": float(np.mean(d) / ((sd_from + sd_to) / 2.0)),
            "wilcoxon_statistic": float(w.statistic),
            "wilcoxon_p": float(w.pvalue),
        },
    }


def main() -> None:
    out = {
        "family": "paired change (patalliance.stats.paired_change)",
        "provenance": {
            "script": "tests/reference/make_change.py",
            "libraries": versions("scipy"),
            "source": f"scipy {scipy.__version__} calls listed in 'calls'; complete pairs only",
            "frozen": True,
        },
        "calls": {
            "t, df, p, diff_ci": (
                "tt = scipy.stats.ttest_rel(x_to, x_from); tt.statistic, tt.df, tt.pvalue, "
                "tt.confidence_interval(confidence_level=level)"
            ),
            "d_z": "numpy.mean(d) / numpy.std(d, ddof=1), d = x_to - x_from",
            "d_z_ci": (
                "lambda / sqrt(n), lambda = scipy.optimize.brentq(lambda nc: "
                "scipy.stats.nct.cdf(t, n - 1, nc) - target, t - w, t + w, xtol=1e-15, "
                "rtol=4 * eps) (w = 1.5**j, the first bracket with a sign change) with target 1 - alpha/2 (lower) and alpha/2 (upper) "
                "(Steiger & Fouladi 1997)"
            ),
            "d_av": (
                "numpy.mean(d) / ((numpy.std(x_from, ddof=1) + numpy.std(x_to, ddof=1)) / 2) "
                "(Lakens 2013, eq. 10)"
            ),
            "wilcoxon": "scipy.stats.wilcoxon(d, alternative='two-sided') (default options)",
        },
        "datasets": {name: block(*data, LEVELS[name]) for name, data in DATASETS.items()},
    }
    dump(out, "change.json")


if __name__ == "__main__":
    main()
