"""Regenerate ``partial.json``: partial correlations with their t test and Fisher-z interval.

Run ``python tests/reference/make_partial.py`` from the repository root. Uses pingouin,
statsmodels, scipy and numpy only (never ``patalliance``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import statsmodels.api as sm
from _refio import dump, versions
from scipy import stats

NAN = np.nan
X = [52.0, 47.0, 58.0, 44.0, 50.0, 61.0, 39.0, 55.0, 48.0, 57.0, 42.0, 53.0, 46.0, 59.0, 51.0, 45.0]
Y = [
    -8.0,
    -3.0,
    -12.0,
    -1.0,
    -9.0,
    -11.0,
    2.0,
    -7.0,
    NAN,
    -13.0,
    -2.0,
    -6.0,
    -5.0,
    -10.0,
    -4.0,
    -1.0,
]
C1 = [
    22.0,
    18.0,
    25.0,
    20.0,
    24.0,
    23.0,
    17.0,
    21.0,
    19.0,
    26.0,
    18.0,
    22.0,
    21.0,
    24.0,
    20.0,
    16.0,
]
C2 = [3.0, 1.0, 4.0, 2.0, 5.0, 3.0, 1.0, 2.0, 4.0, 5.0, 2.0, NAN, 3.0, 4.0, 1.0, 2.0]


def block(covariates: list[str], level: float) -> dict:
    frame = pd.DataFrame({"x": X, "y": Y, "c1": C1, "c2": C2})[["x", "y", *covariates]].dropna()
    res = pingouin.partial_corr(data=frame, x="x", y="y", covar=covariates)
    r, p = float(res["r"].iloc[0]), float(res["p_val"].iloc[0])
    n, k = len(frame), len(covariates)
    # cross-check: r of the OLS residuals (statsmodels), t test on n - 2 - k df (scipy)
    z = sm.add_constant(frame[covariates].to_numpy())
    ex = sm.OLS(frame["x"].to_numpy(), z).fit().resid
    ey = sm.OLS(frame["y"].to_numpy(), z).fit().resid
    r_check = float(np.corrcoef(ex, ey)[0, 1])
    assert np.isclose(r, r_check, rtol=1e-12, atol=0), (r, r_check)
    df = n - 2 - k
    t = r * np.sqrt(df / (1.0 - r * r))
    assert np.isclose(p, 2.0 * stats.t.sf(abs(t), df), rtol=1e-12, atol=0)
    zc = float(stats.norm.ppf(0.5 + level / 2.0))
    half = zc / np.sqrt(n - 3 - k)
    return {
        "covariates": covariates,
        "confidence_level": level,
        "n": n,
        "k": k,
        "r": r,
        "df": float(df),
        "t": float(t),
        "p": p,
        "ci_low": float(np.tanh(np.arctanh(r) - half)),
        "ci_high": float(np.tanh(np.arctanh(r) + half)),
    }


def main() -> None:
    out = {
        "family": "partial correlation (patalliance.stats.partial_correlation)",
        "provenance": {
            "script": "tests/reference/make_partial.py",
            "libraries": versions("pingouin", "statsmodels", "scipy", "pandas"),
            "source": (
                f"pingouin {pingouin.__version__}: res = pingouin.partial_corr(data=complete "
                "rows, x='x', y='y', covar=covariates); r = res['r'], p = res['p_val'] "
                "(cross-checked when made: r of the statsmodels OLS residuals and 2 * "
                "scipy.stats.t.sf(|t|, n - 2 - k) agree to rtol 1e-12); t = r sqrt(df / (1 - "
                "r**2)), df = n - 2 - k; CI = tanh(artanh(r) -/+ scipy.stats.norm.ppf(0.5 + "
                "level/2) / sqrt(n - 3 - k)) (Fisher 1924). pingouin's own CI95 is rounded to "
                "2 decimals, hence the closed form"
            ),
            "frozen": True,
        },
        "inputs": {"x": X, "y": Y, "c1": C1, "c2": C2, "note": "null is missing (NaN)"},
        "cases": [block(["c1"], 0.95), block(["c1", "c2"], 0.95), block(["c1", "c2"], 0.9)],
    }
    dump(out, "partial.json")


if __name__ == "__main__":
    main()
