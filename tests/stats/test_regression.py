"""OLS (``patalliance.stats.ols``) against statsmodels as a test-only oracle, and its
bootstrap intervals against ``scipy.stats.bootstrap`` with the same resamples.

Estimates, classical and HC3 standard errors, t, p, intervals, R², adjusted R² and the F test
are compared with ``statsmodels.api.OLS(...).fit()`` and ``.fit(cov_type="HC3", use_t=True)``
at rtol 1e-10; standardized coefficients with an OLS fit on z-scored data; VIFs with
``statsmodels.stats.outliers_influence.variance_inflation_factor``. The design includes a
dummy-coded text covariate and missing values (listwise deletion, counted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats
from statsmodels.stats.outliers_influence import variance_inflation_factor

from patalliance.stats.regression import HC3_BELOW_N, bootstrap_coefficients, ols
from patalliance.status import Status

RTOL = 1e-10


def _trial(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """A small trial: baseline severity, age, expectancy and a 3-level text covariate."""
    rng = np.random.default_rng(seed)
    site = rng.choice(["north", "south", "west"], n)
    frame = pd.DataFrame(
        {
            "severity": rng.normal(22, 4, n),
            "age": rng.integers(21, 70, n).astype(float),
            "expectancy": rng.uniform(0, 100, n),
            "site[south]": (site == "south").astype(float),
            "site[west]": (site == "west").astype(float),
        }
    )
    y = (
        40
        - 0.3 * frame["severity"]
        + 0.05 * frame["expectancy"]
        + 2 * frame["site[west]"]
        + rng.normal(0, 3, n) * (1 + frame["age"] / 50)  # heteroscedastic
    ).to_numpy(dtype=float, copy=True)
    frame.iloc[1, 0] = np.nan
    y[4] = np.nan
    return frame, y, list(frame.columns)


@pytest.mark.parametrize(("se_type", "cov_type"), [("classical", "nonrobust"), ("hc3", "HC3")])
@pytest.mark.parametrize("n", [24, 80])
def test_ols_matches_statsmodels(se_type: str, cov_type: str, n: int) -> None:
    frame, y, names = _trial(n, seed=n)
    fit = ols(y, frame, names=names, outcome="alliance", se_type=se_type)  # type: ignore[arg-type]
    keep = np.isfinite(y) & frame.notna().all(axis=1).to_numpy()
    exog = sm.add_constant(frame[keep].to_numpy())
    ref = sm.OLS(y[keep], exog).fit(cov_type=cov_type, use_t=True)
    table = fit.to_frame()
    assert fit.status == Status.OK and fit.se_type == se_type
    assert fit.n == int(keep.sum()) and fit.n_excluded == n - fit.n == 2
    assert list(table["term"]) == ["intercept", *names]
    assert_allclose(table["estimate"], ref.params, rtol=RTOL)
    assert_allclose(table["se"], ref.bse, rtol=RTOL)
    assert_allclose(table["t"], ref.tvalues, rtol=RTOL)
    assert_allclose(table["p"], ref.pvalues, rtol=RTOL)
    assert_allclose(table["ci_low"], ref.conf_int()[:, 0], rtol=RTOL)
    assert_allclose(table["ci_high"], ref.conf_int()[:, 1], rtol=RTOL)
    assert_allclose(table["df"], ref.df_resid, rtol=RTOL)
    assert_allclose([fit.r2, fit.adj_r2], [ref.rsquared, ref.rsquared_adj], rtol=RTOL)
    assert_allclose([fit.f, fit.f_p], [float(ref.fvalue), float(ref.f_pvalue)], rtol=RTOL)
    assert (fit.f_df1, fit.f_df2) == (ref.df_model, ref.df_resid)


def test_classical_f_is_the_anova_f() -> None:
    frame, y, names = _trial(40, seed=5)
    fit = ols(y, frame, names=names, se_type="classical")
    k, df = fit.f_df1, fit.f_df2
    assert_allclose(fit.f, (fit.r2 / k) / ((1 - fit.r2) / df), rtol=RTOL)


def test_beta_and_vif_match_statsmodels() -> None:
    frame, y, names = _trial(60, seed=11)
    fit = ols(y, frame, names=names, se_type="classical")
    keep = np.isfinite(y) & frame.notna().all(axis=1).to_numpy()
    x, yk = frame[keep], y[keep]
    z = (x - x.mean()) / x.std(ddof=1)
    ref = sm.OLS((yk - yk.mean()) / yk.std(ddof=1), sm.add_constant(z.to_numpy())).fit()
    table = fit.to_frame()
    assert np.isnan(table["beta"][0]) and np.isnan(table["vif"][0])
    assert_allclose(table["beta"][1:], ref.params[1:], rtol=RTOL)
    exog = sm.add_constant(x.to_numpy())
    vifs = [variance_inflation_factor(exog, j) for j in range(1, exog.shape[1])]
    assert_allclose(table["vif"][1:], vifs, rtol=1e-9)


def test_auto_uses_hc3_below_50_complete_cases() -> None:
    frame, y, names = _trial(HC3_BELOW_N + 1, seed=2)  # two rows are incomplete: n = 49
    assert ols(y, frame, names=names).se_type == "hc3"
    frame, y, names = _trial(HC3_BELOW_N + 2, seed=2)
    assert ols(y, frame, names=names).se_type == "classical"


def test_not_estimable_cases_say_why() -> None:
    few = ols([1.0, 2.0, 3.0], [[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
    assert few.status == Status.NOT_ESTIMABLE and "complete cases" in few.reason
    assert np.isnan(few.r2) and few.coefficients == ()
    flat = ols([2.0] * 6, np.arange(6.0))
    assert flat.status == Status.NOT_ESTIMABLE and "constant" in flat.reason
    x = np.arange(8.0)
    collinear = ols(np.sin(x), np.column_stack([x, 2 * x]))
    assert collinear.status == Status.NOT_ESTIMABLE and "collinear" in collinear.reason
    lever = ols(
        [1.0, 2.0, 4.0, 4.0, 7.0],
        [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [1.0, 0.0]],
        se_type="hc3",
    )
    assert lever.status == Status.NOT_ESTIMABLE and "leverage 1" in lever.reason


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="'se_type' parameter of ols"):
        ols([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], se_type="hc1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one row per value of 'y'"):
        ols([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="'names' parameter of ols"):
        ols([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 4.0, 3.0], names=["a", "b"])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_contains_estimate_and_r2_in_unit_interval(seed: int, level: float) -> None:
    frame, y, names = _trial(20, seed=seed)
    fit = ols(y, frame, names=names, confidence_level=level)
    assume(fit.status == Status.OK)  # a site with one case has leverage 1 (tested above)
    for c in fit.coefficients:
        assert c.ci_low <= c.estimate <= c.ci_high
    assert 0.0 <= fit.r2 <= 1.0 and fit.adj_r2 <= fit.r2


def test_bootstrap_intervals_match_scipy_with_the_same_draws() -> None:
    """scipy.stats.bootstrap of the row indices draws rng.integers(0, n, (B, n)) once, as
    bootstrap_coefficients does: with the same seed both see the same resamples."""
    rng = np.random.default_rng(2)
    n = 25
    x = rng.normal(size=(n, 2))
    y = x @ [1.0, 2.0] + rng.normal(size=n)
    y[3] = np.nan  # left out before resampling, by both
    keep = np.isfinite(y)
    xk, yk = sm.add_constant(x[keep]), y[keep]
    boot = bootstrap_coefficients(y, x, n_boot=999, rng=np.random.default_rng(7))
    assert boot.terms == ("intercept", "x0", "x1") and boot.n_boot_valid == 999
    for j in range(3):

        def coef(i: np.ndarray, axis: int = -1, j: int = j) -> np.ndarray:
            rows = np.atleast_2d(i.astype(int))
            return np.array([sm.OLS(yk[r], xk[r]).fit().params[j] for r in rows])

        ref = scipy_stats.bootstrap(
            (np.arange(keep.sum()),), coef, vectorized=True, n_resamples=999,
            method="percentile", rng=np.random.default_rng(7),
        )  # fmt: skip
        ci = ref.confidence_interval
        assert_allclose([boot.ci_low[j], boot.ci_high[j]], [ci.low, ci.high], rtol=1e-10)


def test_bootstrap_leaves_out_singular_resamples() -> None:
    x = np.array([0.0] * 9 + [1.0])  # a resample without the last case has no variance in x
    y = np.arange(10.0)
    boot = bootstrap_coefficients(y, x, n_boot=200, rng=np.random.default_rng(0))
    expected_without = np.sum(
        ~np.any(np.random.default_rng(0).integers(0, 10, size=(200, 10)) == 9, axis=1)
    )
    assert boot.n_boot_valid == 200 - expected_without
