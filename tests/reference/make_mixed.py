"""Regenerate ``mixed.json``: REML fits of the linear random-intercept model.

Run ``python tests/reference/make_mixed.py`` from the repository root. Uses statsmodels,
scipy and numpy only (never ``patalliance``).

Two data sets:

- ``rail``: the Rail data of Pinheiro & Bates (2000, section 1.1), balanced (6 rails x 3
  measurements), intercept only. For balanced one-way data with a positive estimate, REML
  equals the ANOVA estimator (Searle, Casella & McCulloch, 1992, section 6.7), so the exact
  values are closed forms of the one-way ANOVA mean squares (statsmodels ``anova_lm``);
  a tightly converged statsmodels ``MixedLM`` fit is checked against them when the file is
  made. The book's printed estimates are kept for a check at 3 decimals.
- ``unbalanced``: 12 clusters of 1-4 rows with a continuous and a binary covariate. The
  reference is statsmodels ``MixedLM(...).fit(reml=True, method=["bfgs"], gtol=1e-12,
  maxiter=1000)``; the same fit with ``method=["cg"]`` is made too, and the largest relative
  difference between the two (the optimizer spread) is stored to justify the tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.formula.api as smf
from _refio import dump, versions
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.stats.anova import anova_lm

# nlme::Rail (travel time minus 36,100 ns), from Devore (2000, Example 10.10, p. 427)
RAIL_TRAVEL = [55, 53, 54, 26, 37, 32, 78, 91, 85, 92, 100, 96, 49, 51, 50, 80, 85, 83]
RAIL = [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6]

UNBALANCED_Y = [
    39.4, 36.9, 33.1, 34.8, 39.3, 48.2, 49.3, 47.4, 41.6, 45.0, 46.5, 42.3, 35.6, 41.9, 41.5,
    39.1, 34.3, 43.8, 47.1, 48.7, 44.7, 45.1, 44.3, 43.7, 45.4, 48.7, 40.8, 35.1, 36.6, 36.8,
    41.3, 40.0,
]  # fmt: skip
UNBALANCED_X = [
    55.2, 53.8, 44.9, 40.6, 48.8, 59.6, 60.7, 57.3, 52.8, 62.8, 59.9, 48.2, 41.5, 47.1, 46.6,
    55.5, 34.8, 48.5, 63.4, 42.6, 43.9, 49.3, 38.7, 49.0, 49.9, 50.0, 42.1, 47.1, 55.2, 44.3,
    54.4, 55.2,
]  # fmt: skip
UNBALANCED_T = [i % 2 for i in range(32)]
CLUSTER_SIZES = [3, 1, 4, 2, 3, 4, 2, 3, 1, 4, 3, 2]
UNBALANCED_GROUPS = [f"p{i + 1:02d}" for i, k in enumerate(CLUSTER_SIZES) for _ in range(k)]

FIT_OPTIONS = {"reml": True, "method": ["bfgs"], "gtol": 1e-12, "maxiter": 1000}
CHECK_OPTIONS = {"reml": True, "method": ["cg"], "gtol": 1e-12, "maxiter": 5000}


def mixedlm(y: np.ndarray, exog: np.ndarray, groups: list, options: dict):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: gtol is beyond what it can reach
        return MixedLM(y, exog, groups=np.asarray(groups)).fit(**options)


def summary(fit, exog: np.ndarray, groups: list) -> dict:  # type: ignore[no-untyped-def]
    beta = np.asarray(fit.fe_params)
    sigma2_u, sigma2_e = float(np.asarray(fit.cov_re)[0, 0]), float(fit.scale)
    # GLS (expected-information) SE at the estimates: sqrt(diag((sum X_i' V_i^-1 X_i)^-1))
    g = np.asarray(groups)
    info = np.zeros((exog.shape[1], exog.shape[1]))
    for label in dict.fromkeys(groups):
        xi = exog[g == label]
        vi = sigma2_e * np.eye(len(xi)) + sigma2_u * np.ones((len(xi), len(xi)))
        info += xi.T @ np.linalg.solve(vi, xi)
    return {
        "beta": beta,
        "se": np.asarray(fit.bse_fe),
        "se_gls": np.sqrt(np.diag(np.linalg.inv(info))),
        "sigma2_u": sigma2_u,
        "sigma2_e": sigma2_e,
        "theta": sigma2_u / sigma2_e,
    }


def rail() -> dict:
    y = np.array(RAIL_TRAVEL, dtype=float)
    frame = pd.DataFrame({"y": y, "g": RAIL})
    table = anova_lm(smf.ols("y ~ C(g)", data=frame).fit())
    msb, msw = float(table["mean_sq"].iloc[0]), float(table["mean_sq"].iloc[1])
    a, k = 6, 3
    sigma2_u = (msb - msw) / k
    exact = {
        "beta": [float(y.mean())],
        "se": [float(np.sqrt(msb / (a * k)))],
        "se_gls": [float(np.sqrt(msb / (a * k)))],
        "sigma2_u": sigma2_u,
        "sigma2_e": msw,
        "theta": sigma2_u / msw,
    }
    fit = summary(mixedlm(y, np.ones((18, 1)), RAIL, FIT_OPTIONS), np.ones((18, 1)), RAIL)
    for key, value in exact.items():  # the tight statsmodels fit reaches the closed form
        assert np.allclose(fit[key], value, rtol=1e-8, atol=0), (key, fit[key], value)
    return {
        "y": RAIL_TRAVEL,
        "groups": RAIL,
        "exog": "one column of ones (intercept only)",
        "expected": exact,
        "source": (
            "closed form for balanced one-way data (REML = ANOVA when MSB > MSW): beta = mean, "
            "sigma2_e = MSW, sigma2_u = (MSB - MSW) / 3, se = se_gls = sqrt(MSB / 18), with "
            "MSB, MSW = statsmodels.stats.anova.anova_lm(statsmodels.formula.api.ols("
            "'y ~ C(g)', data).fit())['mean_sq']; MixedLM(y, ones, groups).fit(reml=True, "
            "method=['bfgs'], gtol=1e-12, maxiter=1000) agrees to rtol 1e-8 (checked)"
        ),
        "published": {
            "citation": (
                "Pinheiro, J. C., & Bates, D. M. (2000). Mixed-Effects Models in S and S-PLUS. "
                "Springer. Section 1.1, REML fit fm1Rail.lme of travel ~ 1, random = ~ 1 | "
                "Rail (data from Devore, 2000, Example 10.10, p. 427)"
            ),
            "compared_decimals": 3,
            "sd_rail": 24.805,
            "sd_residual": 4.021,
            "intercept": 66.5,
            "intercept_se": 10.171,
        },
    }


def unbalanced() -> dict:
    y = np.array(UNBALANCED_Y)
    exog = np.column_stack([np.ones(len(y)), UNBALANCED_X, UNBALANCED_T]).astype(float)
    ref = summary(mixedlm(y, exog, UNBALANCED_GROUPS, FIT_OPTIONS), exog, UNBALANCED_GROUPS)
    check = summary(mixedlm(y, exog, UNBALANCED_GROUPS, CHECK_OPTIONS), exog, UNBALANCED_GROUPS)
    spread = max(
        float(np.max(np.abs(np.asarray(check[key]) / np.asarray(ref[key]) - 1.0))) for key in ref
    )
    return {
        "y": UNBALANCED_Y,
        "x": UNBALANCED_X,
        "t": UNBALANCED_T,
        "groups": UNBALANCED_GROUPS,
        "exog": "column_stack([ones, x, t]), names ['intercept', 'x', 't']",
        "expected": ref,
        "optimizer_spread": spread,
        "source": (
            f"statsmodels {statsmodels.__version__}: fit = MixedLM(y, exog, groups=groups)"
            ".fit(reml=True, method=['bfgs'], gtol=1e-12, maxiter=1000); beta = "
            "fit.fe_params, se = fit.bse_fe, sigma2_u = fit.cov_re[0, 0], sigma2_e = "
            "fit.scale; se_gls = sqrt(diag((sum_i X_i' V_i^-1 X_i)^-1)) with V_i = sigma2_e "
            "I + sigma2_u J (numpy) at those estimates. optimizer_spread = largest relative "
            "difference from the same fit with method=['cg'], gtol=1e-12, maxiter=5000"
        ),
    }


def main() -> None:
    out = {
        "family": "REML random-intercept model (patalliance.stats.reml_random_intercept, "
        "reml_random_intercept_batch)",
        "provenance": {
            "script": "tests/reference/make_mixed.py",
            "libraries": versions("statsmodels", "scipy", "pandas"),
            "source": (
                f"statsmodels {statsmodels.__version__} (MixedLM, anova_lm) with scipy "
                f"{scipy.__version__}; see 'source' of each data set"
            ),
            "frozen": True,
        },
        "rail": rail(),
        "unbalanced": unbalanced(),
    }
    dump(out, "mixed.json")


if __name__ == "__main__":
    main()
