"""Partial correlation against frozen reference values.

``tests/reference/partial.json`` (made by ``tests/reference/make_partial.py``) holds r and p of
``pingouin.partial_corr`` (cross-checked there against statsmodels OLS residuals and scipy's t
distribution), the t statistic, and the Fisher (1924) interval with k covariates at full
precision (pingouin rounds its own to 2 decimals). Closed forms: ``rtol = 1e-10``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import fisher_ci, partial_correlation
from patalliance.status import Status

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "partial.json").read_text("utf-8")
)


@pytest.mark.parametrize(
    "case",
    REFERENCE["cases"],
    ids=lambda c: f"{'+'.join(c['covariates'])}-{c['confidence_level']}",
)
def test_matches_frozen_reference(case):
    data = REFERENCE["inputs"]
    covariates = np.column_stack([np.array(data[c], dtype=float) for c in case["covariates"]])
    res = partial_correlation(
        np.array(data["x"], dtype=float),
        np.array(data["y"], dtype=float),
        covariates,
        confidence_level=case["confidence_level"],
    )
    assert res.status is Status.OK
    assert (res.n, res.k) == (case["n"], case["k"])
    for key in ("r", "df", "t", "p", "ci_low", "ci_high"):
        assert_allclose(getattr(res, key), case[key], rtol=RTOL, err_msg=key)


@pytest.mark.parametrize("k", [1, 2])
def test_partial_corr_matches_pingouin(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    n = 24
    c = rng.normal(size=(n, k))
    x = c.sum(1) + rng.normal(size=n)
    y = 0.5 * x - c[:, 0] + rng.normal(size=n)
    x[3] = np.nan
    c[5, 0] = np.nan
    res = partial_correlation(x, y, c)
    df = pd.DataFrame({"x": x, "y": y, **{f"c{j}": c[:, j] for j in range(k)}}).dropna()
    ref = pg.partial_corr(df, x="x", y="y", covar=[f"c{j}" for j in range(k)])
    assert res.n == len(df) == int(ref["n"].iloc[0])
    assert res.df == res.n - 2 - k
    assert_allclose([res.r, res.p], [ref["r"].iloc[0], ref["p_val"].iloc[0]], rtol=1e-8)
    ci = fisher_ci(res.r, res.n, k=k)
    se = 1 / np.sqrt(res.n - 3 - k)
    z = np.arctanh(res.r)
    assert_allclose(
        [res.ci_low, res.ci_high],
        [np.tanh(z - 1.959963984540054 * se), np.tanh(z + 1.959963984540054 * se)],
        rtol=1e-10,
    )
    assert_allclose([res.ci_low, res.ci_high], [float(ci.low), float(ci.high)], rtol=1e-12)


def test_constant_covariate_gives_clear_message() -> None:
    rng = np.random.default_rng(0)
    res = partial_correlation(
        rng.normal(size=10), rng.normal(size=10), np.ones(10), names=("a", "b", ("base",))
    )
    assert res.status == "not_estimable"
    assert "'base' is constant" in res.reason
    assert np.isnan(res.r)


def test_too_few_cases_gives_clear_message() -> None:
    res = partial_correlation([1.0, 2, 3, 4], [2.0, 1, 4, 3], [[1.0, 2], [2, 1], [3, 5], [4, 4]])
    assert res.status == "not_estimable" and "complete cases" in res.reason
