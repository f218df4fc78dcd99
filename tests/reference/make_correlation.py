"""Regenerate ``correlation.json``: Pearson and Spearman coefficients, p-values, Fisher-z CIs.

Run ``python tests/reference/make_correlation.py`` from the repository root. Uses scipy and
numpy only (never ``patalliance``). The output is frozen: the tests compare the package with
the JSON, not with the live libraries.

Pearson intervals use Fisher's standard error 1/sqrt(n - 3 - k); Spearman intervals use the
Bonett & Wright (2000) standard error sqrt((1 + r**2/2)/(n - 3)) on the same z scale. The file
also holds the published example of ``ci.spear`` in Bonett's R package statpsych.
"""

from __future__ import annotations

import numpy as np
import scipy
from _refio import dump, versions
from scipy import stats

NAN = np.nan

# 14 participants: x has two columns (the second with ties), y one; NaN is missing.
X = np.array(
    [
        [41.0, 3.0],
        [47.5, 4.0],
        [38.0, 2.0],
        [52.0, 5.0],
        [NAN, 4.0],
        [45.0, 3.0],
        [49.0, NAN],
        [55.5, 5.0],
        [36.0, 2.0],
        [44.0, 4.0],
        [50.0, 3.0],
        [39.5, 2.0],
        [58.0, 5.0],
        [42.0, 4.0],
    ]
)
Y = np.array([12.0, 15.0, 9.0, 14.0, 11.0, NAN, 16.0, 21.0, 10.0, 10.0, 17.0, 8.0, 19.0, 13.0])

# statpsych (R package by D. G. Bonett), documentation of ci.spear, example:
# ci.spear(.05, y, x) "Should return: Estimate 0.8699639, SE 0.08241326, LL 0.5840951,
# UL 0.9638297" (versions 1.6.0 and 1.7.0 on CRAN print these 7 significant digits).
STATPSYCH_Y = [21, 4, 9, 12, 35, 18, 10, 22, 24, 1, 6, 8, 13, 16, 19]
STATPSYCH_X = [67, 28, 30, 28, 52, 40, 25, 37, 44, 10, 14, 20, 28, 40, 51]
STATPSYCH_PRINTED = {"r": 0.8699639, "se": 0.08241326, "ci_low": 0.5840951, "ci_high": 0.9638297}


def _complete(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(a) & ~np.isnan(b)
    return a[ok], b[ok]


def _fisher(r: float, n: int, level: float, k: int = 0) -> tuple[float, float]:
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    se = 1.0 / np.sqrt(n - 3 - k)
    return float(np.tanh(np.arctanh(r) - z * se)), float(np.tanh(np.arctanh(r) + z * se))


def _bonett_wright(r: float, n: int, level: float) -> tuple[float, float]:
    """Fisher-z interval with the Bonett & Wright (2000) SE sqrt((1 + r**2/2)/(n - 3))."""
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    se = np.sqrt((1.0 + r**2 / 2.0) / (n - 3))
    return float(np.tanh(np.arctanh(r) - z * se)), float(np.tanh(np.arctanh(r) + z * se))


def statpsych_example() -> dict:
    y, x = np.array(STATPSYCH_Y, dtype=float), np.array(STATPSYCH_X, dtype=float)
    r = float(stats.spearmanr(y, x).statistic)
    n = y.size
    low, high = _bonett_wright(r, n, 0.95)
    # statpsych's SE is on the r scale: (1 - r**2) * sqrt((1 + r**2/2)/(n - 3)) (delta method)
    se_r = float((1.0 - r**2) * np.sqrt((1.0 + r**2 / 2.0) / (n - 3)))
    computed = {"r": r, "se": se_r, "ci_low": low, "ci_high": high}
    for key, printed in STATPSYCH_PRINTED.items():
        assert float(f"{computed[key]:.7g}") == printed, (key, computed[key], printed)
    return {
        "citation": (
            "statpsych (R package, D. G. Bonett), help page of ci.spear, example "
            "ci.spear(.05, y, x): Estimate 0.8699639, SE 0.08241326, LL 0.5840951, "
            "UL 0.9638297 (Fisher interval with the Bonett & Wright 2000 standard error)"
        ),
        "y": STATPSYCH_Y,
        "x": STATPSYCH_X,
        "confidence_level": 0.95,
        "printed_significant_digits": 7,
        "printed": STATPSYCH_PRINTED,
        "full_precision": {"n": n, **computed},
        "note": "'se' is statpsych's SE of r_s on the r scale; patalliance reports no SE",
    }


def pearson_block(x: np.ndarray, y: np.ndarray, level: float) -> dict:
    rows = []
    for j in range(x.shape[1]):
        a, b = _complete(x[:, j], y)
        res = stats.pearsonr(a, b)
        ci = res.confidence_interval(confidence_level=level)
        rows.append(
            {"n": a.size, "r": res.statistic, "p": res.pvalue, "ci_low": ci.low, "ci_high": ci.high}
        )
    return {
        "confidence_level": level,
        "per_x_column": rows,
        "call": (
            "for each column j: a, b = complete cases of (x[:, j], y); "
            "res = scipy.stats.pearsonr(a, b); "
            f"res.statistic, res.pvalue, res.confidence_interval(confidence_level={level})"
        ),
    }


def spearman_block(x: np.ndarray, y: np.ndarray, level: float) -> dict:
    rows = []
    for j in range(x.shape[1]):
        a, b = _complete(x[:, j], y)
        res = stats.spearmanr(a, b)
        low, high = _bonett_wright(float(res.statistic), a.size, level)
        rows.append(
            {"n": a.size, "r": res.statistic, "p": res.pvalue, "ci_low": low, "ci_high": high}
        )
    return {
        "confidence_level": level,
        "per_x_column": rows,
        "call": (
            "for each column j: a, b = complete cases of (x[:, j], y); "
            "res = scipy.stats.spearmanr(a, b); res.statistic, res.pvalue; CI = "
            "numpy.tanh(numpy.arctanh(r) -/+ scipy.stats.norm.ppf(0.5 + level / 2) * "
            "numpy.sqrt((1 + r**2 / 2) / (n - 3))) (Bonett & Wright 2000)"
        ),
    }


def main() -> None:
    listwise = ~np.isnan(X).any(axis=1) & ~np.isnan(Y)
    fisher_cases = [
        {"r": 0.5, "n": 20, "k": 0, "confidence_level": 0.95},
        {"r": -0.32, "n": 45, "k": 0, "confidence_level": 0.9},
        {"r": 0.87, "n": 12, "k": 2, "confidence_level": 0.95},
        {"r": 0.0, "n": 8, "k": 1, "confidence_level": 0.99},
        {"r": -0.999, "n": 300, "k": 3, "confidence_level": 0.95},
    ]
    for case in fisher_cases:
        case["ci_low"], case["ci_high"] = _fisher(
            case["r"], case["n"], case["confidence_level"], case["k"]
        )
    bonett_wright_cases = [
        {"r": 0.5, "n": 20, "confidence_level": 0.95},
        {"r": -0.32, "n": 45, "confidence_level": 0.9},
        {"r": 0.87, "n": 12, "confidence_level": 0.95},
        {"r": 0.0, "n": 8, "confidence_level": 0.99},
        {"r": -0.999, "n": 300, "confidence_level": 0.95},
    ]
    for case in bonett_wright_cases:
        case["ci_low"], case["ci_high"] = _bonett_wright(
            case["r"], case["n"], case["confidence_level"]
        )
    out = {
        "family": "correlation (patalliance.stats.correlate, pearson, spearman, fisher_ci)",
        "provenance": {
            "script": "tests/reference/make_correlation.py",
            "libraries": versions("scipy"),
            "source": (
                f"scipy {scipy.__version__}: scipy.stats.pearsonr (r, p, Fisher-z "
                "confidence_interval) and scipy.stats.spearmanr (r, p); the partial (k > 0) "
                "Fisher-z intervals are the closed form of Fisher (1921, 1924), the Spearman "
                "intervals the Fisher-z closed form with the Bonett & Wright (2000) standard "
                "error, evaluated with scipy.stats.norm.ppf; plus the statpsych ci.spear "
                "example (printed values)"
            ),
            "frozen": True,
        },
        "inputs": {
            "x": X,
            "y": Y,
            "note": "rows are participants; null is a missing value (NaN)",
        },
        "pairwise": {
            "pearson": pearson_block(X, Y, 0.95),
            "pearson_90": pearson_block(X, Y, 0.9),
            "spearman": spearman_block(X, Y, 0.95),
        },
        "listwise": {
            "rows_kept": np.flatnonzero(listwise),
            "pearson": pearson_block(X[listwise], Y[listwise], 0.95),
            "spearman": spearman_block(X[listwise], Y[listwise], 0.95),
        },
        "fisher_ci": {
            "cases": fisher_cases,
            "call": (
                "numpy.tanh(numpy.arctanh(r) -/+ scipy.stats.norm.ppf(0.5 + level / 2) / "
                "numpy.sqrt(n - 3 - k)) (Fisher 1921; Fisher 1924 for k covariates)"
            ),
        },
        "bonett_wright_ci": {
            "cases": bonett_wright_cases,
            "call": (
                "numpy.tanh(numpy.arctanh(r) -/+ scipy.stats.norm.ppf(0.5 + level / 2) * "
                "numpy.sqrt((1 + r**2 / 2) / (n - 3))) (Bonett & Wright 2000)"
            ),
        },
        "published_spearman_ci": statpsych_example(),
    }
    dump(out, "correlation.json")


if __name__ == "__main__":
    main()
