"""Cronbach's α, its Feldt interval and McDonald's ω against outside implementations.

α and its interval: ``pingouin.cronbach_alpha`` (pingouin 0.7.0; its interval is Feldt's,
Feldt, Woodruff & Salih 1987, rounded by pingouin to 3 decimals) on the complete item sets,
and the Feldt bounds written out with ``scipy.stats.f``. ω: an independent one-factor
maximum-likelihood fit of the raw items (``statsmodels.multivariate.factor.Factor`` on the
data matrix, not the correlation matrix), ω = (Σλ)² / ((Σλ)² + Σψ) (McDonald 1999).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.multivariate.factor import Factor

from patalliance.stats.reliability import cronbach_alpha, mcdonald_omega
from patalliance.status import Status


def _items(n: int, k: int, seed: int, missing: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, 1))
    loadings = rng.uniform(0.4, 0.9, size=(1, k))
    x = np.rint(3 + 1.2 * factor @ loadings + rng.normal(scale=0.8, size=(n, k)))
    x[rng.random(size=x.shape) < missing] = np.nan
    return x


@pytest.mark.parametrize(("n", "k", "seed", "level"), [(30, 5, 1, 0.95), (18, 12, 2, 0.90)])
def test_alpha_and_ci_match_pingouin_on_complete_sets(
    n: int, k: int, seed: int, level: float
) -> None:
    x = _items(n, k, seed, missing=0.03)
    res = cronbach_alpha(x, confidence_level=level)
    complete = pd.DataFrame(x).dropna()
    assert res.n == len(complete) and res.n_excluded == n - len(complete)
    alpha, ci = pg.cronbach_alpha(data=complete, ci=level)
    assert_allclose(res.alpha, alpha, rtol=0, atol=1e-10)
    assert_allclose([res.ci_low, res.ci_high], ci, rtol=0, atol=5e-4 + 1e-12)
    df1, df2 = res.n - 1, (res.n - 1) * (k - 1)
    g = 1 - level
    assert_allclose(res.ci_low, 1 - (1 - alpha) * stats.f.isf(g / 2, df1, df2), atol=1e-10)
    assert_allclose(res.ci_high, 1 - (1 - alpha) * stats.f.isf(1 - g / 2, df1, df2), atol=1e-10)


def test_interval_uses_n_after_deletion() -> None:
    """pingouin's listwise interval uses the rows before deletion; ours uses complete sets."""
    x = _items(25, 4, 3)
    x[:5, 0] = np.nan
    res = cronbach_alpha(x)
    assert res.n == 20 and res.n_excluded == 5
    _, ci = pg.cronbach_alpha(data=pd.DataFrame(x).dropna())
    assert_allclose([res.ci_low, res.ci_high], ci, atol=5e-4 + 1e-12)


def test_item_statistics() -> None:
    x = _items(40, 4, 4)
    res = cronbach_alpha(x, item_names=("a", "b", "c", "d"))
    for j, item in enumerate(res.items):
        rest = np.delete(x, j, axis=1)
        assert item.item == "abcd"[j]
        assert_allclose(item.item_total_r, stats.pearsonr(x[:, j], rest.sum(axis=1))[0])
        alpha, _ = pg.cronbach_alpha(data=pd.DataFrame(rest))
        assert_allclose(item.alpha_if_deleted, alpha, atol=1e-10)


def _omega_raw_fit(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = Factor(x, n_factor=1, method="ml").fit()
    lam = np.asarray(fit.loadings)[:, 0]
    psi = np.asarray(fit.uniqueness)
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_omega_matches_an_independent_one_factor_fit(seed: int) -> None:
    x = _items(60, 6, seed)
    assert_allclose(mcdonald_omega(x), _omega_raw_fit(x), rtol=0, atol=1e-4)
    assert_allclose(cronbach_alpha(x).omega, mcdonald_omega(x))


def test_tau_equivalent_items_give_omega_near_alpha() -> None:
    """With equal loadings and error variances (parallel items) ω and α estimate the same
    reliability (McDonald 1999, ch. 6)."""
    rng = np.random.default_rng(8)
    f = rng.normal(size=(5000, 1))
    x = f @ np.full((1, 5), 0.7) + rng.normal(scale=0.7, size=(5000, 5))
    res = cronbach_alpha(x)
    assert abs(res.omega - res.alpha) < 0.005
    assert_allclose(res.alpha, 5 * 0.49 / (5 * 0.49 + 0.49), atol=0.01)


def test_not_estimable_with_one_item_or_too_few_complete_sets() -> None:
    one = cronbach_alpha(np.arange(10.0).reshape(-1, 1))
    assert one.status is Status.NOT_ESTIMABLE and "at least 2" in one.reason
    assert np.isnan(one.alpha)
    few = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 3.0], [np.nan, 1.0]])
    res = cronbach_alpha(few)
    assert res.status is Status.NOT_ESTIMABLE and res.n == 2 and "at least 3" in res.reason


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="'items' parameter"):
        cronbach_alpha(np.ones(4))
    with pytest.raises(ValueError, match="'confidence_level' parameter"):
        cronbach_alpha(np.ones((4, 2)), confidence_level=95)


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 60), st.integers(2, 8), st.integers(0, 10_000))
def test_interval_contains_alpha(n: int, k: int, seed: int) -> None:
    res = cronbach_alpha(_items(n, k, seed))
    if res.status is Status.OK:
        assert res.ci_low <= res.alpha <= res.ci_high
