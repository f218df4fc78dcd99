"""stats.missingness: patterns, EM estimates and Little's (1988) MCAR test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from patalliance.stats.missingness import em_normal, little_mcar, missing_patterns


def _data(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cov = [[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]]
    return rng.multivariate_normal([0, 1, 2], cov, size=n)


def test_patterns_counted() -> None:
    nan = np.nan
    data = [[1, nan, 3], [1, 2, 3], [nan, nan, 3], [4, nan, 1]]
    assert missing_patterns(data) == [
        ((False, True, False), 2),
        ((False, False, False), 1),
        ((True, True, False), 1),
    ]


def test_em_without_missing_values_is_the_ml_estimate() -> None:
    y = _data(50, 1)
    mu, sigma, converged = em_normal(y)
    assert converged
    assert_allclose(mu, y.mean(axis=0), rtol=1e-12)
    assert_allclose(sigma, np.cov(y.T, ddof=0), rtol=1e-10)


def test_little_under_mcar_and_mar() -> None:
    y = _data(600, 2)
    rng = np.random.default_rng(3)
    mcar = y.copy()
    mcar[rng.random(600) < 0.3, 2] = np.nan
    mcar[rng.random(600) < 0.2, 1] = np.nan
    res = little_mcar(mcar)
    # 4 patterns: complete (3), x2 missing (2), x1 missing (2), both (1) -> 8 - 3 = 5 df
    assert res.n_patterns == 4 and res.df == 5 and res.converged
    assert res.p > 0.001
    mar = y.copy()
    mar[y[:, 0] > 0.3, 2] = np.nan  # missingness depends on an observed variable
    res = little_mcar(mar)
    assert res.df == 2 and res.p < 1e-6


def test_little_without_missing_values() -> None:
    res = little_mcar(_data(30, 4))
    assert res.df == 0 and res.statistic < 1e-20 and np.isnan(res.p)


def test_little_against_naniar_on_airquality() -> None:
    """R's ``datasets::airquality`` (153 × 6; tests/reference/airquality.csv, the R dataset
    written with ``write.csv(airquality, row.names = FALSE)``). Reference: naniar's own test,
    tests/testthat/test-mcar-test.R: ``mcar_test(airquality)`` gives statistic
    35.1061288689702, df 14, p.value 0.00141778113856683, 4 patterns. naniar takes its ML
    estimates from ``norm::em.norm``, which stops at a looser convergence criterion than ours,
    hence the agreement to 1e-5 rather than to machine precision."""
    import pandas as pd

    path = Path(__file__).resolve().parents[1] / "reference" / "airquality.csv"
    res = little_mcar(pd.read_csv(path).to_numpy(dtype=float))
    assert res.df == 14 and res.n_patterns == 4 and res.n == 153
    assert_allclose(res.statistic, 35.1061288689702, rtol=1e-5)
    assert_allclose(res.p, 0.00141778113856683, rtol=1e-4)


def test_patterns_match_counting_rows_one_by_one() -> None:
    from collections import Counter

    rng = np.random.default_rng(4)
    data = rng.normal(size=(500, 5))
    data[rng.random(data.shape) < 0.25] = np.nan
    rows = [tuple(bool(v) for v in row) for row in np.isnan(data)]
    counts = Counter(rows)
    first = {}
    for i, key in enumerate(rows):
        first.setdefault(key, i)
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], first[kv[0]]))
    assert missing_patterns(data) == expected
