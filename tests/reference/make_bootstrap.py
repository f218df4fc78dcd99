"""Regenerate ``bootstrap.json``: percentile and BCa intervals of correlations, fixed draws.

Run ``python tests/reference/make_bootstrap.py`` from the repository root. Uses scipy and
numpy only (never ``patalliance``).

A bootstrap interval is a deterministic function of the data and of the resample-index matrix.
The matrix is drawn once, ``numpy.random.default_rng(SEED).integers(0, n, size=(B, n))``, and
stored in the JSON. ``scipy.stats.bootstrap(..., paired=True, rng=default_rng(SEED))`` draws
exactly this matrix (one ``integers(0, n, (B, n))`` call when ``batch`` is None): this script
checks that by recomputing scipy's bootstrap distribution from the stored matrix before it
writes anything. The tests hand the stored matrix to ``bootstrap_correlations`` through its
``rng`` argument, so the frozen intervals do not depend on numpy's random stream.
"""

from __future__ import annotations

import numpy as np
import scipy
from _refio import dump, versions
from scipy import special, stats

SEED = 20240314
N_RESAMPLES = 999
LEVEL = 0.95
# 14 participants, complete data; x1 has ties (for Spearman)
X = [
    [41.0, 3.0],
    [47.5, 4.0],
    [38.0, 2.0],
    [52.0, 5.0],
    [43.5, 4.0],
    [45.0, 3.0],
    [49.0, 4.0],
    [55.5, 5.0],
    [36.0, 2.0],
    [44.0, 4.0],
    [50.0, 3.0],
    [39.5, 2.0],
    [58.0, 5.0],
    [42.0, 1.0],
]
Y = [12.0, 15.0, 9.0, 14.0, 11.0, 13.5, 16.0, 21.0, 10.0, 10.0, 17.0, 8.0, 19.0, 13.0]


def pearson(u, v, axis=-1):  # type: ignore[no-untyped-def]
    return stats.pearsonr(u, v, axis=axis).statistic


def spearman(u, v, axis=-1):  # type: ignore[no-untyped-def]
    return stats.pearsonr(
        stats.rankdata(u, axis=axis), stats.rankdata(v, axis=axis), axis=axis
    ).statistic


STATISTICS = {"pearson": pearson, "spearman": spearman}


def interval(a: np.ndarray, b: np.ndarray, method: str, ci_method: str, idx: np.ndarray) -> dict:
    statistic = STATISTICS[method]
    res = stats.bootstrap(
        (a, b),
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=N_RESAMPLES,
        confidence_level=LEVEL,
        method=ci_method,
        rng=np.random.default_rng(SEED),
    )
    # scipy resampled exactly the stored index matrix:
    assert np.allclose(res.bootstrap_distribution, statistic(a[idx], b[idx]), rtol=0, atol=1e-14)
    assert np.all(np.isfinite(res.bootstrap_distribution))
    out = {
        "ci_low": float(res.confidence_interval.low),
        "ci_high": float(res.confidence_interval.high),
    }
    if ci_method == "BCa":
        theta = float(statistic(a, b))
        pct = stats.percentileofscore(res.bootstrap_distribution, theta, kind="mean")
        out["bias_correction"] = float(special.ndtri(pct / 100.0))
        jack = np.array([statistic(np.delete(a, i), np.delete(b, i)) for i in range(a.size)])
        dev = jack.mean() - jack
        out["acceleration"] = float(np.sum(dev**3) / (6.0 * np.sum(dev**2) ** 1.5))
    return out


def main() -> None:
    x, y = np.array(X), np.array(Y)
    n = y.size
    idx = np.random.default_rng(SEED).integers(0, n, size=(N_RESAMPLES, n))
    results = {}
    for method in ("pearson", "spearman"):
        for ci_method in ("percentile", "BCa"):
            results[f"{method}_{ci_method.lower()}"] = [
                {"x_column": j, **interval(x[:, j], y, method, ci_method, idx)}
                for j in range(x.shape[1])
            ]
    out = {
        "family": "bootstrap intervals of correlations (patalliance.stats.bootstrap_correlations)",
        "provenance": {
            "script": "tests/reference/make_bootstrap.py",
            "libraries": versions("scipy"),
            "source": (
                f"scipy {scipy.__version__}: res = scipy.stats.bootstrap((x[:, j], y), "
                "statistic, paired=True, vectorized=True, n_resamples=999, "
                "confidence_level=0.95, method=m, rng=numpy.random.default_rng(20240314)), m "
                "in {'percentile', 'BCa'}; statistic = scipy.stats.pearsonr(u, v, "
                "axis=-1).statistic, or the same on scipy.stats.rankdata(., axis=-1) for "
                "Spearman; interval = res.confidence_interval. BCa bias correction = "
                "scipy.special.ndtri(scipy.stats.percentileofscore(res.bootstrap_distribution,"
                " r, kind='mean') / 100); acceleration = sum(d**3) / (6 sum(d**2)**1.5), d = "
                "mean(jackknife r) - jackknife r (leave one participant out), as in scipy's "
                "BCa (Efron 1987)"
            ),
            "frozen": True,
        },
        "inputs": {"x": X, "y": Y, "seed": SEED, "n_resamples": N_RESAMPLES, "level": LEVEL},
        "resample_indices": {
            "note": (
                "row b holds the participants (0-based rows of x and y) drawn for replicate b: "
                "numpy.random.default_rng(seed).integers(0, n, size=(n_resamples, n)), the "
                "matrix scipy.stats.bootstrap used (checked when the file was made)"
            ),
            "matrix": idx,
        },
        "intervals": results,
    }
    dump(out, "bootstrap.json")


if __name__ == "__main__":
    main()
