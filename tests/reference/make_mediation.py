"""Regenerate ``mediation.json``: OLS paths and bootstrap intervals of an indirect effect.

Run ``python tests/reference/make_mediation.py`` from the repository root. Uses statsmodels,
scipy and numpy only (never ``patalliance``).

The paths a, b, c and c' are statsmodels OLS fits. The indirect effect a*b gets percentile
and BCa intervals from ``scipy.stats.bootstrap(..., paired=True, vectorized=False,
rng=default_rng(SEED))`` whose statistic refits both equations with statsmodels OLS; scipy
draws its resample indices as ``default_rng(SEED).integers(0, n, size=(B, n))``, the matrix
stored in the JSON (checked here by recomputing scipy's bootstrap distribution from it). The
tests hand the stored matrix to ``mediation`` through its ``rng`` argument.
"""

from __future__ import annotations

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from _refio import dump, versions
from scipy import stats

SEED = 20240601
N_BOOT = 400
LEVEL = 0.95
NAN = np.nan
# predictor (alliance), mediator, outcome and one covariate (baseline); one incomplete row
X = [40.0, 52.0, 47.0, 58.0, 36.0, 44.0, 50.0, 55.0, 42.0, 48.0, 60.0, 38.0, 46.0, 53.0, 49.0,
     41.0, 57.0, 45.0, 51.0, 39.0]  # fmt: skip
M = [61.0, 78.0, 66.0, 85.0, 58.0, 70.0, 69.0, 88.0, 64.0, 75.0, 90.0, 55.0, 72.0, 80.0, NAN,
     60.0, 82.0, 71.0, 74.0, 63.0]  # fmt: skip
Y = [-6.0, -12.0, -9.0, -15.0, -3.0, -10.0, -8.0, -16.0, -5.0, -11.0, -18.0, -4.0, -9.0, -13.0,
     -10.0, -7.0, -14.0, -8.0, -12.0, -6.0]  # fmt: skip
C = [22.0, 24.0, 19.0, 26.0, 21.0, 23.0, 18.0, 25.0, 20.0, 22.0, 27.0, 19.0, 24.0, 23.0, 21.0,
     20.0, 26.0, 22.0, 21.0, 18.0]  # fmt: skip


def _fit(y: np.ndarray, *columns: np.ndarray):  # type: ignore[no-untyped-def]
    return sm.OLS(y, sm.add_constant(np.column_stack(columns), has_constant="add")).fit()


def indirect(x, m, y, c, axis=-1):  # type: ignore[no-untyped-def]
    """a * b with a from m ~ 1 + x + c and b from y ~ 1 + x + m + c (statsmodels OLS)."""
    a = _fit(m, x, c).params[1]
    b = _fit(y, x, m, c).params[2]
    return a * b


def path(fit, j: int, name: str) -> dict:  # type: ignore[no-untyped-def]
    ci = np.asarray(fit.conf_int(alpha=1.0 - LEVEL))[j]
    return {
        "path": name,
        "estimate": float(fit.params[j]),
        "se": float(fit.bse[j]),
        "t": float(fit.tvalues[j]),
        "df": float(fit.df_resid),
        "p": float(fit.pvalues[j]),
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
    }


def main() -> None:
    data = np.array([X, M, Y, C])
    ok = ~np.isnan(data).any(axis=0)
    x, m, y, c = data[:, ok]
    n = x.size
    paths = [
        path(_fit(m, x, c), 1, "a"),
        path(_fit(y, x, m, c), 2, "b"),
        path(_fit(y, x, c), 1, "c"),
        path(_fit(y, x, m, c), 1, "c_prime"),
    ]
    idx = np.random.default_rng(SEED).integers(0, n, size=(N_BOOT, n))
    stored = np.array([indirect(x[i], m[i], y[i], c[i]) for i in idx])
    intervals = {}
    for ci_method in ("percentile", "BCa"):
        res = stats.bootstrap(
            (x, m, y, c),
            indirect,
            paired=True,
            vectorized=False,
            n_resamples=N_BOOT,
            confidence_level=LEVEL,
            method=ci_method,
            rng=np.random.default_rng(SEED),
        )
        assert np.allclose(res.bootstrap_distribution, stored, rtol=1e-12, atol=0)
        intervals[ci_method.lower()] = {
            "ci_low": float(res.confidence_interval.low),
            "ci_high": float(res.confidence_interval.high),
            "standard_error": float(res.standard_error),
        }
    out = {
        "family": "mediation (patalliance.stats.mediation)",
        "provenance": {
            "script": "tests/reference/make_mediation.py",
            "libraries": versions("statsmodels", "scipy"),
            "source": (
                f"statsmodels {statsmodels.__version__}: paths from "
                "statsmodels.api.OLS(outcome, add_constant(column_stack(predictors))).fit() "
                "on the complete rows: a = m ~ x + c (params[1]), b = y ~ x + m + c "
                "(params[2]), c = y ~ x + c (params[1]), c_prime = y ~ x + m + c (params[1]); "
                "with bse, tvalues, df_resid, pvalues, conf_int(alpha=0.05). scipy "
                f"{scipy.__version__}: res = scipy.stats.bootstrap((x, m, y, c), a*b, "
                "paired=True, vectorized=False, n_resamples=400, confidence_level=0.95, "
                "method=m, rng=numpy.random.default_rng(20240601)), m in {'percentile', "
                "'BCa'}: res.confidence_interval, res.standard_error"
            ),
            "frozen": True,
        },
        "inputs": {
            "x": X,
            "m": M,
            "y": Y,
            "covariate": C,
            "seed": SEED,
            "n_boot": N_BOOT,
            "level": LEVEL,
            "note": "null is missing: that row is left out (complete cases)",
        },
        "n": n,
        "paths": paths,
        "indirect_estimate": float(indirect(x, m, y, c)),
        "intervals": intervals,
        "resample_indices": {
            "note": (
                "row b: the complete cases (0-based, after dropping incomplete rows) drawn for "
                "replicate b = numpy.random.default_rng(seed).integers(0, n, size=(n_boot, n)),"
                " the matrix scipy.stats.bootstrap used (checked when the file was made)"
            ),
            "matrix": idx,
        },
    }
    dump(out, "mediation.json")


if __name__ == "__main__":
    main()
