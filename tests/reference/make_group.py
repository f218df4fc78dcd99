"""Regenerate ``group.json``: Welch's t, Cohen's d / Hedges' g, ANCOVA, Wilson intervals.

Run ``python tests/reference/make_group.py`` from the repository root. Uses scipy,
statsmodels, pingouin and numpy only (never ``patalliance``). Also holds Newcombe's (1998)
published Wilson intervals, compared at their printed precision.
"""

from __future__ import annotations

import numpy as np
import pingouin
import scipy
import statsmodels
import statsmodels.api as sm
from _refio import dump, versions
from scipy import special, stats
from statsmodels.stats.proportion import proportion_confint

NAN = np.nan
# two groups of unequal size and spread; null (NaN) values are left out
X = [23.0, 31.0, 27.5, NAN, 35.0, 29.0, 26.0, 33.5, 30.0, 28.0]
Y = [19.0, 24.5, 14.0, 22.0, 27.0, 17.5, 21.0, NAN, 12.0, 25.0, 18.0, 23.5, 20.0]

# ANCOVA: outcome, group (1 = treatment), baseline covariate; one incomplete row
ANCOVA_Y = [12.0, 9.0, 15.0, 7.0, 11.0, 8.0, 20.0, 18.0, 22.0, 17.0, 19.0, NAN, 21.0, 16.0]
ANCOVA_G = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
ANCOVA_C = [24.0, 21.0, 27.0, 19.0, 25.0, 22.0, 26.0, 23.0, 28.0, 20.0, 24.0, 25.0, 27.0, 21.0]

WILSON_CASES = [(7, 13, 0.95), (0, 12, 0.95), (12, 12, 0.95), (3, 40, 0.9), (55, 61, 0.99)]

# Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
# comparison of seven methods. Statistics in Medicine, 17(8), 857-872. Table II, method 3
# (Wilson score interval without continuity correction), 95% intervals printed to 4 decimals.
NEWCOMBE_TABLE_II = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


def _clean(values: list[float]) -> np.ndarray:
    a = np.array(values)
    return a[~np.isnan(a)]


def welch(level: float) -> dict:
    a, b = _clean(X), _clean(Y)
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(confidence_level=level)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    return {
        "confidence_level": level,
        "n_x": a.size,
        "n_y": b.size,
        "mean_diff": float(a.mean() - b.mean()),
        "se": float(np.sqrt(va + vb)),
        "t": float(res.statistic),
        "df": float(res.df),
        "p": float(res.pvalue),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
    }


def effect_size(level: float) -> dict:
    a, b = _clean(X), _clean(Y)
    nx, ny = a.size, b.size
    d = float(pingouin.compute_effsize(a, b, paired=False, eftype="cohen"))
    m = nx + ny - 2
    j = float(special.gamma(m / 2.0) / (np.sqrt(m / 2.0) * special.gamma((m - 1) / 2.0)))
    se = float(np.sqrt((nx + ny) / (nx * ny) + d**2 / (2.0 * (nx + ny))))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return {
        "confidence_level": level,
        "sd_pooled": float(
            np.sqrt(((nx - 1) * a.var(ddof=1) + (ny - 1) * b.var(ddof=1)) / (nx + ny - 2))
        ),
        "d": d,
        "d_se": se,
        "d_ci_low": d - z * se,
        "d_ci_high": d + z * se,
        "hedges_correction": j,
        "g": j * d,
        "g_ci_low": j * (d - z * se),
        "g_ci_high": j * (d + z * se),
    }


def ancova(level: float) -> dict:
    y, g, c = np.array(ANCOVA_Y), np.array(ANCOVA_G), np.array(ANCOVA_C)
    ok = ~(np.isnan(y) | np.isnan(g) | np.isnan(c))
    fit = sm.OLS(y[ok], sm.add_constant(np.column_stack([g[ok], c[ok]]))).fit()
    ci = fit.conf_int(alpha=1.0 - level)
    return {
        "confidence_level": level,
        "n": int(fit.nobs),
        "estimate": float(fit.params[1]),
        "se": float(fit.bse[1]),
        "t": float(fit.tvalues[1]),
        "df": float(fit.df_resid),
        "p": float(fit.pvalues[1]),
        "ci_low": float(ci[1, 0]),
        "ci_high": float(ci[1, 1]),
        "covariate_slope": float(fit.params[2]),
    }


def main() -> None:
    wilson = []
    for count, nobs, level in WILSON_CASES:
        low, high = proportion_confint(count, nobs, alpha=1.0 - level, method="wilson")
        wilson.append(
            {
                "count": count,
                "nobs": nobs,
                "confidence_level": level,
                "proportion": count / nobs,
                "ci_low": float(low),
                "ci_high": float(high),
            }
        )
    out = {
        "family": "two-group comparisons (patalliance.stats.welch_t, cohens_d, ancova, "
        "wilson_interval)",
        "provenance": {
            "script": "tests/reference/make_group.py",
            "libraries": versions("scipy", "statsmodels", "pingouin"),
            "source": (
                f"scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, pingouin "
                f"{pingouin.__version__}: the calls listed with each block; plus Newcombe "
                "(1998) Table II for the Wilson interval"
            ),
            "frozen": True,
        },
        "inputs": {"x": X, "y": Y, "note": "null is a missing value (NaN), left out"},
        "welch_t": {
            "call": (
                "res = scipy.stats.ttest_ind(x, y, equal_var=False); res.statistic, res.df, "
                "res.pvalue, res.confidence_interval(confidence_level=level); se = "
                "sqrt(var(x, ddof=1)/n_x + var(y, ddof=1)/n_y)"
            ),
            "cases": [welch(0.95), welch(0.9)],
        },
        "cohens_d": {
            "call": (
                "d = pingouin.compute_effsize(x, y, paired=False, eftype='cohen'); "
                "J = scipy.special.gamma(m/2) / (sqrt(m/2) * scipy.special.gamma((m-1)/2)), "
                "m = n_x + n_y - 2 (Hedges 1981, exact); se(d) = sqrt((n_x+n_y)/(n_x n_y) + "
                "d**2/(2 (n_x+n_y))) (Hedges & Olkin 1985, eq. 5.15); CI = d -/+ "
                "scipy.stats.norm.ppf(0.5 + level/2) se; g = J d, g CI = J (d CI)"
            ),
            "cases": [effect_size(0.95), effect_size(0.9)],
        },
        "ancova": {
            "inputs": {"y": ANCOVA_Y, "group": ANCOVA_G, "covariate": ANCOVA_C},
            "call": (
                "fit = statsmodels.api.OLS(y, add_constant(column_stack([group, covariate])))"
                ".fit() on complete rows; fit.params[1], fit.bse[1], fit.tvalues[1], "
                "fit.df_resid, fit.pvalues[1], fit.conf_int(alpha=1 - level)[1], "
                "fit.params[2]"
            ),
            "cases": [ancova(0.95), ancova(0.99)],
        },
        "wilson_interval": {
            "call": (
                "statsmodels.stats.proportion.proportion_confint(count, nobs, "
                "alpha=1 - level, method='wilson')"
            ),
            "cases": wilson,
        },
        "published_wilson": {
            "citation": (
                "Newcombe, R. G. (1998). Two-sided confidence intervals for the single "
                "proportion: comparison of seven methods. Statistics in Medicine, 17(8), "
                "857-872. Table II, method 3 (score interval without continuity correction)"
            ),
            "confidence_level": 0.95,
            "printed_decimals": 4,
            "rows": [
                {"count": c, "nobs": n, "ci_low": lo, "ci_high": hi}
                for c, n, lo, hi in NEWCOMBE_TABLE_II
            ],
        },
    }
    dump(out, "group.json")


if __name__ == "__main__":
    main()
