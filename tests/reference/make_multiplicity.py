"""Regenerate ``multiplicity.json``: Holm and Benjamini-Hochberg adjusted p-values.

Run ``python tests/reference/make_multiplicity.py`` from the repository root. Uses
statsmodels and numpy only (never ``patalliance``). Also holds the worked example of
Benjamini & Hochberg (1995), compared by its printed decision (the number of rejections).
"""

from __future__ import annotations

import numpy as np
import statsmodels
from _refio import dump, versions
from statsmodels.stats.multitest import multipletests

NAN = np.nan
# one family with ties, a p of exactly 1 and two tests that could not be done (NaN)
FAMILY = [0.002, 0.036, 0.014, NAN, 0.027, 0.04, 0.03, 0.0004, 0.2, NAN, 0.61, 0.027, 1.0]
# three families of five tests, one per row (no NaN), for adjust_pvalues_batch
BATCH = [
    [0.01, 0.04, 0.03, 0.005, 0.5],
    [0.2, 0.001, 0.02, 0.02, 0.9],
    [0.049, 0.051, 0.0, 0.3, 0.012],
]
# Benjamini & Hochberg (1995), worked example (15 p-values of Neuhaus et al. 1992, printed
# to 4 decimals): at q = 0.05 the procedure rejects the four smallest.
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
    0.5719, 0.6528, 0.7590, 1.000,
]  # fmt: skip


def adjust(p: list[float], method: str) -> list[float]:
    arr = np.array(p)
    out = np.full(arr.shape, NAN)
    ok = ~np.isnan(arr)
    out[ok] = multipletests(arr[ok], method=method)[1]
    return out.tolist()


def main() -> None:
    out = {
        "family": "multiplicity (patalliance.stats.adjust_pvalues, adjust_pvalues_batch)",
        "provenance": {
            "script": "tests/reference/make_multiplicity.py",
            "libraries": versions("statsmodels"),
            "source": (
                f"statsmodels {statsmodels.__version__}: "
                "statsmodels.stats.multitest.multipletests(p[~isnan(p)], method=m)[1], "
                "m in {'holm', 'fdr_bh'}, NaN kept as NaN (null); plus the worked example of "
                "Benjamini & Hochberg (1995)"
            ),
            "frozen": True,
        },
        "family_with_missing": {
            "p": FAMILY,
            "holm": adjust(FAMILY, "holm"),
            "fdr_bh": adjust(FAMILY, "fdr_bh"),
        },
        "batch": {
            "p": BATCH,
            "holm": [adjust(row, "holm") for row in BATCH],
            "fdr_bh": [adjust(row, "fdr_bh") for row in BATCH],
            "call": "multipletests(row, method=m)[1] for each row",
        },
        "published_bh_1995": {
            "citation": (
                "Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: "
                "A practical and powerful approach to multiple testing. Journal of the Royal "
                "Statistical Society: Series B, 57(1), 289-300; the worked example with the "
                "15 p-values of Neuhaus et al. (1992)"
            ),
            "p": BH_1995,
            "q": 0.05,
            "rejected_by_fdr_bh": 4,
            "comparison": "exactly the 4 smallest p-values have a BH-adjusted p <= q",
        },
    }
    dump(out, "multiplicity.json")


if __name__ == "__main__":
    main()
