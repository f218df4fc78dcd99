"""Regenerate ``group.json``: Welch's t, Cohen's d / Hedges' g, ANCOVA, Wilson intervals.

Run ``python tests/reference/make_group.py`` from the repository root. Uses scipy,
statsmodels, pingouin and numpy only (never ``patalliance``). Also holds Newcombe's (1998)
published Wilson intervals and the effectsize README's Cohen's d and Hedges' g of the mtcars
data, compared at their printed precision.

The noncentral-t limits of d are roots of ``scipy.stats.nct.cdf`` found with
``scipy.optimize.brentq``; the script checks each against a second route that does not use
``scipy.stats.nct``: the CDF as a normal-chi-square mixture integrated with
``scipy.integrate.quad``, P(T <= t) = E[Phi(t sqrt(V / df) - lambda)], V ~ chi2(df).
"""

from __future__ import annotations

import numpy as np
import pingouin
import scipy
import statsmodels
import statsmodels.api as sm
from _refio import dump, versions
from scipy import integrate, optimize, special, stats
from statsmodels.stats.proportion import proportion_confint

NAN = np.nan
# two groups of unequal size and spread; null (NaN) values are left out
X = [23.0, 31.0, 27.5, NAN, 35.0, 29.0, 26.0, 33.5, 30.0, 28.0]
Y = [19.0, 24.5, 14.0, 22.0, 27.0, 17.5, 21.0, NAN, 12.0, 25.0, 18.0, 23.5, 20.0]

# ANCOVA: outcome, group (1 = treatment), baseline covariate; one incomplete row
ANCOVA_Y = [12.0, 9.0, 15.0, 7.0, 11.0, 8.0, 20.0, 18.0, 22.0, 17.0, 19.0, NAN, 21.0, 16.0]
ANCOVA_G = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
ANCOVA_C = [24.0, 21.0, 27.0, 19.0, 25.0, 22.0, 26.0, 23.0, 28.0, 20.0, 24.0, 25.0, 27.0, 21.0]

# mtcars (R datasets; Henderson & Velleman 1981): mpg by transmission, am = 0 (automatic)
# and am = 1 (manual), in the row order of R's data frame.
MTCARS_MPG = [
    21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4,
    10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7,
    15.0, 21.4,
]  # fmt: skip
MTCARS_AM = [
    1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1,
    1, 1,
]  # fmt: skip
# effectsize README (R package effectsize, version 0.7.0 on CRAN; rdocumentation.org,
# "Standardized Differences"): cohens_d(mpg ~ am, data = mtcars) prints -1.48, 95% CI
# [-2.27, -0.67]; hedges_g(mpg ~ am, data = mtcars) prints -1.44, 95% CI [-2.21, -0.65]
# (pooled SD, noncentral-t interval; group am = 0 minus group am = 1).
EFFECTSIZE_MTCARS = {
    "d": -1.48, "d_ci_low": -2.27, "d_ci_high": -0.67,
    "g": -1.44, "g_ci_low": -2.21, "g_ci_high": -0.65,
}  # fmt: skip

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


def _nct_cdf_quad(t: float, df: float, nc: float) -> float:
    """P(T <= t) for noncentral t by quadrature of E[Phi(t sqrt(V/df) - nc)], V ~ chi2(df)."""

    def integrand(v: float) -> float:
        return float(stats.norm.cdf(t * np.sqrt(v / df) - nc) * stats.chi2.pdf(v, df))

    lo, hi = stats.chi2.ppf([1e-15, 1.0 - 1e-15], df)
    value, _ = integrate.quad(integrand, lo, hi, epsabs=1e-14, epsrel=1e-12, limit=500)
    return float(value)


def _nct_bound(t_obs: float, df: float, target: float) -> float:
    """The noncentrality lambda with scipy.stats.nct.cdf(t_obs, df, lambda) == target."""

    def f(nc: float) -> float:
        return float(stats.nct.cdf(t_obs, df, nc)) - target

    width = 1.0  # the CDF decreases in nc: widen the bracket until it changes sign
    while not f(t_obs - width) > 0 > f(t_obs + width):
        width *= 1.5
    root = float(
        optimize.brentq(
            f, t_obs - width, t_obs + width, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=1000
        )
    )
    # the same root from the quadrature CDF: both routes agree to far below 1e-9
    check = optimize.brentq(
        lambda nc: _nct_cdf_quad(t_obs, df, nc) - target, root - 0.5, root + 0.5, xtol=1e-13
    )
    assert abs(check - root) < 1e-9, (root, check)
    return root


def smd(a: np.ndarray, b: np.ndarray, level: float) -> dict:
    """Cohen's d (pooled SD), exact Hedges J and g, and the noncentral-t interval."""
    nx, ny = a.size, b.size
    d = float(pingouin.compute_effsize(a, b, paired=False, eftype="cohen"))
    m = nx + ny - 2
    j = float(special.gamma(m / 2.0) / (np.sqrt(m / 2.0) * special.gamma((m - 1) / 2.0)))
    se = float(np.sqrt((nx + ny) / (nx * ny) + d**2 / (2.0 * (nx + ny))))
    scale = float(np.sqrt((nx + ny) / (nx * ny)))
    t = d / scale
    # t is Student's pooled-variance t: scipy's ttest_ind gives the same number
    assert abs(t - float(stats.ttest_ind(a, b).statistic)) < 1e-12 * max(1.0, abs(t))
    alpha = 1.0 - level
    lam_low = _nct_bound(t, float(m), 1.0 - alpha / 2.0)
    lam_high = _nct_bound(t, float(m), alpha / 2.0)
    return {
        "confidence_level": level,
        "n_x": nx,
        "n_y": ny,
        "sd_pooled": float(
            np.sqrt(((nx - 1) * a.var(ddof=1) + (ny - 1) * b.var(ddof=1)) / (nx + ny - 2))
        ),
        "d": d,
        "d_se": se,
        "d_ci_low": lam_low * scale,
        "d_ci_high": lam_high * scale,
        "hedges_correction": j,
        "g": j * d,
        "g_ci_low": j * lam_low * scale,
        "g_ci_high": j * lam_high * scale,
    }


def effect_size(level: float) -> dict:
    return smd(_clean(X), _clean(Y), level)


def mtcars_effect_size() -> dict:
    mpg, am = np.array(MTCARS_MPG), np.array(MTCARS_AM)
    computed = smd(mpg[am == 0], mpg[am == 1], 0.95)
    for key, printed in EFFECTSIZE_MTCARS.items():
        assert round(computed[key], 2) == printed, (key, computed[key], printed)
    return computed


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
                "(1998) Table II for the Wilson interval and the effectsize README (mtcars) "
                "for Cohen's d and Hedges' g with their noncentral-t intervals"
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
                "d**2/(2 (n_x+n_y))) (Hedges & Olkin 1985, eq. 5.15); t = d / s, s = "
                "sqrt((n_x+n_y)/(n_x n_y)) (= scipy.stats.ttest_ind(x, y).statistic); "
                "lambda = scipy.optimize.brentq(lambda nc: scipy.stats.nct.cdf(t, m, nc) - "
                "target, t - w, t + w, xtol=1e-15, rtol=4 * eps) (w = 1.5**j, the first "
                "bracket with a sign change), target 1 - alpha/2 (lower) and alpha/2 (upper) "
                "(Steiger & Fouladi 1997), each root checked to 1e-9 against the root of the "
                "quadrature CDF E[Phi(t sqrt(V/m) - lambda)], V ~ chi2(m); d CI = lambda s; "
                "g = J d, g CI = J (d CI)"
            ),
            "cases": [effect_size(0.95), effect_size(0.9)],
        },
        "published_smd": {
            "citation": (
                "effectsize R package README (Ben-Shachar, Luedecke & Makowski 2020, "
                "J. Open Source Softw. 5(56), 2815), version 0.7.0 on CRAN, section "
                "'Standardized Differences': cohens_d(mpg ~ am, data = mtcars) and "
                "hedges_g(mpg ~ am, data = mtcars), pooled SD, 95% noncentral-t CI"
            ),
            "inputs": {"mpg": MTCARS_MPG, "am": MTCARS_AM},
            "groups": "x = mpg[am == 0] (automatic), y = mpg[am == 1] (manual)",
            "confidence_level": 0.95,
            "printed_decimals": 2,
            "printed": EFFECTSIZE_MTCARS,
            "full_precision": mtcars_effect_size(),
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
