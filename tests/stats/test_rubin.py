"""stats.rubin: Rubin's rules against a hand computation (Rubin 1987; Barnard & Rubin 1999)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats.rubin import barnard_rubin_df, pool, pool_correlation

Q = [1.10, 0.92, 1.31, 1.05, 0.87]
U = [0.041, 0.052, 0.047, 0.060, 0.044]


def _hand(q: list[float], u: list[float], nu_com: float, level: float) -> dict[str, float]:
    m = len(q)
    qbar = sum(q) / m
    ubar = sum(u) / m
    b = sum((x - qbar) ** 2 for x in q) / (m - 1)
    t = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    r = (1 + 1 / m) * b / ubar
    nu_old = (m - 1) / lam**2
    nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lam)
    nu = nu_old * nu_obs / (nu_old + nu_obs)
    fmi = (r + 2 / (nu + 3)) / (r + 1)
    stat = qbar / math.sqrt(t)
    half = stats.t.ppf((1 + level) / 2, nu) * math.sqrt(t)
    return {
        "estimate": qbar,
        "within": ubar,
        "between": b,
        "total": t,
        "df": nu,
        "fmi": fmi,
        "t": stat,
        "p": 2 * stats.t.sf(abs(stat), nu),
        "ci_low": qbar - half,
        "ci_high": qbar + half,
    }


def test_pool_equals_hand_computation() -> None:
    res = pool(Q, U, df_complete=30, confidence_level=0.9)
    hand = _hand(Q, U, 30, 0.9)
    for key, value in hand.items():
        assert_allclose(getattr(res, key), value, rtol=1e-12, atol=0, err_msg=key)
    assert res.m == 5 and res.confidence_level == 0.9


def test_large_sample_df_is_rubins() -> None:
    """With an infinite complete-data df, Barnard–Rubin reduces to Rubin's (1987) df,
    (m − 1)(1 + 1/r)²."""
    res = pool(Q, U, df_complete=math.inf)
    assert_allclose(res.df, (5 - 1) * (1 + 1 / res.riv) ** 2, rtol=1e-12)


def test_no_between_variance_gives_complete_data_inference() -> None:
    res = pool([0.5] * 4, [0.01] * 4, df_complete=20)
    assert res.between == 0 and res.total == 0.01
    assert_allclose(res.df, barnard_rubin_df(4, 0.0, 20), rtol=1e-15)
    assert_allclose(res.df, 20 * 21 / 23, rtol=1e-12)


def test_pool_correlation_on_fisher_z() -> None:
    r = np.array([0.31, 0.42, 0.27, 0.38])
    res = pool_correlation(r, 40)
    hand = _hand(list(np.arctanh(r)), [1 / 37] * 4, 37, 0.95)
    assert_allclose(res.estimate, math.tanh(hand["estimate"]), rtol=1e-12)
    assert_allclose([res.ci_low, res.ci_high], np.tanh([hand["ci_low"], hand["ci_high"]]))
    assert_allclose([res.p, res.df, res.fmi], [hand["p"], hand["df"], hand["fmi"]], rtol=1e-12)
    assert res.ci_low < res.estimate < res.ci_high


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="'estimates' and 'variances'"):
        pool([1.0], [0.1], df_complete=10)
    with pytest.raises(ValueError):
        pool([1.0, 2.0], [0.1, 0.1], df_complete=10, confidence_level=1.5)
