"""Regenerate ``bayes.json``: Jeffreys' Bayes factor of a Pearson correlation (Ly et al. 2016).

Run ``python tests/reference/make_bayes.py`` from the repository root. Uses pingouin and
numpy only (never ``patalliance``).
"""

from __future__ import annotations

import numpy as np
import pingouin
from _refio import dump, versions

CASES = [
    (0.6, 20, 1.0),
    (0.0, 30, 1.0),
    (-0.25, 45, 1.0),
    (0.12, 200, 1.0),
    (0.45, 12, 1.0),
    (-0.8, 8, 1.0),
    (0.3, 60, 0.5),
    (0.3, 60, 2.0),
    (0.05, 1000, 1.0),
]


def main() -> None:
    rows = []
    for r, n, kappa in CASES:
        bf = float(pingouin.bayesfactor_pearson(r, n, alternative="two-sided", kappa=kappa))
        rows.append({"r": r, "n": n, "kappa": kappa, "bf10": bf, "log_bf10": float(np.log(bf))})
    out = {
        "family": "Bayes factor of a correlation (patalliance.stats.bayes_factor_pearson)",
        "provenance": {
            "script": "tests/reference/make_bayes.py",
            "libraries": versions("pingouin", "scipy"),
            "source": (
                f"pingouin {pingouin.__version__}: bf10 = pingouin.bayesfactor_pearson(r, n, "
                "alternative='two-sided', method='ly', kappa=kappa) (Ly, Verhagen & "
                "Wagenmakers 2016, analytic); log_bf10 = numpy.log(bf10)"
            ),
            "frozen": True,
        },
        "cases": rows,
    }
    dump(out, "bayes.json")


if __name__ == "__main__":
    main()
