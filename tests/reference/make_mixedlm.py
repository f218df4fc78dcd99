"""Regenerate ``mixedlm.json``: Wald z tests of a random-intercept model fitted by REML.

Run ``python tests/reference/make_mixedlm.py`` from the repository root. Uses statsmodels,
scipy and numpy only (never ``patalliance``). The data are the unbalanced data set of
``make_mixed.py``; the reference is the tightly converged statsmodels ``MixedLM`` fit, with
its Wald z statistics, normal p-values and intervals.
"""

from __future__ import annotations

import numpy as np
import scipy
import statsmodels
from _refio import dump, versions
from make_mixed import (
    FIT_OPTIONS,
    UNBALANCED_GROUPS,
    UNBALANCED_T,
    UNBALANCED_X,
    UNBALANCED_Y,
    mixedlm,
)

NAMES = ["intercept", "x", "t"]


def main() -> None:
    y = np.array(UNBALANCED_Y)
    exog = np.column_stack([np.ones(len(y)), UNBALANCED_X, UNBALANCED_T]).astype(float)
    fit = mixedlm(y, exog, UNBALANCED_GROUPS, FIT_OPTIONS)
    k = len(NAMES)
    levels = {}
    for level in (0.95, 0.9):
        ci = np.asarray(fit.conf_int(alpha=1.0 - level))[:k]
        levels[str(level)] = {"ci_low": ci[:, 0], "ci_high": ci[:, 1]}
    out = {
        "family": "random-intercept model with Wald z (patalliance.stats.fit_random_intercept)",
        "provenance": {
            "script": "tests/reference/make_mixedlm.py",
            "libraries": versions("statsmodels", "scipy"),
            "source": (
                f"statsmodels {statsmodels.__version__} (scipy {scipy.__version__}): fit = "
                "MixedLM(y, exog, groups=groups).fit(reml=True, method=['bfgs'], gtol=1e-12, "
                "maxiter=1000); estimate = fit.fe_params, se = fit.bse_fe, z = "
                "fit.tvalues[:3], p = fit.pvalues[:3] (normal), interval = "
                "fit.conf_int(alpha=1 - level)[:3], group_variance = fit.cov_re[0, 0], "
                "residual_variance = fit.scale"
            ),
            "frozen": True,
        },
        "inputs": {
            "y": UNBALANCED_Y,
            "x": UNBALANCED_X,
            "t": UNBALANCED_T,
            "groups": UNBALANCED_GROUPS,
            "names": NAMES,
            "exog": "column_stack([ones, x, t])",
        },
        "expected": {
            "n_obs": len(y),
            "n_groups": len(set(UNBALANCED_GROUPS)),
            "estimate": np.asarray(fit.fe_params),
            "se": np.asarray(fit.bse_fe),
            "z": np.asarray(fit.tvalues)[:k],
            "p": np.asarray(fit.pvalues)[:k],
            "intervals": levels,
            "group_variance": float(np.asarray(fit.cov_re)[0, 0]),
            "residual_variance": float(fit.scale),
        },
    }
    dump(out, "mixedlm.json")


if __name__ == "__main__":
    main()
