"""Regenerate ``influence.json``: r and p with each participant left out in turn.

Run ``python tests/reference/make_influence.py`` from the repository root. Uses scipy and
numpy only (never ``patalliance``).
"""

from __future__ import annotations

import numpy as np
import scipy
from _refio import dump, versions
from scipy import stats

NAN = np.nan
IDS = [f"P{i:02d}" for i in range(1, 13)]
X = [3.1, 4.5, 2.2, 5.0, 3.8, NAN, 4.1, 2.9, 6.4, 3.3, 4.4, 1.8]
Y = [12.0, 15.5, 9.0, 14.0, 13.0, 11.0, 16.5, 10.0, 25.0, 11.5, 14.5, 10.5]


def block(method: str) -> dict:
    x, y = np.array(X), np.array(Y)
    ok = ~np.isnan(x) & ~np.isnan(y)
    xs, ys = x[ok], y[ok]
    ids = [i for i, keep in zip(IDS, ok, strict=True) if keep]
    oracle = stats.pearsonr if method == "pearson" else stats.spearmanr
    rows = []
    for i in range(xs.size):
        res = oracle(np.delete(xs, i), np.delete(ys, i))
        rows.append({"left_out": ids[i], "r": float(res.statistic), "p": float(res.pvalue)})
    return {"n": int(xs.size), "rows": rows}


def main() -> None:
    out = {
        "family": "leave-one-out correlations (patalliance.stats.leave_one_out)",
        "provenance": {
            "script": "tests/reference/make_influence.py",
            "libraries": versions("scipy"),
            "source": (
                f"scipy {scipy.__version__}: for each complete case i, res = "
                "scipy.stats.pearsonr (or spearmanr)(numpy.delete(x, i), numpy.delete(y, i)); "
                "r = res.statistic, p = res.pvalue (t test on n - 3 df)"
            ),
            "frozen": True,
        },
        "inputs": {"ids": IDS, "x": X, "y": Y, "note": "null is missing: P06 is not in the pair"},
        "pearson": block("pearson"),
        "spearman": block("spearman"),
    }
    dump(out, "influence.json")


if __name__ == "__main__":
    main()
