"""Regenerate ``change.json``: paired t-test, d_z with its noncentral-t CI, d_av, Wilcoxon.

Run ``python tests/reference/make_change.py`` from the repository root. Uses scipy and numpy
only (never ``patalliance``).

The Wilcoxon signed-rank test follows R's ``wilcox.test(x_to, x_from, paired = TRUE)`` with
its defaults (R up to 4.5): zero differences dropped; the exact p-value when fewer than 50
nonzero differences remain and there are no ties and no zeros (``scipy.stats.wilcoxon(d,
method="exact")``, whose exact null distribution is the same); otherwise the normal
approximation with continuity correction and tie-corrected variance, written out below and
checked against ``scipy.stats.wilcoxon(d[d != 0], correction=True, method="asymptotic")``.
The file also holds the example of R's ``?wilcox.test`` (Hollander & Wolfe depression data)
with the values R prints.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy
from _refio import dump, versions
from scipy import optimize, stats

NAN = np.nan

# Hollander & Wolfe (1999), Table 3.1, the example of R's ?wilcox.test: depression scale
# factor at the first (x) and second (y) visit; wilcox.test(x, y, paired = TRUE,
# alternative = "greater") prints V = 40, p-value = 0.01953.
HW_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
HW_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
HW_PRINTED = {"V": 40.0, "p_greater": 0.01953}

# 49 and 50 pairs with distinct nonzero differences: the exact / normal boundary (n < 50).
_D49 = [float(i if i % 3 else -i) for i in range(1, 50)]
_D50 = [float(i if i % 3 else -i) for i in range(1, 51)]

DATASETS = {
    # the R example, paired_change(x_from = y, x_to = x): 9 distinct nonzero differences, exact
    "hollander_wolfe": (HW_Y, HW_X),
    # ties, no zeros: differences 1, 2, 2, 3, -1, 4, 2, 5 (|d| tied: 1 twice, 2 three times)
    "hand_ties": (
        [10.0, 12.0, 9.0, 14.0, 11.0, 8.0, 13.0, 10.0],
        [11.0, 14.0, 11.0, 17.0, 10.0, 12.0, 15.0, 15.0],
    ),
    # zeros and ties: differences 0, 0, 3, -1, 2, 2, 4, -2, 6, 1
    "hand_zeros": (
        [20.0, 18.0, 15.0, 22.0, 17.0, 19.0, 16.0, 21.0, 14.0, 18.0],
        [20.0, 18.0, 18.0, 21.0, 19.0, 21.0, 20.0, 19.0, 20.0, 19.0],
    ),
    # one zero, no ties: differences 0, 1, -2, 3, 4, 5, 6
    "hand_zero_no_ties": (
        [30.0, 31.0, 32.0, 29.0, 28.0, 33.0, 30.0],
        [30.0, 32.0, 30.0, 32.0, 32.0, 38.0, 36.0],
    ),
    "distinct_49": ([50.0] * 49, [50.0 + d for d in _D49]),
    "distinct_50": ([50.0] * 50, [50.0 + d for d in _D50]),
    # 12 complete pairs; |differences| 1, 6 and 7 each occur twice (ties): normal approximation
    "ties": (
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
LEVELS = {
    "hollander_wolfe": 0.95,
    "hand_ties": 0.95,
    "hand_zeros": 0.95,
    "hand_zero_no_ties": 0.9,
    "distinct_49": 0.95,
    "distinct_50": 0.95,
    "ties": 0.95,
    "ties_missing": 0.95,
    "decrease": 0.9,
}


def _nct_bound(t_obs: float, df: float, target: float) -> float:
    """The noncentrality lambda with scipy.stats.nct.cdf(t_obs, df, lambda) == target."""

    def f(nc: float) -> float:
        return float(stats.nct.cdf(t_obs, df, nc)) - target

    width = 1.0  # the CDF decreases in nc: widen the bracket until it changes sign
    while not f(t_obs - width) > 0 > f(t_obs + width):
        width *= 1.5
    lo, hi = t_obs - width, t_obs + width
    return float(optimize.brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=1000))


def signed_rank(d: np.ndarray) -> tuple[float, float, str]:
    """V, two-sided p and method of R's wilcox.test(paired = TRUE) defaults (R <= 4.5)."""
    zero = d == 0
    nz = d[~zero]
    n = nz.size
    ranks = stats.rankdata(np.abs(nz))  # average ranks, as R's rank()
    v = float(ranks[nz > 0].sum())
    _, tie_sizes = np.unique(np.abs(nz), return_counts=True)
    ties = bool((tie_sizes > 1).any())
    if n < 50 and not ties and not zero.any():
        res = stats.wilcoxon(nz, alternative="two-sided", method="exact")
        # scipy's two-sided statistic is min(V+, V-); R's V is V+
        assert float(res.statistic) == min(v, n * (n + 1) / 2 - v)
        return v, float(res.pvalue), "exact"
    t = tie_sizes.astype(float)
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - np.sum(t**3 - t) / 48)
    z0 = v - n * (n + 1) / 4
    z = (z0 - 0.5 * np.sign(z0)) / sigma
    p = float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = stats.wilcoxon(nz, correction=True, method="asymptotic").pvalue
    assert abs(p - check) <= 1e-12 * p, (p, check)
    return v, p, "normal_cc"


def published_example() -> dict:
    d = np.array(HW_X) - np.array(HW_Y)
    v, p, method = signed_rank(d)
    n = d.size
    # alternative = "greater": P(V >= v) under the exact null distribution, by enumeration of
    # the 2**n sign patterns of the ranks 1..n
    signs = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    p_greater = float(np.mean(signs @ np.arange(1, n + 1) >= v))
    assert method == "exact" and v == HW_PRINTED["V"]
    assert float(f"{p_greater:.4g}") == HW_PRINTED["p_greater"]
    assert p == 2 * p_greater
    return {
        "citation": (
            "R documentation of wilcox.test (package stats), Examples: Hollander & Wolfe "
            "(1999), Nonparametric Statistical Methods, 2nd ed., Table 3.1 (depression scale "
            "factor, first visit x and second visit y); wilcox.test(x, y, paired = TRUE, "
            "alternative = 'greater') prints V = 40, p-value = 0.01953"
        ),
        "x": HW_X,
        "y": HW_Y,
        "printed": HW_PRINTED,
        "printed_significant_digits": 4,
        "V": v,
        "p_greater": p_greater,
        "p_two_sided": p,
        "method": method,
        "note": (
            "p_greater by enumeration of the 512 sign patterns (10 of them give V >= 40); "
            "the two-sided p of R is min(1, 2 * p_greater) = 20/512"
        ),
    }


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
    w_stat, w_p, w_method = signed_rank(d)
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
            "wilcoxon_statistic": w_stat,
            "wilcoxon_p": w_p,
            "wilcoxon_method": w_method,
        },
    }


def main() -> None:
    out = {
        "family": "paired change (patalliance.stats.paired_change)",
        "provenance": {
            "script": "tests/reference/make_change.py",
            "libraries": versions("scipy"),
            "source": (
                f"scipy {scipy.__version__} calls listed in 'calls'; complete pairs only; the "
                "Wilcoxon example of R's ?wilcox.test (Hollander & Wolfe 1999, Table 3.1)"
            ),
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
            "wilcoxon": (
                "R wilcox.test(x_to, x_from, paired = TRUE) defaults (R <= 4.5): zeros of "
                "d dropped, n nonzero; V = sum of rank(|d|) over d > 0 (average ranks); if "
                "n < 50 and no ties and no zeros: scipy.stats.wilcoxon(d, method='exact')"
                ".pvalue ('exact'); else z = (V - n(n+1)/4 - sign(.)/2) / sqrt(n(n+1)(2n+1)/24 "
                "- sum(t**3 - t)/48), p = 2 min(Phi(z), 1 - Phi(z)) with scipy.stats.norm, "
                "checked against scipy.stats.wilcoxon(d[d != 0], correction=True, "
                "method='asymptotic') ('normal_cc')"
            ),
        },
        "datasets": {name: block(*data, LEVELS[name]) for name, data in DATASETS.items()},
        "published_wilcoxon": published_example(),
    }
    dump(out, "change.json")


if __name__ == "__main__":
    main()
